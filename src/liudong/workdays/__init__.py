"""Working days (工作日) for statutory time limits: weekends, and the State Council's yearly
holiday arrangement (built in for 2004–2026 from ``chinese_calendar``; later years loaded by an
administrator). A deadline that runs through a year without an arrangement is provisional.

    from liudong.workdays import add_working_days, is_workday, Deadline

    due = add_working_days(received_on, 20)  # 行政许可法 art. 42: twenty working days
    due.date, due.provisional, due.years_without_arrangement

The functions use :func:`default_calendar` (built from the database, cached); the pure
calendar is ``liudong.workdays.calendar.Calendar``. Importing this package does not touch
the database, so it is safe in ``INSTALLED_APPS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liudong.workdays.calendar import Deadline

if TYPE_CHECKING:
    import datetime as dt

    from liudong.workdays.calendar import Calendar

__all__ = [
    "Deadline",
    "add_working_days",
    "default_calendar",
    "is_workday",
    "working_days_between",
]


def default_calendar() -> Calendar:
    """The calendar of the built-in and loaded years (cached; see ``selectors``)."""
    from liudong.workdays import selectors  # models: only once Django's apps are ready

    return selectors.default_calendar()


def add_working_days(start: dt.date, n: int) -> Deadline:
    """The ``n``-th working day after ``start`` (``start`` never counts; n ≥ 1)."""
    return default_calendar().add_working_days(start, n)


def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is a working day (Monday to Friday where no arrangement is known)."""
    return default_calendar().is_workday(day)


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Working days after ``a`` up to and including ``b`` (negative if ``b`` < ``a``)."""
    return default_calendar().working_days_between(a, b)
