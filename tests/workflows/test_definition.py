"""Declaring case types: mistakes fail at declaration with a message naming them."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from liudong.workflows import (
    CaseType,
    State,
    StateDeadline,
    Transition,
    WorkflowDefinitionError,
    case_type,
    register,
)
from tests.workflows.example import DOCUMENT_REQUEST

STAFF = frozenset({"staff"})


def declare(**changes: Any) -> CaseType:
    """A small valid case type (a → b → done), with ``changes`` applied."""
    spec: dict[str, Any] = {
        "name": "test.small",
        "states": [
            State("a", "甲", "a"),
            State("b", "乙", "b"),
            State("done", "办结", "done", terminal=True),
        ],
        "transitions": [
            Transition("go", "a", "b", STAFF),
            Transition("finish", "b", "done", STAFF),
        ],
        "initial": "a",
        "deadlines": {"b": StateDeadline(10, "MODEL 测试", "supervisor")},
    }
    return CaseType(**{**spec, **changes})


def problems_of(**changes: Any) -> str:
    with pytest.raises(WorkflowDefinitionError) as refused:
        declare(**changes)
    return str(refused.value)


def test_the_example_declares_its_steps() -> None:
    assert DOCUMENT_REQUEST.initial == "submitted"
    assert [t.name for t in DOCUMENT_REQUEST.allowed_from("under_review")] == ["approve", "refuse"]
    assert DOCUMENT_REQUEST.deadlines["under_review"].citation.document == "MODEL"
    b = declare().state("b")
    assert (b.label(), b.label("en"), b.label("zh-hans")) == ("乙", b.label_en, "乙")


def test_transition_to_an_unknown_state_is_refused() -> None:
    message = problems_of(transitions=[Transition("go", "a", "c", STAFF)])
    assert "transition 'go': target 'c' is not a declared state" in message


def test_unknown_initial_state_is_refused() -> None:
    assert "the initial state 'start' is not one of ['a', 'b', 'done']" in problems_of(
        initial="start"
    )


def test_unreachable_state_is_refused() -> None:
    message = problems_of(
        transitions=[Transition("go", "a", "done", STAFF), Transition("on", "b", "done", STAFF)]
    )
    assert "state 'b' cannot be reached from 'a'" in message


def test_duplicate_transition_names_are_refused() -> None:
    message = problems_of(
        transitions=[Transition("go", "a", "b", STAFF), Transition("go", "b", "done", STAFF)]
    )
    assert "transition 'go' is declared twice" in message


def test_duplicate_states_are_refused() -> None:
    states = [State("a", "甲", "a"), State("a", "甲", "a"), State("b", "乙", "b")]
    assert "state 'a' is declared twice" in problems_of(states=states)


def test_a_non_terminal_dead_end_is_refused() -> None:
    message = problems_of(transitions=[Transition("go", "a", "b", STAFF)])
    assert "state 'b' is not terminal but no transition leaves it" in message


def test_a_transition_out_of_a_terminal_state_is_refused() -> None:
    message = problems_of(
        transitions=[
            Transition("go", "a", "b", STAFF),
            Transition("finish", "b", "done", STAFF),
            Transition("reopen", "done", "a", STAFF),
        ]
    )
    assert "transition 'reopen' leaves 'done', a terminal state" in message


def test_a_transition_without_roles_is_refused() -> None:
    message = problems_of(
        transitions=[
            Transition("go", "a", "b", frozenset()),
            Transition("finish", "b", "done", STAFF),
        ]
    )
    assert "transition 'go' names no role" in message


def test_bad_deadlines_are_refused_with_every_problem_listed() -> None:
    message = problems_of(
        deadlines={
            "x": StateDeadline(5, "MODEL 测试", "supervisor"),
            "done": StateDeadline(5, "MODEL 测试", "supervisor"),
            "b": StateDeadline(0, "NOSUCH 第一条", "supervisor"),
        }
    )
    assert "a deadline is declared for 'x', which is not a state" in message
    assert "'done' is terminal" in message
    assert "the deadline of 'b' must be at least 1 working day" in message
    assert "unknown document 'NOSUCH'" in message


def test_register_refuses_unknown_roles(db: None) -> None:
    odd = declare(
        name="test.odd_roles",
        transitions=[
            Transition("go", "a", "b", frozenset({"clerk"})),
            Transition("finish", "b", "done", STAFF),
        ],
    )
    with pytest.raises(WorkflowDefinitionError, match=r"unknown roles \['clerk'\]"):
        register(odd)


def test_register_refuses_a_second_declaration_under_a_taken_name(db: None) -> None:
    register(declare(name="test.taken"))
    register(declare(name="test.taken"))  # the same declaration again: harmless
    assert case_type("test.taken") == declare(name="test.taken")
    with pytest.raises(WorkflowDefinitionError, match="already registered"):
        register(
            declare(
                name="test.taken",
                initial="b",
                states=[
                    State("a", "甲", "a"),
                    State("b", "乙", "b"),
                    State("done", "办结", "done", terminal=True),
                ],
                transitions=[
                    Transition("finish", "b", "done", STAFF),
                    Transition("back", "b", "a", STAFF),
                    Transition("go", "a", "b", STAFF),
                ],
            )
        )


def test_an_unregistered_case_type_names_the_registered_ones() -> None:
    with pytest.raises(LookupError, match=r"no case type 'nope'.*example\.document_request"):
        case_type("nope")


def test_declarations_do_not_import_django() -> None:
    code = (
        "import sys, liudong.workflows.definition; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0  # noqa: S603


def test_the_public_api_is_locked() -> None:
    import liudong.workflows

    assert liudong.workflows.__all__ == [
        "CaseType",
        "State",
        "StateDeadline",
        "Transition",
        "WorkflowDefinitionError",
        "case_type",
        "register",
        "registered",
    ]
