"""Pension rules (pure: no Django): the statutory retirement age.

The 2024 NPCSC decision (RA24) raises the statutory retirement age from 2025-01-01 month by
month per birth cohort: men 60 -> 63 and women originally 55 -> 58 by one month every four
months, women originally 50 -> 55 by one month every two months. Before 2025 the original ages
applied. The settlement domain's "below retirement age" precondition reads these variables.
"""

from __future__ import annotations

import numpy as np

from liudong.rules import (
    DATE,
    INT,
    PERSON,
    Category,
    Column,
    add_months,
    input_variable,
    month_index,
    months_between,
    variable,
    where,
)

RETIREMENT_GROUP = Category(
    "retirement_group",
    ("men", "women_55", "women_50"),
    labels={
        "men": {"zh": "男职工", "en": "men"},
        "women_55": {
            "zh": "原法定退休年龄为五十五周岁的女职工",
            "en": "women originally retiring at 55",
        },
        "women_50": {
            "zh": "原法定退休年龄为五十周岁的女职工",
            "en": "women originally retiring at 50",
        },
    },
)

birth_date = input_variable(
    "birth_date",
    PERSON,
    DATE,
    label={"zh": "出生日期", "en": "date of birth"},
    unit="date",
    cite="GB11643 4.2",
    doc="As encoded in the resident identity number (GB 11643, birth-date code).",
)

retirement_group = input_variable(
    "retirement_group",
    PERSON,
    RETIREMENT_GROUP,
    label={"zh": "退休年龄类别", "en": "retirement-age group"},
    unit="category",
    cite="RA24 决定 第一条",
    doc="Which original statutory age applies: men (60), women cadres (55), women workers (50).",
)


@variable(
    PERSON,
    INT,
    label={"zh": "法定退休年龄（月）", "en": "statutory retirement age (months)"},
    unit="months",
    cite="GWY78 第一条",
    until="2024-12-31",
)
def statutory_retirement_age_months(original_retirement_age_months: Column) -> Column:
    """Before 2025 the original ages applied: men 60, women 55 or 50."""
    return original_retirement_age_months


@statutory_retirement_age_months.since("2025-01-01", cite="RA24 办法 第二条")
def _statutory_retirement_age_months_ra24(
    birth_date: Column,
    original_retirement_age_months: Column,
    retirement_delay_pace_months: Column,
    retirement_delay_cap_months: Column,
    retirement_reform_start: Column,
) -> Column:
    """Delay = min(cap, floor(k / pace) + 1) months, where k counts the months from the
    reform's start to the month the person would have retired at the original age (k >= 0)."""
    would_retire = month_index(birth_date) + original_retirement_age_months
    k = would_retire - month_index(retirement_reform_start)
    delay = np.minimum(retirement_delay_cap_months, k // retirement_delay_pace_months + 1)
    return original_retirement_age_months + where(k >= 0, delay, 0)


@variable(
    PERSON,
    DATE,
    label={"zh": "法定退休日期", "en": "statutory retirement date"},
    unit="date",
    cite="RA24 办法 第二条",
)
def statutory_retirement_date(
    birth_date: Column,
    statutory_retirement_age_months: Column,
) -> Column:
    """The day the person reaches the statutory retirement age."""
    return add_months(birth_date, statutory_retirement_age_months)


@variable(
    PERSON,
    INT,
    label={"zh": "距法定退休年龄的月数", "en": "months to statutory retirement age"},
    unit="months",
    cite="RA24 办法 第二条",
)
def months_to_retirement(
    as_of: np.datetime64,
    birth_date: Column,
    statutory_retirement_age_months: Column,
) -> Column:
    """Whole months from the evaluation date to the retirement date (negative once past it)."""
    return statutory_retirement_age_months - months_between(birth_date, as_of)
