"""The tasks API (mounted at /api/tasks/): the state and progress of one background task, for
caseworkers, supervisors and administrators (others: 403, audited)."""

from __future__ import annotations

import datetime as dt  # noqa: TC003  # pydantic and ninja read annotations at runtime
from typing import TYPE_CHECKING, Any

from ninja import Router, Schema

from liudong.site.apikit import ERRORS, caller
from liudong.tasks import selectors
from liudong.tasks.access import check_may_watch

if TYPE_CHECKING:
    from django.http import HttpRequest

router = Router(tags=["tasks"])


class ProgressOut(Schema):
    done: int
    total: int
    percent: int | None
    message: str
    updated_at: dt.datetime | None


class TaskOut(Schema):
    id: str
    name: str
    label: str
    task_path: str
    queue: str
    state: str
    finished: bool
    enqueued_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    attempts: int
    worker: str | None
    worker_alive: bool
    progress: ProgressOut
    recoveries: int
    error: str | None
    error_class: str | None


@router.get("/{result_id}", response={200: TaskOut, **ERRORS})
def get_task(request: HttpRequest, result_id: str) -> dict[str, Any]:
    """One task: state READY, RUNNING, SUCCESSFUL or FAILED; progress; the error if it failed.
    Poll it while ``finished`` is false."""
    check_may_watch(caller(request))
    return selectors.status(result_id)
