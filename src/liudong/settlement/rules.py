"""Settlement rules (pure: no Django): city size classes and the settlement policy per class.

Opinions §(4): "fully lift settlement restrictions in cities with an urban resident population
under 3 million, fully relax them in cities of 3 to 5 million, improve the points-based
settlement policies of mega and super-large cities, simplify their items, and make years of
social insurance and of residence carry the main weight". The size class follows the 2014
standard (CS14) measured on the urban-district (城区) resident population; the policy for each
class is dated by the documents that set it (HK14, ND19, SM19, ND20, ND21).

The points schemes of the megacities follow: Beijing's points settlement (BJ16, and its 2020
revision BJ20, dated so that a round uses the version in force in its year) and Shanghai's
residence-permit points (SH13), which unlock permit benefits, not hukou. Every item is a
variable of hundredths-exact points; parameters carry the values, so the two Beijing versions
differ in parameter files, not in formulas. The facade that rounds, pages and simulations use is
``liudong.settlement.schemes``; docs/settlement.md explains the encoding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from liudong.rules import (
    BOOL,
    FLOAT,
    INT,
    MONEY,
    PERSON,
    REGION,
    Category,
    Column,
    Threshold,
    add_months,
    input_variable,
    variable,
    where,
    years_between,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from liudong.rules import Variable

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


# =====================================================================================
# Points schemes: facts shared by several cities
# =====================================================================================

EDUCATION_LEVEL = Category(
    "education_level",
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
        "none": {"zh": "无学历", "en": "none"},
        "primary": {"zh": "小学", "en": "primary school"},
        "junior_secondary": {"zh": "初中", "en": "junior secondary"},
        "senior_secondary": {"zh": "高中或中专", "en": "senior secondary"},
        "junior_college": {"zh": "大专（含高职）", "en": "junior college"},
        "bachelor": {"zh": "本科", "en": "bachelor's level"},
        "master": {"zh": "硕士研究生", "en": "master's level"},
        "doctor": {"zh": "博士研究生", "en": "doctoral level"},
    },
)

holds_residence_permit = input_variable(
    "holds_residence_permit",
    PERSON,
    BOOL,
    label={"zh": "持有本市居住证", "en": "holds the city's residence permit"},
    unit="yes/no",
    cite="RP15 第二条",
    doc="A valid residence permit of the city whose scheme is applied to.",
)

has_criminal_record = input_variable(
    "has_criminal_record",
    PERSON,
    BOOL,
    label={"zh": "有刑事犯罪记录", "en": "has a criminal record"},
    unit="yes/no",
    cite="BJ16 申请条件（无刑事犯罪记录）",
)

education = input_variable(
    "education",
    PERSON,
    EDUCATION_LEVEL,
    label={"zh": "最高学历（学位）", "en": "highest education"},
    unit="level",
    cite="BJ16 积分指标（教育背景）",
    doc="The highest state-recognised diploma or degree; the population's education column.",
)

education_matched = input_variable(
    "education_matched",
    PERSON,
    BOOL,
    label={"zh": "学历与学位相符", "en": "diploma and degree both held"},
    unit="yes/no",
    cite="BJ20 积分指标（教育背景）",
    doc="At bachelor's level and above: both the diploma (学历) and the degree (学位) are held.",
)

detention_records = input_variable(
    "detention_records",
    PERSON,
    INT,
    label={"zh": "行政拘留记录", "en": "administrative detention records"},
    unit="records",
    cite="BJ16 积分指标（守法记录）",
)


def _full_years(months: Column) -> Column:
    """Full years in a number of months (每满1年)."""
    return np.asarray(months, dtype=np.int64) // 12


# =====================================================================================
# Beijing points settlement (BJ16 from 2016-08-01; BJ20 from 2020-01-01)
# =====================================================================================
# Article numbers are not cited: the official text was not available (policy.md), so each
# rule cites the indicator by its name in the measures. A round in year Y is evaluated on a
# date of year Y, so the 2018 and 2019 rounds apply BJ16 and rounds from 2020 apply BJ20.

BJ16_END = "2019-12-31"
BJ20_START = "2020-01-01"

BJ_SHARE_TIER = Category(
    "bj_share_tier",
    ("none", "5m_20m", "20m_40m", "40m_plus"),
    labels={
        "none": {"zh": "无", "en": "none"},
        "5m_20m": {"zh": "500万元以上2000万元以下", "en": "5 to 20 million yuan"},
        "20m_40m": {"zh": "2000万元以上4000万元以下", "en": "20 to 40 million yuan"},
        "40m_plus": {"zh": "4000万元以上", "en": "40 million yuan and more"},
    },
)


def _bj_rule(
    vtype: Any,
    *,
    label: dict[str, str],
    unit: str,
    article: str,
    hint: Threshold | None = None,
) -> Callable[[Callable[..., Any]], Variable]:
    """A Beijing variable whose substance is the same in both versions: one formula, cited to
    BJ16 until 2019-12-31 and to BJ20 from 2020-01-01 (values differ in the parameters)."""

    def register(func: Callable[..., Any]) -> Variable:
        var = variable(
            PERSON,
            vtype,
            label=label,
            unit=unit,
            cite=f"BJ16 {article}",
            until=BJ16_END,
            hint=hint,
        )(func)
        return var.continues(BJ20_START, cite=f"BJ20 {article}")

    return register


def _bj_input(name: str, vtype: Any, zh: str, en: str, unit: str, article: str) -> Variable:
    return input_variable(
        name, PERSON, vtype, label={"zh": zh, "en": en}, unit=unit, cite=f"BJ16 {article}"
    )


si_months_beijing = _bj_input(
    "si_months_beijing",
    INT,
    "在京连续缴纳社会保险月数",
    "months of continuous Beijing social insurance",
    "months",
    "积分指标（合法稳定就业）",
)
bj_residence_own_months = _bj_input(
    "bj_residence_own_months",
    INT,
    "在京自有产权住所居住月数",
    "months in one's own Beijing home",
    "months",
    "积分指标（合法稳定住所）",
)
bj_residence_rent_months = _bj_input(
    "bj_residence_rent_months",
    INT,
    "在京租赁住所或单位宿舍居住月数",
    "months in a rented Beijing home or employer dormitory",
    "months",
    "积分指标（合法稳定住所）",
)
bj_study_overlap_months = _bj_input(
    "bj_study_overlap_months",
    INT,
    "在读期间在京就业或居住月数",
    "months of study overlapping Beijing work or residence",
    "months",
    "积分指标（教育背景）",
)
bj_outer_residence_only_years = _bj_input(
    "bj_outer_residence_only_years",
    INT,
    "居住地迁出城六区年数",
    "years living outside the six core districts",
    "years",
    "积分指标（职住区域）",
)
bj_outer_job_and_residence_years = _bj_input(
    "bj_outer_job_and_residence_years",
    INT,
    "就业和居住均迁出城六区年数",
    "years working and living outside the six core districts",
    "years",
    "积分指标（职住区域）",
)
bj_science_award_tier = _bj_input(
    "bj_science_award_tier",
    INT,
    "科技、文化奖项等级",
    "science or culture award grade",
    "grade (1 = highest, 0 = none)",
    "积分指标（创新创业）",
)
bj_competition_award_tier = _bj_input(
    "bj_competition_award_tier",
    INT,
    "创新创业大赛奖项等级",
    "innovation-competition award grade",
    "grade (1 = highest, 0 = none)",
    "积分指标（创新创业）",
)
bj_hitech_core_years = _bj_input(
    "bj_hitech_core_years",
    INT,
    "高新技术企业高管或核心技术人员年数",
    "years as senior manager or core technical staff of a high-tech firm",
    "years",
    "积分指标（创新创业）",
)
bj_incubator_startup_years = _bj_input(
    "bj_incubator_startup_years",
    INT,
    "孵化器内创业企业投资或就业年数",
    "years investing in or working for a start-up in a recognised incubator",
    "years",
    "积分指标（创新创业）",
)
bj_incubator_service_years = _bj_input(
    "bj_incubator_service_years",
    INT,
    "孵化器或科技服务机构就业或投资年数",
    "years working for or investing in an incubator or S&T service body",
    "years",
    "积分指标（创新创业）",
)
bj_hitech_share_tier = input_variable(
    "bj_hitech_share_tier",
    PERSON,
    BJ_SHARE_TIER,
    label={"zh": "高新技术企业持股出资额", "en": "shareholding in a high-tech firm"},
    unit="tier",
    cite="BJ20 积分指标（创新创业）",
)
bj_tax_qualifying_years = _bj_input(
    "bj_tax_qualifying_years",
    INT,
    "近三年纳税满10万元的年数",
    "of the last 3 years, years with 100,000 yuan of tax",
    "years",
    "积分指标（纳税）",
)
bj_tax_violations = _bj_input(
    "bj_tax_violations",
    INT,
    "税收违法记录",
    "tax-violation records",
    "records",
    "积分指标（纳税）",
)
bj_honour = _bj_input(
    "bj_honour",
    BOOL,
    "获得荣誉表彰",
    "holds a qualifying honour",
    "yes/no",
    "积分指标（荣誉表彰）",
)


# ---- the four preconditions


@_bj_rule(
    BOOL,
    label={"zh": "持有本市居住证", "en": "holds a Beijing residence permit"},
    unit="yes/no",
    article="申请条件（持有本市居住证）",
)
def bj_pre_residence_permit(holds_residence_permit: Column, hukou_elsewhere: Column) -> Column:
    """A Beijing residence permit, which is issued only to residents whose hukou is outside
    Beijing (RP15 第二条): a Beijing hukou holder does not meet it, whatever she declares."""
    return holds_residence_permit & hukou_elsewhere


@_bj_rule(
    BOOL,
    label={"zh": "不超过法定退休年龄", "en": "below the statutory retirement age"},
    unit="yes/no",
    article="申请条件（不超过法定退休年龄）",
)
def bj_pre_below_retirement_age(as_of: np.datetime64, statutory_retirement_date: Column) -> Column:
    """Below the statutory retirement age on the evaluation date: the retirement date (RA24,
    month-exact per retirement group) has not been reached."""
    return as_of < statutory_retirement_date


@_bj_rule(
    BOOL,
    label={"zh": "在京连续缴纳社会保险7年及以上", "en": "7 years of Beijing social insurance"},
    unit="yes/no",
    article="申请条件（在京连续缴纳社会保险7年及以上）",
    hint=Threshold("si_months_beijing", "bj_min_si_months"),
)
def bj_pre_social_insurance(si_months_beijing: Column, bj_min_si_months: Column) -> Column:
    return si_months_beijing >= bj_min_si_months


@_bj_rule(
    BOOL,
    label={"zh": "无刑事犯罪记录", "en": "no criminal record"},
    unit="yes/no",
    article="申请条件（无刑事犯罪记录）",
)
def bj_pre_no_criminal_record(has_criminal_record: Column) -> Column:
    return ~np.asarray(has_criminal_record, dtype=bool)


@_bj_rule(
    BOOL,
    label={"zh": "符合积分落户申请条件", "en": "may apply for points settlement"},
    unit="yes/no",
    article="申请条件",
)
def bj_eligible(
    bj_pre_residence_permit: Column,
    bj_pre_below_retirement_age: Column,
    bj_pre_social_insurance: Column,
    bj_pre_no_criminal_record: Column,
) -> Column:
    """All four conditions together."""
    return (
        bj_pre_residence_permit
        & bj_pre_below_retirement_age
        & bj_pre_social_insurance
        & bj_pre_no_criminal_record
    )


# ---- indicators


@_bj_rule(
    INT,
    label={"zh": "在京连续缴纳社会保险满年数", "en": "full years of Beijing social insurance"},
    unit="years",
    article="积分指标（合法稳定就业）",
)
def bj_si_years(si_months_beijing: Column) -> Column:
    return _full_years(si_months_beijing)


@_bj_rule(
    FLOAT,
    label={"zh": "合法稳定就业积分", "en": "points for a legal stable job"},
    unit="points",
    article="积分指标（合法稳定就业）",
)
def bj_points_job(bj_si_years: Column, bj_points_per_si_year: Column) -> Column:
    """Points for each full year of continuous Beijing social insurance."""
    return bj_si_years * bj_points_per_si_year


@_bj_rule(
    INT,
    label={"zh": "计分的自有住所年数", "en": "counted years in one's own home"},
    unit="years",
    article="积分指标（合法稳定住所）",
)
def bj_residence_own_years(bj_residence_own_months: Column, bj_si_years: Column) -> Column:
    """Full years in one's own home, counted up to the years of social insurance."""
    return np.minimum(_full_years(bj_residence_own_months), bj_si_years)


