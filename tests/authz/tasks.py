"""Declared access of background tasks (/tasks/, /api/tasks/{id}): caseworkers, supervisors
and administrators; citizens, employers and auditors get a 403 with one ``denied`` audit
event, anonymous callers are sent to sign in (401 from the API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.authz import ANY, NONE, Endpoint, Target, allow

if TYPE_CHECKING:
    from tests.personas import World


def _tasks(world: World) -> list[Target]:
    """One finished task with progress: nobody's record (no person, no region)."""
    from django_tasks_db.models import DBTaskResult

    from liudong.tasks import run_pending
    from tests.tasks.jobs import count_to

    result = count_to.enqueue(3)
    run_pending()
    return [Target("a finished task", DBTaskResult.objects.get(pk=result.id))]


TARGETS = {"task": _tasks}

WATCHERS = {"staff": ANY, "supervisor": ANY, "admin": ANY}

ENDPOINTS: dict[str, Endpoint] = {
    "tasks:list": Endpoint(allow(staff=NONE, supervisor=NONE, admin=NONE)),
    "tasks:detail": Endpoint(
        allow(**WATCHERS), target="task", kwargs=lambda t: {"result_id": t.pk}
    ),
    "tasks_get_task": Endpoint(
        allow(**WATCHERS), target="task", kwargs=lambda t: {"result_id": t.pk}
    ),
}
