"""``liudong serve``: migrate, (demo) seed once, collect static files, then serve with gunicorn
and run background tasks and the periodic jobs (audit sealing every minute, the escalation
sweep every five minutes, ...: ``liudong.tasks.schedule``) until Ctrl-C.

gunicorn runs as a child process (``python -m gunicorn liudong.site.wsgi:application``); the
task worker (``liudong.tasks.worker``, the same as ``liudong worker``) runs in a thread of
this process, which otherwise only waits for gunicorn: a thread costs no second interpreter
and Django start-up, shares the signal handling here and stops with an event; a task that
outlives the stop timeout is left RUNNING and recovered (lease) at the next start. More
workers, anywhere, are ``liudong worker`` processes. On the way out the audit chain is
sealed once more. Ctrl-C (SIGINT) and SIGTERM stop everything cleanly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from types import FrameType

    from liudong.site.demo import DemoSummary

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20

console = Console(highlight=False)


class Stop(Exception):  # noqa: N818  # a signal, not an error
    """SIGTERM arrived: stop like Ctrl-C."""


@dataclass(frozen=True)
class Options:
    demo: bool
    host: str
    port: int
    workers: int
    data_dir: Path | None = None


def serve(options: Options) -> int:
    """Prepare and serve until stopped; returns the exit status."""
    if options.data_dir is not None:
        os.environ["LIUDONG_DATA_DIR"] = str(options.data_dir.resolve())
    from liudong.cli import setup_django

    setup_django()
    summary = prepare(demo=options.demo)
    url = f"http://{options.host}:{options.port}/"
    with _signals(), _worker():
        server = _start_gunicorn(options)
        try:
            _wait_until_listening(server, options.host, options.port)
            _announce(url, summary)
            status = server.wait()
        except (KeyboardInterrupt, Stop):
            console.print("stopping ...")
            status = 0
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut
                signal.signal(signum, signal.SIG_IGN)  # the shutdown short
            _stop(server)
    console.print("stopped.")
    return status


def prepare(*, demo: bool) -> DemoSummary | None:
    """Migrate, seed the demo (first run only), collect static files."""
    from django.core.management import call_command
    from django.db import connections

    console.print("migrating the database ...")
    call_command("migrate", interactive=False, verbosity=0)
    summary = None
    if demo:
        from liudong.site import demo as demo_data

        summary = demo_data.load(progress=lambda step: console.print(f"demo data: {step} ..."))
    console.print("collecting static files ...")
    call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()  # the workers and the sealer open their own
    return summary


def _start_gunicorn(options: Options) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "liudong.site.wsgi:application",
        "--bind",
        f"{options.host}:{options.port}",
        "--workers",
        str(options.workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    ]
    if _gunicorn_version() >= (27,):
        command.append("--no-control-socket")  # several instances must not share its path
    return subprocess.Popen(command, env=os.environ.copy())  # noqa: S603  # our own interpreter


def _gunicorn_version() -> tuple[int, ...]:
    from importlib.metadata import version

    return tuple(int(part) for part in version("gunicorn").split(".")[:2] if part.isdigit())


def _wait_until_listening(server: subprocess.Popen[bytes], host: str, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode} before serving")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not listen on {host}:{port} within {START_TIMEOUT_SECONDS} s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown
        try:
            server.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def _signals() -> Iterator[None]:
    """SIGTERM stops the server like Ctrl-C; both handlers are restored afterwards."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Stop

    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    try:
        yield
    finally:
        for signum, restored in previous.items():
            signal.signal(signum, restored)


@contextlib.contextmanager
def _worker() -> Iterator[None]:
    """Run the task worker (tasks and periodic jobs) in a thread while inside; on the way out
    let it finish the task in hand (up to the stop timeout), then seal the audit chain once
    more so nothing is left pending at shutdown."""
    from liudong.tasks.worker import TaskWorker, run_in_thread

    worker = TaskWorker()
    thread = run_in_thread(worker)
    try:
        yield
    finally:
        worker.stop()
        thread.join(STOP_TIMEOUT_SECONDS)
        _seal_once_more()


def _seal_once_more() -> None:
    from django.db import connections

    from liudong.audit import chain

    try:
        chain.seal()
    except Exception:  # the sealer of the next start seals what is left
        logging.getLogger("liudong.audit").exception("audit sealing at shutdown failed")
    finally:
        connections.close_all()


# ---------------------------------------------------------------- what the operator sees


def _announce(url: str, summary: DemoSummary | None) -> None:
    console.print()
    console.print(f"liudong is serving at [bold]{url}[/]  (Ctrl-C stops it)")
    if summary is None:
        _announce_empty()
        return
    _announce_demo(summary)


def _announce_empty() -> None:
    from liudong.accounts.models import User

    if User.objects.exists():
        return
    console.print(
        "No accounts yet. Create the first administrator (role admin, with an authenticator):\n"
        f"  {_same_data()}uv run liudong manage createadmin USERNAME\n"
        "It prints an otpauth:// URI (and a QR code) for the authenticator app."
    )


def _same_data() -> str:
    """The environment a second command needs to reach this server's data directory."""
    folder = os.environ.get("LIUDONG_DATA_DIR")
    return f"LIUDONG_DATA_DIR={folder} " if folder else ""


def _announce_demo(summary: DemoSummary) -> None:
    counts = ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in summary.counts.items())
    console.print(f"demo data {'loaded' if summary.created else 'already loaded'}: {counts}")
    table = Table(title="demo accounts (password for all: " + _password(summary) + ")")
    for column in ("username", "role", "agency / employer / person", "second factor"):
        table.add_column(column)
    for account in summary.accounts:
        table.add_row(
            account.username, account.role, account.where, "TOTP" if account.otpauth else "-"
        )
    console.print(table)
    console.print("TOTP secrets (add to an authenticator app, or print the current code with")
    console.print(f"  {_same_data()}uv run liudong demo totp USERNAME):")
    for account in summary.accounts:
        if account.otpauth:
            console.print(f"  {account.username}: {account.otpauth}", soft_wrap=True)
    if summary.unbound_example is not None:
        number, name = summary.unbound_example
        console.print(
            f"To try real-name binding, sign up and bind to the synthetic person {name} "
            f"{number}; the SMS code is shown on the page (the demo has no SMS gateway)."
        )


def _password(summary: DemoSummary) -> str:
    return summary.accounts[0].password if summary.accounts else "-"


def run(**kwargs: Any) -> int:
    """Entry point for the CLI."""
    return serve(Options(**kwargs))
