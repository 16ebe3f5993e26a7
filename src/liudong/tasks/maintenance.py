"""Keeping the task table small: finished tasks are deleted after a while (their progress rows
go with them). Periodic runs (one audit seal a minute) are kept 7 days, other tasks 30
(``LIUDONG_TASKS_KEEP_DAYS``); queued and running tasks are never deleted."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

PERIODIC_PATH = "liudong.tasks.tasks.run_periodic"
PERIODIC_KEEP_DAYS = 7
DEFAULT_KEEP_DAYS = 30


def prune_finished(now: dt.datetime | None = None) -> int:
    """Delete finished tasks past their retention; returns how many."""
    now = now or timezone.now()
    keep = dt.timedelta(days=getattr(settings, "LIUDONG_TASKS_KEEP_DAYS", DEFAULT_KEEP_DAYS))
    finished = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
    )
    periodic, _ = finished.filter(
        task_path=PERIODIC_PATH, finished_at__lt=now - dt.timedelta(days=PERIODIC_KEEP_DAYS)
    ).delete()
    other, _ = finished.filter(finished_at__lt=now - keep).delete()
    return periodic + other
