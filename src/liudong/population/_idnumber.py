"""Resident identity numbers (GB 11643), built for whole columns at once.

An 18-character number is: a 6-digit address code, the birth date as YYYYMMDD, a 3-digit
sequence whose parity is the sex (odd = male), and an ISO 7064 MOD 11-2 check character.

The address code must have been valid in the birth year (as python-stdnum and the vendored
GB/T 2260 table see it). A current county created after a person was born is replaced by the
code it had then: its predecessor under the same parent with the same name stem (密云区 ←
密云县 110228 ← 110208), else the code of its prefecture-level city, else its province.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl
from stdnum import numdb

from liudong.population._geography import current_counties
from liudong.regions import divisions

if TYPE_CHECKING:
    import numpy.typing as npt

    Codes = npt.NDArray[np.int32]
    Ints = npt.NDArray[np.int64]
    Bools = npt.NDArray[np.bool_]

__all__ = ["address_codes", "check_characters", "id_numbers"]

YEAR0: Final = 1900
YEARS: Final = 200  # address codes are tabulated for birth years 1900..2099
WEIGHTS: Final = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARACTERS: Final = "0123456789X"
EARLIER_PROVINCE: Final = {500000: 510000, 460000: 440000}
"""Provinces created from others: 重庆 (1997) from 四川, 海南 (1988) from 广东."""
SEQUENCES: Final = 500  # sequence codes per sex: 2 * k + 1 (men), 2 * k (women), k < 500


def _valid_years(frame: pl.DataFrame) -> Bools:
    """For each row (``valid_from``, ``valid_to``), the years it is valid, as a row of bools."""
    years = np.arange(YEAR0, YEAR0 + YEARS)
    start = frame["valid_from"].fill_null(0).to_numpy().astype(np.int64)
    end = frame["valid_to"].fill_null(9999).to_numpy().astype(np.int64)
    return (years >= start[:, None]) & (years <= end[:, None])


@functools.cache
def _stdnum_entries() -> dict[int, str]:
    """python-stdnum's county entries (``"[1983-]德安县"``) by six-digit code."""
    entries: dict[int, str] = {}
    for _, low, high, _, children in numdb.get("cn/loc").prefixes:  # 34 provinces
        for _, c_low, c_high, props, _ in children:  # their counties
            if "county" in props and low == high:
                for suffix in range(int(c_low), int(c_high) + 1):
                    entries[int(low) * 10_000 + suffix] = props["county"]
    return entries


def _stdnum_years(code: int) -> Bools:
    """The years python-stdnum accepts ``code`` as a birth place (all years if it lacks it).

    Its entries come from the same source as the vendored table's years, but give a few
    reused codes an empty first period (``[1983-1982]东风区``) that the vendored table reads
    as "until 1982"; such a number would fail ``stdnum.cn.ric.is_valid``, so it is avoided.
    """
    entry = _stdnum_entries().get(code)
    years = np.arange(YEAR0, YEAR0 + YEARS)
    if entry is None:
        return np.ones(YEARS, dtype=np.bool_)
    valid = np.zeros(YEARS, dtype=np.bool_)
    for period in entry.split(","):  # a handful of periods per code
        if not period.startswith("["):
            return np.ones(YEARS, dtype=np.bool_)
        start, end = period[1:].split("]")[0].split("-")
        valid |= (years >= int(start or 0)) & (years <= int(end or 9999))
    return valid


@functools.cache
def _code_years() -> tuple[Codes, Bools]:
    """Every code of the vendored table, sorted, and the years both tables hold it valid."""
    rows = divisions()
    codes = np.unique(rows["code"].to_numpy()).astype(np.int32)
    ours = np.zeros((len(codes), YEARS), dtype=np.bool_)
    np.logical_or.at(ours, np.searchsorted(codes, rows["code"].to_numpy()), _valid_years(rows))
    theirs = np.array([_stdnum_years(int(c)) for c in codes])  # ~3,500 codes, once
    return codes, ours & theirs


def _validity(codes: Codes) -> Bools:
    """For each code (repeats allowed), the years it is valid as a birth place."""
    known, years = _code_years()
    index = np.searchsorted(known, codes)
    found = (index < len(known)) & (known[np.minimum(index, len(known) - 1)] == codes)
    return np.where(found[:, None], years[np.minimum(index, len(known) - 1)], False)


