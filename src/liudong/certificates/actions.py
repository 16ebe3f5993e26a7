"""Issuing, generating, downloading and revoking certificates.

``do_issue_certificate`` writes the pending record and enqueues its generation in one
transaction (the task row is written on the same connection, so both commit or neither);
:func:`generate` (run by the task ``liudong.certificates.tasks.generate_certificate``)
renders the PDF, signs it, stores it encrypted and marks the certificate ready, or marks it
failed with the reason, e.g. what this machine lacks to render and how to install it.

Any domain issues its own kind the same way::

    from liudong.certificates.actions import do_issue_certificate
    from liudong.certificates.content import ID_NUMBER, NAME, field

    cert = do_issue_certificate(
        actor, kind="settlement.permit", subject=person, title="落户准予通知书",
        fields={"name": field("姓名", person.name, NAME), ...},
        template="settlement/permit_certificate.html",  # extends base_certificate.html
    )
    cert.code   # the verification code, printed on the PDF
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from liudong import regions
from liudong.audit.events import record
from liudong.certificates import access, codes, content, pdf, signing, storage
from liudong.certificates.models import Certificate, Status
from liudong.crypto import DecryptionError, sm3
from liudong.people import access as people_access
from liudong.people.models import HukouRecord, Person, ResidencePermit
from liudong.site.actions import action, refuse
from liudong.site.errors import ConflictError, InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from liudong.accounts.models import User

logger = logging.getLogger(__name__)

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
REGISTRY_EXTRACT = "people.registry_extract"
REGISTRY_EXTRACT_TEMPLATE = "certificates/registry_extract.html"
REASON_MAX = 500
SYSTEM_AUTHORITY = "流动 liudong"


def _reference(certificate: Certificate) -> dict[str, str]:
    return {"object_type": "certificates.certificate", "object_id": certificate.code}


def _summary(certificate: Certificate) -> dict[str, Any]:
    """What the trail keeps: never the fields (personal data), only what identifies them."""
    return {
        "kind": certificate.kind,
        "subject": certificate.subject_id,
        "status": certificate.status,
        "pdf_sm3": certificate.pdf_sm3,
    }


class CertificateIntegrityError(ConflictError):
    """The stored PDF no longer matches its SM3 digest (or its ciphertext was altered)."""

    def __init__(self) -> None:
        super().__init__(
            "certificate_integrity",
            _("这份证明的存档文件未通过完整性校验，已停止提供下载；请联系系统管理员核查"),
        )


# ---------------------------------------------------------------------------------------------
# Issuing.


@action("certificates.issue")
def do_issue_certificate(
    actor: User | None,
    *,
    kind: str,
    subject: Person | None,
    title: str,
    fields: Mapping[str, Any],
    template: str,
) -> Certificate:
    """Record a pending certificate and enqueue its PDF generation; returns it (with its
    code). ``actor`` None is a system job; a caseworker needs the subject in her
    jurisdiction. The template must exist (checked now, not when the task runs)."""
    in_scope = subject is None or people_access.person_in_jurisdiction.test(actor, subject)
    access.check_may_issue(actor, in_scope)
    if not isinstance(kind, str) or not KIND_PATTERN.match(kind) or len(kind) > 64:
        message = _("证明类型应为 应用.名称 形式的英文标识，例如 settlement.permit")
        raise InvalidInputError("kind_invalid", message, "kind")
    cleaned_title = content.clean_title(title)
    cleaned = content.clean_fields(fields)
    _check_template(template)
    agency = actor.agency if actor is not None else None
    certificate = Certificate(
        code=_unused_code(),
        kind=kind,
        subject=subject,
        title=cleaned_title,
        authority=agency.name if agency is not None else SYSTEM_AUTHORITY,
        template=template,
        issued_at=timezone.now(),
        issued_by=actor,
        agency=agency,
    )
    certificate.fields = cleaned
    certificate.save()
    from liudong.certificates.tasks import generate_certificate  # tasks import this

    result = generate_certificate.enqueue(certificate.pk)
    certificate.task_id = str(result.id)
    certificate.save(update_fields=["task_id"])
    record(
        actor,
        "certificates.issue",
        certificate,
        detail=_summary(certificate),
        **_reference(certificate),
    )
    return certificate


def _unused_code() -> str:
    while True:  # 75 random bits: a second round is already a one-in-10^22 event
        code = codes.new_code()
        if not Certificate.objects.filter(code=code).exists():
            return code


def _check_template(template: str) -> None:
    if not isinstance(template, str) or not template.endswith(".html"):
        message = _("模板应为 Django 模板名，例如 settlement/permit_certificate.html")
        raise InvalidInputError("template_invalid", message, "template")
    try:
        get_template(template)
    except (TemplateDoesNotExist, TemplateSyntaxError) as exc:
        message = _("找不到或无法读取模板 %(name)s（%(error)s）") % {
            "name": template,
            "error": type(exc).__name__,
        }
        raise InvalidInputError("template_invalid", message, "template") from None


@action("certificates.issue_registry_extract")
def do_issue_registry_extract(actor: User | None, person_id: object) -> Certificate:
    """A caseworker issues an extract of a person's registry record: name, masked ID number,
    sex, date of birth, current hukou and current residence permit."""
    person = people_access.access_person_for_edit(
        actor, person_id, action="certificates.issue_registry_extract"
    )
    return do_issue_certificate(
        actor,
        kind=REGISTRY_EXTRACT,
        subject=person,
        title=_("户籍和居住证信息摘要"),
        fields=registry_extract_fields(person),
        template=REGISTRY_EXTRACT_TEMPLATE,
    )


def _place(code: int) -> str:
    try:
        return "".join(regions.name(c) for c in reversed(regions.ancestors(code)))
    except KeyError:
        return str(code)


def registry_extract_fields(person: Person) -> dict[str, dict[str, str]]:
    today = timezone.localdate()
    fields = {
        "name": content.field(_("姓名"), person.name, content.NAME),
        "id_number": content.field(_("公民身份号码"), person.id_masked, content.ID_NUMBER),
        "sex": content.field(_("性别"), str(person.get_sex_display()), content.HIDDEN),
        "birth_date": content.field(_("出生日期"), person.birth_date.isoformat(), content.HIDDEN),
    }
    hukou = HukouRecord.objects.filter(person=person, end__isnull=True).first()
    if hukou is None:
        fields["hukou"] = content.field(_("户籍"), _("无户籍登记"))
    else:
        text = _("%(place)s，%(type)s，自 %(start)s 起") % {
            "place": _place(hukou.region_id),
            "type": hukou.get_hukou_type_display(),
            "start": hukou.start.isoformat(),
        }
        fields["hukou"] = content.field(_("户籍"), text)
    permit = (
        ResidencePermit.objects.filter(person=person, issued_on__lte=today, valid_until__gte=today)
        .order_by("-issued_on", "-pk")
        .first()
    )
    if permit is None:
        fields["residence_permit"] = content.field(_("居住证"), _("无有效居住证"))
    else:
        text = _("%(place)s，有效期 %(start)s 至 %(end)s") % {
            "place": _place(permit.district_id),
            "start": permit.issued_on.isoformat(),
            "end": permit.valid_until.isoformat(),
        }
        fields["residence_permit"] = content.field(_("居住证"), text)
    fields["as_of"] = content.field(_("信息截至"), today.isoformat())
    return fields


# ---------------------------------------------------------------------------------------------
# Generating (the task's body).


def public_address() -> str:
    """``LIUDONG_PUBLIC_URL``; in production without it, ``https://`` and the first allowed
    host; otherwise "" (certificates then print the path alone)."""
    configured = str(getattr(settings, "LIUDONG_PUBLIC_URL", "") or "").rstrip("/")
    if configured:
        return configured
    hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
    if getattr(settings, "PRODUCTION", False) and hosts:
        return f"https://{hosts[0]}"
    return ""


def verify_url(code: str = "") -> str:
    """The address printed on a certificate: :func:`public_address` + the verification page,
    with the code filled in if given."""
    page = f"{public_address()}{reverse('certificates:verify')}"
    return f"{page}?code={code}" if code else page


def generate(certificate_id: int) -> Certificate | None:
    """Render, sign and store a pending certificate; mark it failed, with the reason, when it
    cannot be rendered. Does nothing to a certificate that is no longer pending (a task run
    twice after a worker restart)."""
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().filter(pk=certificate_id).first()
        if certificate is None or certificate.status != Status.PENDING:
            return certificate
        try:
            data = pdf.render(certificate.template, _context(certificate), certificate.code)
        except pdf.RendererUnavailableError as exc:
            return _failed(certificate, str(exc))
        except Exception as exc:  # a broken template or a WeasyPrint error: fail, say which
            logger.exception("certificate %s could not be rendered", certificate.code)
            return _failed(
                certificate,
                _("生成 PDF 时出错（%(error)s），请联系系统管理员")
                % {"error": f"{type(exc).__name__}: {exc}"[:300]},
            )
        digest = sm3(data).hex()
        certificate.pdf_sm3 = digest
        certificate.pdf_size = len(data)
        certificate.pdf = storage.seal(data, digest)
        certificate.generated_at = timezone.now()
        certificate.status = Status.READY
        certificate.failure_reason = ""
        signing.sign(certificate)
        certificate.save()
        record(
            None,
            "certificates.generate",
            certificate,
            detail=_summary(certificate),
            **_reference(certificate),
        )
        _notify(certificate)
        return certificate


def _context(certificate: Certificate) -> dict[str, Any]:
    return {
        "certificate": certificate,
        "fields": content.in_full(certificate.fields),
        "code": certificate.code,
        "verify_url": verify_url(certificate.code),
        "verify_page": verify_url(),
        "issued_on": timezone.localtime(certificate.issued_at).date(),
    }


def _failed(certificate: Certificate, reason: str) -> Certificate:
    certificate.status = Status.FAILED
    certificate.failure_reason = reason
    certificate.save(update_fields=["status", "failure_reason"])
    logger.warning("certificate %s not generated: %s", certificate.code, reason)
    record(
        None,
        "certificates.generate",
        certificate,
        outcome="error",
        detail={**_summary(certificate), "reason": reason[:500]},
        **_reference(certificate),
    )
    _notify_issuer_of_failure(certificate)
    return certificate


def _notify(certificate: Certificate) -> None:
    from liudong.accounts.models import User
    from liudong.notifications.services import notify

    if certificate.subject_id is None:
        return
    account = User.objects.filter(person_id=certificate.subject_id, is_active=True).first()
    if account is None:
        return
    notify(
        account,
        subject=_("您的证明已出具：%(title)s") % {"title": certificate.title},
        body=_("验证码 %(code)s。可在“我的证明”中下载 PDF，任何人可凭验证码在本系统核验。")
        % {"code": certificate.code},
        link=f"/certificates/{certificate.code}/",
        kind="certificates.ready",
    )


def _notify_issuer_of_failure(certificate: Certificate) -> None:
    from liudong.notifications.services import notify

    if certificate.issued_by is None:
        return
    notify(
        certificate.issued_by,
        subject=_("证明未能生成：%(title)s") % {"title": certificate.title},
        body=certificate.failure_reason,
        link=f"/certificates/{certificate.code}/",
        kind="certificates.failed",
    )


@action("certificates.retry")
def do_retry_certificate(actor: User | None, code: str) -> Certificate:
    """Generate a failed certificate again (after the missing fonts were installed)."""
    certificate = access.access_certificate(actor, code, action="certificates.retry")
    if not access.may_manage.test(actor, certificate):
        raise NotFoundError(_("没有这份证明，或者您无权查看")).about(
            "certificates.certificate", code
        )
    if certificate.status != Status.FAILED:
        raise ConflictError("certificate_not_failed", _("只有生成失败的证明可以重新生成")).about(
            "certificates.certificate", code
        )
    certificate.status = Status.PENDING
    certificate.failure_reason = ""
    from liudong.certificates.tasks import generate_certificate

    certificate.task_id = str(generate_certificate.enqueue(certificate.pk).id)
    certificate.save(update_fields=["status", "failure_reason", "task_id"])
    record(
        actor,
        "certificates.retry",
        certificate,
        detail=_summary(certificate),
        **_reference(certificate),
    )
    return certificate


# ---------------------------------------------------------------------------------------------
# Reading and revoking.


@action("certificates.download")
def read_certificate_pdf(actor: User | None, code: str) -> tuple[Certificate, bytes]:
    """The PDF for its subject or a caseworker of her jurisdiction, checked against its SM3
    (audited: it is personal data)."""
    certificate = access.access_certificate(actor, code, action="certificates.download")
    if certificate.status not in {Status.READY, Status.REVOKED} or certificate.pdf is None:
        raise ConflictError(
            "certificate_not_ready",
            _("这份证明还没有生成（状态：%(status)s）")
            % {"status": certificate.get_status_display()},
        ).about("certificates.certificate", code)
    try:
        data = storage.unseal(bytes(certificate.pdf), certificate.pdf_sm3)
    except DecryptionError:
        data = None
    if data is None or sm3(data).hex() != certificate.pdf_sm3:
        logger.error("certificate %s failed its integrity check", certificate.code)
        raise CertificateIntegrityError().about("certificates.certificate", code)
    record(
        actor,
        "certificates.download",
        certificate,
        detail=_summary(certificate),
        **_reference(certificate),
    )
    return certificate, data


@action("certificates.revoke")
def do_revoke_certificate(actor: User | None, code: str, *, reason: str) -> Certificate:
    """Revoke a certificate (a caseworker of the subject's jurisdiction), with the reason
    shown to everyone who verifies it."""
    certificate = access.access_certificate(actor, code, action="certificates.revoke")
    if not access.may_manage.test(actor, certificate):
        raise refuse(
            actor,
            "certificates.revoke",
            NotFoundError(_("没有这份证明，或者您无权查看")).about(
                "certificates.certificate", code
            ),
        )
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > REASON_MAX or not reason.isprintable():
        message = _("请写明撤销原因（1到%(max)s个字符）") % {"max": REASON_MAX}
        raise InvalidInputError("reason_invalid", message, "reason")
    if certificate.status == Status.REVOKED:
        raise ConflictError("certificate_revoked", _("这份证明已经撤销")).about(
            "certificates.certificate", code
        )
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    certificate.status = Status.REVOKED
    certificate.revoked_at = timezone.now()
    certificate.revoked_by = actor
    certificate.revocation_reason = reason
    certificate.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
    record(
        actor,
        "certificates.revoke",
        certificate,
        detail=_summary(certificate),
        **_reference(certificate),
    )
    return certificate
