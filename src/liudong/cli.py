"""The `liudong` command: one entry point for simulations, single decisions and the catalogue.

Every command prints errors as one readable line (what is wrong, what to do) and exits with
status 2 on bad input, never with a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from liudong.audit.cli import audit_app
from liudong.certificates.cli import certificate_app
from liudong.people.cli import people_app
from liudong.rules import (
    Reform,
    RulesError,
    Simulation,
    default_system,
    explain,
    render_text,
)
from liudong.rules.partition import partition_tasks, run_partitioned
from liudong.rules.summary import summarise
from liudong.settlement.cli import settlement_app
from liudong.tasks.cli import tasks_app, worker_command
from liudong.workdays.cli import calendar_app
from liudong.workflows.cli import workflows_app

app = typer.Typer(
    help="liudong 流动: rules, records and analytics for labour mobility.",
    no_args_is_help=True,
    add_completion=False,
)
rules_app = typer.Typer(
    help="The catalogue of rules: variables, parameters, citations.", no_args_is_help=True
)
population_app = typer.Typer(help="Synthetic populations.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(population_app, name="population")
app.add_typer(audit_app, name="audit")
app.add_typer(calendar_app, name="calendar")
app.add_typer(workflows_app, name="workflows")
app.add_typer(settlement_app, name="settlement")
app.add_typer(people_app, name="people")
app.add_typer(tasks_app, name="tasks")
app.add_typer(certificate_app, name="certificate")
app.command("worker")(worker_command)
demo_app = typer.Typer(help="The demo: data, accounts, TOTP codes.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
keys_app = typer.Typer(help="Production keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

console = Console()
errors = Console(stderr=True)

DEMO_DIR = Path("data/demo-population")
DEMO_VARIABLES = (
    "settlement_policy",
    "settlement_unrestricted",
    "residence_permit_eligible",
    "statutory_retirement_age_months",
    "dibao_eligible",
    "dibao_payment",
)


def main() -> None:
    """Entry point: run the app, turning rule and input errors into one clear line."""
    try:
        app()
    except RulesError as exc:
        errors.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        raise SystemExit(2) from None


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD") from None


def _names(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    for name in names:
        default_system().variable(name)  # unknown names fail here, with suggestions
    return names


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
    )


DateOpt = Annotated[str, typer.Option("--date", help="Evaluation date, YYYY-MM-DD.")]


# ---------------------------------------------------------------- population


@population_app.command("generate")
def population_generate(
    persons: Annotated[int, typer.Option(help="Number of persons.", min=1)] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 1,
    out: Annotated[Path, typer.Option(help="Output folder.")] = DEMO_DIR,
    applicants: Annotated[
        bool, typer.Option(help="Add the points-scheme applicant attributes.")
    ] = False,
) -> None:
    """Generate a synthetic population as a Parquet dataset."""
    from liudong import population

    start = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task("generating persons", total=persons)
        manifest = population.generate(
            persons, seed, out, progress=lambda n: bar.advance(task, n), applicants=applicants
        )
    took = time.perf_counter() - start
    console.print(
        f"{manifest.persons:,} persons in {manifest.households:,} households "
        f"-> {out} ({took:.1f} s)"
    )


# ---------------------------------------------------------------- simulate


@app.command()
def simulate(
    population: Annotated[Path | None, typer.Option(help="Population dataset folder.")] = None,
    date: DateOpt = "2025-06-01",
    variables: Annotated[str, typer.Option(help="Comma-separated variables.")] = ",".join(
        DEMO_VARIABLES
    ),
    reform: Annotated[Path | None, typer.Option(help="Reform JSON file.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write results here (.parquet).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes for partitions.")] = 1,
    demo: Annotated[
        bool, typer.Option(help="Generate (once) and use a 100,000-person demo.")
    ] = False,
) -> None:
    """Run the rules over a population and print a summary (with a reform: its changes)."""
    if population is None:
        if not demo:
            raise typer.BadParameter("give --population DIR (or --demo)", param_hint="--population")
        population = DEMO_DIR
        if not (population / "manifest.json").exists():
            population_generate(persons=100_000, seed=1, out=population)
    names = _names(variables)
    chosen = Reform.from_json(reform) if reform else None
    tasks = partition_tasks(population, _date(date), names, chosen, compare=chosen is not None)
    start = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task("simulating partitions", total=len(tasks))
        frames = run_partitioned(tasks, workers=workers, on_done=lambda n: bar.advance(task, n))
    took = time.perf_counter() - start
    _print_summary(summarise(default_system(), frames), chosen)
    rows = sum(f.height for f in frames.values())
    console.print(
        f"rule set {default_system().version} · as of {date} · {rows:,} rows · {took:.2f} s"
    )
    if out is not None:
        _write(frames, out)


def _print_summary(summary: pl.DataFrame, reform: Reform | None) -> None:
    title = "simulation" + (f" — reform: {reform.name}" if reform else "")
    table = Table(title=title)
    for column in summary.columns:
        table.add_column(
            column, justify="left" if column in {"variable", "entity", "unit"} else "right"
        )
    for row in summary.iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)


def _write(frames: dict[str, pl.DataFrame], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if len(frames) == 1:
        next(iter(frames.values())).write_parquet(out)
        console.print(f"results -> {out}")
        return
    for entity, frame in frames.items():
        path = out.with_name(f"{out.stem}.{entity}{out.suffix or '.parquet'}")
        frame.write_parquet(path)
        console.print(f"{entity} results -> {path}")


# ---------------------------------------------------------------- single decisions


@app.command()
def calc(
    date: DateOpt,
    variables: Annotated[str, typer.Option(help="Comma-separated variables.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    with_explanation: Annotated[
        bool, typer.Option("--explain", help="Explain each value.")
    ] = False,
    lang: Annotated[str, typer.Option(help="zh or en (text output).")] = "zh",
    reform: Annotated[Path | None, typer.Option(help="Reform JSON file.")] = None,
) -> None:
    """Decide one small case read from stdin: {"persons": [...], "households": [...]}."""
    try:
        case = json.loads(sys.stdin.read(), parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"stdin is not valid JSON: {exc}") from None
    if not isinstance(case, dict):
        raise typer.BadParameter('stdin must be an object like {"persons": [...]}')
    system = default_system()
    sim = Simulation.from_case(
        system, _date(date), case, Reform.from_json(reform) if reform else None
    )
    result: dict[str, Any] = {"rule_set": system.version, "as_of": date, "values": {}}
    for name in _names(variables):
        var = system.variable(name)
        values = sim.calculate(name)
        result["values"][name] = [var.vtype.to_python(v) for v in values]
        if with_explanation:
            result.setdefault("explanations", {})[name] = [
                explain(sim, name, row) for row in range(len(values))
            ]
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
        return
    for name, values in result["values"].items():
        console.print(f"{name}: {', '.join(str(v) for v in values)}")
    for explanations in result.get("explanations", {}).values():
        for item in explanations:
            _print_text(render_text(item, lang))


@app.command("explain")
def explain_command(
    population: Annotated[Path, typer.Option(help="Population dataset folder.")],
    entity_id: Annotated[int, typer.Option("--id", help="Key of the person or household.")],
    variable: Annotated[str, typer.Option(help="Variable to explain.")],
    date: DateOpt = "2025-06-01",
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Explain one value for one person or household of a population."""
    system = default_system()
    var = system.variable(variable)
    household = _household_of(population, var.entity.name, entity_id)
    frames = {
        name: pl.scan_parquet(population / name / "*.parquet")
        .filter(pl.col("household_id") == household)
        .collect()
        for name in ("person", "household")
    }
    sim = Simulation(system, _date(date), frames)
    result = explain(sim, variable, sim.row_of(var.entity, entity_id))
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
    else:
        _print_text(render_text(result, lang))


