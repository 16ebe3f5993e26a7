"""The periodic sweep that ``liudong serve`` runs in a thread: it sweeps, and survives a
failed sweep to try again at the next interval."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import TYPE_CHECKING

import pytest

from liudong.workflows import actions, sweep
from liudong.workflows.models import Case
from tests.workflows.helpers import open_case

if TYPE_CHECKING:
    from tests.personas import World


def run_in_thread(interval: float, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=sweep.sweep_forever, args=(interval, stop))
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_the_periodic_sweep_escalates_and_stops_when_told(world: World) -> None:
    case = open_case(world)
    Case.objects.filter(pk=case.pk).update(deadline=dt.date(2026, 1, 5))
    stop = threading.Event()
    stop.set()  # one sweep, then stop
    run_in_thread(3600, stop).join(30)
    case.refresh_from_db()
    assert case.escalated_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_failed_sweep_is_logged_and_retried(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    stop = threading.Event()

    def failing(now: dt.datetime | None = None) -> actions.SweepReport:
        calls.append(1)
        if len(calls) >= 3:
            stop.set()
        raise RuntimeError("database went away")

    monkeypatch.setattr(actions, "do_sweep_overdue", failing)
    with caplog.at_level(logging.ERROR, logger="liudong.workflows.sweep"):
        thread = run_in_thread(0.01, stop)
        thread.join(30)
    assert not thread.is_alive()
    assert len(calls) >= 3
    assert "workflow sweep failed; retrying at the next interval" in caplog.text
