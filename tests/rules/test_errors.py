"""Every engine error names what is wrong, where, and what to do."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest

from liudong.rules import (
    FLOAT,
    INT,
    MONEY,
    PERSON,
    CitationError,
    Column,
    DependencyCycleError,
    DtypeError,
    InputError,
    MissingInputError,
    ParameterDateError,
    ParameterFileError,
    ReformError,
    RuleSystem,
    Simulation,
    UnknownVariableError,
    default_system,
    input_variable,
    variable,
)
from tests.rules.toy import CITE, module

if TYPE_CHECKING:
    from pathlib import Path

D = dt.date(2025, 6, 1)


def _x() -> object:
    return input_variable("x", PERSON, INT, label={"zh": "x", "en": "x"}, unit="-", cite=CITE)


def test_unknown_variable_in_a_formula_suggests_names() -> None:
    @variable(PERSON, INT, label={"zh": "y", "en": "y"}, unit="-", cite=CITE)
    def y(xx: Column) -> Column:
        return xx

    with pytest.raises(
        UnknownVariableError, match=r"formula of y \(.*\) reads unknown .*'xx'.*Did you mean x"
    ):
        RuleSystem([module("m", x=_x(), y=y)])


def test_unknown_variable_asked_for_suggests_names() -> None:
    with pytest.raises(UnknownVariableError, match="Did you mean dibao_payment"):
        default_system().variable("dibao_paymnt")


def test_dependency_cycle_shows_the_cycle() -> None:
    @variable(PERSON, INT, label={"zh": "a", "en": "a"}, unit="-", cite=CITE)
    def a(b: Column) -> Column:
        return b

    @variable(PERSON, INT, label={"zh": "b", "en": "b"}, unit="-", cite=CITE)
    def b(c: Column) -> Column:
        return c

    @variable(PERSON, INT, label={"zh": "c", "en": "c"}, unit="-", cite=CITE)
    def c(a: Column) -> Column:
        return a

    with pytest.raises(DependencyCycleError, match=r"a -> b -> c -> a"):
        RuleSystem([module("m", a=a, b=b, c=c)])


def test_missing_input_names_the_column_and_who_needs_it() -> None:
    people = pl.DataFrame({"person_id": [1], "household_id": [1]})
    homes = pl.DataFrame({"household_id": [1], "household_region": [110105]})
    sim = Simulation(default_system(), D, {"person": people, "household": homes})
    with pytest.raises(
        MissingInputError,
        match=r"'monthly_income'.*needed by dibao_payment -> dibao_eligible -> household_income",
    ):
        sim.calculate("dibao_payment")


def test_formula_returning_float_for_money_is_a_dtype_error() -> None:
    @variable(PERSON, MONEY, label={"zh": "m", "en": "m"}, unit="yuan", cite=CITE)
    def m(x: Column) -> Column:
        return x * 1.5

    system = RuleSystem([module("m", x=_x(), m=m)])
    sim = Simulation(system, D, {"person": pl.DataFrame({"person_id": [1], "x": [3]})})
    with pytest.raises(
        DtypeError, match=r"m \(.*\) must be money.*returned float64.*round explicitly"
    ):
        sim.calculate("m")


def test_input_column_of_the_wrong_type_is_named() -> None:
    system = RuleSystem([module("m", x=_x())])
    sim = Simulation(system, D, {"person": pl.DataFrame({"person_id": [1], "x": ["3"]})})
    with pytest.raises(DtypeError, match=r"column 'x' must be an integer column, got String"):
        sim.calculate("x")


def _system_with(tmp_path: Path, text: str) -> RuleSystem:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    f = input_variable("f", PERSON, FLOAT, label={"zh": "f", "en": "f"}, unit="-", cite=CITE)

    @variable(PERSON, FLOAT, label={"zh": "g", "en": "g"}, unit="-", cite=CITE)
    def g(f: Column, rate: Column) -> Column:
        return f * rate

    return RuleSystem([module("m", f=f, g=g)], extra_parameter_files=[path])


RATE = """
rate:
  label: {zh: 费率, en: rate}
  type: float
  unit: share
  values:
    - {from: 2020-01-01, value: 0.5, source: MODEL rate, confidence: assumption}
