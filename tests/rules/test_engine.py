"""The engine's behaviour through its public API, on a toy rule set."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from liudong.rules import Reform, Simulation, explain, render_text
from liudong.rules.partition import partition_tasks, run_partitioned

if TYPE_CHECKING:
    from pathlib import Path

    from liudong.rules import RuleSystem

D2025 = dt.date(2025, 6, 1)


def test_group_aggregates_are_per_household(
    toy: RuleSystem, frames: dict[str, pl.DataFrame]
) -> None:
    sim = Simulation(toy, D2025, frames)
    assert sim.calculate("total").tolist() == [30000, 100000, 5000, 0]
    assert sim.calculate("size").tolist() == [2, 1, 2, 0]
    assert sim.calculate("oldest").tolist() == [46, 12, 51, 0]
    assert sim.calculate("youngest").tolist() == [45, 12, 50, 0]
    assert sim.calculate("has_child").tolist() == [False, True, False, False]
    assert sim.calculate("all_adults").tolist() == [True, False, True, True]


def test_members_read_their_household_value(
    toy: RuleSystem, frames: dict[str, pl.DataFrame]
) -> None:
    sim = Simulation(toy, D2025, frames)
    topup = sim.calculate("topup")
    assert sim.calculate("my_topup").tolist() == [topup[0], topup[0], topup[1], topup[2], topup[2]]


def test_jurisdiction_falls_back_county_prefecture_province_national(
    toy: RuleSystem, frames: dict[str, pl.DataFrame]
) -> None:
    sim = Simulation(toy, D2025, frames)
    # 110105 has its own value; 110101 takes Beijing's (110000); 310101 the national one.
    assert sim.parameter_values("line", toy.entities["household"]).tolist() == [
        50000,
        40000,
        10000,
        50000,
    ]


def test_parameters_are_dated(toy: RuleSystem, frames: dict[str, pl.DataFrame]) -> None:
    sim = Simulation(toy, dt.date(2022, 6, 1), frames)
    # Before 2023 the county has no value of its own and Beijing's earlier value applies.
    assert sim.parameter_values("line", toy.entities["household"]).tolist() == [
        30000,
        30000,
        10000,
        30000,
    ]


def test_category_table_and_right_closed_scale(
    toy: RuleSystem, frames: dict[str, pl.DataFrame]
) -> None:
    sim = Simulation(toy, D2025, frames)
    # level: low 1, else "*" 5; age (45, 50] -> 10, <= 45 -> 20, > 50 -> 0
    assert sim.calculate("points").tolist() == [21.0, 15.0, 25.0, 11.0, 5.0]


def test_computes_only_what_is_asked(toy: RuleSystem, frames: dict[str, pl.DataFrame]) -> None:
    sim = Simulation(toy, D2025, frames)
    sim.calculate("size")
    assert set(sim.values) == {"size", "income"}


def test_reform_recomputes_only_downstream(
    toy: RuleSystem, frames: dict[str, pl.DataFrame]
) -> None:
    base = Simulation(toy, D2025, frames)
    for name in ("topup", "points", "oldest"):
        base.calculate(name)
    reform = Reform("higher line", parameters={"line": {"110000": "2000"}})
    changed = base.with_reform(reform)
    assert changed.values["total"] is base.values["total"]
    assert changed.values["points"] is base.values["points"]
    assert "topup" not in changed.values
    assert "below" not in changed.values
    # 110105 keeps its own, more specific value; 110101 takes the reformed Beijing line.
    assert changed.calculate("topup").tolist() == [70000, 100000, 15000, 0]
    assert base.calculate("topup").tolist() == [70000, 0, 15000, 0]


def test_reform_from_json_with_a_formula_replacement(
    toy: RuleSystem, frames: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    path = tmp_path / "reform.json"
    path.write_text(
        json.dumps(
            {
                "name": "flat",
                "parameters": {"age_points": {"": {"thresholds": [], "amounts": ["3"]}}},
                "formulas": {"size": "tests.rules.reform_formulas:size_plus_one"},
            }
        ),
        encoding="utf-8",
    )
    sim = Simulation(toy, D2025, frames, Reform.from_json(path))
    assert sim.calculate("size").tolist() == [3, 2, 3, 1]
    assert sim.calculate("points").tolist() == [4.0, 8.0, 8.0, 4.0, 8.0]


def test_explanation_cites_variables_parameters_and_margin(
    toy: RuleSystem, frames: dict[str, pl.DataFrame]
) -> None:
    sim = Simulation(toy, D2025, frames)
    result = explain(sim, "topup", 0)
    assert result["schema"] == "liudong.explain/1"
    assert result["rule_set"] == toy.version
    root = result["root"]
    assert root["value"] == "700.00"
    line = root["parameters"][0]
    assert line["name"] == "line"
    assert line["key"] == ["110105"]
    assert line["from"] == "2023-01-01"
    assert line["confidence"] == "provisional"
    assert line["source"]["document"] == "MODEL"
    below = next(n for n in root["inputs"] if n["variable"] == "below")
    assert below["hint"]["margin"] == "-350.00"
    text_en = render_text(result, "en")
    assert "income per head is 350.00 yuan below the line of 500.00 yuan" in text_en
    assert "(provisional)" in text_en
    assert "低" in render_text(result, "zh")
    json.dumps(result, ensure_ascii=False)  # the explanation is plain JSON


def test_rule_set_version_changes_with_a_parameter_file(tmp_path: Path) -> None:
    from liudong.rules import RuleSystem
    from tests.rules.toy import TOY_PARAMETERS, toy_module

    first = tmp_path / "a.yaml"
    first.write_text(TOY_PARAMETERS, encoding="utf-8")
    before = RuleSystem([toy_module()], extra_parameter_files=[first]).version
    first.write_text(TOY_PARAMETERS.replace('value: "100"', 'value: "101"'), encoding="utf-8")
    after = RuleSystem([toy_module()], extra_parameter_files=[first]).version
    assert before != after
    assert before.startswith("0.1.0+")


def test_partitioned_run_equals_one_pass(
    toy: RuleSystem, frames: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    for part, households in enumerate(([1, 2], [3], [4])):
        for entity, frame in frames.items():
            folder = tmp_path / entity
            folder.mkdir(exist_ok=True)
            frame.filter(pl.col("household_id").is_in(households)).write_parquet(
                folder / f"part-{part:05d}.parquet"
            )
    names = ["topup", "my_topup", "points"]
    tasks = partition_tasks(tmp_path, D2025, names, modules=("tests.rules.toy_importable",))
    parted = run_partitioned(tasks)
    whole = Simulation(toy, D2025, frames).frames(names)
    for entity, frame in whole.items():
        assert parted[entity].equals(frame)


def test_single_case_equals_frame_rows(toy: RuleSystem, frames: dict[str, pl.DataFrame]) -> None:
    whole = Simulation(toy, D2025, frames).calculate("topup")
    case = {
        "households": [{"household_id": 3, "place": 310101}],
        "persons": [
            {"person_id": 13, "household_id": 3, "income": "50", "age": 50, "level": "low"},
            {"person_id": 14, "household_id": 3, "income": "0", "age": 51, "level": "mid"},
        ],
    }
    one = Simulation.from_case(toy, D2025, case).calculate("topup")
    assert one.tolist() == [whole[2]]
    assert np.asarray(one).dtype == np.int64


def test_reform_star_sets_every_cell_including_places_with_their_own_value(
    toy: RuleSystem, frames: dict[str, pl.DataFrame]
) -> None:
    reform = Reform("flat line", parameters={"line": {"*": "1"}})
    sim = Simulation(toy, D2025, frames, reform)
    assert sim.parameter_values("line", toy.entities["household"]).tolist() == [100] * 4
