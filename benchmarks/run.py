"""The engine benchmark: liudong against OpenFisca (idiomatic and with lookup tables).

    make bench                                        # 100k, 1M and 5M persons
    uv run --group bench python -m benchmarks.run --sizes 100k,1M

For each size: generate the dataset once (``data/bench/``); run each engine in its own process
(``benchmarks.engines``), ``--repeat`` times, interleaved, and take the median of each figure;
check that every engine's results equal liudong's (money to one fen, widened by float32's step
above 131,072 yuan; points to 1e-9; counts and booleans exactly; the reform's results too);
print a table, and end with one line for the largest size::

    engine_vs_openfisca persons=N speedup_idiomatic=X speedup_tables=Y memory_ratio=Z
    single_p50_ms=A openfisca_single_traced_p50_ms=B

``speedup_*`` is OpenFisca's wall time (load + compute) over liudong's; ``memory_ratio`` is
liudong's peak RSS over the *smaller* of the two OpenFisca peaks; ``B`` is the *faster* of the
two OpenFisca variants' traced single decisions. Both are the less flattering comparison.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from benchmarks.data import ensure_dataset
from benchmarks.engines import ENGINES, MONEY, REFORMED

__all__ = ["compare", "main", "median_report", "parse_size"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = "100k,1M,5M"
FLOAT_TOLERANCE = 1e-9
FEN = 0.01 + 1e-6  # one fen, plus what float32 yuan add to the representation
FLOAT32_STEP = 2.0**-23  # the gap between neighbouring float32 values, relative


def parse_size(text: str) -> int:
    """``100k`` -> 100000, ``5M`` -> 5000000, ``1234`` -> 1234."""
    text = text.strip()
    scale = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    try:
        value = int(float(number) * scale)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 100k, 1M, 5000)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a size must be at least 1 person")
    return value


def run_engine(engine: str, data: Path, out: Path, reps: int) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.engines",
        "--engine",
        engine,
        "--data",
        str(data),
        "--out",
        str(out),
        "--single-reps",
        str(reps),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{engine} failed on {data}:\n{done.stderr[-4000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def compare(reference: Path, other: Path) -> list[str]:
    """Differences between two engines' result folders (empty when they agree)."""
    problems = []
    for entity in ("person", "household"):
        want = pl.read_parquet(reference / f"{entity}.parquet")
        got = pl.read_parquet(other / f"{entity}.parquet")
        if want.columns != got.columns or want.height != got.height:
            problems.append(f"{entity}: columns or rows differ: {want.shape} vs {got.shape}")
            continue
        key = want.columns[0]
        if not want.get_column(key).equals(got.get_column(key)):
            problems.append(f"{entity}: rows are not in the same order")
            continue
        money = money_tolerance(want)
        for column in want.columns[1:]:
            a, b = want.get_column(column).to_numpy(), got.get_column(column).to_numpy()
            if a.dtype.kind != "f" and b.dtype.kind != "f":
                bad = np.flatnonzero(a != b)
            else:
                is_money = column.removesuffix("__reform") in MONEY
                tolerance = money if is_money else FLOAT_TOLERANCE
                gap = np.abs(a.astype(np.float64) - b.astype(np.float64))
                bad = np.flatnonzero(gap > tolerance)
            if len(bad):
                i = int(bad[0])
                problems.append(
                    f"{entity}.{column}: {len(bad)} rows differ, e.g. {key} "
                    f"{want.get_column(key)[i]}: {a[i]} vs {b[i]}"
                )
    return problems


def money_tolerance(frame: pl.DataFrame) -> np.ndarray:
    """Per row: one fen, widened by float32's step at the row's largest amount of money.

    OpenFisca holds money as float32 yuan, whose step exceeds a fen above 131,072 yuan; a
    per-capita amount inherits the rounding of the total it divides.
    """
    columns = [c for c in frame.columns if c.removesuffix("__reform") in MONEY]
    if not columns:
        return np.full(frame.height, FEN)
    largest: np.ndarray = np.abs(frame.select(columns).to_numpy().astype(np.float64)).max(axis=1)
    return FEN + largest * FLOAT32_STEP


