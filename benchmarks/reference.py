"""The benchmark rule set's parameter files, read and resolved without liudong's engine.

Both the OpenFisca version (:mod:`benchmarks.openfisca_system`) and the plain-numpy reference
that the smoke test checks liudong against (:func:`compute`) start from here, so that neither
inherits a mistake of the engine they are compared with.

Resolution follows the parameter format (see ``liudong.rules.parameters``): for a city, the
most specific key that has a value in force (the city, then a wider region that covers it, then
``national``); on a category axis a named label before ``"*"``. A reform's override of a key
replaces that key's values at every date; an override of ``"*"`` sets every cell, as
``liudong.rules.reforms`` documents. People outside every listed city belong to city index
``len(CITY_CODES)`` ("other"), which takes the national value.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.ruleset import EDUCATION

if TYPE_CHECKING:
    from collections.abc import Mapping

    import polars as pl

__all__ = [
    "ANY",
    "CITY_CODES",
    "NATIONAL",
    "PARAMETER_FILES",
    "Spec",
    "cells",
    "city_of_code",
    "compute",
    "parse_overrides",
    "resolve",
    "specs",
]

PARAMETER_FILES = sorted((Path(__file__).parent / "ruleset" / "parameters").glob("*.yaml"))
NATIONAL = "national"
ANY = "*"
CODE_SPACE = 1_000_000

Cell = tuple[Any, ...]  # per axis: a city code (0: "other") or a category label
Overrides = dict[str, dict[tuple[str, ...], Any]]


@dataclass(frozen=True)
class Dated:
    start: dt.date
    end: dt.date | None
    value: Any

    def in_force(self, on: dt.date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


@dataclass(frozen=True)
class Spec:
    """One parameter as written: its type, axes and dated values per key path."""

    name: str
    type: str
    axes: tuple[str, ...]
    cells: dict[tuple[str, ...], list[Dated]]


@functools.cache
def specs() -> dict[str, Spec]:
    import yaml

    out: dict[str, Spec] = {}
    for path in PARAMETER_FILES:
        for name, raw in yaml.safe_load(path.read_text("utf-8")).items():
            axes = tuple(raw.get("by", ()))
            values = {
                key: [_dated(item, raw["type"]) for item in dated]
                for key, dated in _flatten(raw["values"], len(axes))
            }
            out[name] = Spec(name, raw["type"], axes, values)
    return out


def _flatten(values: Any, depth: int) -> list[tuple[tuple[str, ...], Any]]:
    if depth == 0:
        return [((), values)]
    return [
        ((str(k), *rest), v) for k, sub in values.items() for rest, v in _flatten(sub, depth - 1)
    ]


def _dated(item: dict[str, Any], kind: str) -> Dated:
    end = item.get("to")
    if kind == "scale":
        value: Any = ([float(t) for t in item["thresholds"]], [float(a) for a in item["amounts"]])
    else:
        value = scalar(item["value"], kind)
    return Dated(_day(item["from"]), _day(end) if end else None, value)


def scalar(raw: Any, kind: str) -> Any:
    """A written value as a number (money in yuan)."""
    if kind == "money":
        return float(Decimal(str(raw)))
    if kind == "float":
        return float(raw)
    if kind == "int":
        return int(raw)
    return raw


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def region_rank(key: str) -> int:
    """How specific a region key is: national (or "*") 0, province 1, prefecture 2, county 3."""
    if key in (NATIONAL, ANY):
        return 0
    code = int(key)
    return 3 if code % 100 else 2 if code % 10000 else 1


def _unit(key: str) -> int:
    return {1: 10000, 2: 100, 3: 1}[region_rank(key)]


def _hits(key: tuple[str, ...], cell: Cell) -> bool:
    """Whether a key path covers a cell."""
    return all(
        (k in (ANY, NATIONAL) or (c != 0 and int(k) // _unit(k) == c // _unit(k)))
        if isinstance(c, int)
        else k in (ANY, c)
        for k, c in zip(key, cell, strict=True)
    )


def _rank(key: tuple[str, ...], cell: Cell) -> tuple[int, ...]:
    return tuple(
        region_rank(k) if isinstance(c, int) else int(k != ANY)
        for k, c in zip(key, cell, strict=True)
    )


def resolve(
    spec: Spec, cell: Cell, on: dt.date, overrides: Mapping[tuple[str, ...], Any] | None = None
) -> Any:
    """The value of one cell on a date (None if nothing is in force)."""
    overrides = overrides or {}
    every = (ANY,) * len(cell)
    if every in overrides:  # "*" is every cell (liudong.rules.reforms)
        return overrides[every]
    keys = {k for k in (*spec.cells, *overrides) if _hits(k, cell)}
    for key in sorted(keys, key=lambda k: _rank(k, cell), reverse=True):
        if key in overrides:
            return overrides[key]
        hit = next((d for d in reversed(spec.cells[key]) if d.in_force(on)), None)
        if hit is not None:
            return hit.value
    return None


def change_dates(spec: Spec, cell: Cell) -> list[dt.date]:
    """Every date on which the value of a cell may change."""
    keys = [k for k in spec.cells if _hits(k, cell)]
    starts = {d.start for k in keys for d in spec.cells[k]}
    ends = {d.end + dt.timedelta(days=1) for k in keys for d in spec.cells[k] if d.end}
    return sorted(starts | ends)


@functools.cache
def city_codes() -> tuple[int, ...]:
    """Every region key of every region-indexed parameter: the benchmark's cities."""
    keys = {key[0] for spec in specs().values() if spec.axes for key in spec.cells}
    return tuple(sorted(int(k) for k in keys if k not in (NATIONAL, ANY)))


