"""liudong.rules: the engine. One law, two scales.

Rules are declared once, in a domain's ``rules.py`` (variables with formulas and citations) and
``parameters/*.yaml`` (dated, sourced values per jurisdiction), and evaluated with numpy over
whole columns: the same code decides one case in microseconds and runs over millions of rows.
No Django here, ever.
"""

from liudong.rules.citations import Cite
from liudong.rules.entities import HOUSEHOLD, PERSON, Entity
from liudong.rules.errors import (
    CitationError,
    DependencyCycleError,
    DtypeError,
    InputError,
    MissingInputError,
    ParameterDateError,
    ParameterFileError,
    ReformError,
    RulesError,
    UnknownVariableError,
)
from liudong.rules.explain import explain, render_text
from liudong.rules.functions import (
    Column,
    Members,
    add_months,
    clip,
    floor_div,
    month_index,
    months_between,
    round_half_up,
    select,
    where,
    years_between,
)
from liudong.rules.reforms import Reform
from liudong.rules.simulation import Simulation
from liudong.rules.system import RuleSystem, default_system
from liudong.rules.types import BOOL, DATE, FLOAT, INT, MONEY, REGION, Category, ValueType
from liudong.rules.variables import Threshold, Variable, input_variable, variable

__all__ = [
    "BOOL",
    "DATE",
    "FLOAT",
    "HOUSEHOLD",
    "INT",
    "MONEY",
    "PERSON",
    "REGION",
    "Category",
    "CitationError",
    "Cite",
    "Column",
    "DependencyCycleError",
    "DtypeError",
    "Entity",
    "InputError",
    "Members",
    "MissingInputError",
    "ParameterDateError",
    "ParameterFileError",
    "Reform",
    "ReformError",
    "RuleSystem",
    "RulesError",
    "Simulation",
    "Threshold",
    "UnknownVariableError",
    "ValueType",
    "Variable",
    "add_months",
    "clip",
    "default_system",
    "explain",
    "floor_div",
    "input_variable",
    "month_index",
    "months_between",
    "render_text",
    "round_half_up",
    "select",
    "variable",
    "where",
    "years_between",
]
