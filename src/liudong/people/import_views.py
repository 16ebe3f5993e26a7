"""Import pages for caseworkers: the upload (a dry run), the report with every bad row, the
confirmation, the template CSV and the problems as CSV (``liudong.people.imports``)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liudong.accounts.access import refusals_audited, signed_in_user, staff_required
from liudong.people import imports
from liudong.people.models import ImportStatus
from liudong.people.views import caseworker_required
from liudong.site import formtokens
from liudong.site.errors import ConflictError, InvalidInputError, PayloadTooLargeError

if TYPE_CHECKING:
    from django.http import HttpRequest

    from liudong.people.models import ImportBatch

CONFIRM_FORM = "people.import_confirm"
POLL_SECONDS = 2
SHOWN_PROBLEMS = 500  # on the page; the CSV download has them all


@refusals_audited("people.import_dry_run")
@staff_required
@caseworker_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a CSV or xlsx file: it is checked (a dry run) and the report shown."""
    if request.method != "POST":
        return _upload_page(request)
    upload = request.FILES.get("file")
    if upload is None:
        return _upload_page(request, _("请选择要上传的 CSV 或 xlsx 文件"), status=422)
    try:
        batch = imports.do_dry_run_import(
            signed_in_user(request),
            filename=upload.name or "",
            data=upload.read(imports.max_bytes() + 1),  # one byte over is enough to refuse
        )
    except (InvalidInputError, PayloadTooLargeError) as exc:
        return _upload_page(request, exc.message, status=exc.status)
    return redirect("people:import_report", batch_id=batch.pk)


def _upload_page(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    context = {
        "error": error,
        "columns": imports.COLUMNS,
        "max_bytes": imports.max_bytes(),
        "max_rows": imports.max_rows(),
    }
    return render(request, "people/import_upload.html", context, status=status)


@refusals_audited("people.import_template")
@staff_required
@caseworker_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """The template: a UTF-8 CSV (with BOM) holding the headings."""
    response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, "人员导入模板.csv") or ""
    return response


@refusals_audited("people.read_import")
@staff_required
@caseworker_required
@require_GET
def import_report(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The report; while the batch is being applied, its progress part reloads itself (htmx
    asks for that part alone every few seconds; once the batch is done, the whole page)."""
    batch = imports.access_batch(request.user, batch_id, action="people.read_import")
    if getattr(request, "htmx", False):
        if batch.status != ImportStatus.APPLYING:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"  # done: show the final report
            return response
        return render(request, "people/import_progress.html", _progress(batch))
    return _report_page(request, batch)


def _progress(batch: ImportBatch) -> dict[str, Any]:
    task = imports.task_state(batch)
    stalled = bool(task and task["finished"]) or (task is None and imports.abandoned(batch))
    return {"batch": batch, "task": task, "stalled": stalled, "poll_seconds": POLL_SECONDS}


def _report_page(request: HttpRequest, batch: ImportBatch, status: int = 200) -> HttpResponse:
    problems = batch.report.get("problems", [])
    context = {
        "batch": batch,
        "report": batch.report,
        "problems": problems[:SHOWN_PROBLEMS],
        "more_problems": max(0, len(problems) - SHOWN_PROBLEMS),
        "duplicates": batch.report.get("duplicate_rows", [])[:SHOWN_PROBLEMS],
        "written": _written(batch),
        "form_token": formtokens.issue(request, CONFIRM_FORM),
        "token_field": formtokens.FIELD,
    }
    if batch.status == ImportStatus.APPLYING:
        context.update(_progress(batch))
    return render(request, "people/import_report.html", context, status=status)


WRITTEN_LABELS = {
    "persons_created": gettext_lazy("新登记人员"),
    "persons_updated": gettext_lazy("更新人员信息"),
    "hukou_changed": gettext_lazy("户籍变更"),
    "memberships_ended": gettext_lazy("迁出原户"),
    "memberships_started": gettext_lazy("入户"),
    "households_created": gettext_lazy("新建家庭户"),
}


def _written(batch: ImportBatch) -> list[tuple[str, int]]:
    """What was written so far, labelled, in a fixed order."""
    done = batch.applied or {}
    return [(str(label), int(done[key])) for key, label in WRITTEN_LABELS.items() if key in done]


@refusals_audited("people.read_import")
@staff_required
@caseworker_required
@require_GET
def import_problems(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Every problem and duplicate row of the report, as a UTF-8 CSV."""
    batch = imports.access_batch(request.user, batch_id, action="people.read_import")
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(imports.report_lines(batch))
    response = HttpResponse(("\ufeff" + out.getvalue()).encode(), content_type="text/csv")
    response["Content-Disposition"] = (
        content_disposition_header(True, f"import-{batch.pk}-problems.csv") or ""
    )
    return response


@refusals_audited("people.confirm_import")
@staff_required
@caseworker_required
@require_POST
def import_confirm(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Confirm the batch: checked now, written by a background task whose progress the report
    page shows; a second submission changes nothing."""
    batch = imports.access_batch(request.user, batch_id, action="people.confirm_import")
    if not formtokens.consume(request, CONFIRM_FORM):
        messages.warning(request, _("这张表已经提交过了，没有重复导入。"))
        return _report_page(request, batch, status=409)
    try:
        applied = imports.do_confirm_import(
            signed_in_user(request), batch.pk, sm3=request.POST.get("sm3", "")
        )
    except (InvalidInputError, ConflictError) as exc:
        messages.error(request, exc.message)
        batch.refresh_from_db()
        return _report_page(request, batch, status=exc.status)
    messages.info(request, _("已确认，正在后台导入：本页显示进度，完成后自动刷新。"))
    return redirect("people:import_report", batch_id=applied.pk)