@_bj_rule(
    INT,
    label={"zh": "计分的租赁住所年数", "en": "counted years in rented homes"},
    unit="years",
    article="积分指标（合法稳定住所）",
)
def bj_residence_rent_years(
    bj_residence_rent_months: Column, bj_si_years: Column, bj_residence_own_years: Column
) -> Column:
    """Full years in rented homes or dormitories, counted within the years of social insurance
    that owned years leave (owned years, worth more, are counted first)."""
    room = np.maximum(bj_si_years - bj_residence_own_years, 0)
    return np.minimum(_full_years(bj_residence_rent_months), room)


@_bj_rule(
    FLOAT,
    label={"zh": "合法稳定住所积分", "en": "points for a legal stable residence"},
    unit="points",
    article="积分指标（合法稳定住所）",
)
def bj_points_residence(
    bj_residence_own_years: Column,
    bj_residence_rent_years: Column,
    bj_points_per_own_home_year: Column,
    bj_points_per_rented_home_year: Column,
) -> Column:
    return (
        bj_residence_own_years * bj_points_per_own_home_year
        + bj_residence_rent_years * bj_points_per_rented_home_year
    )


@_bj_rule(
    FLOAT,
    label={"zh": "教育背景积分", "en": "points for education"},
    unit="points",
    article="积分指标（教育背景）",
)
def bj_points_education(
    education_matched: Column,
    bj_education_points_matched: Column,
    bj_education_points_single: Column,
) -> Column:
    """The highest qualification only; with only the diploma or only the degree of a level, the
    value for a single qualification (one step lower under BJ20)."""
    return where(education_matched, bj_education_points_matched, bj_education_points_single)


