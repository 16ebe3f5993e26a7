"""Uploading and reading evidence as actions: the refusals (code, field, nothing stored, one
audit event), the encrypted round trip, and the integrity check on read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import override_settings

from liudong.audit.models import AuditEvent
from liudong.crypto import sm3
from liudong.evidence import files
from liudong.evidence.actions import EvidenceIntegrityError, do_upload_evidence, read_evidence
from liudong.evidence.models import Evidence
from liudong.site.errors import AccessDeniedError, InvalidInputError, NotFoundError
from tests.evidence.samples import GIF, JPEG, PDF, PNG

if TYPE_CHECKING:
    from liudong.accounts.models import User

pytestmark = pytest.mark.django_db


def upload(
    actor: User, data: bytes = PDF, declared: str = "application/pdf", **kw: Any
) -> Evidence:
    fields = {"object_type": "people.person", "object_id": "7", "filename": "proof.pdf"} | kw
    return do_upload_evidence(actor, data=data, declared_type=declared, **fields)


def events(action: str) -> list[tuple[str, dict[str, Any]]]:
    return list(AuditEvent.objects.filter(action=action).values_list("outcome", "detail"))


@override_settings(LIUDONG_EVIDENCE_MAX_BYTES=100)
@pytest.mark.parametrize(
    ("data", "declared", "code"),
    [
        (PDF + b"x" * (101 - len(PDF)), "application/pdf", "evidence_too_large"),
        (GIF, "image/gif", "evidence_type_not_allowed"),
        (b"MZ\x90\x00 not a document", "application/pdf", "evidence_type_not_allowed"),
        (PNG, "application/pdf", "evidence_type_mismatch"),
        (JPEG, "image/png", "evidence_type_mismatch"),
        (b"", "application/pdf", "evidence_empty"),
    ],
    ids=["too_large", "gif", "exe_declared_pdf", "png_as_pdf", "jpeg_as_png", "empty"],
)
def test_refusals_name_code_and_field_store_nothing_and_are_audited_once(
    henan_migrant: User, data: bytes, declared: str, code: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        upload(henan_migrant, data, declared)
    assert (caught.value.code, caught.value.field, caught.value.status) == (code, "file", 422)
    assert not Evidence.objects.exists()
    assert events("evidence.upload") == [("rejected", {"code": code, "field": "file"})]


def test_the_type_refusal_says_which_types_are_allowed(henan_migrant: User) -> None:
    with pytest.raises(InvalidInputError) as caught:
        upload(henan_migrant, GIF, "image/gif")
    assert all(name in caught.value.message for name in ("PDF", "PNG", "JPEG"))


def test_the_limit_defaults_to_5_mib_and_a_file_at_the_limit_is_accepted(
    henan_migrant: User,
) -> None:
    assert files.max_bytes() == 5 * 1024 * 1024
    with override_settings(LIUDONG_EVIDENCE_MAX_BYTES=len(PDF)):
        assert upload(henan_migrant).size == len(PDF)


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (PDF, "application/pdf", "application/pdf"),
        (PNG, "image/png", "image/png"),
        (JPEG, "image/jpg", "image/jpeg"),  # a common alias
        (JPEG, "", "image/jpeg"),  # nothing declared: the bytes decide
        (PDF, "application/octet-stream", "application/pdf"),
    ],
)
def test_the_type_comes_from_the_bytes(
    henan_migrant: User, data: bytes, declared: str, expected: str
) -> None:
    assert upload(henan_migrant, data, declared).content_type == expected


def test_round_trip_returns_the_same_bytes_stored_encrypted(henan_migrant: User) -> None:
    evidence = upload(henan_migrant, PNG, "image/png", filename="photo.png")
    stored = Evidence.objects.get(pk=evidence.pk)
    assert stored.sm3 == sm3(PNG).hex()
    assert (stored.size, stored.filename, stored.uploaded_by) == (
        len(PNG),
        "photo.png",
        henan_migrant,
    )
    blob = bytes(stored.blob)
    assert PNG not in blob
    assert b"IHDR" not in blob
    assert read_evidence(henan_migrant, stored) == PNG
    assert [o for o, _ in events("evidence.upload")] == ["ok"]
    assert [o for o, _ in events("evidence.read")] == ["ok"]
    assert "photo" not in str(events("evidence.read"))  # file names stay out of the trail


def test_the_same_file_twice_is_sealed_with_different_nonces(henan_migrant: User) -> None:
    first, second = upload(henan_migrant), upload(henan_migrant)
    assert bytes(first.blob) != bytes(second.blob)


def test_a_changed_byte_in_the_blob_fails_the_integrity_check(henan_migrant: User) -> None:
    evidence = upload(henan_migrant)
    blob = bytearray(evidence.blob)
    blob[len(blob) // 2] ^= 0x01
    Evidence.objects.filter(pk=evidence.pk).update(blob=bytes(blob))
    with pytest.raises(EvidenceIntegrityError) as caught:
        read_evidence(henan_migrant, Evidence.objects.get(pk=evidence.pk))
    assert (caught.value.code, caught.value.status) == ("evidence_integrity", 409)
    assert events("evidence.read") == [("rejected", {"code": "evidence_integrity", "field": None})]
    assert AuditEvent.objects.get(action="evidence.read").object_id == str(evidence.pk)


def test_a_changed_sm3_column_fails_the_integrity_check(henan_migrant: User) -> None:
    evidence = upload(henan_migrant)
    Evidence.objects.filter(pk=evidence.pk).update(sm3=sm3(PNG).hex())
    with pytest.raises(EvidenceIntegrityError):
        read_evidence(henan_migrant, Evidence.objects.get(pk=evidence.pk))


@pytest.mark.parametrize(
    ("given", "content_type", "expected"),
    [
        ("C:\\Users\\wang\\证明.pdf", "application/pdf", "证明.pdf"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("invoice\u202egpj.pdf", "application/pdf", "invoicegpj.pdf"),  # no direction override
        ('a<b>:"c|d?.PNG', "image/png", "a_b___c_d_.png"),
        ("photo.jpeg", "image/jpeg", "photo.jpeg"),
        ("report.exe", "application/pdf", "report.exe.pdf"),
        ("...", "image/png", "evidence.png"),
        ("", "application/pdf", "evidence.pdf"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 251 + ".pdf"),
    ],
)
def test_file_names_are_sanitised(given: str, content_type: str, expected: str) -> None:
    assert files.clean_filename(given, content_type) == expected


def test_someone_else_cannot_read_it_and_the_refusal_is_audited(
    henan_migrant: User, other_citizen: User
) -> None:
    evidence = upload(henan_migrant)
    with pytest.raises(NotFoundError):
        read_evidence(other_citizen, evidence)
    assert events("evidence.read") == [("denied", {"code": "not_found", "field": None})]


def test_caseworkers_read_any_evidence(
    henan_migrant: User, beijing_caseworker: User, beijing_supervisor: User
) -> None:
    evidence = upload(henan_migrant)
    assert read_evidence(beijing_caseworker, evidence) == PDF
    assert read_evidence(beijing_supervisor, evidence) == PDF


def test_auditors_and_administrators_neither_upload_nor_read(
    henan_migrant: User, auditor: User, admin: User
) -> None:
    evidence = upload(henan_migrant)
    for user in (auditor, admin):
        with pytest.raises(AccessDeniedError):
            upload(user)
        with pytest.raises(NotFoundError):
            read_evidence(user, evidence)
    assert Evidence.objects.count() == 1
    assert [o for o, _ in events("evidence.upload")] == ["ok", "denied", "denied"]


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"object_type": ""}, "object_type", "required"),
        ({"object_id": "  "}, "object_id", "required"),
        ({"object_id": "1 2"}, "object_id", "reference_invalid"),
        ({"object_type": "x" * 65}, "object_type", "reference_invalid"),
    ],
)
def test_the_record_reference_is_required(
    henan_migrant: User, fields: dict[str, Any], field: str, code: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        upload(henan_migrant, **fields)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert not Evidence.objects.exists()
