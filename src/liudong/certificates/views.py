"""Certificate pages.

- ``/certificates/verify/`` (anyone, no sign-in): check a code (``?code=`` or the form) or
  upload a PDF; shows the verdict and the certificate's masked fields.
- ``/certificates/mine/`` (a citizen): her certificates.
- ``/certificates/`` (caseworkers): the certificates of persons in the jurisdiction, and the
  form that issues a registry extract.
- ``/certificates/<code>/`` (the subject, caseworkers of her jurisdiction): status, failure
  reason, fields in full; download, revoke and retry from there.

Refusals are pages with one ``denied`` audit event (``refusals_audited``).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liudong.accounts.access import (
    citizen_required,
    refusals_audited,
    signed_in_required,
    signed_in_user,
    staff_required,
)
from liudong.accounts.models import User
from liudong.audit.events import record
from liudong.certificates import access, actions, content, limits, pdf, verification
from liudong.certificates.forms import IssueExtractForm, RevokeForm, VerifyCodeForm, VerifyFileForm
from liudong.certificates.models import Status
from liudong.people import access as people_access
from liudong.site.errors import AccessDeniedError, ActionError, InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponseRedirect

    View = Callable[..., HttpResponse]

PAGE_SIZE = 50


def caseworker_required(view: View) -> View:
    """Inside ``staff_required``: caseworkers (staff, supervisors) of an agency only."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not people_access.is_caseworker.test(request.user):
            raise AccessDeniedError(_("这一页只对有管辖机构的经办和审核人员开放"))
        return view(request, *args, **kwargs)

    return guarded


