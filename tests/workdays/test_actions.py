"""Loading arrangements (``do_load_arrangement``) and the public API the other domains use:
who may load, what is refused (each with its code and field, nothing stored), the audit
trail, and deadlines recomputed once a year is loaded."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
import yaml

import liudong.workdays
from liudong.audit.models import AuditEvent
from liudong.site.errors import AccessDeniedError, InvalidInputError
from liudong.workdays import Deadline, add_working_days, is_workday, working_days_between
from liudong.workdays.actions import do_load_arrangement
from liudong.workdays.models import HolidayArrangement
from tests.workdays.arrangements import EXAMPLE, TEST_SOURCE, arrangement

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from tests.personas import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

D = dt.date


@pytest.fixture
def frozen_today() -> Any:
    with time_machine.travel(dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC), tick=False):
        yield


def test_the_public_api_is_locked() -> None:
    assert liudong.workdays.__all__ == [
        "Deadline",
        "add_working_days",
        "default_calendar",
        "is_workday",
        "working_days_between",
    ]


def test_a_deadline_into_2027_is_recomputed_once_the_year_is_loaded(admin: User) -> None:
    before = add_working_days(D(2026, 12, 24), 10)
    assert before == Deadline(D(2027, 1, 7), True, (2027,))
    do_load_arrangement(admin, arrangement())
    assert add_working_days(D(2026, 12, 24), 10) == Deadline(D(2027, 1, 8), False, ())
    assert is_workday(D(2027, 1, 9))
    assert not is_workday(D(2027, 1, 1))
    assert working_days_between(D(2026, 12, 24), D(2027, 1, 8)) == 10


def test_the_public_api_reads_the_database_once(
    django_assert_num_queries: Any, admin: User
) -> None:
    do_load_arrangement(admin, arrangement())
    with django_assert_num_queries(1):
        for day in range(1, 29):
            add_working_days(D(2027, 2, day), 5)


def test_loading_is_audited_with_what_was_loaded(admin: User) -> None:
    row = do_load_arrangement(admin, arrangement())
    assert (row.year, row.source, row.loaded_by) == (2027, TEST_SOURCE, admin)
    assert row.holidays == ["2027-01-01", "2027-01-02", "2027-01-03"]
    event = AuditEvent.objects.get(action="workdays.load_arrangement")
    assert (event.actor, event.outcome, event.object_id) == ("admin", "ok", str(row.pk))
    assert event.detail["holidays"] == 3
    assert event.detail["replaced"] is False


def test_loading_a_year_again_replaces_it(admin: User) -> None:
    do_load_arrangement(admin, arrangement())
    do_load_arrangement(admin, arrangement(workdays=[]))
    assert HolidayArrangement.objects.get().workdays == []
    assert not is_workday(D(2027, 1, 9))
    assert (
        AuditEvent.objects.filter(action="workdays.load_arrangement")
        .latest("seq")
        .detail["replaced"]
    )


def test_the_system_may_load_without_an_actor() -> None:
    assert do_load_arrangement(None, arrangement()).loaded_by is None


@pytest.mark.parametrize("persona", ["beijing_caseworker", "auditor", "henan_migrant"])
def test_only_administrators_may_load(world: World, persona: str) -> None:
    with pytest.raises(AccessDeniedError):
        do_load_arrangement(world.persona(persona), arrangement())
    assert not HolidayArrangement.objects.exists()
    event = AuditEvent.objects.get(action="workdays.load_arrangement")
    assert (event.actor, event.outcome) == (persona, "denied")


BAD = [
    ("not a mapping", ["2027-01-01"], "not_an_arrangement", None),
    ("unknown field", arrangement(holiday=["2027-01-01"]), "unknown_field", "holiday"),
    ("no year", arrangement(year=None), "required", "year"),
    ("year as text", arrangement(year="2027"), "year_invalid", "year"),
    ("built-in year", arrangement(year=2026, holidays=["2026-01-01"]), "year_built_in", "year"),
    ("no source", arrangement(source=""), "required", "source"),
    ("source too long", arrangement(source="x" * 256), "too_long", "source"),
    ("no holidays", arrangement(holidays=[]), "required", "holidays"),
    ("holidays not a list", arrangement(holidays="2027-01-01"), "date_list_invalid", "holidays"),
    ("not a date", arrangement(holidays=["2027-02-30"]), "date_invalid", "holidays"),
    ("repeated", arrangement(holidays=["2027-01-01"] * 2), "date_repeated", "holidays"),
    ("outside the year", arrangement(holidays=["2028-01-01"]), "date_outside_year", "holidays"),
    (
        "off and worked",
        arrangement(workdays=["2027-01-02"]),
        "date_off_and_worked",
        "workdays",
    ),
    (
        "make-up on a Monday",
        arrangement(workdays=["2027-01-04"]),
        "workday_not_weekend",
        "workdays",
    ),
    (
        "published later",
        arrangement(published_on="2026-12-01"),
        "published_in_future",
        "published_on",
    ),
    ("published not a date", arrangement(published_on="soon"), "date_invalid", "published_on"),
    ("marked example", arrangement(example=True), "example_not_an_arrangement", "example"),
]


@pytest.mark.parametrize(
    ("payload", "code", "field"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_a_bad_arrangement_is_refused_and_nothing_is_stored(
    admin: User, payload: object, code: str, field: str | None
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        do_load_arrangement(admin, payload)
    assert (raised.value.code, raised.value.field) == (code, field)
    assert raised.value.message
    assert not HolidayArrangement.objects.exists()
    event = AuditEvent.objects.get(action="workdays.load_arrangement")
    assert (event.outcome, event.detail["code"]) == ("rejected", code)


def test_the_example_file_is_refused_as_an_example(admin: User) -> None:
    with pytest.raises(InvalidInputError, match="格式示例") as raised:
        do_load_arrangement(admin, yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    assert raised.value.code == "example_not_an_arrangement"


def test_the_example_file_is_only_an_example_of_a_valid_file(admin: User) -> None:
    """Without its ``example`` mark the file passes every check (it is a faithful format)."""
    payload = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert payload.pop("example") is True
    assert "EXAMPLE" in payload["source"]
    do_load_arrangement(admin, payload)


def test_another_process_sees_a_loaded_year_after_the_cache_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert is_workday(D(2027, 1, 1))  # cached: no 2027
    HolidayArrangement.objects.create(  # as loaded by another gunicorn worker
        year=2027,
        holidays=["2027-01-01"],
        workdays=[],
        source=TEST_SOURCE,
        published_on=D(2026, 11, 20),
        loaded_at=dt.datetime(2026, 11, 28, tzinfo=dt.UTC),
    )
    assert is_workday(D(2027, 1, 1))  # still the cached calendar
    monkeypatch.setattr("liudong.workdays.selectors.CACHE_SECONDS", -1.0)
    assert not is_workday(D(2027, 1, 1))
