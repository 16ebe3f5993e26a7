"""System steps (made by the platform on an event, never by a user) and employers as openers.

The example declares ``forward`` (submitted → forwarded) as a system step and lets employer
representatives open a request for a current employee of their employer."""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.db import connection, transaction

from liudong.accounts.models import Role
from liudong.audit.models import AuditEvent
from liudong.site.errors import AccessDeniedError, ConflictError, InvalidInputError, NotFoundError
from liudong.workdays import add_working_days
from liudong.workflows import CaseType, State, StateDeadline, Transition, register
from liudong.workflows.access import cases_for
from liudong.workflows.actions import cause_of, do_open_case, do_system_transition, do_transition
from liudong.workflows.definition import WorkflowDefinitionError
from liudong.workflows.models import Case, CaseTransition
from tests.factories import EmploymentFactory, UserFactory
from tests.personas import CHAOYANG, HAIDIAN
from tests.workflows.helpers import EXAMPLE, at, open_case, under_review

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from tests.personas import World

FORWARDED_BECAUSE = "people.person:1"


def forward(case: Case, caused_by: str = FORWARDED_BECAUSE) -> Case:
    return do_system_transition(
        case, "forward", reason="档案已于当日转至海淀区人才服务中心", caused_by=caused_by
    )


# ---------------------------------------------------------------------------------------------
# Declaring.


def test_a_system_step_names_no_roles_and_is_listed() -> None:
    from tests.workflows.example import DOCUMENT_REQUEST

    assert [t.name for t in DOCUMENT_REQUEST.system_steps()] == ["forward"]
    assert "system" not in DOCUMENT_REQUEST.roles()


def declare_with(*extra: Transition) -> CaseType:
    return CaseType(
        name="test.system",
        states=[State("a", "甲", "a"), State("b", "乙", "b", terminal=True)],
        transitions=[Transition("go", "a", "b", frozenset({"staff"})), *extra],
        initial="a",
    )


def test_a_system_step_that_also_names_roles_or_checks_is_refused() -> None:
    with pytest.raises(WorkflowDefinitionError) as refused:
        declare_with(
            Transition("auto", "a", "b", frozenset({"supervisor"}), system=True),
            Transition("auto_check", "a", "b", checker=True, system=True),
        )
    message = str(refused.value)
    assert "'auto' is a system step: it may not also name roles ['supervisor']" in message
    assert "'auto_check' is a system step: it cannot be a checking step" in message


def test_a_user_step_without_roles_points_to_system_steps() -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"names no role.*system=True"):
        declare_with(Transition("auto", "a", "b"))


# ---------------------------------------------------------------------------------------------
# Making a system step.


def test_a_system_step_moves_the_case_with_its_cause_and_no_actor(world: World) -> None:
    case = open_case(world)
    forward(case)
    assert (case.state, case.version, case.deadline, case.escalated_at) == (
        "forwarded",
        2,
        None,
        None,
    )
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.version) == ("forwarded", 2)
    step = CaseTransition.objects.get(case=case, name="forward")
    assert (step.source, step.target, step.actor_id, step.maker) == (
        "submitted",
        "forwarded",
        None,
        False,
    )
    assert step.caused_by == FORWARDED_BECAUSE
    assert step.reason == "档案已于当日转至海淀区人才服务中心"
    event = AuditEvent.objects.get(action="workflows.transition", outcome="ok")
    assert (event.actor, event.actor_id, event.role) == ("", None, "")
    assert (event.object_type, event.object_id) == ("workflows.case", str(case.pk))
    assert event.detail["system"] is True
    assert event.detail["caused_by"] == FORWARDED_BECAUSE
    assert (event.detail["transition"], event.detail["target"]) == ("forward", "forwarded")


def test_cause_of_names_the_record(world: World) -> None:
    assert cause_of(world.migrant) == f"people.person:{world.migrant.pk}"


def test_the_history_shows_the_system_step_between_user_steps(world: World) -> None:
    case = open_case(world)
    forward(case, cause_of(world.migrant))
    rows = list(CaseTransition.objects.filter(case=case).values_list("name", "actor", "caused_by"))
    assert rows == [
        ("open", world.henan_migrant.pk, ""),
        ("forward", None, f"people.person:{world.migrant.pk}"),
    ]


@pytest.mark.parametrize("persona", ["beijing_caseworker", "beijing_supervisor", "henan_migrant"])
def test_no_user_may_make_a_system_step(world: World, persona: str) -> None:
    case = open_case(world)
    with pytest.raises(AccessDeniedError) as refused:
        do_transition(world.persona(persona), case, "forward")
    assert (refused.value.status, refused.value.code) == (403, "system_step")
    assert Case.objects.get(pk=case.pk).state == "submitted"
    assert not CaseTransition.objects.filter(case=case, name="forward").exists()
    denied = AuditEvent.objects.get(action="workflows.transition", outcome="denied")
    assert denied.detail["code"] == "system_step"
    assert denied.actor == world.persona(persona).username


