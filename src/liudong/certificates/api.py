"""The certificates API (mounted at /api/certificates/): public verification, no sign-in.

- ``GET /api/certificates/{code}``: the certificate's status and its fields, personal data
  masked; 404 when no certificate has the code, 422 when the text cannot be a code.
- ``POST /api/certificates/verify``: is this file a valid certificate? The PDF as a
  ``multipart/form-data`` field ``file`` (``curl -F file=@cert.pdf``) or as JSON
  ``{"pdf_base64": "..."}``. The answer is 200 with ``valid`` true or false and the reason;
  422 for an empty file, a file over 10 MB or one that is not a PDF. Signed-in callers send an
  ``Idempotency-Key`` like every POST, and their body is limited to 2 MB (certificates are far
  smaller).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt  # noqa: TC003  # pydantic reads annotations at run time
from typing import TYPE_CHECKING, Any

from ninja import Router, Schema

from liudong.accounts.models import User
from liudong.certificates import limits, verification
from liudong.site.apikit import ERRORS, ErrorOut
from liudong.site.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from django.http import HttpRequest

router = Router(tags=["certificates"])


class FieldOut(Schema):
    label: str
    value: str


class PublicCertificateOut(Schema):
    code: str
    kind: str
    title: str
    authority: str
    status: str
    status_label: str
    issued_at: dt.datetime
    revoked_at: dt.datetime | None
    revocation_reason: str
    fields: list[FieldOut]


class VerdictOut(Schema):
    valid: bool
    outcome: str
    message: str
    code: str | None
    certificate: PublicCertificateOut | None


def _actor(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None


def _out(verdict: verification.Verdict) -> dict[str, Any]:
    return {
        "valid": verdict.valid,
        "outcome": verdict.outcome,
        "message": verdict.message,
        "code": verdict.code,
        "certificate": verdict.public(),
    }


VERIFY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"pdf_base64": {"type": "string", "format": "byte"}},
                    "required": ["pdf_base64"],
                    "additionalProperties": False,
                }
            },
        },
    }
}


@router.post(
    "/verify",
    response={200: VerdictOut, 429: ErrorOut, **ERRORS},
    auth=None,
    openapi_extra=VERIFY_BODY,
)
def verify_file(request: HttpRequest) -> dict[str, Any]:
    """Whether a PDF is a valid certificate: unchanged, on record, signed, not revoked."""
    data = _uploaded(request)
    if not limits.file_verification_allowed(request):
        raise limits.ThrottledError
    return _out(verification.verify_file(_actor(request), data))


# Declared after /verify, so that "verify" is not taken for a code.
@router.get("/{code}", response={200: VerdictOut, **ERRORS}, auth=None)
def get_certificate(request: HttpRequest, code: str) -> dict[str, Any]:
    """A certificate's status and what it states (personal data masked), by its code."""
    verdict = verification.verify_code(_actor(request), code)
    if verdict.certificate is None:
        raise NotFoundError(verdict.message)
    return _out(verdict)


def _uploaded(request: HttpRequest) -> bytes:
    content_type = (request.content_type or "").lower()
    if content_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInputError(
                "required", "send the PDF in the multipart field 'file'", "file"
            )
        data: bytes = upload.read(verification.MAX_FILE_BYTES + 1)
        return data
    if content_type == "application/json":
        from liudong.site.api import StrictJSONParser  # site.api mounts this

        document = StrictJSONParser().parse_body(request)
        if not isinstance(document, dict) or set(document) != {"pdf_base64"}:
            raise InvalidInputError(
                "invalid", 'send {"pdf_base64": "<the PDF, base64>"} and nothing else', "body"
            )
        text = document["pdf_base64"]
        if not isinstance(text, str):
            raise InvalidInputError("invalid", "pdf_base64 is a string", "pdf_base64")
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInputError(
                "base64_invalid", "pdf_base64 is not valid base64 (RFC 4648)", "pdf_base64"
            ) from None
    raise InvalidInputError(
        "unsupported_media_type",
        "send multipart/form-data with a 'file' field, or application/json with pdf_base64",
        "body",
    )
