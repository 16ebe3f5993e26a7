"""Two users moving the same case at the same moment: exactly one wins, the other gets 409
``case_changed``. Real transactions on separate connections (threads), on SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from django.db import connection

from liudong.audit.models import AuditEvent
from liudong.site.errors import ConflictError
from liudong.workflows.actions import do_transition
from liudong.workflows.models import Case, CaseTransition
from tests.workflows.helpers import second_supervisor, under_review

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from tests.personas import World

ROUNDS = 3


def race(steps: list[tuple[User, str, str]], case_id: int) -> list[Case | BaseException]:
    """Run each (user, transition, reason) in its own thread, all released at once, each
    with the case as loaded before the start."""
    loaded = [Case.objects.get(pk=case_id) for _ in steps]
    barrier = threading.Barrier(len(steps))
    results: list[Case | BaseException] = [RuntimeError("did not finish")] * len(steps)

    def worker(index: int) -> None:
        user, name, reason = steps[index]
        try:
            barrier.wait(timeout=30)
            results[index] = do_transition(user, loaded[index], name, reason=reason)
        except BaseException as exc:  # reported by the main thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(steps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_decisions_exactly_one_wins_the_other_gets_409(world: World) -> None:
    other = second_supervisor(world)
    for _ in range(ROUNDS):
        case = under_review(world)
        results = race(
            [(world.beijing_supervisor, "approve", ""), (other, "refuse", "材料不全")], case.pk
        )
        won = [r for r in results if isinstance(r, Case)]
        lost = [r for r in results if not isinstance(r, Case)]
        assert len(won) == 1, results
        assert len(lost) == 1, results
        assert isinstance(lost[0], ConflictError), lost
        assert (lost[0].status, lost[0].code) == (409, "case_changed")
        case.refresh_from_db()
        assert (case.state, case.version) == (won[0].state, 3)
        decisions = CaseTransition.objects.filter(case=case, name__in=["approve", "refuse"])
        assert [d.target for d in decisions] == [case.state]
        refused = AuditEvent.objects.filter(
            action="workflows.transition", outcome="rejected", object_id=str(case.pk)
        )
        assert [e.detail["code"] for e in refused] == ["case_changed"]


@pytest.mark.django_db(transaction=True)
def test_the_same_step_twice_at_once_happens_once(world: World) -> None:
    case = under_review(world)
    results = race([(world.beijing_supervisor, "approve", "")] * 2, case.pk)
    assert sorted(type(r).__name__ for r in results) == ["Case", "ConflictError"]
    assert CaseTransition.objects.filter(case=case, name="approve").count() == 1
    assert (
        AuditEvent.objects.filter(
            action="workflows.transition", outcome="ok", object_id=str(case.pk)
        ).count()
        == 2  # start_review and one approve
    )
