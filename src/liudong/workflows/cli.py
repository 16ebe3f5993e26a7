"""``liudong workflows sweep``: escalate every overdue case now (``liudong serve`` also sweeps
periodically)."""

from __future__ import annotations

import typer
from rich.console import Console

workflows_app = typer.Typer(
    help="Case workflows: escalate cases past their statutory deadline.", no_args_is_help=True
)
console = Console(highlight=False)


@workflows_app.command("sweep")
def sweep_command() -> None:
    """Escalate every case past its deadline that is not escalated yet, and list them."""
    from liudong.cli import setup_django

    setup_django()
    from liudong.workflows.actions import do_sweep_overdue

    for line in do_sweep_overdue().lines():
        console.print(line, markup=False, soft_wrap=True)
