"""Tasks the tests enqueue (module level, as django-tasks requires)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liudong.tasks import report_progress, task

if TYPE_CHECKING:
    from django_tasks import TaskContext

CALLS: list[str] = []


@task()
def count_to(total: int, message: str = "counting") -> int:
    """Report progress once per unit of work; return the total."""
    for done in range(1, total + 1):
        report_progress(done, total, message=f"{message} {done}")
    return total


@task()
def fail_halfway(total: int) -> None:
    report_progress(total // 2, total, message="halfway")
    raise ValueError("the input file has no column id_number")


@task()
def remember(label: str) -> str:
    CALLS.append(label)
    return label


@task()
def spawn(n: int) -> int:
    """Enqueue ``n`` more tasks: run_pending runs them in the same call."""
    for i in range(n):
        remember.enqueue(f"child {i}")
    return n


SEEN_WHILE_RUNNING: list[dict[str, object]] = []


@task(takes_context=True)
def look_at_myself(context: TaskContext, total: int) -> None:
    """Report half the work, then read its own status as a page would."""
    from liudong.tasks import status

    report_progress(total // 2, total, message="half")
    SEEN_WHILE_RUNNING.append(status(context.task_result.id))


@task(takes_context=True)
def step_slowly(context: TaskContext, total: int, pause: float) -> dict[str, int]:
    """Sleep ``pause`` seconds per step, reporting progress after each; resume after the steps
    an earlier attempt reported (a worker restart test kills the first attempt midway).
    Returns where this attempt started and the total."""
    import time
    import uuid

    from liudong.tasks.models import TaskProgress

    own = uuid.UUID(str(context.task_result.id))
    earlier = TaskProgress.objects.filter(result_id=own).first()
    start = earlier.done if earlier is not None else 0
    for done in range(start + 1, total + 1):
        time.sleep(pause)
        report_progress(done, total, message=f"step {done} of {total}")
    return {"resumed_from": start, "total": total}
