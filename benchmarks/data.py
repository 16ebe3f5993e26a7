"""Benchmark datasets: a population in the layout of ``liudong population generate``.

``DIR/person/part-*.parquet`` and ``DIR/household/part-*.parquet`` hold the same households
part by part (person: person_id Int64, household_id Int64, birth_date Date, education Enum,
residence_region Int32, months_resident Int32, si_months Int32, monthly_income Int64 fen;
household: household_id Int64, household_region Int32), plus ``manifest.json``.

:func:`ensure_dataset` uses liudong's own generator when the installed liudong has one and it
writes these columns (with the benchmark's education labels); otherwise :func:`generate`, a
small vectorised generator of the same columns (synthetic and uncalibrated: it only has to
exercise every rule).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import subprocess
import sys
from importlib import util
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.ruleset import EDUCATION
from liudong import regions

__all__ = [
    "AS_OF",
    "PERSON_SCHEMA",
    "ensure_dataset",
    "generate",
    "read_dataset",
    "schema_problem",
]

#: The evaluation date of every benchmark run.
AS_OF = dt.date(2025, 6, 1)

EDUCATION_DTYPE = pl.Enum(list(EDUCATION.categories))
PERSON_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "person_id": pl.Int64,
    "household_id": pl.Int64,
    "birth_date": pl.Date,
    "education": EDUCATION_DTYPE,
    "residence_region": pl.Int32,
    "months_resident": pl.Int32,
    "si_months": pl.Int32,
    "monthly_income": pl.Int64,
}
HOUSEHOLD_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "household_id": pl.Int64,
    "household_region": pl.Int32,
}

HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
HOUSEHOLD_SIZE_SHARES = (0.20, 0.30, 0.25, 0.15, 0.07, 0.03)
EDUCATION_SHARES = (0.03, 0.20, 0.33, 0.16, 0.12, 0.12, 0.03, 0.01)
BIG_CITY_WEIGHT = 20.0  # a county of a census-listed big city draws 20 times as many people
MOVERS = 0.1  # share of persons living in another county than their household


def ensure_dataset(persons: int, root: Path, seed: int = 1) -> Path:
    """The dataset of ``persons`` persons under ``root`` (generated once, then reused).

    liudong's own generator (``liudong population generate``) is preferred when it is
    installed and writes the columns the benchmark reads; otherwise :func:`generate`.
    """
    folder = root / f"persons-{persons}-seed-{seed}"
    if (folder / "manifest.json").exists() and schema_problem(folder) is None:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    if util.find_spec("liudong.population") is not None:
        command = [
            sys.executable,
            "-c",
            "from liudong.cli import main; main()",
            "population",
            "generate",
            "--persons",
            str(persons),
            "--seed",
            str(seed),
            "--out",
            str(folder),
        ]
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        failed = (done.stderr.strip().splitlines() or ["failed"])[-1]
        problem = schema_problem(folder) if done.returncode == 0 else failed
        if problem is None:
            return folder
        print(
            f"note: not using liudong's generator ({problem}); using benchmarks.data",
            file=sys.stderr,
        )
        shutil.rmtree(folder, ignore_errors=True)
    return generate(persons, seed, folder)


def schema_problem(folder: Path) -> str | None:
    """What keeps a dataset folder from being a benchmark input, or None."""
    for entity, schema in (("person", PERSON_SCHEMA), ("household", HOUSEHOLD_SCHEMA)):
        parts = sorted((folder / entity).glob("*.parquet"))
        if not parts:
            return f"{folder}/{entity} has no Parquet parts"
        got = pl.read_parquet_schema(parts[0])
        for column, dtype in schema.items():
            if got.get(column) != dtype:
                return f"{entity} column {column!r} is {got.get(column)}, expected {dtype}"
    return None


def read_dataset(folder: Path) -> dict[str, pl.DataFrame]:
    """Every entity's frame (the parts concatenated in order)."""
    return {
        entity: pl.read_parquet(sorted((folder / entity).glob("*.parquet")))
        for entity in ("person", "household")
    }


# ---------------------------------------------------------------- the fallback generator


