"""What the pages, the API and the CLI show of tasks: one JSON-able dict per task."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from liudong.site.errors import NotFoundError
from liudong.tasks.decorators import label_of
from liudong.tasks.models import TaskProgress, Worker
from liudong.tasks.recovery import lease
from liudong.tasks.schedule import jobs

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable

    AnyResult = DBTaskResult[..., Any]

STATES = tuple(TaskResultStatus.values)
LIST_LIMIT = 100


def _parse(result_id: str | uuid.UUID) -> uuid.UUID:
    if isinstance(result_id, uuid.UUID):
        return result_id
    try:
        return uuid.UUID(str(result_id))
    except ValueError:
        raise NotFoundError(f"no task has the id {str(result_id)[:40]!r}") from None


def status(result_id: str | uuid.UUID, now: dt.datetime | None = None) -> dict[str, Any]:
    """One task: id, name, label (what people call it: the declared label, else the name),
    path, queue, state, times, attempts, worker (and whether it is
    alive), progress (done, total, percent, message) and, if it failed, the error line."""
    key = _parse(result_id)
    try:
        row = DBTaskResult.objects.get(pk=key)
    except (DBTaskResult.DoesNotExist, ValidationError):
        raise NotFoundError(f"no task has the id {key}") from None
    return describe([row], now)[0]


def recent(
    state: str | None = None, limit: int = LIST_LIMIT, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The newest tasks first (running and queued ones before finished ones of equal age)."""
    rows = DBTaskResult.objects.order_by("-enqueued_at")
    if state:
        rows = rows.filter(status=state)
    return describe(list(rows[: max(1, min(limit, 1000))]), now)


def describe(rows: Iterable[AnyResult], now: dt.datetime | None = None) -> list[dict[str, Any]]:
    rows = list(rows)
    now = now or timezone.now()
    progress = {p.result_id: p for p in TaskProgress.objects.filter(result__in=rows)}
    worker_ids = {r.worker_ids[-1] for r in rows if r.worker_ids}
    workers = {w.worker_id: w for w in Worker.objects.filter(worker_id__in=worker_ids)}
    cutoff = now - lease()
    return [_one(r, progress.get(r.id), workers, cutoff) for r in rows]


PERIODIC_PATH = "liudong.tasks.tasks.run_periodic"


def _label(row: AnyResult, name: str, args: list[Any]) -> str:
    """What people call the task: its declared label (a periodic job's label for a periodic
    run), else its name."""
    if row.task_path == PERIODIC_PATH and args:
        job = jobs().get(str(args[0]))
        return str(job.label) if job is not None and job.label else name
    return label_of(row.task_path) or name


def _one(
    row: AnyResult,
    progress: TaskProgress | None,
    workers: dict[str, Worker],
    cutoff: dt.datetime,
) -> dict[str, Any]:
    worker_id = row.worker_ids[-1] if row.worker_ids else None
    worker = workers.get(worker_id) if worker_id else None
    args = row.args_kwargs.get("args", []) if isinstance(row.args_kwargs, dict) else []
    name = row.task_name
    if row.task_path == PERIODIC_PATH and args:
        name = f"periodic: {args[0]}"
    return {
        "id": str(row.id),
        "name": name,
        "label": _label(row, name, args),
        "task_path": row.task_path,
        "queue": row.queue_name,
        "state": row.status,
        "finished": row.status in {TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED},
        "enqueued_at": row.enqueued_at,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "attempts": len(row.worker_ids),
        "worker": worker_id,
        "worker_alive": bool(
            worker is not None and worker.stopped_at is None and worker.last_seen >= cutoff
        ),
        "progress": {
            "done": progress.done if progress else 0,
            "total": progress.total if progress else 0,
            "percent": progress.percent if progress else None,
            "message": progress.message if progress else "",
            "updated_at": progress.updated_at if progress else None,
        },
        "recoveries": progress.recoveries if progress else 0,
        "error": _error_line(row) if row.status == TaskResultStatus.FAILED else None,
        "error_class": row.exception_class_path or None,
    }


def _error_line(row: AnyResult) -> str:
    """The last line of the traceback: ``ValueError: what went wrong``."""
    lines = [line for line in row.traceback.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else row.exception_class_path


def traceback(result_id: str | uuid.UUID) -> str:
    """The full traceback of a failed task (for the CLI; pages show only the last line)."""
    key = _parse(result_id)
    found = DBTaskResult.objects.filter(pk=key).values_list("traceback", flat=True).first()
    if found is None:
        raise NotFoundError(f"no task has the id {key}")
    return str(found)
