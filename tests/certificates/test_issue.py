"""Issuing certificates and verifying them by code, without rendering a PDF: validation,
access, the registry extract's content, masking for the public, and what happens when this
machine cannot render (the reason on the page, in the CLI, in the system check)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from django.core import checks
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from typer.testing import CliRunner

from liudong.audit.models import AuditEvent
from liudong.certificates import pdf
from liudong.certificates.actions import do_issue_certificate, do_revoke_certificate
from liudong.certificates.cli import certificate_app
from liudong.certificates.codes import new_code
from liudong.certificates.content import HIDDEN, ID_NUMBER, NAME, field
from liudong.certificates.models import Certificate, Status
from liudong.notifications.models import Notification
from liudong.site.errors import AccessDeniedError, InvalidInputError, NotFoundError
from liudong.tasks import run_pending
from tests.certificates.conftest import issue_extract
from tests.personas import login

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from liudong.people.models import Person
    from tests.personas import World

pytestmark = pytest.mark.django_db
runner = CliRunner()
VERIFY = "/certificates/verify/"
MISSING = pdf.Readiness(("缺少中文字体 Noto Serif CJK SC、Noto Sans CJK SC",))


def issue(actor: User | None, person: Person | None, **changes: Any) -> Certificate:
    arguments: dict[str, Any] = {
        "kind": "settlement.permit",
        "subject": person,
        "title": "落户准予通知书",
        "fields": {
            "name": field("姓名", person.name if person else "某人", NAME),
            "id_number": field("公民身份号码", person.id_masked if person else "", ID_NUMBER),
            "phone": field("联系电话", "13800138000", HIDDEN),
            "city": field("落户城市", "北京市"),
        },
        "template": "certificates/registry_extract.html",
    }
    return do_issue_certificate(actor, **(arguments | changes))


# ---------------------------------------------------------------------------------------------
# Issuing.


def test_issuing_records_a_pending_certificate_and_enqueues_its_generation(world: World) -> None:
    certificate = issue(world.beijing_caseworker, world.migrant)
    assert certificate.status == Status.PENDING
    assert certificate.authority == "朝阳区公共就业服务中心"
    task = DBTaskResult.objects.get(id=certificate.task_id)
    assert task.args_kwargs["args"] == [certificate.pk]
    assert list(certificate.fields) == ["name", "id_number", "phone", "city"]  # order kept
    with connection.cursor() as cursor:
        cursor.execute("SELECT fields_json FROM certificates_certificate")
        stored = cursor.fetchone()[0]
    assert stored.startswith("k1:")  # SM4-GCM at rest
    assert "王建国" not in stored
    event = AuditEvent.objects.get(action="certificates.issue")
    assert event.object_id == certificate.code
    assert "王建国" not in json.dumps(event.detail, ensure_ascii=False)


@pytest.mark.parametrize(
    ("changes", "field_name"),
    [
        ({"kind": "Permit"}, "kind"),
        ({"title": "  "}, "title"),
        ({"fields": {}}, "fields"),
        ({"fields": {"Name": field("姓名", "王建国")}}, "fields.Name"),
        ({"fields": {"name": {"label": "姓名", "value": 3}}}, "fields.name.value"),
        ({"fields": {"name": field("姓名", "王建国", "partly")}}, "fields.name.mask"),
        ({"fields": {"name": {"label": "", "value": "x"}}}, "fields.name.label"),
        ({"template": "certificates/nowhere.html"}, "template"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    world: World, changes: dict[str, Any], field_name: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        issue(world.beijing_caseworker, world.migrant, **changes)
    assert refused.value.field == field_name
    assert not Certificate.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_only_caseworkers_of_the_jurisdiction_and_system_jobs_issue(world: World) -> None:
    with pytest.raises(AccessDeniedError):
        issue(world.henan_migrant, world.migrant)
    with pytest.raises(AccessDeniedError):
        issue(world.shanghai_officer, world.migrant)
    assert not Certificate.objects.exists()
    system = issue(None, world.migrant)
    assert system.authority == "流动 liudong"
    denied = AuditEvent.objects.filter(action="certificates.issue", outcome="denied")
    assert denied.count() == 2


def test_the_registry_extract_states_the_registry_record(world: World) -> None:
    certificate = issue_extract(world.beijing_caseworker, world.migrant)
    fields = certificate.fields
    assert fields["name"]["value"] == "王建国"
    assert fields["id_number"]["value"] == world.migrant.id_masked
    assert fields["hukou"]["value"].startswith("河南省信阳市浉河区，")
    assert fields["residence_permit"]["value"].startswith("北京市朝阳区，有效期")
    assert certificate.kind == "people.registry_extract"


def test_staff_issue_an_extract_from_the_certificates_page(world: World) -> None:
    client = login(Client(), world.beijing_caseworker)
    response = client.post(reverse("certificates:issue_extract"), {"person_id": world.migrant.pk})
    certificate = Certificate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("certificates:detail", args=[certificate.code])
    page = client.get(response["Location"]).content.decode()
    assert "生成中" in page
    assert f"/tasks/{certificate.task_id}/" in page
    person_page = client.get(reverse("people:person", args=[world.migrant.pk])).content.decode()
    assert reverse("certificates:issue_extract") in person_page
    listing = client.get(reverse("certificates:list")).content.decode()
    assert certificate.code in listing
    assert "王建国" in listing


def test_the_page_gives_the_address_printed_on_the_pdf(world: World, settings: Any) -> None:
    settings.LIUDONG_PUBLIC_URL = "https://liudong.example.gov.cn/"
    certificate = issue(world.beijing_caseworker, world.migrant)
    page = login(Client(), world.henan_migrant).get(
        reverse("certificates:detail", args=[certificate.code])
    )
    address = f"https://liudong.example.gov.cn/certificates/verify/?code={certificate.code}"
    assert address in page.content.decode()
    settings.LIUDONG_PUBLIC_URL = ""
    assert "certificates.W002" in [m.id for m in checks.run_checks(include_deployment_checks=True)]


# ---------------------------------------------------------------------------------------------
# Verification by code: status and masked fields for anyone.


def test_anyone_sees_status_and_masked_fields_by_code(world: World) -> None:
    certificate = issue(world.beijing_caseworker, world.migrant)
    typed = certificate.code.replace("-", " ").lower()
    page = Client().get(VERIFY, {"code": typed}).content.decode()
    assert certificate.code in page
    assert "生成中" in page
    assert "王**" in page
    assert "王建国" not in page
    assert world.migrant.id_masked not in page  # the public sees even less than staff
    masked_id = world.migrant.id_masked[:2] + "*" * 14 + world.migrant.id_masked[-2:]
    assert masked_id in page
    assert "13800138000" not in page  # a hidden field
    assert "北京市" in page
    answer = Client().get(f"/api/certificates/{certificate.code}").json()
    assert answer["valid"] is False
    assert answer["outcome"] == "pending"
    assert answer["certificate"]["fields"][0] == {"label": "姓名", "value": "王**"}
    assert AuditEvent.objects.filter(action="certificates.verify").count() == 2


def test_unknown_and_mistyped_codes(world: World) -> None:
    certificate = issue(world.beijing_caseworker, world.migrant)
    unknown = next(code for code in iter(new_code, "") if code != certificate.code)
    page = Client().get(VERIFY, {"code": unknown})
    assert page.status_code == 200
    assert "没有验证码为" in page.content.decode()
    assert Client().get(f"/api/certificates/{unknown}").status_code == 404
    symbols = certificate.code.replace("-", "")
    typo = ("1" if symbols[0] != "1" else "2") + symbols[1:]
    refused = Client().get(VERIFY, {"code": typo})
    assert refused.status_code == 422
    assert "校验位不符" in refused.content.decode()
    api = Client().get(f"/api/certificates/{typo}")
    assert api.status_code == 422
    assert api.json()["error"]["field"] == "code"


def test_a_revoked_certificate_says_so_by_code(world: World) -> None:
    certificate = issue(world.beijing_caseworker, world.migrant)
    client = login(Client(), world.beijing_caseworker)
    refused = client.post(reverse("certificates:revoke", args=[certificate.code]), {"reason": ""})
    assert refused.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Status.PENDING
    client.post(reverse("certificates:revoke", args=[certificate.code]), {"reason": "信息有误"})
    certificate.refresh_from_db()
    assert certificate.status == Status.REVOKED
    answer = Client().get(f"/api/certificates/{certificate.code}").json()
    assert answer["certificate"]["status"] == "revoked"
    assert answer["certificate"]["revocation_reason"] == "信息有误"


def test_citizens_cannot_revoke_their_own(world: World) -> None:
    certificate = issue(world.beijing_caseworker, world.migrant)
    response = login(Client(), world.henan_migrant).post(
        reverse("certificates:revoke", args=[certificate.code]), {"reason": "不要了"}
    )
    assert response.status_code == 404
    with pytest.raises(NotFoundError, match="没有这份证明"):
        do_revoke_certificate(world.henan_migrant, certificate.code, reason="不要了")


# ---------------------------------------------------------------------------------------------
# Files that cannot be certificates.


def test_files_that_cannot_be_certificates_are_refused_clearly(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.evidence.samples import PDF, PNG

    cases = [
        (b"", "文件是空的"),
        (PNG, "这不是 PDF 文件"),
        (b"%PDF-1.7\n" + bytes(10 * 1024 * 1024), "超过 10 MB"),
    ]
    for data, says in cases:
        upload = SimpleUploadedFile("x.pdf", data, content_type="application/pdf")
        response = Client().post(VERIFY, {"file": upload})
        assert response.status_code == 422, says
        assert says in response.content.decode()
    plain = SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")
    page = Client().post(VERIFY, {"file": plain}).content.decode()
    assert "文件中找不到验证码" in page
    api = Client().post("/api/certificates/verify", {"file": SimpleUploadedFile("x.pdf", PNG)})
    assert api.status_code == 422
    assert api.json()["error"]["code"] == "file_not_pdf"
    bad = Client().post(
        "/api/certificates/verify", {"pdf_base64": "%%%"}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "pdf_base64"
    text = Client().post("/api/certificates/verify", b"x", content_type="text/plain")
    assert text.json()["error"]["code"] == "unsupported_media_type"


def test_file_verifications_are_limited_per_address(world: World, settings: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.evidence.samples import PDF

    settings.LIUDONG_CERTIFICATE_VERIFICATIONS_PER_MINUTE = 2
    statuses = [
        Client().post(VERIFY, {"file": SimpleUploadedFile("x.pdf", PDF)}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    api = Client().post(
        "/api/certificates/verify",
        {"file": SimpleUploadedFile("x.pdf", PDF)},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert api.status_code == 429
    assert Client().get(VERIFY, {"code": "0000-0000-0000-0000"}).status_code == 200  # codes: no


# ---------------------------------------------------------------------------------------------
# Without the libraries or fonts: a clear reason, everything else working.


def test_missing_fonts_fail_the_certificate_with_the_fix(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf, "readiness", lambda: MISSING)
    certificate = issue_extract(world.beijing_caseworker, world.migrant)
    run_pending()
    certificate.refresh_from_db()
    assert certificate.status == Status.FAILED
    assert "缺少中文字体" in certificate.failure_reason
    assert pdf.FIX in certificate.failure_reason
    staff = login(Client(), world.beijing_caseworker)
    page = staff.get(reverse("certificates:detail", args=[certificate.code])).content.decode()
    assert "生成失败" in page
    assert pdf.FIX in page
    assert pdf.FIX in staff.get(reverse("certificates:list")).content.decode()
    shown = runner.invoke(certificate_app, ["show", certificate.code])
    assert shown.exit_code == 1
    assert pdf.FIX in shown.output
    check = runner.invoke(certificate_app, ["check"])
    assert check.exit_code == 1
    assert pdf.FIX in check.output
    found = [m for m in checks.run_checks() if m.id == "certificates.W001"]
    assert len(found) == 1
    assert pdf.FIX in (found[0].hint or "")
    told = Notification.objects.get(recipient=world.beijing_caseworker)
    assert pdf.FIX in told.body
    download = login(Client(), world.henan_migrant).get(
        reverse("certificates:download", args=[certificate.code])
    )
    assert download.status_code == 302  # to the page that says why
    assert not Notification.objects.filter(recipient=world.henan_migrant).exists()


def test_weasyprint_failing_to_import_is_reported_too(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf, "readiness", lambda: pdf.Readiness(()))
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint now raises
    certificate = issue_extract(world.beijing_caseworker, world.migrant)
    run_pending()
    certificate.refresh_from_db()
    assert certificate.status == Status.FAILED
    assert "无法加载 WeasyPrint" in certificate.failure_reason
    assert pdf.FIX in certificate.failure_reason


def test_everything_else_works_when_weasyprint_cannot_be_imported(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    for module in ("pdf", "actions", "verification", "views", "api", "tasks"):
        importlib.reload(importlib.import_module(f"liudong.certificates.{module}"))
    certificate = issue(world.beijing_caseworker, world.migrant)
    assert Client().get(VERIFY, {"code": certificate.code}).status_code == 200
    assert Client().get(f"/api/certificates/{certificate.code}").status_code == 200
    staff = login(Client(), world.beijing_caseworker)
    assert staff.get(reverse("certificates:list")).status_code == 200
    assert staff.get(reverse("people:person", args=[world.migrant.pk])).status_code == 200


@pytest.mark.slow
def test_the_site_loads_without_importing_weasyprint() -> None:
    program = (
        "import sys, django; django.setup();"
        "import liudong.site.urls, liudong.certificates.views, liudong.certificates.api;"
        "print('weasyprint' in sys.modules)"
    )
    loaded = subprocess.run(  # noqa: S603
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "liudong.site.settings"},
    )
    assert loaded.stdout.strip() == "False"