@_bj_rule(
    FLOAT,
    label={"zh": "在读期间就业居住积分扣减", "en": "deduction for study overlap"},
    unit="points",
    article="积分指标（教育背景）",
)
def bj_deduction_study_overlap(
    bj_study_overlap_months: Column,
    bj_points_education: Column,
    bj_study_overlap_points_per_year: Column,
) -> Column:
    """Job and residence points for the months spent studying for the counted qualification
    are taken off: 3.5/12 of a point per month (3 for the job, 0.5 for the residence). The
    total is rounded half up to 2 decimals (as the 2022 list's maximum of exactly 14.00 for 48
    months shows; rounding each month first would give 13.92). Only with education points."""
    per_year_centi = np.rint(np.asarray(bj_study_overlap_points_per_year) * 100).astype(np.int64)
    months = np.asarray(bj_study_overlap_months, dtype=np.int64)
    centi = (months * per_year_centi * 2 + 12) // 24  # half up of months * rate / 12
    return where(bj_points_education > 0, -centi / 100, 0.0)


@_bj_rule(
    FLOAT,
    label={"zh": "职住区域积分", "en": "points for the job-residence district"},
    unit="points",
    article="积分指标（职住区域）",
)
def bj_points_district(
    bj_outer_residence_only_years: Column,
    bj_outer_job_and_residence_years: Column,
    bj_district_residence_points_per_year: Column,
    bj_district_residence_cap: Column,
    bj_district_both_points_per_year: Column,
    bj_district_both_cap: Column,
    bj_district_cap: Column,
) -> Column:
    """Moving out of the six core districts: residence alone, and job and residence together,
    each per year with its own cap; the two together are capped again."""
    residence = np.minimum(
        bj_outer_residence_only_years * bj_district_residence_points_per_year,
        bj_district_residence_cap,
    )
    both = np.minimum(
        bj_outer_job_and_residence_years * bj_district_both_points_per_year, bj_district_both_cap
    )
    return np.minimum(residence + both, bj_district_cap)


