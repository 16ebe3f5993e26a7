"""The benchmark rule set for liudong (synthetic, not law; every citation is ``MODEL``).

Settlement points, for each person, in the city where the person lives (``residence_region``):

* social-insurance points: whole years of contributions x the city's points per year, capped;
* residence points: whole years of residence x the city's points per year;
* education points: by the city and the person's education;
* an age bonus: a national bracket scale on age in whole years;
* eligible when the total reaches the city's threshold.

Household income test, for each household, in its city (``household_region``): eligible when the
members' total monthly income is below the city's standard x members; the payment tops the
income up to that amount. Parameters (``parameters/*.yaml``) have a value per city code, a
national fallback and two dated values each, so the evaluation date matters.
"""

from __future__ import annotations

import functools

import numpy as np

from liudong.rules import (
    BOOL,
    DATE,
    FLOAT,
    HOUSEHOLD,
    INT,
    MONEY,
    PERSON,
    REGION,
    Category,
    Column,
    Members,
    RuleSystem,
    Threshold,
    floor_div,
    input_variable,
    variable,
    where,
    years_between,
)

EDUCATION = Category(
    "education",
    (
        "none",
        "primary",
        "junior_secondary",
        "senior_secondary",
        "junior_college",
        "bachelor",
        "master",
        "doctor",
    ),
    labels={
        "none": {"zh": "未上过学", "en": "no schooling"},
        "primary": {"zh": "小学", "en": "primary school"},
        "junior_secondary": {"zh": "初中", "en": "junior secondary school"},
        "senior_secondary": {"zh": "高中", "en": "senior secondary school"},
        "junior_college": {"zh": "大学专科", "en": "junior college"},
        "bachelor": {"zh": "大学本科", "en": "bachelor's degree"},
        "master": {"zh": "硕士研究生", "en": "master's degree"},
        "doctor": {"zh": "博士研究生", "en": "doctorate"},
    },
)

CITE = "MODEL benchmark rule set"

# ---------------------------------------------------------------- inputs

birth_date = input_variable(
    "birth_date",
    PERSON,
    DATE,
    label={"zh": "出生日期", "en": "date of birth"},
    unit="date",
    cite=CITE,
)
education = input_variable(
    "education",
    PERSON,
    EDUCATION,
    label={"zh": "最高学历", "en": "highest education"},
    unit="category",
    cite=CITE,
)
residence_region = input_variable(
    "residence_region",
    PERSON,
    REGION,
    label={"zh": "居住地", "en": "place of residence"},
    unit="GB/T 2260 code",
    cite=CITE,
)
months_resident = input_variable(
    "months_resident",
    PERSON,
    INT,
    label={"zh": "在居住地连续居住月数", "en": "months of residence in the city"},
    unit="months",
    cite=CITE,
)
si_months = input_variable(
    "si_months",
    PERSON,
    INT,
    label={"zh": "社会保险缴费月数", "en": "months of social-insurance contributions"},
    unit="months",
    cite=CITE,
)
monthly_income = input_variable(
    "monthly_income",
    PERSON,
    MONEY,
    label={"zh": "月收入", "en": "monthly income"},
    unit="yuan/month",
    cite=CITE,
)
household_region = input_variable(
    "household_region",
    HOUSEHOLD,
    REGION,
    label={"zh": "家庭所在地", "en": "place of the household"},
    unit="GB/T 2260 code",
    cite=CITE,
)

# ---------------------------------------------------------------- settlement points (person)


@variable(PERSON, INT, label={"zh": "年龄", "en": "age"}, unit="years", cite=CITE)
def age(birth_date: Column, as_of: Column) -> Column:
    return years_between(birth_date, as_of)


@variable(
    PERSON, INT, label={"zh": "社保缴费年限", "en": "social insurance"}, unit="year", cite=CITE
)
def si_years(si_months: Column) -> Column:
    return si_months // 12


@variable(
    PERSON, INT, label={"zh": "居住年限", "en": "years of residence"}, unit="years", cite=CITE
)
def residence_years(months_resident: Column) -> Column:
    return months_resident // 12


