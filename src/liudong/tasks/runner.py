"""Running queued tasks: claim one READY row, run it with progress tracking, record the
outcome. Shared by :func:`liudong.tasks.run_pending` and the worker loop.

Claiming follows django-tasks-db's own worker (``select_for_update(skip_locked=True)``; an
exclusive transaction on SQLite), so two workers never run one task; our worker additionally
records its id in the task's ``worker_ids`` (so ``attempts`` counts the claims) and keeps a
heartbeat, by which :mod:`liudong.tasks.recovery` notices when it died.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from typing import TYPE_CHECKING, Any

from django.core.exceptions import SuspiciousOperation
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django_tasks import TaskContext
from django_tasks.signals import task_finished, task_started
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from liudong.tasks import progress
from liudong.tasks.models import Worker

if TYPE_CHECKING:
    from collections.abc import Iterable

    AnyResult = DBTaskResult[..., Any]

logger = logging.getLogger("liudong.tasks")

ALL_QUEUES = "*"


def in_process_worker_id() -> str:
    """The worker id of ``run_pending`` called in this process and thread (≤ 64 chars)."""
    host = socket.gethostname()[:32]
    return f"inproc-{host}-{os.getpid()}-{threading.get_ident() % 100_000}"


def touch_worker(worker_id: str, queues: Iterable[str] = (ALL_QUEUES,)) -> None:
    """Create or renew the worker's row: it is alive now."""
    now = timezone.now()
    seen = Worker.objects.filter(worker_id=worker_id).update(last_seen=now, stopped_at=None)
    if not seen:
        Worker.objects.update_or_create(
            worker_id=worker_id,
            defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "queues": list(queues),
                "started_at": now,
                "last_seen": now,
                "stopped_at": None,
            },
        )


def claim_next(worker_id: str, queues: Iterable[str] | None = None) -> AnyResult | None:
    """Claim the next due READY task (highest priority, then oldest) for ``worker_id``."""
    names = [ALL_QUEUES] if queues is None else list(queues)
    ready = DBTaskResult.objects.ready()
    if ALL_QUEUES not in names:
        ready = ready.filter(queue_name__in=names)
    try:
        with exclusive_transaction(ready.db):
            found = ready.get_locked()
            if found is not None:
                found.claim(worker_id)
            return found
    except OperationalError as exc:
        if is_locked_database_exception(exc):
            return None  # another worker holds the queue: try again at the next tick
        raise


def run_claimed(db_result: AnyResult) -> None:
    """Run a claimed task to its end and record SUCCESSFUL (with the return value) or FAILED
    (with the exception); never raises, except KeyboardInterrupt/SystemExit after recording."""
    tracker = progress.Tracker(result_id=db_result.id)
    token = progress.track(tracker)
    try:
        task = db_result.task
        result = db_result.task_result
        backend = type(task.get_backend())
        task_started.send(sender=backend, task_result=result)
        with _savepoint_if_in_transaction():
            if task.takes_context:
                value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
            else:
                value = task.call(*result.args, **result.kwargs)
        tracker.flush()
        db_result.set_successful(value)
        task_finished.send(sender=backend, task_result=db_result.task_result)
    except BaseException as exc:
        _record_failure(db_result, tracker, exc)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
    finally:
        progress.untrack(token)


def _savepoint_if_in_transaction() -> contextlib.AbstractContextManager[object]:
    """Called inside a transaction (a test, or a task run by a task), the task runs in a
    savepoint, so that its failure leaves the transaction usable for recording it. A worker
    runs tasks outside any transaction: they commit as they go."""
    if connection.in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()


def _record_failure(db_result: AnyResult, tracker: progress.Tracker, exc: BaseException) -> None:
    tracker.unwritten = tracker.unwritten or tracker.written_at is not None  # rolled back?
    try:
        tracker.flush()
    except Exception:  # the failure matters more than its last progress
        logger.exception("task id=%s: could not write its last progress", db_result.id)
    db_result.set_failed(exc)
    try:
        sender = type(db_result.task.get_backend())
        finished = db_result.task_result
    except (ImportError, SuspiciousOperation):
        logger.exception("task id=%s failed and its function cannot be found", db_result.id)
    else:
        task_finished.send(sender=sender, task_result=finished)


def run_pending(
    limit: int | None = None,
    *,
    queues: Iterable[str] | None = None,
    worker_id: str | None = None,
    recover: bool = True,
) -> int:
    """Run due tasks until none is left or ``limit`` ran; returns how many ran.

    Without ``worker_id`` the tasks are claimed by this process's in-process worker, whose
    row is renewed before each task (no heartbeat thread: keep such calls to tasks shorter
    than the lease, as tests and ``--once`` runs do). First, tasks of dead workers are put
    back in the queue (``recover``)."""
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be None or at least 0, not {limit}")
    own = worker_id or in_process_worker_id()
    names = list(queues) if queues is not None else None
    if recover:
        from liudong.tasks.recovery import recover_stale

        recover_stale()
    ran = 0
    while limit is None or ran < limit:
        if worker_id is None:
            touch_worker(own, names or (ALL_QUEUES,))
        claimed = claim_next(own, names)
        if claimed is None:
            break
        run_claimed(claimed)
        ran += 1
    return ran
