"""Run ONE engine of the benchmark in this process and print its report as one JSON line.

    uv run --group bench python -m benchmarks.engines --engine liudong --data DIR --out DIR

Each engine runs in its own process (``benchmarks.run`` starts one per engine and size), so
the peak memory it reports is its own. Steps, each timed:

1. **load**: build the rule system, read the Parquet dataset, build the simulation;
2. **compute**: every variable of the rule set (``ALL_VARIABLES``);
3. **reform**: the same population under :data:`REFORM` (liudong: ``sim.with_reform`` then
   every variable again; OpenFisca: a reformed tax-benefit system and the simulation rebuilt
   from the arrays already in memory, then every variable);
4. **single**: one household decided ``--single-reps`` times from JSON-like input (liudong:
   ``Simulation.from_case``, every variable, and ``explain`` of the household's final variable,
   ``assistance_payment``; ``single_both_p50_ms`` also explains a member's
   ``settlement_eligible``; OpenFisca: a one-household simulation with ``trace = True``, every
   variable).

Peak RSS is read after step 2 (``peak_rss_mb``) and at the end (``final_peak_rss_mb``). The
results of steps 2 and 3 are written to ``OUT/person.parquet`` and ``OUT/household.parquet``
(money as yuan; reform columns suffixed ``__reform``) for ``benchmarks.run`` to compare.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from benchmarks.data import AS_OF
from benchmarks.ruleset import ALL_VARIABLES, HOUSEHOLD_VARIABLES, system
from liudong.rules import Reform, Simulation, explain

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

__all__ = [
    "ENGINES",
    "MONEY",
    "PERIOD",
    "REFORM",
    "REFORMED",
    "SINGLE_CASE",
    "main",
    "openfisca_arrays",
    "openfisca_case",
    "openfisca_simulation",
    "peak_rss_mb",
    "run_liudong",
    "run_openfisca",
]

ENGINES = ("liudong", "openfisca-idiomatic", "openfisca-tables")
PERIOD = AS_OF.strftime("%Y-%m")

#: The reform every engine applies: more points per year of social insurance in two cities,
#: and a higher national income standard (cities with their own standard keep it).
REFORM: dict[str, Any] = {
    "name": "benchmark reform",
    "description": "4 points per SI year in Beijing and Shanghai; national standard 850 yuan",
    "parameters": {
        "si_points_per_year": {"110000": "4", "310000": "4"},
        "assistance_standard": {"national": "850"},
    },
}
#: The money variables (liudong: fen; reported and compared in yuan).
MONEY = frozenset({"household_income", "per_capita_income", "assistance_payment"})
#: The variables the reform may change (checked against liudong's own dependency graph).
REFORMED = (
    "si_points",
    "settlement_points",
    "settlement_eligible",
    "assistance_eligible",
    "assistance_payment",
)

#: One household of three in a Beijing district, as plain values (money in yuan).
SINGLE_CASE: dict[str, Any] = {
    "persons": [
        {
            "person_id": 1,
            "household_id": 1,
            "birth_date": "1988-09-14",
            "education": "bachelor",
            "residence_region": 110105,
            "months_resident": 74,
            "si_months": 130,
            "monthly_income": "1150.40",
        },
        {
            "person_id": 2,
            "household_id": 1,
            "birth_date": "1990-02-01",
            "education": "junior_college",
            "residence_region": 110105,
            "months_resident": 74,
            "si_months": 61,
            "monthly_income": "980.00",
        },
        {
            "person_id": 3,
            "household_id": 1,
            "birth_date": "2016-05-20",
            "education": "primary",
            "residence_region": 110105,
            "months_resident": 74,
            "si_months": 0,
            "monthly_income": "0",
        },
    ],
    "households": [{"household_id": 1, "household_region": 110105}],
}


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(reps: int, once: Callable[[], Any]) -> dict[str, float]:
    for _ in range(min(20, reps)):  # warm caches (compiled parameters, imports)
        once()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        once()
        times.append((time.perf_counter() - start) * 1000)
    quantiles = statistics.quantiles(times, n=100)
    return {"single_p50_ms": statistics.median(times), "single_p90_ms": quantiles[89]}


def _write(
    out: Path,
    ids: tuple[np.ndarray, np.ndarray],
    before: Mapping[str, np.ndarray],
    after: Mapping[str, np.ndarray],
) -> None:
    """Every variable (and the reformed ones, suffixed ``__reform``) per entity, money in yuan."""
    person: dict[str, np.ndarray] = {"person_id": ids[0]}
    household: dict[str, np.ndarray] = {"household_id": ids[1]}
    for name in ALL_VARIABLES:
        columns = household if name in HOUSEHOLD_VARIABLES else person
        columns[name] = before[name]
        if name in REFORMED:
            columns[f"{name}__reform"] = after[name]
    out.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(person).write_parquet(out / "person.parquet")
    pl.DataFrame(household).write_parquet(out / "household.parquet")


# ---------------------------------------------------------------- liudong


def run_liudong(data: Path, out: Path, reps: int) -> dict[str, Any]:
    start = time.perf_counter()
    sim = Simulation.from_parquet(system(), AS_OF, data, variables=ALL_VARIABLES)
    loaded = time.perf_counter()
    sim.calculate_all(ALL_VARIABLES)
    computed = time.perf_counter()
    report: dict[str, Any] = {
        "load_s": loaded - start,
        "compute_s": computed - loaded,
        "peak_rss_mb": peak_rss_mb(),
    }
    reform = Reform.from_json(REFORM)
    assert system().reform_changes(reform) == set(REFORMED), system().reform_changes(reform)
    begin = time.perf_counter()
    reformed = sim.with_reform(reform)
    reformed.calculate_all(ALL_VARIABLES)
    report["reform_s"] = time.perf_counter() - begin
    ids = (sim.data["person"].raw("person_id"), sim.data["household"].raw("household_id"))
    _write(out, ids, _in_yuan(sim), _in_yuan(reformed))
    del sim, reformed
    gc.collect()

    def decide(*explained: str) -> Callable[[], None]:
        def once() -> None:
            case = Simulation.from_case(system(), AS_OF, SINGLE_CASE)
            case.calculate_all(ALL_VARIABLES)
            for name in explained:
                explain(case, name, 0)

        return once

    report.update(_timed(reps, decide("assistance_payment")))
    both = _timed(reps, decide("assistance_payment", "settlement_eligible"))
    report["single_both_p50_ms"] = both["single_p50_ms"]
    case = Simulation.from_case(system(), AS_OF, SINGLE_CASE)
    report["single_values"] = {n: _plain(n, case.calculate(n)) for n in ALL_VARIABLES}
    return report


def _in_yuan(sim: Simulation) -> dict[str, np.ndarray]:
    return {name: _as_yuan(name, sim.calculate(name)) for name in ALL_VARIABLES}


def _as_yuan(name: str, values: np.ndarray) -> np.ndarray:
    return values / 100 if name in MONEY else values


def _plain(name: str, values: np.ndarray) -> list[Any]:
    return [float(v) if isinstance(v, np.floating) else v.item() for v in _as_yuan(name, values)]


# ---------------------------------------------------------------- OpenFisca


PERSON_INPUTS = (
    "birth_date",
    "education",
    "residence_region",
    "months_resident",
    "si_months",
    "monthly_income",
)


def _read(folder: Path, columns: list[str]) -> pl.DataFrame:
    return pl.read_parquet(sorted(folder.glob("*.parquet")), columns=columns)


def openfisca_arrays(data: Path) -> dict[str, np.ndarray]:
    """The dataset as the numpy arrays OpenFisca takes (money as yuan, categories as codes)."""
    person = _read(data / "person", [*PERSON_INPUTS, "person_id", "household_id"])
    household = _read(data / "household", ["household_id", "household_region"])
    arrays = {
        name: person.get_column(name).to_numpy()
        for name in (
            "person_id",
            "household_id",
            "residence_region",
            "months_resident",
            "si_months",
        )
    }
    arrays["birth_date"] = person.get_column("birth_date").to_numpy().astype("datetime64[D]")
    arrays["education"] = person.get_column("education").to_physical().to_numpy().astype(np.int16)
    arrays["monthly_income"] = person.get_column("monthly_income").to_numpy() / 100
    arrays["household"] = household.get_column("household_id").to_numpy()
    arrays["household_region"] = household.get_column("household_region").to_numpy()
    return arrays


def openfisca_simulation(tbs: Any, arrays: dict[str, np.ndarray]) -> Any:
    """OpenFisca's documented way for data: populations, a membership join, ``set_input``.

    The ids are assigned directly (``declare_person_entity`` would only add a round trip
    through a Python list of millions of ids)."""
    from openfisca_core.simulations import SimulationBuilder

    builder = SimulationBuilder()
    builder.create_entities(tbs)
    persons, households = builder.populations["person"], builder.populations["household"]
    persons.ids, persons.count = arrays["person_id"], len(arrays["person_id"])
    households.ids, households.count = arrays["household"], len(arrays["household"])
    roles = np.zeros(persons.count, dtype=np.int64)  # everyone is a "member"
    builder.join_with_persons(households, arrays["household_id"], roles)
    sim = builder.build(tbs)
    for name in PERSON_INPUTS:
        period = "ETERNITY" if name in ("birth_date", "education") else PERIOD
        sim.set_input(name, period, arrays[name])
    sim.set_input("household_region", PERIOD, arrays["household_region"])
    return sim


def run_openfisca(variant: str, data: Path, out: Path, reps: int) -> dict[str, Any]:
    from openfisca_core.simulations import SimulationBuilder

    from benchmarks import openfisca_system

    build = (
        openfisca_system.tables_system
        if variant == "tables"
        else (openfisca_system.idiomatic_system)
    )
    start = time.perf_counter()
    tbs = build()
    arrays = openfisca_arrays(data)
    sim = openfisca_simulation(tbs, arrays)
    loaded = time.perf_counter()
    results = {name: sim.calculate(name, PERIOD) for name in ALL_VARIABLES}
    computed = time.perf_counter()
    report: dict[str, Any] = {
        "load_s": loaded - start,
        "compute_s": computed - loaded,
        "peak_rss_mb": peak_rss_mb(),
    }
    begin = time.perf_counter()
    reformed_tbs = openfisca_system.bench_reform(tbs, REFORM, AS_OF)
    reformed = openfisca_simulation(reformed_tbs, arrays)
    after = {name: reformed.calculate(name, PERIOD) for name in ALL_VARIABLES}
    report["reform_s"] = time.perf_counter() - begin
    _write(out, (arrays["person_id"], arrays["household"]), results, after)
    del sim, reformed, results, after, arrays
    gc.collect()

    situation = openfisca_case(SINGLE_CASE)

    def once() -> Any:
        case = SimulationBuilder().build_from_entities(tbs, situation)
        case.trace = True
        return {name: case.calculate(name, PERIOD) for name in ALL_VARIABLES}

    report.update(_timed(reps, once))
    report["single_values"] = {
        n: [float(v) if isinstance(v, np.floating) else v.item() for v in values]
        for n, values in once().items()
    }
    return report


def openfisca_case(case: dict[str, Any]) -> dict[str, Any]:
    """The single case as an OpenFisca situation (money as yuan numbers)."""
    persons: dict[str, Any] = {}
    members: dict[str, list[str]] = {}
    for row in case["persons"]:
        pid = f"p{row['person_id']}"
        persons[pid] = {
            "birth_date": {"ETERNITY": row["birth_date"]},
            "education": {"ETERNITY": row["education"]},
            **{k: {PERIOD: row[k]} for k in ("residence_region", "months_resident", "si_months")},
            "monthly_income": {PERIOD: float(row["monthly_income"])},
        }
        members.setdefault(f"h{row['household_id']}", []).append(pid)
    households = {
        f"h{row['household_id']}": {
            "members": members[f"h{row['household_id']}"],
            "household_region": {PERIOD: row["household_region"]},
        }
        for row in case["households"]
    }
    return {"persons": persons, "households": households}


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> None:
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--engine", choices=ENGINES, required=True)
    parser.add_argument("--data", type=Path, required=True, help="dataset folder")
    parser.add_argument("--out", type=Path, required=True, help="folder for the results")
    parser.add_argument("--single-reps", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.engine == "liudong":
        report = run_liudong(args.data, args.out, args.single_reps)
    else:
        report = run_openfisca(args.engine.split("-", 1)[1], args.data, args.out, args.single_reps)
    report.update(
        engine=args.engine,
        final_peak_rss_mb=peak_rss_mb(),
        total_s=report["load_s"] + report["compute_s"],
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
