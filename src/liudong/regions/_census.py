"""City urban-district populations, 7th census (``census2020.csv``), and CS14 size classes."""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, get_args

import polars as pl

from liudong.regions._divisions import Division, by_code, read_packaged_csv

if TYPE_CHECKING:
    from collections.abc import Mapping

SizeClass = Literal["super_large", "mega", "large_1", "large_2", "medium", "small_1", "small_2"]
SIZE_CLASSES: Final[tuple[SizeClass, ...]] = get_args(SizeClass)
"""CS14 classes, largest first: 超大, 特大, I型大, II型大, 中等, I型小, II型小城市."""

Basis = Literal["census_urban_district", "class_only", "total_resident_upper_bound"]
BASES: Final[tuple[Basis, ...]] = get_args(Basis)

_CONFIDENCE: Final = pl.Enum(["verified", "provisional"])
_SCHEMA: Final = pl.Schema(
    {
        "code": pl.Int32(),
        "name": pl.String(),
        "urban_population": pl.Int64(),
        "size_class": pl.Enum(SIZE_CLASSES),
        "basis": pl.Enum(BASES),
        "source": pl.String(),
        "confidence": _CONFIDENCE,
        "size_class_confidence": _CONFIDENCE,
    }
)


@functools.cache
def _frame() -> pl.DataFrame:
    return read_packaged_csv("census2020.csv", _SCHEMA)


def urban_population() -> pl.DataFrame:
    """城区常住人口 (urban-district resident population) of the largest cities, 2020 census.

    One row per city (a prefecture-level code, or the municipality's code such as
    110000). ``size_class`` is always filled; ``urban_population`` (persons) is null
    where the source gives only the class. ``basis`` says what the figure is:
    ``census_urban_district`` (the census 城区 figure), ``class_only`` (list
    membership only), ``total_resident_upper_bound`` (the whole city's resident
    population, so the urban district is at most this and ``size_class`` is the
    largest class it could be). ``confidence`` applies to the row's figure (or list
    membership), ``size_class_confidence`` to the class; ``source`` names the source.
    """
    return _frame().clone()


@functools.cache
def _classes() -> Mapping[int, SizeClass]:
    frame = _frame()
    return MappingProxyType(dict(zip(frame["code"], frame["size_class"], strict=True)))


def _is_urban_district(division: Division) -> bool:
    """A county-level 市辖区 (names end in 区; 神农架林区 and 六枝特区 are not districts)."""
    return (
        division.level == "county"
        and division.name.endswith("区")
        and not division.name.endswith(("林区", "特区"))
    )


def size_class_of(code: int) -> SizeClass | None:
    """The CS14 class of the city ``code`` is, or of the city it is an urban district of.

    None for cities the census table does not list, and for counties and county-level
    cities (each is a town or city of its own, not part of its prefecture's 城区).

    >>> size_class_of(110000), size_class_of(110105), size_class_of(450100)
    ('super_large', 'super_large', 'large_1')
    >>> size_class_of(320582) is None  # 张家港市, a county-level city under 苏州
    True
    """
    classes = _classes()
    division = by_code().get(code)
    if code in classes or division is None or division.parent is None:
        return classes.get(code)
    return classes.get(division.parent) if _is_urban_district(division) else None
