"""``liudong worker`` and ``liudong tasks list|show|schedule``: run background tasks and watch
them from the command line. Unknown task ids and bad options exit 2; ``show`` exits 1 when the
task failed."""

from __future__ import annotations

import signal
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    import datetime as dt
    from types import FrameType

tasks_app = typer.Typer(
    help="Background tasks: list them, show one (with its progress), the periodic jobs.",
    no_args_is_help=True,
)
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

STATE_STYLES = {"READY": "cyan", "RUNNING": "yellow", "SUCCESSFUL": "green", "FAILED": "bold red"}


def _setup() -> None:
    from liudong.cli import setup_django

    setup_django()


def worker_command(
    once: Annotated[
        bool, typer.Option("--once", help="Tick the scheduler, run every due task, then exit.")
    ] = False,
    queue: Annotated[
        list[str] | None,
        typer.Option("--queue", help="A queue to take tasks from (repeatable; default: all)."),
    ] = None,
    interval: Annotated[
        float, typer.Option(help="Seconds between polls of an empty queue.", min=0.05)
    ] = 1.0,
    schedule: Annotated[
        bool, typer.Option(help="Enqueue the periodic jobs when due (--no-schedule: don't).")
    ] = True,
) -> None:
    """Run background tasks and the periodic jobs, heart-beating, until Ctrl-C or SIGTERM (the
    task in hand is finished first; a second Ctrl-C stops at once)."""
    _setup()
    from liudong.tasks.worker import TaskWorker

    queues = tuple(queue) if queue else ("*",)
    worker = TaskWorker(queues=queues, interval=interval, schedule=schedule)

    def stop(signum: int, frame: FrameType | None) -> None:
        if worker.stop_event.is_set():
            raise KeyboardInterrupt
        errors.print(f"stopping worker {worker.worker_id} after the task in hand ...")
        worker.stop()

    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, stop)
    try:
        console.print(f"worker {worker.worker_id} (queues: {', '.join(queues)})")
        ran = worker.run(once=once)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    console.print(f"worker {worker.worker_id} ran {ran} task(s)")


@tasks_app.command("list")
def list_command(
    state: Annotated[
        str | None,
        typer.Option(help="Only READY, RUNNING, SUCCESSFUL or FAILED tasks."),
    ] = None,
    limit: Annotated[int, typer.Option(help="How many (newest first).", min=1, max=1000)] = 20,
) -> None:
    """The newest tasks: id, name, state, progress, started, worker."""
    _setup()
    from liudong.tasks import selectors

    if state is not None and state.upper() not in selectors.STATES:
        errors.print(f"--state must be one of {', '.join(selectors.STATES)}, not {state!r}")
        raise typer.Exit(2)
    rows = selectors.recent(state.upper() if state else None, limit)
    table = Table(title=f"background tasks ({len(rows)})")
    for column in ("id", "name", "state", "progress", "started", "worker"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["id"],
            row["label"],
            f"[{STATE_STYLES.get(row['state'], '')}]{row['state']}[/]",
            _progress_text(row["progress"]),
            _local(row["started_at"]),
            row["worker"] or "-",
        )
    console.print(table)


@tasks_app.command("show")
def show_command(
    task_id: Annotated[str, typer.Argument(help="The task's id (a UUID).")],
    watch: Annotated[
        bool, typer.Option("--watch", help="Follow the progress until the task ends.")
    ] = False,
    every: Annotated[float, typer.Option(help="Seconds between refreshes.", min=0.1)] = 1.0,
) -> None:
    """One task: state, progress, times, attempts, worker, error. Exit 1 if it failed."""
    _setup()
    from liudong.site.errors import NotFoundError
    from liudong.tasks import selectors

    try:
        task = selectors.status(task_id)
        if watch and not task["finished"]:
            task = _watch(task_id, every)
    except NotFoundError as exc:
        errors.print(f"error: {exc.message}")
        raise typer.Exit(2) from None
    _print_task(task)
    if task["state"] == "FAILED":
        console.print(selectors.traceback(task_id), markup=False, soft_wrap=True)
        raise typer.Exit(1)


def _watch(task_id: str, every: float) -> dict[str, Any]:
    from liudong.tasks import selectors

    task = selectors.status(task_id)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[message]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        shown = bar.add_task(task["label"], total=None, message="")
        while True:
            p = task["progress"]
            bar.update(
                shown,
                completed=p["done"],
                total=p["total"] or None,
                message=f"{task['state']} {p['message']}",
            )
            if task["finished"]:
                return task
            time.sleep(every)
            task = selectors.status(task_id)


def _print_task(task: dict[str, Any]) -> None:
    style = STATE_STYLES.get(task["state"], "")
    console.print(f"{task['label']}  [{style}]{task['state']}[/]  {task['id']}")
    if task["label"] != task["name"]:
        console.print(f"  task: {task['name']}", markup=False)
    p = task["progress"]
    message = f"  {p['message']}" if p["message"] else ""
    console.print(f"  progress: {_progress_text(p)}{message}", markup=False)
    for label, key in (("enqueued", "enqueued_at"), ("started", "started_at")):
        console.print(f"  {label}: {_local(task[key])}")
    console.print(f"  finished: {_local(task['finished_at'])}")
    alive = (
        ""
        if task["finished"] or not task["worker"]
        else (" (alive)" if task["worker_alive"] else " (lost)")
    )
    console.print(f"  attempts: {task['attempts']}, worker: {task['worker'] or '-'}{alive}")
    if task["recoveries"]:
        console.print(f"  recovered from a lost worker {task['recoveries']} time(s)")
    if task["error"]:
        console.print(f"  error: {task['error']}", style="bold red", markup=False)


def _local(moment: dt.datetime | None) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _progress_text(p: dict[str, Any]) -> str:
    return f"{p['done']}/{p['total']} ({p['percent']}%)" if p["total"] else "-"


@tasks_app.command("schedule")
def schedule_command() -> None:
    """The periodic jobs: when they run, their next run, their last task."""
    _setup()
    from liudong.tasks.models import ScheduledJob
    from liudong.tasks.schedule import jobs

    rows = {row.name: row for row in ScheduledJob.objects.all()}
    table = Table(title="periodic jobs")
    for column in ("name", "when", "next run", "last task", "target"):
        table.add_column(column, overflow="fold")
    for name, job in sorted(jobs().items()):
        row = rows.get(name)
        table.add_row(
            name,
            job.when,
            _local(row.next_run) if row else "(first tick)",
            str(row.last_result_id or "-") if row else "-",
            job.target,
        )
    console.print(table)
