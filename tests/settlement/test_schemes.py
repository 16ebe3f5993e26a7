"""The scheme facade (liudong.settlement.schemes): properties over random facts, the dating of
Beijing's versions, bad facts, windows, versions, improvements and any-city answers."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liudong.rules import Reform
from liudong.settlement import schemes
from liudong.settlement.schemes import FactError, Field

REFORMS = Path(schemes.__file__).parent / "reforms"
DATES = {
    "beijing": [dt.date(2018, 6, 1), dt.date(2019, 6, 1), dt.date(2020, 7, 1), dt.date(2025, 6, 1)],
    "shanghai": [dt.date(2016, 6, 1), dt.date(2024, 6, 1)],
}
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _value(f: Field) -> st.SearchStrategy[Any]:
    if f.kind == "bool":
        return st.booleans()
    if f.kind == "choice":
        return st.sampled_from([code for code, _ in f.choices])
    if f.kind == "date":
        return st.dates(dt.date(1955, 1, 1), dt.date(2004, 12, 31))
    if f.kind == "decimal":
        return st.integers(0, 3_000_000).map(lambda fen: str(Decimal(fen) / 100))
    high = min(f.maximum if f.maximum is not None else 60, 400)
    return st.integers(f.minimum or 0, high)


def facts_for(key: str) -> st.SearchStrategy[dict[str, Any]]:
    sch = schemes.scheme(key)
    return st.fixed_dictionaries({f.name: _value(f) for f in sch.fields})


def _row_frame(sch: schemes.Scheme, facts: dict[str, Any]) -> pl.DataFrame:
    columns = []
    for f in sch.fields:
        value = facts[f.name]
        if f.kind == "decimal":
            columns.append(pl.Series(f.name, [int(Decimal(value) * 100)], dtype=pl.Int64))
        elif f.kind == "date":
            columns.append(pl.Series(f.name, [value], dtype=pl.Date))
        elif f.kind == "int":
            columns.append(pl.Series(f.name, [value], dtype=pl.Int64))
        else:
            columns.append(pl.Series(f.name, [value]))
    return pl.DataFrame(columns)


# ---------------------------------------------------------------- properties


@pytest.mark.property
@FAST
@given(data=st.data(), key=st.sampled_from(sorted(schemes.SCHEMES)))
def test_items_keep_their_sign(data: st.DataObject, key: str) -> None:
    """Points items are never negative and deductions never positive, as the measures say."""
    facts = data.draw(facts_for(key))
    on = data.draw(st.sampled_from(DATES[key]))
    found = schemes.assess(key, facts, on)
    sch = schemes.scheme(key)
    for spec, item in zip(sch.items, found.items, strict=True):
        if spec.deduction:
            assert item.points <= 0, (spec.key, item.points)
        else:
            assert item.points >= 0, (spec.key, item.points)
    assert found.score == sum((i.points for i in found.items), Decimal("0.00"))
    assert found.score == found.score.quantize(Decimal("0.01"))


@pytest.mark.property
@FAST
@given(data=st.data(), key=st.sampled_from(sorted(schemes.SCHEMES)), more=st.integers(1, 60))
def test_more_social_insurance_never_lowers_the_score(
    data: st.DataObject, key: str, more: int
) -> None:
    facts = data.draw(facts_for(key))
    on = data.draw(st.sampled_from(DATES[key]))
    field = "si_months_beijing" if key == "beijing" else "si_months_shanghai"
    higher = {**facts, field: min(facts[field] + more, 720)}
    assert schemes.assess(key, higher, on).score >= schemes.assess(key, facts, on).score


@pytest.mark.property
@FAST
@given(data=st.data(), key=st.sampled_from(sorted(schemes.SCHEMES)))
def test_assess_and_assess_table_agree(data: st.DataObject, key: str) -> None:
    facts = data.draw(facts_for(key))
    on = data.draw(st.sampled_from(DATES[key]))
    sch = schemes.scheme(key)
    one = schemes.assess(key, facts, on)
    table = schemes.assess_table(key, _row_frame(sch, facts), on)
    assert table["score_centi"][0] == int(one.score * 100)
    assert table["eligible"][0] == one.eligible
    for item in one.items:
        assert table[f"{item.key}_centi"][0] == int(item.points * 100), item.key
    for pre in one.preconditions:
        assert table[f"pre_{pre.key}"][0] == pre.met
    if sch.threshold is not None:
        assert table["reaches_threshold"][0] == one.reaches_threshold


@pytest.mark.property
@FAST
@given(facts=facts_for("beijing"))
def test_2019_uses_bj16_and_2021_uses_bj20(facts: dict[str, Any]) -> None:
    before = schemes.assess("beijing", facts, dt.date(2019, 6, 1))
    after = schemes.assess("beijing", facts, dt.date(2021, 6, 1))
    assert before.version == "BJ16"
    assert before.ruleset.startswith("beijing/BJ16@")
    assert all(i.cite.startswith("BJ16 ") for i in before.items)
    assert after.version == "BJ20"
    assert after.ruleset.startswith("beijing/BJ20@")
    assert all(i.cite.startswith("BJ20 ") for i in after.items)


def test_the_versions_switch_on_the_first_day_of_2020() -> None:
    assert schemes.BEIJING.version(dt.date(2019, 12, 31)).document == "BJ16"
    assert schemes.BEIJING.version(dt.date(2020, 1, 1)).document == "BJ20"
    with pytest.raises(FactError) as err:
        schemes.BEIJING.version(dt.date(2016, 7, 31))
    assert err.value.field == "on"
    assert "2016-08-01" in err.value.expected


# ---------------------------------------------------------------- one applicant

APPLICANT: dict[str, object] = {
    "holds_residence_permit": True,
    "birth_date": "1980-03-01",
    "retirement_group": "men",
    "si_months_beijing": 120,
    "has_criminal_record": False,
    "bj_residence_rent_months": 130,
    "education": "bachelor",
    "bj_study_overlap_months": 12,
    "bj_tax_qualifying_years": 2,
}


def test_assessment_of_a_beijing_applicant_under_both_versions() -> None:
    now = schemes.assess("beijing", APPLICANT, dt.date(2021, 6, 1))
    points = {i.key: i.points for i in now.items}
    assert now.eligible
    assert now.score == Decimal("70.50")
    assert points["job"] == Decimal("30.00")
    assert points["residence"] == Decimal("5.00")
    assert points["study_overlap"] == Decimal("-3.50")
    assert points["tax"] == Decimal("4.00")
    assert now.explanation["schema"] == "liudong.explain/1"
    assert now.explanation["root"]["variable"] == "bj_score"
    assert now.provisional  # innovation grades are provisional and the windows are not law
    before = schemes.assess("beijing", APPLICANT, dt.date(2019, 6, 1))
    assert {i.key: i.points for i in before.items}["tax"] == Decimal("0.00")  # BJ16: all 3 years
    assert before.score == Decimal("66.50")


def test_improvements_are_computed_by_the_rules() -> None:
    """Each gain equals the difference the rules give for the changed fact."""
    on = dt.date(2021, 6, 1)
    found = schemes.assess("beijing", APPLICANT, on)
    gains = {i.label["en"]: i for i in found.improvements}
    assert gains["one more year of Beijing social insurance"].gain == Decimal("3.00")
    assert gains["the next education step"].gain == Decimal("11.00")  # bachelor 15 -> master 26
    moved = gains["one year living outside the six core districts"]
    assert moved.gain == Decimal("2.00")
    assert moved.cite == "BJ20 积分指标（职住区域）"
    for imp in found.improvements:
        assert imp.gain > 0
    again = schemes.assess("beijing", {**APPLICANT, "si_months_beijing": 132}, on)
    assert again.score - found.score == gains["one more year of Beijing social insurance"].gain
    # a residence year beyond the SI years adds nothing, so it is not offered on its own
    assert all(i.field != "bj_residence_rent_months" for i in found.improvements)


def test_no_improvement_is_offered_where_the_cap_is_reached() -> None:
    capped = {**APPLICANT, "bj_tax_qualifying_years": 3, "bj_outer_job_and_residence_years": 4}
    found = schemes.assess("beijing", capped, dt.date(2021, 6, 1))
    fields = {i.field for i in found.improvements}
    assert "bj_tax_qualifying_years" not in fields
    assert "bj_outer_job_and_residence_years" not in fields
    assert "bj_outer_residence_only_years" not in fields  # the combined cap of 12 is reached


def test_shanghai_grants_permit_benefits_not_hukou() -> None:
    sch = schemes.scheme("shanghai")
    assert sch.grants == "permit_benefits"
    assert sch.threshold == Decimal("120")
    assert [r.key for r in sch.routes] == ["residence_to_hukou"]
    assert not sch.routes[0].modelled
    found = schemes.assess(
        "shanghai",
        {
            "holds_residence_permit": True,
            "birth_date": "1994-03-01",
            "education": "bachelor",
            "si_months_shanghai": 60,
            "sh_si_base_band": "100_200",
        },
        dt.date(2024, 6, 1),
    )
    assert found.score == Decimal("185.00")
    assert found.reaches_threshold is True
    assert found.version == "SH13"


def test_calculator_a_reform_file() -> None:
    reform = Reform.from_json(REFORMS / "shanghai_calculator_a.json")
    facts = {
        "holds_residence_permit": True,
        "birth_date": "1980-01-01",
        "si_months_shanghai": 500,
        "detention_records": 1,
        "sh_public_service_years": 10,
    }
    on = dt.date(2024, 6, 1)
    law = {i.key: i.points for i in schemes.assess("shanghai", facts, on).items}
    alt = schemes.assess("shanghai", facts, on, reform)
    other = {i.key: i.points for i in alt.items}
    assert (law["social_insurance"], other["social_insurance"]) == (Decimal(120), Decimal(123))
    assert (law["detention"], other["detention"]) == (Decimal(-150), Decimal(-50))
    assert (law["public_service"], other["public_service"]) == (Decimal(20), Decimal(40))
    assert alt.provisional
    assert alt.explanation["reform"] == "Shanghai points as calculator A reads them"


# ---------------------------------------------------------------- bad facts


@pytest.mark.parametrize(
    ("facts", "field", "needle"),
    [
        ({**APPLICANT, "si_months_bejing": 3}, "si_months_bejing", "not a fact"),
        ({**APPLICANT, "education": "phd"}, "education", "not one of the choices"),
        ({**APPLICANT, "si_months_beijing": -1}, "si_months_beijing", "below 0"),
        ({**APPLICANT, "si_months_beijing": 2.5}, "si_months_beijing", "not valid"),
        ({**APPLICANT, "has_criminal_record": "no"}, "has_criminal_record", "not valid"),
        ({**APPLICANT, "birth_date": "1980-02-30"}, "birth_date", "not a date"),
        ({k: v for k, v in APPLICANT.items() if k != "birth_date"}, "birth_date", "required"),
        ({**APPLICANT, "bj_tax_qualifying_years": 4}, "bj_tax_qualifying_years", "above 3"),
    ],
)
def test_bad_facts_name_the_field(facts: dict[str, object], field: str, needle: str) -> None:
    with pytest.raises(FactError) as err:
        schemes.assess("beijing", facts, dt.date(2021, 6, 1))
    assert err.value.field == field
    assert needle in err.value.problem
    assert err.value.expected
    assert isinstance(err.value, ValueError)


def test_money_must_be_exact() -> None:
    with pytest.raises(FactError) as err:
        schemes.assess(
            "shanghai",
            {"holds_residence_permit": True, "birth_date": "1990-01-01", "sh_avg_annual_tax": 1.5},
            dt.date(2024, 6, 1),
        )
    assert err.value.field == "sh_avg_annual_tax"


def test_unknown_scheme_lists_the_schemes() -> None:
    with pytest.raises(KeyError, match="beijing, shanghai"):
        schemes.scheme("tianjin")


def test_assess_table_checks_columns() -> None:
    table = pl.DataFrame({"holds_residence_permit": [True]})
    with pytest.raises(FactError) as err:
        schemes.assess_table("beijing", table, dt.date(2021, 6, 1))
    assert err.value.field == "birth_date"
    bad = pl.DataFrame(
        {
            "holds_residence_permit": [True],
            "birth_date": [dt.date(1980, 1, 1)],
            "retirement_group": ["men"],
            "has_criminal_record": [False],
            "si_months_beijing": [-5],
        }
    )
    with pytest.raises(FactError) as err:
        schemes.assess_table("beijing", bad, dt.date(2021, 6, 1))
    assert err.value.field == "si_months_beijing"
    wrong = bad.with_columns(pl.lit(10).alias("si_months_beijing"), pl.lit("x").alias("education"))
    with pytest.raises(FactError) as err:
        schemes.assess_table("beijing", wrong, dt.date(2021, 6, 1))
    assert err.value.field == "education"


# ---------------------------------------------------------------- round parameters


def test_windows_ties_and_quota() -> None:
    on = dt.date(2021, 6, 1)
    days, cite, confidence = schemes.review_window("beijing", on)
    assert (days, confidence) == (5, "assumption")
    assert cite.startswith("MODEL ")
    assert schemes.objection_window("beijing", on)[2] == "assumption"
    assert schemes.tie_rule("beijing", on) == (
        "admit_all_tied",
        "BJLIST 2018年积分落户公示名单（同分并列）",
        "verified",
    )
    assert schemes.reference_quota("beijing", on)[0] == 6000
    assert schemes.reference_quota("shanghai", on)[0] is None
    assert schemes.tie_rule("shanghai", on)[0] == "admit_all_tied"


def test_ruleset_version_is_stable_and_dated() -> None:
    a = schemes.ruleset_version("beijing", dt.date(2021, 6, 1))
    assert a == schemes.ruleset_version("beijing", dt.date(2022, 3, 1))  # nothing changed between
    assert a != schemes.ruleset_version("beijing", dt.date(2019, 6, 1))
    assert len(a.rsplit("@", 1)[1]) == 12
    assert schemes.ruleset_version("shanghai", dt.date(2024, 6, 1)).startswith("shanghai/SH13@")


def test_fields_drive_forms() -> None:
    sch = schemes.scheme("beijing")
    names = [f.name for f in sch.fields]
    assert len(names) == len(set(names))
    assert "bj_hitech_share_tier" not in [f.name for f in sch.fields_on(dt.date(2019, 6, 1))]
    assert "bj_hitech_core_years" not in [f.name for f in sch.fields_on(dt.date(2021, 6, 1))]
    si = sch.field("si_months_beijing")
    assert si.needs_employer
    assert si.registry == "social_insurance"
    for f in (*sch.fields, *schemes.scheme("shanghai").fields):
        assert {"zh", "en"} <= f.label.keys()
        assert f.cite
        assert f.kind != "choice" or f.choices


# ---------------------------------------------------------------- any city


def test_city_answer_for_beijing_and_for_an_open_city() -> None:
    on = dt.date(2024, 6, 1)
    facts = {
        **APPLICANT,
        "hukou_region": 411502,
        "months_resident": 12,
        "has_stable_job": True,
        "has_stable_residence": False,
        "is_studying": False,
    }
    beijing = schemes.city_answer(110105, facts, on)
    assert (beijing.size_class, beijing.policy, beijing.scheme) == (
        "super_large",
        "points",
        "beijing",
    )
    assert beijing.city == 110000
    assert beijing.may_settle_unrestricted is False
    assert beijing.residence_permit_eligible is True
    assert beijing.assessment is not None
    assert beijing.assessment.score == Decimal("70.50")
    open_city = schemes.city_answer(411502, {"hukou_region": 410102}, on)
    assert (open_city.policy, open_city.may_settle_unrestricted) == ("open", True)
    assert open_city.scheme is None
    assert open_city.assessment is None
    assert open_city.residence_permit_eligible is None
    unknown = schemes.city_answer(110105, {}, on)
    assert unknown.may_settle_unrestricted is None
    with pytest.raises(FactError):
        schemes.city_answer(999999, {}, on)


# ---------------------------------------------------------------- scale


@pytest.mark.slow
def test_a_million_applicants_score_well_under_ten_seconds() -> None:
    n = 1_000_000
    rng = np.random.default_rng(7)
    birth = np.datetime64("1970-01-01") + rng.integers(0, 365 * 30, n).astype("timedelta64[D]")
    table = pl.DataFrame(
        {
            "holds_residence_permit": rng.random(n) < 0.9,
            "birth_date": pl.Series(birth).cast(pl.Date),
            "retirement_group": rng.choice(["men", "women_55", "women_50"], n),
            "si_months_beijing": rng.integers(0, 300, n),
            "has_criminal_record": rng.random(n) < 0.01,
            "bj_residence_rent_months": rng.integers(0, 300, n),
            "education": rng.choice([c for c, _ in schemes.EDUCATION_CHOICES], n),
            "bj_study_overlap_months": rng.integers(0, 48, n),
            "bj_tax_qualifying_years": rng.integers(0, 4, n),
        }
    )
    started = time.perf_counter()
    scored = schemes.assess_table("beijing", table, dt.date(2021, 6, 1))
    elapsed = time.perf_counter() - started
    assert scored.height == n
    assert elapsed < 10, elapsed
