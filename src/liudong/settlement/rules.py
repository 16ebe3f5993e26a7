"""Settlement rules (pure: no Django): city size classes and the settlement policy per class.

Opinions §(4): "fully lift settlement restrictions in cities with an urban resident population
under 3 million, fully relax them in cities of 3 to 5 million, improve the points-based
settlement policies of mega and super-large cities, simplify their items, and make years of
social insurance and of residence carry the main weight". The size class follows the 2014
standard (CS14) measured on the urban-district (城区) resident population; the policy for each
class is dated by the documents that set it (HK14, ND19, SM19, ND20, ND21).
"""

from __future__ import annotations

import numpy as np

from liudong.rules import (
    BOOL,
    INT,
    PERSON,
    REGION,
    Category,
    Column,
    Threshold,
    input_variable,
    variable,
    where,
)

SIZE_CLASS = Category(
    "size_class",
    ("small_2", "small_1", "medium", "large_2", "large_1", "mega", "super_large", "below_3m"),
    labels={
        "small_2": {"zh": "II型小城市", "en": "small city, type II"},
        "small_1": {"zh": "I型小城市", "en": "small city, type I"},
        "medium": {"zh": "中等城市", "en": "medium-sized city"},
        "large_2": {"zh": "II型大城市", "en": "large city, type II"},
        "large_1": {"zh": "I型大城市", "en": "large city, type I"},
        "mega": {"zh": "特大城市", "en": "mega city"},
        "super_large": {"zh": "超大城市", "en": "super-large city"},
        "below_3m": {
            "zh": "城区人口300万以下城市",
            "en": "city under 3 million (class not listed)",
        },
    },
)

POLICY = Category(
    "settlement_policy",
    ("open", "orderly_open", "conditional", "controlled", "relaxed", "points"),
    labels={
        "open": {"zh": "全面取消落户限制", "en": "no settlement restrictions"},
        "orderly_open": {"zh": "有序放开落户限制", "en": "restrictions lifted in an orderly way"},
        "conditional": {
            "zh": "合理放开落户限制（就业、住所、社保年限条件）",
            "en": "settlement on job, residence and social-insurance conditions",
        },
        "controlled": {
            "zh": "合理确定落户条件（可实行积分落户）",
            "en": "controlled settlement (points system allowed)",
        },
        "relaxed": {"zh": "全面放宽落户条件", "en": "settlement conditions fully relaxed"},
        "points": {"zh": "积分落户", "en": "points-based settlement"},
    },
)

residence_region = input_variable(
    "residence_region",
    PERSON,
    REGION,
    label={"zh": "居住地", "en": "place of residence"},
    unit="GB/T 2260 code",
    cite="RP15 第二条",
    doc="The county-level division where the person lives (GB/T 2260 code).",
)

hukou_region = input_variable(
    "hukou_region",
    PERSON,
    REGION,
    label={"zh": "户籍地", "en": "place of household registration"},
    unit="GB/T 2260 code",
    cite="RP15 第二条",
)

months_resident = input_variable(
    "months_resident",
    PERSON,
    INT,
    label={"zh": "在居住地连续居住月数", "en": "months of residence in the city"},
    unit="months",
    cite="RP15 第二条",
)

has_stable_job = input_variable(
    "has_stable_job",
    PERSON,
    BOOL,
    label={"zh": "有合法稳定就业", "en": "has a legal, stable job"},
    unit="yes/no",
    cite="RP15 第二条",
)

has_stable_residence = input_variable(
    "has_stable_residence",
    PERSON,
    BOOL,
    label={"zh": "有合法稳定住所", "en": "has a legal, stable residence"},
    unit="yes/no",
    cite="RP15 第二条",
)

is_studying = input_variable(
    "is_studying",
    PERSON,
    BOOL,
    label={"zh": "连续就读", "en": "in continuous study"},
    unit="yes/no",
    cite="RP15 第二条",
)


def _city(code: np.ndarray) -> np.ndarray:
    """The prefecture-level city of a code; a municipality counts as one city."""
    province = code // 10000
    municipality = np.isin(province, (11, 12, 31, 50))
    return where(municipality, province * 10000, code // 100 * 100)


@variable(
    PERSON,
    BOOL,
    label={"zh": "户籍不在居住城市", "en": "hukou outside the city of residence"},
    unit="yes/no",
    cite="RP15 第二条",
)
def hukou_elsewhere(residence_region: Column, hukou_region: Column) -> Column:
    return _city(residence_region) != _city(hukou_region)


@variable(
    PERSON,
    INT,
    label={"zh": "居住城市城区常住人口", "en": "urban-district population of the city"},
    unit="persons",
    cite="CS14 一",
)
def city_urban_population(census_urban_population: Column) -> Column:
    """The 7th-census urban-district population where published (0 where not listed)."""
    return census_urban_population


@variable(
    PERSON,
    SIZE_CLASS,
    label={"zh": "居住城市规模等级", "en": "size class of the city"},
    unit="class",
    cite="CS14 一",
)
def city_size_class(
    city_urban_population: Column,
    size_class_by_population: Column,
    census_size_class: Column,
) -> Column:
    """CS14 classes by urban-district population; where only list membership is published,
    the census list decides; a city on none of the lists of 3 million and more is below 3M."""
    return where(city_urban_population > 0, size_class_by_population, census_size_class)


@variable(
    PERSON,
    POLICY,
    label={"zh": "居住城市落户政策", "en": "settlement policy of the city"},
    unit="policy",
    cite="SM19 (4)",
)
def settlement_policy(settlement_policy_by_class: Column) -> Column:
    """The policy the documents in force set for the city's size class."""
    return settlement_policy_by_class


@variable(
    PERSON,
    BOOL,
    label={"zh": "可直接落户（无限制）", "en": "may settle without restrictions"},
    unit="yes/no",
    cite="SM19 (4)",
)
def settlement_unrestricted(settlement_policy: Column, hukou_elsewhere: Column) -> Column:
    """In a city without settlement restrictions a resident from elsewhere may register
    (with a legal, stable residence, renting included: HK14, ND19)."""
    return hukou_elsewhere & (settlement_policy == POLICY.code("open"))


@variable(
    PERSON,
    BOOL,
    label={"zh": "符合居住证申领条件", "en": "eligible for a residence permit"},
    unit="yes/no",
    cite="RP15 第二条",
    hint=Threshold("months_resident", "residence_permit_min_months"),
)
def residence_permit_eligible(
    hukou_elsewhere: Column,
    months_resident: Column,
    residence_permit_min_months: Column,
    has_stable_job: Column,
    has_stable_residence: Column,
    is_studying: Column,
) -> Column:
    """Six months' residence in a city outside the hukou place, and one of: a legal stable job,
    a legal stable residence, or continuous study."""
    reason = has_stable_job | has_stable_residence | is_studying
    return hukou_elsewhere & (months_resident >= residence_permit_min_months) & reason
