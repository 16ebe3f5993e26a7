"""liudong.regions: the vendored GB/T 2260 table and the 7th-census city sizes."""

from __future__ import annotations

import doctest
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest

import liudong.regions
from liudong.regions import (
    CODE_SPACE,
    LEVELS,
    _census,
    _divisions,
    ancestors,
    code_index,
    divisions,
    exists,
    level,
    name,
    parent,
    prefecture_of,
    province_of,
    size_class_of,
    urban_population,
)

if TYPE_CHECKING:
    from types import ModuleType

# CS14 (policy.md §1a): lower bounds of 城区常住人口, largest class first; the oracle here.
CS14_LOWER_BOUNDS = {
    "super_large": 10_000_000,
    "mega": 5_000_000,
    "large_1": 3_000_000,
    "large_2": 1_000_000,
    "medium": 500_000,
    "small_1": 200_000,
    "small_2": 0,
}


def current() -> pl.DataFrame:
    return divisions().filter(pl.col("valid_to").is_null())


def test_public_api_is_locked() -> None:
    assert set(liudong.regions.__all__) == {
        "CODE_SPACE", "LEVELS", "SIZE_CLASSES", "Level", "SizeClass", "ancestors",
        "code_index", "divisions", "exists", "level", "name", "parent", "prefecture_of",
        "province_of", "size_class_of", "urban_population",
    }  # fmt: skip


