"""The benchmark rule set for OpenFisca, in two variants, from the same parameter files.

* **idiomatic**: parameters are an OpenFisca ``ParameterNode`` with one child per city, read in
  formulas as ``parameters(period).benchmark.x[city]`` where ``city`` is an Enum variable
  (OpenFisca's documented "fancy indexing");
* **tables**: the same formulas, but each parameter is compiled once per instant into a numpy
  array indexed by an integer city code (``city_index``), the fastest hand-built alternative.

The values come from ``benchmarks/ruleset/parameters/*.yaml`` (liudong's format), resolved per
city by :mod:`benchmarks.reference`, independently of liudong's engine. People outside every
listed city belong to the city ``other``, which takes the national value.

Money is float yuan, as OpenFisca models it (``value_type = float`` is float32); formulas
compare and divide it in whole fen (``_fen``) so that float32 cannot flip a decision, and the
benchmark compares it with liudong's integer fen to within one fen (widened by float32's step
above 131,072 yuan).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from openfisca_core import periods
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.model_api import ETERNITY, MONTH, Variable, min_, where
from openfisca_core.parameters import ParameterNode
from openfisca_core.reforms import Reform
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from benchmarks.reference import (
    CITY_CODES,
    Spec,
    cells,
    change_dates,
    city_of_code,
    parse_overrides,
    resolve,
    specs,
)
from benchmarks.ruleset import EDUCATION

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["bench_reform", "idiomatic_system", "parameter_data", "tables_system"]

OTHER = "other"
#: A date before every value: where a reform's override starts (liudong: always in force).
REFORM_START = "1900-01-01"

# ---------------------------------------------------------------- parameters as OpenFisca's


def _child(value: Any) -> str:
    """The ParameterNode child of a cell part: a city (``c110000``, ``other``) or a label."""
    return (f"c{value}" if value else OTHER) if isinstance(value, int) else str(value)


def parameter_data() -> dict[str, Any]:
    """The parameters as an OpenFisca ParameterNode dict: ``benchmark.<name>.<city>[.<edu>]``."""
    node: dict[str, Any] = {}
    for spec in specs().values():
        if spec.type == "scale":
            node[spec.name] = _scale_data(spec)
            continue
        tree: dict[str, Any] = {}
        for cell in cells(spec):
            branch = tree
            for part in cell[:-1]:
                branch = branch.setdefault(_child(part), {})
            branch[_child(cell[-1])] = {
                "values": {
                    day.isoformat(): {"value": resolve(spec, cell, day)}
                    for day in change_dates(spec, cell)
                }
            }
        node[spec.name] = tree
    return {"benchmark": node}


def _scale_data(spec: Spec) -> dict[str, Any]:
    """A liudong scale ([X, Y) brackets, amount below the first bound first) as an OpenFisca
    single-amount scale (amount 0 below the first threshold)."""
    dated = spec.cells[()]
    widths = {len(d.value[0]) for d in dated}
    if len(widths) != 1 or any(d.value[1][0] != 0 for d in dated):
        raise ValueError(f"{spec.name}: every version needs the same brackets and 0 below them")
    brackets = []
    for i in range(widths.pop()):
        brackets.append(
            {
                "threshold": {d.start.isoformat(): {"value": d.value[0][i]} for d in dated},
                "amount": {d.start.isoformat(): {"value": d.value[1][i + 1]} for d in dated},
            }
        )
    return {"metadata": {"type": "single_amount"}, "brackets": brackets}


# ---------------------------------------------------------------- entities and enums

Person = build_entity("person", "persons", "A person", is_person=True)
Household = build_entity(
    "household",
    "households",
    "A household",
    roles=[{"key": "member", "plural": "members", "label": "Member"}],
)
City = Enum("City", [(f"c{code}", str(code)) for code in CITY_CODES] + [(OTHER, "other")])
Education = Enum("Education", [(label, label) for label in EDUCATION.categories])


def _var(
    name: str,
    entity: Any,
    value_type: Any,
    period: Any = MONTH,
    formula: Callable[..., Any] | None = None,
    **extra: Any,
) -> type[Variable]:
    attributes: dict[str, Any] = {
        "value_type": value_type,
        "entity": entity,
        "definition_period": period,
        "label": name,
        **extra,
    }
    if formula is not None:
        attributes["formula"] = formula  # OpenFisca reads it from the class dict, unbound
    return type(name, (Variable,), attributes)


# ---------------------------------------------------------------- inputs

INPUTS = [
    _var("birth_date", Person, dt.date, ETERNITY),
    _var(
        "education", Person, Enum, ETERNITY, possible_values=Education, default_value=Education.none
    ),
    _var("residence_region", Person, int),
    _var("months_resident", Person, int),
    _var("si_months", Person, int),
    _var("monthly_income", Person, float),
    _var("household_region", Household, int),
]

# ---------------------------------------------------------------- formulas both variants share


def _age(person: Any, period: Any) -> Any:
    birth = person("birth_date", period)
    year = birth.astype("datetime64[Y]").astype(int) + 1970
    month = birth.astype("datetime64[M]").astype(int) % 12 + 1
    day = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    start = period.start
    had_birthday = (month < start.month) | ((month == start.month) & (day <= start.day))
    return start.year - year - where(had_birthday, 0, 1)


def _si_years(person: Any, period: Any) -> Any:
    return person("si_months", period) // 12


def _residence_years(person: Any, period: Any) -> Any:
    return person("months_resident", period) // 12


def _settlement_points(person: Any, period: Any) -> Any:
    return (
        person("si_points", period)
        + person("residence_points", period)
        + person("education_score", period)
        + person("age_points", period)
    )


def _household_size(household: Any, period: Any) -> Any:
    return household.nb_persons()


def _household_income(household: Any, period: Any) -> Any:
    return household.sum(household.members("monthly_income", period))


def _fen(yuan: Any) -> Any:
    """Whole fen of float yuan: money is compared and divided in fen, never in float32 yuan."""
    return np.round(np.asarray(yuan, dtype=np.float64) * 100)


def _per_capita_income(household: Any, period: Any) -> Any:
    size = household("household_size", period)
    return np.floor(_fen(household("household_income", period)) / np.maximum(size, 1)) / 100


SHARED = [
    _var("age", Person, int, formula=_age),
    _var("si_years", Person, int, formula=_si_years),
    _var("residence_years", Person, int, formula=_residence_years),
    _var("settlement_points", Person, float, formula=_settlement_points),
    _var("household_size", Household, int, formula=_household_size),
    _var("household_income", Household, float, formula=_household_income),
    _var("per_capita_income", Household, float, formula=_per_capita_income),
]

# ---------------------------------------------------------------- idiomatic: parameters[city]


def _city(person: Any, period: Any) -> Any:
    return city_of_code()[person("residence_region", period)]


def _household_city(household: Any, period: Any) -> Any:
    return city_of_code()[household("household_region", period)]


def _si_points_idiomatic(person: Any, period: Any, parameters: Any) -> Any:
    city = person("city", period)
    p = parameters(period).benchmark
    return min_(person("si_years", period) * p.si_points_per_year[city], p.si_points_cap[city])


def _residence_points_idiomatic(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).benchmark
    return person("residence_years", period) * p.residence_points_per_year[person("city", period)]


def _education_score_idiomatic(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).benchmark
    return p.education_points[person("city", period)][person("education", period)]


def _age_points_idiomatic(person: Any, period: Any, parameters: Any) -> Any:
    return parameters(period).benchmark.age_bonus.calc(person("age", period))


def _settlement_eligible_idiomatic(person: Any, period: Any, parameters: Any) -> Any:
    threshold = parameters(period).benchmark.settlement_points_threshold[person("city", period)]
    return person("settlement_points", period) >= threshold


def _standard_idiomatic(household: Any, period: Any, parameters: Any) -> Any:
    return parameters(period).benchmark.assistance_standard[household("household_city", period)]


def _assistance_eligible(household: Any, period: Any) -> Any:
    size = household("household_size", period)
    limit = _fen(household("assistance_standard", period)) * size
    return (_fen(household("household_income", period)) < limit) & (size > 0)


def _assistance_payment(household: Any, period: Any) -> Any:
    limit = _fen(household("assistance_standard", period)) * household("household_size", period)
    gap = (limit - _fen(household("household_income", period))) / 100
    return where(household("assistance_eligible", period), gap, 0)


def _enum_city(name: str, entity: Any, formula: Callable[..., Any]) -> type[Variable]:
    return _var(
        name,
        entity,
        Enum,
        formula=formula,
        possible_values=City,
        default_value=getattr(City, OTHER),
    )


IDIOMATIC = [
    _enum_city("city", Person, _city),
    _enum_city("household_city", Household, _household_city),
    _var("si_points", Person, float, formula=_si_points_idiomatic),
    _var("residence_points", Person, float, formula=_residence_points_idiomatic),
    _var("education_score", Person, float, formula=_education_score_idiomatic),
    _var("age_points", Person, float, formula=_age_points_idiomatic),
    _var("settlement_eligible", Person, bool, formula=_settlement_eligible_idiomatic),
    _var("assistance_standard", Household, float, formula=_standard_idiomatic),
    _var("assistance_eligible", Household, bool, formula=_assistance_eligible),
    _var("assistance_payment", Household, float, formula=_assistance_payment),
]

# ---------------------------------------------------------------- tables: arrays by city index


@dataclass(frozen=True)
class Tables:
    """The parameters at one instant as arrays indexed by city index (and education code)."""

    si_points_per_year: np.ndarray
    si_points_cap: np.ndarray
    residence_points_per_year: np.ndarray
    education_points: np.ndarray  # [city, education]
    settlement_points_threshold: np.ndarray
    assistance_standard: np.ndarray
    age_thresholds: np.ndarray
    age_amounts: np.ndarray  # one more than thresholds: the amount below the first


_TABLES: dict[int, tuple[Any, Tables]] = {}
CITY_NAMES = [_child(c) for c in (*CITY_CODES, 0)]


def tables(parameters: Any, period: Any) -> Tables:
    """The tables for a period, compiled once per parameter tree and instant."""
    node = parameters(period).benchmark
    node = getattr(node, "parameter_node_at_instant", node)  # unwrap OpenFisca's tracing proxy
    hit = _TABLES.get(id(node))
    if hit is None or hit[0] is not node:
        by_city = {
            name: np.array([node[name][c] for c in CITY_NAMES], dtype=np.float64)
            for name in (
                "si_points_per_year",
                "si_points_cap",
                "residence_points_per_year",
                "settlement_points_threshold",
                "assistance_standard",
            )
        }
        education = np.array(
            [[node.education_points[c][e] for e in EDUCATION.categories] for c in CITY_NAMES],
            dtype=np.float64,
        )
        scale = node.age_bonus
        hit = (
            node,
            Tables(
                education_points=education,
                age_thresholds=np.array(scale.thresholds, dtype=np.float64),
                age_amounts=np.array([0.0, *scale.amounts]),
                **by_city,
            ),
        )
        _TABLES[id(node)] = hit
    return hit[1]


def _city_index(person: Any, period: Any) -> Any:
    return city_of_code()[person("residence_region", period)]


def _household_city_index(household: Any, period: Any) -> Any:
    return city_of_code()[household("household_region", period)]


def _si_points_tables(person: Any, period: Any, parameters: Any) -> Any:
    t = tables(parameters, period)
    city = person("city_index", period)
    earned = person("si_years", period) * t.si_points_per_year[city]
    return np.minimum(earned, t.si_points_cap[city])


def _residence_points_tables(person: Any, period: Any, parameters: Any) -> Any:
    rate = tables(parameters, period).residence_points_per_year[person("city_index", period)]
    return person("residence_years", period) * rate


def _education_score_tables(person: Any, period: Any, parameters: Any) -> Any:
    t = tables(parameters, period)
    education = person("education", period)
    return t.education_points[person("city_index", period), np.asarray(education)]


def _age_points_tables(person: Any, period: Any, parameters: Any) -> Any:
    t = tables(parameters, period)
    return t.age_amounts[np.searchsorted(t.age_thresholds, person("age", period), side="right")]


def _settlement_eligible_tables(person: Any, period: Any, parameters: Any) -> Any:
    threshold = tables(parameters, period).settlement_points_threshold
    return person("settlement_points", period) >= threshold[person("city_index", period)]


def _standard_tables(household: Any, period: Any, parameters: Any) -> Any:
    standard = tables(parameters, period).assistance_standard
    return standard[household("household_city_index", period)]


TABLES = [
    _var("city_index", Person, int, formula=_city_index),
    _var("household_city_index", Household, int, formula=_household_city_index),
    _var("si_points", Person, float, formula=_si_points_tables),
    _var("residence_points", Person, float, formula=_residence_points_tables),
    _var("education_score", Person, float, formula=_education_score_tables),
    _var("age_points", Person, float, formula=_age_points_tables),
    _var("settlement_eligible", Person, bool, formula=_settlement_eligible_tables),
    _var("assistance_standard", Household, float, formula=_standard_tables),
    _var("assistance_eligible", Household, bool, formula=_assistance_eligible),
    _var("assistance_payment", Household, float, formula=_assistance_payment),
]

# ---------------------------------------------------------------- systems and the reform


def _system(variables: Sequence[type[Variable]]) -> TaxBenefitSystem:
    tbs = TaxBenefitSystem([Person, Household])
    tbs.add_variables(*INPUTS, *SHARED, *variables)
    tbs.parameters = ParameterNode("", data=parameter_data())
    return tbs


def idiomatic_system() -> TaxBenefitSystem:
    return _system(IDIOMATIC)


def tables_system() -> TaxBenefitSystem:
    return _system(TABLES)


def bench_reform(
    baseline: TaxBenefitSystem, reform: Mapping[str, Any], on: dt.date
) -> TaxBenefitSystem:
    """A liudong reform's parameter overrides as an OpenFisca Reform of ``baseline``.

    Each override replaces the value of one key path from the beginning of time (as liudong's
    do); the leaves whose resolved value on ``on`` changes are updated from ``REFORM_START``.
    """
    changes = _leaf_changes(reform["parameters"], on)

    class BenchReform(Reform):  # type: ignore[misc]  # openfisca_core is untyped
        name = str(reform["name"])

        def apply(self) -> None:
            self.modify_parameters(modifier_function=_updater(changes))

    return BenchReform(baseline)


def _leaf_changes(
    overrides: Mapping[str, Mapping[str, Any]], on: dt.date
) -> list[tuple[list[str], Any]]:
    changes = []
    for name, parsed in parse_overrides(overrides).items():
        spec = specs()[name]
        for cell in cells(spec):
            after = resolve(spec, cell, on, parsed)
            if after != resolve(spec, cell, on):
                changes.append(([name, *(_child(c) for c in cell)], after))
    return changes


def _updater(changes: list[tuple[list[str], Any]]) -> Callable[[ParameterNode], ParameterNode]:
    def modify(parameters: ParameterNode) -> ParameterNode:
        for path, value in changes:
            leaf = parameters.benchmark
            for part in path:
                leaf = leaf.children[part]
            leaf.update(start=periods.instant(REFORM_START), value=value)
        return parameters

    return modify
