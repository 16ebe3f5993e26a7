"""A task whose worker died (RUNNING, its worker's heartbeat older than the lease) goes back
to the queue and completes on the next worker; after too many attempts it fails, saying why.
Workers heart-beat, run tasks and periodic jobs, and stop cleanly."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from typer.testing import CliRunner

from liudong.cli import app
from liudong.tasks import recovery, run_pending, status
from liudong.tasks import runner as task_runner
from liudong.tasks.models import TaskProgress, Worker
from liudong.tasks.recovery import recover_stale
from liudong.tasks.worker import TaskWorker, run_in_thread
from tests.tasks.jobs import count_to, remember

cli = CliRunner()


def claimed_by_a_worker_that_died(seconds_ago: int, attempts: int = 1) -> str:
    """A task claimed ``attempts`` times, last by ``dead-worker`` whose heartbeat stopped
    ``seconds_ago`` (what a worker killed mid-task leaves behind)."""
    result = count_to.enqueue(50)
    for attempt in range(attempts):
        worker = "dead-worker" if attempt == attempts - 1 else f"earlier-{attempt}"
        claimed = task_runner.claim_next(worker)
        assert claimed is not None
        task_runner.touch_worker(worker)
        if attempt < attempts - 1:
            DBTaskResult.objects.filter(pk=claimed.pk).update(status=TaskResultStatus.READY)
    Worker.objects.filter(worker_id="dead-worker").update(
        last_seen=timezone.now() - dt.timedelta(seconds=seconds_ago)
    )
    return result.id


@pytest.mark.django_db
def test_a_dead_workers_task_is_recovered_and_completes_on_the_next_worker() -> None:
    task_id = claimed_by_a_worker_that_died(seconds_ago=180)
    before = status(task_id)
    assert before["state"] == "RUNNING"
    assert before["worker"] == "dead-worker"
    assert before["worker_alive"] is False

    assert run_pending() == 1  # recovers first, then runs it
    after = status(task_id)
    assert after["state"] == "SUCCESSFUL"
    assert after["attempts"] == 2
    assert after["recoveries"] == 1
    assert after["worker"] != "dead-worker"
    assert after["progress"]["done"] == 50
    note = TaskProgress.objects.get(result_id=uuid.UUID(task_id)).recovery_note
    assert "worker dead-worker last seen" in note
    assert "lease expired" in note


@pytest.mark.django_db
def test_a_task_of_a_live_worker_is_left_alone() -> None:
    task_id = claimed_by_a_worker_that_died(seconds_ago=30)  # within the 2-minute lease
    assert recover_stale() == []
    assert run_pending() == 0
    assert status(task_id)["state"] == "RUNNING"


@pytest.mark.django_db
def test_the_lease_is_configurable(settings: object) -> None:
    task_id = claimed_by_a_worker_that_died(seconds_ago=30)
    settings.LIUDONG_TASKS_LEASE_SECONDS = 20  # type: ignore[attr-defined]
    (recovered,) = recover_stale()
    assert recovered.result_id == task_id
    assert not recovered.failed


@pytest.mark.django_db
def test_a_task_that_lost_its_worker_too_often_fails_with_the_reason() -> None:
    task_id = claimed_by_a_worker_that_died(seconds_ago=600, attempts=3)
    (recovered,) = recover_stale()
    assert recovered.failed
    assert run_pending() == 0
    after = status(task_id)
    assert after["state"] == "FAILED"
    assert after["error_class"] == "liudong.tasks.recovery.WorkerLostError"
    assert "worker dead-worker last seen" in after["error"]
    assert "gave up after 3 attempt(s) (LIUDONG_TASKS_MAX_ATTEMPTS=3)" in after["error"]


@pytest.mark.django_db
def test_two_workers_recovering_at_once_recover_the_task_once() -> None:
    """Both read the RUNNING row (same started_at); the compare-and-set lets one through."""
    task_id = claimed_by_a_worker_that_died(seconds_ago=600)
    row = DBTaskResult.objects.get(pk=task_id)
    now = timezone.now()
    seen = (row.pk, row.started_at, len(row.worker_ids), 3, "dead-worker", "lease expired", now)
    first = recovery._recover_one(*seen)
    second = recovery._recover_one(*seen)
    assert first is not None
    assert second is None
    assert TaskProgress.objects.get(result_id=uuid.UUID(task_id)).recoveries == 1
    assert status(task_id)["state"] == "READY"


@pytest.mark.django_db
def test_a_task_claimed_by_an_unknown_worker_is_recovered_after_the_lease() -> None:
    result = remember.enqueue("orphan")
    claimed = task_runner.claim_next("never-registered")
    assert claimed is not None
    assert recover_stale() == []  # just claimed: its worker may not have beaten yet
    DBTaskResult.objects.filter(pk=claimed.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=5)
    )
    (recovered,) = recover_stale()
    assert "unknown" in recovered.reason
    run_pending()
    assert status(result.id)["state"] == "SUCCESSFUL"


# ---------------------------------------------------------------------------------------------
# Workers (real threads: the tests commit, as a worker's heartbeat needs).


@pytest.mark.django_db(transaction=True)
def test_liudong_worker_once_runs_the_queue_and_the_due_periodic_jobs() -> None:
    task_id = claimed_by_a_worker_that_died(seconds_ago=600)
    queued = remember.enqueue("queued")
    done = cli.invoke(app, ["worker", "--once"])
    assert done.exit_code == 0, done.output
    assert "ran 4 task(s)" in done.output  # the recovered task, the queued one, seal, sweep
    assert status(task_id)["state"] == "SUCCESSFUL"
    assert status(queued.id)["state"] == "SUCCESSFUL"
    periodic = DBTaskResult.objects.filter(task_path="liudong.tasks.tasks.run_periodic")
    assert set(periodic.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    worker = Worker.objects.exclude(worker_id__in=["dead-worker"]).get()
    assert worker.stopped_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_worker_thread_heart_beats_runs_tasks_and_stops_cleanly(settings: object) -> None:
    settings.LIUDONG_TASKS_HEARTBEAT_SECONDS = 0.05  # type: ignore[attr-defined]
    worker = TaskWorker(interval=0.05, schedule=False)
    thread = run_in_thread(worker)
    try:
        result = count_to.enqueue(20)
        deadline = time.monotonic() + 20
        while status(result.id)["state"] != "SUCCESSFUL" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert status(result.id)["state"] == "SUCCESSFUL"
        assert status(result.id)["worker"] == worker.worker_id
        first_seen = Worker.objects.get(pk=worker.worker_id).last_seen
        time.sleep(0.3)
        assert Worker.objects.get(pk=worker.worker_id).last_seen > first_seen  # heartbeat
    finally:
        worker.stop()
        thread.join(20)
    assert not thread.is_alive()
    assert Worker.objects.get(pk=worker.worker_id).stopped_at is not None
