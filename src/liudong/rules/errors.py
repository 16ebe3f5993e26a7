"""Errors raised by the rules engine.

Every error says what is wrong, where, and what to do about it: the message is meant to be read
by the person who wrote the rule, the parameter file or the input data.
"""

from __future__ import annotations


class RulesError(Exception):
    """Base class of every error the engine raises."""


class UnknownVariableError(RulesError, KeyError):
    """A name was asked for that is neither a variable nor a parameter."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DependencyCycleError(RulesError):
    """Formulas depend on each other in a circle."""


class MissingInputError(RulesError):
    """An input column a formula needs is absent from the data."""


class DtypeError(RulesError):
    """A column or a formula result has the wrong type."""


class ParameterFileError(RulesError):
    """A parameter file is malformed (missing source, date, unit, confidence...)."""


class ParameterDateError(RulesError):
    """A parameter has no value in force at the evaluation date."""


class CitationError(RulesError):
    """A variable or parameter cites a document the catalogue does not know."""


class ReformError(RulesError):
    """A reform names something that does not exist or changes it in an invalid way."""


class InputError(RulesError):
    """A single case (JSON or YAML) is malformed."""
