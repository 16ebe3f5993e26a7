"""Periodic jobs, declared in code: a name, when (every interval, or daily at a local time)
and the dotted path of a function that takes no arguments.

The built-in jobs are in :data:`BUILTIN`; a domain declares its own in its ``tasks.py`` with
:func:`periodic` (the scheduler imports every installed app's ``tasks`` module first)::

    periodic("settlement.close_rounds", "liudong.settlement.actions.do_close_due_rounds",
             every=dt.timedelta(hours=1))

The scheduler (:mod:`liudong.tasks.scheduler`) keeps one row per job with its next run and
enqueues a due job exactly once, however many workers tick at the same moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.utils.functional import Promise

NAME_LENGTH = 100


@dataclass(frozen=True)
class PeriodicJob:
    """``every`` or ``daily_at`` (a local time in ``TIME_ZONE``), exactly one of them.
    ``label`` is what the task pages call a run of it (``gettext_lazy``; not compared)."""

    name: str
    target: str  # dotted path of a function without arguments
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None
    queue_name: str = "default"
    description: str = ""
    label: str | Promise = field(default="", compare=False)

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"periodic job {self.name!r}: give either every= or daily_at=")
        if self.every is not None and self.every <= dt.timedelta(0):
            raise ValueError(f"periodic job {self.name!r}: every= must be positive")
        if not self.name or len(self.name) > NAME_LENGTH:
            raise ValueError(f"periodic job name must be 1 to {NAME_LENGTH} characters")
        if "." not in self.target:
            raise ValueError(f"periodic job {self.name!r}: target must be a dotted path")

    def first_run(self, now: dt.datetime) -> dt.datetime:
        """When a job never run before first runs: at once for an interval, else next time."""
        return now if self.daily_at is None else _next_daily(self.daily_at, now)

    def next_run(self, due: dt.datetime, now: dt.datetime) -> dt.datetime:
        """The run after the one due at ``due`` and enqueued at ``now``: one interval later,
        or one interval after now when the worker was away for longer (no catch-up burst)."""
        if self.daily_at is not None:
            return _next_daily(self.daily_at, now)
        every = self.every or dt.timedelta(0)
        following = due + every
        return following if following > now else now + every

    @property
    def when(self) -> str:
        if self.daily_at is not None:
            return f"daily at {self.daily_at.strftime('%H:%M')} ({settings.TIME_ZONE})"
        return f"every {int((self.every or dt.timedelta(0)).total_seconds())} s"


def _next_daily(at: dt.time, now: dt.datetime) -> dt.datetime:
    """The first ``at`` (local time in ``TIME_ZONE``) strictly after ``now``."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    candidate = dt.datetime.combine(local.date(), at, tzinfo=zone)
    if candidate <= local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), at, tzinfo=zone)
    return candidate.astimezone(dt.UTC)


BUILTIN: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        "audit.seal",
        "liudong.audit.chain.seal",
        every=dt.timedelta(minutes=1),
        description="seal new audit events into signed checkpoints (GB/T 22239 8.1.4.3 d)",
        label=gettext_lazy("封存审计记录"),
    ),
    PeriodicJob(
        "workflows.sweep_overdue",
        "liudong.workflows.actions.do_sweep_overdue",
        every=dt.timedelta(minutes=5),
        description="escalate workflow cases past their statutory deadline",
        label=gettext_lazy("检查逾期案件"),
    ),
    PeriodicJob(
        "site.purge_idempotency",
        "liudong.site.idempotency.purge",
        daily_at=dt.time(3, 30),
        description="delete idempotency records older than their 24-hour retention",
        label=gettext_lazy("清理重复提交记录"),
    ),
    PeriodicJob(
        "tasks.prune",
        "liudong.tasks.maintenance.prune_finished",
        daily_at=dt.time(3, 40),
        description="delete finished tasks past their retention (periodic runs 7 days)",
        label=gettext_lazy("清理已结束的任务"),
    ),
)

_declared: dict[str, PeriodicJob] = {job.name: job for job in BUILTIN}


def periodic(
    name: str,
    target: str,
    *,
    every: dt.timedelta | None = None,
    daily_at: dt.time | None = None,
    queue_name: str = "default",
    description: str = "",
    label: str | Promise = "",
) -> PeriodicJob:
    """Declare a periodic job (call it at import time of the app's ``tasks.py``). Declaring
    the same name twice with different settings is an error."""
    job = PeriodicJob(name, target, every, daily_at, queue_name, description, label)
    known = _declared.get(name)
    if known is not None and known != job:
        raise ValueError(f"periodic job {name!r} is already declared differently: {known}")
    if known is not None and not label:
        return known  # the same job again, without a label: keep the one declared first
    _declared[name] = job
    return job


def jobs() -> dict[str, PeriodicJob]:
    """Every declared job, after importing each installed app's ``tasks`` module."""
    autodiscover_modules("tasks")
    return dict(_declared)
