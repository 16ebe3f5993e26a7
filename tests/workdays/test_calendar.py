"""The pure calendar (``liudong.workdays.calendar``): concrete deadlines across the 2026 Spring
Festival and the 2025 National Day as chinese-calendar 1.11 records them, years without an
arrangement, and the invariants of counting working days (hypothesis)."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liudong.workdays.calendar import (
    Arrangement,
    ArrangementError,
    Calendar,
    Deadline,
    built_in_arrangement,
)

D = dt.date
CALENDAR = Calendar({})
TEST_2027 = Arrangement(  # TEST DATA, not the (unpublished) 2027 arrangement
    year=2027,
    holidays=frozenset({D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)}),
    workdays=frozenset({D(2027, 1, 9)}),
    source="TEST ARRANGEMENT",
)
LOADED = Calendar({2027: TEST_2027})


def due(start: dt.date, n: int, calendar: Calendar = CALENDAR) -> dt.date:
    return calendar.add_working_days(start, n).date


# ---------------------------------------------------------------------------------------------
# Built-in years, as published (chinese-calendar 1.11).


def test_spring_festival_2026_is_nine_days_off_with_two_make_up_saturdays() -> None:
    spring = built_in_arrangement(2026)
    assert spring is not None
    assert {D(2026, 2, 15) + dt.timedelta(days=i) for i in range(9)} <= spring.holidays
    assert {D(2026, 2, 14), D(2026, 2, 28)} <= spring.workdays


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, D(2026, 2, 13)),  # Friday
        (2, D(2026, 2, 14)),  # Saturday, worked (调休)
        (3, D(2026, 2, 24)),  # Tuesday after 15–23 February off
        (7, D(2026, 2, 28)),  # Saturday, worked
        (8, D(2026, 3, 2)),
    ],
)
def test_deadline_across_the_2026_spring_festival(n: int, expected: dt.date) -> None:
    assert CALENDAR.add_working_days(D(2026, 2, 12), n) == Deadline(expected, False, ())


def test_a_deadline_starting_inside_the_holiday_counts_from_the_first_day_back() -> None:
    assert due(D(2026, 2, 16), 1) == D(2026, 2, 24)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, D(2025, 9, 28)),  # Sunday, worked (调休)
        (2, D(2025, 9, 29)),
        (3, D(2025, 9, 30)),
        (4, D(2025, 10, 9)),  # after 1–8 October off (National Day and Mid-Autumn)
        (6, D(2025, 10, 11)),  # Saturday, worked
        (7, D(2025, 10, 13)),
    ],
)
def test_deadline_across_national_day_2025(n: int, expected: dt.date) -> None:
    assert due(D(2025, 9, 26), n) == expected


def test_make_up_days_are_working_days_and_holidays_are_not() -> None:
    assert CALENDAR.is_workday(D(2025, 9, 28))
    assert not CALENDAR.is_workday(D(2025, 10, 6))
    assert not CALENDAR.is_workday(D(2025, 9, 27))  # an ordinary Saturday


# ---------------------------------------------------------------------------------------------
# Years without an arrangement: weekends only, provisional.


def test_deadline_into_2027_without_an_arrangement_is_provisional() -> None:
    deadline = CALENDAR.add_working_days(D(2026, 12, 24), 10)
    assert deadline == Deadline(D(2027, 1, 7), True, (2027,))
    assert CALENDAR.is_workday(D(2027, 1, 1))  # no arrangement: a Friday is a Friday


def test_the_same_deadline_with_a_2027_arrangement_is_final() -> None:
    assert LOADED.add_working_days(D(2026, 12, 24), 10) == Deadline(D(2027, 1, 8), False, ())
    assert due(D(2026, 12, 24), 11, LOADED) == D(2027, 1, 9)  # the make-up Saturday


def test_a_deadline_inside_a_covered_year_is_final_even_if_later_years_are_not() -> None:
    assert not CALENDAR.add_working_days(D(2026, 12, 1), 5).provisional


def test_years_outside_chinese_calendar_never_raise() -> None:
    assert built_in_arrangement(2027) is None
    assert built_in_arrangement(2003) is None
    assert CALENDAR.add_working_days(D(2003, 12, 30), 2) == Deadline(D(2004, 1, 2), True, (2003,))


def test_a_built_in_year_wins_over_a_loaded_one() -> None:
    other = Arrangement(2026, frozenset({D(2026, 3, 2)}), frozenset(), "loaded")
    assert Calendar({2026: other}).is_workday(D(2026, 3, 2))


@pytest.mark.parametrize("n", [0, -1])
def test_a_time_limit_counts_at_least_one_day(n: int) -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        CALENDAR.add_working_days(D(2026, 1, 5), n)


def test_working_days_between_counts_after_the_first_day_up_to_the_last() -> None:
    assert CALENDAR.working_days_between(D(2026, 2, 12), D(2026, 2, 24)) == 3
    assert CALENDAR.working_days_between(D(2026, 2, 24), D(2026, 2, 12)) == -3
    assert CALENDAR.working_days_between(D(2026, 2, 12), D(2026, 2, 12)) == 0


# ---------------------------------------------------------------------------------------------
# What an arrangement may not be.


@pytest.mark.parametrize(
    ("holidays", "workdays", "code", "field"),
    [
        (set(), set(), "holidays_empty", "holidays"),
        ({D(2028, 1, 1)}, set(), "date_outside_year", "holidays"),
        ({D(2027, 1, 1)}, {D(2026, 12, 26)}, "date_outside_year", "workdays"),
        ({D(2027, 1, 2)}, {D(2027, 1, 2)}, "date_off_and_worked", "workdays"),
        ({D(2027, 1, 1)}, {D(2027, 1, 4)}, "workday_not_weekend", "workdays"),
    ],
)
def test_an_inconsistent_arrangement_cannot_be_built(
    holidays: set[dt.date], workdays: set[dt.date], code: str, field: str
) -> None:
    with pytest.raises(ArrangementError) as raised:
        Arrangement(2027, frozenset(holidays), frozenset(workdays), "TEST")
    assert (raised.value.code, raised.value.field) == (code, field)


# ---------------------------------------------------------------------------------------------
# Invariants (hypothesis).

starts = st.dates(D(2003, 6, 1), D(2029, 12, 31))
counts = st.integers(1, 60)


@st.composite
def arrangements_2030(draw: st.DrawFn) -> Arrangement:
    """Any consistent arrangement of 2030 (a year no one has published)."""
    days = st.dates(D(2030, 1, 1), D(2030, 12, 31))
    holidays = draw(st.frozensets(days, min_size=1, max_size=40))
    weekends = days.filter(lambda d: d.weekday() >= 5 and d not in holidays)
    return Arrangement(2030, holidays, draw(st.frozensets(weekends, max_size=10)), "TEST")


calendars = st.one_of(
    st.just(CALENDAR),
    st.just(LOADED),
    arrangements_2030().map(lambda a: Calendar({2027: TEST_2027, 2030: a})),
)


@pytest.mark.property
@given(calendars, starts, counts, counts)
def test_adding_n_then_m_working_days_is_adding_n_plus_m(
    calendar: Calendar, start: dt.date, n: int, m: int
) -> None:
    first = calendar.add_working_days(start, n)
    both = calendar.add_working_days(first.date, m)
    at_once = calendar.add_working_days(start, n + m)
    assert both.date == at_once.date
    assert set(first.years_without_arrangement) | set(both.years_without_arrangement) == set(
        at_once.years_without_arrangement
    )


@pytest.mark.property
@given(calendars, starts, counts)
def test_a_deadline_is_a_working_day_n_working_days_on(
    calendar: Calendar, start: dt.date, n: int
) -> None:
    deadline = calendar.add_working_days(start, n)
    assert calendar.is_workday(deadline.date)
    assert calendar.working_days_between(start, deadline.date) == n
    assert deadline.provisional == bool(deadline.years_without_arrangement)


@pytest.mark.property
@given(calendars, starts, counts, counts)
def test_deadlines_grow_with_n(calendar: Calendar, start: dt.date, n: int, m: int) -> None:
    low, high = sorted((n, m))
    assert calendar.add_working_days(start, low).date <= calendar.add_working_days(start, high).date
    if low < high:
        assert (
            calendar.add_working_days(start, low).date < calendar.add_working_days(start, high).date
        )


def test_docstring_examples_run() -> None:
    from liudong.workdays import calendar

    result = doctest.testmod(calendar)
    assert result.failed == 0
    assert result.attempted > 0
