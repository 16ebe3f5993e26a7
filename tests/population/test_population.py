"""liudong.population: deterministic synthetic populations the rules engine reads."""

from __future__ import annotations

import datetime as dt
import doctest
import json
import math
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest
from stdnum.cn import ric

import liudong.population
from liudong.population import (
    DEFAULT_CITIES,
    HOUSEHOLD_SCHEMA,
    PERSON_SCHEMA,
    generate,
    read,
    read_manifest,
    validate,
)
from liudong.population import calibration as cal
from liudong.regions import exists
from liudong.rules import Simulation, default_system
from liudong.rules.partition import partition_tasks, run_partitioned

if TYPE_CHECKING:
    from pathlib import Path

AS_OF = dt.date(2025, 6, 1)
PERSONS = 12_000
PARTITION = 5_000  # three parts: 4,000 persons each


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("population") / "pop"
    generate(PERSONS, seed=11, out=out, partition_persons=PARTITION)
    return out


@pytest.fixture(scope="module")
def frames(dataset: Path) -> dict[str, pl.DataFrame]:
    return read(dataset)


def small(out: Path, seed: int) -> Path:
    generate(3_000, seed=seed, out=out, partition_persons=1_500)
    return out


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# --- the API ---------------------------------------------------------------------------


def test_public_api_is_locked() -> None:
    assert set(liudong.population.__all__) == {
        "DEFAULT_CITIES", "GENERATOR_VERSION", "HOUSEHOLD_SCHEMA", "PERSON_SCHEMA",
        "Comparison", "Manifest", "PartInfo", "generate", "read", "read_manifest", "validate",
    }  # fmt: skip


def test_docstring_example_runs() -> None:
    result = doctest.testmod(liudong.population)
    assert result.failed == 0
    assert result.attempted > 0


def test_default_cities_include_the_required_eight() -> None:
    required = {110000, 310000, 510100, 450100, 540100, 440100, 420100}
    assert required < set(DEFAULT_CITIES)
    assert len(DEFAULT_CITIES) == 8


# --- determinism -----------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first, second = small(tmp_path / "a", 5), small(tmp_path / "b", 5)
    assert files(first) == files(second)
    assert read(first)["person"].equals(read(second)["person"])


def test_other_seed_gives_another_population(tmp_path: Path) -> None:
    one, other = read(small(tmp_path / "a", 5)), read(small(tmp_path / "b", 6))
    assert not one["person"]["id_number"].equals(other["person"]["id_number"])
    assert not one["household"].equals(other["household"])


def test_manifest_records_the_run_without_a_clock(dataset: Path) -> None:
    manifest = read_manifest(dataset)
    assert (manifest.persons, manifest.seed, manifest.partitions) == (PERSONS, 11, 3)
    assert manifest.as_of == AS_OF
    assert [c for c, _ in manifest.cities] == list(DEFAULT_CITIES)
    assert sum(p.persons for p in manifest.parts) == PERSONS
    assert "generate(persons=12000, seed=11" in manifest.command
    keys = set(json.loads((dataset / "manifest.json").read_text(encoding="utf-8")))
    assert not keys & {"created", "created_at", "timestamp", "time"}


def test_progress_reports_every_person(tmp_path: Path) -> None:
    seen: list[int] = []
    generate(2_500, seed=1, out=tmp_path / "p", partition_persons=1_000, progress=seen.append)
    assert seen == [834, 833, 833]


@pytest.mark.parametrize("persons", [1, 2, 7, 60])
def test_tiny_populations_have_an_adult_in_every_household(tmp_path: Path, persons: int) -> None:
    for seed in range(6):
        out = tmp_path / f"{persons}-{seed}"
        generate(persons, seed=seed, out=out)
        person = read(out)["person"]
        assert person.height == persons
        oldest = person.group_by("household_id").agg(pl.col("birth_date").min())
        assert (oldest["birth_date"] <= dt.date(2007, 6, 1)).all()


def test_generate_refuses_a_folder_holding_a_dataset(tmp_path: Path) -> None:
    out = small(tmp_path / "a", 5)
    with pytest.raises(FileExistsError, match="already holds Parquet parts"):
        generate(1_000, seed=5, out=out)


def test_unknown_or_unweighted_cities_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no current county-level divisions"):
        generate(100, seed=1, out=tmp_path / "x", cities=(110000, 999900))
    with pytest.raises(ValueError, match="no population weight"):
        generate(100, seed=1, out=tmp_path / "y", cities=(320100,))


# --- layout and columns ----------------------------------------------------------------


