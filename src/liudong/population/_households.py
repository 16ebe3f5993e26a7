"""Households of one partition: sizes, city, county of residence, hukou, residence flags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from liudong.population import calibration as cal

if TYPE_CHECKING:
    import numpy.typing as npt

    from liudong.population._geography import Geography

    Ints = npt.NDArray[np.int64]
    Codes = npt.NDArray[np.int32]
    Bools = npt.NDArray[np.bool_]
    Floats = npt.NDArray[np.float64]

__all__ = ["Households", "Hukou", "draw_households", "draw_hukou", "draw_sizes"]

MAX_SIZE = 5


@dataclass(frozen=True)
class Hukou:
    """Hukou of a set of rows: county, urban type, and whether it is outside the city."""

    region: Codes
    urban: Bools
    migrant: Bools


@dataclass(frozen=True)
class Households:
    """The households of one partition, in household order."""

    size: Ints
    city: Ints  # index into Geography.cities
    region: Codes  # county of residence
    hukou: Hukou
    months: Ints  # months in the city of a migrant household (unused for locals)
    stable_residence: Bools

    @property
    def count(self) -> int:
        return len(self.size)


def draw_sizes(rng: np.random.Generator, persons: int) -> Ints:
    """Household sizes adding up to exactly ``persons`` (the last household is cut to fit)."""
    p = np.array(cal.vector("household.size"))
    p /= p.sum()
    mean = float(p @ np.arange(1, MAX_SIZE + 1))
    sizes = np.empty(0, dtype=np.int64)
    while sizes.sum() < persons:  # almost always one pass: 10% more households than expected
        more = rng.choice(np.arange(1, MAX_SIZE + 1), size=int(persons / mean * 1.1) + 16, p=p)
        sizes = np.concatenate([sizes, more])
    total = np.cumsum(sizes)
    count = int(np.searchsorted(total, persons)) + 1
    sizes = sizes[:count].copy()
    sizes[-1] -= int(total[count - 1]) - persons
    return sizes


def _local_hukou(
    rng: np.random.Generator, geo: Geography, city: Ints, region: Codes, same: float
) -> Codes:
    """Locals: the county they live in, or another county of their city."""
    other = geo.residence.draw(city, rng.random(len(city)))
    return np.where(rng.random(len(city)) < same, region, other)


def _migrant_hukou(rng: np.random.Generator, geo: Geography, city: Ints) -> Codes:
    """Migrants: an origin (their own province or another, by weight), then a county in it."""
    group = geo.origin_group.draw(city, rng.random(len(city)))
    return geo.origin_county.draw(group.astype(np.int64), rng.random(len(city)))


def draw_hukou(rng: np.random.Generator, geo: Geography, city: Ints, region: Codes) -> Hukou:
    """Hukou of people living in ``region`` of ``city`` (index arrays of equal length)."""
    migrant = rng.random(len(city)) < geo.migrant_share[city]
    same = cal.number("hukou.same_county") / 100
    county = np.where(
        migrant, _migrant_hukou(rng, geo, city), _local_hukou(rng, geo, city, region, same)
    )
    local_urban = np.where(
        geo.is_district(region), geo.urban_hukou[city], cal.number("urban_hukou.county") / 100
    )
    p_urban = np.where(migrant, cal.number("urban_hukou.migrant") / 100, local_urban)
    return Hukou(county.astype(np.int32), rng.random(len(city)) < p_urban, migrant)


def _migrant_months(rng: np.random.Generator, n: int) -> Ints:
    median, sigma = cal.vector("months.migrant")
    return np.ceil(median * np.exp(sigma * rng.standard_normal(n))).astype(np.int64)


def draw_households(rng: np.random.Generator, geo: Geography, persons: int) -> Households:
    """Sizes, then each household's city, county, hukou and residence."""
    size = draw_sizes(rng, persons)
    n = len(size)
    city = rng.choice(len(geo.cities), size=n, p=geo.city_weights).astype(np.int64)
    region = geo.residence.draw(city, rng.random(n))
    hukou = draw_hukou(rng, geo, city, region)
    local, migrant = (p / 100 for p in cal.vector("household.stable_residence"))
    stable = rng.random(n) < np.where(hukou.migrant, migrant, local)
    return Households(size, city, region, hukou, _migrant_months(rng, n), stable)
