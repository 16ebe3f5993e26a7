"""Reading working days: the calendar built from the loaded arrangements, and the list of years
for the administrators' page.

:func:`default_calendar` is cached per process. Loading an arrangement forgets it in this
process at once and again when the transaction commits; other processes (gunicorn workers)
rebuild theirs at most ``CACHE_SECONDS`` later, so a newly loaded year is used everywhere
within a minute.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from liudong.workdays.calendar import Calendar, built_in_arrangement
from liudong.workdays.models import HolidayArrangement

if TYPE_CHECKING:
    import datetime as dt

    from liudong.workdays.calendar import Arrangement

CACHE_SECONDS = 60.0
FIRST_LISTED_YEAR = 2004  # the first year chinese_calendar covers

_lock = threading.Lock()
_cache: dict[str, tuple[float, Calendar]] = {}  # "calendar" → (built at, calendar)


def default_calendar() -> Calendar:
    """The calendar of the built-in years and every loaded arrangement (cached)."""
    with _lock:
        now = time.monotonic()
        cached = _cache.get("calendar")
        if cached is None or now - cached[0] > CACHE_SECONDS:
            cached = _cache["calendar"] = (now, Calendar(loaded_arrangements()))
        return cached[1]


def forget_calendar() -> None:
    """Drop the cached calendar; the next :func:`default_calendar` reads the database."""
    with _lock:
        _cache.clear()


def loaded_arrangements() -> dict[int, Arrangement]:
    """Every loaded arrangement, by year (one query)."""
    return {row.year: row.arrangement() for row in HolidayArrangement.objects.all()}


@dataclass(frozen=True)
class YearStatus:
    """One line of the administrators' list: where a year's working days come from."""

    year: int
    kind: str  # "built_in", "loaded" or "provisional" (weekends only)
    source: str = ""
    holidays: int = 0
    workdays: int = 0
    row: HolidayArrangement | None = None


def year_statuses(today: dt.date) -> list[YearStatus]:
    """Built-in years, loaded years, and every year from the first uncovered one through next
    year that has no arrangement (flagged provisional), newest first (one query)."""
    rows = {row.year: row for row in HolidayArrangement.objects.select_related("loaded_by")}
    last = max([today.year + 1, *rows])
    return [_status(year, rows.get(year)) for year in range(last, FIRST_LISTED_YEAR - 1, -1)]


def _status(year: int, row: HolidayArrangement | None) -> YearStatus:
    built_in = built_in_arrangement(year)
    if built_in is not None:
        return YearStatus(
            year, "built_in", built_in.source, len(built_in.holidays), len(built_in.workdays)
        )
    if row is not None:
        return YearStatus(year, "loaded", row.source, len(row.holidays), len(row.workdays), row)
    return YearStatus(year, "provisional")