@_bj_rule(
    FLOAT,
    label={"zh": "创新创业积分", "en": "points for innovation and entrepreneurship"},
    unit="points",
    article="积分指标（创新创业）",
)
def bj_points_innovation(
    bj_science_award_points: Column,
    bj_competition_award_points: Column,
    bj_hitech_core_years: Column,
    bj_hitech_core_points_per_year: Column,
    bj_hitech_core_cap: Column,
    bj_incubator_startup_years: Column,
    bj_incubator_startup_points_per_year: Column,
    bj_incubator_startup_cap: Column,
    bj_incubator_service_years: Column,
    bj_incubator_service_points_per_year: Column,
    bj_incubator_service_cap: Column,
    bj_hitech_share_points: Column,
    bj_innovation_cap: Column,
) -> Column:
    """The highest of the innovation items counts, up to the cap."""
    core = np.minimum(bj_hitech_core_years * bj_hitech_core_points_per_year, bj_hitech_core_cap)
    startup = np.minimum(
        bj_incubator_startup_years * bj_incubator_startup_points_per_year,
        bj_incubator_startup_cap,
    )
    service = np.minimum(
        bj_incubator_service_years * bj_incubator_service_points_per_year,
        bj_incubator_service_cap,
    )
    best = np.maximum.reduce(
        [
            np.asarray(bj_science_award_points, dtype=np.float64),
            np.asarray(bj_competition_award_points, dtype=np.float64),
            np.asarray(core, dtype=np.float64),
            np.asarray(startup, dtype=np.float64),
            np.asarray(service, dtype=np.float64),
            np.asarray(bj_hitech_share_points, dtype=np.float64),
        ]
    )
    return np.minimum(best, bj_innovation_cap)


@_bj_rule(
    FLOAT,
    label={"zh": "纳税积分", "en": "points for tax paid"},
    unit="points",
    article="积分指标（纳税）",
)
def bj_points_tax(bj_tax_points: Column) -> Column:
    """By the number of the last three years with 100,000 yuan of tax (BJ16: all three for a
    flat 6; BJ20: 2 a year)."""
    return bj_tax_points


@_bj_rule(
    FLOAT,
    label={"zh": "税收违法扣减", "en": "deduction for tax violations"},
    unit="points",
    article="积分指标（纳税）",
)
def bj_deduction_tax(bj_tax_violations: Column, bj_points_per_tax_violation: Column) -> Column:
    return -(bj_tax_violations * bj_points_per_tax_violation)


@_bj_rule(
    FLOAT,
    label={"zh": "申请前一年1月1日的年龄", "en": "age on 1 January of the year before"},
    unit="years",
    article="积分指标（年龄）",
)
def bj_age(as_of: np.datetime64, birth_date: Column) -> Column:
    """Exact age on 1 January of the year before the application year (the year of the
    evaluation date): whole years plus the days since the last birthday over 366, so that
    "45" means exactly 45 years and "45 and one day" lies above 45 (the fraction never
    reaches a whole year, and only whether it is zero decides a (X, Y] band)."""
    year = int(np.asarray(as_of, dtype="datetime64[Y]").astype(np.int64)) + 1970
    ref = np.datetime64(f"{year - 1:04d}-01-01", "D")
    whole = years_between(birth_date, ref)
    last_birthday = add_months(birth_date, whole * 12)
    elapsed = (ref - last_birthday).astype(np.int64)
    return whole + elapsed / 366


@_bj_rule(
    FLOAT,
    label={"zh": "年龄积分", "en": "points for age"},
    unit="points",
    article="积分指标（年龄）",
)
def bj_points_age(bj_age_points: Column) -> Column:
    return bj_age_points


