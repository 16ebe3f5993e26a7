"""Value types of variables and parameters.

Every column the engine holds is a numpy array of one of these types. Money is integer fen
(int64); dates are ``datetime64[D]``; categories are small integer codes into a declared list of
labels; a region is a GB/T 2260 code held as int32.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import numpy as np
import polars as pl

from liudong.rules.errors import DtypeError, InputError

__all__ = [
    "BOOL",
    "DATE",
    "FLOAT",
    "INT",
    "MONEY",
    "REGION",
    "Category",
    "ValueType",
    "fen_to_yuan",
    "yuan_to_fen",
]


def yuan_to_fen(value: object, *, where: str = "value") -> int:
    """Convert an amount in yuan (int, str or Decimal; never float) to exact integer fen."""
    if isinstance(value, bool | float):
        kind = type(value).__name__
        raise InputError(
            f"{where}: money must be given exactly, as a string or integer of yuan "
            f'(e.g. "1395.50"), not a {kind} ({value!r})'
        )
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InputError(f'{where}: {value!r} is not an amount of yuan (e.g. "1395.50")') from None
    fen = amount * 100
    if not amount.is_finite() or fen != fen.to_integral_value():
        raise InputError(
            f"{where}: {_shown(value)} yuan is not a whole number of fen (2 decimals at most)"
        )
    return int(fen)


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen to a Decimal amount of yuan with two places."""
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ValueType:
    """A scalar type: its name, numpy dtype and default (the value of "nothing")."""

    name: str
    dtype: np.dtype[Any]
    default: Any

    def empty(self, n: int) -> np.ndarray:
        return np.full(n, self.default, dtype=self.dtype)

    def coerce(self, values: Any, n: int, *, what: str) -> np.ndarray:
        """Check a formula's result and broadcast it to n rows of this type."""
        arr = np.asarray(values)
        if not self._accepts(arr.dtype):
            raise DtypeError(
                f"{what} must be {self.describe()}, but its formula returned {arr.dtype}. "
                f"{self._hint()}"
            )
        if arr.ndim == 0:
            return np.full(n, arr, dtype=self.dtype)
        if arr.shape != (n,):
            raise DtypeError(f"{what} returned {arr.shape[0]} rows for an entity of {n} rows")
        return arr.astype(self.dtype, copy=False)

    def describe(self) -> str:
        return self.name

    def _accepts(self, dtype: np.dtype[Any]) -> bool:
        kind = dtype.kind
        if self.name == "bool":
            return kind == "b"
        if self.name in {"int", "money", "region"}:
            return kind in "iub"
        if self.name == "float":
            return kind in "iubf"
        if self.name == "date":
            return kind == "M"
        return False

    def _hint(self) -> str:
        if self.name == "money":
            return "Money is integer fen: round explicitly (e.g. with round_half_up_fen())."
        if self.name == "int":
            return "Round or floor explicitly (np.floor(...).astype(np.int64))."
        return "Cast the result explicitly."

    def from_polars(self, series: pl.Series, *, what: str) -> np.ndarray:
        """A Polars column as a numpy array of this type (error if it cannot be exact)."""
        if series.null_count():
            raise DtypeError(f"column {what!r} has {series.null_count()} missing values; fill them")
        dtype = series.dtype
        if self.name == "date":
            if dtype != pl.Date:
                raise DtypeError(f"column {what!r} must be a Date, got {dtype}")
            return series.to_numpy().astype("datetime64[D]")
        if self.name == "bool" and dtype != pl.Boolean:
            raise DtypeError(f"column {what!r} must be Boolean, got {dtype}")
        if self.name in {"int", "money", "region"} and not dtype.is_integer():
            hint = " (money columns hold integer fen)" if self.name == "money" else ""
            raise DtypeError(f"column {what!r} must be an integer column{hint}, got {dtype}")
        if self.name == "float" and not dtype.is_numeric():
            raise DtypeError(f"column {what!r} must be numeric, got {dtype}")
        values = series.to_numpy()
        if self.name == "int" and values.dtype.kind == "i":
            return values  # keep the stored width (zero-copy); formulas return int64
        return values.astype(self.dtype, copy=False)

    def to_polars(self, name: str, values: np.ndarray) -> pl.Series:
        if self.name == "date":
            return pl.Series(name, values.astype("datetime64[D]"), dtype=pl.Date)
        return pl.Series(name, values)

    def parse(self, value: Any, *, where: str) -> Any:
        """One scalar from YAML or JSON (money in yuan, dates as ISO strings)."""
        try:
            if self.name == "money":
                return yuan_to_fen(value, where=where)
            if self.name == "date":
                return np.datetime64(value if isinstance(value, dt.date) else str(value), "D")
            if self.name == "bool":
                if not isinstance(value, bool):
                    raise InputError(f"{where}: expected true or false, got {value!r}")
                return value
            if self.name in {"int", "region"}:
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise InputError(f"{where}: expected a whole number, got {value!r}")
                return int(value)
            return float(value)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"{where}: {value!r} is not a valid {self.describe()} ({exc})"
            ) from None

    def to_python(self, value: Any) -> Any:
        """A numpy scalar as a JSON-friendly Python value (money as a yuan string)."""
        if self.name == "money":
            return str(fen_to_yuan(int(value)))
        if self.name == "date":
            return str(np.datetime64(value, "D"))
        if self.name == "bool":
            return bool(value)
        if self.name in {"int", "region"}:
            return int(value)
        return float(value)

    def format(self, value: Any, lang: str = "zh") -> str:
        """A value as a person reads it."""
        if self.name == "money":
            return f"{fen_to_yuan(int(value)):,}" + (" 元" if lang == "zh" else " yuan")
        if self.name == "bool":
            yes = bool(value)
            if lang == "zh":
                return "是" if yes else "否"
            return "yes" if yes else "no"
        if self.name == "float":
            return f"{float(value):,.4g}" if abs(float(value)) < 1e6 else f"{float(value):,.0f}"
        if self.name in {"int", "region"}:
            return f"{int(value)}" if self.name == "region" else f"{int(value):,}"
        return str(self.to_python(value))


