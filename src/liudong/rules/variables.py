"""Variables: typed, cited quantities of one entity, each an input or a dated formula.

    @variable(HOUSEHOLD, MONEY, label={"zh": "低保金", "en": "minimum living allowance"},
              unit="yuan/month", cite="SA14 art. 12", until="2026-06-30")
    def dibao_payment(dibao_standard, per_capita_income, household_size):
        ...

    @dibao_payment.since("2026-07-01", cite="SAL26 (article to be confirmed)")
    def _dibao_payment_2026(dibao_standard, per_capita_income, household_size):
        ...

A formula's inputs are its argument names: variables (of its own entity, of an entity it
belongs to, which arrive projected onto its rows, or of its members, which arrive as
:class:`Members` to aggregate) and parameters (resolved for each row's jurisdiction and
categories on the evaluation date). The name ``as_of`` receives the evaluation date.
"""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from liudong.rules.citations import Cite
from liudong.rules.errors import CitationError, RulesError

if TYPE_CHECKING:
    from collections.abc import Callable

    from liudong.rules.entities import Entity
    from liudong.rules.types import ValueType

__all__ = ["AS_OF", "Formula", "Threshold", "Variable", "input_variable", "variable"]

AS_OF = "as_of"


def _date(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


@dataclass(frozen=True)
class Threshold:
    """Declares that ``value`` compared with ``threshold`` decides the outcome.

    Explanations then say how far the one is from the other ("per-capita income is 120 yuan
    above the local standard of 1,395 yuan") and, if ``lever`` names a variable and
    ``lever_effect`` a parameter (or number), what one more unit of the lever would change
    ("each further year of social insurance adds 3").
    """

    value: str
    threshold: str
    lever: str | None = None
    lever_effect: str | float | None = None


@dataclass(frozen=True)
class Formula:
    func: Callable[..., Any]
    start: dt.date | None
    end: dt.date | None
    cite: Cite
    inputs: tuple[str, ...]
    location: str

    def in_force(self, on: dt.date) -> bool:
        return (self.start is None or self.start <= on) and (self.end is None or on <= self.end)

    def period(self) -> str:
        start = self.start.isoformat() if self.start else "…"
        end = self.end.isoformat() if self.end else "…"
        return f"{start} – {end}"


def _formula(
    func: Callable[..., Any], start: dt.date | None, end: dt.date | None, cite: object
) -> Formula:
    sig = inspect.signature(func)
    for p in sig.parameters.values():
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            raise RulesError(f"formula {func.__qualname__}: arguments must be plain names")
    code = func.__code__
    location = f"{code.co_filename}:{code.co_firstlineno}"
    return Formula(
        func=func,
        start=start,
        end=end,
        cite=Cite.parse(cite, where=location),
        inputs=tuple(sig.parameters),
        location=location,
    )


@dataclass(eq=False)
class Variable:
    """A declared variable. Without formulas it is an input the data must supply."""

    name: str
    entity: Entity
    vtype: ValueType
    label: dict[str, str]
    unit: str
    cite: Cite
    formulas: list[Formula] = field(default_factory=list)
    doc: str = ""
    hint: Threshold | None = None
    module: str = ""

    @property
    def is_input(self) -> bool:
        return not self.formulas

    def formula_on(self, on: dt.date) -> Formula | None:
        return next((f for f in reversed(self.formulas) if f.in_force(on)), None)

    def since(
        self, start: str | dt.date, *, cite: object, until: str | dt.date | None = None
    ) -> Callable[[Callable[..., Any]], Variable]:
        """Decorator: a successor formula in force from ``start`` (the old one must end before)."""
        begin = _date(start)

        def register(func: Callable[..., Any]) -> Variable:
            last = self.formulas[-1] if self.formulas else None
            if last is not None and (last.end is None or (begin and last.end >= begin)):
                raise RulesError(
                    f"variable {self.name}: its formula from {last.period()} must end (until=) "
                    f"before the successor from {begin} takes over"
                )
            self.formulas.append(_formula(func, begin, _date(until), cite))
            return self

        return register

    def continues(
        self, start: str | dt.date, *, cite: object, until: str | dt.date | None = None
    ) -> Variable:
        """A successor in force from ``start`` that keeps the same formula under a new
        citation (a new law that repeats the substance of the one it replaces)."""
        if not self.formulas:
            raise RulesError(f"{self.name} is an input: there is no formula to continue")
        return self.since(start, cite=cite, until=until)(self.formulas[-1].func)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the latest formula directly (useful in tests of a formula alone)."""
        return self.formulas[-1].func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Variable({self.name}: {self.entity.name} {self.vtype.name})"


def _check_label(name: str, label: dict[str, str]) -> dict[str, str]:
    if not {"zh", "en"} <= label.keys():
        raise RulesError(
            f"variable {name}: label needs zh and en, e.g. {{'zh': '年龄', 'en': 'age'}}"
        )
    return dict(label)


def variable(
    entity: Entity,
    vtype: ValueType,
    *,
    label: dict[str, str],
    unit: str,
    cite: object,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    hint: Threshold | None = None,
) -> Callable[[Callable[..., Any]], Variable]:
    """Decorator declaring a computed variable; the function is its (first) formula."""
    if cite is None:
        raise CitationError("every variable needs cite=: the document and article it implements")

    def register(func: Callable[..., Any]) -> Variable:
        formula = _formula(func, _date(since), _date(until), cite)
        return Variable(
            name=func.__name__,
            entity=entity,
            vtype=vtype,
            label=_check_label(func.__name__, label),
            unit=unit,
            cite=formula.cite,
            formulas=[formula],
            doc=inspect.getdoc(func) or "",
            hint=hint,
            module=func.__module__,
        )

    return register


def input_variable(
    name: str,
    entity: Entity,
    vtype: ValueType,
    *,
    label: dict[str, str],
    unit: str,
    cite: object,
    doc: str = "",
) -> Variable:
    """Declare an input: a fact the data supplies, with the clause that makes it matter."""
    if cite is None:
        raise CitationError(f"input {name} needs cite=: the clause that defines the fact")
    frame = inspect.currentframe()
    caller = frame.f_back if frame is not None else None
    return Variable(
        name=name,
        entity=entity,
        vtype=vtype,
        label=_check_label(name, label),
        unit=unit,
        cite=Cite.parse(cite, where=f"input {name}"),
        doc=doc,
        module=str(caller.f_globals.get("__name__", "")) if caller else "",
    )