@_bj_rule(
    FLOAT,
    label={"zh": "荣誉表彰积分", "en": "points for honours"},
    unit="points",
    article="积分指标（荣誉表彰）",
)
def bj_points_honours(bj_honour: Column, bj_honour_points: Column) -> Column:
    return where(bj_honour, bj_honour_points, 0.0)


@_bj_rule(
    FLOAT,
    label={"zh": "守法记录扣减", "en": "deduction for detention records"},
    unit="points",
    article="积分指标（守法记录）",
)
def bj_deduction_law(detention_records: Column, bj_points_per_detention: Column) -> Column:
    return -(detention_records * bj_points_per_detention)


@_bj_rule(
    FLOAT,
    label={"zh": "北京积分落户总积分", "en": "Beijing settlement points"},
    unit="points",
    article="积分指标",
)
def bj_score(
    bj_points_job: Column,
    bj_points_residence: Column,
    bj_points_education: Column,
    bj_deduction_study_overlap: Column,
    bj_points_district: Column,
    bj_points_innovation: Column,
    bj_points_tax: Column,
    bj_deduction_tax: Column,
    bj_points_age: Column,
    bj_points_honours: Column,
    bj_deduction_law: Column,
) -> Column:
    """The sum of the items, to 2 decimals as the published lists show scores."""
    total = (
        bj_points_job
        + bj_points_residence
        + bj_points_education
        + bj_deduction_study_overlap
        + bj_points_district
        + bj_points_innovation
        + bj_points_tax
        + bj_deduction_tax
        + bj_points_age
        + bj_points_honours
        + bj_deduction_law
    )
    return np.rint(np.asarray(total, dtype=np.float64) * 100) / 100


# =====================================================================================
# Shanghai residence-permit points (SH13): the standard score unlocks permit benefits
# =====================================================================================
# Values follow two independent public calculators (policy.md §2b); where they disagree the
# parameters follow calculator B (documented in docs/settlement.md; calculator A's values are
# the reform parameters/../reforms/shanghai_calculator_a.json). Not hukou: 居转户 is separate.

VOCATIONAL_GRADE = Category(
    "vocational_grade",
    ("none", "grade5", "grade4", "grade3", "grade2", "grade1"),
    labels={
        "none": {"zh": "无", "en": "none"},
        "grade5": {"zh": "五级（初级工）", "en": "grade 5 (junior)"},
        "grade4": {"zh": "四级（中级工）", "en": "grade 4 (intermediate)"},
        "grade3": {"zh": "三级（高级工）", "en": "grade 3 (senior)"},
        "grade2": {"zh": "二级（技师）", "en": "grade 2 (technician)"},
        "grade1": {"zh": "一级（高级技师）", "en": "grade 1 (senior technician)"},
    },
)

PROFESSIONAL_TITLE = Category(
    "professional_title",
    ("none", "junior", "intermediate", "senior"),
    labels={
        "none": {"zh": "无", "en": "none"},
        "junior": {"zh": "初级", "en": "junior"},
        "intermediate": {"zh": "中级", "en": "intermediate"},
        "senior": {"zh": "高级", "en": "senior"},
    },
)

SH_SI_BAND = Category(
    "sh_si_band",
    ("below_80", "80_100", "100_200", "200_300", "300_plus"),
    labels={
        "below_80": {"zh": "低于平均工资80%", "en": "below 80% of the average wage"},
        "80_100": {"zh": "80%至不足1倍", "en": "80% to under 1x"},
        "100_200": {"zh": "1倍至不足2倍", "en": "1x to under 2x"},
        "200_300": {"zh": "2倍至不足3倍", "en": "2x to under 3x"},
        "300_plus": {"zh": "3倍以上", "en": "3x and more"},
    },
)

SH_AWARD = Category(
    "sh_award_level",
    ("none", "municipal_special", "municipal_general", "provincial"),
    labels={
        "none": {"zh": "无", "en": "none"},
        "municipal_special": {"zh": "本市专项奖项", "en": "municipal special award"},
        "municipal_general": {"zh": "本市综合奖项", "en": "municipal general award"},
        "provincial": {"zh": "省部级及以上奖项", "en": "provincial award or above"},
    },
)


def _sh_input(name: str, vtype: Any, zh: str, en: str, unit: str, article: str) -> Variable:
    return input_variable(
        name, PERSON, vtype, label={"zh": zh, "en": en}, unit=unit, cite=f"SH13 {article}"
    )


