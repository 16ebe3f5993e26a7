"""A synthetic benchmark rule set (not law): settlement points and a household income test.

It has the shape of the real rules (city-indexed, dated parameters; person and household
variables; an aggregate over members) so that engines can be compared on it. Every value is a
modelling assumption cited as ``MODEL``. The liudong version is :mod:`benchmarks.ruleset.rules`
with ``parameters/*.yaml``; :mod:`benchmarks.openfisca_system` states the same rules for
OpenFisca, from the same YAML files.
"""

from benchmarks.ruleset.rules import (
    ALL_VARIABLES,
    EDUCATION,
    HOUSEHOLD_VARIABLES,
    PERSON_VARIABLES,
    system,
)

__all__ = [
    "ALL_VARIABLES",
    "EDUCATION",
    "HOUSEHOLD_VARIABLES",
    "PERSON_VARIABLES",
    "system",
]
