"""Declaring a case type: its states, the transitions between them (who may make each, which
are checking steps, which need a written reason) and a statutory deadline per state.

Pure Python: no Django. A declaration is checked when it is made, so a mistake (a state no
transition reaches, a transition from a state that does not exist, two transitions with one
name, a deadline citing a document not in the catalogue) fails at import time with a message
naming it, never later on a case::

    DOCUMENT_REQUEST = CaseType(
        name="example.document_request",
        states=[
            State("submitted", "已提交", "submitted"),
            State("under_review", "审查中", "under review"),
            State("approved", "已批准", "approved", terminal=True),
            State("refused", "不予批准", "refused", terminal=True),
        ],
        transitions=[
            Transition("start_review", "submitted", "under_review", frozenset({"staff"})),
            Transition("approve", "under_review", "approved", frozenset({"supervisor"}),
                       checker=True),
            Transition("refuse", "under_review", "refused", frozenset({"supervisor"}),
                       checker=True, requires_reason=True),
        ],
        initial="submitted",
        deadlines={"under_review": StateDeadline(15, "MODEL 审查期限", "supervisor")},
    )
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from liudong.rules.citations import Cite
from liudong.rules.errors import CitationError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "CaseType",
    "State",
    "StateDeadline",
    "Transition",
    "WorkflowDefinitionError",
]

DEFAULT_OPENERS = frozenset({"citizen", "staff", "supervisor"})


class WorkflowDefinitionError(ValueError):
    """A case type declaration that cannot work; the message lists every problem found."""


@dataclass(frozen=True)
class State:
    name: str
    label_zh: str
    label_en: str
    terminal: bool = False

    def label(self, language: str | None = "zh-hans") -> str:
        """How messages name the state: its label in ``language`` (``已提交`` or
        ``submitted``), never the bare code a user cannot read."""
        return self.label_en if (language or "").lower().startswith("en") else self.label_zh


@dataclass(frozen=True)
class Transition:
    """A step from ``source`` to ``target`` that users with one of ``roles`` may make.

    A ``checker`` step checks the work of the case's last maker step (every step that is not a
    checking step is a maker step, opening the case included), so the user who made that step
    may not make this one. ``requires_reason``: the step needs a written reason (refusals).

    A ``system`` step is made by the platform itself when something happens elsewhere (an
    objection to a published list reopens the case; issuing the permits closes it), never by a
    user: it names no roles, is not a maker or checking step, and only
    ``do_system_transition`` makes it, while ``do_transition`` refuses it."""

    name: str
    source: str
    target: str
    roles: frozenset[str] = frozenset()
    checker: bool = False
    requires_reason: bool = False
    system: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))


@dataclass(frozen=True)
class StateDeadline:
    """A case must leave its state within ``working_days`` Chinese working days of entering it
    (the statutory clock of ``cite``, e.g. ``"PT09 第八条"``); past that, the sweep escalates
    it to ``escalate_to_role``."""

    working_days: int
    cite: str
    escalate_to_role: str

    @property
    def citation(self) -> Cite:
        return Cite.parse(self.cite, where="deadline")


@dataclass(frozen=True)
class CaseType:
    """A state machine for one kind of case. See the module docstring for an example.

    ``openers`` are the roles that may open a case of this type (default: citizens, for
    themselves, and caseworkers, in their jurisdiction; ``employer`` representatives may be
    added, and then open cases about their employer's current employees only)."""

    name: str
    states: Sequence[State]
    transitions: Sequence[Transition]
    initial: str
    deadlines: Mapping[str, StateDeadline] = field(default_factory=dict, hash=False)
    openers: frozenset[str] = DEFAULT_OPENERS

    def __post_init__(self) -> None:
        object.__setattr__(self, "states", tuple(self.states))
        object.__setattr__(self, "transitions", tuple(self.transitions))
        object.__setattr__(self, "deadlines", MappingProxyType(dict(self.deadlines)))
        object.__setattr__(self, "openers", frozenset(self.openers))
        problems = _problems(self)
        if problems:
            raise WorkflowDefinitionError(
                f"case type {self.name!r} cannot work:\n" + "\n".join(f"- {p}" for p in problems)
            )

    def state(self, name: str) -> State:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(f"case type {self.name!r} has no state {name!r}")

    def state_label(self, name: str, language: str | None = "zh-hans") -> str:
        """The label of state ``name`` in ``language``; a name the declaration no longer has
        (a state since removed) is shown as it is."""
        for state in self.states:
            if state.name == name:
                return state.label(language)
        return name

    def transition(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def system_steps(self) -> tuple[Transition, ...]:
        """The transitions the platform makes on events (``system=True``)."""
        return tuple(t for t in self.transitions if t.system)

    def allowed_from(self, state: str) -> tuple[Transition, ...]:
        """The transitions that leave ``state``, in declaration order."""
        return tuple(t for t in self.transitions if t.source == state)

    def roles(self) -> frozenset[str]:
        """Every role the declaration names (checked against the accounts' roles on register)."""
        named = set(self.openers) | {d.escalate_to_role for d in self.deadlines.values()}
        for transition in self.transitions:
            named |= transition.roles
        return frozenset(named)


# ---------------------------------------------------------------------------------------------
# Checks made at declaration.


def _problems(case_type: CaseType) -> list[str]:
    names = [s.name for s in case_type.states]
    known = set(names)
    problems = [f"state {n!r} is declared twice" for n in _twice(names)]
    problems += [
        f"transition {n!r} is declared twice" for n in _twice(_transition_names(case_type))
    ]
    if not case_type.name:
        problems.append("the case type needs a name, e.g. 'pension.transfer'")
    if case_type.initial not in known:
        problems.append(f"the initial state {case_type.initial!r} is not one of {names}")
    if not case_type.openers:
        problems.append("openers is empty: name the roles that may open a case")
    problems += _transition_problems(case_type, known)
    problems += _deadline_problems(case_type, known)
    if not problems:
        problems += _shape_problems(case_type)
    return problems


def _twice(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


def _transition_names(case_type: CaseType) -> list[str]:
    return [t.name for t in case_type.transitions]


def _transition_problems(case_type: CaseType, known: set[str]) -> list[str]:
    problems = []
    terminal = {s.name for s in case_type.states if s.terminal}
    for t in case_type.transitions:
        for end in ("source", "target"):
            if getattr(t, end) not in known:
                problems.append(
                    f"transition {t.name!r}: {end} {getattr(t, end)!r} is not a declared state"
                )
        if t.source in terminal:
            problems.append(f"transition {t.name!r} leaves {t.source!r}, a terminal state")
        if t.system:
            problems += _system_problems(t)
        elif not t.roles:
            problems.append(
                f"transition {t.name!r} names no role that may make it "
                "(or mark it system=True if the platform makes it on an event)"
            )
    return problems


def _system_problems(t: Transition) -> list[str]:
    problems = []
    if t.roles:
        problems.append(
            f"transition {t.name!r} is a system step: it may not also name roles "
            f"{sorted(t.roles)} (declare a separate user step instead)"
        )
    if t.checker:
        problems.append(
            f"transition {t.name!r} is a system step: it cannot be a checking step "
            "(no user makes it, so there is nobody to differ from the maker)"
        )
    return problems


def _deadline_problems(case_type: CaseType, known: set[str]) -> list[str]:
    problems = []
    terminal = {s.name for s in case_type.states if s.terminal}
    for state, deadline in case_type.deadlines.items():
        if state not in known:
            problems.append(f"a deadline is declared for {state!r}, which is not a state")
        elif state in terminal:
            problems.append(f"{state!r} is terminal: a deadline there could never be met")
        if deadline.working_days < 1:
            problems.append(f"the deadline of {state!r} must be at least 1 working day")
        try:
            deadline.citation  # noqa: B018  # parsing it checks the document key
        except CitationError as exc:
            problems.append(f"the deadline of {state!r}: {exc}")
    return problems


def _shape_problems(case_type: CaseType) -> list[str]:
    """Unreachable states and non-terminal dead ends (checked once the names are sound)."""
    reached, frontier = {case_type.initial}, [case_type.initial]
    while frontier:
        for t in case_type.allowed_from(frontier.pop()):
            if t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    problems = [
        f"state {s.name!r} cannot be reached from {case_type.initial!r}"
        for s in case_type.states
        if s.name not in reached
    ]
    problems += [
        f"state {s.name!r} is not terminal but no transition leaves it "
        "(mark it terminal=True or add a transition)"
        for s in case_type.states
        if not s.terminal and not case_type.allowed_from(s.name)
    ]
    return problems
