"""Where people live and where their hukou is: counties of the cities, origins of migrants.

Everything here is built once per set of cities (cached) from :func:`liudong.regions.divisions`
and the calibration table, as flat numpy arrays, so that drawing a county for ten million
people is one ``searchsorted``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from liudong.population import calibration as cal
from liudong.regions import divisions

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

    Ints = npt.NDArray[np.int64]
    Floats = npt.NDArray[np.float64]
    Codes = npt.NDArray[np.int32]

MUNICIPALITIES: Final = (11, 12, 31, 50)
"""Province prefixes of the municipalities: the whole province is one city."""


def city_of(codes: npt.NDArray[np.integer]) -> Codes:
    """The city of each county code: its prefecture, or the municipality (as the engine does)."""
    province = codes // 10_000
    municipal = np.isin(province, MUNICIPALITIES)
    return np.where(municipal, province * 10_000, codes // 100 * 100).astype(np.int32)


@dataclass(frozen=True)
class Grouped:
    """Weighted values in groups; draws one value of a given group per uniform number."""

    values: Codes
    cum: Floats  # cumulative weight over all values, group after group
    start: Floats  # per group: cumulative weight before its first value
    total: Floats  # per group: its total weight
    last: Ints  # per group: index of its last value

    @classmethod
    def build(cls, groups: Sequence[tuple[Codes, Floats]]) -> Grouped:
        """From ``(values, weights)`` per group; every group needs a positive total weight."""
        if any(weights.sum() <= 0 for _, weights in groups):
            raise ValueError("every group needs at least one value with a positive weight")
        values = np.concatenate([v for v, _ in groups]).astype(np.int32)
        cum = np.cumsum(np.concatenate([w for _, w in groups]).astype(np.float64))
        sizes = np.array([len(v) for v, _ in groups], dtype=np.int64)
        last = np.cumsum(sizes) - 1
        total = np.array([w.sum() for _, w in groups], dtype=np.float64)
        return cls(values, cum, cum[last] - total, total, last)

    def draw(self, group: Ints, u: Floats) -> Codes:
        """For each row, the value of ``group[i]`` whose weight interval holds ``u[i]``."""
        target = self.start[group] + u * self.total[group]
        index = np.minimum(np.searchsorted(self.cum, target, side="right"), self.last[group])
        return self.values[index]


@dataclass(frozen=True)
class Geography:
    """The cities of a run and everything drawn per city."""

    cities: Codes
    city_weights: Floats  # probabilities of a household's city
    migrant_share: Floats  # per city, fraction
    urban_hukou: Floats  # per city: urban hukou among locals living in a district
    income_factor: Floats  # per city
    residence: Grouped  # group = city index -> county code
    origin_group: Grouped  # group = city index -> origin group (see `origin_county`)
    origin_county: Grouped  # group = origin group -> county code
    district: npt.NDArray[np.bool_]  # dense by code: the county is an urban district (区)

    def is_district(self, codes: Codes) -> npt.NDArray[np.bool_]:
        """Whether each county code is an urban district (市辖区)."""
        return self.district[codes]


def current_counties() -> pl.DataFrame:
    """Current county-level divisions: code, parent, name, and whether it is a district."""
    return (
        divisions()
        .filter((pl.col("level") == "county") & pl.col("valid_to").is_null())
        .select("code", "parent", "name")
        .with_columns(
            district=pl.col("name").str.ends_with("区")
            & ~pl.col("name").str.ends_with("林区")
            & ~pl.col("name").str.ends_with("特区")
        )
        .sort("code")
    )


def _city_counties(counties: pl.DataFrame, city: int) -> pl.DataFrame:
    found = counties.filter(pl.col("parent") == city)
    if found.is_empty():
        raise ValueError(
            f"{city} has no current county-level divisions in liudong.regions: give a "
            "prefecture-level city or a municipality code (e.g. 510100 for 成都, 110000 for 北京)"
        )
    return found


def _residence(counties: pl.DataFrame, cities: Sequence[int]) -> Grouped:
    weight = cal.number("county.district_weight")
    groups = []
    for city in cities:
        found = _city_counties(counties, city)
        weights = np.where(found["district"].to_numpy(), weight, 1.0)
        groups.append((found["code"].to_numpy(), weights))
    return Grouped.build(groups)


def _origin_weights() -> dict[int, float]:
    prefix = "origin."
    return {int(k[len(prefix) :]): cal.number(k) for k in cal.TABLE if k.startswith(prefix)}


def _origins(counties: pl.DataFrame, cities: Sequence[int]) -> tuple[Grouped, Grouped]:
    """Origin groups: one per origin province, then per city "its province without it"."""
    weights = _origin_weights()
    provinces = sorted(weights)
    province_of = counties["code"].to_numpy() // 10_000 * 10_000
    county_groups = []
    for province in provinces:
        codes = counties["code"].to_numpy()[province_of == province]
        county_groups.append((codes, np.ones(len(codes))))
    city_groups = []
    for i, city in enumerate(cities):
        own = city // 10_000 * 10_000
        inside = (province_of == own) & (city_of(counties["code"].to_numpy()) != city)
        codes = counties["code"].to_numpy()[inside]
        county_groups.append((codes, np.ones(len(codes))) if len(codes) else county_groups[0])
        city_groups.append(_origin_mix(city, provinces, weights, len(provinces) + i, len(codes)))
    return Grouped.build(city_groups), Grouped.build(county_groups)


def _origin_mix(
    city: int, provinces: list[int], weights: dict[int, float], own_group: int, own_counties: int
) -> tuple[Codes, Floats]:
    """A city's migrants: its own province (group ``own_group``) or the others by weight."""
    own = city // 10_000 * 10_000
    same = cal.number(cal.for_city("same_province", city)) / 100 if own_counties else 0.0
    other = np.array([0.0 if p == own else weights[p] for p in provinces])
    probs = np.append(other / other.sum() * (1 - same), same)
    groups = np.append(np.arange(len(provinces)), own_group).astype(np.int32)
    return groups, probs


