"""liudong.population: synthetic, calibrated populations as Parquet datasets for the rules engine.

A population is households and their members in the eight default cities (or the cities you
give), calibrated on the 7th census where a figure is published and on documented assumptions
elsewhere (every number is in :mod:`liudong.population.calibration`). Generation is vectorised
(numpy per partition, Polars for assembly) and deterministic: one seed gives byte-identical files.

>>> import pathlib, tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     manifest = generate(2_000, seed=7, out=pathlib.Path(folder))
...     frames = read(pathlib.Path(folder))
>>> manifest.persons, manifest.partitions, frames["person"].height
(2000, 1, 2000)

The dataset (``OUT/person/part-*.parquet``, ``OUT/household/part-*.parquet``, same part names,
each person part holding the members of its household part) is what
``liudong.rules.Simulation.from_parquet`` and the partition runner read. Its columns:

household
    ``household_id`` Int64 (1, 2, ... across the dataset), ``household_region`` Int32 (county
    of residence), ``passes_asset_test`` Boolean.
person
    ``person_id`` Int64, ``household_id`` Int64, ``id_number`` (18 characters, valid GB 11643:
    hukou county code valid in the birth year, birth date, sequence with the sex's parity, MOD
    11-2 check), ``name``, ``sex`` Enum M/F, ``birth_date`` Date, ``retirement_group`` Enum
    men/women_55/women_50, ``education`` Enum none … doctor, ``hukou_region`` Int32,
    ``hukou_type`` Enum rural/urban, ``residence_region`` Int32 (= household_region),
    ``months_resident`` Int32, ``si_months`` Int32 (≤ months_resident; 0 without a job),
    ``has_stable_job``, ``has_stable_residence``, ``is_studying`` Boolean, ``monthly_income``
    Int64 (fen per month).
"""

from liudong.population._dataset import (
    DEFAULT_CITIES,
    GENERATOR_VERSION,
    Manifest,
    PartInfo,
    generate,
    read,
    read_manifest,
)
from liudong.population._partition import HOUSEHOLD_SCHEMA, PERSON_SCHEMA
from liudong.population._validate import Comparison, validate

__all__ = [
    "DEFAULT_CITIES",
    "GENERATOR_VERSION",
    "HOUSEHOLD_SCHEMA",
    "PERSON_SCHEMA",
    "Comparison",
    "Manifest",
    "PartInfo",
    "generate",
    "read",
    "read_manifest",
    "validate",
]
