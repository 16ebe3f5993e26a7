"""The dataset on disk: Parquet parts aligned by household, and a manifest.

Layout (what ``liudong.rules.partition`` reads)::

    OUT/household/part-00000.parquet   households 1..h0
    OUT/person/part-00000.parquet      their members, sorted by household_id
    OUT/household/part-00001.parquet   ...
    OUT/manifest.json

Parts are written with fixed settings (zstd level 3, statistics, fixed row groups) and the
manifest holds no clock time, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

import liudong
from liudong.population._geography import geography
from liudong.population._partition import Part, generate_part, part_rng
from liudong.population.applicants import applicant_columns, applicant_rng
from liudong.regions import name

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "DEFAULT_CITIES",
    "ENTITIES",
    "GENERATOR_VERSION",
    "Manifest",
    "PartInfo",
    "generate",
    "read",
    "read_manifest",
]

GENERATOR_VERSION: Final = "0.1"
ENTITIES: Final = ("household", "person")
MANIFEST: Final = "manifest.json"
DEFAULT_CITIES: Final[tuple[int, ...]] = (
    110000,  # 北京
    310000,  # 上海
    510100,  # 成都
    450100,  # 南宁
    540100,  # 拉萨
    440100,  # 广州
    420100,  # 武汉
    360200,  # 景德镇, a small prefecture-level city
)
_WRITE: Final[dict[str, Any]] = {
    "compression": "zstd",
    "compression_level": 3,
    "statistics": True,
    "row_group_size": 262_144,
}


@dataclass(frozen=True)
class PartInfo:
    """One partition: its file name (the same in every entity folder) and its row counts."""

    name: str
    persons: int
    households: int


@dataclass(frozen=True)
class Manifest:
    """What a dataset holds and how to make it again (no clock time: it is deterministic)."""

    generator: str
    version: str
    seed: int
    persons: int
    households: int
    partitions: int
    parts: tuple[PartInfo, ...]
    cities: tuple[tuple[int, str], ...]
    as_of: dt.date
    command: str
    applicants: bool = False  # person parts carry liudong.population.applicants' columns

    def to_json(self) -> str:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["as_of"] = dt.date.fromisoformat(data["as_of"])
        data["parts"] = tuple(PartInfo(**p) for p in data["parts"])
        data["cities"] = tuple((int(c), str(n)) for c, n in data["cities"])
        return cls(**data)


def _part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def _sizes(persons: int, partition_persons: int) -> list[int]:
    """Persons per partition: as even as possible, none above ``partition_persons``."""
    count = max(1, -(-persons // partition_persons))
    return [persons // count + (i < persons % count) for i in range(count)]


def _command(
    persons: int, seed: int, cities: Sequence[int], size: int, as_of: dt.date, applicants: bool
) -> str:
    codes = ", ".join(str(c) for c in cities)
    extra = ", applicants=True" if applicants else ""
    return (
        f"liudong.population.generate(persons={persons}, seed={seed}, out=OUT, "
        f"cities=({codes},), partition_persons={size}, as_of=date.fromisoformat('{as_of}')"
        f"{extra})"
    )


def _prepare(out: Path) -> None:
    for entity in ENTITIES:
        folder = out / entity
        if folder.is_dir() and any(folder.glob("*.parquet")):
            raise FileExistsError(
                f"{folder} already holds Parquet parts; generate into an empty folder (or "
                "delete the old dataset first) so no stale parts mix with the new ones"
            )
        folder.mkdir(parents=True, exist_ok=True)


def _check(persons: int, partition_persons: int) -> None:
    if persons < 1 or partition_persons < 1:
        raise ValueError(
            f"persons ({persons}) and partition_persons ({partition_persons}) must be positive"
        )


def generate(
    persons: int,
    seed: int,
    out: Path,
    *,
    cities: Sequence[int] = DEFAULT_CITIES,
    partition_persons: int = 1_000_000,
    as_of: dt.date = dt.date(2025, 6, 1),
    progress: Callable[[int], None] | None = None,
    applicants: bool = False,
) -> Manifest:
    """Write a synthetic population of ``persons`` people to ``out`` and return its manifest.

    Partition ``i`` draws from ``numpy.random.default_rng(SeedSequence([seed, i]))``; the same
    arguments give byte-identical files. ``progress``, if given, is called after each
    partition with the number of persons it held. With ``applicants``, person parts also carry
    the points-scheme attributes of :mod:`liudong.population.applicants`, drawn from a stream
    of their own (``SeedSequence([seed, i, 1])``), so the other columns do not change.
    """
    _check(persons, partition_persons)
    out = Path(out)
    geo = geography(tuple(int(c) for c in cities))
    _prepare(out)
    sizes = _sizes(persons, partition_persons)
    parts: list[PartInfo] = []
    for index, count in enumerate(sizes):  # a loop over partitions
        first_person = 1 + sum(p.persons for p in parts)
        first_household = 1 + sum(p.households for p in parts)
        part = Part(index, len(sizes), count, first_person, first_household, as_of)
        household, person = generate_part(part_rng(seed, index), geo, part)
        if applicants:
            person = person.hstack(applicant_columns(applicant_rng(seed, index), person, as_of))
        parts.append(_write(out, index, household, person))
        if progress is not None:
            progress(count)
    command = _command(persons, seed, geo.cities.tolist(), partition_persons, as_of, applicants)
    manifest = _manifest(seed, tuple(parts), geo.cities.tolist(), as_of, command, applicants)
    (out / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def _manifest(
    seed: int,
    parts: tuple[PartInfo, ...],
    cities: list[int],
    as_of: dt.date,
    command: str,
    applicants: bool,
) -> Manifest:
    return Manifest(
        generator="liudong.population",
        version=f"{GENERATOR_VERSION} (liudong {liudong.__version__})",
        seed=seed,
        persons=sum(p.persons for p in parts),
        households=sum(p.households for p in parts),
        partitions=len(parts),
        parts=parts,
        cities=tuple((city, name(city)) for city in cities),
        as_of=as_of,
        command=command,
        applicants=applicants,
    )


def _write(out: Path, index: int, household: pl.DataFrame, person: pl.DataFrame) -> PartInfo:
    file = _part_name(index)
    household.write_parquet(out / "household" / file, **_WRITE)
    person.write_parquet(out / "person" / file, **_WRITE)
    return PartInfo(file, person.height, household.height)


def read_manifest(out: Path) -> Manifest:
    """The manifest of a dataset folder."""
    return Manifest.from_json((Path(out) / MANIFEST).read_text(encoding="utf-8"))


def read(out: Path) -> dict[str, pl.DataFrame]:
    """The whole dataset: ``{"household": ..., "person": ...}``, parts in order."""
    frames = {}
    for entity in ENTITIES:
        files = sorted((Path(out) / entity).glob("part-*.parquet"))
        if not files:
            raise FileNotFoundError(
                f"{Path(out) / entity} has no part-*.parquet files: is {out} a population "
                "dataset made by liudong.population.generate()?"
            )
        frames[entity] = pl.read_parquet(files)
    return frames
