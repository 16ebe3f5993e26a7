"""A task reports progress; its state, progress and failure are visible through
``status()``, the staff pages (htmx polling while it runs), the API and the CLI."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from typer.testing import CliRunner

from liudong.cli import app
from liudong.site.errors import NotFoundError
from liudong.tasks import cli as tasks_cli
from liudong.tasks import report_progress, run_pending, status
from liudong.tasks import runner as task_runner
from liudong.tasks.models import TaskProgress
from liudong.tasks.progress import Tracker, track, untrack
from tests.apiclient import Api, error_of
from tests.personas import login
from tests.tasks.jobs import (
    SEEN_WHILE_RUNNING,
    count_to,
    fail_halfway,
    look_at_myself,
    remember,
    spawn,
)

if TYPE_CHECKING:
    from tests.personas import World

pytestmark = pytest.mark.django_db
cli = CliRunner()


def running_task(done: int, total: int) -> str:
    """A task claimed by a live worker that has reported ``done`` of ``total``."""
    result = count_to.enqueue(total)
    claimed = task_runner.claim_next("test-worker")
    assert claimed is not None
    assert str(claimed.id) == result.id
    task_runner.touch_worker("test-worker")
    tracker = Tracker(result_id=claimed.id)
    token = track(tracker)
    try:
        report_progress(done, total, message="ranking applicants")
    finally:
        untrack(token)
    return result.id


def test_progress_is_stored_and_the_result_recorded() -> None:
    result = count_to.enqueue(200)
    assert status(result.id)["state"] == "READY"
    assert run_pending() == 1
    task = status(result.id)
    assert task["state"] == "SUCCESSFUL"
    assert task["progress"] == {
        "done": 200,
        "total": 200,
        "percent": 100,
        "message": "counting 200",
        "updated_at": task["progress"]["updated_at"],
    }
    assert task["attempts"] == 1
    assert task["worker"].startswith("inproc-")
    assert DBTaskResult.objects.get(pk=result.id).return_value == 200


def test_progress_is_visible_while_the_task_runs() -> None:
    SEEN_WHILE_RUNNING.clear()
    result = look_at_myself.enqueue(10)
    run_pending()
    (seen,) = SEEN_WHILE_RUNNING
    assert seen["state"] == "RUNNING"
    assert seen["progress"] == {
        "done": 5,
        "total": 10,
        "percent": 50,
        "message": "half",
        "updated_at": seen["progress"]["updated_at"],  # type: ignore[index]
    }
    assert seen["worker_alive"] is True
    assert status(result.id)["state"] == "SUCCESSFUL"


def test_progress_writes_are_throttled() -> None:
    """One UPDATE at most every LIUDONG_TASKS_PROGRESS_SECONDS, and always the last one."""
    result = count_to.enqueue(10_000)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run_pending()
    writes = [q for q in queries.captured_queries if "tasks_taskprogress" in q["sql"]]
    assert len(writes) < 20, len(writes)  # not one per report_progress call (10,000)
    assert status(result.id)["progress"]["done"] == 10_000


def test_report_progress_outside_a_task_does_nothing() -> None:
    report_progress(1, 2, "not in a task")
    assert not TaskProgress.objects.exists()


def test_report_progress_refuses_impossible_numbers() -> None:
    token = track(Tracker(result_id=DBTaskResult.objects.none().model().id))
    try:
        with pytest.raises(ValueError, match="done <= total"):
            report_progress(3, 2)
        with pytest.raises(ValueError, match="done <= total"):
            report_progress(-1, 2)
    finally:
        untrack(token)


def test_tasks_enqueued_by_a_task_run_in_the_same_drain() -> None:
    spawn.enqueue(3)
    assert run_pending() == 4
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 4


def test_run_pending_stops_at_its_limit() -> None:
    for label in "abc":
        remember.enqueue(label)
    assert run_pending(limit=2) == 2
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
    assert run_pending() == 1
    assert run_pending() == 0


def test_run_pending_takes_only_the_queues_asked_for() -> None:
    remember.using(queue_name="documents").enqueue("pdf")
    remember.enqueue("default")
    assert run_pending(queues=["documents"]) == 1
    assert DBTaskResult.objects.get(status=TaskResultStatus.READY).queue_name == "default"


def test_an_unknown_or_malformed_id_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        status("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFoundError):
        status("not-a-uuid")


# ---------------------------------------------------------------------------------------------
# A failing task.


def test_a_failing_task_is_failed_with_its_error_and_last_progress() -> None:
    result = fail_halfway.enqueue(8)
    ok = count_to.enqueue(2)
    assert run_pending() == 2  # the failure does not stop the queue
    task = status(result.id)
    assert task["state"] == "FAILED"
    assert task["error"] == "ValueError: the input file has no column id_number"
    assert task["error_class"] == "builtins.ValueError"
    assert task["progress"]["done"] == 4
    assert task["progress"]["message"] == "halfway"
    assert status(ok.id)["state"] == "SUCCESSFUL"


def test_the_failure_shows_on_the_page_the_api_and_the_cli(world: World) -> None:
    result = fail_halfway.enqueue(8)
    run_pending()
    page = login(Client(), world.beijing_caseworker).get(f"/tasks/{result.id}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "ValueError: the input file has no column id_number" in text
    assert 'data-state="FAILED"' in text
    assert "hx-trigger" not in text  # finished: no polling

    answer = Api(world.beijing_supervisor).get(f"/tasks/{result.id}")
    assert answer.status_code == 200
    body = json.loads(answer.content)
    assert body["state"] == "FAILED"
    assert body["error"] == "ValueError: the input file has no column id_number"

    shown = cli.invoke(app, ["tasks", "show", result.id])
    assert shown.exit_code == 1, shown.output
    assert "FAILED" in shown.output
    assert "the input file has no column id_number" in shown.output
    assert "Traceback" in shown.output


# ---------------------------------------------------------------------------------------------
# Pages, API and CLI.


def test_the_list_page_shows_name_state_progress_start_and_worker(world: World) -> None:
    done = count_to.enqueue(4)
    run_pending()
    running = running_task(30, 120)
    page = login(Client(), world.admin).get("/tasks/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"/tasks/{done.id}/" in text
    assert f"/tasks/{running}/" in text
    assert "count_to" in text
    assert '<progress max="120" value="30"' in text
    assert "30/120 (25%)" in text
    assert "test-worker" in text

    failed_only = login(Client(), world.admin).get("/tasks/", {"state": "FAILED"})
    assert f"/tasks/{done.id}/" not in failed_only.content.decode()


def test_the_detail_page_polls_with_htmx_while_the_task_runs(world: World) -> None:
    running = running_task(30, 120)
    client = login(Client(), world.beijing_caseworker)
    page = client.get(f"/tasks/{running}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "<html" in text
    assert 'hx-trigger="every 2s"' in text
    assert f'hx-get="/tasks/{running}/"' in text
    assert "ranking applicants" in text

    fragment = client.get(f"/tasks/{running}/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    part = fragment.content.decode()
    assert "<html" not in part
    assert part.lstrip().startswith('<section id="task-status"')
    assert '<progress max="120" value="30"' in part


def test_the_api_gives_state_and_progress(world: World) -> None:
    running = running_task(30, 120)
    answer = Api(world.beijing_caseworker).get(f"/tasks/{running}")
    assert answer.status_code == 200
    body = json.loads(answer.content)
    assert body["state"] == "RUNNING"
    assert body["finished"] is False
    assert body["progress"]["done"] == 30
    assert body["progress"]["total"] == 120
    assert body["progress"]["percent"] == 25
    assert body["worker"] == "test-worker"
    assert body["worker_alive"] is True

    missing = Api(world.beijing_caseworker).get("/tasks/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"


def test_the_cli_lists_and_shows_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks_cli.console, "width", 200)
    finished = count_to.enqueue(5)
    run_pending()
    running = running_task(30, 120)

    listed = cli.invoke(app, ["tasks", "list"])
    assert listed.exit_code == 0, listed.output
    assert finished.id in listed.output
    assert "SUCCESSFUL" in listed.output
    assert "30/120 (25%)" in listed.output

    shown = cli.invoke(app, ["tasks", "show", running])
    assert shown.exit_code == 0, shown.output
    assert "RUNNING" in shown.output
    assert "30/120 (25%)" in shown.output
    assert "ranking applicants" in shown.output

    watched = cli.invoke(app, ["tasks", "show", finished.id, "--watch"])
    assert watched.exit_code == 0, watched.output
    assert "5/5 (100%)" in watched.output


def test_the_cli_watches_a_task_until_it_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """--watch polls: here the "sleep" between polls runs the queue, as a worker would."""
    result = count_to.enqueue(7)
    monkeypatch.setattr("liudong.tasks.cli.time.sleep", lambda seconds: run_pending())
    watched = cli.invoke(app, ["tasks", "show", result.id, "--watch", "--every", "0.1"])
    assert watched.exit_code == 0, watched.output
    assert "SUCCESSFUL" in watched.output
    assert "7/7" in watched.output


def test_the_cli_refuses_unknown_ids_and_states() -> None:
    unknown = cli.invoke(app, ["tasks", "show", "nope"])
    assert unknown.exit_code == 2
    assert "no task has the id" in unknown.output
    bad_state = cli.invoke(app, ["tasks", "list", "--state", "done"])
    assert bad_state.exit_code == 2
    assert "must be one of READY, RUNNING, FAILED, SUCCESSFUL" in bad_state.output
