"""Background tasks: django-tasks on its database backend (django-tasks-db), with what that
backend lacks built here: progress, a scheduler for periodic jobs, heart-beating workers and
recovery of a task whose worker died. ADR 0004 says why; docs/workflows.md how to use it.

A domain declares a task in its ``tasks.py`` and enqueues it (the arguments must be JSON)::

    from liudong.tasks import report_progress, task

    @task()
    def rank_round(round_id: int) -> None:
        for done, chunk in enumerate(chunks, 1):
            ...
            report_progress(done, len(chunks), message="ranking")

    result = rank_round.enqueue(round_id)   # result.id: /tasks/<id>/ shows its progress

``liudong worker`` (and ``liudong serve``) run the queue; ``run_pending()`` drains it in this
process (tests, ``liudong worker --once``).

This module imports no models, so that any app may import it while Django loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from liudong.tasks.decorators import task
from liudong.tasks.progress import report_progress
from liudong.tasks.schedule import PeriodicJob, periodic

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable

__all__ = ["PeriodicJob", "periodic", "report_progress", "run_pending", "status", "task"]


def run_pending(limit: int | None = None, *, queues: Iterable[str] | None = None) -> int:
    """Run queued tasks that are due, in this process, until none is left (or ``limit`` have
    run); returns how many ran. Tasks enqueued by a running task run too. A failing task is
    recorded as failed (see :func:`status`); it does not raise here."""
    from liudong.tasks.runner import run_pending as run

    return run(limit, queues=queues)


def status(result_id: str | uuid.UUID) -> dict[str, Any]:
    """The state of one task as a JSON-able dict (see ``liudong.tasks.selectors.status``);
    raises ``NotFoundError`` for an unknown id."""
    from liudong.tasks.selectors import status as of

    return of(result_id)
