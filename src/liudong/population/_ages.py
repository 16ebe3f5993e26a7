"""Ages inside households: the city's age distribution exactly, arranged coherently.

For each city the ages of its residents are drawn from the calibrated distribution; then they
are placed in households so that households make sense: children (under 18) never head a
household and go mostly to the third and later places, siblings close in age (ranked on a
desired age near a centre drawn per household); each household gets a reference age
(a parent's age is a child's plus about 28 years; households without children take an adult
age); every adult place gets a desired age from it (head, spouse about the head's, an elder
parent or a grown child 28 years off); the drawn adult ages are then handed out by rank of the
desired ages. Ranking keeps the drawn distribution exactly while ordering people sensibly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from liudong.population import calibration as cal

if TYPE_CHECKING:
    import numpy.typing as npt

    Ints = npt.NDArray[np.int64]
    Bools = npt.NDArray[np.bool_]
    Floats = npt.NDArray[np.float64]

__all__ = ["ADULT", "Layout", "age_distribution", "arrange_ages"]

ADULT = 18


@dataclass(frozen=True)
class Layout:
    """Where each person of a partition sits: household index, place in it, household sizes."""

    household: Ints
    slot: Ints
    size: Ints

    @classmethod
    def of(cls, size: Ints) -> Layout:
        household = np.repeat(np.arange(len(size)), size)
        starts = np.cumsum(size) - size
        return cls(household, np.arange(len(household)) - starts[household], size)


@functools.cache
def age_distribution(city: int) -> Floats:
    """Probabilities of ages 0..max: flat inside 0–14 and 15–59, Gompertz-shaped from 60."""
    young, working, old = (share / 100 for share in cal.age_bands(city))
    top = int(cal.number("age.max"))
    mortality, growth = cal.vector("age.gompertz_60")
    x = np.arange(top - 59, dtype=np.float64)
    survival = np.exp(-(mortality / growth) * (np.exp(growth * x) - 1))
    p: Floats = np.concatenate(
        [np.full(15, young / 15), np.full(45, working / 45), old * survival / survival.sum()]
    )
    p /= p.sum()
    return p


def _child_places(rng: np.random.Generator, slot: Ints, children: int) -> Bools:
    """Choose ``children`` places other than the head's; second places weigh less."""
    candidates = np.flatnonzero(slot > 0)
    second, later = cal.vector("household.child_slot_weight")
    keys = rng.exponential(size=len(candidates)) / np.where(slot[candidates] == 1, second, later)
    chosen = np.zeros(len(slot), dtype=np.bool_)
    if children:
        chosen[candidates[np.argpartition(keys, children - 1)[:children]]] = True
    return chosen


def _sibling_ages(rng: np.random.Generator, household: Ints) -> Floats:
    """Desired ages of children: near a random age per household, so siblings are close."""
    centre = rng.uniform(0, ADULT, int(household.max()) + 1 if len(household) else 0)
    spread: Floats = rng.normal(0, cal.number("household.sibling_sd"), len(household))
    return centre[household] + spread


def _reference_ages(
    rng: np.random.Generator, household: Ints, child: Bools, ages: Ints, adults: Ints
) -> Floats:
    """Per household (indexed like ``household``'s values): the head's desired age."""
    count = int(household.max()) + 1
    oldest_child = np.full(count, -1, dtype=np.int64)
    np.maximum.at(oldest_child, household[child], ages[child])
    gap_mean, gap_sd = cal.vector("household.parent_gap")
    parent = oldest_child + rng.normal(gap_mean, gap_sd, count)
    adult = rng.choice(adults, size=count) + rng.random(count)
    return np.where(oldest_child >= 0, np.maximum(parent, ADULT), adult)


def _desired(
    rng: np.random.Generator, slot: Ints, household: Ints, has_child: Bools, reference: Floats
) -> Floats:
    """Desired ages of adult places: head, spouse, elder parent or grown child."""
    n = len(slot)
    gap_mean, gap_sd = cal.vector("household.parent_gap")
    spouse_mean, spouse_sd = cal.vector("household.spouse_gap")
    base = reference[household]
    generation = rng.normal(gap_mean, gap_sd, n) * np.where(has_child[household], 1, -1)
    spouse = rng.normal(spouse_mean, spouse_sd, n)
    offset: Floats = np.select([slot == 0, slot == 1], [0.0, spouse], generation)
    return base + offset


def _arrange_city(
    rng: np.random.Generator, ages: Ints, layout: Layout, members: Ints
) -> tuple[Ints, Bools]:
    """Ages of the persons ``members`` (one city's, in order): drawn ``ages`` placed by role."""
    slot, household = layout.slot[members], layout.household[members]
    is_child = ages < ADULT
    child = _child_places(rng, slot, int(is_child.sum()))
    out = np.empty(len(members), dtype=np.int64)
    places = np.flatnonzero(child)
    out[places[np.argsort(_sibling_ages(rng, household[places]), kind="stable")]] = np.sort(
        ages[is_child]
    )
    reference = _reference_ages(rng, household, child, out, ages[~is_child])
    has_child = np.zeros(len(reference), dtype=np.bool_)
    has_child[household[child]] = True
    desired = _desired(rng, slot, household, has_child, reference)
    adult = np.flatnonzero(~child)
    out[adult[np.argsort(desired[adult], kind="stable")]] = np.sort(ages[~is_child])
    return out, ~child & (slot == 1)


def _with_heads(rng: np.random.Generator, ages: Ints, places: int, p: Floats) -> Ints:
    """Tiny samples only: children beyond the non-head places become adults (every household
    needs an adult head); their ages are redrawn from the adult part of ``p``."""
    children = np.flatnonzero(ages < ADULT)
    surplus = len(children) - places
    if surplus <= 0:
        return ages
    ages = ages.copy()
    adult = p[ADULT:] / p[ADULT:].sum()
    ages[rng.choice(children, surplus, replace=False)] = ADULT + rng.choice(
        len(adult), surplus, p=adult
    )
    return ages


def arrange_ages(
    rng: np.random.Generator, layout: Layout, person_city: Ints, cities: npt.NDArray[np.int32]
) -> tuple[Ints, Bools]:
    """Age of every person, and whether the person is the head's spouse (an adult second)."""
    age = np.empty(len(person_city), dtype=np.int64)
    spouse = np.zeros(len(person_city), dtype=np.bool_)
    support = np.arange(int(cal.number("age.max")) + 1)
    for index, city in enumerate(cities):  # a loop over cities, never over people
        members = np.flatnonzero(person_city == index)
        if not len(members):
            continue
        p = age_distribution(int(city))
        drawn = rng.choice(support, size=len(members), p=p)
        drawn = _with_heads(rng, drawn, int((layout.slot[members] > 0).sum()), p)
        age[members], spouse[members] = _arrange_city(rng, drawn, layout, members)
    return age, spouse
