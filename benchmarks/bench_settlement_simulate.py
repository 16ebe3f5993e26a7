"""Policy-analysis benchmark: the Beijing points scheme over 5M persons, under a reform.

    uv run python -m benchmarks.bench_settlement_simulate                  # 5M persons
    uv run python -m benchmarks.bench_settlement_simulate --persons 1000000

Issue 5 target: the simulation of 5M persons under a reform in under 5 s (2-core machine).

The dataset (``liudong population generate --applicants``, seed 1) is generated once into
``data/bench/applicants-N-seed-1/`` and reused. Each engine then runs in its own process (so
that its peak memory is its own) on the same files, three times interleaved; the medians are
printed. Both do the same work, from Parquet on disk to the figures:

* **liudong**: ``analysis.load`` (the candidates: Beijing residents, adults, hukou elsewhere;
  the scheme's fields from the population's columns), ``analysis.simulate`` with the reform
  ``beijing-si-residence-weight.json`` (``schemes.assess_table`` under the law and under the
  reform, ``ranking.cut`` at the scaled quota for each) and ``analysis.summary`` (quantiles,
  histograms, failing preconditions, items, entrants and leavers by age band, education and
  hukou province);
* **polars** (the peer): the same candidates and the BJ20 score written by hand as one Polars
  expression in integer centi-points (parameter values inlined, the reform as a second
  expression), eligibility likewise, the same ``ranking.cut`` and a Polars ``group_by`` for the
  entrants and leavers. It is what an analyst could write for one scheme and one date without
  the rules engine: no explanations, no citations, no dated parameters.

The scores, eligibility and admitted sets of both engines must be equal, under the law and
under the reform, before anything is printed. The run ends with one line::

    settlement_simulate persons=N liudong_s=A polars_s=B ratio=A/B liudong_mb=C polars_mb=D
        target_met=yes|no
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ON = dt.date(2024, 6, 1)
QUOTA = 6000
REFORM = Path(__file__).resolve().parent.parent / (
    "src/liudong/settlement/reforms/beijing-si-residence-weight.json"
)
DATA = Path("data/bench")


def dataset(persons: int) -> Path:
    """The benchmark population, generated once."""
    from liudong import population

    out = DATA / f"applicants-{persons}-seed-1"
    if not (out / "manifest.json").is_file():
        start = time.perf_counter()
        population.generate(persons, 1, out, applicants=True)
        print(f"generated {out} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return out


# ---------------------------------------------------------------- engines


def run_liudong(data: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    from liudong.rules import Reform
    from liudong.settlement import analysis

    reform = Reform.from_json(REFORM)
    start = time.perf_counter()
    people = analysis.load(data, "beijing", ON)
    loaded = time.perf_counter()
    run = analysis.simulate(people, QUOTA, reform)
    figures = analysis.summary(run)
    done = time.perf_counter()
    assert run.reform is not None
    arrays = {
        "eligible": run.baseline.eligible,
        "score": run.baseline.score_centi,
        "admitted": run.baseline.cut.admitted,
        "reform_score": run.reform.score_centi,
        "reform_admitted": run.reform.cut.admitted,
    }
    report = {
        "load_s": loaded - start,
        "compute_s": done - loaded,
        "total_s": done - start,
        "candidates": people.table.height,
        "entrants": figures["movers"]["entrants"],
        "leavers": figures["movers"]["leavers"],
        "cutoff": figures["baseline"]["cutoff"],
        "reform_cutoff": figures["reform"]["cutoff"],
    }
    return report, arrays


def _years(col: str) -> pl.Expr:
    return pl.col(col) // 12


def _bj20_score(si_per_year: int, own_per_year: int, rent_per_year: int) -> pl.Expr:
    """The BJ20 score in centi-points, law values inlined (policy.md §2a)."""
    si_years = _years("si")
    own = pl.min_horizontal(_years("own"), si_years)
    rent = pl.min_horizontal(_years("rent"), (si_years - own).clip(0))
    level = pl.col("education").cast(pl.String)
    matched = {"junior_college": 1050, "bachelor": 1500, "master": 2600, "doctor": 3700}
    single = {"junior_college": 1050, "bachelor": 1050, "master": 1500, "doctor": 2600}
    education = (
        pl.when(pl.col("matched"))
        .then(level.replace_strict(matched, default=0, return_dtype=pl.Int64))
        .otherwise(level.replace_strict(single, default=0, return_dtype=pl.Int64))
    )
    overlap = pl.when(education > 0).then(-((pl.col("overlap") * 350 * 2 + 12) // 24)).otherwise(0)
    district = pl.min_horizontal(
        pl.min_horizontal(pl.col("moved_home") * 200, 1200)
        + pl.min_horizontal(pl.col("moved_both") * 300, 1200),
        1200,
    )
    award = {1: 1200, 2: 1100, 3: 1000, 4: 900, 5: 800, 6: 600, 7: 500, 8: 400, 9: 200}
    innovation = pl.min_horizontal(
        pl.col("tier").replace_strict(award, default=0, return_dtype=pl.Int64), 1200
    )
    tax = pl.col("tax_years").clip(0, 3) * 200 - pl.col("tax_violations") * 1200
    birth = pl.col("birth_date")
    ref = dt.date(ON.year - 1, 1, 1)
    whole = (
        ref.year
        - birth.dt.year()
        - (
            (birth.dt.month() > ref.month)
            | ((birth.dt.month() == ref.month) & (birth.dt.day() > 1))
        ).cast(pl.Int64)
    )
    exact = (birth.dt.offset_by(pl.format("{}y", whole)) == pl.lit(ref)).cast(pl.Int64)
    over = whole * 2 + (1 - exact)  # 2 x age, odd when strictly between two birthdays
    age = (
        pl.when(over <= 90).then(2000)
        .when(over <= 92).then(1600)
        .when(over <= 94).then(1200)
        .when(over <= 96).then(800)
        .when(over <= 98).then(400)
        .otherwise(0)
    )  # fmt: skip
    honours = pl.col("honour").cast(pl.Int64) * 2000
    law = -pl.col("detentions") * 3000
    job = si_years * si_per_year
    residence = own * own_per_year + rent * rent_per_year
    return job + residence + education + overlap + district + innovation + tax + age + honours + law


def run_polars(data: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    from liudong.population import calibration as cal
    from liudong.settlement.ranking import cut

    start = time.perf_counter()
    lazy = pl.scan_parquet(sorted((data / "person").glob("*.parquet")))
    bj = (pl.col("residence_region") // 10_000) == 11
    counts = lazy.select(bj.sum()).collect()
    residents = int(counts.item())
    birth = pl.col("birth_date")
    adult = birth.dt.offset_by("18y") <= pl.lit(ON)
    kind = pl.col("residence_kind").cast(pl.String)
    table = (
        lazy.filter(bj & ((pl.col("hukou_region") // 10_000) != 11) & adult)
        .select(
            "birth_date",
            "education",
            "applies",
            si=pl.col("si_months").clip(0, 720),
            own=pl.when(kind == "own").then(pl.col("residence_months")).otherwise(0).clip(0, 720),
            rent=pl.when(kind.is_in(["rented", "dorm"]))
            .then(pl.col("residence_months"))
            .otherwise(0)
            .clip(0, 720),
            matched=pl.col("has_diploma") & pl.col("has_degree")
            | (pl.col("education").cast(pl.String) == "junior_college")
            | ~(pl.col("has_diploma") | pl.col("has_degree")),
            overlap=pl.col("study_overlap_months").clip(0, 720).cast(pl.Int64),
            moved_home=pl.when(pl.col("core_moved_with_job"))
            .then(0)
            .otherwise(pl.col("core_moved_years"))
            .cast(pl.Int64),
            moved_both=pl.when(pl.col("core_moved_with_job"))
            .then(pl.col("core_moved_years"))
            .otherwise(0)
            .cast(pl.Int64),
            tier=pl.col("innovation_award_tier").cast(pl.Int64),
            tax_years=pl.col("tax_years").cast(pl.Int64),
            tax_violations=pl.col("tax_violations").cast(pl.Int64),
            honour=pl.col("honours"),
            detentions=pl.col("detention_records").cast(pl.Int64),
            eligible=pl.col("has_residence_permit")
            & (pl.col("si_months") >= 84)
            & ~pl.col("criminal_record")
            & (
                birth.dt.offset_by(
                    pl.col("retirement_group")
                    .cast(pl.String)
                    .replace_strict({"men": "60y", "women_55": "55y", "women_50": "50y"})
                )
                > pl.lit(ON)
            ),
            age_band=pl.lit(""),
            province=pl.col("hukou_region") // 10_000 * 10_000,
        )
        .with_columns(
            score=_bj20_score(300, 100, 50),
            reform_score=_bj20_score(400, 150, 100),
        )
        .collect()
    )
    loaded = time.perf_counter()
    weight = cal.number("city.population.110000") * 1_000_000 / residents
    places = max(1, round(QUOTA / weight))
    eligible = table["eligible"].to_numpy()
    applicant = eligible & table["applies"].to_numpy()
    base = cut(table["score"].to_numpy(), applicant, places)
    reform = cut(table["reform_score"].to_numpy(), applicant, places)
    moved = table.select("education", "province").with_columns(
        entrant=pl.Series(reform.admitted & ~base.admitted),
        leaver=pl.Series(base.admitted & ~reform.admitted),
    )
    for column in ("education", "province"):
        moved.group_by(column).agg(pl.col("entrant", "leaver").sum())
    scores = table["score"].to_numpy()[applicant]
    np.quantile(scores, [0.1, 0.5, 0.9, 0.99], method="lower")
    done = time.perf_counter()
    arrays = {
        "eligible": eligible,
        "score": table["score"].to_numpy(),
        "admitted": base.admitted,
        "reform_score": table["reform_score"].to_numpy(),
        "reform_admitted": reform.admitted,
    }
    report = {
        "load_s": loaded - start,
        "compute_s": done - loaded,
        "total_s": done - start,
        "candidates": table.height,
        "cutoff": None if base.cutoff_centi is None else base.cutoff_centi / 100,
        "reform_cutoff": None if reform.cutoff_centi is None else reform.cutoff_centi / 100,
    }
    return report, arrays


ENGINES = {"liudong": run_liudong, "polars": run_polars}


def peak_mb() -> float:
    """This process's peak resident memory. Linux: ``VmHWM``, which starts afresh at exec
    (``ru_maxrss`` keeps the forking parent's peak, here the dataset generator's)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def engine_main(engine: str, data: Path, out: Path) -> None:
    report, arrays = ENGINES[engine](data)
    report["peak_mb"] = peak_mb()
    np.savez(
        out,
        eligible=arrays["eligible"],
        score=arrays["score"],
        admitted=arrays["admitted"],
        reform_score=arrays["reform_score"],
        reform_admitted=arrays["reform_admitted"],
    )
    print(json.dumps(report))


