"""Minimum living guarantee (低保) rules (pure: no Django).

SA14 art. 9: a family whose co-resident members' per-capita income is below the local standard
and whose property meets the local rules receives the guarantee; art. 12: the monthly payment
is the difference between the standard and the per-capita income, for each member. The Social
Assistance Law (SAL26) replaces the Interim Measures from 2026-07-01 and keeps this substance;
its article numbers are not yet confirmed, so its citations are provisional.

Eligibility compares the household's total income with standard x members, which is the same
test as per-capita income < standard without rounding; the payment is standard x members minus
total income, exact in fen.
"""

from __future__ import annotations

from liudong.rules import (
    BOOL,
    HOUSEHOLD,
    INT,
    MONEY,
    PERSON,
    REGION,
    Column,
    Members,
    Threshold,
    floor_div,
    input_variable,
    variable,
    where,
)

household_region = input_variable(
    "household_region",
    HOUSEHOLD,
    REGION,
    label={"zh": "家庭所在地", "en": "place of the household"},
    unit="GB/T 2260 code",
    cite="SA14 第十一条",
    doc="Where the household applies: the county-level division of its hukou or residence.",
)

monthly_income = input_variable(
    "monthly_income",
    PERSON,
    MONEY,
    label={"zh": "月收入", "en": "monthly income"},
    unit="yuan/month",
    cite="DB21 第十三条",
    doc="Income counted for the test: wages, business, property and transfer income.",
)

passes_asset_test = input_variable(
    "passes_asset_test",
    HOUSEHOLD,
    BOOL,
    label={"zh": "家庭财产状况符合规定", "en": "household property within the local limits"},
    unit="yes/no",
    cite="SA14 第九条",
)


@variable(
    HOUSEHOLD,
    INT,
    label={"zh": "共同生活家庭成员人数", "en": "members of the household"},
    unit="persons",
    cite="DB21 第六条",
)
def household_size(monthly_income: Members) -> Column:
    return monthly_income.count()


@variable(
    HOUSEHOLD,
    MONEY,
    label={"zh": "家庭月收入", "en": "household monthly income"},
    unit="yuan/month",
    cite="DB21 第十三条",
)
def household_income(monthly_income: Members) -> Column:
    return monthly_income.sum()


@variable(
    HOUSEHOLD,
    MONEY,
    label={"zh": "家庭人均月收入", "en": "per-capita monthly income"},
    unit="yuan/person/month",
    cite="SA14 第九条",
)
def per_capita_income(household_income: Column, household_size: Column) -> Column:
    """Shown rounded down to the fen; the tests below use the exact total instead."""
    return floor_div(household_income, household_size)


@variable(
    HOUSEHOLD,
    BOOL,
    label={"zh": "符合最低生活保障条件", "en": "eligible for the minimum living guarantee"},
    unit="yes/no",
    cite="SA14 第九条",
    until="2026-06-30",
    hint=Threshold("per_capita_income", "dibao_standard"),
)
def dibao_eligible(
    household_income: Column,
    household_size: Column,
    dibao_standard: Column,
    passes_asset_test: Column,
) -> Column:
    below = household_income < dibao_standard * household_size
    return below & passes_asset_test & (household_size > 0)


# The Social Assistance Law keeps the test's substance from 2026-07-01 (article to be confirmed).
dibao_eligible.continues("2026-07-01", cite="SAL26 最低生活保障（条款待确认）")


@variable(
    HOUSEHOLD,
    MONEY,
    label={"zh": "最低生活保障金（月）", "en": "minimum living allowance (monthly)"},
    unit="yuan/month",
    cite="SA14 第十二条",
    until="2026-06-30",
)
def dibao_payment(
    dibao_eligible: Column,
    dibao_standard: Column,
    household_size: Column,
    household_income: Column,
) -> Column:
    return where(dibao_eligible, dibao_standard * household_size - household_income, 0)


# ... and the payment's (article to be confirmed).
dibao_payment.continues("2026-07-01", cite="SAL26 最低生活保障（条款待确认）")
