"""The GB/T 2260 table (``gbt2260.csv``): loading, single-code lookups, the dense index."""

from __future__ import annotations

import functools
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, NamedTuple, get_args

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy.typing as npt

Level = Literal["province", "prefecture", "county"]
LEVELS: Final[tuple[Level, ...]] = get_args(Level)

CODE_SPACE: Final = 1_000_000
"""Six-digit codes are below this; ``code_index()``'s lookup table has this length."""

_SCHEMA: Final = pl.Schema(
    {
        "code": pl.Int32(),
        "name": pl.String(),
        "level": pl.Enum(LEVELS),
        "parent": pl.Int32(),
        "valid_from": pl.Int16(),
        "valid_to": pl.Int16(),
        "pinyin": pl.String(),
    }
)


class Division(NamedTuple):
    """One code as the lookups see it: its latest name, level, parent and periods."""

    name: str
    level: Level
    parent: int | None
    periods: tuple[tuple[int | None, int | None], ...]


def read_packaged_csv(filename: str, schema: pl.Schema) -> pl.DataFrame:
    """Read a CSV shipped inside this package (works from a wheel or a zip)."""
    data = (resources.files("liudong.regions") / filename).read_bytes()
    return pl.read_csv(data, schema=schema)


@functools.cache
def _frame() -> pl.DataFrame:
    return read_packaged_csv("gbt2260.csv", _SCHEMA)


def divisions() -> pl.DataFrame:
    """The whole table: one row per code and name period, current and abolished.

    Columns: ``code`` Int32, ``name``, ``level`` (Enum province/prefecture/county),
    ``parent`` Int32 (null for provinces), ``valid_from``/``valid_to`` Int16 (years,
    inclusive; null = no lower bound known / still current), ``pinyin``.
    Current divisions are the rows with a null ``valid_to``; they are unique by code.

    >>> divisions().filter(pl.col("valid_to").is_null()).height
    3212
    """
    return _frame().clone()


@functools.cache
def by_code() -> Mapping[int, Division]:
    """Every code in the table, read-only, for single-code lookups."""
    latest_first = _frame().sort(
        ["code", "valid_to", "valid_from"],
        descending=[False, True, True],
        nulls_last=[False, False, True],  # the current row (no valid_to) first
    )
    grouped = latest_first.group_by("code", maintain_order=True).agg(
        pl.col("name", "level", "parent").first(), pl.col("valid_from", "valid_to")
    )
    return MappingProxyType(
        {
            code: Division(latest, rank, above, tuple(zip(starts, ends, strict=True)))
            for code, latest, rank, above, starts, ends in grouped.iter_rows()
        }
    )


def _division(code: int) -> Division:
    try:
        return by_code()[code]
    except KeyError:
        raise KeyError(
            f"{code!r} is not a GB/T 2260 code in the vendored table (current or abolished); "
            "check the number, or use ancestors() to fall back to a known prefix"
        ) from None


def name(code: int) -> str:
    """The division's name: the current one, or the last one it had if abolished.

    >>> name(110105)
    '朝阳区'
    """
    return _division(code).name


def level(code: int) -> Level:
    """``"province"``, ``"prefecture"`` or ``"county"``."""
    return _division(code).level


def parent(code: int) -> int | None:
    """The code of the division directly above, or None for a province.

    Districts and counties of the municipalities (11, 12, 31, 50) and county-level
    units directly under a province (429004 仙桃市, 659001 石河子市) have the province.
    """
    return _division(code).parent


def exists(code: int, year: int | None = None) -> bool:
    """Whether ``code`` is in the table; with ``year``, whether it was valid that year.

    Without a year this includes abolished codes (an ID number issued under 110103
    崇文区 is recognisable); pass the year (a birth year, say) to check validity then.

    >>> exists(110103), exists(110103, 2005), exists(110103, 2015)
    (True, True, False)
    """
    division = by_code().get(code)
    if division is None or year is None:
        return division is not None
    return any(
        (start is None or start <= year) and (end is None or year <= end)
        for start, end in division.periods
    )


def ancestors(code: int) -> list[int]:
    """Codes of ``code`` and the divisions above it that are in the table, most specific first.

    Works for unknown codes too, by prefix: ``code // 100 * 100`` (prefecture), then
    ``code // 10000 * 10000`` (province). Empty when not even the province is known.

    >>> ancestors(110105), ancestors(440305), ancestors(440399)
    ([110105, 110000], [440305, 440300, 440000], [440300, 440000])
    """
    known = by_code()
    prefixes = dict.fromkeys((code, code // 100 * 100, code // 10_000 * 10_000))
    return [candidate for candidate in prefixes if candidate in known]


def province_of(code: int) -> int:
    """The provincial-level division containing ``code`` (by prefix for unknown codes)."""
    found = ancestors(code)
    if not found:
        raise KeyError(f"{code!r} is under no provincial-level code in GB/T 2260")
    return found[-1]


def prefecture_of(code: int) -> int | None:
    """The prefecture-level division containing ``code`` (itself if it is one).

    None for provinces, for the districts and counties of the municipalities (they
    have no prefecture level) and for county-level units directly under a province.
    """
    known = by_code()
    return next((c for c in ancestors(code) if known[c].level == "prefecture"), None)


@functools.cache
def code_index() -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """A dense lookup from any six-digit code to a compact index, for vectorised use.

    Returns ``(lut, codes)``: ``codes`` is the sorted array of every code in the table
    with ``codes[0] == 0`` reserved for "national/unknown"; ``lut`` has ``CODE_SPACE``
    entries and maps a code to its index in ``codes``, or, for a code not in the
    table, to the index of its nearest ancestor by prefix (prefecture, then province),
    else 0. Both arrays are read-only.

    >>> lut, codes = code_index()
    >>> int(codes[lut[110105]]), int(codes[lut[440399]]), int(lut[990101])
    (110105, 440300, 0)
    """
    codes = np.concatenate(([0], _frame()["code"].unique().sort().to_numpy())).astype(np.int32)
    own = np.zeros(CODE_SPACE, dtype=np.int32)
    own[codes[1:]] = np.arange(1, codes.size, dtype=np.int32)
    every = np.arange(CODE_SPACE, dtype=np.int32)
    prefecture, province = own[every // 100 * 100], own[every // 10_000 * 10_000]
    lut = np.where(own > 0, own, np.where(prefecture > 0, prefecture, province))
    lut.setflags(write=False)
    codes.setflags(write=False)
    return lut, codes