def _print_text(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _household_of(population: Path, entity: str, key: int) -> int:
    if entity == "household":
        return key
    found = (
        pl.scan_parquet(population / "person" / "*.parquet")
        .filter(pl.col("person_id") == key)
        .select("household_id")
        .collect()
    )
    if found.is_empty():
        raise typer.BadParameter(f"no person with person_id {key} in {population}")
    return int(found.item())


# ---------------------------------------------------------------- platform


def setup_django() -> None:
    """Configure Django for commands that need the database (settings from the environment)."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liudong.site.settings")
    django.setup()


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def manage(ctx: typer.Context) -> None:
    """Django's management commands (migrate, createsuperuser, check --deploy, ...)."""
    import os

    from django.core.management import execute_from_command_line

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liudong.site.settings")
    execute_from_command_line(["liudong manage", *ctx.args])


@app.command()
def serve(
    demo: Annotated[
        bool, typer.Option(help="Load the demo data and accounts on the first run.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="gunicorn worker processes.", min=1)] = 2,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (default: ./data or LIUDONG_DATA_DIR).")
    ] = None,
) -> None:
    """Migrate, collect static files and serve with gunicorn; seal the audit chain meanwhile."""
    from liudong.site import serve as server

    try:
        status = server.run(demo=demo, host=host, port=port, workers=workers, data_dir=data_dir)
    except KeyboardInterrupt:
        status = 130
    raise typer.Exit(status)


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a fresh set of production keys as environment lines (keep them in a secret store)."""
    from liudong.site import keys

    fresh = keys.generate()
    names = {
        "secret_key": "DJANGO_SECRET_KEY",
        "master_key": "LIUDONG_MASTER_KEY",
        "sm2_private": "LIUDONG_SM2_PRIVATE_KEY",
        "sm2_public": "LIUDONG_SM2_PUBLIC_KEY",
    }
    for field, env in names.items():
        print(f"{env}={fresh[field]}")  # plain stdout, for an env file


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo data and accounts (once; later runs only list the accounts)."""
    setup_django()
    from liudong.site import demo

    summary = demo.load(progress=lambda step: errors.print(f"demo data: {step} ..."))
    for account in summary.accounts:
        console.print(f"{account.username:<16} {account.role:<10} {account.where}")


@demo_app.command("totp")
def demo_totp(username: Annotated[str, typer.Argument(help="A demo staff account.")]) -> None:
    """Print the current TOTP code of a demo account (demo and test data only)."""
    setup_django()
    from django.conf import settings

    from liudong.site import demo

    if settings.PRODUCTION:
        raise typer.BadParameter("demo totp refuses to run with production settings")
    try:
        console.print(demo.totp_code(username))
    except LookupError as exc:
        raise typer.BadParameter(str(exc)) from None


# ---------------------------------------------------------------- catalogue


@rules_app.command("list")
def rules_list() -> None:
    """Every variable and parameter, with its citation."""
    system = default_system()
    table = Table(title=f"liudong rules {system.version}")
    for column in ("name", "kind", "entity", "type", "label", "citation"):
        table.add_column(column)
    for var in sorted(system.variables.values(), key=lambda v: (v.module, v.name)):
        kind = "input" if var.is_input else f"formula ×{len(var.formulas)}"
        table.add_row(
            var.name, kind, var.entity.name, var.vtype.name, var.label["zh"], var.cite.text()
        )
    for param in sorted(system.parameters.values(), key=lambda p: p.name):
        axes = "/".join(param.axes) or "-"
        table.add_row(
            param.name,
            "parameter",
            axes,
            param.vtype.name,
            param.label["zh"],
            f"{Path(param.file).name} ({param.confidence()})",
        )
    console.print(table)


@rules_app.command("show")
def rules_show(name: Annotated[str, typer.Argument(help="Variable or parameter name.")]) -> None:
    """A variable's formulas, inputs and citations, or a parameter's dated values."""
    system = default_system()
    if name in system.parameters:
        param = system.parameters[name]
        console.print(f"[bold]{param.name}[/] — {param.label['zh']} / {param.label['en']}")
        console.print(
            f"type {param.vtype.name} · unit {param.unit} · by {', '.join(param.axes) or '-'}"
            f" · file {param.file}"
        )
        table = Table()
        for column in ("key", "from", "to", "value", "source", "confidence"):
            table.add_column(column)
        for entry in param.all_entries():
            data = entry.as_dict(param.vtype)
            table.add_row(
                "/".join(entry.key) or "-",
                data["from"],
                data["to"] or "",
                json.dumps(data["value"], ensure_ascii=False).strip('"'),
                entry.cite.text(),
                entry.confidence,
            )
        console.print(table)
        return
    var = system.variable(name)
    deps = system.dependencies(name) if not var.is_input else None
    console.print(f"[bold]{var.name}[/] — {var.label['zh']} / {var.label['en']}")
    console.print(f"{var.entity.name} · {var.vtype.describe()} · unit {var.unit} · {var.module}")
    console.print(f"citation: {var.cite.text()}")
    if var.doc:
        console.print(var.doc)
    for formula in var.formulas:
        console.print(f"formula {formula.period()}: {formula.cite.text()} ({formula.location})")
    if deps is not None:
        console.print(f"inputs: {', '.join(deps.variables) or '-'}")
        console.print(f"parameters: {', '.join(deps.parameters) or '-'}")
    else:
        console.print("an input: the data supplies it")


@rules_app.command("version")
def rules_version() -> None:
    """The rule-set version: package version + hash of every rule and parameter file."""
    console.print(default_system().version)