def _per_city(prefix: str, cities: Sequence[int], scale: float = 1.0) -> Floats:
    return np.array([cal.number(cal.for_city(prefix, c)) * scale for c in cities])


def _city_weights(cities: Sequence[int]) -> Floats:
    missing = [c for c in cities if f"city.population.{c}" not in cal.TABLE]
    if missing:
        raise ValueError(
            f"no population weight for cities {missing}: add 'city.population.<code>' rows to "
            "liudong.population.calibration.TABLE"
        )
    weights = np.array([cal.number(f"city.population.{c}") for c in cities], dtype=np.float64)
    total: float = weights.sum()
    return weights / total


@functools.cache
def districts() -> npt.NDArray[np.bool_]:
    """Dense by code (10**6 entries): whether a current county-level code is a district (区)."""
    counties = current_counties()
    district = np.zeros(1_000_000, dtype=np.bool_)
    district[counties["code"].to_numpy()] = counties["district"].to_numpy()
    district.setflags(write=False)
    return district


@functools.cache
def geography(cities: tuple[int, ...]) -> Geography:
    """The geography of a run over ``cities`` (GB/T 2260 codes of cities or municipalities)."""
    if not cities or len(set(cities)) != len(cities):
        raise ValueError(f"cities must be distinct city codes, got {cities!r}")
    counties = current_counties()
    residence = _residence(counties, cities)  # first: it names a code that is not a city
    origin_group, origin_county = _origins(counties, cities)
    return Geography(
        cities=np.array(cities, dtype=np.int32),
        city_weights=_city_weights(cities),
        migrant_share=_per_city("migrant_share", cities, 0.01),
        urban_hukou=_per_city("urban_hukou", cities, 0.01),
        income_factor=_per_city("income.city_factor", cities),
        residence=residence,
        origin_group=origin_group,
        origin_county=origin_county,
        district=districts(),
    )
