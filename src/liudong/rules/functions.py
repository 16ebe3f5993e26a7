"""Functions formulas use: vectorised over whole columns, the same for one row or ten million."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

#: A column of values, one per row: what a formula receives and returns.
Column = np.ndarray

__all__ = [
    "Column",
    "Members",
    "add_months",
    "clip",
    "floor_div",
    "month_index",
    "months_between",
    "round_half_up",
    "select",
    "where",
    "years_between",
]


def where(condition: Any, if_true: Any, if_false: Any) -> np.ndarray:
    """Element-wise choice (numpy.where)."""
    out: np.ndarray = np.where(condition, if_true, if_false)
    return out


def select(conditions: list[Any], choices: list[Any], default: Any = 0) -> np.ndarray:
    """The first choice whose condition holds, else ``default`` (numpy.select)."""
    out: np.ndarray = np.select(conditions, choices, default)
    return out


def clip(values: Any, lower: Any = None, upper: Any = None) -> np.ndarray:
    """Bound values below and/or above."""
    return np.clip(values, lower, upper)


def round_half_up(values: Any, decimals: int = 0) -> np.ndarray:
    """Round half away from zero (as published lists and payments round), not to even."""
    factor = 10.0**decimals
    scaled = np.asarray(values, dtype=np.float64) * factor
    # Guard against binary noise such as 2.675 * 100 = 267.49999999999997.
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5 + 1e-9)
    return rounded / factor if decimals else rounded.astype(np.int64)


def floor_div(numerator: Any, denominator: Any) -> np.ndarray:
    """Integer division rounding down, with 0 where the denominator is 0."""
    num = np.asarray(numerator)
    den = np.asarray(denominator)
    safe = np.where(den == 0, 1, den)
    out: np.ndarray = np.where(den == 0, 0, num // safe)
    return out


_LUT_FIRST = -62_091  # 1800-01-01 as days since 1970-01-01
_LUT_LAST = 84_005  # 2199-12-31


@functools.cache
def _ymd_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    year, month, day = _civil(np.arange(_LUT_FIRST, _LUT_LAST + 1, dtype=np.int64))
    # Narrow types keep the gathered columns small (5M rows: 30 MB instead of 120 MB).
    return year.astype(np.int32), month.astype(np.int8), day.astype(np.int8)


def _ymd(dates: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of each date: one gather from a table of 1800-2199, else by
    integer arithmetic; both several times faster than numpy's datetime unit casts."""
    days = np.asarray(dates, dtype="datetime64[D]").view(np.int64)
    if days.size and days.min() >= _LUT_FIRST and days.max() <= _LUT_LAST:
        year, month, day = _ymd_table()
        index = days - _LUT_FIRST
        return year[index], month[index], day[index]
    return _civil(days)


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """H. Hinnant's civil-from-days on int64 day numbers (days since 1970-01-01)."""
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def add_months(dates: Any, months: Any) -> np.ndarray:
    """``dates`` plus whole ``months``; a day past the end of the target month becomes its last
    day (2000-01-31 + 1 month = 2000-02-29)."""
    d = np.asarray(dates, dtype="datetime64[D]")
    month0 = d.astype("datetime64[M]")
    day = (d - month0).astype(np.int64)
    target = month0 + np.asarray(months).astype("timedelta64[M]")
    length = (
        (target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")
    ).astype(np.int64)
    out: np.ndarray = target.astype("datetime64[D]") + np.minimum(day, length - 1).astype(
        "timedelta64[D]"
    )
    return out


def month_index(dates: Any) -> np.ndarray:
    """Months since 1970-01 (for month arithmetic on birth cohorts)."""
    year, month, _ = _ymd(dates)
    out: np.ndarray = (year - 1970) * 12 + month - 1
    return out.astype(np.int64, copy=False)


def months_between(start: Any, end: Any) -> np.ndarray:
    """Whole calendar months from ``start`` to ``end`` (a month counts once its day is reached)."""
    y0, m0, d0 = _ymd(start)
    y1, m1, d1 = _ymd(end)
    out: np.ndarray = (y1 - y0) * 12 + (m1 - m0) - (d1 < d0)
    return out.astype(np.int64, copy=False)


def years_between(start: Any, end: Any) -> np.ndarray:
    """Whole years from ``start`` to ``end``: age in full years on a birthday basis."""
    return months_between(start, end) // 12


@dataclass(frozen=True)
class Members:
    """Values of the member rows of each group (e.g. each person of each household).

    A formula of a group entity receives a member variable as Members and aggregates it:
    ``income.sum()``, ``age.count()``, ``(age < 18).any()``; aggregates are bincounts and
    reductions over positional group indices, never joins.
    """

    values: np.ndarray
    group: np.ndarray  # the group row of each member row
    n_groups: int
    grouped: bool  # member rows already sorted by group (then reductions need no sort)

    def _map(self, values: np.ndarray) -> Members:
        return Members(values, self.group, self.n_groups, self.grouped)

    def __lt__(self, other: Any) -> Members:
        return self._map(self.values < other)

    def __le__(self, other: Any) -> Members:
        return self._map(self.values <= other)

    def __gt__(self, other: Any) -> Members:
        return self._map(self.values > other)

    def __ge__(self, other: Any) -> Members:
        return self._map(self.values >= other)

    def __eq__(self, other: object) -> Members:  # type: ignore[override]  # element-wise, like numpy
        return self._map(self.values == other)

    def __ne__(self, other: object) -> Members:  # type: ignore[override]  # element-wise, like numpy
        return self._map(self.values != other)

    def __and__(self, other: Members) -> Members:
        return self._map(self.values & other.values)

    def __or__(self, other: Members) -> Members:
        return self._map(self.values | other.values)

    def __invert__(self) -> Members:
        return self._map(~self.values)

    def where(self, condition: Members) -> Members:
        """Keep members for which ``condition`` holds (others count as absent)."""
        keep = condition.values
        return Members(self.values[keep], self.group[keep], self.n_groups, self.grouped)

    def count(self) -> np.ndarray:
        return np.bincount(self.group, minlength=self.n_groups).astype(np.int64)

    def sum(self) -> np.ndarray:
        if self.values.dtype.kind in "iub":
            totals = np.bincount(self.group, weights=self.values, minlength=self.n_groups)
            if totals.size and np.abs(totals).max() >= 2**53:
                raise OverflowError("a group sum exceeds 2**53 and cannot be exact")
            return totals.astype(np.int64)
        return np.bincount(self.group, weights=self.values, minlength=self.n_groups)

    def any(self) -> np.ndarray:
        return (
            np.bincount(self.group, weights=self.values.astype(bool), minlength=self.n_groups) > 0
        )

    def all(self) -> np.ndarray:
        fails = np.bincount(self.group, weights=~self.values.astype(bool), minlength=self.n_groups)
        return fails == 0

    def max(self, empty: Any = 0) -> np.ndarray:
        return self._reduce(np.maximum, empty)

    def min(self, empty: Any = 0) -> np.ndarray:
        return self._reduce(np.minimum, empty)

    def _reduce(self, ufunc: np.ufunc, empty: Any) -> np.ndarray:
        values, group = self.values, self.group
        if not self.grouped:
            order = np.argsort(group, kind="stable")
            values, group = values[order], group[order]
        out = np.full(self.n_groups, empty, dtype=self.values.dtype)
        if not len(values):
            return out
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        out[group[starts]] = ufunc.reduceat(values, starts)
        return out
