"""The scheduler: enqueue each declared periodic job when it is due, exactly once.

Every worker ticks the scheduler. A tick ensures a :class:`ScheduledJob` row per declared job,
reads the due rows, and for each does, in one transaction, a compare-and-set
``UPDATE ... SET next_run = <following> WHERE name = <job> AND next_run = <the value read>``
and, only if that changed one row, enqueues the job's run. Two schedulers that read the same
due row both try; the database lets one update win (PostgreSQL re-checks the condition after
the row lock, SQLite serialises writers), the other updates nothing and enqueues nothing.

A run is skipped (the next one is scheduled as usual) while the job's previous run is still
queued or running, so a busy worker does not pile up sweeps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus

from liudong.tasks.models import ScheduledJob
from liudong.tasks.schedule import PeriodicJob, jobs

if TYPE_CHECKING:
    import datetime as dt

logger = logging.getLogger("liudong.tasks")


@dataclass(frozen=True)
class Enqueued:
    job: str
    result_id: str | None  # None: skipped, its previous run has not finished
    due: dt.datetime


def ensure_rows(declared: dict[str, PeriodicJob], now: dt.datetime) -> None:
    """Create the rows of jobs declared since the last tick (first run per the job)."""
    known = set(ScheduledJob.objects.filter(name__in=declared).values_list("name", flat=True))
    for name, job in declared.items():
        if name in known:
            continue
        try:
            with transaction.atomic():
                ScheduledJob.objects.create(name=name, next_run=job.first_run(now))
        except IntegrityError:
            pass  # another scheduler created it first


def due(now: dt.datetime, declared: dict[str, PeriodicJob]) -> list[ScheduledJob]:
    """The rows of declared jobs whose next run has come."""
    return list(
        ScheduledJob.objects.filter(name__in=declared, next_run__lte=now)
        .select_related("last_result")
        .order_by("next_run", "name")
    )


def enqueue_if_still_due(row: ScheduledJob, job: PeriodicJob, now: dt.datetime) -> Enqueued | None:
    """Compare-and-set the row from the ``next_run`` read to the following one and enqueue
    the run; None if another scheduler did it first."""
    from liudong.tasks.tasks import run_periodic

    following = job.next_run(row.next_run, now)
    with transaction.atomic():
        won = ScheduledJob.objects.filter(name=row.name, next_run=row.next_run).update(
            next_run=following, last_enqueued_at=now
        )
        if not won:
            return None
        previous = row.last_result
        if previous is not None and previous.status in {
            TaskResultStatus.READY,
            TaskResultStatus.RUNNING,
        }:
            return Enqueued(job.name, None, row.next_run)
        result = run_periodic.using(queue_name=job.queue_name).enqueue(job.name)
        ScheduledJob.objects.filter(name=row.name).update(last_result_id=result.id)
    return Enqueued(job.name, result.id, row.next_run)


def tick(now: dt.datetime | None = None) -> list[Enqueued]:
    """One scheduler pass: enqueue every due job once; returns what this pass enqueued."""
    now = now or timezone.now()
    declared = jobs()
    ensure_rows(declared, now)
    made = []
    for row in due(now, declared):
        enqueued = enqueue_if_still_due(row, declared[row.name], now)
        if enqueued is not None:
            made.append(enqueued)
            logger.info("periodic job %s due %s: %s", row.name, row.next_run, enqueued.result_id)
    return made