def test_the_system_may_not_make_a_users_step(world: World) -> None:
    case = open_case(world)
    with pytest.raises(AccessDeniedError) as refused:
        do_system_transition(case, "start_review", reason="自动受理", caused_by="x.y:1")
    assert refused.value.code == "not_a_system_step"
    assert "系统不能代为办理" in refused.value.message
    assert Case.objects.get(pk=case.pk).state == "submitted"
    denied = AuditEvent.objects.get(action="workflows.transition", outcome="denied")
    assert (denied.actor, denied.detail["code"]) == ("", "not_a_system_step")
    assert denied.object_id == str(case.pk)


def test_a_system_step_out_of_order_is_refused_naming_the_allowed_steps(world: World) -> None:
    case = under_review(world)
    with pytest.raises(InvalidInputError) as refused:
        forward(case)
    assert refused.value.code == "transition_not_allowed"
    assert "审查中" in refused.value.message


def test_the_allowed_steps_name_the_system_as_who_makes_them(world: World) -> None:
    case = open_case(world)
    with pytest.raises(InvalidInputError) as refused:
        do_transition(world.beijing_supervisor, case, "approve")
    assert refused.value.code == "transition_not_allowed"
    assert "forward（系统）" in refused.value.message


@pytest.mark.parametrize(
    ("reason", "caused_by", "field", "code"),
    [
        ("", "people.person:1", "reason", "reason_required"),
        ("  ", "people.person:1", "reason", "reason_required"),
        ("x" * 2001, "people.person:1", "reason", "too_long"),
        ("理由", "", "caused_by", "required"),
        ("理由", "x" * 129, "caused_by", "too_long"),
    ],
)
def test_a_system_step_needs_a_reason_and_a_cause(
    world: World, reason: str, caused_by: str, field: str, code: str
) -> None:
    case = open_case(world)
    with pytest.raises(InvalidInputError) as refused:
        do_system_transition(case, "forward", reason=reason, caused_by=caused_by)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert Case.objects.get(pk=case.pk).version == 1


def test_an_unknown_step_and_a_missing_case_are_refused(world: World) -> None:
    case = open_case(world)
    with pytest.raises(InvalidInputError) as refused:
        do_system_transition(case, "teleport", reason="理由", caused_by="x.y:1")
    assert (refused.value.code, refused.value.field) == ("unknown_transition", "transition")
    assert refused.value.message.endswith("：forward")  # the system steps only
    gone = Case(pk=case.pk + 1000, version=1)
    with pytest.raises(NotFoundError):
        do_system_transition(gone, "forward", reason="理由", caused_by="x.y:1")


def test_a_stale_case_is_refused_with_409_on_the_system_path(world: World) -> None:
    case = open_case(world)
    stale = Case.objects.get(pk=case.pk)
    do_transition(world.beijing_caseworker, case, "start_review")
    with pytest.raises(ConflictError) as refused:
        forward(stale)
    assert (refused.value.status, refused.value.code) == (409, "case_changed")
    assert Case.objects.get(pk=case.pk).state == "under_review"
    assert not CaseTransition.objects.filter(case=case, name="forward").exists()


def test_a_user_with_a_case_moved_by_the_system_gets_409(world: World) -> None:
    case = open_case(world)
    stale = Case.objects.get(pk=case.pk)
    forward(case)
    with pytest.raises(ConflictError) as refused:
        do_transition(world.beijing_caseworker, stale, "start_review")
    assert refused.value.code == "case_changed"


def forward_then_fail(case: Case) -> None:
    """A domain action that makes the system step and then fails."""
    with transaction.atomic():
        forward(case)
        raise RuntimeError("the domain action failed after the step")


def test_a_system_step_inside_a_failing_domain_action_vanishes_with_it(world: World) -> None:
    case = open_case(world)
    with pytest.raises(RuntimeError):
        forward_then_fail(case)
    assert Case.objects.get(pk=case.pk).state == "submitted"
    assert not CaseTransition.objects.filter(case=case, name="forward").exists()
    assert not AuditEvent.objects.filter(action="workflows.transition").exists()


# ---------------------------------------------------------------------------------------------
# Deadlines behave as for any transition.

SYSTEM_WITH_DEADLINE = CaseType(
    name="test.system_deadline",
    states=[
        State("waiting", "等待", "waiting"),
        State("reopened", "重新审查", "reopened"),
        State("done", "办结", "done", terminal=True),
    ],
    transitions=[
        Transition("reopen", "waiting", "reopened", system=True),
        Transition("close", "reopened", "done", frozenset({"supervisor"})),
        Transition("abandon", "waiting", "done", frozenset({"supervisor"})),
    ],
    initial="waiting",
    deadlines={"reopened": StateDeadline(10, "MODEL 示例：重新审查十个工作日", "supervisor")},
    openers=frozenset({"staff"}),
)


