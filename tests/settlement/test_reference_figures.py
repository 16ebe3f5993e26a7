"""What the facade says beyond the rules: which facts differ per city (``Field.city_specific``)
and what past rounds published (``schemes.published_results``, policy.md §2a), shown on the
self-check as reference information and used by the analysis as its calibration line."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.test import Client

from liudong import population
from liudong.settlement import analysis, schemes
from liudong.settlement.forms import declared_facts
from tests.settlement.rounds_helpers import at
from tests.settlement.test_pages import beijing_2020, card

if TYPE_CHECKING:
    from pathlib import Path

# ---------------------------------------------------------------------------------------------
# Facts that differ per city.


def test_the_residence_permit_is_the_only_fact_shared_by_name_but_city_specific() -> None:
    specific = {f.name for s in schemes.SCHEMES.values() for f in s.fields if f.city_specific}
    assert specific == {"holds_residence_permit"}


def test_the_self_check_asks_city_specific_facts_once_per_scheme() -> None:
    names = {d.form_name: d.schemes for d in declared_facts(dt.date(2024, 6, 3))}
    assert names["beijing__holds_residence_permit"] == ("beijing",)
    assert names["shanghai__holds_residence_permit"] == ("shanghai",)
    assert "holds_residence_permit" not in names
    assert len(names["birth_date"]) == 2  # shared, and the same in every city


@pytest.mark.django_db
def test_the_api_says_which_facts_are_city_specific() -> None:
    fields = Client().get("/api/settlement/schemes/beijing").json()["fields"]
    flags = {f["name"]: f["city_specific"] for f in fields}
    assert flags["holds_residence_permit"] is True
    assert flags["birth_date"] is False


# ---------------------------------------------------------------------------------------------
# Published results of past rounds.


def test_beijings_published_rounds_2018_to_2022_with_their_confidence() -> None:
    rounds = {r.year: r for r in schemes.published_results("beijing")}
    assert sorted(rounds) == [2018, 2019, 2020, 2021, 2022]
    cutoffs = {y: r.cutoff.value for y, r in rounds.items() if r.cutoff}
    assert cutoffs == {
        2018: Decimal("90.75"),
        2019: Decimal("93.58"),
        2020: Decimal("97.13"),
        2021: Decimal("100.88"),
        2022: Decimal("105.42"),
    }
    last = rounds[2022]
    assert last.cutoff is not None
    assert (last.cutoff.cite.split()[0], last.cutoff.confidence) == ("BJLIST", "verified")
    assert last.settled is not None
    assert last.settled.value == 6006
    assert last.tied_at_cutoff is not None
    assert last.tied_at_cutoff.value == 86
    assert last.applicants is None  # UNVERIFIED in policy.md: no figure
    assert rounds[2019].tied_at_cutoff is None
    applicants = {
        y: (r.applicants.value, r.applicants.confidence) for y, r in rounds.items() if r.applicants
    }
    assert applicants == {
        2018: (124_657, "provisional"),  # one source
        2019: (106_403, "verified"),
        2020: (122_852, "provisional"),
    }
    assert rounds[2019].settled is not None
    assert rounds[2019].settled.confidence == "provisional"  # one source
    assert rounds[2018].provisional
    assert not rounds[2022].provisional


def test_a_scheme_without_published_rounds_has_none() -> None:
    assert schemes.published_results("shanghai") == ()


@pytest.mark.django_db
def test_the_self_check_shows_the_last_published_cut_off_as_reference() -> None:
    with time_machine.travel(at(dt.date(2024, 6, 3)), tick=False):
        response = Client().post("/settlement/", beijing_2020())
    assert response.status_code == 200
    beijing = card(response.content.decode(), 110000)
    assert "2022 年度落户分数线为 105.42 分" in beijing
    assert "往年公布名单，不是预测；BJLIST" in beijing
    shanghai = card(response.content.decode(), 310000)
    assert "落户分数线" not in shanghai  # a standard score, no cut-off


def test_the_analysis_compares_with_the_published_ranges(tmp_path: Path) -> None:
    out = tmp_path / "population"
    population.generate(5_000, seed=3, out=out, applicants=True)
    run = analysis.simulate(analysis.load(out, "beijing", dt.date(2024, 6, 1)), 6000)
    published = analysis.summary(run)["published"]
    assert published["cutoff"] == [90.75, 105.42]
    assert published["settled"] == [6006, 6045]
    assert published["applicants"] == [106_403, 124_657]
    assert published["source"] == "BJLIST (2018–2022)"
    assert published["provisional"] is True
    assert json.loads(json.dumps(published)) == published