@pytest.mark.parametrize("module", [liudong.regions, _divisions, _census])
def test_docstring_examples_run(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0
    assert result.attempted > 0


# --- the division table ---------------------------------------------------------------


def test_current_units_match_official_counts() -> None:
    counts = dict(current().group_by("level").len().iter_rows())
    assert counts == {"province": 34, "prefecture": 333, "county": 2845}


def test_current_rows_are_unique_by_code() -> None:
    assert current()["code"].is_unique().all()


def test_every_parent_is_in_the_table_one_or_two_levels_up() -> None:
    rows = divisions()
    levels = rows.select("code", pl.col("level").alias("parent_level")).unique("code")
    children = rows.filter(pl.col("level") != "province")
    joined = children.join(levels, left_on="parent", right_on="code", how="left")
    assert joined["parent_level"].null_count() == 0
    assert (joined["parent_level"].to_physical() < joined["level"].to_physical()).all()
    assert rows.filter(pl.col("level") == "province")["parent"].null_count() == 34


def test_parent_is_the_nearest_ancestor_by_prefix() -> None:
    for code in divisions()["code"].unique():
        above = ancestors(code)[1:2]
        assert above == ([] if parent(code) is None else [parent(code)])


def test_codes_are_six_digit_and_levels_follow_the_code() -> None:
    rows = divisions()
    assert rows["code"].is_between(110000, CODE_SPACE - 1).all()
    expected = (
        pl.when(pl.col("code") % 10_000 == 0)
        .then(pl.lit("province"))
        .when(pl.col("code") % 100 == 0)
        .then(pl.lit("prefecture"))
        .otherwise(pl.lit("county"))
    )
    assert (rows["level"].cast(pl.String) == rows.select(expected).to_series()).all()


def test_beijing_district_belongs_to_the_municipality() -> None:
    assert (name(110105), level(110105), parent(110105)) == ("朝阳区", "county", 110000)
    assert province_of(110105) == 110000
    assert prefecture_of(110105) is None
    assert ancestors(110105) == [110105, 110000]


def test_municipality_groupings_are_not_divisions() -> None:
    for grouping in (110100, 310100, 500100, 500200, 130101, 429000, 659000):
        assert not exists(grouping)
    assert ancestors(500200) == [500000]


def test_county_level_unit_directly_under_a_province() -> None:
    assert (parent(429004), parent(659001)) == (420000, 650000)
    assert prefecture_of(429004) is None
    assert province_of(659001) == 650000


def test_hangzhou_districts_missing_from_stdnum_exist_from_2021() -> None:
    for code, district in ((330113, "临平区"), (330114, "钱塘区")):
        assert name(code) == district
        assert parent(code) == 330100
        assert exists(code, 2021)
        assert not exists(code, 2020)


def test_abolished_code_from_stdnum_history_keeps_its_years() -> None:
    chongwen = divisions().filter(pl.col("code") == 110103)
    assert chongwen.select("name", "valid_to").rows() == [("崇文区", 2010)]
    assert exists(110103)
    assert exists(110103, 1990)
    assert not exists(110103, 2011)


def test_reused_and_renamed_codes_keep_every_period() -> None:
    assert name(511400) == "眉山市"  # 涪陵市 1995–1997, then 眉山市 from 2000
    assert exists(511400, 1996)
    assert not exists(511400, 1998)
    assert name(500101) == "万州区"  # 万县区 in 1997
    assert divisions().filter(pl.col("code") == 500101)["name"].to_list() == ["万县区", "万州区"]


def test_unknown_code_raises_a_key_error_that_says_what_to_do() -> None:
    with pytest.raises(KeyError, match="ancestors"):
        name(990101)
    with pytest.raises(KeyError):
        province_of(990101)
    assert ancestors(990101) == []
    assert not exists(990101)


def test_divisions_hands_out_a_copy() -> None:
    divisions().insert_column(0, pl.Series("scratch", [0] * divisions().height))
    assert divisions().columns[0] == "code"


@pytest.mark.parametrize(
    ("code", "spelling"),
    [
        (500115, "changshouqu"),
        (500000, "chongqingshi"),
        (430100, "changshashi"),
        (220100, "changchunshi"),
        (350200, "xiamenshi"),
        (340300, "bengbushi"),
        (341500, "luanshi"),
        (331100, "lishuishi"),
        (511100, "leshanshi"),
        (440113, "panyuqu"),
        (140428, "zhangzixian"),
        (130225, "laotingxian"),
        (330382, "yueqingshi"),
        (110000, "beijingshi"),
    ],
)
def test_pinyin_of_polyphonic_place_names(code: int, spelling: str) -> None:
    current_row = current().filter(pl.col("code") == code)
    assert current_row["pinyin"].item() == spelling


def test_pinyin_is_lowercase_ascii_letters() -> None:
    assert divisions()["pinyin"].str.contains(r"^[a-z]+$").all()


# --- the dense index ------------------------------------------------------------------


def test_code_index_maps_known_codes_to_themselves() -> None:
    lut, codes = code_index()
    assert lut.shape == (CODE_SPACE,)
    assert lut.dtype == codes.dtype == np.int32
    assert codes[0] == 0
    assert (np.diff(codes) > 0).all()
    assert (codes[lut[codes]] == codes).all()


def test_code_index_falls_back_to_the_nearest_ancestor() -> None:
    lut, codes = code_index()
    assert codes[lut[440399]] == 440300  # unknown county of 深圳 → 深圳
    assert codes[lut[110100]] == 110000  # 市辖区 of 北京 → the municipality
    assert codes[lut[449999]] == 440000  # unknown prefecture → province
    assert lut[990101] == 0  # bogus → national/unknown
    assert lut[0] == 0


def test_code_index_is_read_only() -> None:
    lut, codes = code_index()
    with pytest.raises(ValueError, match="read-only"):
        lut[0] = 1
    with pytest.raises(ValueError, match="read-only"):
        codes[0] = 1


# --- city sizes -----------------------------------------------------------------------


def cs14_class(population: int) -> str:
    return next(c for c, floor in CS14_LOWER_BOUNDS.items() if population >= floor)


def test_size_class_agrees_with_cs14_wherever_a_population_is_given() -> None:
    given = urban_population().drop_nulls("urban_population")
    assert given.height == 22
    for population, size_class in given.select("urban_population", "size_class").iter_rows():
        assert size_class == cs14_class(population)


def test_size_class_is_always_filled_and_class_only_rows_have_no_figure() -> None:
    cities = urban_population()
    assert cities["size_class"].null_count() == 0
    class_only = cities.filter(pl.col("basis") == "class_only")
    assert class_only["urban_population"].null_count() == class_only.height == 14


def test_census_lists_match_the_reference_counts() -> None:
    counts = dict(urban_population().group_by("size_class").len().iter_rows())
    assert counts == {"super_large": 7, "mega": 14, "large_1": 14, "medium": 1}


def test_census_codes_are_current_cities() -> None:
    cities = urban_population()
    assert cities["code"].is_unique().all()
    for code, city in cities.select("code", "name").iter_rows():
        assert exists(code, 2020)
        assert name(code) == city
        assert level(code) == "prefecture" or code in (110000, 120000, 310000, 500000)


def test_confidence_follows_the_reference_marks() -> None:
    cities = urban_population().select("code", "confidence", "size_class_confidence")
    marks = {code: (figure, size) for code, figure, size in cities.iter_rows()}
    assert marks[110000] == marks[420100] == marks[450100] == ("verified", "verified")
    assert marks[441900] == ("provisional", "verified")  # ≈956万 UNVERIFIED, list [C]
    assert marks[540100] == ("provisional", "provisional")  # from memory


def test_lhasa_is_an_upper_bound_classed_at_its_worst_case() -> None:
    lhasa = urban_population().filter(pl.col("code") == 540100).row(0, named=True)
    assert lhasa["basis"] == "total_resident_upper_bound"
    assert lhasa["urban_population"] < 1_000_000
    assert lhasa["size_class"] == "medium"


def test_size_class_of_a_city_and_its_districts() -> None:
    assert size_class_of(110000) == size_class_of(110105) == "super_large"
    assert size_class_of(440305) == "super_large"  # 南山区 of 深圳
    assert size_class_of(420100) == "mega"
    assert size_class_of(320505) == "large_1"  # 虎丘区 of 苏州


def test_size_class_of_counties_and_unlisted_cities_is_unknown() -> None:
    assert size_class_of(320582) is None  # 张家港市, a county-level city under 苏州
    assert size_class_of(500229) is None  # 城口县, a county of 重庆
    assert size_class_of(130200) is None  # 唐山市, not in the reference lists
    assert size_class_of(990101) is None


def test_levels_are_ordered_from_the_top() -> None:
    assert LEVELS == ("province", "prefecture", "county")
