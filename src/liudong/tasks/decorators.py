"""``@task``: django-tasks' decorator, on the database backend, with a registry of every task
declared (the pages name tasks by it; ``liudong worker`` imports each app's ``tasks.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Concatenate, Literal, TypeVar, overload

from django_tasks import task as django_task
from typing_extensions import ParamSpec

if TYPE_CHECKING:
    from collections.abc import Callable

    from django_tasks import TaskContext
    from django_tasks.base import Task

P = ParamSpec("P")
T = TypeVar("T")

REGISTRY: dict[str, Task[Any, Any]] = {}
"""Module path (``liudong.settlement.tasks.rank_round``) → the task, for every declared task."""


@overload
def task(function: Callable[P, T], /) -> Task[P, T]: ...


@overload
def task(
    *,
    priority: int = ...,
    queue_name: str = ...,
    backend: str = ...,
    takes_context: Literal[False] = False,
) -> Callable[[Callable[P, T]], Task[P, T]]: ...


@overload
def task(
    *,
    priority: int = ...,
    queue_name: str = ...,
    backend: str = ...,
    takes_context: Literal[True],
) -> Callable[[Callable[Concatenate[TaskContext, P], T]], Task[P, T]]: ...


def task(function: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Declare a background task: ``@task``, ``@task()`` or ``@task(priority=..., queue_name=...,
    takes_context=...)``, exactly as ``django_tasks.task``. The function must be defined at
    module level and take JSON-able arguments; it runs on the database backend (``TASKS`` in
    the settings) and may call :func:`liudong.tasks.report_progress`."""

    def declare(f: Callable[..., Any]) -> Task[Any, Any]:
        made: Task[Any, Any] = django_task(**options)(f)
        REGISTRY[made.module_path] = made
        return made

    return declare(function) if function is not None else declare
