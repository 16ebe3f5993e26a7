"""Attributes of persons: sex, retirement group, education, study, work, income, residence.

Every function takes and returns whole columns. Education is calibrated exactly per city:
children's levels follow from their age; adults are ranked on a latent attainment score (older
cohorts, rural hukou and older women lower) and the ranks are cut at the counts that make the
city's shares, children included, match the calibration table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

from liudong.population import calibration as cal
from liudong.population._ages import ADULT

if TYPE_CHECKING:
    import numpy.typing as npt

    Ints = npt.NDArray[np.int64]
    Bools = npt.NDArray[np.bool_]
    Floats = npt.NDArray[np.float64]

__all__ = [
    "RETIREMENT_GROUPS",
    "Work",
    "draw_education",
    "draw_retirement_group",
    "draw_sex",
    "draw_work",
    "is_studying",
    "months_resident",
    "si_months",
]

RETIREMENT_GROUPS: Final = ("men", "women_55", "women_50")
ORIGINAL_AGE: Final = np.array([60, 55, 50])  # original statutory retirement age per group
COLLEGE: Final = 4  # index of junior_college; coarse level 4 is "college and above"


def draw_sex(rng: np.random.Generator, spouse: Bools) -> Bools:
    """Male or not; a spouse has the opposite sex of the head (the row before it).

    The others are male with the probability that makes the overall sex ratio the census one.
    """
    ratio = cal.number("census.sex_ratio")
    n, couples = len(spouse), int(spouse.sum())
    p_other = (ratio / (100 + ratio) * n - couples) / max(n - 2 * couples, 1)
    male: Bools = rng.random(n) < min(max(p_other, 0.0), 1.0)
    wives_or_husbands = np.flatnonzero(spouse)
    head_male = rng.random(couples) < 0.5
    male[wives_or_husbands - 1] = head_male
    male[wives_or_husbands] = ~head_male
    return male


def draw_retirement_group(rng: np.random.Generator, male: Bools) -> Ints:
    """Codes into RETIREMENT_GROUPS: men; women split between the 55 and 50 groups."""
    cadre = rng.random(len(male)) < cal.number("retirement.women_55") / 100
    return np.where(male, 0, np.where(cadre, 1, 2)).astype(np.int64)


def _child_levels(rng: np.random.Generator, age: Ints) -> Ints:
    """School level by age for under-18s (-1 for adults); 15–17 mostly in senior school."""
    enrolled = rng.random(len(age)) < cal.number("education.senior_enrolment") / 100
    return np.select(
        [age < 6, age < 12, age < 15, age < ADULT],
        [0, 1, 2, np.where(enrolled, 3, 2)],
        -1,
    ).astype(np.int64)


def _latent(rng: np.random.Generator, age: Ints, male: Bools, urban: Bools) -> Floats:
    slope, urban_gain, female_loss, female_from = cal.vector("education.latent")
    older = np.maximum(age - 25, 0)
    old_woman = ~male & (age > female_from)
    score: Floats = -slope * older + urban_gain * urban - female_loss * old_woman
    return score + rng.standard_normal(len(age))


def _cut(order_size: int, shares: Floats) -> Ints:
    """Level of each rank 0..order_size-1 for the given shares (cumulative, rounded)."""
    bounds = np.round(np.cumsum(shares) / shares.sum() * order_size).astype(np.int64)
    return np.searchsorted(bounds, np.arange(order_size), side="right").astype(np.int64)


def _adult_levels(level: Ints, members: Ints, score: Floats, city: int) -> None:
    """Coarse levels 0..4 of the city's adults by rank, so the city's shares hit the target."""
    target = np.array(cal.education_shares(city)) / 100 * len(members)
    own = level[members]
    children = np.bincount(own[own >= 0], minlength=5)[:5]
    adults = members[own < 0]
    wanted = np.clip(target - children, 0, None)
    if wanted.sum() <= 0:  # a handful of people: children alone exceed every target
        wanted = target
    order = adults[np.argsort(score[adults], kind="stable")]
    level[order] = _cut(len(order), wanted)
    college = adults[level[adults] == COLLEGE]
    split = np.array(cal.vector(cal.for_city("college_split", city)))
    ranked = college[np.argsort(score[college], kind="stable")]
    level[ranked] = COLLEGE + _cut(len(ranked), split)


def draw_education(
    rng: np.random.Generator,
    age: Ints,
    male: Bools,
    urban: Bools,
    person_city: Ints,
    cities: npt.NDArray[np.int32],
) -> Ints:
    """Codes into EDUCATION_LEVELS, calibrated per city; no degree below its youngest age."""
    level = _child_levels(rng, age)
    score = _latent(rng, age, male, urban)
    for index, city in enumerate(cities):  # a loop over cities, never over people
        members = np.flatnonzero(person_city == index)
        if len(members):
            _adult_levels(level, members, score, int(city))
    master, doctor = (int(a) for a in cal.vector("education.min_age")[2:])
    cap = np.where(age < master, COLLEGE + 1, np.where(age < doctor, COLLEGE + 2, COLLEGE + 3))
    return np.minimum(level, cap)


def is_studying(rng: np.random.Generator, age: Ints, level: Ints) -> Bools:
    """In school (6–17 at the level of their age), college (18–22) or graduate school."""
    u = rng.random(len(age))
    college = (age >= ADULT) & (age <= 22) & ((level == COLLEGE) | (level == COLLEGE + 1))
    graduate = (age >= 22) & (age <= 29) & (level >= COLLEGE + 2)
    school = (age >= 6) & (age < 15) | (age >= 15) & (age < ADULT) & (level == 3)
    studying: Bools = (
        school
        | college & (u < cal.number("studying.college") / 100)
        | graduate & (u < cal.number("studying.graduate") / 100)
    )
    return studying


@dataclass(frozen=True)
class Work:
    """Whether each person has a stable job, and monthly income in fen."""

    stable_job: Bools
    income: Ints


def _wages(rng: np.random.Generator, level: Ints, age: Ints, factor: Floats) -> Floats:
    peak, curvature = cal.vector("income.age_curve")
    median: Floats = np.array(cal.vector("income.median"))[level] * factor
    shape: Floats = np.exp(-curvature * (age - peak) ** 2)
    return median * shape * np.exp(cal.number("income.sigma") * rng.standard_normal(len(age)))


def _pensions(rng: np.random.Generator, urban: Bools, factor: Floats) -> Floats:
    urban_median, rural_median = cal.vector("pension.median")
    median = np.where(urban, urban_median, rural_median) * factor
    amount = median * np.exp(cal.number("pension.sigma") * rng.standard_normal(len(urban)))
    return np.where(rng.random(len(urban)) < cal.number("pension.none") / 100, 0.0, amount)


def _informal(rng: np.random.Generator, factor: Floats) -> Floats:
    share, median = cal.vector("income.informal")
    amount = median * factor * np.exp(0.5 * rng.standard_normal(len(factor)))
    return np.where(rng.random(len(factor)) < share / 100, amount, 0.0)


def draw_work(
    rng: np.random.Generator,
    age: Ints,
    group: Ints,
    level: Ints,
    studying: Bools,
    urban: Bools,
    factor: Floats,
) -> Work:
    """Jobs and incomes: wages for workers, pensions past the original retirement age,
    informal income for some of the others of working age; nothing for children and students."""
    retired = age >= ORIGINAL_AGE[group]
    working_age = (age >= ADULT) & ~retired & ~studying
    rate = np.array(cal.vector("employment.rate"))[level] / 100
    job = working_age & (rng.random(len(age)) < rate)
    yuan = np.select(
        [job, retired, working_age],
        [_wages(rng, level, age, factor), _pensions(rng, urban, factor), _informal(rng, factor)],
        0.0,
    )
    return Work(job, np.rint(yuan).astype(np.int64) * 100)


def months_resident(
    rng: np.random.Generator, age_months: Ints, migrant: Bools, household_months: Ints
) -> Ints:
    """Months lived in the city: since birth for most locals; since moving for the others."""
    moved_share, moved_median = cal.vector("months.local_moved")
    _, sigma = cal.vector("months.migrant")
    n = len(age_months)
    moved = np.ceil(moved_median * np.exp(sigma * rng.standard_normal(n))).astype(np.int64)
    local = np.where(rng.random(n) < moved_share / 100, moved, age_months)
    return np.minimum(np.where(migrant, household_months, local), age_months)


def si_months(
    rng: np.random.Generator, job: Bools, migrant: Bools, resident: Ints, age_months: Ints
) -> Ints:
    """Months of continuous social insurance in the city: some of the time since the worker
    came (or turned 18); zero without a stable job or without coverage."""
    local_share, migrant_share = cal.vector("si.coverage")
    covered = job & (rng.random(len(job)) < np.where(migrant, migrant_share, local_share) / 100)
    span = np.minimum(resident, np.maximum(age_months - ADULT * 12, 0))
    months = np.floor(span * np.sqrt(rng.random(len(job)))).astype(np.int64)
    return np.where(covered, months, 0)
