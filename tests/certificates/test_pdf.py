"""Rendered certificates (WeasyPrint, Noto CJK): the PDF carries the Chinese text in an
embedded CJK font and its code; the file verifies on the page, the API and the CLI; one
changed byte, a forged signature or a revocation makes it fail, each with its reason.

Each test renders one PDF (about 0.2 s after WeasyPrint's first import); they are skipped
where Pango or the fonts are missing, except under CI=true.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from liudong.certificates import pdf, verification
from liudong.certificates.actions import do_retry_certificate, read_certificate_pdf
from liudong.certificates.cli import certificate_app
from liudong.certificates.models import Certificate, Status
from liudong.crypto import sm3
from liudong.notifications.models import Notification
from liudong.site.errors import ConflictError, InvalidInputError
from liudong.tasks import run_pending
from tests.certificates.conftest import generated, issue_extract, needs_renderer
from tests.personas import login

if TYPE_CHECKING:
    from pathlib import Path

    from typer.testing import Result

    from tests.personas import World

pytestmark = [pytest.mark.django_db, needs_renderer]
runner = CliRunner()
VERIFY = "/certificates/verify/"
_MAPPING = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]{4})>")


def mapped_characters(data: bytes) -> set[str]:
    """The characters the PDF's fonts map glyphs to (their ToUnicode tables): what a reader
    extracts as text."""
    found: set[str] = set()
    for chunk in pdf.inflated_streams(data):
        if b"beginbfchar" in chunk:
            found |= {chr(int(m.group(2), 16)) for m in _MAPPING.finditer(chunk)}
    return found


def downloaded(world: World, certificate: Certificate) -> bytes:
    response = login(Client(), world.henan_migrant).get(
        reverse("certificates:download", args=[certificate.code])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    return response.content


def verify_everywhere(data: bytes, tmp_path: Path) -> tuple[str, dict[str, Any], Result]:
    """The verdict of the page, the API (multipart and JSON) and the CLI on ``data``."""
    page = Client().post(VERIFY, {"file": SimpleUploadedFile("c.pdf", data)})
    assert page.status_code == 200
    multipart = Client().post(
        "/api/certificates/verify", {"file": SimpleUploadedFile("c.pdf", data)}
    )
    as_json = Client().post(
        "/api/certificates/verify",
        {"pdf_base64": base64.b64encode(data).decode()},
        content_type="application/json",
    )
    assert multipart.json() == as_json.json()
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(data)
    return (
        page.content.decode(),
        multipart.json(),
        runner.invoke(certificate_app, ["verify", str(path)]),
    )


def test_a_generated_certificate_is_a_signed_pdf_in_an_embedded_cjk_font(
    world: World,
) -> None:
    certificate = generated(world.beijing_caseworker, world.migrant)
    assert certificate.status == Status.READY, certificate.failure_reason
    data = downloaded(world, certificate)
    assert data.startswith(b"%PDF-")
    assert sm3(data).hex() == certificate.pdf_sm3
    assert len(data) == certificate.pdf_size
    fonts = b" ".join(pdf.embedded_fonts(data))
    assert b"Noto-Serif-CJK-SC" in fonts
    assert b"Noto-Sans-CJK-SC" in fonts
    assert b"/FontFile" in b"".join(pdf.inflated_streams(data))  # embedded, not referenced
    text = mapped_characters(data)
    for phrase in (
        "户籍和居住证信息摘要",
        "王建国",
        "河南省信阳市浉河区",
        "朝阳区公共就业服务中心",
        "验证码",
    ):
        assert set(phrase) <= text, phrase
    assert pdf.find_code(data) == certificate.code
    assert f"/ID [({certificate.code})".encode() in data
    assert Notification.objects.filter(
        recipient=world.henan_migrant, kind="certificates.ready"
    ).exists()
    stored = Certificate.objects.get(pk=certificate.pk).pdf
    assert stored is not None
    assert b"%PDF" not in bytes(stored)  # encrypted at rest


def test_the_file_verifies_on_the_page_the_api_and_the_cli(world: World, tmp_path: Path) -> None:
    certificate = generated(world.beijing_caseworker, world.migrant)
    data = downloaded(world, certificate)
    page, api, cli = verify_everywhere(data, tmp_path)
    assert "证明有效" in page
    assert certificate.code in page
    assert "王**" in page
    assert "王建国" not in page
    assert api["valid"] is True
    assert api["outcome"] == "valid"
    assert api["certificate"]["status"] == "ready"
    assert cli.exit_code == 0, cli.output
    assert cli.output.startswith("VALID: ")


def test_one_changed_byte_fails_with_the_code_it_claims(world: World, tmp_path: Path) -> None:
    certificate = generated(world.beijing_caseworker, world.migrant)
    data = downloaded(world, certificate)
    code_at = data.index(certificate.code.encode())
    for position in (len(b"%PDF-"), len(data) // 3, len(data) // 2, code_at + 2, len(data) - 2):
        changed = bytearray(data)
        changed[position] ^= 0x01
        verdict = verification.judge_file(bytes(changed))
        assert not verdict.valid, position
        # the code is read from the keywords when the /ID itself was changed
        assert verdict.outcome == verification.DIFFERS, (position, verdict.message)
        assert verdict.code == certificate.code
    changed = bytearray(data)
    changed[len(data) // 2] ^= 0x40
    page, api, cli = verify_everywhere(bytes(changed), tmp_path)
    reason = f"这个文件与验证码 {certificate.code} 下出具的证明不一致"
    assert "证明无效" in page
    assert reason in page
    assert api["valid"] is False
    assert api["outcome"] == "differs"
    assert reason in str(api["message"])
    assert cli.exit_code == 1
    assert cli.output.startswith("INVALID: ")
    assert reason in cli.output
    appended = verification.judge_file(data + b"\n")
    assert appended.outcome == verification.DIFFERS


def test_a_forged_signature_or_an_altered_record_fails(world: World, tmp_path: Path) -> None:
    certificate = generated(world.beijing_caseworker, world.migrant)
    data = downloaded(world, certificate)
    original = certificate.signature
    signature = bytearray(bytes.fromhex(original))
    signature[-1] ^= 0x01
    Certificate.objects.filter(pk=certificate.pk).update(signature=signature.hex())
    _page, api, cli = verify_everywhere(data, tmp_path)
    assert api["outcome"] == "bad_signature"
    assert cli.exit_code == 1
    assert "未通过签名校验" in cli.output
    # the signature restored, the record's content changed: fails the same way
    certificate.refresh_from_db()
    fields = certificate.fields
    fields["name"]["value"] = "李四"
    certificate.fields = fields
    certificate.signature = original
    certificate.save(update_fields=["fields_json", "signature"])
    assert verification.judge_file(data).outcome == verification.BAD_SIGNATURE
    # a forged file whose digest is written into the record: the signature covers pdf_sm3
    certificate.refresh_from_db()
    forged = data.replace(b"%PDF-1.7", b"%PDF-1.6", 1)
    Certificate.objects.filter(pk=certificate.pk).update(pdf_sm3=sm3(forged).hex())
    assert verification.judge_file(forged).outcome == verification.BAD_SIGNATURE


def test_a_revoked_certificate_shows_revoked(world: World, tmp_path: Path) -> None:
    certificate = generated(world.beijing_caseworker, world.migrant)
    data = downloaded(world, certificate)
    staff = login(Client(), world.beijing_supervisor)
    staff.post(reverse("certificates:revoke", args=[certificate.code]), {"reason": "户籍已迁出"})
    certificate.refresh_from_db()
    assert certificate.status == Status.REVOKED
    page, api, cli = verify_everywhere(data, tmp_path)
    assert "已撤销" in page
    assert "户籍已迁出" in page
    assert api["outcome"] == "revoked"
    assert cli.exit_code == 1
    assert "撤销原因：户籍已迁出" in cli.output
    by_code = Client().get(VERIFY, {"code": certificate.code}).content.decode()
    assert "已撤销" in by_code
    again = staff.post(reverse("certificates:revoke", args=[certificate.code]), {"reason": "再撤"})
    assert again.status_code == 302  # already revoked: a warning on the page, nothing changed


@pytest.mark.slow
def test_a_failed_certificate_is_generated_again_once_the_fonts_are_there(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(pdf, "readiness", lambda: pdf.Readiness(("缺少中文字体",)))
        certificate = issue_extract(world.beijing_caseworker, world.migrant)
        run_pending()
    certificate.refresh_from_db()
    assert certificate.status == Status.FAILED
    with pytest.raises(ConflictError):
        read_certificate_pdf(world.henan_migrant, certificate.code)
    do_retry_certificate(world.beijing_caseworker, certificate.code)
    run_pending()
    certificate.refresh_from_db()
    assert certificate.status == Status.READY
    assert verification.judge_file(downloaded(world, certificate)).valid


def test_a_stored_pdf_that_was_changed_is_not_served(world: World) -> None:
    certificate = generated(world.beijing_caseworker, world.migrant)
    blob = bytearray(Certificate.objects.get(pk=certificate.pk).pdf or b"")
    blob[100] ^= 0x01
    Certificate.objects.filter(pk=certificate.pk).update(pdf=bytes(blob))
    response = login(Client(), world.henan_migrant).get(
        reverse("certificates:download", args=[certificate.code])
    )
    assert response.status_code == 409
    assert "完整性校验" in response.content.decode()


@pytest.mark.slow
def test_every_one_of_many_random_single_byte_changes_fails(world: World) -> None:
    import random

    certificate = generated(world.beijing_caseworker, world.migrant)
    data = downloaded(world, certificate)
    chance = random.Random(4)  # noqa: S311  # positions for a test, not secrets
    for _ in range(300):
        changed = bytearray(data)
        position = chance.randrange(len(data))
        changed[position] ^= chance.randrange(1, 256)
        if not changed.startswith(b"%PDF-"):
            with pytest.raises(InvalidInputError):
                verification.judge_file(bytes(changed))
            continue
        verdict = verification.judge_file(bytes(changed))
        assert verdict.outcome in {verification.DIFFERS, verification.NO_CODE}, position