si_months_shanghai = _sh_input(
    "si_months_shanghai",
    INT,
    "在沪连续缴纳职工社会保险月数",
    "months of continuous Shanghai social insurance",
    "months",
    "基础指标（社会保险）",
)
vocational_grade = _sh_input(
    "vocational_grade",
    VOCATIONAL_GRADE,
    "国家职业资格等级",
    "national vocational qualification grade",
    "grade",
    "基础指标（职业资格）",
)
professional_title = _sh_input(
    "professional_title",
    PROFESSIONAL_TITLE,
    "专业技术职称",
    "professional title",
    "grade",
    "基础指标（专业技术职称）",
)
sh_education_mode_ok = _sh_input(
    "sh_education_mode_ok",
    BOOL,
    "大专、本科学历取得方式符合要求",
    "junior-college or bachelor qualification obtained in a counted mode",
    "yes/no",
    "基础指标（教育背景）",
)
sh_title_conditions_met = _sh_input(
    "sh_title_conditions_met",
    BOOL,
    "职称岗位相符且社保基数达标",
    "title post matches and contribution base meets the bar",
    "yes/no",
    "基础指标（专业技术职称）",
)
sh_shortage_major = _sh_input(
    "sh_shortage_major",
    BOOL,
    "紧缺急需专业且专业对口",
    "shortage-list major, job matching",
    "yes/no",
    "加分指标（紧缺急需专业）",
)
sh_avg_annual_tax = _sh_input(
    "sh_avg_annual_tax",
    MONEY,
    "近三年年均纳税额",
    "average annual tax over 3 years",
    "yuan/year",
    "加分指标（投资纳税）",
)
sh_hukou_employees = _sh_input(
    "sh_hukou_employees",
    INT,
    "年均聘用本市户籍人员数",
    "Shanghai-hukou employees a year",
    "persons",
    "加分指标（投资纳税）",
)
sh_si_base_band = _sh_input(
    "sh_si_base_band",
    SH_SI_BAND,
    "社保缴费基数档次",
    "contribution base band",
    "band",
    "加分指标（社保缴费基数）",
)
sh_public_service_years = _sh_input(
    "sh_public_service_years",
    INT,
    "公共服务领域工作年数",
    "years in public-service sectors",
    "years",
    "加分指标（公共服务领域）",
)
sh_outer_suburb_years = _sh_input(
    "sh_outer_suburb_years",
    INT,
    "远郊重点区域工作年数",
    "years in outer-suburb key areas",
    "years",
    "加分指标（远郊重点区域）",
)
sh_fresh_graduate = _sh_input(
    "sh_fresh_graduate",
    BOOL,
    "应届全日制高校毕业生",
    "fresh full-time graduate",
    "yes/no",
    "加分指标（应届毕业生）",
)
sh_award = _sh_input(
    "sh_award", SH_AWARD, "表彰奖励", "award or commendation", "level", "加分指标（表彰奖励）"
)
sh_spouse_hukou_marriage_years = _sh_input(
    "sh_spouse_hukou_marriage_years",
    INT,
    "与本市户籍人员婚姻年数",
    "years married to a Shanghai hukou holder",
    "years",
    "加分指标（配偶户籍）",
)
sh_false_documents = _sh_input(
    "sh_false_documents",
    INT,
    "提供虚假材料记录",
    "false-document records",
    "records",
    "减分指标（提供虚假材料）",
)
sh_criminal_records = _sh_input(
    "sh_criminal_records",
    INT,
    "一般刑事犯罪记录",
    "general criminal records",
    "records",
    "减分指标（刑事犯罪）",
)
sh_serious_criminal_record = _sh_input(
    "sh_serious_criminal_record",
    BOOL,
    "有严重刑事犯罪记录",
    "has a serious criminal record",
    "yes/no",
    "一票否决指标",
)


@variable(
    PERSON,
    BOOL,
    label={"zh": "持有上海市居住证", "en": "holds a Shanghai residence permit"},
    unit="yes/no",
    cite="SH13 申请条件（持有本市居住证）",
)
def sh_pre_residence_permit(holds_residence_permit: Column, hukou_elsewhere: Column) -> Column:
    """A Shanghai residence permit, issued only to residents whose hukou is outside Shanghai
    (RP15 第二条): a Shanghai hukou holder has none, so she does not meet it."""
    return holds_residence_permit & hukou_elsewhere


@variable(
    PERSON,
    BOOL,
    label={"zh": "无一票否决情形", "en": "no veto item"},
    unit="yes/no",
    cite="SH13 一票否决指标",
)
def sh_pre_no_veto(sh_serious_criminal_record: Column) -> Column:
    """A serious criminal record is a veto (one source; provisional, see docs/settlement.md)."""
    return ~np.asarray(sh_serious_criminal_record, dtype=bool)


@variable(
    PERSON,
    BOOL,
    label={"zh": "可申请居住证积分", "en": "may apply for residence-permit points"},
    unit="yes/no",
    cite="SH13 申请条件",
)
def sh_eligible(sh_pre_residence_permit: Column, sh_pre_no_veto: Column) -> Column:
    return sh_pre_residence_permit & sh_pre_no_veto


@variable(
    PERSON,
    INT,
    label={"zh": "年龄（周岁）", "en": "age (full years)"},
    unit="years",
    cite="SH13 基础指标（年龄）",
)
def sh_age(as_of: np.datetime64, birth_date: Column) -> Column:
    """Full years on the evaluation date (the reference day is not in the sources: assumed to
    be the day of assessment, see docs/settlement.md)."""
    return years_between(birth_date, as_of)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "年龄积分", "en": "points for age"},
    unit="points",
    cite="SH13 基础指标（年龄）",
)
def sh_points_age(sh_age_points: Column) -> Column:
    return sh_age_points