# ---------------------------------------------------------------- driver


def _spawn(engine: str, data: Path, out: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_settlement_simulate", "--engine", engine]
    command += ["--data", str(data), "--out", str(out)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)  # our own module
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _agree(a: Path, b: Path) -> None:
    left, right = np.load(a), np.load(b)
    for key in left.files:
        if not np.array_equal(left[key], right[key]):
            differ = int(np.count_nonzero(left[key] != right[key]))
            raise SystemExit(f"engines disagree on {key}: {differ} rows differ")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engine", choices=sorted(ENGINES))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.engine:
        engine_main(args.engine, args.data, args.out)
        return
    data = dataset(args.persons)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in ENGINES}
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.repeat):  # interleaved
            for name in ENGINES:
                runs[name].append(_spawn(name, data, Path(folder) / f"{name}-{i}.npz"))
            _agree(Path(folder) / f"liudong-{i}.npz", Path(folder) / f"polars-{i}.npz")
    print("both engines agree on eligibility, scores and admitted sets (law and reform)")
    print(f"{'engine':8} {'persons':>10} {'candidates':>10} {'load s':>7} {'compute s':>9} "
          f"{'total s':>7} {'peak MB':>8} {'cut-off':>8} {'reform':>7}")  # fmt: skip
    medians = {}
    for name, reports in runs.items():
        med = {
            k: statistics.median(r[k] for r in reports)
            for k in ("load_s", "compute_s", "total_s", "peak_mb")
        }
        medians[name] = med
        last = reports[-1]
        print(
            f"{name:8} {args.persons:>10,} {last['candidates']:>10,} {med['load_s']:>7.3f} "
            f"{med['compute_s']:>9.3f} {med['total_s']:>7.3f} {med['peak_mb']:>8.0f} "
            f"{last['cutoff']!s:>8} {last['reform_cutoff']!s:>7}"
        )
    lq, pq = medians["liudong"], medians["polars"]
    print(
        f"settlement_simulate persons={args.persons} liudong_s={lq['total_s']:.3f} "
        f"polars_s={pq['total_s']:.3f} ratio={lq['total_s'] / pq['total_s']:.2f} "
        f"liudong_mb={lq['peak_mb']:.0f} polars_mb={pq['peak_mb']:.0f} "
        f"target_met={'yes' if lq['total_s'] < 5 else 'no'}"
    )


if __name__ == "__main__":
    main()