"""


def test_parameter_without_source_names_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(ParameterFileError, match=r"p.yaml: rate value #1: missing 'source'"):
        _system_with(tmp_path, RATE.replace("source: MODEL rate, ", ""))


def test_parameter_without_date_names_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(ParameterFileError, match=r"p.yaml: rate value #1: missing 'from'"):
        _system_with(tmp_path, RATE.replace("from: 2020-01-01, ", ""))


def test_parameter_without_confidence_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParameterFileError, match=r"confidence must be one of"):
        _system_with(tmp_path, RATE.replace(", confidence: assumption", ""))


def test_parameter_citing_an_unknown_document_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParameterFileError, match=r"unknown document 'NOPE'"):
        _system_with(tmp_path, RATE.replace("MODEL rate", "NOPE art. 1"))


def test_date_before_any_value_says_when_values_start(tmp_path: Path) -> None:
    system = _system_with(tmp_path, RATE)
    frame = pl.DataFrame({"person_id": [1], "f": [2.0]})
    sim = Simulation(system, dt.date(2019, 12, 31), {"person": frame})
    with pytest.raises(
        ParameterDateError, match=r"no value in force on 2019-12-31.*start on 2020-01-01"
    ):
        sim.calculate("g")


def test_variable_without_citation_is_refused() -> None:
    with pytest.raises(CitationError, match="needs cite="):
        input_variable("z", PERSON, INT, label={"zh": "z", "en": "z"}, unit="-", cite=None)


def test_money_given_as_a_float_is_refused() -> None:
    case = {
        "households": [{"household_id": 1, "household_region": 110105, "passes_asset_test": True}],
        "persons": [{"person_id": 1, "household_id": 1, "monthly_income": 12.5}],
    }
    with pytest.raises(
        InputError, match=r"persons\[0\].monthly_income: money must be given exactly"
    ):
        Simulation.from_case(default_system(), D, case)


def test_money_with_three_decimals_is_refused() -> None:
    case = {"persons": [{"person_id": 1, "household_id": 1, "monthly_income": "1.005"}]}
    with pytest.raises(InputError, match=r"not a whole number of fen"):
        Simulation.from_case(default_system(), D, case)


def test_unknown_column_in_a_case_suggests_the_right_one() -> None:
    case = {"persons": [{"person_id": 1, "household_id": 1, "monthly_incme": "1"}]}
    with pytest.raises(InputError, match=r"unknown column. Did you mean monthly_income"):
        Simulation.from_case(default_system(), D, case)


def test_computed_variable_cannot_be_given_as_input() -> None:
    case = {"households": [{"household_id": 1, "dibao_payment": "1"}]}
    with pytest.raises(InputError, match=r"computed by a formula"):
        Simulation.from_case(default_system(), D, case)


def test_person_of_an_unknown_household_is_named() -> None:
    case = {
        "households": [{"household_id": 1, "household_region": 110105, "passes_asset_test": True}],
        "persons": [{"person_id": 1, "household_id": 2, "monthly_income": "1"}],
    }
    sim = Simulation.from_case(default_system(), D, case)
    with pytest.raises(InputError, match=r"1 person rows name a household_id that is not among"):
        sim.calculate("dibao_payment")


def test_reform_of_an_unknown_parameter_is_refused() -> None:
    from liudong.rules import Reform

    with pytest.raises(UnknownVariableError, match="Did you mean dibao_standard"):
        Simulation(default_system(), D, {}, Reform("x", parameters={"dibao_standar": {}}))


def test_reform_key_must_name_every_axis() -> None:
    from liudong.rules import Reform

    reform = Reform("x", parameters={"dibao_standard": {"110000/extra": "1"}})
    case = {
        "households": [{"household_id": 1, "household_region": 110105, "passes_asset_test": True}],
        "persons": [{"person_id": 1, "household_id": 1, "monthly_income": "1"}],
    }
    sim = Simulation.from_case(default_system(), D, case, reform)
    with pytest.raises(ReformError, match=r"must name one value per axis: household_region"):
        sim.calculate("dibao_payment")


def test_bad_date_is_refused() -> None:
    with pytest.raises(InputError, match="as_of must be a date"):
        Simulation(default_system(), dt.datetime(2025, 1, 1), {})  # noqa: DTZ001  # the error under test


def test_formula_errors_name_the_formula() -> None:
    @variable(PERSON, INT, label={"zh": "k", "en": "k"}, unit="-", cite=CITE)
    def k(x: Column) -> Column:
        return np.asarray(x)[10]  # an out-of-range index: a bug in a formula

    system = RuleSystem([module("m", x=_x(), k=k)])
    sim = Simulation(system, D, {"person": pl.DataFrame({"person_id": [1], "x": [3]})})
    with pytest.raises(IndexError) as info:
        sim.calculate("k")
    assert any("in the formula of k" in note for note in info.value.__notes__)
