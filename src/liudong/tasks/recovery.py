"""Recovery of tasks whose worker died.

django-tasks-db leaves a task RUNNING for ever when its worker dies. Our workers renew
``Worker.last_seen`` every ``LIUDONG_TASKS_HEARTBEAT_SECONDS``; a RUNNING task whose worker
(the last id in its ``worker_ids``) was not seen for ``LIUDONG_TASKS_LEASE_SECONDS`` (or has
no row, or said it stopped) lost its worker. It goes back to READY, to be claimed again (the
claim adds the new worker: ``attempts`` counts them), unless it has already been attempted
``LIUDONG_TASKS_MAX_ATTEMPTS`` times: then it is FAILED with ``WorkerLostError`` saying why.

Each change is a compare-and-set on (status RUNNING, the same ``started_at``), so two
workers recovering at once recover a task once, and a task that finished meanwhile is left
alone. A task may thus run more than once: tasks must be idempotent (see docs/workflows.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from liudong.tasks.models import TaskProgress, Worker

if TYPE_CHECKING:
    import uuid

logger = logging.getLogger("liudong.tasks")

DEFAULT_LEASE_SECONDS = 120
DEFAULT_MAX_ATTEMPTS = 3


class WorkerLostError(Exception):
    """The worker running the task stopped heart-beating, too often."""


@dataclass(frozen=True)
class Recovered:
    result_id: str
    worker_id: str
    attempts: int
    failed: bool  # True: given up after the last attempt; False: back in the queue
    reason: str


def lease() -> dt.timedelta:
    return dt.timedelta(
        seconds=getattr(settings, "LIUDONG_TASKS_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
    )


def max_attempts() -> int:
    return int(getattr(settings, "LIUDONG_TASKS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def recover_stale(
    now: dt.datetime | None = None,
    *,
    lease_for: dt.timedelta | None = None,
    attempts_allowed: int | None = None,
) -> list[Recovered]:
    """Put back (or fail) every RUNNING task whose worker's lease expired; returns them."""
    now = now or timezone.now()
    cutoff = now - (lease_for if lease_for is not None else lease())
    allowed = attempts_allowed if attempts_allowed is not None else max_attempts()
    running = list(
        DBTaskResult.objects.running().values_list("id", "worker_ids", "started_at", "task_path")
    )
    if not running:
        return []
    worker_ids = {ids[-1] for _, ids, _, _ in running if ids}
    workers = {w.worker_id: w for w in Worker.objects.filter(worker_id__in=worker_ids)}
    recovered = []
    for result_id, ids, started_at, task_path in running:
        worker_id = ids[-1] if ids else ""
        reason = _why_dead(workers.get(worker_id), worker_id, started_at, cutoff)
        if reason is None:
            continue
        done = _recover_one(result_id, started_at, len(ids), allowed, worker_id, reason, now)
        if done is not None:
            logger.warning(
                "task id=%s path=%s: %s; %s",
                result_id,
                task_path,
                reason,
                "failed" if done.failed else "queued again",
            )
            recovered.append(done)
    return recovered


def _why_dead(
    worker: Worker | None, worker_id: str, started_at: dt.datetime | None, cutoff: dt.datetime
) -> str | None:
    if worker is None:
        if started_at is not None and started_at >= cutoff:
            return None  # claimed moments ago by a worker that registers on its first beat
        return f"worker {worker_id or '?'} is unknown (no heartbeat since the task started)"
    if worker.stopped_at is not None:
        return f"worker {worker_id} stopped at {worker.stopped_at.isoformat()} while running it"
    if worker.last_seen < cutoff:
        return f"worker {worker_id} last seen {worker.last_seen.isoformat()}: lease expired"
    return None


def _recover_one(
    result_id: uuid.UUID,
    started_at: dt.datetime | None,
    attempts: int,
    allowed: int,
    worker_id: str,
    reason: str,
    now: dt.datetime,
) -> Recovered | None:
    give_up = attempts >= allowed
    with transaction.atomic():
        same = DBTaskResult.objects.filter(
            pk=result_id, status=TaskResultStatus.RUNNING, started_at=started_at
        )
        if give_up:
            message = (
                f"{reason}; gave up after {attempts} attempt(s) "
                f"(LIUDONG_TASKS_MAX_ATTEMPTS={allowed})"
            )
            changed = same.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                return_value=None,
                exception_class_path=f"{__name__}.{WorkerLostError.__qualname__}",
                traceback=f"{__name__}.{WorkerLostError.__qualname__}: {message}\n",
            )
        else:
            changed = same.update(status=TaskResultStatus.READY)
        if not changed:
            return None  # finished, or recovered by another worker, meanwhile
        note = f"{now.isoformat()} attempt {attempts}: {reason}\n"
        row, _ = TaskProgress.objects.get_or_create(result_id=result_id)
        row.recoveries += 1
        row.recovery_note = (row.recovery_note + note)[-4000:]
        row.save(update_fields=["recoveries", "recovery_note"])
    return Recovered(str(result_id), worker_id, attempts, give_up, reason)
