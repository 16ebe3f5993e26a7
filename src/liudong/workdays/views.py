"""The administrators' page of working days: which years have an arrangement (built in,
loaded, or missing: provisional, weekends only), and the upload of a year's file.

Refusals are pages with one ``denied`` audit event (``refusals_audited``); the action audits
the load and its rejections.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liudong.accounts.access import refusals_audited, signed_in_user, staff_required
from liudong.site.errors import InvalidInputError
from liudong.workdays import actions, selectors
from liudong.workdays.access import admin_required
from liudong.workdays.files import MAX_BYTES, read_arrangement_file
from liudong.workdays.forms import ArrangementFileForm

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


@refusals_audited("workdays.read_arrangements")
@staff_required
@admin_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every year since 2004 and where its working days come from."""
    return _page(request, ArrangementFileForm())


@refusals_audited("workdays.load_arrangement")
@staff_required
@admin_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """Load one year's file; errors go back on the file field, naming the field in the file."""
    form = ArrangementFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=422)
    upload = form.cleaned_data["file"]
    try:
        payload = read_arrangement_file(upload.name, upload.read(MAX_BYTES + 1))
        row = actions.do_load_arrangement(signed_in_user(request), payload)
    except InvalidInputError as exc:
        form.add_error("file", _error_text(exc))
        return _page(request, form, status=exc.status)
    messages.success(request, _("已载入 %(year)d 年的节假日安排") % {"year": row.year})
    return redirect("workdays:index")


def _error_text(exc: InvalidInputError) -> str:
    if exc.field and exc.field != "file":
        return f"{exc.field}: {exc.message}"
    return exc.message


def _page(request: HttpRequest, form: ArrangementFileForm, status: int = 200) -> HttpResponse:
    context = {"years": selectors.year_statuses(timezone.localdate()), "form": form}
    return render(request, "workdays/index.html", context, status=status)