@variable(
    PERSON,
    FLOAT,
    label={"zh": "教育背景积分", "en": "points for education"},
    unit="points",
    cite="SH13 基础指标（教育背景）",
)
def sh_points_education(
    education: Column,
    education_matched: Column,
    sh_education_mode_ok: Column,
    sh_education_points_matched: Column,
    sh_education_points_single: Column,
    sh_education_mode_applies: Column,
) -> Column:
    """The highest qualification; a junior-college or bachelor qualification counts only if
    obtained in a counted mode where that condition applies."""
    points = where(education_matched, sh_education_points_matched, sh_education_points_single)
    lower = (education == EDUCATION_LEVEL.code("junior_college")) | (
        education == EDUCATION_LEVEL.code("bachelor")
    )
    blocked = lower & sh_education_mode_applies & ~np.asarray(sh_education_mode_ok, dtype=bool)
    return where(blocked, 0.0, points)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "职业资格积分", "en": "points for a vocational grade"},
    unit="points",
    cite="SH13 基础指标（职业资格）",
)
def sh_points_skill(
    sh_skill_points: Column, sh_skill_needs_conditions: Column, sh_title_conditions_met: Column
) -> Column:
    blocked = sh_skill_needs_conditions & ~np.asarray(sh_title_conditions_met, dtype=bool)
    return where(blocked, 0.0, sh_skill_points)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "专业技术职称积分", "en": "points for a professional title"},
    unit="points",
    cite="SH13 基础指标（专业技术职称）",
)
def sh_points_title(
    sh_title_points: Column, sh_title_needs_conditions: Column, sh_title_conditions_met: Column
) -> Column:
    blocked = sh_title_needs_conditions & ~np.asarray(sh_title_conditions_met, dtype=bool)
    return where(blocked, 0.0, sh_title_points)


@variable(
    PERSON,
    FLOAT,
    label={
        "zh": "教育背景、职业资格或职称积分（取高）",
        "en": "points for education, vocational grade or title (highest)",
    },
    unit="points",
    cite="SH13 基础指标（教育背景与职称、职业资格不累计）",
)
def sh_points_qualification(
    sh_points_education: Column, sh_points_skill: Column, sh_points_title: Column
) -> Column:
    """Education and title or skill grade are not cumulative: the highest counts."""
    return np.maximum(np.maximum(sh_points_education, sh_points_skill), sh_points_title)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "社会保险年限积分", "en": "points for years of social insurance"},
    unit="points",
    cite="SH13 基础指标（社会保险）",
)
def sh_points_si(
    si_months_shanghai: Column, sh_points_per_si_year: Column, sh_si_points_cap: Column
) -> Column:
    return np.minimum(_full_years(si_months_shanghai) * sh_points_per_si_year, sh_si_points_cap)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "紧缺急需专业加分", "en": "bonus for a shortage discipline"},
    unit="points",
    cite="SH13 加分指标（紧缺急需专业）",
)
def sh_points_shortage(sh_shortage_major: Column, sh_shortage_points: Column) -> Column:
    return where(sh_shortage_major, sh_shortage_points, 0.0)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "投资纳税或带动就业加分", "en": "bonus for investment or tax"},
    unit="points",
    cite="SH13 加分指标（投资纳税）",
)
def sh_points_tax_investment(
    sh_avg_annual_tax: Column,
    sh_hukou_employees: Column,
    sh_tax_unit: Column,
    sh_tax_points_per_unit: Column,
    sh_employee_unit: Column,
    sh_employee_points_per_unit: Column,
    sh_tax_investment_cap: Column,
) -> Column:
    """Per full 100,000 yuan of average annual tax, or per full 10 Shanghai-hukou employees a
    year: the higher counts, up to the cap."""
    tax = np.asarray(sh_avg_annual_tax, dtype=np.int64) // np.asarray(sh_tax_unit, dtype=np.int64)
    staff = np.asarray(sh_hukou_employees, dtype=np.int64) // np.asarray(
        sh_employee_unit, dtype=np.int64
    )
    best = np.maximum(tax * sh_tax_points_per_unit, staff * sh_employee_points_per_unit)
    return np.minimum(best, sh_tax_investment_cap)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "社保缴费基数加分", "en": "bonus for the contribution base"},
    unit="points",
    cite="SH13 加分指标（社保缴费基数）",
)
def sh_points_si_base(sh_si_base_points: Column) -> Column:
    return sh_si_base_points


def _years_bonus(
    years: Column, minimum: Column, offset: Column, per_year: Column, cap: Column
) -> Column:
    counted = np.maximum(np.asarray(years, dtype=np.int64) - offset, 0)
    return where(years >= minimum, np.minimum(counted * per_year, cap), 0.0)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "公共服务领域加分", "en": "bonus for public-service sectors"},
    unit="points",
    cite="SH13 加分指标（公共服务领域）",
)
def sh_points_public_service(
    sh_public_service_years: Column,
    sh_public_service_min_years: Column,
    sh_public_service_offset_years: Column,
    sh_public_service_points_per_year: Column,
    sh_public_service_cap: Column,
) -> Column:
    return _years_bonus(
        sh_public_service_years,
        sh_public_service_min_years,
        sh_public_service_offset_years,
        sh_public_service_points_per_year,
        sh_public_service_cap,
    )


