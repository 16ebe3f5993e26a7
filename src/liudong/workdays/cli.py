"""``liudong calendar load FILE`` and ``liudong calendar show YEAR``: holiday arrangements from
the command line.

``load`` runs ``do_load_arrangement`` as the system (no ``--as``) or as a named administrator,
so the audit trail says who loaded the year. A refused file exits 2 with the error's code,
field and message; nothing is stored.
"""

from __future__ import annotations

from pathlib import Path  # noqa: TC003  # typer reads the annotations at run time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from liudong.workdays.calendar import Arrangement

calendar_app = typer.Typer(
    help="Working days: load and show the State Council's holiday arrangements.",
    no_args_is_help=True,
)
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


@calendar_app.command("load")
def load_command(
    file: Annotated[
        Path,
        typer.Argument(help="A year's arrangement, .yaml or .json.", exists=True, dir_okay=False),
    ],
    as_user: Annotated[
        str | None, typer.Option("--as", help="Load as this administrator (default: the system).")
    ] = None,
) -> None:
    """Check and load one year's arrangement (replacing an earlier load of that year)."""
    from liudong.cli import setup_django

    setup_django()
    from liudong.site.errors import ActionError
    from liudong.workdays.actions import do_load_arrangement
    from liudong.workdays.files import read_arrangement_file

    try:
        actor = _administrator(as_user)
        row = do_load_arrangement(actor, read_arrangement_file(file.name, file.read_bytes()))
    except ActionError as exc:
        where = f" ({exc.field})" if exc.field else ""
        errors.print(f"error [{exc.code}]{where}: {exc.message}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    console.print(
        f"loaded {row.year}: {len(row.holidays)} days off, "
        f"{len(row.workdays)} make-up working days — {row.source}",
        markup=False,
    )


@calendar_app.command("show")
def show_command(year: Annotated[int, typer.Argument(help="The year, e.g. 2027.")]) -> None:
    """A year's days off and make-up working days, and where they come from."""
    from liudong.cli import setup_django

    setup_django()
    from liudong.workdays import default_calendar

    found = default_calendar().arrangement(year)
    if found is None:
        console.print(f"{year}: no arrangement loaded — provisional: weekends only", markup=False)
        return
    for line in _lines(found):
        console.print(line, markup=False, soft_wrap=True)


def _lines(arrangement: Arrangement) -> list[str]:
    published = f", published {arrangement.published_on}" if arrangement.published_on else ""
    return [
        f"{arrangement.year}: {arrangement.source}{published}",
        "days off: " + " ".join(d.isoformat() for d in sorted(arrangement.holidays)),
        "make-up working days: " + " ".join(d.isoformat() for d in sorted(arrangement.workdays)),
    ]


def _administrator(username: str | None) -> User | None:
    """The user named by ``--as`` (the action checks the role), or None for the system."""
    if username is None:
        return None
    from liudong.accounts.models import User
    from liudong.site.errors import InvalidInputError

    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise InvalidInputError("unknown_user", f"no active user named {username!r}", "--as")
    return found
