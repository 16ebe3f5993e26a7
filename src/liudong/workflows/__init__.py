"""Workflows every domain uses: a state machine per case type (allowed transitions, who may
make them, maker is not checker), a deadline per state counted in Chinese working days, and a
periodic sweep that escalates overdue cases.

Declarations (pure, importable anywhere) are exported here; the writes are the actions in
``liudong.workflows.actions`` (``do_open_case``, ``do_transition``, ``do_system_transition``
for the steps declared ``system=True``, ``do_sweep_overdue``).
See docs/workflows.md.
"""

from liudong.workflows.definition import (
    CaseType,
    State,
    StateDeadline,
    Transition,
    WorkflowDefinitionError,
)
from liudong.workflows.registry import case_type, register, registered

__all__ = [
    "CaseType",
    "State",
    "StateDeadline",
    "Transition",
    "WorkflowDefinitionError",
    "case_type",
    "register",
    "registered",
]
