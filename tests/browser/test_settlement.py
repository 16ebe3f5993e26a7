"""The settlement pages in a real browser (Playwright driving Debian's Chromium against a live
server): a migrant worker fills the self-check on a phone and sees her Beijing score and the
Shanghai answer; she signs in, applies to an open round and sees her receipt secret.
Screenshots go to ``$LIUDONG_SCREENSHOTS`` (or the test's temporary folder).

Without /usr/bin/chromium the tests skip, saying so, except under CI=true, where they fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from liudong.settlement.models import Application
from tests.browser.conftest import DESKTOP, PHONE, open_page, sign_in
from tests.settlement.rounds_helpers import open_round

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

    from tests.personas import World

pytestmark = pytest.mark.django_db(transaction=True)


def fill_self_check(page: Page) -> None:
    page.get_by_label("户籍所在地").fill("信阳")
    page.get_by_label("出生日期").fill("1985-05-01")
    page.locator("#id_beijing__holds_residence_permit_0").check()
    page.locator("#id_shanghai__holds_residence_permit_1").check()
    page.get_by_label("退休年龄类别").select_option("men")
    page.get_by_label("在京连续缴纳社会保险月数").fill("120")
    page.locator("#id_has_criminal_record_1").check()
    page.get_by_label("在京租赁或单位宿舍居住月数").fill("120")
    page.get_by_label("最高学历（学位）").select_option("bachelor")


@pytest.mark.parametrize(("device", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_a_migrant_checks_where_she_may_settle_on_her_phone(
    browser: Browser,
    live_server: LiveServer,
    shots: Path,
    device: str,
    viewport: dict[str, int],
) -> None:
    page = open_page(browser, viewport)
    page.goto(f"{live_server.url}/settlement/")
    page.screenshot(path=shots / f"selfcheck-form-{device}.png", full_page=True)
    fill_self_check(page)
    page.get_by_role("button", name="查看结果").click()
    score = page.get_by_test_id("score-beijing")
    score.wait_for()
    assert score.inner_text().startswith("70.00")
    shanghai = page.locator("#city-310000").inner_text()
    assert "不是落户" in shanghai
    # htmx: a change re-renders the answer without a page load
    page.get_by_label("在京连续缴纳社会保险月数").fill("132")
    page.get_by_label("在京连续缴纳社会保险月数").blur()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=score-beijing]').innerText.startsWith('73.00')"
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"] + 1, "the page does not scroll sideways"
    page.screenshot(path=shots / f"selfcheck-answer-{device}.png", full_page=True)
    page.context.close()


def test_a_citizen_applies_to_an_open_round_and_sees_her_receipt(
    browser: Browser, live_server: LiveServer, world: World, shots: Path
) -> None:
    rnd = open_round(world, timezone.localdate())
    page = open_page(browser, PHONE)
    sign_in(page, live_server, "henan_migrant")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/settlement/rounds/")
    page.get_by_role("link", name="申请", exact=True).click()
    page.wait_for_url(f"**/settlement/rounds/{rnd.pk}/apply/")
    assert "登记记录中的信息" in page.locator("main").inner_text()
    page.locator("#id_has_criminal_record_1").check()
    page.get_by_label("最高学历（学位）").select_option("bachelor")
    page.screenshot(path=shots / "apply-form-phone.png", full_page=True)
    page.get_by_role("button", name="提交申请").click()
    secret = page.get_by_test_id("receipt-secret")
    secret.wait_for()
    assert len(secret.inner_text().replace("-", "").strip()) >= 52
    assert "只显示这一次" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="下载回执密钥文件").get_attribute("download")
    page.screenshot(path=shots / "apply-receipt-phone.png", full_page=True)
    assert Application.objects.filter(round=rnd, person=world.migrant).exists()
    page.context.close()