def test_columns_have_the_engine_dtypes(frames: dict[str, pl.DataFrame]) -> None:
    assert frames["household"].schema == HOUSEHOLD_SCHEMA
    assert frames["person"].schema == PERSON_SCHEMA
    person = frames["person"].schema
    assert person["sex"] == pl.Enum(["M", "F"])
    assert person["retirement_group"] == pl.Enum(["men", "women_55", "women_50"])
    assert person["education"] == pl.Enum(list(cal.EDUCATION_LEVELS))
    assert person["hukou_type"] == pl.Enum(["rural", "urban"])
    assert person["hukou_region"] == pl.Int32()
    assert person["monthly_income"] == pl.Int64()


def test_parts_have_the_same_names_and_hold_the_same_households(dataset: Path) -> None:
    names = {
        entity: sorted(p.name for p in (dataset / entity).glob("*.parquet"))
        for entity in ("person", "household")
    }
    assert names["person"] == names["household"] == [f"part-0000{i}.parquet" for i in range(3)]
    for name in names["person"]:
        person = pl.read_parquet(dataset / "person" / name)
        household = pl.read_parquet(dataset / "household" / name)
        assert person["household_id"].is_sorted()
        assert set(person["household_id"]) == set(household["household_id"])


def test_ids_are_contiguous_from_one_and_unique(frames: dict[str, pl.DataFrame]) -> None:
    households, persons = frames["household"]["household_id"], frames["person"]["person_id"]
    assert households.to_list() == list(range(1, households.len() + 1))
    assert persons.to_list() == list(range(1, PERSONS + 1))
    assert frames["person"]["id_number"].is_unique().all()


def test_members_live_where_their_household_does(frames: dict[str, pl.DataFrame]) -> None:
    joined = frames["person"].join(frames["household"], on="household_id")
    assert (joined["residence_region"] == joined["household_region"]).all()
    sizes = frames["person"].group_by("household_id").len()["len"]
    assert sizes.min() == 1
    assert sizes.max() == 5


def test_most_members_share_the_heads_hukou(frames: dict[str, pl.DataFrame]) -> None:
    person = frames["person"]
    head = person.group_by("household_id").agg(pl.col("hukou_region").first().alias("head"))
    shared = person.join(head, on="household_id").select(
        (pl.col("hukou_region") == pl.col("head")).mean()
    )
    assert shared.item() > 0.85


def test_every_household_has_an_adult(frames: dict[str, pl.DataFrame]) -> None:
    oldest = frames["person"].group_by("household_id").agg(pl.col("birth_date").min())
    assert (oldest["birth_date"] <= dt.date(2007, 6, 1)).all()


# --- resident ID numbers ---------------------------------------------------------------


def test_id_numbers_are_valid_per_stdnum(frames: dict[str, pl.DataFrame]) -> None:
    unknown_to_stdnum = []
    for number in frames["person"]["id_number"]:  # the oracle checks one number at a time
        try:
            assert ric.is_valid(number), number
        except KeyError:  # stdnum 2.2 raises on codes missing from its table (330113, ...)
            unknown_to_stdnum.append(number)
    for number in unknown_to_stdnum:
        assert exists(int(number[:6]), int(number[6:10])), number
        assert number[-1] == ric.calc_check_digit(number)


def test_id_numbers_agree_with_birth_date_and_sex(frames: dict[str, pl.DataFrame]) -> None:
    person = frames["person"]
    birth = person["id_number"].str.slice(6, 8).str.to_date("%Y%m%d")
    odd = person["id_number"].str.slice(16, 1).cast(pl.Int32) % 2 == 1
    assert (birth == person["birth_date"]).all()
    assert (odd == (person["sex"] == "M")).all()


def usable(code: int, number: str) -> bool:
    """Whether ``number`` with ``code`` as its address would pass both tables."""
    body = f"{code}{number[6:17]}"
    try:
        accepted = ric.is_valid(body + ric.calc_check_digit(body + "0"))
    except KeyError:  # not in stdnum's table: ours decides
        accepted = True
    return accepted and exists(code, int(number[6:10]))


def test_id_address_is_the_hukou_county_or_its_code_at_birth(
    frames: dict[str, pl.DataFrame],
) -> None:
    person = frames["person"].select(
        "id_number",
        area=pl.col("id_number").str.slice(0, 6).cast(pl.Int32),
        year=pl.col("birth_date").dt.year(),
        hukou="hukou_region",
    )
    recent = person.filter(pl.col("year") >= 2010)  # most counties' codes date from the 1980s
    assert recent.select((pl.col("area") == pl.col("hukou")).mean()).item() > 0.85
    earlier = {500000: 510000, 460000: 440000}  # provinces made from others (1997, 1988)
    for number, area, _, hukou in person.filter(pl.col("area") != pl.col("hukou")).iter_rows():
        assert not usable(hukou, number), (number, hukou)
        province = hukou // 10_000 * 10_000
        assert area // 10_000 * 10_000 in {province, earlier.get(province)}, (number, hukou)


