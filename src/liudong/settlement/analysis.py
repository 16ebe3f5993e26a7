"""Policy analysis of a points scheme over a synthetic population (pure: Polars and numpy).

The same rules that score one applicant (:func:`liudong.settlement.schemes.assess_table`) run
over every candidate of a population dataset made by ``liudong population generate
--applicants``; the same ranking (:func:`liudong.settlement.ranking.cut`) cuts the list at the
quota. One run answers: how many candidates meet the preconditions (and which precondition
fails how often), how the scores of those who apply are spread, where the quota puts the
cut-off and, under a reform, who enters the admitted list and who drops out of it, by age
band, education and hukou province.

*Candidates* are the adults living in the scheme's city with a hukou elsewhere (the people a
settlement scheme is for). *Applicants* are the candidates who meet the preconditions and
would apply (the dataset's ``applies`` column, an assumption of the generator; every eligible
candidate when the column is absent). A synthetic city is smaller than the real one: each
synthetic resident stands for ``weight`` real residents (the city's resident population in
:mod:`liudong.population.calibration` over the residents in the dataset), so a real quota of
6,000 becomes ``round(6000 / weight)`` synthetic places unless ``scale=False``.

The CLI (``liudong settlement simulate``) and the analyst page share :func:`simulate`,
:func:`summary` and :func:`charts`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from liudong.population import calibration as cal
from liudong.settlement import schemes
from liudong.settlement.ranking import Cut, TieRule, cut

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy.typing as npt

    from liudong.rules import Reform

__all__ = [
    "AGE_BANDS",
    "BREAKDOWNS",
    "Candidates",
    "Outcome",
    "Simulation",
    "candidates",
    "charts",
    "load",
    "needed_columns",
    "simulate",
    "summary",
]

AGE_BANDS: Final = ((18, 30), (30, 35), (35, 40), (40, 45), (45, 50), (50, 200))
"""Age bands [low, high) for the breakdowns: 45 is the Beijing age item's edge."""
BREAKDOWNS: Final = ("age_band", "education", "hukou_province")
MAX_MONTHS: Final = 720
_QUANTILES: Final = (0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
_BASE: Final = (
    "birth_date",
    "retirement_group",
    "education",
    "hukou_region",
    "residence_region",
    "si_months",
)


def _age(on: dt.date) -> pl.Expr:
    """Whole years of age on ``on`` from ``birth_date``."""
    birth = pl.col("birth_date")
    before = (birth.dt.month() > on.month) | (
        (birth.dt.month() == on.month) & (birth.dt.day() > on.day)
    )
    return (on.year - birth.dt.year() - before.cast(pl.Int32)).cast(pl.Int32)


def _band_labels() -> list[str]:
    return [f"{lo}–{hi - 1}" if hi < 200 else f"{lo}+" for lo, hi in AGE_BANDS]


def _age_band(age: pl.Expr) -> pl.Expr:
    labels = _band_labels()
    band: Any = pl.when(age < AGE_BANDS[0][1]).then(pl.lit(labels[0]))
    for (_, hi), label in zip(AGE_BANDS[1:], labels[1:], strict=True):
        band = band.when(age < hi).then(pl.lit(label))
    result: pl.Expr = band.otherwise(pl.lit(labels[-1]))
    return result


def _kind(kinds: Sequence[str]) -> pl.Expr:
    return pl.col("residence_kind").cast(pl.String).is_in(list(kinds))


def _months(expr: pl.Expr) -> pl.Expr:
    """Months as the schemes take them: at most 60 years (older people fail on age anyway)."""
    return expr.clip(0, MAX_MONTHS).cast(pl.Int64)


# How each scheme's fields come from the population's columns (for residents of its city).
# Fields without an entry take the field's default (reported as ``defaulted``).
_SOURCES: Final[Mapping[str, Mapping[str, pl.Expr]]] = {
    "beijing": {
        "hukou_region": pl.col("hukou_region").cast(pl.Int64),
        "holds_residence_permit": pl.col("has_residence_permit"),
        "birth_date": pl.col("birth_date"),
        "retirement_group": pl.col("retirement_group"),
        "si_months_beijing": _months(pl.col("si_months")),
        "has_criminal_record": pl.col("criminal_record"),
        "bj_residence_own_months": _months(
            pl.when(_kind(["own"])).then(pl.col("residence_months")).otherwise(0)
        ),
        "bj_residence_rent_months": _months(
            pl.when(_kind(["rented", "dorm"])).then(pl.col("residence_months")).otherwise(0)
        ),
        "education": pl.col("education"),
        "education_matched": pl.col("has_diploma") & pl.col("has_degree")
        | (pl.col("education").cast(pl.String) == "junior_college")
        | ~(pl.col("has_diploma") | pl.col("has_degree")),
        "bj_study_overlap_months": _months(pl.col("study_overlap_months")),
        "bj_outer_residence_only_years": pl.when(pl.col("core_moved_with_job"))
        .then(0)
        .otherwise(pl.col("core_moved_years"))
        .cast(pl.Int64),
        "bj_outer_job_and_residence_years": pl.when(pl.col("core_moved_with_job"))
        .then(pl.col("core_moved_years"))
        .otherwise(0)
        .cast(pl.Int64),
        "bj_science_award_tier": pl.col("innovation_award_tier").cast(pl.Int64),
        "bj_tax_qualifying_years": pl.col("tax_years").cast(pl.Int64),
        "bj_tax_violations": pl.col("tax_violations").cast(pl.Int64),
        "bj_honour": pl.col("honours"),
        "detention_records": pl.col("detention_records").cast(pl.Int64),
    },
    "shanghai": {
        "hukou_region": pl.col("hukou_region").cast(pl.Int64),
        "holds_residence_permit": pl.col("has_residence_permit"),
        "birth_date": pl.col("birth_date"),
        "education": pl.col("education"),
        "education_matched": pl.col("has_diploma") & pl.col("has_degree")
        | (pl.col("education").cast(pl.String) == "junior_college")
        | ~(pl.col("has_diploma") | pl.col("has_degree")),
        "si_months_shanghai": _months(pl.col("si_months")),
        "vocational_grade": pl.col("skill_grade"),
        "professional_title": pl.col("professional_title"),
        # titles count with a contribution base of at least the average wage (an adapter
        # reading of the generator's base tier; the matching post is assumed)
        "sh_title_conditions_met": pl.col("si_base_tier")
        .cast(pl.String)
        .is_in(["100_200", "200_300", "300_plus"]),
        "sh_shortage_major": pl.col("shortage_discipline"),
        "sh_si_base_band": pl.col("si_base_tier"),
        "sh_fresh_graduate": pl.col("fresh_graduate"),
        "sh_criminal_records": pl.col("criminal_record").cast(pl.Int64),
        "detention_records": pl.col("detention_records").cast(pl.Int64),
    },
}


def _sources(key: str) -> Mapping[str, pl.Expr]:
    schemes.scheme(key)  # an unknown key fails with the list of schemes
    return _SOURCES.get(key, {})


def needed_columns(key: str) -> list[str]:
    """The population columns a run of scheme ``key`` reads."""
    names: set[str] = set(_BASE) | {"applies"}
    for expr in _sources(key).values():
        names.update(expr.meta.root_names())
    return sorted(names)


@dataclass(frozen=True)
class Candidates:
    """The candidates of one scheme in one dataset, as the scheme's fields plus breakdowns."""

    scheme: str
    on: dt.date
    table: pl.DataFrame  # the scheme's fields, "applies", age_band, education, hukou_province
    persons: int  # rows of the dataset
    residents: int  # persons living in the scheme's city
    weight: float  # real residents per synthetic resident
    defaulted: tuple[str, ...]  # fields the dataset lacks: every candidate has the default


def _city(code: pl.Expr) -> pl.Expr:
    province = code // 10_000
    municipal = province.is_in([11, 12, 31, 50])
    return pl.when(municipal).then(province * 10_000).otherwise(code // 100 * 100)


def candidates(frame: pl.DataFrame | pl.LazyFrame, key: str, on: dt.date) -> Candidates:
    """The candidates of scheme ``key`` in a person frame (or a lazy scan of one)."""
    sch = schemes.scheme(key)
    lazy = frame.lazy()
    columns = set(lazy.collect_schema().names())
    missing = sorted(set(_BASE) - columns)
    if missing:
        raise schemes.FactError(
            missing[0],
            "the population has no such column",
            "a dataset of `liudong population generate --applicants`",
        )
    sources = {n: e for n, e in _sources(key).items() if set(e.meta.root_names()) <= columns}
    in_city = _city(pl.col("residence_region").cast(pl.Int64)) == sch.region
    counts = lazy.select(pl.len().alias("persons"), in_city.sum().alias("residents")).collect()
    persons, residents = int(counts["persons"][0]), int(counts["residents"][0])
    age = _age(on)
    chosen = lazy.filter(
        in_city & (_city(pl.col("hukou_region").cast(pl.Int64)) != sch.region) & (age >= 18)
    )
    applies = pl.col("applies") if "applies" in columns else pl.lit(value=True)
    table = chosen.select(
        *(expr.alias(name) for name, expr in sources.items()),
        applies.alias("applies"),
        _age_band(age).alias("age_band"),
        pl.col("education").cast(pl.String).alias("education_level"),
        (pl.col("hukou_region").cast(pl.Int64) // 10_000 * 10_000).alias("hukou_province"),
    ).collect()
    defaulted = tuple(f.name for f in sch.fields if f.name not in sources)
    return Candidates(key, on, table, persons, residents, _weight(sch.region, residents), defaulted)


def _weight(region: int, residents: int) -> float:
    name = f"city.population.{region}"
    if residents == 0 or name not in cal.TABLE:
        return 1.0
    return cal.number(name) * 1_000_000 / residents


def load(directory: Path | str, key: str, on: dt.date) -> Candidates:
    """The candidates of scheme ``key`` in a dataset folder (reads only the columns needed)."""
    folder = Path(directory) / "person"
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise schemes.FactError(
            "population",
            f"{folder} has no Parquet parts",
            "a folder made by `liudong population generate --applicants --out DIR`",
        )
    lazy = pl.scan_parquet(files)
    present = set(lazy.collect_schema().names())
    return candidates(lazy.select(sorted(set(needed_columns(key)) & present)), key, on)


@dataclass(frozen=True)
class Outcome:
    """One scoring of the candidates (the law, or the law under a reform) and its cut."""

    label: str
    eligible: npt.NDArray[np.bool_]
    applicant: npt.NDArray[np.bool_]
    score_centi: npt.NDArray[np.int64]
    preconditions: dict[str, npt.NDArray[np.bool_]]
    items: dict[str, npt.NDArray[np.int64]]
    cut: Cut


@dataclass(frozen=True)
class Simulation:
    """A run: the candidates, the law's outcome and, with a reform, the reform's."""

    candidates: Candidates
    quota: int  # real places
    places: int  # synthetic places the cut uses
    tie_rule: TieRule
    ruleset: str
    baseline: Outcome
    reform: Outcome | None
    reform_name: str | None
    reform_description: str


def _outcome(
    label: str, people: Candidates, reform: Reform | None, places: int, rule: TieRule
) -> Outcome:
    sch = schemes.scheme(people.scheme)
    scored = schemes.assess_table(people.scheme, people.table, people.on, reform)
    eligible = scored["eligible"].to_numpy()
    applicant = eligible & people.table["applies"].to_numpy()
    score = scored["score_centi"].to_numpy()
    return Outcome(
        label=label,
        eligible=eligible,
        applicant=applicant,
        score_centi=score,
        preconditions={p[0]: scored[f"pre_{p[0]}"].to_numpy() for p in sch.preconditions},
        items={i.key: scored[f"{i.key}_centi"].to_numpy() for i in sch.items},
        cut=cut(score, applicant, places, rule),
    )


def _probe_value(kind: str, choices: Sequence[tuple[str, object]]) -> object:
    probes: dict[str, object] = {"bool": False, "int": 0, "decimal": 0, "date": dt.date(1990, 1, 1)}
    return choices[0][0] if kind == "choice" else probes[kind]


def check_reform(key: str, on: dt.date, reform: Reform) -> None:
    """Raise (FactError or a rules error) if ``reform`` names parameters or values the scheme
    cannot take on ``on``: one probe row is scored under it."""
    sch = schemes.scheme(key)
    row = {f.name: [_probe_value(f.kind, f.choices)] for f in sch.fields if f.required}
    schemes.assess_table(key, pl.DataFrame(row), on, reform)


def places_for(quota: int, weight: float, *, scale: bool = True) -> int:
    """Synthetic places for a real quota: ``round(quota / weight)``, at least 1."""
    if quota < 1:
        raise schemes.FactError("quota", f"{quota} places admit nobody", "at least 1 place")
    return max(1, round(quota / weight)) if scale else quota


def simulate(
    people: Candidates,
    quota: int,
    reform: Reform | None = None,
    *,
    scale: bool = True,
    tie_rule: TieRule | None = None,
) -> Simulation:
    """Score, rank and cut the candidates under the law and, if given, under ``reform``."""
    key, on = people.scheme, people.on
    rule = tie_rule or schemes.tie_rule(key, on)[0]
    places = places_for(quota, people.weight, scale=scale)
    baseline = _outcome("baseline", people, None, places, rule)
    reformed = _outcome(reform.name, people, reform, places, rule) if reform else None
    return Simulation(
        candidates=people,
        quota=quota,
        places=places,
        tie_rule=rule,
        ruleset=schemes.ruleset_version(key, on),
        baseline=baseline,
        reform=reformed,
        reform_name=reform.name if reform else None,
        reform_description=reform.description if reform else "",
    )


# ---------------------------------------------------------------- figures


def _points(centi: float | int | None) -> float | None:
    return None if centi is None else round(float(centi) / 100, 2)


def _quantiles(scores: npt.NDArray[np.int64]) -> dict[str, float | None]:
    if scores.size == 0:
        empty: dict[str, float | None] = {f"p{round(q * 100)}": None for q in _QUANTILES}
        return empty | {"min": None, "max": None, "mean": None}
    found = np.quantile(scores, _QUANTILES, method="lower")
    out: dict[str, float | None] = {
        f"p{round(q * 100)}": _points(int(v)) for q, v in zip(_QUANTILES, found, strict=True)
    }
    out["min"], out["max"] = _points(int(scores.min())), _points(int(scores.max()))
    out["mean"] = _points(float(scores.mean()))
    return out


def _histogram(
    scores: npt.NDArray[np.int64], admitted: npt.NDArray[np.bool_], lo: int, width: int
) -> list[dict[str, Any]]:
    if scores.size == 0:
        return []
    index = (scores - lo) // width
    bins = int(index.max()) + 1
    counts = np.bincount(index, minlength=bins)
    taken = np.bincount(index[admitted], minlength=bins)
    return [
        {
            "from": _points(lo + i * width),
            "to": _points(lo + (i + 1) * width),
            "applicants": int(counts[i]),
            "admitted": int(taken[i]),
        }
        for i in range(bins)
    ]


def _failures(people: Candidates, outcome: Outcome) -> list[dict[str, Any]]:
    sch = schemes.scheme(people.scheme)
    met = np.column_stack([outcome.preconditions[p[0]] for p in sch.preconditions])
    failing = ~met
    only = failing & (failing.sum(axis=1) == 1)[:, None]
    return [
        {
            "key": key,
            "label": label,
            "failing": int(failing[:, i].sum()),
            "failing_only_this": int(only[:, i].sum()),
        }
        for i, (key, _, label) in enumerate(sch.preconditions)
    ]


def _items(people: Candidates, outcome: Outcome) -> list[dict[str, Any]]:
    sch = schemes.scheme(people.scheme)
    admitted, applicant = outcome.cut.admitted, outcome.applicant
    rows = []
    for spec in sch.items:
        values = outcome.items[spec.key]
        rows.append(
            {
                "key": spec.key,
                "label": spec.label,
                "mean_admitted": _points(float(values[admitted].mean()))
                if admitted.any()
                else None,
                "mean_applicants": _points(float(values[applicant].mean()))
                if applicant.any()
                else None,
            }
        )
    return rows


def _figures(people: Candidates, outcome: Outcome, lo: int, width: int) -> dict[str, Any]:
    result = outcome.cut
    scores = outcome.score_centi[outcome.applicant]
    return {
        "label": outcome.label,
        "eligible": int(outcome.eligible.sum()),
        "applicants": int(outcome.applicant.sum()),
        "cutoff": _points(result.cutoff_centi),
        "admitted": result.admitted_count,
        "tied_at_cutoff": result.tied_at_cutoff,
        "excluded_tied": result.excluded_tied,
        "quantiles": _quantiles(scores),
        "histogram": _histogram(scores, result.admitted[outcome.applicant], lo, width),
        "preconditions": _failures(people, outcome),
        "items": _items(people, outcome),
    }


def _group_rows(
    people: Candidates, base: Outcome, reform: Outcome, column: str
) -> list[dict[str, Any]]:
    before, after = base.cut.admitted, reform.cut.admitted
    touched = before | after
    frame = pl.DataFrame(
        {
            "group": people.table[column].filter(pl.Series(touched)),
            "baseline": before[touched],
            "reform": after[touched],
        }
    ).with_columns(
        entrants=pl.col("reform") & ~pl.col("baseline"),
        leavers=pl.col("baseline") & ~pl.col("reform"),
    )
    grouped = (
        frame.group_by("group")
        .agg(pl.col("baseline", "reform", "entrants", "leavers").sum())
        .sort("group")
    )
    return [
        {
            "group": row["group"],
            "baseline": int(row["baseline"]),
            "reform": int(row["reform"]),
            "entrants": int(row["entrants"]),
            "leavers": int(row["leavers"]),
            "net": int(row["entrants"]) - int(row["leavers"]),
        }
        for row in grouped.iter_rows(named=True)
    ]


def _province_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from liudong.regions import name

    for row in rows:
        code = int(row["group"])
        row["code"] = code
        try:
            row["group"] = name(code)
        except (KeyError, LookupError, ValueError):
            row["group"] = str(code)
    return rows


def _movers(people: Candidates, base: Outcome, reform: Outcome) -> dict[str, Any]:
    before, after = base.cut.admitted, reform.cut.admitted
    columns = {"age_band": "age_band", "education": "education_level"}
    by = {name: _group_rows(people, base, reform, column) for name, column in columns.items()}
    by["education"].sort(key=lambda row: cal.EDUCATION_LEVELS.index(row["group"]))
    by["hukou_province"] = _province_names(_group_rows(people, base, reform, "hukou_province"))
    return {
        "entrants": int((after & ~before).sum()),
        "leavers": int((before & ~after).sum()),
        "stayers": int((before & after).sum()),
        "by": by,
    }


def _scale(outcomes: Sequence[Outcome]) -> tuple[int, int]:
    """A common histogram origin and bin width (centi) for every outcome: about 40 bins."""
    chosen = [o.score_centi[o.applicant] for o in outcomes if o.applicant.any()]
    if not chosen:
        return 0, 500
    lo = min(int(s.min()) for s in chosen)
    hi = max(int(s.max()) for s in chosen)
    width = max(100, math.ceil((hi - lo + 1) / 40 / 100) * 100)
    return lo // width * width, width


def summary(run: Simulation) -> dict[str, Any]:
    """Every figure of a run as JSON-able data (the CLI's ``--json``, the page's context)."""
    people = run.candidates
    outcomes = [run.baseline] + ([run.reform] if run.reform else [])
    lo, width = _scale(outcomes)
    sch = schemes.scheme(people.scheme)
    candidates = people.table.height
    eligible = int(run.baseline.eligible.sum())
    data: dict[str, Any] = {
        "schema": "liudong.settlement.simulation/1",
        "scheme": people.scheme,
        "scheme_name": sch.name,
        "on": people.on.isoformat(),
        "ruleset": run.ruleset,
        "quota": run.quota,
        "places": run.places,
        "weight": round(people.weight, 3),
        "tie_rule": run.tie_rule,
        "population": {
            "persons": people.persons,
            "residents": people.residents,
            "candidates": candidates,
            "eligible": eligible,
            "ineligible": candidates - eligible,
            "applicants": int(run.baseline.applicant.sum()),
        },
        "defaulted_fields": list(people.defaulted),
        "bin_width": _points(width),
        "baseline": _figures(people, run.baseline, lo, width),
        "reform": _figures(people, run.reform, lo, width) if run.reform else None,
        "reform_name": run.reform_name,
        "reform_description": run.reform_description,
        "movers": _movers(people, run.baseline, run.reform) if run.reform else None,
        "published": _published(people.scheme, run),
    }
    return data


def _published(key: str, run: Simulation) -> dict[str, Any] | None:
    """The ranges of the scheme's published rounds (``schemes.published_results``: dated,
    sourced parameters) a synthetic run is compared with; they are not inputs. None for a
    scheme without published rounds."""
    rounds = schemes.published_results(key)
    if not rounds:
        return None

    def span(figure: str) -> list[Any]:
        values = [f.value for r in rounds if (f := getattr(r, figure)) is not None]
        return [_plain(min(values)), _plain(max(values))] if values else [None, None]

    cite = next(r.cutoff.cite for r in rounds if r.cutoff is not None).split()[0]
    weight = run.candidates.weight
    return {
        "applicants": span("applicants"),
        "settled": span("settled"),
        "cutoff": span("cutoff"),
        "source": f"{cite} ({rounds[0].year}–{rounds[-1].year})",
        "provisional": any(r.provisional for r in rounds),
        "synthetic_applicants_weighted": round(int(run.baseline.applicant.sum()) * weight),
        "synthetic_cutoff": _points(run.baseline.cut.cutoff_centi),
    }


def _plain(value: Decimal | int) -> float | int:
    """A published figure as JSON: points as a float with two places, persons as an int."""
    return float(value) if isinstance(value, Decimal) else value


# ---------------------------------------------------------------- charts


def charts(data: Mapping[str, Any], lang: str = "zh") -> dict[str, dict[str, Any]]:
    """Vega-Lite specifications (Altair) of a :func:`summary`: the score histogram with the
    cut-off, the failing preconditions, the items of the admitted and, with a reform, the
    entrants and leavers by age band, education and hukou province."""
    import altair as alt

    t = _texts(lang)
    specs: dict[str, dict[str, Any]] = {}
    outcomes = [data["baseline"]] + ([data["reform"]] if data.get("reform") else [])
    rows = [
        {"from": b["from"], "to": b["to"], "count": b["applicants"], "run": _run_label(o, t)}
        for o in outcomes
        for b in o["histogram"]
    ]
    rules = [
        {"cutoff": o["cutoff"], "run": _run_label(o, t)}
        for o in outcomes
        if o["cutoff"] is not None
    ]
    colour = alt.Color("run:N", title=None, legend=alt.Legend(orient="top"))
    bars = (
        alt.Chart(_values(rows))
        .mark_bar(opacity=0.6, binSpacing=0)
        .encode(
            x=alt.X("from:Q", bin="binned", title=t["score"]),
            x2="to:Q",
            y=alt.Y("count:Q", stack=None, title=t["applicants"], axis=alt.Axis(tickMinStep=1)),
            color=colour,
            tooltip=["run:N", "from:Q", "to:Q", "count:Q"],
        )
    )
    lines = (
        alt.Chart(_values(rules))
        .mark_rule(strokeDash=[4, 3], strokeWidth=2)
        .encode(x="cutoff:Q", color=colour, tooltip=["run:N", "cutoff:Q"])
    )
    specs["histogram"] = (bars + lines).properties(width="container", height=260).to_dict()
    specs["preconditions"] = _bar(
        [
            {"label": p["label"][lang if lang in p["label"] else "zh"], "count": p["failing"]}
            for p in data["baseline"]["preconditions"]
        ],
        "label",
        "count",
        t["failing"],
    )
    item_rows = [
        {
            "item": i["label"][lang if lang in i["label"] else "zh"],
            "points": i["mean_admitted"] or 0.0,
            "run": _run_label(o, t),
        }
        for o in outcomes
        for i in o["items"]
    ]
    specs["items"] = (
        alt.Chart(_values(item_rows))
        .mark_bar()
        .encode(
            y=alt.Y("item:N", sort=None, title=None),
            x=alt.X("points:Q", title=t["mean_points"]),
            yOffset="run:N",
            color=colour,
            tooltip=["run:N", "item:N", "points:Q"],
        )
        .properties(width="container")
        .to_dict()
    )
    if data.get("movers"):
        for name, groups in data["movers"]["by"].items():
            specs[f"movers_{name}"] = _movers_chart(groups, t)
    for spec in specs.values():
        # as wide as the page; the height follows the bars (``fit`` would warn and drop fit-y)
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return specs


def _values(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Inline data of a chart (a Vega-Lite ``data`` object)."""
    return {"values": rows}


def _run_label(outcome: Mapping[str, Any], t: Mapping[str, str]) -> str:
    return t["baseline"] if outcome["label"] == "baseline" else f"{t['reform']}: {outcome['label']}"


def _bar(rows: list[dict[str, Any]], label: str, value: str, title: str) -> dict[str, Any]:
    import altair as alt

    chart = (
        alt.Chart(_values(rows))
        .mark_bar()
        .encode(
            y=alt.Y(f"{label}:N", sort=None, title=None),
            x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(tickMinStep=1, format="d")),
            tooltip=[f"{label}:N", f"{value}:Q"],
        )
        .properties(width="container")
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def _movers_chart(groups: list[dict[str, Any]], t: Mapping[str, str]) -> dict[str, Any]:
    import altair as alt

    rows = [
        {"group": g["group"], "kind": t["entrants"], "count": g["entrants"]} for g in groups
    ] + [{"group": g["group"], "kind": t["leavers"], "count": -g["leavers"]} for g in groups]
    chart = (
        alt.Chart(_values(rows))
        .mark_bar()
        .encode(
            y=alt.Y("group:N", sort=None, title=None),
            x=alt.X("count:Q", title=t["movers"], axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "kind:N",
                title=None,
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(range=["#2a7f62", "#b8432f"]),
            ),
            tooltip=["group:N", "kind:N", "count:Q"],
        )
        .properties(width="container")
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def _texts(lang: str) -> dict[str, str]:
    if lang == "en":
        return {
            "score": "score (points)",
            "applicants": "applicants (synthetic)",
            "failing": "candidates failing (synthetic)",
            "mean_points": "mean points of the admitted",
            "baseline": "law",
            "reform": "reform",
            "entrants": "enter",
            "leavers": "drop out",
            "movers": "admitted: entrants (+) and leavers (−)",
        }
    return {
        "score": "积分",
        "applicants": "申请人数（合成）",
        "failing": "不符合条件的人数（合成）",
        "mean_points": "获准落户者平均得分",
        "baseline": "现行规定",
        "reform": "改革方案",
        "entrants": "新进入",
        "leavers": "退出",
        "movers": "获准名单：新进入（+）与退出（−）",
    }