BOOL: Final = ValueType("bool", np.dtype(np.bool_), False)
INT: Final = ValueType("int", np.dtype(np.int64), 0)
FLOAT: Final = ValueType("float", np.dtype(np.float64), 0.0)
MONEY: Final = ValueType("money", np.dtype(np.int64), 0)
DATE: Final = ValueType("date", np.dtype("datetime64[D]"), np.datetime64("1970-01-01", "D"))
REGION: Final = ValueType("region", np.dtype(np.int32), 0)


@dataclass(frozen=True)
class Category(ValueType):
    """A categorical type: values are int16 codes into ``categories``.

    ``labels`` gives each category a zh-Hans and English label for explanations.
    """

    categories: tuple[str, ...] = ()
    labels: dict[str, dict[str, str]] = field(default_factory=dict, hash=False, compare=False)

    def __init__(
        self,
        name: str,
        categories: tuple[str, ...] | list[str],
        labels: dict[str, dict[str, str]] | None = None,
        default: str | None = None,
    ) -> None:
        cats = tuple(categories)
        if len(set(cats)) != len(cats):
            raise ValueError(f"category {name!r} lists a value twice: {cats}")
        first = cats.index(default) if default is not None else 0
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "dtype", np.dtype(np.int16))
        object.__setattr__(self, "default", first)
        object.__setattr__(self, "categories", cats)
        object.__setattr__(self, "labels", labels or {})

    def describe(self) -> str:
        return f"category {self.name} ({', '.join(self.categories)})"

    def _accepts(self, dtype: np.dtype[Any]) -> bool:
        return dtype.kind in "iu"

    def _hint(self) -> str:
        return f"Return codes, e.g. {self.name}.code('{self.categories[0]}')."

    def code(self, label: str) -> int:
        """The integer code of a category label (for use in formulas)."""
        try:
            return self.categories.index(label)
        except ValueError:
            raise InputError(
                f"{label!r} is not a {self.name}; expected one of: {', '.join(self.categories)}"
            ) from None

    def from_polars(self, series: pl.Series, *, what: str) -> np.ndarray:
        if series.null_count():
            raise DtypeError(f"column {what!r} has {series.null_count()} missing values; fill them")
        if series.dtype.is_integer():
            codes = series.to_numpy()
            bad = (codes < 0) | (codes >= len(self.categories))
            if bad.any():
                raise DtypeError(f"column {what!r} has codes outside 0..{len(self.categories) - 1}")
            return codes.astype(np.int16)
        if isinstance(series.dtype, pl.Enum):
            return self._from_enum(series, what)
        strings = series.cast(pl.String)
        mapping = {c: i for i, c in enumerate(self.categories)}
        unknown = strings.filter(~strings.is_in(list(self.categories))).unique().head(5).to_list()
        if unknown:
            raise DtypeError(
                f"column {what!r} has values that are not a {self.name}: {unknown}; "
                f"expected one of: {', '.join(self.categories)}"
            )
        return strings.replace_strict(mapping, return_dtype=pl.Int16).to_numpy()

    def _from_enum(self, series: pl.Series, what: str) -> np.ndarray:
        """Map the column's own category codes onto ours: no strings per row."""
        dtype = series.dtype
        if not isinstance(dtype, pl.Enum):
            raise DtypeError(f"column {what!r} is not an Enum column")
        theirs = dtype.categories.to_list()
        unknown = [c for c in theirs if c not in self.categories]
        if unknown:
            used = set(series.unique().cast(pl.String).to_list())
            unknown = [c for c in unknown if c in used]
        if unknown:
            raise DtypeError(
                f"column {what!r} has values that are not a {self.name}: {unknown[:5]}; "
                f"expected one of: {', '.join(self.categories)}"
            )
        table = np.array(
            [self.categories.index(c) if c in self.categories else -1 for c in theirs],
            dtype=np.int16,
        )
        physical = series.to_physical().to_numpy()
        return table[physical] if len(table) else physical.astype(np.int16)

    def to_polars(self, name: str, values: np.ndarray) -> pl.Series:
        labels = pl.Series(name, self.categories, dtype=pl.Enum(list(self.categories)))
        return labels.gather(values.astype(np.int64))

    def parse(self, value: Any, *, where: str) -> Any:
        if value not in self.categories:
            raise InputError(
                f"{where}: {value!r} is not a {self.name}; expected one of: "
                f"{', '.join(self.categories)}"
            )
        return self.categories.index(value)

    def to_python(self, value: Any) -> Any:
        return self.categories[int(value)]

    def format(self, value: Any, lang: str = "zh") -> str:
        label = self.categories[int(value)]
        return self.labels.get(label, {}).get(lang, label)