def test_a_system_step_starts_the_new_states_clock_in_working_days(world: World) -> None:
    register(SYSTEM_WITH_DEADLINE)
    case = do_open_case(world.beijing_caseworker, SYSTEM_WITH_DEADLINE, CHAOYANG)
    start = dt.date(2026, 2, 10)  # the 2026 Spring Festival follows
    with time_machine.travel(at(start), tick=False):
        do_system_transition(case, "reopen", reason="异议", caused_by="x.y:1")
    assert case.deadline == add_working_days(start, 10).date
    assert Case.objects.get(pk=case.pk).deadline == case.deadline
    assert case.deadline > start + dt.timedelta(days=14)  # the holiday does not count


# ---------------------------------------------------------------------------------------------
# Employers as openers.


def test_an_employer_opens_a_case_for_her_employee_and_sees_it(world: World) -> None:
    case = do_open_case(world.employer_rep, EXAMPLE, CHAOYANG, world.migrant)
    assert (case.state, case.opened_by_id, case.subject_id) == (
        "submitted",
        world.employer_rep.pk,
        world.migrant.pk,
    )
    assert list(cases_for(world.employer_rep)) == [case]
    assert case in cases_for(world.henan_migrant)  # the employee sees it too
    do_transition(world.employer_rep, case, "withdraw")
    assert case.state == "withdrawn"


def test_an_employer_may_not_open_for_someone_she_does_not_employ(world: World) -> None:
    for person in (world.neighbour, world.haidian_resident, None):
        with pytest.raises(AccessDeniedError) as refused:
            do_open_case(world.employer_rep, EXAMPLE, CHAOYANG, person)
        assert refused.value.code == "outside_jurisdiction"
    assert not Case.objects.exists()


def test_an_employer_may_not_open_for_a_former_employee(world: World) -> None:
    world.migrant_job.end = dt.date(2025, 1, 31)
    world.migrant_job.save()
    with pytest.raises(AccessDeniedError):
        do_open_case(world.employer_rep, EXAMPLE, CHAOYANG, world.migrant)


def test_employers_see_only_their_own_filings_for_current_employees(world: World) -> None:
    own = do_open_case(world.employer_rep, EXAMPLE, CHAOYANG, world.migrant)
    by_herself = open_case(world)
    other_rep = UserFactory.create(
        username="haidian_rep", role=Role.EMPLOYER, employer=world.other_employer
    )
    theirs = do_open_case(other_rep, EXAMPLE, HAIDIAN, world.haidian_resident)
    assert list(cases_for(world.employer_rep)) == [own]  # not the employee's own case
    assert list(cases_for(other_rep)) == [theirs]
    with pytest.raises(AccessDeniedError) as refused:
        do_transition(other_rep, own, "withdraw")
    assert refused.value.code == "outside_jurisdiction"
    assert by_herself not in cases_for(world.employer_rep)
    # once the employee leaves, the employer no longer sees the case
    world.migrant_job.end = dt.date(2025, 1, 31)
    world.migrant_job.save()
    assert not cases_for(world.employer_rep).exists()
    EmploymentFactory.create(person=world.migrant, employer=world.employer)
    assert list(cases_for(world.employer_rep)) == [own]


def test_an_employer_may_not_make_caseworker_steps(world: World) -> None:
    case = do_open_case(world.employer_rep, EXAMPLE, CHAOYANG, world.migrant)
    with pytest.raises(AccessDeniedError) as refused:
        do_transition(world.employer_rep, case, "start_review")
    assert refused.value.code == "role_not_allowed"


# ---------------------------------------------------------------------------------------------
# A system step racing a user's step: exactly one wins.


def race(user: User, case_id: int) -> list[object]:
    """The system's ``forward`` and ``user``'s ``start_review`` in two threads released at
    once, each with the case as loaded before the start."""
    loaded = [Case.objects.get(pk=case_id) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[object] = [RuntimeError("did not finish")] * 2
    steps = [lambda: forward(loaded[0]), lambda: do_transition(user, loaded[1], "start_review")]

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = steps[index]()
        except BaseException as exc:  # reported by the main thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_a_system_step_and_a_users_step_at_once_exactly_one_wins(world: World) -> None:
    for _ in range(3):
        case = open_case(world)
        results = race(world.beijing_caseworker, case.pk)
        won = [r for r in results if isinstance(r, Case)]
        lost = [r for r in results if isinstance(r, ConflictError)]
        assert (len(won), len(lost)) == (1, 1), results
        assert lost[0].code == "case_changed"
        case.refresh_from_db()
        assert (case.state, case.version) == (won[0].state, 2)
        assert CaseTransition.objects.filter(case=case).count() == 2
