"""Periodic jobs: declared in code, enqueued when due, exactly once however many schedulers
tick at the same moment; the built-in jobs (audit sealing, the escalation sweep, the purge of
idempotency records) really run."""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.db import connections
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from liudong.audit.events import record
from liudong.audit.models import AuditCheckpoint
from liudong.site.models import IdempotencyRecord, IdempotencyState
from liudong.tasks import periodic, run_pending, scheduler
from liudong.tasks.models import ScheduledJob
from liudong.tasks.schedule import PeriodicJob, jobs

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.personas import World

T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
BUILTIN = {"audit.seal", "workflows.sweep_overdue", "site.purge_idempotency", "tasks.prune"}
INTERVAL_JOBS = {"audit.seal", "workflows.sweep_overdue"}


@pytest.fixture
def at_t0() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as clock:
        yield clock


def periodic_runs() -> list[str]:
    rows = DBTaskResult.objects.filter(task_path="liudong.tasks.tasks.run_periodic")
    return sorted(row.args_kwargs["args"][0] for row in rows)


def test_the_built_in_jobs_are_declared() -> None:
    declared = jobs()
    assert set(declared) >= BUILTIN
    assert declared["audit.seal"].every == dt.timedelta(minutes=1)
    assert declared["workflows.sweep_overdue"].every == dt.timedelta(minutes=5)
    assert declared["site.purge_idempotency"].daily_at == dt.time(3, 30)


@pytest.mark.django_db
@pytest.mark.usefixtures("at_t0")
def test_the_first_tick_enqueues_interval_jobs_and_schedules_daily_ones() -> None:
    made = scheduler.tick()
    assert {e.job for e in made} == INTERVAL_JOBS
    assert periodic_runs() == sorted(INTERVAL_JOBS)
    purge = ScheduledJob.objects.get(name="site.purge_idempotency")
    assert purge.next_run == dt.datetime(2026, 11, 28, 19, 30, tzinfo=dt.UTC)  # 03:30 Beijing
    assert scheduler.tick() == []  # nothing is due again at the same moment
    assert len(periodic_runs()) == 2


@pytest.mark.django_db
def test_jobs_come_due_again_after_their_interval(at_t0: time_machine.Traveller) -> None:
    scheduler.tick()
    run_pending()
    at_t0.move_to(T0 + dt.timedelta(minutes=1))
    assert {e.job for e in scheduler.tick()} == {"audit.seal"}
    run_pending()
    at_t0.move_to(T0 + dt.timedelta(minutes=5))
    assert {e.job for e in scheduler.tick()} == INTERVAL_JOBS
    at_t0.move_to(T0 + dt.timedelta(hours=3))  # the worker was away: one run, no burst
    run_pending()
    assert {e.job for e in scheduler.tick()} == INTERVAL_JOBS
    assert scheduler.tick() == []
    seal = ScheduledJob.objects.get(name="audit.seal")
    assert seal.next_run == T0 + dt.timedelta(hours=3, minutes=1)


@pytest.mark.django_db
def test_a_run_is_skipped_while_the_previous_one_has_not_finished(
    at_t0: time_machine.Traveller,
) -> None:
    scheduler.tick()
    at_t0.move_to(T0 + dt.timedelta(minutes=1))
    (skipped,) = scheduler.tick()
    assert skipped.job == "audit.seal"
    assert skipped.result_id is None
    assert periodic_runs().count("audit.seal") == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("at_t0")
