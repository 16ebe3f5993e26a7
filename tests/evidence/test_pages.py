"""Evidence through HTTP: the download's headers, the upload's redirect and messages, CSRF,
and refusals (404/403 pages with one denied audit event)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from liudong.audit.models import AuditEvent
from liudong.evidence.actions import do_upload_evidence
from liudong.evidence.models import Evidence
from tests.evidence.samples import PDF, PNG, pdf_upload
from tests.personas import login

if TYPE_CHECKING:
    from liudong.accounts.models import User

pytestmark = pytest.mark.django_db
UPLOAD = "/evidence/upload/"


def stored(actor: User, filename: str = "王建国 居住证明.pdf") -> Evidence:
    return do_upload_evidence(
        actor,
        object_type="people.person",
        object_id="7",
        filename=filename,
        data=PDF,
        declared_type="application/pdf",
    )


def form(**changes: object) -> dict[str, object]:
    return {"object_type": "people.person", "object_id": "7", "file": pdf_upload()} | changes


def test_the_download_is_an_attachment_never_sniffed(henan_migrant: User) -> None:
    evidence = stored(henan_migrant)
    response = login(Client(), henan_migrant).get(reverse("evidence:download", args=[evidence.pk]))
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E7%8E%8B" in disposition  # the Chinese name, percent-encoded
    assert "no-store" in response["Cache-Control"]


def test_a_caseworker_downloads_it_with_the_second_factor(
    henan_migrant: User, beijing_caseworker: User
) -> None:
    evidence = stored(henan_migrant)
    url = reverse("evidence:download", args=[evidence.pk])
    unverified = Client()
    unverified.force_login(beijing_caseworker)
    assert unverified.get(url).status_code == 302  # to the TOTP step
    assert login(Client(), beijing_caseworker).get(url).content == PDF


@pytest.mark.parametrize("persona", ["other_citizen", "employer_rep", "auditor", "admin"])
def test_anyone_else_gets_a_404_with_one_denied_event(
    request: pytest.FixtureRequest, henan_migrant: User, persona: str
) -> None:
    evidence = stored(henan_migrant)
    user = request.getfixturevalue(persona)
    before = AuditEvent.objects.count()
    response = login(Client(), user).get(reverse("evidence:download", args=[evidence.pk]))
    assert response.status_code == 404
    assert PDF not in response.content
    new = AuditEvent.objects.order_by("seq")[before:]
    assert [(e.action, e.outcome, e.object_id) for e in new] == [
        ("evidence.read", "denied", str(evidence.pk))
    ]


def test_an_unknown_file_is_the_same_404(other_citizen: User) -> None:
    response = login(Client(), other_citizen).get(reverse("evidence:download", args=[999999]))
    assert response.status_code == 404
    assert list(AuditEvent.objects.values_list("action", "outcome")) == [
        ("evidence.read", "denied")
    ]


def test_a_tampered_file_is_a_409_page(henan_migrant: User) -> None:
    evidence = stored(henan_migrant)
    Evidence.objects.filter(pk=evidence.pk).update(blob=bytes(evidence.blob)[:-1] + b"\x00")
    response = login(Client(), henan_migrant).get(reverse("evidence:download", args=[evidence.pk]))
    assert response.status_code == 409
    assert PDF not in response.content
    assert AuditEvent.objects.filter(action="evidence.read", outcome="rejected").count() == 1


def test_the_upload_stores_the_file_and_goes_back_with_a_message(henan_migrant: User) -> None:
    response = login(Client(), henan_migrant).post(UPLOAD, form(next="/people/me/"))
    assert response.status_code == 302
    assert response["Location"] == "/people/me/"
    evidence = Evidence.objects.get()
    assert (evidence.filename, evidence.uploaded_by, evidence.object_id) == (
        "proof.pdf",
        henan_migrant,
        "7",
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["已上传证明材料 proof.pdf"]


def test_a_refused_file_goes_back_with_the_reason_and_nothing_stored(henan_migrant: User) -> None:
    bad = pdf_upload("photo.png", PNG)  # declared application/pdf, bytes are PNG
    response = login(Client(), henan_migrant).post(
        UPLOAD, form(file=bad), headers={"Referer": "http://testserver/people/me/"}
    )
    assert (response.status_code, response["Location"]) == (302, "http://testserver/people/me/")
    assert not Evidence.objects.exists()
    [message] = get_messages(response.wsgi_request)
    assert message.level_tag == "error"
    assert "PNG" in str(message)
    assert list(AuditEvent.objects.values_list("outcome", "detail")) == [
        ("rejected", {"code": "evidence_type_mismatch", "field": "file"})
    ]


def test_a_missing_file_is_refused_as_empty(henan_migrant: User) -> None:
    response = login(Client(), henan_migrant).post(UPLOAD, {"object_type": "x.y", "object_id": "1"})
    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert AuditEvent.objects.get().detail == {"code": "evidence_empty", "field": "file"}


def test_the_upload_never_redirects_off_site(henan_migrant: User) -> None:
    response = login(Client(), henan_migrant).post(UPLOAD, form(next="https://evil.example/"))
    assert response["Location"] == "/"


def test_the_upload_needs_the_csrf_token(henan_migrant: User) -> None:
    client = login(Client(enforce_csrf_checks=True), henan_migrant)
    assert client.post(UPLOAD, form()).status_code == 403
    assert not Evidence.objects.exists()


def test_auditors_may_not_upload(auditor: User) -> None:
    response = login(Client(), auditor).post(UPLOAD, form())
    assert response.status_code == 403
    assert not Evidence.objects.exists()
    assert list(AuditEvent.objects.values_list("action", "outcome")) == [
        ("evidence.upload", "denied")
    ]


def test_anonymous_callers_are_sent_to_sign_in(db: None) -> None:
    response = Client().post(UPLOAD, form())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not AuditEvent.objects.exists()
