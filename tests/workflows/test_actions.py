"""Opening cases and moving them along: who may make which step, in which order, with which
reason; deadlines counted in Chinese working days; history rows and audit events."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
import time_machine

from liudong.audit.models import AuditEvent
from liudong.site.errors import AccessDeniedError, ActionError, ConflictError, InvalidInputError
from liudong.workdays import add_working_days
from liudong.workflows.actions import do_open_case, do_transition, today_local
from liudong.workflows.models import Case, CaseTransition
from tests.personas import CHAOYANG
from tests.workflows.helpers import EXAMPLE, at, open_case, second_supervisor, under_review

if TYPE_CHECKING:
    from tests.personas import World

pytestmark = pytest.mark.django_db


def refusals(code: str) -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.exclude(outcome="ok") if e.detail.get("code") == code]


# ---------------------------------------------------------------------------------------------
# Opening.


def test_a_case_opens_in_its_initial_state_with_history_and_audit(world: World) -> None:
    case = open_case(world)
    assert (case.state, case.version, case.subject_id) == ("submitted", 1, world.migrant.pk)
    assert case.deadline == add_working_days(today_local(), 5).date
    opened = CaseTransition.objects.get(case=case)
    assert (opened.name, opened.source, opened.target, opened.maker) == (
        "open",
        "",
        "submitted",
        True,
    )
    assert opened.actor_id == world.henan_migrant.pk
    event = AuditEvent.objects.get(action="workflows.open_case")
    assert (event.object_type, event.object_id) == ("workflows.case", str(case.pk))
    assert event.detail["case_type"] == EXAMPLE


def test_a_citizen_may_not_open_a_case_about_someone_else(world: World) -> None:
    with pytest.raises(AccessDeniedError) as refused:
        do_open_case(world.henan_migrant, EXAMPLE, CHAOYANG, world.neighbour)
    assert refused.value.code == "outside_jurisdiction"
    assert not Case.objects.exists()


def test_an_officer_of_another_city_may_not_open_a_beijing_case(world: World) -> None:
    with pytest.raises(AccessDeniedError) as refused:
        do_open_case(world.shanghai_officer, EXAMPLE, CHAOYANG, world.migrant)
    assert refused.value.code == "outside_jurisdiction"
    assert len(refusals("outside_jurisdiction")) == 1


@pytest.mark.parametrize("persona", ["auditor", "admin"])
def test_roles_that_are_not_openers_may_not_open(world: World, persona: str) -> None:
    with pytest.raises(AccessDeniedError) as refused:
        do_open_case(world.persona(persona), EXAMPLE, CHAOYANG)
    assert refused.value.code == "role_not_allowed"


def test_an_unknown_case_type_is_refused(world: World) -> None:
    with pytest.raises(InvalidInputError) as refused:
        do_open_case(world.beijing_caseworker, "example.nothing", CHAOYANG)
    assert (refused.value.code, refused.value.field) == ("unknown_case_type", "case_type")


# ---------------------------------------------------------------------------------------------
# Transitions: order, roles, maker and checker, reasons.


def test_a_full_run_writes_history_rows_and_audit_events(world: World) -> None:
    case = under_review(world)
    do_transition(world.beijing_supervisor, case, "approve")
    case.refresh_from_db()
    assert (case.state, case.version, case.deadline) == ("approved", 3, None)
    history = list(CaseTransition.objects.filter(case=case).values_list("name", "actor", "maker"))
    assert history == [
        ("open", world.henan_migrant.pk, True),
        ("start_review", world.beijing_caseworker.pk, True),
        ("approve", world.beijing_supervisor.pk, False),
    ]
    events = AuditEvent.objects.filter(action="workflows.transition", object_id=str(case.pk))
    assert [(e.actor, e.detail["source"], e.detail["target"]) for e in events] == [
        ("beijing_caseworker", "submitted", "under_review"),
        ("beijing_supervisor", "under_review", "approved"),
    ]


def test_a_transition_out_of_order_is_refused_naming_the_state_and_the_allowed_steps(
    world: World,
) -> None:
    case = open_case(world)
    with pytest.raises(InvalidInputError) as refused:
        do_transition(world.beijing_supervisor, case, "approve")
    assert refused.value.code == "transition_not_allowed"
    assert "“已提交”" in refused.value.message
    assert "（submitted）" not in refused.value.message  # the state's label, not its code
    assert "start_review" in refused.value.message
    assert "withdraw" in refused.value.message
    case.refresh_from_db()
    assert (case.state, case.version) == ("submitted", 1)
    [event] = refusals("transition_not_allowed")
    assert (event.action, event.outcome, event.object_id) == (
        "workflows.transition",
        "rejected",
        str(case.pk),
    )


def test_a_closed_case_refuses_every_step(world: World) -> None:
    case = under_review(world)
    do_transition(world.beijing_supervisor, case, "approve")
    with pytest.raises(InvalidInputError) as refused:
        do_transition(world.beijing_supervisor, case, "refuse", reason="重复办理")
    assert refused.value.code == "transition_not_allowed"
    assert "已经办结" in refused.value.message


@pytest.mark.parametrize(
    ("persona", "step"),
    [
        ("henan_migrant", "start_review"),  # her own case, but reviewing is for caseworkers
        ("beijing_caseworker", "withdraw"),  # only the applicant withdraws
    ],
)
def test_a_transition_by_the_wrong_role_is_refused(world: World, persona: str, step: str) -> None:
    case = open_case(world)
    with pytest.raises(AccessDeniedError) as refused:
        do_transition(world.persona(persona), case, step)
    assert (refused.value.status, refused.value.code) == (403, "role_not_allowed")
    assert CaseTransition.objects.filter(case=case).count() == 1


def test_a_caseworker_may_not_approve(world: World) -> None:
    case = under_review(world)
    with pytest.raises(AccessDeniedError) as refused:
        do_transition(world.beijing_caseworker, case, "approve")
    assert refused.value.code == "role_not_allowed"
    assert "审核人员" in refused.value.message


@pytest.mark.parametrize("persona", ["shanghai_officer", "other_citizen", "auditor"])
def test_users_without_the_case_in_scope_are_refused(world: World, persona: str) -> None:
    case = open_case(world)
    with pytest.raises(AccessDeniedError) as refused:
        do_transition(world.persona(persona), case, "start_review")
    assert refused.value.code == "outside_jurisdiction"


def test_an_unknown_step_is_refused_listing_the_steps(world: World) -> None:
    with pytest.raises(InvalidInputError) as refused:
        do_transition(world.beijing_caseworker, open_case(world), "rubber_stamp")
    assert refused.value.code == "unknown_transition"
    assert "start_review, withdraw, approve, refuse" in refused.value.message


def test_the_maker_may_not_check_her_own_step(world: World) -> None:
    case = do_transition(world.beijing_supervisor, open_case(world), "start_review")
    with pytest.raises(AccessDeniedError) as refused:
        do_transition(world.beijing_supervisor, case, "approve")
    assert (refused.value.status, refused.value.code) == (403, "maker_is_checker")
    assert "“审查中”" in refused.value.message  # the state her step reached, in words
    assert "start_review" not in refused.value.message
    do_transition(second_supervisor(world), case, "approve")
    assert case.state == "approved"


def test_the_opener_may_not_check_when_no_later_maker_step(world: World) -> None:
    supervisor = world.beijing_supervisor
    case = do_open_case(supervisor, EXAMPLE, CHAOYANG, world.migrant)
    do_transition(world.beijing_caseworker, case, "start_review")
    do_transition(supervisor, case, "approve")  # the last maker is the caseworker
    assert case.state == "approved"


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_refusal_without_a_reason_is_refused(world: World, reason: str) -> None:
    case = under_review(world)
    with pytest.raises(InvalidInputError) as refused:
        do_transition(world.beijing_supervisor, case, "refuse", reason=reason)
    assert (refused.value.code, refused.value.field) == ("reason_required", "reason")
    case.refresh_from_db()
    assert case.state == "under_review"


def test_a_refusal_keeps_its_written_reason(world: World) -> None:
    case = under_review(world)
    do_transition(world.beijing_supervisor, case, "refuse", reason="  档案不在本机构保管  ")
    last = CaseTransition.objects.filter(case=case).last()
    assert last is not None
    assert (last.name, last.reason, last.target) == ("refuse", "档案不在本机构保管", "refused")


def test_a_reason_too_long_is_refused(world: World) -> None:
    with pytest.raises(InvalidInputError) as refused:
        do_transition(world.beijing_supervisor, under_review(world), "refuse", reason="理" * 2001)
    assert (refused.value.code, refused.value.field) == ("too_long", "reason")


def test_anonymous_users_are_refused(world: World) -> None:
    with pytest.raises(ActionError) as refused:
        do_transition(None, open_case(world), "start_review")
    assert refused.value.status == 401


def test_a_stale_case_is_refused_with_409(world: World) -> None:
    case = under_review(world)
    stale = Case.objects.get(pk=case.pk)
    do_transition(world.beijing_supervisor, case, "approve")
    with pytest.raises(ConflictError) as refused:
        do_transition(second_supervisor(world), stale, "refuse", reason="材料不全")
    assert (refused.value.status, refused.value.code) == (409, "case_changed")
    assert CaseTransition.objects.filter(case=case, name="refuse").count() == 0


# ---------------------------------------------------------------------------------------------
# Deadlines in working days.


def deadline_after_review(world: World, now: dt.datetime) -> Case:
    with time_machine.travel(now, tick=False):
        return under_review(world)


def weekdays_only(start: dt.date, n: int) -> dt.date:
    day = start
    while n:
        day += dt.timedelta(days=1)
        n -= day.weekday() < 5  # Monday to Friday
    return day


def test_the_deadline_counts_working_days_across_the_2026_spring_festival(world: World) -> None:
    start = dt.date(2026, 2, 10)
    case = deadline_after_review(world, at(start))
    expected = add_working_days(start, 15)
    assert (case.deadline, case.deadline_provisional) == (expected.date, False)
    # the holiday (15–23 Feb) does not count, the make-up Saturdays (14 and 28 Feb) do
    assert case.deadline == dt.date(2026, 3, 9)
    assert case.deadline > weekdays_only(start, 15)
    case.refresh_from_db()
    assert case.deadline == expected.date


def test_a_deadline_running_into_2027_is_provisional(world: World) -> None:
    start = dt.date(2026, 12, 21)
    case = deadline_after_review(world, at(start))
    expected = add_working_days(start, 15)
    assert expected.provisional
    assert 2027 in expected.years_without_arrangement
    case.refresh_from_db()
    assert (case.deadline, case.deadline_provisional) == (expected.date, True)
    event = AuditEvent.objects.get(action="workflows.transition")
    assert event.detail["deadline_provisional"] is True


def test_the_clock_starts_on_the_date_in_china(world: World) -> None:
    late_utc = dt.datetime(2026, 3, 2, 17, 30, tzinfo=dt.UTC)  # already 3 March in Beijing
    case = deadline_after_review(world, late_utc)
    assert case.deadline == add_working_days(dt.date(2026, 3, 3), 15).date


def test_a_case_type_with_no_deadline_for_the_state_clears_it(world: World) -> None:
    case = under_review(world)
    assert case.deadline is not None
    do_transition(world.henan_migrant, open_case(world), "withdraw")
    withdrawn = Case.objects.get(state="withdrawn")
    assert (withdrawn.deadline, withdrawn.deadline_provisional) == (None, False)
