"""Invariants of the engine on liudong's real rules, over generated households.

- results do not depend on row order or on partitioning by household;
- one household decided alone equals its row in the population run;
- a reform that changes nothing changes nothing;
- dibao eligibility is monotone in income (more income never makes a household eligible).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liudong.rules import Reform, Simulation, default_system
from liudong.rules.types import fen_to_yuan

pytestmark = pytest.mark.property

REGIONS = [110105, 110101, 310104, 510104, 450102, 540102, 411502]
VARIABLES = [
    "dibao_payment",
    "dibao_eligible",
    "per_capita_income",
    "settlement_policy",
    "residence_permit_eligible",
    "statutory_retirement_age_months",
    "months_to_retirement",
]
DATES = st.sampled_from([dt.date(2025, 6, 1), dt.date(2026, 7, 1), dt.date(2024, 12, 31)])

person = st.fixed_dictionaries(
    {
        "monthly_income": st.integers(0, 400_000),
        "birth_date": st.dates(dt.date(1940, 1, 1), dt.date(2010, 12, 31)),
        "retirement_group": st.sampled_from(["men", "women_55", "women_50"]),
        "hukou_region": st.sampled_from(REGIONS),
        "months_resident": st.integers(0, 240),
        "has_stable_job": st.booleans(),
        "has_stable_residence": st.booleans(),
        "is_studying": st.booleans(),
    }
)
household = st.fixed_dictionaries(
    {
        "household_region": st.sampled_from(REGIONS),
        "passes_asset_test": st.booleans(),
        "members": st.lists(person, min_size=0, max_size=5),
    }
)
population = st.lists(household, min_size=1, max_size=12)


def frames(homes: list[dict[str, Any]]) -> dict[str, pl.DataFrame]:
    people = [
        {
            **p,
            "person_id": i * 10 + j + 1,
            "household_id": i + 1,
            "residence_region": h["household_region"],
        }
        for i, h in enumerate(homes)
        for j, p in enumerate(h["members"])
    ]
    household_rows = [
        {
            "household_id": i + 1,
            "household_region": h["household_region"],
            "passes_asset_test": h["passes_asset_test"],
        }
        for i, h in enumerate(homes)
    ]
    schema = {
        "household_id": pl.Int64,
        "household_region": pl.Int32,
        "passes_asset_test": pl.Boolean,
    }
    person_schema = {
        "person_id": pl.Int64,
        "household_id": pl.Int64,
        "monthly_income": pl.Int64,
        "birth_date": pl.Date,
        "retirement_group": pl.String,
        "hukou_region": pl.Int32,
        "residence_region": pl.Int32,
        "months_resident": pl.Int32,
        "has_stable_job": pl.Boolean,
        "has_stable_residence": pl.Boolean,
        "is_studying": pl.Boolean,
    }
    return {
        "household": pl.DataFrame(household_rows, schema=schema),
        "person": pl.DataFrame(people, schema=person_schema),
    }


def run(
    data: dict[str, pl.DataFrame], on: dt.date, reform: Reform | None = None
) -> dict[str, pl.DataFrame]:
    sim = Simulation(default_system(), on, data, reform)
    return {k: v.sort(v.columns[0]) for k, v in sim.frames(VARIABLES).items()}


@given(population, DATES, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_row_order(
    homes: list[dict[str, Any]], on: dt.date, rnd: Any
) -> None:
    data = frames(homes)
    shuffled = {
        k: v.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 10**6)) for k, v in data.items()
    }
    expected, got = run(data, on), run(shuffled, on)
    for entity in expected:
        assert got[entity].equals(expected[entity])


@given(population, DATES, st.integers(1, 4))
def test_partitioning_by_household_gives_the_same_result(
    homes: list[dict[str, Any]], on: dt.date, parts: int
) -> None:
    data = frames(homes)
    whole = run(data, on)
    pieces = []
    for part in range(parts):
        ids = [i + 1 for i in range(len(homes)) if i % parts == part]
        chunk = {k: v.filter(pl.col("household_id").is_in(ids)) for k, v in data.items()}
        if chunk["household"].height:
            pieces.append(run(chunk, on))
    for entity in whole:
        joined = pl.concat([p[entity] for p in pieces]).sort(whole[entity].columns[0])
        assert joined.equals(whole[entity])


@given(population, DATES)
def test_single_decision_equals_population_row(homes: list[dict[str, Any]], on: dt.date) -> None:
    data = frames(homes)
    whole = run(data, on)
    system = default_system()
    for i, home in enumerate(homes):
        case = {
            "households": [
                {
                    "household_id": i + 1,
                    "household_region": home["household_region"],
                    "passes_asset_test": home["passes_asset_test"],
                }
            ],
            "persons": [
                {
                    **_case_person(p),
                    "person_id": i * 10 + j + 1,
                    "household_id": i + 1,
                    "residence_region": home["household_region"],
                }
                for j, p in enumerate(home["members"])
            ],
        }
        one = Simulation.from_case(system, on, case).frames(VARIABLES)
        for entity, frame in one.items():
            key = frame.columns[0]
            row = whole[entity].filter(pl.col(key).is_in(frame.get_column(key).to_list()))
            assert frame.sort(key).equals(row)


def _case_person(p: dict[str, Any]) -> dict[str, Any]:
    return {
        **p,
        "monthly_income": str(fen_to_yuan(p["monthly_income"])),
        "birth_date": p["birth_date"].isoformat(),
    }


@given(population)
def test_a_reform_that_changes_nothing_changes_nothing(homes: list[dict[str, Any]]) -> None:
    same = Reform(
        "same",
        parameters={
            "dibao_standard": {"110000": "1395", "310000": "1510"},
            "residence_permit_min_months": {"": "6"},
        },
    )
    on = dt.date(2025, 6, 1)
    data = frames(homes)
    base = Simulation(default_system(), on, data)
    before = base.frames(VARIABLES)
    after = base.with_reform(same).frames(VARIABLES)
    for entity in before:
        assert after[entity].equals(before[entity])


@given(population, st.integers(0, 500_000))
def test_more_income_never_makes_a_household_eligible(
    homes: list[dict[str, Any]], extra: int
) -> None:
    on = dt.date(2025, 6, 1)
    data = frames(homes)
    richer = dict(data)
    richer["person"] = data["person"].with_columns(pl.col("monthly_income") + extra)
    before = Simulation(default_system(), on, data).calculate("dibao_eligible")
    after = Simulation(default_system(), on, richer).calculate("dibao_eligible")
    assert not np.any(after & ~before)
