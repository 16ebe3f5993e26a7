"""The worker: ``liudong worker`` and the worker that ``liudong serve`` runs beside gunicorn.

A worker registers a :class:`~liudong.tasks.models.Worker` row and renews its ``last_seen``
from a heartbeat thread every ``LIUDONG_TASKS_HEARTBEAT_SECONDS`` (also while a long task
runs). Its loop: tick the scheduler and recover dead workers' tasks (at most once per
``interval``), claim and run one task, and sleep ``interval`` when the queue is empty. On
stop it finishes the task in hand, then marks its row stopped. ``once=True`` ticks, drains
the queue and returns.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from liudong.tasks import recovery, runner, scheduler
from liudong.tasks.models import Worker

logger = logging.getLogger("liudong.tasks")

DEFAULT_HEARTBEAT_SECONDS = 15


def new_worker_id() -> str:
    host = socket.gethostname()[:30]
    return f"{host}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


@dataclass
class TaskWorker:
    queues: tuple[str, ...] = (runner.ALL_QUEUES,)
    interval: float = 1.0
    schedule: bool = True
    worker_id: str = field(default_factory=new_worker_id)
    stop_event: threading.Event = field(default_factory=threading.Event)
    heartbeat_seconds: float = field(
        default_factory=lambda: float(
            getattr(settings, "LIUDONG_TASKS_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS)
        )
    )
    ran: int = 0

    def stop(self) -> None:
        """Ask the worker to stop after the task in hand."""
        self.stop_event.set()

    def run(self, *, once: bool = False) -> int:
        """Work until stopped (or, with ``once``, until the queue is empty); returns how many
        tasks ran."""
        runner.touch_worker(self.worker_id, self.queues)
        beats = threading.Event()
        heart = threading.Thread(
            target=self._beat, args=(beats,), name=f"heartbeat-{self.worker_id}", daemon=True
        )
        heart.start()
        logger.info("worker %s started, queues %s", self.worker_id, ",".join(self.queues))
        try:
            if once:
                self._housekeeping()
                self.ran += runner.run_pending(
                    queues=self.queues, worker_id=self.worker_id, recover=False
                )
            else:
                self._loop()
        finally:
            beats.set()
            heart.join(self.heartbeat_seconds + 5)
            self._stopped()
        return self.ran

    def _loop(self) -> None:
        last_housekeeping = float("-inf")
        while not self.stop_event.is_set():
            close_old_connections()
            if time.monotonic() - last_housekeeping >= self.interval:
                self._housekeeping()
                last_housekeeping = time.monotonic()
            try:
                claimed = runner.claim_next(self.worker_id, self.queues)
            except Exception:  # a database hiccup must not end the worker
                logger.exception("worker %s: could not claim a task; retrying", self.worker_id)
                claimed = None
                self.stop_event.wait(self.interval)
            if claimed is not None:
                runner.run_claimed(claimed)
                self.ran += 1
            else:
                self.stop_event.wait(self.interval)

    def _housekeeping(self) -> None:
        """Tick the scheduler and recover dead workers' tasks; failures are logged."""
        try:
            if self.schedule:
                scheduler.tick()
            recovery.recover_stale()
        except Exception:
            logger.exception("worker %s: scheduler or recovery failed; retrying", self.worker_id)

    def _beat(self, done: threading.Event) -> None:
        try:
            while not done.wait(self.heartbeat_seconds):
                try:
                    close_old_connections()
                    Worker.objects.filter(worker_id=self.worker_id).update(last_seen=timezone.now())
                except Exception:
                    logger.exception("worker %s: heartbeat failed; retrying", self.worker_id)
        finally:
            connections.close_all()  # this thread's connections

    def _stopped(self) -> None:
        try:
            now = timezone.now()
            Worker.objects.filter(worker_id=self.worker_id).update(last_seen=now, stopped_at=now)
        except Exception:
            logger.exception("worker %s: could not record its stop", self.worker_id)
        logger.info("worker %s stopped after %d task(s)", self.worker_id, self.ran)


def run_in_thread(worker: TaskWorker) -> threading.Thread:
    """Start ``worker.run()`` in a daemon thread that closes its connections at the end."""

    def target() -> None:
        try:
            worker.run()
        except Exception:
            logger.exception("worker %s ended with an error", worker.worker_id)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name=f"worker-{worker.worker_id}", daemon=True)
    thread.start()
    return thread
