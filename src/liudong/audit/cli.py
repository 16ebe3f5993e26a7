"""``liudong audit seal`` and ``liudong audit verify``: the audit chain from the command line.

``verify`` exits 0 when the trail is intact and 1 when it has been tampered with (or cannot be
checked), printing the first bad sequence number and why; bad options exit 2.
"""

from __future__ import annotations

from pathlib import Path  # noqa: TC003  # typer reads the annotations at run time
from typing import Annotated

import typer
from rich.console import Console

audit_app = typer.Typer(
    help="The audit trail: seal events into signed checkpoints, verify the chain.",
    no_args_is_help=True,
)
console = Console(highlight=False)


@audit_app.command("seal")
def seal_command(
    batch_size: Annotated[
        int, typer.Option(help="Events per checkpoint (each batch is signed).", min=1)
    ] = 1000,
) -> None:
    """Seal every unsealed event and export the signed checkpoints to the checkpoint file."""
    from liudong.cli import setup_django

    setup_django()
    from liudong.audit import chain

    _print(chain.seal(batch_size).lines())


@audit_app.command("verify")
def verify_command(
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            help="The off-database copy of checkpoints.jsonl (default: the exported file).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
) -> None:
    """Recompute the chain and check it against the signed checkpoints; exit 1 on tampering."""
    from liudong.cli import setup_django

    setup_django()
    from liudong.audit import chain

    report = chain.verify(checkpoints)
    _print(report.lines(), style="green" if report.ok else "bold red")
    raise typer.Exit(0 if report.ok else 1)


def _print(lines: list[str], style: str = "") -> None:
    first, *rest = lines
    console.print(first, style=style or None, markup=False, soft_wrap=True)
    for line in rest:
        console.print(line, markup=False, soft_wrap=True)
