"""Partitioned runs: a population larger than memory, one household-aligned partition at a time.

A dataset folder holds one subfolder per entity with Parquet parts of the same names
(``person/part-00000.parquet`` and ``household/part-00000.parquet`` hold the same households).
Each partition becomes a :class:`PartitionTask`, a plain picklable value: run here one after
another, in a process pool, or handed to Dask distributed workers unchanged
(``client.map(run_partition, tasks)``). Results are the same as one pass over the whole
population, because every formula reads only its own row and its own household.
"""

from __future__ import annotations

import functools
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from liudong.rules.errors import InputError
from liudong.rules.reforms import Reform
from liudong.rules.simulation import Simulation, present_columns
from liudong.rules.system import DOMAINS, RuleSystem, default_system

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterator, Sequence

__all__ = ["PartitionTask", "partition_tasks", "run_partition", "run_partitioned"]


@dataclass(frozen=True)
class PartitionTask:
    """Everything a worker needs to compute one partition; picklable by construction."""

    files: tuple[tuple[str, str], ...]  # (entity name, Parquet path)
    as_of: dt.date
    variables: tuple[str, ...]
    reform: dict[str, Any] | None = None
    modules: tuple[str, ...] = DOMAINS
    compare: bool = False  # also compute the baseline (without the reform)


@functools.cache
def _system(modules: tuple[str, ...]) -> RuleSystem:
    return default_system() if modules == DOMAINS else RuleSystem(modules)


def run_partition(task: PartitionTask) -> dict[str, pl.DataFrame]:
    """Compute one partition: a frame per entity with the key and the asked variables.

    With ``compare`` and a reform, each variable the reform may change also gets a
    ``<name>__baseline`` column, computed from the same loaded rows.
    """
    system = _system(task.modules)
    wanted = system.columns_for(task.variables)
    frames = {
        entity: pl.read_parquet(path, columns=present_columns(path, wanted.get(entity, set())))
        for entity, path in task.files
    }
    reform = Reform.from_json(task.reform) if task.reform else None
    sim = Simulation(system, task.as_of, frames)
    out = sim.frames(task.variables)
    if reform is None:
        return out
    reformed = sim.with_reform(reform)
    changed = system.reform_changes(reform)
    result = reformed.frames(task.variables)
    if task.compare:
        for entity, frame in result.items():
            base = out[entity]
            extra = [
                base.get_column(c).alias(f"{c}__baseline") for c in base.columns[1:] if c in changed
            ]
            result[entity] = frame.with_columns(extra)
    return result


def partition_tasks(
    directory: Path,
    as_of: dt.date,
    variables: Sequence[str],
    reform: Reform | None = None,
    *,
    compare: bool = False,
    modules: tuple[str, ...] = DOMAINS,
) -> list[PartitionTask]:
    """One task per Parquet part of the dataset (parts aligned by name across entities)."""
    directory = Path(directory)
    entities = [p for p in sorted(directory.iterdir()) if p.is_dir()] if directory.is_dir() else []
    if not entities:
        raise InputError(
            f"{directory} is not a population dataset (expected person/ and household/ folders "
            f"of Parquet parts; make one with `liudong population generate`)"
        )
    parts = {e.name: sorted(p.name for p in e.glob("*.parquet")) for e in entities}
    names = next(iter(parts.values()))
    for entity, files in parts.items():
        if files != names:
            raise InputError(f"{directory}/{entity} parts differ from the other entities' parts")
    reform_json = reform.to_json() if reform else None
    return [
        PartitionTask(
            files=tuple((e.name, str(e / name)) for e in entities),
            as_of=as_of,
            variables=tuple(variables),
            reform=reform_json,
            modules=modules,
            compare=compare,
        )
        for name in names
    ]


def run_partitioned(
    tasks: Sequence[PartitionTask],
    *,
    workers: int = 1,
    on_done: Callable[[int], None] | None = None,
) -> dict[str, pl.DataFrame]:
    """Run the tasks (in ``workers`` processes if > 1) and concatenate per entity, in order."""
    results: dict[str, list[pl.DataFrame]] = {}
    for frames in _map(tasks, workers):
        for entity, frame in frames.items():
            results.setdefault(entity, []).append(frame)
        if on_done is not None:
            on_done(1)
    return {entity: pl.concat(parts, rechunk=False) for entity, parts in results.items()}


def _map(tasks: Sequence[PartitionTask], workers: int) -> Iterator[dict[str, pl.DataFrame]]:
    if workers <= 1 or len(tasks) <= 1:
        yield from map(run_partition, tasks)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(run_partition, tasks)
