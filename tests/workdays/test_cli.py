"""``liudong calendar load`` and ``liudong calendar show``, driven through typer's runner."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from typer.testing import CliRunner

from liudong.audit.models import AuditEvent
from liudong.cli import app
from liudong.workdays.models import HolidayArrangement
from tests.workdays.arrangements import EXAMPLE, TEST_SOURCE, arrangement, as_yaml

if TYPE_CHECKING:
    from pathlib import Path

    from tests.personas import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]
runner = CliRunner()


@pytest.fixture
def frozen_today() -> Any:
    with time_machine.travel(dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "2027.yaml"
    path.write_bytes(as_yaml(arrangement()))
    return path


def test_load_as_the_system_then_show(good_file: Path) -> None:
    loaded = runner.invoke(app, ["calendar", "load", str(good_file)])
    assert loaded.exit_code == 0, loaded.output
    assert "loaded 2027: 3 days off, 1 make-up working days" in loaded.output
    assert HolidayArrangement.objects.get().loaded_by is None
    shown = runner.invoke(app, ["calendar", "show", "2027"])
    assert shown.exit_code == 0, shown.output
    assert TEST_SOURCE in shown.output
    assert "make-up working days: 2027-01-09" in shown.output


def test_load_as_a_named_administrator_is_audited_under_her_name(
    world: World, good_file: Path
) -> None:
    result = runner.invoke(app, ["calendar", "load", str(good_file), "--as", "admin"])
    assert result.exit_code == 0, result.output
    assert HolidayArrangement.objects.get().loaded_by == world.admin
    assert AuditEvent.objects.get(action="workdays.load_arrangement").actor == "admin"


def test_load_as_someone_who_is_not_an_administrator_is_refused(
    world: World, good_file: Path
) -> None:
    result = runner.invoke(app, ["calendar", "load", str(good_file), "--as", "auditor"])
    assert result.exit_code == 2
    assert "error [forbidden]" in result.output
    assert not HolidayArrangement.objects.exists()


def test_load_as_an_unknown_user_is_refused(good_file: Path) -> None:
    result = runner.invoke(app, ["calendar", "load", str(good_file), "--as", "nobody"])
    assert result.exit_code == 2
    assert "error [unknown_user] (--as)" in result.output


def test_a_bad_file_exits_2_with_code_and_field(tmp_path: Path) -> None:
    path = tmp_path / "2027.yaml"
    path.write_bytes(as_yaml(arrangement(workdays=["2027-01-04"])))
    result = runner.invoke(app, ["calendar", "load", str(path)])
    assert result.exit_code == 2
    assert "error [workday_not_weekend] (workdays): 2027-01-04" in result.output
    assert not HolidayArrangement.objects.exists()


def test_the_shipped_example_is_refused() -> None:
    result = runner.invoke(app, ["calendar", "load", str(EXAMPLE)])
    assert result.exit_code == 2
    assert "error [example_not_an_arrangement] (example)" in result.output
    assert not HolidayArrangement.objects.exists()


def test_show_a_built_in_year_and_a_missing_one() -> None:
    built_in = runner.invoke(app, ["calendar", "show", "2026"])
    assert "2026-02-14 2026-02-28" in built_in.output
    missing = runner.invoke(app, ["calendar", "show", "2027"])
    assert missing.exit_code == 0
    assert "provisional: weekends only" in missing.output
