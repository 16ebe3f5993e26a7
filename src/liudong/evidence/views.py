"""Evidence over HTTP: the download (``evidence/<pk>/``) and the upload
(``evidence/upload/``, a multipart POST that redirects back with a message).

Refusals of access are pages (403/404) with one ``denied`` audit event; refused files go
back to the page they came from with the reason as an error message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liudong.accounts.access import refusals_audited, signed_in_required, signed_in_user
from liudong.evidence import actions, files
from liudong.evidence.models import Evidence
from liudong.site.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseRedirect


@refusals_audited("evidence.read")
@signed_in_required
@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = Evidence.objects.filter(pk=pk).first()
    if evidence is None:
        raise NotFoundError(_("没有这份证明材料，或您无权查看")).about("evidence.evidence", pk)
    data = actions.read_evidence(signed_in_user(request), evidence)
    response = HttpResponse(data, content_type=evidence.content_type)
    response["Content-Disposition"] = (
        content_disposition_header(True, evidence.filename) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@refusals_audited("evidence.upload")
@signed_in_required
@require_POST
def upload(request: HttpRequest) -> HttpResponseRedirect:
    back = _back(request)
    upload = request.FILES.get("file")
    try:
        evidence = actions.do_upload_evidence(
            signed_in_user(request),
            object_type=request.POST.get("object_type", ""),
            object_id=request.POST.get("object_id", ""),
            filename=upload.name if upload is not None and upload.name else "",
            # one byte over the limit is enough to refuse; never read a huge file whole
            data=upload.read(files.max_bytes() + 1) if upload is not None else b"",
            declared_type=upload.content_type or "" if upload is not None else "",
        )
    except InvalidInputError as exc:
        messages.error(request, _("未上传：%(reason)s") % {"reason": exc.message})
        return redirect(back)
    messages.success(request, _("已上传证明材料 %(name)s") % {"name": evidence.filename})
    return redirect(back)


def _back(request: HttpRequest) -> str:
    """The page the upload came from (``next``, else the referrer), if on this site."""
    for candidate in (request.POST.get("next", ""), request.headers.get("Referer", "")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return "/"
