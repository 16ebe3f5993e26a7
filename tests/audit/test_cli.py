"""``liudong audit seal`` and ``liudong audit verify``, driven as an operator would."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from liudong.cli import app
from tests.audit.conftest import make_events
from tests.audit.tamper import Attacker

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.django_db

runner = CliRunner()


def test_seal_then_verify_reports_ok(db: None, checkpoint_file: Path) -> None:
    make_events(range(1, 26))
    sealed = runner.invoke(app, ["audit", "seal", "--batch-size", "10"])
    assert sealed.exit_code == 0, sealed.output
    assert "sealed 25 events in checkpoints #1–#3" in sealed.output
    assert checkpoint_file.exists()
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    lines = verified.output.splitlines()
    assert lines[:3] == ["OK", "sealed 25", "pending 0"]
    assert lines[3].startswith("last checkpoint #3: events #21–#25 (5)")


def test_verify_names_the_first_bad_sequence_number_and_exits_1(db: None) -> None:
    make_events(range(1, 26))
    runner.invoke(app, ["audit", "seal"])
    Attacker().execute("UPDATE audit_auditevent SET outcome = %s WHERE seq = %s", ["ok", 13])
    Attacker().execute("DELETE FROM audit_auditevent WHERE seq = %s", [20])
    make_events([26, 27])
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("FIRST BAD SEQ 13: event #13 does not match its seal")
    assert lines[1:3] == ["sealed 25", "pending 2"]


def test_verify_against_another_copy_of_the_checkpoints(
    db: None, checkpoint_file: Path, tmp_path: Path
) -> None:
    make_events(range(1, 6))
    runner.invoke(app, ["audit", "seal"])
    copy = tmp_path / "worm-copy.jsonl"
    copy.write_bytes(checkpoint_file.read_bytes())
    result = runner.invoke(app, ["audit", "verify", "--checkpoints", str(copy)])
    assert result.exit_code == 0, result.output
    assert f"checkpoint file {copy}" in result.output


def test_a_missing_checkpoints_file_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "--checkpoints", str(tmp_path / "nope")])
    assert result.exit_code == 2
