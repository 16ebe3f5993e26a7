"""``report_progress``: a running task says how far it has come.

The runner (:mod:`liudong.tasks.runner`) puts a :class:`Tracker` for the task it runs into a
context variable; :func:`report_progress` updates it and writes the ``TaskProgress`` row at
most every ``LIUDONG_TASKS_PROGRESS_SECONDS`` (0.5 s by default) and always at the end of
the work, so calling it for every row is cheap: one UPDATE by primary key at most twice a
second. Outside a running task it does nothing.

The row is written on the task's own database connection: inside an ``atomic()`` block the
progress becomes visible when the block commits. Long tasks commit per chunk anyway.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

if TYPE_CHECKING:
    import uuid

MESSAGE_LENGTH = 200
DEFAULT_INTERVAL_SECONDS = 0.5


@dataclass
class Tracker:
    """The progress of the task running in this context, and when it was last written."""

    result_id: uuid.UUID
    done: int = 0
    total: int = 0
    message: str = ""
    written_at: float | None = None
    unwritten: bool = False
    interval: float = field(
        default_factory=lambda: float(
            getattr(settings, "LIUDONG_TASKS_PROGRESS_SECONDS", DEFAULT_INTERVAL_SECONDS)
        )
    )

    def update(self, done: int, total: int, message: str) -> None:
        self.done, self.total, self.message = done, total, message[:MESSAGE_LENGTH]
        self.unwritten = True
        now = time.monotonic()
        finished = total > 0 and done >= total
        if self.written_at is None or finished or now - self.written_at >= self.interval:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        """Write the last reported progress if it has not been written yet."""
        if not self.unwritten:
            return
        from liudong.tasks.models import TaskProgress

        fields = {
            "done": self.done,
            "total": self.total,
            "message": self.message,
            "updated_at": timezone.now(),
        }
        if not TaskProgress.objects.filter(result_id=self.result_id).update(**fields):
            TaskProgress.objects.update_or_create(result_id=self.result_id, defaults=fields)
        self.written_at = time.monotonic() if now is None else now
        self.unwritten = False


_current: contextvars.ContextVar[Tracker | None] = contextvars.ContextVar(
    "liudong_task_progress", default=None
)


def report_progress(done: int, total: int, message: str = "") -> None:
    """Inside a running task: ``done`` of ``total`` units of work are finished (``message``
    says what is being done, at most 200 characters). Outside a task: nothing happens.

    Raises ``ValueError`` for negative numbers or ``done > total`` (a programming error)."""
    tracker = _current.get()
    if tracker is None:
        return
    if done < 0 or total < 0 or (total and done > total):
        raise ValueError(
            f"report_progress needs 0 <= done <= total, not done={done}, total={total}"
        )
    tracker.update(int(done), int(total), str(message))


def current() -> Tracker | None:
    """The tracker of the task running in this context, if any."""
    return _current.get()


def track(tracker: Tracker | None) -> contextvars.Token[Tracker | None]:
    return _current.set(tracker)


def untrack(token: contextvars.Token[Tracker | None]) -> None:
    _current.reset(token)
