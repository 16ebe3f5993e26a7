"""Certificates in a real browser: a caseworker issues a registry extract by the person's
number and, once the background task has rendered it, sees it ready; the citizen downloads it
from "my certificates"; anyone, on a phone, uploads it on the verification page and is told it
is valid, and that a copy with one changed byte is not (naming the code the file claims).
Screenshots go to ``$LIUDONG_SCREENSHOTS`` (or the test's temporary folder).

Skipped without /usr/bin/chromium, or without Pango and the Noto CJK fonts, except under
CI=true, where they fail."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from liudong.certificates.models import Certificate, Status
from liudong.tasks import run_pending
from tests.browser.conftest import PHONE, Problems, signed_in_page
from tests.certificates.conftest import needs_renderer

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

    from tests.personas import World

pytestmark = [pytest.mark.django_db(transaction=True), needs_renderer]


def test_an_issued_extract_verifies_and_a_changed_copy_does_not(
    browser: Browser, live_server: LiveServer, world: World, shots: Path, tmp_path: Path
) -> None:
    problems = Problems()
    staff = signed_in_page(browser, live_server, world.beijing_caseworker, problems=problems)
    staff.goto(f"{live_server.url}/certificates/")
    staff.get_by_label("人员编号").fill(str(world.migrant.pk))
    staff.get_by_role("button", name="出具").click()
    staff.wait_for_url(f"{live_server.url}/certificates/*-*-*-*/")
    assert run_pending() >= 1  # the generation task, as a worker would run it
    certificate = Certificate.objects.get(subject=world.migrant)
    assert certificate.status == Status.READY, certificate.failure_reason
    staff.reload()
    assert staff.locator("#status").inner_text() == certificate.get_status_display()
    staff.screenshot(path=shots / "certificate-issued.png", full_page=True)
    staff.context.close()

    citizen = signed_in_page(browser, live_server, world.henan_migrant, PHONE, problems)
    citizen.goto(f"{live_server.url}/certificates/mine/")
    citizen.get_by_role("link", name=certificate.code).click()
    citizen.wait_for_url(f"**/certificates/{certificate.code}/")
    width = citizen.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the certificate page does not scroll sideways"
    citizen.screenshot(path=shots / "certificate-mine-phone.png", full_page=True)
    with citizen.expect_download() as download:
        citizen.get_by_role("link", name="下载 PDF").click()
    original = tmp_path / "extract.pdf"
    download.value.save_as(original)
    data = original.read_bytes()
    assert data.startswith(b"%PDF-")
    changed = tmp_path / "changed.pdf"
    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 0x40
    changed.write_bytes(bytes(tampered))
    citizen.context.close()

    anyone = signed_in_page(browser, live_server, None, PHONE, problems)
    anyone.goto(f"{live_server.url}/certificates/verify/")
    anyone.get_by_label("证明文件（PDF）").set_input_files(original)
    anyone.get_by_role("button", name="上传并核验").click()
    anyone.wait_for_load_state()
    main = anyone.locator("main").inner_text()
    assert "证明有效" in main
    assert certificate.code in main
    assert "王建国" not in main  # the public sees the masked name
    anyone.screenshot(path=shots / "certificate-verify-valid-phone.png", full_page=True)

    anyone.get_by_label("证明文件（PDF）").set_input_files(changed)
    anyone.get_by_role("button", name="上传并核验").click()
    anyone.wait_for_load_state()
    main = anyone.locator("main").inner_text()
    assert "证明无效" in main
    assert f"这个文件与验证码 {certificate.code} 下出具的证明不一致" in main
    width = anyone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the page does not scroll sideways"
    anyone.screenshot(path=shots / "certificate-verify-changed-phone.png", full_page=True)
    anyone.context.close()
    assert problems.seen == []