# ---------------------------------------------------------------------------------------------
# Verification (public).


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Verify by code (GET ``?code=`` or POST ``code``) or by file (POST ``file``)."""
    code_form = VerifyCodeForm(request.GET if "code" in request.GET else None)
    file_form = VerifyFileForm()
    verdict = None
    status = 200
    actor = request.user if isinstance(request.user, User) else None
    try:
        upload = request.FILES.get("file") if request.method == "POST" else None
        if upload is not None:
            file_form = VerifyFileForm(request.POST, request.FILES)
            if not limits.file_verification_allowed(request):
                raise limits.ThrottledError
            data = upload.read(verification.MAX_FILE_BYTES + 1)
            verdict = verification.verify_file(actor, data)
        elif request.method == "POST":
            code_form = VerifyCodeForm(request.POST)
            if code_form.is_valid():
                verdict = verification.verify_code(actor, code_form.cleaned_data["code"])
        elif code_form.is_bound and code_form.is_valid():
            verdict = verification.verify_code(actor, code_form.cleaned_data["code"])
    except InvalidInputError as exc:
        target = file_form if exc.field == "file" else code_form
        target.add_error(None, exc.message)
        status = exc.status
    except limits.ThrottledError as exc:
        file_form.add_error(None, exc.message)
        status = exc.status
    context = {
        "code_form": code_form,
        "file_form": file_form,
        "verdict": verdict,
        "shown": verdict.public() if verdict is not None else None,
    }
    response = render(request, "certificates/verify.html", context, status=status)
    response["Cache-Control"] = "private, no-store"  # a revocation shows at once
    return response


# ---------------------------------------------------------------------------------------------
# A citizen's own certificates.


@refusals_audited("certificates.list_own")
@citizen_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    certificates = access.certificates_for(request.user).order_by("-issued_at", "-pk")
    page = Paginator(certificates, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "certificates/mine.html", {"page": page})


# ---------------------------------------------------------------------------------------------
# Staff.


@refusals_audited("certificates.list")
@staff_required
@caseworker_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    """Certificates of the persons in the jurisdiction, newest first; the issue form."""
    certificates = (
        access.certificates_for(request.user)
        .select_related("subject")
        .defer("fields_json", "pdf", "subject__id_number", "subject__phone")
        .order_by("-issued_at", "-pk")
    )
    wanted = request.GET.get("status", "")
    if wanted in Status.values:
        certificates = certificates.filter(status=wanted)
    page = Paginator(certificates, PAGE_SIZE).get_page(request.GET.get("page"))
    record(request.user, "certificates.list", detail={"count": len(page.object_list)})
    context = {
        "page": page,
        "statuses": Status.choices,
        "wanted": wanted,
        "issue_form": IssueExtractForm(),
        "readiness": pdf.readiness(),
    }
    return render(request, "certificates/list.html", context)


@refusals_audited("certificates.issue_registry_extract")
@staff_required
@caseworker_required
@require_POST
def issue_extract(request: HttpRequest) -> HttpResponseRedirect:
    form = IssueExtractForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("未出具：请填写人员编号（正整数）"))
        return redirect("certificates:list")
    try:
        certificate = actions.do_issue_registry_extract(
            signed_in_user(request), form.cleaned_data["person_id"]
        )
    except InvalidInputError as exc:
        messages.error(request, _("未出具：%(reason)s") % {"reason": exc.message})
        return redirect("certificates:list")
    messages.success(
        request,
        _("已受理，证明正在后台生成；验证码 %(code)s") % {"code": certificate.code},
    )
    return redirect("certificates:detail", code=certificate.code)


# ---------------------------------------------------------------------------------------------
# One certificate.


@refusals_audited("certificates.read")
@signed_in_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    user = signed_in_user(request)
    certificate = access.access_certificate(user, code, action="certificates.read")
    subject = certificate.subject
    if subject is None or not people_access.is_person_self.test(user, subject):
        record(
            user,
            "certificates.read",
            certificate,
            object_type="certificates.certificate",
            object_id=certificate.code,
        )
    context = {
        "certificate": certificate,
        "fields": content.in_full(certificate.fields),
        "may_manage": access.may_manage.test(user, certificate),
        "revoke_form": RevokeForm(),
        "verify_url": actions.verify_url(certificate.code),
    }
    return render(request, "certificates/detail.html", context)


@refusals_audited("certificates.download")
@signed_in_required
@require_GET
def download(request: HttpRequest, code: str) -> HttpResponse:
    """The PDF as an attachment; before it is ready, the certificate's page (with why)."""
    user = signed_in_user(request)
    certificate = access.access_certificate(user, code, action="certificates.download")
    if certificate.status not in {Status.READY, Status.REVOKED}:
        messages.warning(
            request,
            _("这份证明还不能下载（%(status)s）") % {"status": certificate.get_status_display()},
        )
        return redirect("certificates:detail", code=code)
    certificate, data = actions.read_certificate_pdf(user, code)
    response = HttpResponse(data, content_type="application/pdf")
    filename = f"{certificate.title}-{certificate.code}.pdf"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@refusals_audited("certificates.revoke")
@signed_in_required
@require_POST
def revoke(request: HttpRequest, code: str) -> HttpResponseRedirect:
    form = RevokeForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        actions.do_revoke_certificate(signed_in_user(request), code, reason=str(reason))
    except InvalidInputError as exc:
        messages.error(request, _("未撤销：%(reason)s") % {"reason": exc.message})
        return redirect("certificates:detail", code=code)
    except ActionError as exc:
        if exc.status != 409:  # conflict: already revoked, shown on the page
            raise
        messages.warning(request, exc.message)
        return redirect("certificates:detail", code=code)
    messages.success(request, _("已撤销证明 %(code)s") % {"code": code})
    return redirect("certificates:detail", code=code)


@refusals_audited("certificates.retry")
@signed_in_required
@require_POST
def retry(request: HttpRequest, code: str) -> HttpResponseRedirect:
    try:
        actions.do_retry_certificate(signed_in_user(request), code)
    except ActionError as exc:
        if exc.status != 409:
            raise
        messages.warning(request, exc.message)
        return redirect("certificates:detail", code=code)
    messages.success(request, _("已重新提交生成"))
    return redirect("certificates:detail", code=code)
