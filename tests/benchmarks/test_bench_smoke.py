"""Smoke test of the engine benchmark on 1,000 persons (no timing: that is ``make bench``).

The benchmark rule set must compute what its docstring says: liudong's result for every
variable equals a plain-numpy reference computed from the same parameter files, on the
evaluation date and on an earlier one, and under the benchmark's reform. With the ``bench``
dependency group installed, both OpenFisca versions must agree with liudong too.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from benchmarks.data import AS_OF, generate, read_dataset
from benchmarks.engines import MONEY, REFORM, REFORMED
from benchmarks.reference import compute
from benchmarks.ruleset import ALL_VARIABLES, system
from liudong.rules import Reform, Simulation

if TYPE_CHECKING:
    from pathlib import Path

ONE_FEN = 0.01 + 1e-6  # OpenFisca holds money as float32 yuan


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(1_000, 7, tmp_path_factory.mktemp("bench") / "population", part_persons=300)


def _assert_same(name: str, got: np.ndarray, want: np.ndarray, money_step: float = 0.0) -> None:
    if got.dtype.kind == "f" or want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=0, atol=max(1e-9, money_step), err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


def _reference(population: Path, on: dt.date, reform: Any = None) -> dict[str, np.ndarray]:
    frames = read_dataset(population)
    return compute(frames["person"], frames["household"], on, reform)


@pytest.mark.parametrize("on", [AS_OF, dt.date(2021, 6, 1)], ids=["as-of", "earlier-values"])
def test_rule_set_matches_numpy_reference(population: Path, on: dt.date) -> None:
    sim = Simulation.from_parquet(system(), on, population)
    want = _reference(population, on)
    for name in ALL_VARIABLES:
        _assert_same(name, sim.calculate(name), want[name])


def test_reform_changes_only_its_downstream_and_matches_reference(population: Path) -> None:
    reform = Reform.from_json(REFORM)
    sim = Simulation.from_parquet(system(), AS_OF, population)
    sim.calculate_all(ALL_VARIABLES)
    reformed = sim.with_reform(reform)
    want = _reference(population, AS_OF, REFORM["parameters"])
    assert system().reform_changes(reform) == set(REFORMED)
    for name in ALL_VARIABLES:
        _assert_same(name, reformed.calculate(name), want[name])
        if name not in REFORMED:
            assert reformed.calculate(name) is sim.calculate(name), f"{name} was recomputed"


def test_openfisca_versions_agree_with_liudong(population: Path) -> None:
    pytest.importorskip(
        "openfisca_core", reason="OpenFisca is in the bench group: uv sync --group bench"
    )
    from benchmarks.engines import PERIOD, openfisca_arrays, openfisca_simulation
    from benchmarks.openfisca_system import idiomatic_system, tables_system

    sim = Simulation.from_parquet(system(), AS_OF, population)
    arrays = openfisca_arrays(population)
    for build in (idiomatic_system, tables_system):
        other = openfisca_simulation(build(), arrays)
        for name in ALL_VARIABLES:
            ours, fen = sim.calculate(name), name in MONEY
            theirs = other.calculate(name, PERIOD)
            _assert_same(name, theirs, ours / 100 if fen else ours, ONE_FEN if fen else 0.0)
