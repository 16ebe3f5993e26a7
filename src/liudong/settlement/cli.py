"""``liudong settlement``: points rounds and policy analysis from the command line.

``liudong settlement rank --round ID`` runs a closed round's ranking in the foreground, with
progress: the same code as the background task ``rank_round`` (``actions.rank``), in one
transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from liudong.settlement.analysis_cli import simulate_command

settlement_app = typer.Typer(
    help="Settlement: points rounds, ranking and policy analysis.", no_args_is_help=True
)
settlement_app.command("simulate")(simulate_command)

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


@settlement_app.command("rank")
def rank_command(
    round_id: Annotated[int, typer.Option("--round", help="The round's id.", min=1)],
) -> None:
    """Rank a closed round now: score the confirmed applications, cut at the quota with the
    city's tie rule, commit every entry and store list version 1 with its Merkle root."""
    from liudong.cli import setup_django

    setup_django()
    from django.db import transaction

    from liudong.settlement.actions import rank
    from liudong.settlement.models import Round
    from liudong.site.errors import ActionError

    found = Round.objects.filter(pk=round_id).first()
    if found is None:
        errors.print(f"[bold red]error:[/] no round has the id {round_id}", markup=True)
        raise typer.Exit(2)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("ranking", total=4)

        def progress(done: int, total: int, message: str) -> None:
            bar.update(task, completed=done, total=total, description=message or "ranking")

        try:
            with transaction.atomic():
                listing = rank(found, progress)
        except ActionError as exc:
            errors.print(f"[bold red]error:[/] {exc.message}", markup=True)
            raise typer.Exit(2) from None
    cutoff = "-" if listing.cutoff_centi is None else f"{Decimal(listing.cutoff_centi) / 100:.2f}"
    console.print(
        f"round {found.pk} ({found.scheme} {found.year}): list v{listing.version}, "
        f"{listing.entry_count} entries, {listing.admitted_count} admitted "
        f"(quota {listing.quota}, cut-off {cutoff})"
    )
    console.print(f"root {listing.root}")
    console.print(f"snapshot {listing.snapshot}")