def test_two_schedulers_reading_the_same_due_rows_enqueue_each_job_once() -> None:
    """Both schedulers read the due rows, then both try the compare-and-set."""
    declared = jobs()
    scheduler.ensure_rows(declared, T0)
    first = scheduler.due(T0, declared)
    second = scheduler.due(T0, declared)
    assert {r.name for r in first} == {r.name for r in second} == INTERVAL_JOBS
    won_first = [scheduler.enqueue_if_still_due(r, declared[r.name], T0) for r in first]
    won_second = [scheduler.enqueue_if_still_due(r, declared[r.name], T0) for r in second]
    assert all(w is not None for w in won_first)
    assert won_second == [None, None]
    assert periodic_runs() == sorted(INTERVAL_JOBS)


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_ticking_at_once_in_threads_enqueue_each_job_once() -> None:
    """Real concurrency: each round, two threads tick at the same instant (a barrier)."""
    start = dt.datetime.now(dt.UTC)
    for round_ in range(4):
        now = start + dt.timedelta(minutes=5 * round_)
        barrier = threading.Barrier(2)
        made: list[Any] = []
        failures: list[BaseException] = []

        def tick(
            now: dt.datetime = now,
            barrier: threading.Barrier = barrier,
            made: list[Any] = made,
            failures: list[BaseException] = failures,
        ) -> None:
            try:
                barrier.wait(5)
                made.extend(scheduler.tick(now))
            except BaseException as exc:
                failures.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=tick) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not failures, failures
        assert sorted(e.job for e in made) == sorted(INTERVAL_JOBS), round_
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(
            status=TaskResultStatus.SUCCESSFUL
        )
    assert len(periodic_runs()) == 2 * 4


@pytest.mark.django_db
def test_the_built_in_jobs_really_run(world: World, at_t0: time_machine.Traveller) -> None:
    record(None, "tests.tasks", detail={"why": "something to seal"})
    scheduler.tick()
    assert run_pending() == 2
    rows = {
        r.args_kwargs["args"][0]: r
        for r in DBTaskResult.objects.filter(task_path="liudong.tasks.tasks.run_periodic")
    }
    assert {name: r.status for name, r in rows.items()} == dict.fromkeys(
        INTERVAL_JOBS, TaskResultStatus.SUCCESSFUL
    )
    assert AuditCheckpoint.objects.exists()
    assert any("sealed" in line for line in rows["audit.seal"].return_value)

    old = IdempotencyRecord.objects.create(
        user=world.beijing_caseworker,
        key="old",
        fingerprint="x",
        state=IdempotencyState.DONE,
        started=T0 - dt.timedelta(days=2),
    )
    at_t0.move_to(dt.datetime(2026, 11, 28, 19, 31, tzinfo=dt.UTC))  # 03:31 in Beijing
    assert "site.purge_idempotency" in {e.job for e in scheduler.tick()}
    run_pending()
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()
    purge = DBTaskResult.objects.get(args_kwargs__args=["site.purge_idempotency"])
    assert purge.return_value == 1


def test_a_job_is_declared_with_either_an_interval_or_a_daily_time() -> None:
    with pytest.raises(ValueError, match="either every= or daily_at="):
        PeriodicJob("x", "a.b")
    with pytest.raises(ValueError, match="either every= or daily_at="):
        PeriodicJob("x", "a.b", every=dt.timedelta(1), daily_at=dt.time(1))
    with pytest.raises(ValueError, match="positive"):
        PeriodicJob("x", "a.b", every=dt.timedelta(0))
    with pytest.raises(ValueError, match="already declared differently"):
        periodic("audit.seal", "liudong.audit.chain.seal", every=dt.timedelta(hours=1))
    same = periodic(
        "audit.seal",
        "liudong.audit.chain.seal",
        every=dt.timedelta(minutes=1),
        description=jobs()["audit.seal"].description,
    )
    assert same == jobs()["audit.seal"]


@pytest.mark.django_db
def test_finished_tasks_are_pruned_after_their_retention() -> None:
    from django.utils import timezone

    from liudong.tasks.maintenance import prune_finished
    from tests.tasks.jobs import remember

    old, recent, queued = (remember.enqueue(x) for x in ("old", "recent", "queued"))
    run_pending(limit=2)
    DBTaskResult.objects.filter(pk=old.id).update(
        finished_at=timezone.now() - dt.timedelta(days=31)
    )
    assert prune_finished() == 1
    left = set(DBTaskResult.objects.values_list("id", flat=True))
    assert {str(i) for i in left} == {recent.id, queued.id}
