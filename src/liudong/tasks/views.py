"""The staff pages of background tasks: /tasks/ (the newest tasks: name, state, progress,
started, worker) and /tasks/<id>/ (one task; while it is queued or running the progress part
reloads itself every 2 s with htmx). Refusals are pages with one ``denied`` audit event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.shortcuts import render
from django.views.decorators.http import require_GET

from liudong.accounts.access import refusals_audited, staff_required
from liudong.tasks import selectors
from liudong.tasks.access import watchers_only

if TYPE_CHECKING:
    import uuid

    from django.http import HttpRequest, HttpResponse

POLL_SECONDS = 2


@refusals_audited("tasks.list")
@staff_required
@watchers_only
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in selectors.STATES:
        state = ""
    tasks = selectors.recent(state or None)
    context = {"tasks": tasks, "state": state, "states": selectors.STATES}
    return render(request, "tasks/list.html", context)


@refusals_audited("tasks.read")
@staff_required
@watchers_only
@require_GET
def task_detail(request: HttpRequest, result_id: uuid.UUID) -> HttpResponse:
    task = selectors.status(result_id)
    context = {"task": task, "poll_seconds": POLL_SECONDS}
    if getattr(request, "htmx", False):
        return render(request, "tasks/_status.html", context)
    return render(request, "tasks/detail.html", context)