def median_report(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from repeated runs: the median of every number, the rest from the first."""
    report = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            report[key] = statistics.median(float(run[key]) for run in runs)
    report["runs"] = len(runs)
    return report


def _compare_single(reports: dict[str, dict[str, Any]]) -> list[str]:
    base = reports["liudong"]["single_values"]
    problems = []
    for engine, report in reports.items():
        for name, values in report["single_values"].items():
            want, got = np.array(base[name], dtype=np.float64), np.array(values, dtype=np.float64)
            if np.any(np.abs(want - got) > (FEN if name in MONEY else FLOAT_TOLERANCE)):
                problems.append(f"single case, {engine}.{name}: {values} vs liudong {base[name]}")
    return problems


# ---------------------------------------------------------------- the table


COLUMNS = (
    "engine",
    "persons",
    "load s",
    "compute s",
    "total s",
    "peak MB",
    "reform s",
    "reform/first",
    "single p50 ms",
    "liudong speedup",
    "liudong mem ratio",
)


def _rows(persons: int, reports: dict[str, dict[str, Any]]) -> list[tuple[str, ...]]:
    ours = reports["liudong"]
    rows: list[tuple[str, ...]] = []
    for engine, r in reports.items():
        first = r["total_s"]
        rows.append(
            (
                engine,
                f"{persons:,}",
                f"{r['load_s']:.3f}",
                f"{r['compute_s']:.3f}",
                f"{first:.3f}",
                f"{r['peak_rss_mb']:.0f}",
                f"{r['reform_s']:.3f}",
                f"{r['reform_s'] / first:.2f}",
                f"{r['single_p50_ms']:.3f}",
                "-" if engine == "liudong" else f"{first / ours['total_s']:.2f}x",
                "-" if engine == "liudong" else f"{ours['peak_rss_mb'] / r['peak_rss_mb']:.2f}",
            )
        )
    return rows


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]
    line = "  ".join(
        c.ljust(w) if i == 0 else c.rjust(w)
        for i, (c, w) in enumerate(zip(COLUMNS, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for row in rows:
        print(
            "  ".join(
                v.ljust(w) if i == 0 else v.rjust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def summary_line(persons: int, reports: dict[str, dict[str, Any]]) -> str:
    ours = reports["liudong"]
    idiomatic, tables = reports["openfisca-idiomatic"], reports["openfisca-tables"]
    openfisca_rss = min(idiomatic["peak_rss_mb"], tables["peak_rss_mb"])
    openfisca_single = min(idiomatic["single_p50_ms"], tables["single_p50_ms"])
    return (
        f"engine_vs_openfisca persons={persons} "
        f"speedup_idiomatic={idiomatic['total_s'] / ours['total_s']:.2f} "
        f"speedup_tables={tables['total_s'] / ours['total_s']:.2f} "
        f"memory_ratio={ours['peak_rss_mb'] / openfisca_rss:.2f} "
        f"single_p50_ms={ours['single_p50_ms']:.3f} "
        f"openfisca_single_traced_p50_ms={openfisca_single:.3f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="liudong vs OpenFisca on the same data.")
    parser.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help=f"comma-separated persons, e.g. 100k,1M (default {DEFAULT_SIZES})",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=ROOT / "data" / "bench",
        help="where datasets and results go (default data/bench)",
    )
    parser.add_argument("--single-reps", type=int, default=1000)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each engine per size, interleaved; the table shows medians (default 3)",
    )
    args = parser.parse_args(argv)
    sizes = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
    rows: list[tuple[str, ...]] = []
    last: tuple[int, dict[str, dict[str, Any]]] | None = None
    for persons in sizes:
        data = ensure_dataset(persons, args.data)
        runs: dict[str, list[dict[str, Any]]] = {engine: [] for engine in ENGINES}
        for _ in range(max(1, args.repeat)):
            for engine in ENGINES:
                out = args.data / "results" / f"persons-{persons}" / engine
                runs[engine].append(run_engine(engine, data, out, args.single_reps))
                print(
                    f"  {engine} on {persons:,} persons: {runs[engine][-1]['total_s']:.2f} s",
                    file=sys.stderr,
                )
        reports = {engine: median_report(done) for engine, done in runs.items()}
        problems = [
            f"{engine}: {p}"
            for engine in ENGINES[1:]
            for p in compare(
                args.data / "results" / f"persons-{persons}" / "liudong",
                args.data / "results" / f"persons-{persons}" / engine,
            )
        ]
        problems += _compare_single(reports)
        if problems:
            raise SystemExit("engines disagree:\n  " + "\n  ".join(problems))
        rows += _rows(persons, reports)
        last = (persons, reports)
    assert last is not None, "no sizes given"
    print(
        f"all {len(ENGINES)} engines agree on every variable "
        f"({len(REFORMED)} also under the reform) at every size"
    )
    _print_table(rows)
    ours = last[1]["liudong"]
    print(
        f"liudong single decision explaining both final variables (the household's payment and "
        f"a member's settlement eligibility): p50 {ours['single_both_p50_ms']:.3f} ms"
    )
    print(summary_line(*last))


if __name__ == "__main__":
    main()
