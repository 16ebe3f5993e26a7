"""``@task``: django-tasks' decorator, on the database backend, with a registry of every task
declared (the pages name tasks by it; ``liudong worker`` imports each app's ``tasks.py``)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Concatenate, Literal, TypeVar, overload

from django_tasks import task as django_task
from typing_extensions import ParamSpec

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.utils.functional import Promise
    from django_tasks import TaskContext
    from django_tasks.base import Task

P = ParamSpec("P")
T = TypeVar("T")

REGISTRY: dict[str, Task[Any, Any]] = {}
"""Module path (``liudong.settlement.tasks.rank_round``) → the task, for every declared task."""

LABELS: dict[str, str | Promise] = {}
"""Module path → the task's label for people (``gettext_lazy("生成证明")``), where declared."""


@overload
def task(function: Callable[P, T], /) -> Task[P, T]: ...


@overload
def task(
    *,
    priority: int = ...,
    queue_name: str = ...,
    backend: str = ...,
    takes_context: Literal[False] = False,
    label: str | Promise | None = None,
) -> Callable[[Callable[P, T]], Task[P, T]]: ...


@overload
def task(
    *,
    priority: int = ...,
    queue_name: str = ...,
    backend: str = ...,
    takes_context: Literal[True],
    label: str | Promise | None = None,
) -> Callable[[Callable[Concatenate[TaskContext, P], T]], Task[P, T]]: ...


def task(function: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Declare a background task: ``@task``, ``@task()`` or ``@task(priority=..., queue_name=...,
    takes_context=...)``, exactly as ``django_tasks.task``, plus ``label=gettext_lazy("…")``:
    what the task pages and the CLI call it (else the function's name). The function must be
    defined at module level and take JSON-able arguments; it runs on the database backend
    (``TASKS`` in the settings) and may call :func:`liudong.tasks.report_progress`."""
    label = options.pop("label", None)

    def declare(f: Callable[..., Any]) -> Task[Any, Any]:
        made: Task[Any, Any] = django_task(**options)(f)
        REGISTRY[made.module_path] = made
        if label is not None:
            LABELS[made.module_path] = label
        return made

    return declare(function) if function is not None else declare


def label_of(task_path: str) -> str | None:
    """The label declared for the task at ``task_path`` (in the active language), or None.
    The task's module is imported first if it has not been (a page may show a task that this
    process never enqueued); a path that no longer imports has no label."""
    if task_path not in REGISTRY:
        module = task_path.rpartition(".")[0]
        try:
            importlib.import_module(module)
        except (ImportError, ValueError):
            return None
    label = LABELS.get(task_path)
    return None if label is None else str(label)
