"""``liudong people import FILE [--confirm] --as USERNAME``: import persons and households from
a CSV (UTF-8) or xlsx file, in the name of a caseworker (her jurisdiction and audit trail).

Without ``--confirm`` it is a dry run: the report is printed and nothing in the registry
changes. With ``--confirm`` the file is applied right after its dry run if the report has no
errors: in this process, in the chunks the background task uses, with a progress bar. Exit
status: 0 done, 1 the file has bad rows (nothing imported) or the import failed (the chunks
written before the failure stay: run it again to import the rest), 2 bad input.
"""

from __future__ import annotations

from pathlib import Path  # noqa: TC003  # typer reads the annotations at run time
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from liudong.accounts.models import User

people_app = typer.Typer(help="The registry: import persons and households.", no_args_is_help=True)
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


@people_app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(help="A CSV (UTF-8) or xlsx file.", exists=True, dir_okay=False)
    ],
    as_user: Annotated[
        str, typer.Option("--as", help="The caseworker in whose name the import runs.")
    ],
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Apply the file if its dry run has no errors.")
    ] = False,
) -> None:
    """Check a file of persons and households (dry run) and, with --confirm, import it."""
    from liudong.cli import setup_django

    setup_django()
    from liudong.people import imports
    from liudong.site.errors import ActionError

    try:
        actor = _user(as_user)
        batch = imports.do_dry_run_import(actor, filename=file.name, data=file.read_bytes())
    except ActionError as exc:
        errors.print(f"{exc.code}: {exc.message}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    _print_report(batch.pk, batch.sm3, batch.report)
    if batch.report["errors"]:
        console.print("没有导入：请改正以上各行后重新运行。", markup=False)
        raise typer.Exit(1)
    if not confirm:
        console.print(
            f"试导入完成，登记数据没有改变。确认导入：liudong people import {file} "
            f"--as {as_user} --confirm",
            markup=False,
            soft_wrap=True,
        )
        return
    try:
        confirmed = imports.do_confirm_import(actor, batch.pk, sm3=batch.sm3, background=False)
    except ActionError as exc:
        errors.print(f"{exc.code}: {exc.message}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    outcome = _apply_with_bar(confirmed.pk)
    if outcome["status"] != "applied":
        errors.print(
            f"导入失败（第 {confirmed.pk} 批）：{outcome.get('failure') or outcome['status']}",
            markup=False,
            soft_wrap=True,
        )
        _print_written(outcome.get("written") or {})
        raise typer.Exit(1)
    console.print(f"已导入（第 {confirmed.pk} 批）。", markup=False)
    _print_written(outcome["written"])


def _apply_with_bar(batch_id: int) -> dict[str, Any]:
    """Write the confirmed batch in this process (the chunks of the background task), with a
    progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from liudong.people import imports

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        shown = bar.add_task("导入", total=None)

        def show(done: int, total: int, message: str) -> None:
            bar.update(shown, completed=done, total=total, description=message.split(" ")[0])

        return imports.apply_batch(batch_id, progress=show)


WRITTEN = {
    "persons_created": "新登记人员",
    "persons_updated": "更新人员信息",
    "hukou_changed": "户籍变更",
    "memberships_ended": "迁出原户",
    "memberships_started": "入户",
    "households_created": "新建家庭户",
}


def _print_written(written: dict[str, int]) -> None:
    for key, label in WRITTEN.items():
        if key in written:
            console.print(f"  {label}: {written[key]}", markup=False)


def _user(username: str) -> User:
    from liudong.accounts.models import User
    from liudong.site.errors import InvalidInputError

    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise InvalidInputError("unknown_user", f"no active user named {username!r}", "--as")
    return found


def _print_report(batch_id: int, sm3: str, report: dict[str, Any]) -> None:
    console.print(f"导入批次 {batch_id}（SM3 {sm3}）", markup=False)
    for label, key in (
        ("数据行", "rows"),
        ("新增人员", "new"),
        ("更新人员", "updated"),
        ("没有变化", "unchanged"),
        ("新的家庭户", "new_households"),
        ("重复的行", "duplicates"),
        ("有错误的行", "errors"),
    ):
        console.print(f"  {label}: {report[key]}", markup=False)
    for problem in report["problems"]:
        console.print(
            f"  第{problem['row']}行 [{problem['column']}] {problem['problem']}"
            f" —— 正确的写法：{problem['expected']}",
            markup=False,
            soft_wrap=True,
        )
    for problem in report["duplicate_rows"]:
        console.print(f"  第{problem['row']}行（重复）{problem['problem']}", markup=False)
