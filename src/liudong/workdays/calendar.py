"""Working days in mainland China: the weekly rest days and the State Council's yearly
holiday arrangement. Pure: no Django, no clock.

The law counts many time limits in working days (工作日), e.g. the Administrative Licensing Law
(《中华人民共和国行政许可法》) arts. 42 and 45. A day is a working day unless it is a Saturday or
Sunday (《国务院关于职工工作时间的规定》 art. 7) or a holiday of the year's arrangement; the
arrangement also moves some working days onto weekends (调休, "make-up working days"). The
State Council General Office publishes it each year (国务院办公厅关于××年部分节假日安排的通知),
usually in November or December of the year before, applying 《全国年节及纪念日放假办法》.

Years 2004 to 2026 come from the ``chinese_calendar`` package; later years from arrangements
loaded by an administrator. A year with neither counts weekends only, and every deadline that
runs through it is *provisional*: it may move once the arrangement is published.

    >>> cal = Calendar({})
    >>> cal.add_working_days(dt.date(2026, 2, 13), 1)  # Friday before the Spring Festival
    Deadline(date=datetime.date(2026, 2, 14), provisional=False, years_without_arrangement=())
    >>> cal.add_working_days(dt.date(2027, 1, 8), 1).provisional
    True
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import chinese_calendar  # type: ignore[import-untyped]  # ships no type information

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

SATURDAY = 5
BUILT_IN_SOURCE = "国务院办公厅关于{year}年部分节假日安排的通知 (chinese-calendar {version})"


class ArrangementError(ValueError):
    """An arrangement that cannot be a State Council arrangement: ``code`` names the rule,
    ``field`` the list at fault (``holidays`` or ``workdays``), ``dates`` the dates."""

    def __init__(self, code: str, field: str, dates: Iterable[dt.date] = ()) -> None:
        self.code, self.field, self.dates = code, field, tuple(sorted(dates))
        super().__init__(f"{code} in {field}: {', '.join(map(str, self.dates))}")


@dataclass(frozen=True)
class Arrangement:
    """One year's published arrangement: the dates off (放假) and the weekend dates worked
    (调休上班), with the notice it comes from. An instance is always consistent: every date
    inside ``year``, at least one holiday, no date both off and worked, make-up working
    days only on Saturdays and Sundays (otherwise :class:`ArrangementError`)."""

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    source: str
    published_on: dt.date | None = None

    def __post_init__(self) -> None:
        if not self.holidays:
            raise ArrangementError("holidays_empty", "holidays")
        for name, dates in (("holidays", self.holidays), ("workdays", self.workdays)):
            outside = [d for d in dates if d.year != self.year]
            if outside:
                raise ArrangementError("date_outside_year", name, outside)
        if both := self.holidays & self.workdays:
            raise ArrangementError("date_off_and_worked", "workdays", both)
        if weekdays := [d for d in self.workdays if d.weekday() < SATURDAY]:
            raise ArrangementError("workday_not_weekend", "workdays", weekdays)

    def is_workday(self, day: dt.date) -> bool:
        """Worked if made up, off if a holiday, otherwise Monday to Friday."""
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() < SATURDAY


@dataclass(frozen=True)
class Deadline:
    """The day a time limit counted in working days ends. ``provisional`` when the count ran
    through a year without a published arrangement (``years_without_arrangement``): weekends
    were skipped there, holidays could not be."""

    date: dt.date
    provisional: bool
    years_without_arrangement: tuple[int, ...] = field(default=())


@functools.cache
def built_in_arrangement(year: int) -> Arrangement | None:
    """The ``chinese_calendar`` data of ``year``, or None where it has none (it raises
    NotImplementedError outside its years; that never escapes)."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return None
    version = str(getattr(chinese_calendar, "__version__", "?"))
    return Arrangement(
        year=year,
        holidays=frozenset(d for d in chinese_calendar.holidays if d.year == year),
        workdays=frozenset(d for d in chinese_calendar.workdays if d.year == year),
        source=BUILT_IN_SOURCE.format(year=year, version=version),
    )


def _days_after(start: dt.date) -> Iterator[dt.date]:
    day = start
    while True:
        day += dt.timedelta(days=1)
        yield day


class Calendar:
    """Working days from the built-in years and ``arrangements`` (loaded years, by year).
    A built-in year always wins over a loaded one."""

    def __init__(self, arrangements: Mapping[int, Arrangement]) -> None:
        self._loaded = dict(arrangements)

    def arrangement(self, year: int) -> Arrangement | None:
        """The arrangement in force for ``year``, or None (weekends only, provisional)."""
        return built_in_arrangement(year) or self._loaded.get(year)

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day; without an arrangement, Monday to Friday."""
        found = self.arrangement(day.year)
        return found.is_workday(day) if found else day.weekday() < SATURDAY

    def add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The ``n``-th working day after ``start`` (``start`` itself never counts; n ≥ 1)."""
        if n < 1:
            raise ValueError(f"a time limit counts at least one working day, not {n}")
        counted, missing = 0, set()
        for day in _days_after(start):
            if self.arrangement(day.year) is None:
                missing.add(day.year)
            counted += self.is_workday(day)
            if counted == n:
                return Deadline(day, bool(missing), tuple(sorted(missing)))
        raise AssertionError("unreachable: the days after start never end")  # pragma: no cover

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after ``a`` up to and including ``b``, so that
        ``working_days_between(s, add_working_days(s, n).date) == n``; negative if b < a."""
        if b < a:
            return -self.working_days_between(b, a)
        days = (a + dt.timedelta(days=i) for i in range(1, (b - a).days + 1))
        return sum(self.is_workday(d) for d in days)
