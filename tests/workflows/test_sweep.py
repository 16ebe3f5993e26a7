"""The sweep escalates exactly the cases past their deadline, once per state, and says so in
the history, the audit trail and on the command line."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
import time_machine
from typer.testing import CliRunner

from liudong.audit.models import AuditEvent
from liudong.cli import app
from liudong.workflows.actions import do_open_case, do_sweep_overdue, do_transition
from liudong.workflows.models import Case, CaseTransition
from tests.personas import CHAOYANG
from tests.workflows.helpers import EXAMPLE, at, open_case, under_review

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.personas import World

pytestmark = pytest.mark.django_db

OPENED = dt.date(2026, 4, 7)  # a Tuesday, after the Qingming holiday (4–6 April)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(at(OPENED), tick=False) as traveller:
        yield traveller


def move_to(clock: time_machine.Traveller, day: dt.date) -> None:
    clock.move_to(at(day))


def escalations() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="workflows.escalate"))


def three_cases(world: World) -> tuple[Case, Case, Case]:
    """One waiting for review (5 working days), one under review (15), one closed."""
    waiting = open_case(world)
    reviewing = under_review(world)
    closed = do_transition(world.beijing_supervisor, under_review(world), "approve")
    return waiting, reviewing, closed


def test_the_sweep_escalates_exactly_the_overdue_cases_once(
    world: World, clock: time_machine.Traveller
) -> None:
    waiting, reviewing, closed = three_cases(world)
    assert waiting.deadline is not None
    assert reviewing.deadline is not None
    assert waiting.deadline < reviewing.deadline
    assert closed.deadline is None

    move_to(clock, waiting.deadline)  # the last day is still in time
    assert do_sweep_overdue().count == 0

    move_to(clock, waiting.deadline + dt.timedelta(days=1))
    report = do_sweep_overdue()
    assert [e.case_id for e in report.escalated] == [waiting.pk]
    assert report.escalated[0].escalate_to_role == "supervisor"
    assert do_sweep_overdue().count == 0  # idempotent
    assert len(escalations()) == 1

    move_to(clock, reviewing.deadline + dt.timedelta(days=1))
    assert [e.case_id for e in do_sweep_overdue().escalated] == [reviewing.pk]
    assert do_sweep_overdue().count == 0
    assert {e.object_id for e in escalations()} == {str(waiting.pk), str(reviewing.pk)}


def test_an_escalation_leaves_a_history_row_and_an_audit_event(
    world: World, clock: time_machine.Traveller
) -> None:
    case = open_case(world)
    assert case.deadline is not None
    move_to(clock, case.deadline + dt.timedelta(days=3))
    do_sweep_overdue()
    case.refresh_from_db()
    assert case.escalated_at == at(case.deadline + dt.timedelta(days=3))
    assert case.version == 1  # escalating is not a step: it does not stale anyone's view
    row = CaseTransition.objects.filter(case=case).last()
    assert row is not None
    assert (row.name, row.source, row.target, row.actor_id, row.maker) == (
        "escalate",
        "submitted",
        "submitted",
        None,
        False,
    )
    [event] = escalations()
    assert event.actor == ""
    assert event.detail == {
        "case_type": EXAMPLE,
        "state": "submitted",
        "deadline": case.deadline.isoformat(),
        "escalate_to_role": "supervisor",
        "cite": "MODEL 示例：收到申请后五个工作日内受理",
    }


def test_the_next_step_clears_the_escalation_and_starts_a_new_clock(
    world: World, clock: time_machine.Traveller
) -> None:
    case = open_case(world)
    assert case.deadline is not None
    late = case.deadline + dt.timedelta(days=1)
    move_to(clock, late)
    do_sweep_overdue()
    do_transition(world.beijing_caseworker, Case.objects.get(pk=case.pk), "start_review")
    case.refresh_from_db()
    assert case.escalated_at is None
    assert case.deadline is not None
    assert case.deadline > late
    assert do_sweep_overdue().count == 0
    move_to(clock, case.deadline + dt.timedelta(days=1))
    assert [e.state for e in do_sweep_overdue().escalated] == ["under_review"]


def test_a_sweep_with_an_explicit_time_uses_the_date_in_china(world: World) -> None:
    with time_machine.travel(at(OPENED), tick=False):
        case = open_case(world)
    assert case.deadline is not None
    next_day_in_china = dt.datetime.combine(case.deadline, dt.time(16, 30), tzinfo=dt.UTC)
    report = do_sweep_overdue(now=next_day_in_china)
    assert report.today == case.deadline + dt.timedelta(days=1)
    assert report.count == 1


def test_cases_of_unregistered_types_are_reported_not_escalated(world: World) -> None:
    with time_machine.travel(at(OPENED), tick=False):
        case = do_open_case(world.beijing_caseworker, EXAMPLE, CHAOYANG)
    Case.objects.filter(pk=case.pk).update(case_type="retired.type")
    report = do_sweep_overdue(now=at(OPENED + dt.timedelta(days=60)))
    assert (report.count, report.skipped) == (0, (case.pk,))
    assert "skipped 1 overdue case(s)" in report.lines()[-1]


def test_the_command_line_sweep_prints_the_report(
    world: World, clock: time_machine.Traveller
) -> None:
    case = open_case(world)
    assert case.deadline is not None
    move_to(clock, case.deadline + dt.timedelta(days=1))
    result = CliRunner().invoke(app, ["workflows", "sweep"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{case.deadline + dt.timedelta(days=1)}: escalated 1 overdue case(s)"
    assert f"case {case.pk} {EXAMPLE} in submitted, due {case.deadline}" in lines[1]
    assert (
        CliRunner()
        .invoke(app, ["workflows", "sweep"])
        .output.startswith(f"{case.deadline + dt.timedelta(days=1)}: escalated 0")
    )
