"""The `liudong` command, driven as a user would (typer's runner, no subprocess)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import polars as pl
import pytest
from typer.testing import CliRunner

from liudong.cli import app, main

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()

CASE = {
    "households": [{"household_id": 1, "household_region": 110105, "passes_asset_test": True}],
    "persons": [
        {"person_id": 1, "household_id": 1, "monthly_income": "500"},
        {"person_id": 2, "household_id": 1, "monthly_income": 0},
    ],
}


def test_calc_prints_values_as_json() -> None:
    result = runner.invoke(
        app,
        ["calc", "--date", "2025-06-01", "--variables", "dibao_payment,dibao_eligible", "--json"],
        input=json.dumps(CASE),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["values"] == {"dibao_payment": ["2290.00"], "dibao_eligible": [True]}
    assert data["rule_set"].startswith("0.1.0+")


def test_calc_explains_in_english_and_chinese() -> None:
    for lang, needle in (
        ("en", "Interim Measures for Social Assistance"),
        ("zh", "社会救助暂行办法"),
    ):
        result = runner.invoke(
            app,
            [
                "calc",
                "--date",
                "2025-06-01",
                "--variables",
                "dibao_payment",
                "--explain",
                "--lang",
                lang,
            ],
            input=json.dumps(CASE),
        )
        assert result.exit_code == 0, result.output
        assert needle in result.output
        assert "[input]" in result.output or "[输入]" in result.output


def test_calc_explanation_json_has_the_versioned_schema() -> None:
    result = runner.invoke(
        app,
        ["calc", "--date", "2025-06-01", "--variables", "dibao_payment", "--explain", "--json"],
        input=json.dumps(CASE),
    )
    data = json.loads(result.output)
    assert data["explanations"]["dibao_payment"][0]["schema"] == "liudong.explain/1"


def test_calc_refuses_money_finer_than_a_fen(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = {**CASE, "persons": [{"person_id": 1, "household_id": 1, "monthly_income": 12.505}]}
    monkeypatch.setattr(
        "sys.argv", ["liudong", "calc", "--date", "2025-06-01", "--variables", "dibao_payment"]
    )
    monkeypatch.setattr("sys.stdin", _stdin(json.dumps(bad)))
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    assert "persons[0].monthly_income: 12.505 yuan is not a whole number of fen" in (
        capsys.readouterr().err.replace("\n", "")
    )


def _stdin(text: str) -> object:
    import io

    return io.StringIO(text)


def test_unknown_variable_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["liudong", "rules", "show", "dibao_paymnt"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Did you mean dibao_payment" in err
    assert "Traceback" not in err


def test_bad_date_is_refused_with_the_format() -> None:
    result = runner.invoke(
        app,
        ["calc", "--date", "2025-13-01", "--variables", "dibao_payment"],
        input=json.dumps(CASE),
    )
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_rules_list_and_show() -> None:
    listed = runner.invoke(app, ["rules", "list"], env={"COLUMNS": "250"})
    assert listed.exit_code == 0
    assert "dibao_payment" in listed.output
    assert "settlement_policy" in listed.output
    shown = runner.invoke(app, ["rules", "show", "dibao_payment"], env={"COLUMNS": "250"})
    assert "formula" in shown.output
    assert "社会救助暂行办法" in shown.output
    assert "dibao_standard" in shown.output
    param = runner.invoke(app, ["rules", "show", "dibao_standard"], env={"COLUMNS": "250"})
    assert "1395.00" in param.output
    assert "provisional" in param.output
    version = runner.invoke(app, ["rules", "version"])
    assert version.output.startswith("0.1.0+")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    homes = pl.DataFrame(
        {
            "household_id": [1, 2],
            "household_region": [110105, 510104],
            "passes_asset_test": [True, True],
        },
        schema_overrides={"household_region": pl.Int32},
    )
    people = pl.DataFrame(
        {"person_id": [1, 2, 3], "household_id": [1, 1, 2], "monthly_income": [50000, 0, 10000]}
    )
    for entity, frame in (("household", homes), ("person", people)):
        (tmp_path / entity).mkdir()
        frame.write_parquet(tmp_path / entity / "part-00000.parquet")
    return tmp_path


def test_simulate_summarises_and_writes_results(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.parquet"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--population",
            str(dataset),
            "--date",
            "2025-06-01",
            "--variables",
            "dibao_payment",
            "--out",
            str(out),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "dibao_payment" in result.output
    assert "2,988.10" in result.output  # 2,290.00 + 698.10
    assert pl.read_parquet(out).get_column("dibao_payment").to_list() == [229000, 69810]


def test_simulate_with_a_reform_reports_changes(dataset: Path, tmp_path: Path) -> None:
    reform = tmp_path / "reform.json"
    reform.write_text(
        json.dumps({"name": "Beijing 1500", "parameters": {"dibao_standard": {"110000": "1500"}}})
    )
    result = runner.invoke(
        app,
        [
            "simulate",
            "--population",
            str(dataset),
            "--date",
            "2025-06-01",
            "--variables",
            "dibao_payment",
            "--reform",
            str(reform),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "reform: Beijing 1500" in result.output
    assert "3,198.10" in result.output  # 2,500.00 + 698.10
    assert "2,988.10" in result.output  # the baseline total


def test_explain_one_household_of_a_population(dataset: Path) -> None:
    result = runner.invoke(
        app,
        [
            "explain",
            "--population",
            str(dataset),
            "--id",
            "1",
            "--variable",
            "dibao_payment",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2,290.00 yuan" in result.output


def test_explain_an_unknown_person_says_so(dataset: Path) -> None:
    result = runner.invoke(
        app,
        ["explain", "--population", str(dataset), "--id", "99", "--variable", "hukou_elsewhere"],
    )
    assert result.exit_code == 2
    assert "no person with person_id 99" in result.output
