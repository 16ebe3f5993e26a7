"""``liudong settlement simulate``: a points scheme over a synthetic population, with a reform.

Registered on the ``settlement`` sub-app (``liudong.settlement.cli``). The figures come from
:mod:`liudong.settlement.analysis`, the same as the analyst page's.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path  # noqa: TC003  # typer reads the annotations at run time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from liudong.rules import Reform
from liudong.rules.errors import RulesError
from liudong.settlement import analysis, schemes

console = Console()
errors = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    return typer.Exit(2)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD") from None


def simulate_command(
    city: Annotated[str, typer.Option(help="Scheme: " + ", ".join(schemes.SCHEMES) + ".")],
    population: Annotated[
        Path, typer.Option(help="Dataset of `liudong population generate --applicants`.")
    ],
    quota: Annotated[int, typer.Option(help="Places in the round (real persons).")] = 6000,
    reform: Annotated[Path | None, typer.Option(help="Reform JSON file.")] = None,
    on: Annotated[str, typer.Option(help="Evaluation date, YYYY-MM-DD.")] = "2024-06-01",
    scale: Annotated[
        bool,
        typer.Option(help="Scale the quota to the synthetic city (--no-scale: use it as is)."),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Run a city's points scheme over a synthetic population: preconditions, scores, the
    cut-off for the quota and, with --reform, who enters and who drops out."""
    when = _date(on)
    start = time.perf_counter()
    try:
        changed = Reform.from_json(reform) if reform is not None else None
        people = analysis.load(population, city, when)
        run = analysis.simulate(people, quota, changed, scale=scale)
        data = analysis.summary(run)
    except KeyError as exc:
        raise _fail(str(exc.args[0]) if exc.args else str(exc)) from None
    except schemes.FactError as exc:
        raise _fail(f"--{exc.field}: {exc.problem}; expected {exc.expected}") from None
    except (RulesError, ValueError) as exc:
        raise _fail(str(exc)) from None
    data["seconds"] = round(time.perf_counter() - start, 3)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    _print(data)


def _label(labels: dict[str, str]) -> str:
    return labels.get("zh", "") + (f" / {labels['en']}" if labels.get("en") else "")


def _print(data: dict[str, Any]) -> None:
    pop = data["population"]
    console.print(
        f"[bold]{_label(data['scheme_name'])}[/] on {data['on']}  ruleset {data['ruleset']}"
    )
    console.print(
        f"persons {pop['persons']:,}; living in the city {pop['residents']:,} (one stands for "
        f"{data['weight']:,.1f} residents); candidates (adults, hukou elsewhere) "
        f"{pop['candidates']:,}: eligible {pop['eligible']:,}, not eligible "
        f"{pop['ineligible']:,}; applicants {pop['applicants']:,}"
    )
    console.print(
        f"quota {data['quota']:,} -> {data['places']:,} synthetic places ({data['tie_rule']})"
    )
    if data["defaulted_fields"]:
        console.print(
            "fields the dataset lacks (default used): " + ", ".join(data["defaulted_fields"])
        )
    failing = Table("precondition", "failing", "failing only this", title="preconditions")
    for row in data["baseline"]["preconditions"]:
        failing.add_row(
            _label(row["label"]), f"{row['failing']:,}", f"{row['failing_only_this']:,}"
        )
    console.print(failing)
    outcomes = [data["baseline"]] + ([data["reform"]] if data["reform"] else [])
    table = Table("", *(o["label"] for o in outcomes), title="scores of the applicants")
    rows = [("cut-off", "cutoff"), ("admitted", "admitted"), ("tied at cut-off", "tied_at_cutoff")]
    for title, key in rows:
        table.add_row(title, *(str(o[key]) for o in outcomes))
    for q in data["baseline"]["quantiles"]:
        table.add_row(q, *(str(o["quantiles"][q]) for o in outcomes))
    console.print(table)
    _print_histogram(data["baseline"])
    if data["movers"]:
        _print_movers(data)
    if data["published"]:
        pub = data["published"]
        console.print(
            f"published ({pub['source']}): applicants {pub['applicants'][0]:,}–"
            f"{pub['applicants'][1]:,}, cut-offs {pub['cutoff'][0]}–{pub['cutoff'][1]}; "
            f"synthetic: applicants ≈ {pub['synthetic_applicants_weighted']:,} (weighted), "
            f"cut-off {pub['synthetic_cutoff']}"
        )
    console.print(f"{data['seconds']} s")


def _print_histogram(outcome: dict[str, Any]) -> None:
    bins = outcome["histogram"]
    if not bins:
        return
    top = max(b["applicants"] for b in bins) or 1
    for b in bins:
        bar = "#" * round(40 * b["applicants"] / top)
        console.print(
            f"{b['from']:>7.2f}–{b['to']:<7.2f} {b['applicants']:>8,} {bar}", highlight=False
        )


def _print_movers(data: dict[str, Any]) -> None:
    movers = data["movers"]
    console.print(
        f"reform {data['reform_name']}: {movers['entrants']:,} enter, {movers['leavers']:,} "
        f"drop out, {movers['stayers']:,} stay"
    )
    for name, groups in movers["by"].items():
        table = Table(name, "law", "reform", "enter", "drop out", "net", title=f"by {name}")
        for g in groups:
            table.add_row(
                str(g["group"]),
                *(f"{g[k]:,}" for k in ("baseline", "reform", "entrants", "leavers", "net")),
            )
        console.print(table)