CITY_CODES = city_codes()


def cells(spec: Spec) -> list[Cell]:
    """Every cell of a parameter: city (code; 0 = other) x category label."""
    axes: list[list[Any]] = [
        [*CITY_CODES, 0] if a.endswith("_region") else list(EDUCATION.categories) for a in spec.axes
    ]
    out: list[Cell] = [()]
    for values in axes:
        out = [(*c, v) for c in out for v in values]
    return out


@functools.cache
def city_of_code() -> np.ndarray:
    """For every six-digit code, the index of its city in ``CITY_CODES`` (last index: other)."""
    lut = np.full(CODE_SPACE, len(CITY_CODES), dtype=np.int16)
    every = np.arange(CODE_SPACE)
    for index, code in sorted(enumerate(CITY_CODES), key=lambda ic: region_rank(str(ic[1]))):
        unit = _unit(str(code))
        lut[every // unit == code // unit] = index
    lut.setflags(write=False)
    return lut


def parse_overrides(parameters: Mapping[str, Mapping[str, Any]]) -> Overrides:
    """A reform's ``parameters`` (liudong's JSON form) as key paths and numbers."""
    out: Overrides = {}
    for name, values in parameters.items():
        spec = specs()[name]
        out[name] = {
            (
                (ANY,) * len(spec.axes) if path == ANY else tuple(p for p in path.split("/") if p)
            ): scalar(raw, spec.type)
            for path, raw in values.items()
        }
    return out


# ---------------------------------------------------------------- the numpy reference


def _by_city(name: str, on: dt.date, overrides: Overrides) -> np.ndarray:
    spec = specs()[name]
    return np.array([resolve(spec, (c,), on, overrides.get(name)) for c in (*CITY_CODES, 0)])


def compute(
    person: pl.DataFrame,
    household: pl.DataFrame,
    on: dt.date,
    reform: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, np.ndarray]:
    """Every variable of the rule set with plain numpy (money in fen, as liudong holds it)."""
    o = parse_overrides(reform or {})
    city = city_of_code()[person.get_column("residence_region").to_numpy()]
    birth = person.get_column("birth_date")
    year, month, day = (
        birth.dt.year().to_numpy(),
        birth.dt.month().to_numpy(),
        birth.dt.day().to_numpy(),
    )
    before_birthday = (on.month < month) | ((on.month == month) & (on.day < day))
    age = on.year - year - before_birthday
    si_years = person.get_column("si_months").to_numpy() // 12
    residence_years = person.get_column("months_resident").to_numpy() // 12
    si_points = np.minimum(
        si_years * _by_city("si_points_per_year", on, o)[city],
        _by_city("si_points_cap", on, o)[city],
    )
    residence_points = residence_years * _by_city("residence_points_per_year", on, o)[city]
    education = person.get_column("education").to_physical().to_numpy()
    spec = specs()["education_points"]
    table = np.array(
        [
            [resolve(spec, (c, e), on, o.get(spec.name)) for e in EDUCATION.categories]
            for c in (*CITY_CODES, 0)
        ]
    )
    thresholds, amounts = resolve(specs()["age_bonus"], (), on, o.get("age_bonus"))
    age_points = np.array(amounts)[np.searchsorted(thresholds, age, side="right")]
    points = si_points + residence_points + table[city, education] + age_points
    eligible = points >= _by_city("settlement_points_threshold", on, o)[city]
    ids = household.get_column("household_id").to_numpy()
    assert np.all(ids[1:] > ids[:-1]), "the reference expects households sorted by id"
    member_of = np.searchsorted(ids, person.get_column("household_id").to_numpy())
    size = np.bincount(member_of, minlength=len(ids))
    income = np.bincount(
        member_of, weights=person.get_column("monthly_income").to_numpy(), minlength=len(ids)
    ).astype(np.int64)
    standard_yuan = _by_city("assistance_standard", on, o)
    standard = np.round(standard_yuan * 100).astype(np.int64)[
        city_of_code()[household.get_column("household_region").to_numpy()]
    ]
    below = (income < standard * size) & (size > 0)
    return {
        "age": age,
        "si_years": si_years,
        "residence_years": residence_years,
        "si_points": si_points,
        "residence_points": residence_points,
        "education_score": table[city, education],
        "age_points": age_points,
        "settlement_points": points,
        "settlement_eligible": eligible,
        "household_size": size,
        "household_income": income,
        "per_capita_income": income // np.maximum(size, 1),
        "assistance_eligible": below,
        "assistance_payment": np.where(below, standard * size - income, 0),
    }
