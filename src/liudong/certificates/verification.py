"""Verifying a certificate, by its file or by its code, for anyone (no sign-in).

A **file** is valid only if all of these hold:

1. it is a PDF (``%PDF-``), not empty and at most :data:`MAX_FILE_BYTES`;
2. its SM3 digest equals the ``pdf_sm3`` of a certificate on record (one changed byte
   anywhere changes the digest);
3. that certificate is not revoked (nor pending or failed);
4. the record's SM2 signature over its statement (code, kind, title, authority, fields,
   issue time and ``pdf_sm3``) verifies with the public key, so the record itself was not
   altered in the database.

When the digest matches no certificate, the code is read from the file (``pdf.find_code``)
to say why: the file differs from the certificate issued under that code, no certificate has
that code, or the file carries no code at all.

A **code** gives the certificate's status and what it states, with personal data masked
(``content.masked``), so that a holder of the paper can compare.

Every verification writes one audit event ``certificates.verify`` (method and outcome; never
the file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from liudong.audit.events import record
from liudong.certificates import codes, content, pdf, signing
from liudong.certificates.models import Certificate, Status
from liudong.crypto import sm3
from liudong.site.actions import action
from liudong.site.errors import InvalidInputError

if TYPE_CHECKING:
    import datetime as dt

    from liudong.accounts.models import User

MAX_FILE_BYTES = 10 * 1024 * 1024

VALID = "valid"
REVOKED = "revoked"
DIFFERS = "differs"
UNKNOWN_CODE = "unknown_code"
NO_CODE = "no_code"
BAD_SIGNATURE = "bad_signature"
PENDING = "pending"
FAILED = "failed"


@dataclass(frozen=True)
class Verdict:
    """The answer: ``valid`` or not, why (``outcome`` and a sentence), and what the public
    may see of the certificate concerned (if one was found)."""

    valid: bool
    outcome: str
    message: str
    code: str | None = None
    certificate: Certificate | None = None

    def public(self) -> dict[str, Any] | None:
        """The certificate as anyone may see it: status and masked fields."""
        found = self.certificate
        if found is None:
            return None
        return {
            "code": found.code,
            "kind": found.kind,
            "title": found.title,
            "authority": found.authority,
            "status": found.status,
            "status_label": str(found.get_status_display()),
            "issued_at": found.issued_at,
            "revoked_at": found.revoked_at,
            "revocation_reason": found.revocation_reason if found.status == Status.REVOKED else "",
            "fields": [
                {"label": label, "value": value} for label, value in content.masked(found.fields)
            ],
        }


def _day(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else ""


def _judge(certificate: Certificate) -> Verdict:
    """The verdict on a certificate on record (the file, if any, already matched)."""
    code = certificate.code
    if certificate.status == Status.PENDING:
        message = _("验证码 %(code)s 的证明正在生成，尚不能使用") % {"code": code}
        return Verdict(False, PENDING, message, code, certificate)
    if certificate.status == Status.FAILED:
        message = _("验证码 %(code)s 的证明未能生成，不是有效证明") % {"code": code}
        return Verdict(False, FAILED, message, code, certificate)
    if not signing.verify(certificate):
        message = _(
            "无效：验证码 %(code)s 的证明记录未通过签名校验（记录可能被改动），请联系出具机构核实"
        ) % {"code": code}
        return Verdict(False, BAD_SIGNATURE, message, code, certificate)
    if certificate.status == Status.REVOKED:
        message = _("无效：验证码 %(code)s 的证明已于 %(day)s 撤销。撤销原因：%(reason)s") % {
            "code": code,
            "day": _day(certificate.revoked_at),
            "reason": certificate.revocation_reason,
        }
        return Verdict(False, REVOKED, message, code, certificate)
    message = _("有效：验证码 %(code)s，%(authority)s 于 %(day)s 出具，记录的签名有效") % {
        "code": code,
        "authority": certificate.authority,
        "day": _day(certificate.issued_at),
    }
    return Verdict(True, VALID, message, code, certificate)


def _audit(actor: User | None, method: str, verdict: Verdict) -> None:
    detail = {"method": method, "outcome": verdict.outcome}
    if verdict.certificate is not None:
        record(
            actor,
            "certificates.verify",
            verdict.certificate,
            detail=detail,
            object_type="certificates.certificate",
            object_id=verdict.certificate.code,
        )
    else:
        record(actor, "certificates.verify", detail={**detail, "code": verdict.code or ""})


def check_file(data: bytes) -> None:
    """Refuse what cannot be a certificate file (empty, too large, not a PDF), on ``file``."""
    if not data:
        raise InvalidInputError("file_empty", _("文件是空的：请选择要核验的 PDF 文件"), "file")
    if len(data) > MAX_FILE_BYTES:
        message = _("文件超过 %(mb)s MB，不会是本系统出具的证明") % {
            "mb": MAX_FILE_BYTES // (1024 * 1024)
        }
        raise InvalidInputError("file_too_large", message, "file")
    if not pdf.is_pdf(data):
        message = _("这不是 PDF 文件（按文件内容判断）：请上传证明的 PDF 原件")
        raise InvalidInputError("file_not_pdf", message, "file")


def judge_file(data: bytes) -> Verdict:
    """The verdict on a file's bytes (no audit event; see :func:`verify_file`)."""
    check_file(data)
    digest = sm3(data).hex()
    matching = Certificate.objects.filter(pdf_sm3=digest).exclude(pdf_sm3="").first()
    if matching is not None:
        return _judge(matching)
    code = pdf.find_code(data)
    if code is None:
        message = _("无效：文件中找不到验证码，这不是本系统出具的证明，或文件已损坏")
        return Verdict(False, NO_CODE, message)
    certificate = Certificate.objects.filter(code=code).first()
    if certificate is None:
        message = _("无效：没有验证码为 %(code)s 的证明") % {"code": code}
        return Verdict(False, UNKNOWN_CODE, message, code)
    message = _(
        "无效：这个文件与验证码 %(code)s 下出具的证明不一致（文件被改动过，或不是原件）。"
        "可凭验证码查看该证明的状态和内容"
    ) % {"code": code}
    return Verdict(False, DIFFERS, message, code, certificate)


def judge_code(text: str) -> Verdict:
    """The verdict on a typed code (:class:`InvalidInputError` on ``code`` if malformed)."""
    try:
        code = codes.normalise(text)
    except codes.CodeError as exc:
        raise InvalidInputError("code_invalid", str(exc), "code") from None
    certificate = Certificate.objects.filter(code=code).first()
    if certificate is None:
        message = _("没有验证码为 %(code)s 的证明：请核对验证码") % {"code": code}
        return Verdict(False, UNKNOWN_CODE, message, code)
    return _judge(certificate)


@action("certificates.verify")
def verify_file(actor: User | None, data: bytes) -> Verdict:
    """Verify a certificate file (anyone); audited."""
    verdict = judge_file(data)
    _audit(actor, "file", verdict)
    return verdict


@action("certificates.verify")
def verify_code(actor: User | None, text: str) -> Verdict:
    """Look a certificate up by its code (anyone); audited."""
    verdict = judge_code(text)
    _audit(actor, "code", verdict)
    return verdict
