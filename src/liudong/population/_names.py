"""Chinese names: pools taken once from Faker's zh_CN provider, sampled with numpy by index.

Faker is not called per person (2 s per 100,000 names): its zh_CN surname table (with its own
frequency weights) and its male and female given-name lists become arrays, and a person's name
is a gather of indices drawn from the partition's numpy generator, so names are deterministic by
seed and independent of Faker's own random state.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from faker.providers.person.zh_CN import Provider

from liudong.population import calibration as cal

if TYPE_CHECKING:
    import numpy.typing as npt

    Ints = npt.NDArray[np.int64]
    Bools = npt.NDArray[np.bool_]

__all__ = ["NamePools", "draw_given", "draw_surnames", "full_names", "pools"]


@dataclass(frozen=True)
class NamePools:
    """Surnames with probabilities; given names male then female, and their one-character part."""

    surnames: pl.Series
    surname_p: npt.NDArray[np.float64]
    given: pl.Series  # male names, then female names
    male_count: int
    single: pl.Series  # one-character given names, male then female
    single_male_count: int


def _one_char(names: list[str]) -> list[str]:
    return [n for n in names if len(n) == 1]


@functools.cache
def pools() -> NamePools:
    """The name pools of Faker's zh_CN person provider (built once per process)."""
    weights = dict(Provider.last_names)
    male, female = list(Provider.first_names_male), list(Provider.first_names_female)
    p = np.array(list(weights.values()), dtype=np.float64)
    return NamePools(
        surnames=pl.Series("surname", list(weights), dtype=pl.String),
        surname_p=p / p.sum(),
        given=pl.Series("given", male + female, dtype=pl.String),
        male_count=len(male),
        single=pl.Series("single", _one_char(male) + _one_char(female), dtype=pl.String),
        single_male_count=len(_one_char(male)),
    )


def draw_surnames(rng: np.random.Generator, n: int) -> Ints:
    """Indices into the surname pool, by Faker's surname weights."""
    names = pools()
    cdf = np.cumsum(names.surname_p)
    index: Ints = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    return np.minimum(index, len(cdf) - 1)


def _index(u: npt.NDArray[np.float64], male: Bools, men: int, total: int) -> Ints:
    """Index of a uniform draw into a pool laid out as ``men`` male names then the female ones."""
    size: Ints = np.where(male, men, total - men)
    first: Ints = np.where(male, 0, men)
    return first + np.minimum((u * size).astype(np.int64), size - 1)


def draw_given(rng: np.random.Generator, male: Bools) -> pl.Series:
    """Given names of one or two characters, from the pool of the person's sex."""
    names = pools()
    n = len(male)
    single = rng.random(n) < cal.number("names.single_given") / 100
    whole = names.given.gather(_index(rng.random(n), male, names.male_count, len(names.given)))
    count, men = len(names.single), names.single_male_count
    first = names.single.gather(_index(rng.random(n), male, men, count))
    second = names.single.gather(_index(rng.random(n), male, men, count))
    frame = pl.DataFrame({"single": single, "whole": whole, "first": first, "second": second})
    # a one-character pick from Faker's pool may itself have two characters (桂花): both are fine
    given = pl.when("single").then("whole").otherwise(pl.concat_str("first", "second"))
    return frame.select(given.alias("given"))["given"]


def full_names(surname: Ints, given: pl.Series) -> pl.Series:
    """Surname plus given name, as one string column ``name``."""
    frame = pl.DataFrame([pools().surnames.gather(surname), given])
    return frame.select(pl.concat_str("surname", "given").alias("name"))["name"]
