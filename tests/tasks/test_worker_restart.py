"""A background task survives a real worker restart (issue 4): a ``liudong worker`` process
runs a task that reports progress step by step; it is killed with SIGKILL midway (no clean
stop, no last heartbeat); the progress written so far stays visible and the task stays
RUNNING; a second ``liudong worker`` with a short lease finds the first worker's lease expired,
puts the task back in the queue, runs it again (the task resumes after the reported steps) and
completes it: two attempts, progress at its total.

The workers are real subprocesses on the test database (a file on SQLite, the test database
on PostgreSQL with ``DATABASE_URL``), hence ``transaction=True``: what the test enqueues is
committed where the workers can see it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from liudong.tasks import status
from liudong.tasks.models import TaskProgress
from tests.tasks.jobs import step_slowly

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = Path(__file__).resolve().parents[2]
LIUDONG = Path(sys.executable).with_name("liudong")
STEPS = 30
PAUSE = 0.1  # seconds per step: one attempt from scratch takes 3 s
WAIT_SECONDS = 30  # the most any stage may take on a busy machine before the test fails


def database_url() -> str:
    """The URL of the database this test runs on, for the worker processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        assert not name.startswith(("file:", ":memory:")), "the worker needs a file database"
        return f"sqlite:///{Path(name).resolve()}"
    assert connection.vendor == "postgresql", connection.vendor
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{db['NAME']}"


def start_worker(tmp_path: Path, label: str, **settings: str) -> tuple[subprocess.Popen[str], Path]:
    """``liudong worker`` on the test database, its output in a file (shown when a check fails)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIUDONG_")}
    env.update(
        LIUDONG_MODE="test",  # the test keys: the same as this process
        LIUDONG_DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=database_url(),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        **settings,
    )
    log = tmp_path / f"{label}.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603  # our own command
            [str(LIUDONG), "worker", "--no-schedule", "--interval", "0.1"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    return process, log


def wait_until(
    check: Callable[[], bool], what: str, logs: list[Path], processes: list[subprocess.Popen[str]]
) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        if any(process.poll() is not None for process in processes):
            raise AssertionError(f"a worker exited while waiting for {what}\n{outputs(logs)}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}\n{outputs(logs)}")


def outputs(logs: list[Path]) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()}" for log in logs if log.exists())


def state_of(task_id: str) -> dict[str, Any]:
    return status(task_id)


@pytest.mark.django_db(transaction=True)
def test_a_task_survives_a_killed_worker_and_completes_on_the_next(tmp_path: Path) -> None:
    if not LIUDONG.exists():
        pytest.skip(f"the liudong command is not installed beside {sys.executable}")
    task_id = step_slowly.enqueue(STEPS, PAUSE).id
    first, first_log = start_worker(tmp_path, "first")
    second: subprocess.Popen[str] | None = None
    logs = [first_log]
    try:
        wait_until(
            lambda: state_of(task_id)["progress"]["done"] >= 2,
            "the first worker to report progress",
            logs,
            [first],
        )
        os.killpg(first.pid, signal.SIGKILL)  # no clean stop: the worker dies mid-task
        assert first.wait(timeout=10) == -signal.SIGKILL

        died = state_of(task_id)
        assert died["state"] == "RUNNING", died
        assert died["attempts"] == 1
        assert 2 <= died["progress"]["done"] < STEPS, died["progress"]
        assert died["progress"]["total"] == STEPS
        assert died["progress"]["message"] == f"step {died['progress']['done']} of {STEPS}"
        first_worker = died["worker"]

        # The second worker's lease is short (the first worker's last heartbeat is older than
        # it by the time the second one is up), and it heart-beats well within its own lease.
        second, second_log = start_worker(
            tmp_path,
            "second",
            LIUDONG_TASKS_LEASE_SECONDS="2",
            LIUDONG_TASKS_HEARTBEAT_SECONDS="1",
        )
        logs.append(second_log)
        wait_until(
            lambda: state_of(task_id)["finished"], "the second worker to finish it", logs, [second]
        )
        done = state_of(task_id)
        assert done["state"] == "SUCCESSFUL", (done, outputs(logs))
        assert done["attempts"] == 2
        assert done["recoveries"] == 1
        assert done["worker"] != first_worker
        assert done["progress"]["done"] == done["progress"]["total"] == STEPS
        assert done["progress"]["percent"] == 100

        result = DBTaskResult.objects.get(pk=uuid.UUID(task_id))
        assert result.return_value == {"resumed_from": died["progress"]["done"], "total": STEPS}
        note = TaskProgress.objects.get(result_id=uuid.UUID(task_id)).recovery_note
        assert f"worker {first_worker} last seen" in note
        assert "lease expired" in note

        second.send_signal(signal.SIGTERM)  # a clean stop: marks its row stopped, exit 0
        assert second.wait(timeout=15) == 0, outputs(logs)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