# --- distributions ---------------------------------------------------------------------


def test_si_months_within_residence_and_zero_without_a_job(
    frames: dict[str, pl.DataFrame],
) -> None:
    person = frames["person"]
    assert (person["si_months"] <= person["months_resident"]).all()
    assert (person.filter(~pl.col("has_stable_job"))["si_months"] == 0).all()
    assert (person["months_resident"] >= 0).all()
    months = (AS_OF.year - person["birth_date"].dt.year().cast(pl.Int32)) * 12 + 12
    assert (person["months_resident"] <= months).all()


def test_children_and_students_earn_nothing(frames: dict[str, pl.DataFrame]) -> None:
    person = frames["person"]
    children = person.filter(pl.col("birth_date") > dt.date(2008, 6, 1))
    assert (children["monthly_income"] == 0).all()
    assert not children["has_stable_job"].any()
    assert (person.filter("is_studying")["monthly_income"] == 0).all()


def test_names_are_chinese_with_one_or_two_character_given_names(
    frames: dict[str, pl.DataFrame],
) -> None:
    names = frames["person"]["name"]
    assert names.str.len_chars().is_between(2, 4).all()
    assert names.str.contains(r"^[\p{Han}]+$").all()
    assert names.n_unique() > PERSONS // 4


def test_retirement_groups_follow_sex(frames: dict[str, pl.DataFrame]) -> None:
    person = frames["person"]
    men = person["sex"] == "M"
    assert ((person["retirement_group"] == "men") == men).all()
    cadres = (person.filter(~men)["retirement_group"] == "women_55").mean()
    assert cadres == pytest.approx(cal.number("retirement.women_55") / 100, abs=0.05)


def test_asset_test_passes_about_nine_in_ten(frames: dict[str, pl.DataFrame]) -> None:
    assert frames["household"]["passes_asset_test"].mean() == pytest.approx(0.9, abs=0.05)


def test_shares_are_near_the_calibration(frames: dict[str, pl.DataFrame]) -> None:
    report = validate(frames, as_of=AS_OF)
    sizes = frames["person"].group_by(pl.col("residence_region") // 10_000).len()
    assert sizes.height > 5
    for key, check in report.items():
        if check["role"] != "calibration" or key.endswith(("[540100]", "[360200]")):
            continue  # the two small cities hold ~100-200 persons here: noise, not bias
        bound = 6.0 if key.startswith("sex_ratio") else 4.0
        assert abs(check["distance"]) < bound, (key, check)


def test_validation_reports_figures_held_out_of_the_calibration(dataset: Path) -> None:
    report = validate(dataset)
    for key in ("urban_share[all]", "separated_share[all]", "age_65_plus[all]"):
        assert report[key]["role"] == "validation"
        assert math.isfinite(report[key]["distance"])
    assert report["separated_share[all]"]["target"] == pytest.approx(34.90, abs=0.01)
    assert report["education_college[110000]"]["target"] == pytest.approx(41.98)


def test_calibration_table_marks_every_figure() -> None:
    for key, figure in cal.TABLE.items():
        assert figure.basis in {"source", "assumption"}, key
        assert figure.ref, key
        if figure.basis == "source":
            assert figure.ref.startswith("census.md"), key
    for city in (0, *DEFAULT_CITIES):
        assert sum(cal.age_bands(city)) == pytest.approx(100, abs=0.05)
        assert sum(cal.education_shares(city)) == pytest.approx(100, abs=1e-9)


# --- the engine reads it ---------------------------------------------------------------


def test_the_engine_runs_on_the_dataset(dataset: Path) -> None:
    sim = Simulation.from_parquet(default_system(), AS_OF, dataset)
    payment = sim.calculate("dibao_payment")
    policy = sim.calculate("settlement_policy")
    age = sim.calculate("statutory_retirement_age_months")
    assert len(payment) == read_manifest(dataset).households
    assert (payment >= 0).all()
    assert len(policy) == len(age) == PERSONS
    assert set(np.unique(age)) <= set(range(50 * 12, 63 * 12 + 1))


def test_partitioned_run_matches_the_whole(dataset: Path) -> None:
    tasks = partition_tasks(dataset, AS_OF, ["dibao_payment", "hukou_elsewhere"])
    assert len(tasks) == 3
    parts = run_partitioned(tasks)
    whole = Simulation.from_parquet(default_system(), AS_OF, dataset)
    assert np.array_equal(
        parts["household"]["dibao_payment"].to_numpy(), whole.calculate("dibao_payment")
    )
    assert np.array_equal(
        parts["person"]["hukou_elsewhere"].to_numpy(), whole.calculate("hukou_elsewhere")
    )
