"""The periodic sweep, for a long-running process (``liudong serve`` runs it in a thread)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import close_old_connections, connections

if TYPE_CHECKING:
    import threading

logger = logging.getLogger(__name__)


def sweep_forever(interval_seconds: float, stop_event: threading.Event) -> None:
    """Sweep now, then every ``interval_seconds`` until ``stop_event`` is set. Failures are
    logged and retried at the next interval. Run it in its own thread."""
    try:
        _sweep_and_log()
        while not stop_event.wait(interval_seconds):
            _sweep_and_log()
    finally:
        connections.close_all()  # this thread's connections


def _sweep_and_log() -> None:
    from liudong.workflows.actions import do_sweep_overdue

    close_old_connections()
    try:
        report = do_sweep_overdue()
    except Exception:  # a database hiccup must not end the sweeps; the next one retries
        logger.exception("workflow sweep failed; retrying at the next interval")
        return
    if report.count or report.skipped:
        logger.info("workflows: %s", "; ".join(report.lines()))
