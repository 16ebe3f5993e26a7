"""The tasks of the tasks app itself: running a periodic job."""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy

from liudong.tasks.decorators import task
from liudong.tasks.schedule import jobs


@task(label=gettext_lazy("定时任务"))
def run_periodic(name: str) -> Any:
    """Run the periodic job ``name`` (its target function, without arguments). Returns a
    JSON-able summary: the report's ``lines()`` if it has them, else the value itself."""
    declared = jobs()
    if name not in declared:
        raise LookupError(f"no periodic job is declared as {name!r}; known: {sorted(declared)}")
    value = import_string(declared[name].target)()
    lines = getattr(value, "lines", None)
    if callable(lines):
        return list(lines())
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
