"""Fixtures for engine tests: the toy rule system and small frames."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import pytest

from liudong.rules import RuleSystem
from tests.rules.toy import TOY_PARAMETERS, toy_module

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def toy(tmp_path: Path) -> RuleSystem:
    params = tmp_path / "toy.yaml"
    params.write_text(TOY_PARAMETERS, encoding="utf-8")
    return RuleSystem([toy_module()], extra_parameter_files=[params])


@pytest.fixture
def frames() -> dict[str, pl.DataFrame]:
    households = pl.DataFrame(
        {"household_id": [1, 2, 3, 4], "place": [110105, 110101, 310101, 110105]},
        schema_overrides={"place": pl.Int32},
    )
    persons = pl.DataFrame(
        {
            "person_id": [10, 11, 12, 13, 14],
            "household_id": [1, 1, 2, 3, 3],
            "income": [10000, 20000, 100000, 5000, 0],
            "age": [45, 46, 12, 50, 51],
            "level": ["low", "mid", "high", "low", "mid"],
        }
    )
    return {"household": households, "person": persons}
