"""How far a generated population is from the published figures.

Three kinds of comparison (``role``):

* ``calibration``: a target the generator aimed at (per city); the distance is sampling noise
  plus what the household arrangement and the age caps on degrees cost;
* ``validation``: a published figure the generator never used (65+ shares, the urban share,
  residence separated from hukou); the distance measures the model;
* ``context``: the cities pooled against a national figure, which they need not match.

Distances are generated minus target, in percentage points (the sex ratio in its own units).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypedDict

import numpy as np
import polars as pl

from liudong.population import calibration as cal
from liudong.population._dataset import read, read_manifest
from liudong.population._geography import city_of, districts

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Comparison", "Role", "validate"]

Role = Literal["calibration", "validation", "context"]
DEFAULT_AS_OF: Final = dt.date(2025, 6, 1)
_AGE: Final = pl.col("age")
BANDS: Final = {
    "0_14": _AGE < 15,
    "15_59": (_AGE >= 15) & (_AGE < 60),
    "60_plus": _AGE >= 60,
}
_LEVEL: Final = pl.col("education").cast(pl.String)
EDUCATION: Final = {
    "none": _LEVEL == "none",
    "primary": _LEVEL == "primary",
    "junior_secondary": _LEVEL == "junior_secondary",
    "senior_secondary": _LEVEL == "senior_secondary",
    "college": _LEVEL.is_in(list(cal.EDUCATION_LEVELS[4:])),
}


class Comparison(TypedDict):
    """One generated figure against its target."""

    generated: float
    target: float
    distance: float
    role: Role
    source: str


def _compare(generated: float, target: float, role: Role, source: str) -> Comparison:
    return Comparison(
        generated=round(generated, 4),
        target=round(target, 4),
        distance=round(generated - target, 4),
        role=role,
        source=source,
    )


def _people(person: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Age in completed years at ``as_of``, city and county of residence, per person."""
    birth = pl.col("birth_date")
    month_day = birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day().cast(pl.Int32)
    before = month_day > as_of.month * 100 + as_of.day
    residence = person["residence_region"].to_numpy()
    return person.select(
        age=as_of.year - birth.dt.year().cast(pl.Int32) - before.cast(pl.Int32),
        city=pl.Series(city_of(residence)),
        district=pl.Series(districts()[residence]),
        male=pl.col("sex") == "M",
        separated=pl.col("hukou_region") != pl.col("residence_region"),
        education="education",
    )


def _percent(frame: pl.DataFrame, condition: pl.Expr) -> float:
    return float(frame.select(condition.mean()).item()) * 100


def _ref(key: str) -> str:
    return cal.TABLE[key].ref


def _city_checks(people: pl.DataFrame, city: int) -> dict[str, Comparison]:
    """Age bands and education of one city against its calibration targets."""
    age_ref = _ref(cal.for_city("age_bands", city))
    college = f"college_share.{city}"
    education_ref = _ref(college if college in cal.TABLE else "education.default")
    checks = {
        f"age_{band}[{city}]": _compare(_percent(people, cond), target, "calibration", age_ref)
        for (band, cond), target in zip(BANDS.items(), cal.age_bands(city), strict=True)
    }
    shares = cal.education_shares(city)
    for (level, cond), target in zip(EDUCATION.items(), shares, strict=True):
        checks[f"education_{level}[{city}]"] = _compare(
            _percent(people, cond), target, "calibration", education_ref
        )
    if f"census.age65.{city}" in cal.TABLE:
        checks[f"age_65_plus[{city}]"] = _compare(
            _percent(people, _AGE >= 65),
            cal.number(f"census.age65.{city}"),
            "validation",
            _ref(f"census.age65.{city}"),
        )
    return checks


def _pooled_checks(people: pl.DataFrame) -> dict[str, Comparison]:
    """All cities together: sex ratio, held-out figures, and the national age profile."""
    males = int(people["male"].sum())
    population = cal.number("census.population")
    checks = {
        "sex_ratio[all]": _compare(
            males / max(people.height - males, 1) * 100,
            cal.number("census.sex_ratio"),
            "calibration",
            _ref("census.sex_ratio"),
        ),
        "age_65_plus[all]": _compare(
            _percent(people, _AGE >= 65),
            cal.number("census.age65.national"),
            "validation",
            _ref("census.age65.national"),
        ),
        "urban_share[all]": _compare(
            _percent(people, pl.col("district")),
            cal.number("census.urban_share"),
            "validation",
            f"{_ref('census.urban_share')}; generated: residents of districts (区)",
        ),
        "separated_share[all]": _compare(
            _percent(people, pl.col("separated")),
            cal.number("census.separated") / population * 100,
            "validation",
            f"{_ref('census.separated')} over the total; generated: hukou county ≠ residence",
        ),
    }
    national = cal.vector("age_bands.default")
    for (band, cond), target in zip(BANDS.items(), national, strict=True):
        checks[f"age_{band}[all vs national]"] = _compare(
            _percent(people, cond), target, "context", _ref("age_bands.default")
        )
    return checks


def validate(
    dataset: Path | Mapping[str, pl.DataFrame], *, as_of: dt.date | None = None
) -> dict[str, Comparison]:
    """Distances between a generated population and the census figures.

    ``dataset`` is a dataset folder (its manifest gives ``as_of``) or the frames of
    :func:`read` (``as_of`` defaults to 2025-06-01). Keys name the figure and the group:
    ``age_0_14[110000]``, ``education_college[310000]``, ``urban_share[all]``.
    """
    if isinstance(dataset, Path):
        as_of = as_of or read_manifest(dataset).as_of
        dataset = read(dataset)
    people = _people(dataset["person"], as_of or DEFAULT_AS_OF)
    checks: dict[str, Comparison] = {}
    for city in np.unique(people["city"].to_numpy()).tolist():  # a loop over cities
        checks |= _city_checks(people.filter(pl.col("city") == city), int(city))
    return checks | _pooled_checks(people)