def _stems(frame: pl.DataFrame, code: str, *extra: str) -> pl.DataFrame:
    """Code, parent, province and name stem (the name without its 县/区/市 suffix)."""
    name = pl.col("name")
    return frame.select(
        pl.col("code").alias(code),
        "parent",
        *extra,
        (pl.col("code") // 10_000 * 10_000).alias("province"),
        name.str.slice(0, name.str.len_chars() - 1).alias(f"{code}_stem"),
    ).filter(pl.col(f"{code}_stem").str.len_chars() > 0)


def _predecessors(current: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Pairs (current county, an earlier code of it), best first.

    An earlier code is a county under the same parent whose name stem equals or extends the
    current one's (通县 → 通州区), or one anywhere in the province (or in the province it
    was part of) with the same stem (九江 德安县 362626 → 360426). Preferred: the same parent,
    an identical stem, the latest period.
    """
    left = _stems(current, "code").with_row_index("row")
    right = _stems(rows.filter(pl.col("level") == "county"), "earlier", "valid_from", "valid_to")
    moved = right.filter(pl.col("province").is_in(list(EARLIER_PROVINCE.values())))
    became = {old: new for new, old in EARLIER_PROVINCE.items()}
    renamed = pl.col("province").replace_strict(became, return_dtype=pl.Int32)
    right = pl.concat([right, moved.with_columns(renamed)])
    pairs = left.join(right, on="province", suffix="_earlier").with_columns(
        same_parent=pl.col("parent") == pl.col("parent_earlier"),
        same_stem=pl.col("code_stem") == pl.col("earlier_stem"),
    )
    related = pl.col("code_stem").str.starts_with(pl.col("earlier_stem")) | pl.col(
        "earlier_stem"
    ).str.starts_with(pl.col("code_stem"))
    keep = (pl.col("earlier") != pl.col("code")) & (
        pl.col("same_stem") | pl.col("same_parent") & related
    )
    return pairs.filter(keep).sort(
        ["row", "same_parent", "same_stem", "valid_to", "earlier"],
        descending=[False, True, True, True, False],
        nulls_last=True,
    )


def _fill_predecessors(table: Codes, current: pl.DataFrame, rows: pl.DataFrame) -> None:
    pairs = _predecessors(current, rows)
    valid = _valid_years(pairs) & _validity(pairs["earlier"].to_numpy())
    # a loop over the few hundred renamed counties, once per process (cached), never over people
    for i, (row, earlier) in enumerate(pairs.select("row", "earlier").iter_rows()):
        free = table[row] == 0
        table[row] = np.where(free & valid[i], earlier, table[row])


@functools.cache
def _address_table() -> tuple[Ints, Codes]:
    """``(row_of, table)``: ``table[row_of[county], year - YEAR0]`` is the address code."""
    rows = divisions()
    current = current_counties()
    codes = current["code"].to_numpy().astype(np.int32)
    table = np.where(_validity(codes), codes[:, None], 0).astype(np.int32)
    _fill_predecessors(table, current, rows)
    parents = current["parent"].to_numpy().astype(np.int32)
    parent_valid = _validity(parents)
    table = np.where(table == 0, np.where(parent_valid, parents[:, None], 0), table)
    provinces = (codes // 10_000 * 10_000).astype(np.int32)
    table = np.where(table == 0, np.where(_validity(provinces), provinces[:, None], 0), table)
    before = np.array([EARLIER_PROVINCE.get(int(p), int(p)) for p in provinces], dtype=np.int32)
    table = np.where(table == 0, before[:, None], table).astype(np.int32)
    row_of = np.full(1_000_000, -1, dtype=np.int64)
    row_of[codes] = np.arange(len(codes))
    return row_of, table


def address_codes(hukou: Codes, birth_year: Ints) -> Codes:
    """The ID address code of each person: the hukou county's code valid in the birth year."""
    row_of, table = _address_table()
    rows = row_of[hukou]
    if (rows < 0).any():
        bad = np.unique(hukou[rows < 0])[:5].tolist()
        raise ValueError(f"hukou regions {bad} are not current county-level GB/T 2260 codes")
    return table[rows, birth_year - YEAR0]


def _date_parts(birth: npt.NDArray[np.datetime64]) -> tuple[Ints, Ints, Ints]:
    months = birth.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (birth - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _sequence(area: Codes, days: Ints, male: Ints, part: int, parts: int) -> Ints:
    """Sequence codes, distinct within each (address, birth date, sex) cell.

    The k-th person of a cell in partition ``part`` gets ``(offset + k * parts + part) % 500``
    (doubled, plus one for men), so numbers are unique across the whole dataset while no
    partition holds more than ``500 / parts`` persons of one cell.
    """
    cell = (area.astype(np.int64) << 21 | (days + (1 << 20))) << 1 | male  # one sortable key
    order = np.argsort(cell, kind="stable")
    ordered = cell[order]
    new = np.ones(len(order), dtype=np.bool_)
    new[1:] = ordered[1:] != ordered[:-1]
    position = np.arange(len(order))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = position - np.maximum.accumulate(np.where(new, position, 0))
    offset = (area.astype(np.int64) * 7919 + days * 104_729 + male * 15_485_863) % SEQUENCES
    return ((offset + rank * parts + part) % SEQUENCES) * 2 + male


def check_characters(body: Ints) -> Ints:
    """The MOD 11-2 check value (10 stands for 'X') of each 17-digit body."""
    total = np.zeros(len(body), dtype=np.int64)
    for i, weight in enumerate(WEIGHTS):  # 17 digit positions, each over the whole column
        total += body // 10 ** (16 - i) % 10 * weight
    return (12 - total % 11) % 11


def id_numbers(
    area: Codes, birth: npt.NDArray[np.datetime64], male: Bools, part: int, parts: int
) -> pl.Series:
    """18-character resident ID numbers from address codes, birth dates and sexes."""
    year, month, day = _date_parts(birth)
    days = birth.astype(np.int64)
    sequence = _sequence(area, days, male.astype(np.int64), part, parts)
    body = area.astype(np.int64) * 10**11 + (year * 10_000 + month * 100 + day) * 1000 + sequence
    check = pl.Series("check", list(CHECK_CHARACTERS)).gather(check_characters(body))
    frame = pl.DataFrame([pl.Series("body", body), check])
    return frame.select(pl.concat_str(pl.col("body").cast(pl.String), "check"))["body"].alias(
        "id_number"
    )