@variable(
    PERSON,
    FLOAT,
    label={"zh": "社保积分", "en": "social-insurance points"},
    unit="points",
    cite=CITE,
)
def si_points(si_years: Column, si_points_per_year: Column, si_points_cap: Column) -> Column:
    return np.minimum(si_years * si_points_per_year, si_points_cap)


@variable(
    PERSON, FLOAT, label={"zh": "居住积分", "en": "residence points"}, unit="points", cite=CITE
)
def residence_points(residence_years: Column, residence_points_per_year: Column) -> Column:
    return residence_years * residence_points_per_year


@variable(
    PERSON, FLOAT, label={"zh": "学历积分", "en": "education points"}, unit="points", cite=CITE
)
def education_score(education_points: Column) -> Column:
    return education_points


@variable(PERSON, FLOAT, label={"zh": "年龄加分", "en": "age bonus"}, unit="points", cite=CITE)
def age_points(age_bonus: Column) -> Column:
    return age_bonus


@variable(
    PERSON, FLOAT, label={"zh": "落户积分", "en": "settlement points"}, unit="points", cite=CITE
)
def settlement_points(
    si_points: Column, residence_points: Column, education_score: Column, age_points: Column
) -> Column:
    return si_points + residence_points + education_score + age_points


@variable(
    PERSON,
    BOOL,
    label={"zh": "符合积分落户条件", "en": "eligible to settle on points"},
    unit="yes/no",
    cite=CITE,
    hint=Threshold(
        "settlement_points",
        "settlement_points_threshold",
        lever="si_years",
        lever_effect="si_points_per_year",
    ),
)
def settlement_eligible(settlement_points: Column, settlement_points_threshold: Column) -> Column:
    return settlement_points >= settlement_points_threshold


# ---------------------------------------------------------------- income test (household)


@variable(
    HOUSEHOLD,
    INT,
    label={"zh": "家庭人数", "en": "members of the household"},
    unit="persons",
    cite=CITE,
)
def household_size(monthly_income: Members) -> Column:
    return monthly_income.count()


@variable(
    HOUSEHOLD,
    MONEY,
    label={"zh": "家庭月收入", "en": "household monthly income"},
    unit="yuan/month",
    cite=CITE,
)
def household_income(monthly_income: Members) -> Column:
    return monthly_income.sum()


@variable(
    HOUSEHOLD,
    MONEY,
    label={"zh": "家庭人均月收入", "en": "per-capita monthly income"},
    unit="yuan/person/month",
    cite=CITE,
)
def per_capita_income(household_income: Column, household_size: Column) -> Column:
    return floor_div(household_income, household_size)


@variable(
    HOUSEHOLD,
    BOOL,
    label={"zh": "符合收入标准", "en": "below the city's income standard"},
    unit="yes/no",
    cite=CITE,
    hint=Threshold("per_capita_income", "assistance_standard"),
)
def assistance_eligible(
    household_income: Column, household_size: Column, assistance_standard: Column
) -> Column:
    """The exact test: total income below standard x members (per capita, without rounding)."""
    return (household_income < assistance_standard * household_size) & (household_size > 0)


@variable(
    HOUSEHOLD, MONEY, label={"zh": "补差金额", "en": "top-up payment"}, unit="yuan/month", cite=CITE
)
def assistance_payment(
    assistance_eligible: Column,
    assistance_standard: Column,
    household_size: Column,
    household_income: Column,
) -> Column:
    return where(assistance_eligible, assistance_standard * household_size - household_income, 0)


PERSON_VARIABLES = (
    "age",
    "si_years",
    "residence_years",
    "si_points",
    "residence_points",
    "education_score",
    "age_points",
    "settlement_points",
    "settlement_eligible",
)
HOUSEHOLD_VARIABLES = (
    "household_size",
    "household_income",
    "per_capita_income",
    "assistance_eligible",
    "assistance_payment",
)
#: Every computed variable: what a benchmark run calculates.
ALL_VARIABLES = PERSON_VARIABLES + HOUSEHOLD_VARIABLES


@functools.cache
def system() -> RuleSystem:
    """The benchmark rule system (this module and its parameters only), built once."""
    return RuleSystem([__name__])