def generate(persons: int, seed: int, out: Path, *, part_persons: int = 1_000_000) -> Path:
    """Write a population of ``persons`` persons to ``out`` (same seed, same files)."""
    rng = np.random.default_rng(seed)
    sizes = _household_sizes(rng, persons)
    counties, weights = _county_weights()
    household_region = rng.choice(counties, size=sizes.size, p=weights).astype(np.int32)
    household_of = np.repeat(np.arange(sizes.size), sizes)
    moved = rng.random(persons) < MOVERS
    elsewhere = rng.choice(counties, size=persons, p=weights).astype(np.int32)
    person = _persons(
        rng, persons, household_of, np.where(moved, elsewhere, household_region[household_of])
    )
    household = pl.DataFrame(
        {
            "household_id": np.arange(1, sizes.size + 1, dtype=np.int64),
            "household_region": household_region,
        }
    )
    _write_parts(out, person, household, np.cumsum(sizes), part_persons)
    manifest = {
        "persons": persons,
        "households": int(sizes.size),
        "seed": seed,
        "generator": "benchmarks.data",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return out


def _household_sizes(rng: np.random.Generator, persons: int) -> np.ndarray:
    sizes = rng.choice(HOUSEHOLD_SIZES, size=persons, p=HOUSEHOLD_SIZE_SHARES)
    total = np.cumsum(sizes)
    count = int(np.searchsorted(total, persons)) + 1
    sizes = sizes[:count].copy()
    sizes[-1] -= int(total[count - 1]) - persons
    return sizes


def _county_weights() -> tuple[np.ndarray, np.ndarray]:
    """Current county codes, weighted towards the census-listed big cities."""
    table = regions.divisions()
    current = table.filter(pl.col("valid_to").is_null() & (pl.col("level") == "county"))
    codes = current.get_column("code").to_numpy()
    big = np.array([int(c) for c in _census_cities()])
    province = codes // 10000 * 10000
    city = np.where(np.isin(province // 10000, (11, 12, 31, 50)), province, codes // 100 * 100)
    weights = np.where(np.isin(city, big), BIG_CITY_WEIGHT, 1.0)
    return codes, weights / weights.sum()


def _census_cities() -> list[int]:
    text = (Path(regions.__file__).parent / "census2020.csv").read_text("utf-8")
    return [int(line.split(",", 1)[0]) for line in text.splitlines()[1:] if line]


def _persons(
    rng: np.random.Generator, n: int, household_of: np.ndarray, residence: np.ndarray
) -> pl.DataFrame:
    age_days = rng.integers(0, 85 * 365, size=n)
    birth = np.datetime64(AS_OF, "D") - age_days.astype("timedelta64[D]")
    adult = age_days >= 18 * 365
    working_months = np.clip((age_days // 365 - 16) * 12, 0, 480)
    si_months = (rng.random(n) * working_months).astype(np.int32)
    income_yuan = rng.lognormal(np.log(4000.0), 0.9, size=n)
    earns = adult & (rng.random(n) >= 0.2)
    income = np.where(earns, np.round(income_yuan * 100), 0).astype(np.int64)
    education = rng.choice(len(EDUCATION.categories), size=n, p=EDUCATION_SHARES)
    labels = pl.Series("education", EDUCATION.categories, dtype=EDUCATION_DTYPE)
    return pl.DataFrame(
        {
            "person_id": np.arange(1, n + 1, dtype=np.int64),
            "household_id": household_of.astype(np.int64) + 1,
            "birth_date": pl.Series(birth, dtype=pl.Date),
            "education": labels.gather(education),
            "residence_region": residence.astype(np.int32),
            "months_resident": rng.integers(0, 301, size=n).astype(np.int32),
            "si_months": si_months,
            "monthly_income": income,
        }
    )


def _write_parts(
    out: Path,
    person: pl.DataFrame,
    household: pl.DataFrame,
    persons_before: np.ndarray,
    part_persons: int,
) -> None:
    """Household-aligned parts of about ``part_persons`` persons each."""
    for entity in ("person", "household"):
        (out / entity).mkdir(parents=True, exist_ok=True)
    bounds = _part_bounds(persons_before, part_persons)
    for i, (h0, h1) in enumerate(bounds):
        p0 = int(persons_before[h0 - 1]) if h0 else 0
        p1 = int(persons_before[h1 - 1])
        name = f"part-{i:05d}.parquet"
        person.slice(p0, p1 - p0).write_parquet(out / "person" / name)
        household.slice(h0, h1 - h0).write_parquet(out / "household" / name)


def _part_bounds(persons_before: np.ndarray, part_persons: int) -> list[tuple[int, int]]:
    total = int(persons_before[-1])
    cuts = np.searchsorted(persons_before, np.arange(part_persons, total, part_persons)) + 1
    edges: list[int] = sorted({0, *cuts.tolist(), int(persons_before.size)})
    return list(itertools.pairwise(edges))
