"""``liudong certificate verify FILE``, ``show CODE`` and ``check``.

``verify`` exits 0 when the file is a valid certificate and 1 when it is not, printing the
reason (changed file, unknown code, revoked, bad signature); 2 on a bad argument (no such
file). ``show`` prints a certificate's status and, if it failed, why. ``check`` says whether
this machine can render certificates, and what to install if not (exit 1 if not).
"""

from __future__ import annotations

from pathlib import Path  # noqa: TC003  # typer reads the annotations at run time
from typing import Annotated

import typer
from rich.console import Console

certificate_app = typer.Typer(
    help="PDF certificates: verify a file, show a certificate's status, check the renderer.",
    no_args_is_help=True,
)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False)


def _django() -> None:
    from liudong.cli import setup_django  # liudong.cli imports this module

    setup_django()


@certificate_app.command("verify")
def verify_command(
    file: Annotated[
        Path,
        typer.Argument(help="The certificate PDF.", exists=True, dir_okay=False, readable=True),
    ],
) -> None:
    """Check a certificate PDF: unchanged, on record, signed and not revoked (exit 0)."""
    _django()
    from liudong.certificates import verification
    from liudong.site.errors import InvalidInputError

    with file.open("rb") as handle:
        data = handle.read(verification.MAX_FILE_BYTES + 1)
    try:
        verdict = verification.verify_file(None, data)
    except InvalidInputError as exc:
        console.print(f"INVALID: {exc.message}", markup=False)
        raise typer.Exit(1) from None
    console.print(("VALID: " if verdict.valid else "INVALID: ") + verdict.message, markup=False)
    shown = verdict.public()
    if shown is not None:
        console.print(f"{shown['title']} · {shown['authority']} · {shown['status_label']}")
        for item in shown["fields"]:
            console.print(f"  {item['label']}: {item['value']}", markup=False)
    raise typer.Exit(0 if verdict.valid else 1)


@certificate_app.command("show")
def show_command(code: Annotated[str, typer.Argument(help="The verification code.")]) -> None:
    """A certificate's status (with the reason if it failed) and its masked fields."""
    _django()
    from liudong.certificates import verification
    from liudong.site.errors import InvalidInputError

    try:
        verdict = verification.verify_code(None, code)
    except InvalidInputError as exc:
        raise typer.BadParameter(exc.message, param_hint="CODE") from None
    certificate = verdict.certificate
    console.print(verdict.message, markup=False)
    if certificate is None:
        raise typer.Exit(1)
    console.print(f"{certificate.title} · {certificate.kind} · {certificate.authority}")
    console.print(f"status: {certificate.status}", markup=False)
    if certificate.failure_reason:
        console.print(f"reason: {certificate.failure_reason}", markup=False)
    shown = verdict.public() or {}
    for item in shown.get("fields", []):
        console.print(f"  {item['label']}: {item['value']}", markup=False)
    raise typer.Exit(0 if verdict.valid else 1)


@certificate_app.command("check")
def check_command() -> None:
    """Whether WeasyPrint's libraries (Pango) and the Noto CJK fonts are installed."""
    _django()
    from liudong.certificates import pdf

    ready = pdf.readiness()
    console.print(ready.message, markup=False)
    raise typer.Exit(0 if ready.ok else 1)