@variable(
    PERSON,
    FLOAT,
    label={"zh": "远郊重点区域加分", "en": "bonus for outer-suburb key areas"},
    unit="points",
    cite="SH13 加分指标（远郊重点区域）",
)
def sh_points_outer_suburb(
    sh_outer_suburb_years: Column,
    sh_outer_suburb_min_years: Column,
    sh_outer_suburb_offset_years: Column,
    sh_outer_suburb_points_per_year: Column,
    sh_outer_suburb_cap: Column,
) -> Column:
    return _years_bonus(
        sh_outer_suburb_years,
        sh_outer_suburb_min_years,
        sh_outer_suburb_offset_years,
        sh_outer_suburb_points_per_year,
        sh_outer_suburb_cap,
    )


@variable(
    PERSON,
    FLOAT,
    label={"zh": "应届毕业生加分", "en": "bonus for a fresh graduate"},
    unit="points",
    cite="SH13 加分指标（应届毕业生）",
)
def sh_points_fresh_graduate(sh_fresh_graduate: Column, sh_fresh_graduate_points: Column) -> Column:
    return where(sh_fresh_graduate, sh_fresh_graduate_points, 0.0)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "表彰奖励加分", "en": "bonus for awards"},
    unit="points",
    cite="SH13 加分指标（表彰奖励）",
)
def sh_points_award(sh_award_points: Column) -> Column:
    return sh_award_points


@variable(
    PERSON,
    FLOAT,
    label={"zh": "配偶为本市户籍加分", "en": "bonus for a spouse with Shanghai hukou"},
    unit="points",
    cite="SH13 加分指标（配偶户籍）",
)
def sh_points_spouse(
    sh_spouse_hukou_marriage_years: Column,
    sh_spouse_points_per_year: Column,
    sh_spouse_cap: Column,
) -> Column:
    return np.minimum(sh_spouse_hukou_marriage_years * sh_spouse_points_per_year, sh_spouse_cap)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "提供虚假材料减分", "en": "deduction for false documents"},
    unit="points",
    cite="SH13 减分指标（提供虚假材料）",
)
def sh_deduction_false_documents(
    sh_false_documents: Column, sh_points_per_false_document: Column
) -> Column:
    return -(sh_false_documents * sh_points_per_false_document)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "一般刑事犯罪减分", "en": "deduction for criminal records"},
    unit="points",
    cite="SH13 减分指标（刑事犯罪）",
)
def sh_deduction_criminal(
    sh_criminal_records: Column, sh_points_per_criminal_record: Column
) -> Column:
    return -(sh_criminal_records * sh_points_per_criminal_record)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "行政拘留减分", "en": "deduction for administrative detention"},
    unit="points",
    cite="SH13 减分指标（行政拘留）",
)
def sh_deduction_detention(detention_records: Column, sh_points_per_detention: Column) -> Column:
    return -(detention_records * sh_points_per_detention)


@variable(
    PERSON,
    FLOAT,
    label={"zh": "上海居住证积分", "en": "Shanghai residence-permit points"},
    unit="points",
    cite="SH13 积分指标体系",
)
def sh_score(
    sh_points_age: Column,
    sh_points_qualification: Column,
    sh_points_si: Column,
    sh_points_shortage: Column,
    sh_points_tax_investment: Column,
    sh_points_si_base: Column,
    sh_points_public_service: Column,
    sh_points_outer_suburb: Column,
    sh_points_fresh_graduate: Column,
    sh_points_award: Column,
    sh_points_spouse: Column,
    sh_deduction_false_documents: Column,
    sh_deduction_criminal: Column,
    sh_deduction_detention: Column,
) -> Column:
    total = (
        sh_points_age
        + sh_points_qualification
        + sh_points_si
        + sh_points_shortage
        + sh_points_tax_investment
        + sh_points_si_base
        + sh_points_public_service
        + sh_points_outer_suburb
        + sh_points_fresh_graduate
        + sh_points_award
        + sh_points_spouse
        + sh_deduction_false_documents
        + sh_deduction_criminal
        + sh_deduction_detention
    )
    return np.rint(np.asarray(total, dtype=np.float64) * 100) / 100


@variable(
    PERSON,
    BOOL,
    label={"zh": "达到标准分值", "en": "reaches the standard score"},
    unit="yes/no",
    cite="SH13 标准分值",
    hint=Threshold("sh_score", "sh_standard_score"),
)
def sh_reaches_standard(sh_eligible: Column, sh_score: Column, sh_standard_score: Column) -> Column:
    """Reaching the standard score gives the permit holder the benefits tied to it (for
    example, children taking the zhongkao and gaokao in Shanghai); it is not a hukou."""
    return sh_eligible & (sh_score >= sh_standard_score)
