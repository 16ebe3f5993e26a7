"""Points schemes: one facade over the settlement rules of each city (pure: no Django).

Every other part of the settlement domain (rounds, ranking, pages, the API, simulations) codes
against this module, never against the variables of ``beijing.py`` or ``shanghai.py``:

- :data:`SCHEMES` and :func:`scheme` describe each city's scheme, including the facts an
  applicant enters (:class:`Field`: labels, kinds, choices, help, citation, whether the employer
  must confirm it, what the registry can supply). Forms, the API schema and population columns
  are generated from them.
- :func:`assess` scores one applicant, with the explanation (``liudong.explain/1``), the
  preconditions, the items and what would raise the score (computed by running the rules again
  with the changed fact, never hand-written numbers).
- :func:`assess_table` scores a Polars frame of millions of applicants with the same rules.
- :func:`ruleset_version`, :func:`review_window`, :func:`objection_window`, :func:`tie_rule` and
  :func:`reference_quota` give what a round freezes when it opens.
- :func:`city_answer` answers "may I settle here, and how?" for any city.
- :func:`published_results` gives what the city's past rounds published (cut-off, number
  settled, applicants, ties at the cut-off), each figure sourced and marked: reference
  information for pages and calibration, never an input of a rule or a prediction.

Scores are exact: :class:`~decimal.Decimal` with two places, or int64 hundredths of a point
("centi") in tables. Items are rounded as the published lists show (see docs/settlement.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import inspect
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from liudong.rules import Reform, Simulation, default_system, explain
from liudong.rules.errors import RulesError
from liudong.rules.types import Category, yuan_to_fen

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from liudong.rules.system import RuleSystem

__all__ = [
    "SCHEMES",
    "Assessment",
    "CityAnswer",
    "FactError",
    "Field",
    "Improvement",
    "Item",
    "Precondition",
    "Published",
    "PublishedRound",
    "Scheme",
    "assess",
    "assess_table",
    "city_answer",
    "objection_window",
    "precondition_fields",
    "published_results",
    "reference_quota",
    "review_window",
    "ruleset_version",
    "scheme",
    "scheme_for_region",
    "tie_rule",
]

Kind = Literal["int", "decimal", "bool", "choice", "date"]
Registry = Literal[
    "hukou", "residence_permit", "employment", "social_insurance", "birth_date", "education"
]
CENT = Decimal("0.01")


class FactError(ValueError):
    """A fact an applicant (or a table column) gave is missing or not acceptable."""

    def __init__(self, field: str, problem: str, expected: str) -> None:
        super().__init__(f"{field}: {problem}; expected {expected}")
        self.field = field
        self.problem = problem
        self.expected = expected


# ---------------------------------------------------------------- descriptions


@dataclass(frozen=True)
class Field:
    """One fact an applicant enters; ``name`` is the rules input variable it feeds.

    A fact shared by name across schemes means the same in every city (``birth_date``) unless
    it is ``city_specific`` (``holds_residence_permit``: Beijing's permit is not Shanghai's),
    which a form comparing cities asks once per scheme."""

    name: str
    label: dict[str, str]
    kind: Kind
    unit: str
    choices: tuple[tuple[str, dict[str, str]], ...] = ()
    help: dict[str, str] = field(default_factory=dict)
    cite: str = ""
    default: object = None  # None: the fact is required
    needs_employer: bool = False
    registry: Registry | None = None
    minimum: int | None = None  # for int fields: the smallest acceptable value
    maximum: int | None = None  # for int fields: the largest acceptable value
    since: dt.date | None = None  # the field counts only under the versions in force from ...
    until: dt.date | None = None  # ... until (inclusive); None: always
    # True: several schemes share the name but the answer depends on the city ("holds this
    # city's residence permit"): pages and forms ask it once per scheme, never once for all.
    city_specific: bool = False

    @property
    def required(self) -> bool:
        return self.default is None

    def in_force(self, on: dt.date) -> bool:
        return (self.since is None or self.since <= on) and (self.until is None or on <= self.until)

    def claims(self, value: object) -> bool:
        """Whether a value of this fact claims something: it differs from the default (zero,
        "no", "none"), or the fact has no default. A value that cannot be read claims."""
        if self.required:
            return True
        try:
            return bool(_parse(self, value) != _parse(self, self.default))
        except FactError:
            return True


@dataclass(frozen=True)
class Version:
    """A version of a city's measures: its document key and the day it starts to apply."""

    document: str
    start: dt.date
    note: str = ""


@dataclass(frozen=True)
class Route:
    """Another route to what a scheme leads to, recorded but not modelled (no checkable text)."""

    key: str
    label: dict[str, str]
    note: dict[str, str]
    modelled: bool = False


@dataclass(frozen=True)
class ItemSpec:
    """An item of the score: the rules variable computing it (points, deductions negative)."""

    key: str
    variable: str
    label: dict[str, str]
    deduction: bool = False  # True: never positive; False: never negative


@dataclass(frozen=True)
class Candidate:
    """A change of one fact that may raise the score (evaluated by the rules, not assumed)."""

    field: str
    label: dict[str, str]
    item: str  # the item key whose citation the improvement carries
    change: Callable[[dict[str, Any], dt.date], dict[str, Any] | None]


@dataclass(frozen=True)
class Scheme:
    key: str
    region: int
    name: dict[str, str]
    grants: Literal["hukou", "permit_benefits"]
    threshold: Decimal | None  # a standard score; None where applicants are ranked on a quota
    fields: tuple[Field, ...]
    versions: tuple[Version, ...]
    items: tuple[ItemSpec, ...]
    preconditions: tuple[tuple[str, str, dict[str, str]], ...]  # (key, variable, label)
    score: str  # the variable of the total score (points)
    eligible: str  # the variable: every precondition met
    improvements: tuple[Candidate, ...] = ()
    routes: tuple[Route, ...] = ()
    parameter_prefix: str = ""  # the scheme's own parameters (windows, ties, quota)

    def version(self, on: dt.date) -> Version:
        """The version of the measures in force on a date."""
        found = [v for v in self.versions if v.start <= on]
        if not found:
            first = self.versions[0].start.isoformat()
            raise FactError(
                "on",
                f"the {self.name['en']} scheme has no rules in force on {on.isoformat()}",
                f"a date from {first}",
            )
        return found[-1]

    def fields_on(self, on: dt.date) -> tuple[Field, ...]:
        """The facts that count under the version in force on a date."""
        return tuple(f for f in self.fields if f.in_force(on))

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class Item:
    key: str
    label: dict[str, str]
    points: Decimal
    cite: str
    provisional: bool


@dataclass(frozen=True)
class Precondition:
    key: str
    label: dict[str, str]
    met: bool
    cite: str


@dataclass(frozen=True)
class Improvement:
    label: dict[str, str]
    gain: Decimal
    field: str
    cite: str


@dataclass(frozen=True)
class Assessment:
    scheme: str
    on: dt.date
    ruleset: str
    eligible: bool
    preconditions: tuple[Precondition, ...]
    score: Decimal
    items: tuple[Item, ...]
    improvements: tuple[Improvement, ...]
    explanation: dict[str, Any]
    provisional: bool
    reaches_threshold: bool | None = None  # schemes with a standard score (Shanghai: 120)
    version: str = ""  # the document key of the measures applied (BJ16, BJ20, SH13 ...)


@dataclass(frozen=True)
class CityAnswer:
    region: int
    city: int  # the prefecture-level city (a municipality: its province code)
    name: dict[str, str]
    on: dt.date
    size_class: str
    size_class_label: dict[str, str]
    policy: str
    policy_label: dict[str, str]
    may_settle_unrestricted: bool | None  # None: hukou_region not given
    residence_permit_eligible: bool | None  # None: the facts it needs were not given
    scheme: str | None
    assessment: Assessment | None
    cite: str
    provisional: bool


# ---------------------------------------------------------------- the schemes

_YES_NO = {"zh": "是/否", "en": "yes/no"}

EDUCATION_CHOICES: tuple[tuple[str, dict[str, str]], ...] = (
    ("none", {"zh": "无学历或初中以下", "en": "none or below junior secondary"}),
    ("primary", {"zh": "小学", "en": "primary school"}),
    ("junior_secondary", {"zh": "初中", "en": "junior secondary"}),
    ("senior_secondary", {"zh": "高中或中专", "en": "senior secondary or vocational"}),
    ("junior_college", {"zh": "大专（含高职）", "en": "junior college (incl. higher vocational)"}),
    ("bachelor", {"zh": "本科", "en": "bachelor's level"}),
    ("master", {"zh": "硕士研究生", "en": "master's level"}),
    ("doctor", {"zh": "博士研究生", "en": "doctoral level"}),
)
EDUCATION_ORDER = tuple(code for code, _ in EDUCATION_CHOICES)

RETIREMENT_CHOICES: tuple[tuple[str, dict[str, str]], ...] = (
    ("men", {"zh": "男职工", "en": "men"}),
    ("women_55", {"zh": "女干部（原五十五周岁退休）", "en": "women originally retiring at 55"}),
    ("women_50", {"zh": "女工人（原五十周岁退休）", "en": "women originally retiring at 50"}),
)


def _f(name: str, zh: str, en: str, kind: Kind, unit: str, **kw: Any) -> Field:
    return Field(name=name, label={"zh": zh, "en": en}, kind=kind, unit=unit, **kw)


def _months(name: str, zh: str, en: str, cite: str, hzh: str, hen: str, **kw: Any) -> Field:
    return _f(
        name,
        zh,
        en,
        "int",
        "months",
        cite=cite,
        default=0,
        minimum=0,
        maximum=720,
        help={"zh": hzh, "en": hen},
        **kw,
    )


def _years(name: str, zh: str, en: str, cite: str, hzh: str, hen: str, **kw: Any) -> Field:
    kw.setdefault("maximum", 60)
    return _f(
        name,
        zh,
        en,
        "int",
        "years",
        cite=cite,
        default=0,
        minimum=0,
        help={"zh": hzh, "en": hen},
        **kw,
    )


def _count(name: str, zh: str, en: str, cite: str, hzh: str, hen: str, **kw: Any) -> Field:
    return _f(
        name,
        zh,
        en,
        "int",
        "records",
        cite=cite,
        default=0,
        minimum=0,
        maximum=99,
        help={"zh": hzh, "en": hen},
        **kw,
    )


def _flag(name: str, zh: str, en: str, cite: str, hzh: str, hen: str, **kw: Any) -> Field:
    kw.setdefault("default", False)
    return _f(name, zh, en, "bool", "yes/no", cite=cite, help={"zh": hzh, "en": hen}, **kw)


BJ20_START = dt.date(2020, 1, 1)
BJ16_LAST = dt.date(2019, 12, 31)

COMMON_BIRTH = _f(
    "birth_date",
    "出生日期",
    "date of birth",
    "date",
    "date",
    cite="GB11643 4.2",
    registry="birth_date",
    help={"zh": "与居民身份证一致", "en": "as on the resident identity card"},
)
COMMON_RETIREMENT = _f(
    "retirement_group",
    "退休年龄类别",
    "retirement-age group",
    "choice",
    "category",
    choices=RETIREMENT_CHOICES,
    cite="RA24 决定 第一条",
    registry="employment",
    help={
        "zh": "决定法定退休年龄：男职工；原五十五周岁退休的女职工；原五十周岁退休的女职工",
        "en": "decides the statutory retirement age: men; women originally retiring at 55 or 50",
    },
)
COMMON_PERMIT = _flag(
    "holds_residence_permit",
    "持有本市居住证",
    "holds this city's residence permit",
    "RP15 第二条",
    "在申请城市办理的有效居住证",
    "a valid residence permit of the city applied to",
    registry="residence_permit",
    default=None,
    city_specific=True,
)
COMMON_HUKOU = _f(
    "hukou_region",
    "户籍地",
    "place of household registration",
    "int",
    "GB/T 2260 code",
    cite="RP15 第二条",
    default=0,
    minimum=0,
    maximum=999999,
    registry="hukou",
    help={
        "zh": "常住户口登记地的6位行政区划代码（例如 510104）；户籍在本市的不能申请，"
        "居住证只发给户籍在外省市的居民。不填视为户籍在外地，申请时以登记记录为准",
        "en": "the 6-digit GB/T 2260 code of the place of household registration (e.g. "
        "510104); a hukou in this city cannot apply, since residence permits go only to "
        "residents with a hukou elsewhere. Left out, it counts as elsewhere; an application "
        "takes the registry's record",
    },
)
COMMON_EDUCATION = _f(
    "education",
    "最高学历（学位）",
    "highest education",
    "choice",
    "level",
    choices=EDUCATION_CHOICES,
    cite="BJ20 积分指标（教育背景）",
    default="none",
    registry="education",
    help={
        "zh": "国家承认的最高学历或学位（只计最高一项）",
        "en": "the highest state-recognised diploma or degree (only the highest counts)",
    },
)
COMMON_MATCHED = _flag(
    "education_matched",
    "学历与学位相符",
    "diploma and degree both held",
    "BJ20 积分指标（教育背景）",
    "本科及以上：同时取得该层次的学历和学位；只有学历或只有学位的选“否”",
    "bachelor's level and above: holds both the diploma and the degree of that level; "
    "answer no if only one of them",
    default=True,
    registry="education",
)
COMMON_DETENTION = _count(
    "detention_records",
    "行政拘留记录",
    "administrative detention records",
    "BJ20 积分指标（守法记录）",
    "受到行政拘留处罚的次数",
    "how many times the person was detained",
)

BEIJING_FIELDS: tuple[Field, ...] = (
    COMMON_PERMIT,
    COMMON_HUKOU,
    COMMON_BIRTH,
    COMMON_RETIREMENT,
    _months(
        "si_months_beijing",
        "在京连续缴纳社会保险月数",
        "months of continuous Beijing social insurance",
        "BJ20 积分指标（合法稳定就业）",
        "申请人在京连续缴纳社会保险的月数（需满7年，即84个月）",
        "continuous months of Beijing social insurance (at least 7 years, 84 months, needed)",
        needs_employer=True,
        registry="social_insurance",
    ),
    _flag(
        "has_criminal_record",
        "有刑事犯罪记录",
        "has a criminal record",
        "BJ20 申请条件（无刑事犯罪记录）",
        "有刑事犯罪记录者不得申请",
        "a criminal record bars the application",
        default=None,
    ),
    _months(
        "bj_residence_own_months",
        "在京自有产权住所居住月数",
        "months living in one's own Beijing home",
        "BJ20 积分指标（合法稳定住所）",
        "在本市自有产权住所实际居住的月数",
        "months living in a home one owns in Beijing",
    ),
    _months(
        "bj_residence_rent_months",
        "在京租赁或单位宿舍居住月数",
        "months in a rented Beijing home or employer dormitory",
        "BJ20 积分指标（合法稳定住所）",
        "在本市合法租赁住所或单位宿舍居住的月数",
        "months in a legally rented Beijing home or an employer's dormitory",
    ),
    COMMON_EDUCATION,
    COMMON_MATCHED,
    _months(
        "bj_study_overlap_months",
        "取得所计学历期间在京就业或居住的月数",
        "months of study overlapping Beijing work or residence",
        "BJ20 积分指标（教育背景）",
        "为取得计分学历（学位）在读期间同时在京缴纳社保或居住的月数，相应积分按每月3.5/12分扣除",
        "months studying for the counted qualification while also paying Beijing social "
        "insurance or living in Beijing; 3.5/12 points per month are deducted",
    ),
    _years(
        "bj_outer_residence_only_years",
        "居住地迁出城六区的年数",
        "years living outside the six core districts",
        "BJ20 积分指标（职住区域）",
        "由城六区迁至本市其他行政区居住（就业仍在城六区）的年数",
        "years since moving home from the six core districts to another district "
        "(job still in the core)",
    ),
    _years(
        "bj_outer_job_and_residence_years",
        "就业和居住均迁出城六区的年数",
        "years working and living outside the six core districts",
        "BJ20 积分指标（职住区域）",
        "就业地和居住地均由城六区迁至本市其他行政区的年数",
        "years since both job and home moved from the six core districts to another district",
        needs_employer=True,
    ),
    _f(
        "bj_science_award_tier",
        "科技、文化奖项等级",
        "science or culture award grade",
        "int",
        "grade",
        cite="BJ20 积分指标（创新创业）",
        default=0,
        minimum=0,
        maximum=9,
        help={
            "zh": "获得的国家级或本市科技、文化奖项，按办法附表的级别排序填写（1为最高，0为无）",
            "en": "national or municipal science, technology or culture award, by its grade "
            "in the measures' table (1 = highest, 0 = none)",
        },
    ),
    _f(
        "bj_competition_award_tier",
        "创新创业大赛奖项等级",
        "innovation-competition award grade",
        "int",
        "grade",
        cite="BJ20 积分指标（创新创业）",
        default=0,
        minimum=0,
        maximum=9,
        help={
            "zh": "创新创业大赛获奖，按办法附表的级别排序填写（1为最高，0为无；2016年版最多6级）",
            "en": "innovation-competition award by its grade in the measures' table "
            "(1 = highest, 0 = none; the 2016 version has 6 grades)",
        },
    ),
    _years(
        "bj_hitech_core_years",
        "在国家级高新技术企业担任高管或核心技术人员年数",
        "years as senior manager or core technical staff of a national high-tech firm",
        "BJ16 积分指标（创新创业）",
        "2016年版指标：每年2分，最高6分",
        "2016 version: 2 points a year, at most 6",
        needs_employer=True,
        until=BJ16_LAST,
    ),
    _years(
        "bj_incubator_startup_years",
        "在认定孵化器或众创空间内的创业企业投资或就业年数",
        "years investing in or working for a start-up in a recognised incubator",
        "BJ16 积分指标（创新创业）",
        "2016年版指标：每年2分，最高6分",
        "2016 version: 2 points a year, at most 6",
        needs_employer=True,
        until=BJ16_LAST,
    ),
    _years(
        "bj_incubator_service_years",
        "在孵化器、众创空间或科技服务机构就业或投资年数",
        "years working for or investing in an incubator or S&T service body",
        "BJ16 积分指标（创新创业）",
        "2016年版指标：每年1分，最高3分",
        "2016 version: 1 point a year, at most 3",
        needs_employer=True,
        until=BJ16_LAST,
    ),
    _f(
        "bj_hitech_share_tier",
        "在高新技术企业持股（≥10%）的出资额",
        "shareholding (at least 10%) in a high-tech firm",
        "choice",
        "tier",
        choices=(
            ("none", {"zh": "无", "en": "none"}),
            ("5m_20m", {"zh": "500万元以上2000万元以下", "en": "5 to 20 million yuan"}),
            ("20m_40m", {"zh": "2000万元以上4000万元以下", "en": "20 to 40 million yuan"}),
            ("40m_plus", {"zh": "4000万元以上", "en": "40 million yuan and more"}),
        ),
        cite="BJ20 积分指标（创新创业）",
        default="none",
        needs_employer=True,
        since=BJ20_START,
        help={
            "zh": "2020年版指标：在所任职（满一个自然年）的国家级高新技术企业或科技型中小企业持股",
            "en": "2020 version: shares held in the national high-tech firm or tech SME where "
            "the applicant worked a full calendar year",
        },
    ),
    _years(
        "bj_tax_qualifying_years",
        "近三年纳税满10万元的年数",
        "of the last 3 years, years with at least 100,000 yuan tax paid",
        "BJ20 积分指标（纳税）",
        "近三个纳税年度中，个人或所投资企业在京纳税满10万元的年数（0-3）",
        "of the last three tax years, how many with at least 100,000 yuan tax paid in Beijing "
        "personally or through a firm invested in (0-3)",
        maximum=3,
    ),
    _count(
        "bj_tax_violations",
        "税收违法记录",
        "tax-violation records",
        "BJ20 积分指标（纳税）",
        "有税收违法行为记录的次数，每条减12分",
        "recorded tax violations, 12 points off each",
    ),
    _flag(
        "bj_honour",
        "获得省部级以上劳动模范等荣誉",
        "holds a qualifying honour",
        "BJ20 积分指标（荣誉表彰）",
        "省部级以上劳动模范、全国道德模范、首都道德模范、全国见义勇为英雄模范、首都见义勇为好市民",
        "model worker at provincial/ministerial level or above, national or capital model of "
        "virtue, national hero or capital citizen for bravery",
    ),
    COMMON_DETENTION,
)

_GRADE_CHOICES = (
    ("none", {"zh": "无", "en": "none"}),
    ("grade5", {"zh": "五级（初级工）", "en": "grade 5 (junior)"}),
    ("grade4", {"zh": "四级（中级工）", "en": "grade 4 (intermediate)"}),
    ("grade3", {"zh": "三级（高级工）", "en": "grade 3 (senior)"}),
    ("grade2", {"zh": "二级（技师）", "en": "grade 2 (technician)"}),
    ("grade1", {"zh": "一级（高级技师）", "en": "grade 1 (senior technician)"}),
)
_TITLE_CHOICES = (
    ("none", {"zh": "无", "en": "none"}),
    ("junior", {"zh": "初级", "en": "junior"}),
    ("intermediate", {"zh": "中级", "en": "intermediate"}),
    ("senior", {"zh": "高级（副高、正高）", "en": "senior (deputy or full)"}),
)
_SI_BASE_CHOICES = (
    ("below_80", {"zh": "低于上年度全市职工平均工资的80%", "en": "below 80% of the average wage"}),
    ("80_100", {"zh": "80%以上、不足1倍", "en": "80% to under 1x the average wage"}),
    ("100_200", {"zh": "1倍以上、不足2倍", "en": "1x to under 2x the average wage"}),
    ("200_300", {"zh": "2倍以上、不足3倍", "en": "2x to under 3x the average wage"}),
    ("300_plus", {"zh": "3倍以上", "en": "3x the average wage and more"}),
)
_AWARD_CHOICES = (
    ("none", {"zh": "无", "en": "none"}),
    ("municipal_special", {"zh": "本市专项奖项", "en": "municipal special award"}),
    ("municipal_general", {"zh": "本市综合奖项", "en": "municipal general award"}),
    ("provincial", {"zh": "省部级及以上奖项", "en": "provincial/ministerial award or above"}),
)

SHANGHAI_FIELDS: tuple[Field, ...] = (
    COMMON_PERMIT,
    COMMON_HUKOU,
    COMMON_BIRTH,
    COMMON_EDUCATION,
    dataclasses.replace(COMMON_MATCHED, cite="SH13 基础指标（教育背景）"),
    _flag(
        "sh_education_mode_ok",
        "大专、本科学历取得方式符合要求",
        "junior-college or bachelor qualification obtained in a counted mode",
        "SH13 基础指标（教育背景）",
        "全日制取得，或非全日制但在上海或户籍所在省份取得（硕士、博士不限）",
        "full-time, or part-time but obtained in Shanghai or in the hukou province "
        "(master's and doctorates in any mode)",
        default=True,
        registry="education",
    ),
    _months(
        "si_months_shanghai",
        "在沪连续缴纳职工社会保险月数",
        "months of continuous Shanghai social insurance",
        "SH13 基础指标（社会保险）",
        "中断或补缴后重新计算",
        "a break or back-payment restarts the count",
        needs_employer=True,
        registry="social_insurance",
    ),
    _f(
        "vocational_grade",
        "国家职业资格等级",
        "national vocational qualification grade",
        "choice",
        "grade",
        choices=_GRADE_CHOICES,
        cite="SH13 基础指标（职业资格）",
        default="none",
    ),
    _f(
        "professional_title",
        "专业技术职称",
        "professional title",
        "choice",
        "grade",
        choices=_TITLE_CHOICES,
        cite="SH13 基础指标（专业技术职称）",
        default="none",
    ),
    _flag(
        "sh_title_conditions_met",
        "职称（技师）岗位相符且社保基数达标",
        "title post matches and contribution base meets the bar",
        "SH13 基础指标（专业技术职称）",
        "职称及技师、高级技师须在相应岗位工作，社保缴费基数不低于上年度全市职工平均工资",
        "titles and technician grades count with a matching post and a contribution base of "
        "at least the city's average wage",
        default=True,
        needs_employer=True,
    ),
    _flag(
        "sh_shortage_major",
        "紧缺急需专业且专业对口",
        "shortage-list major, job matching",
        "SH13 加分指标",
        "所学专业列入本市紧缺急需专业目录且从事对口工作",
        "a major on Shanghai's shortage list, and a job matching it",
        needs_employer=True,
    ),
    _f(
        "sh_avg_annual_tax",
        "近三年年均纳税额",
        "average annual tax over the last 3 years",
        "decimal",
        "yuan",
        cite="SH13 加分指标",
        default="0",
        help={
            "zh": "个人或所投资企业近三年在沪年均纳税额（元）",
            "en": "average yearly tax paid in Shanghai, personally or through an invested firm",
        },
    ),
    _count(
        "sh_hukou_employees",
        "年均聘用本市户籍人员数",
        "Shanghai-hukou employees a year",
        "SH13 加分指标",
        "所投资企业年均聘用本市户籍人员人数",
        "Shanghai-hukou staff employed a year by a firm the applicant invested in",
    ),
    _f(
        "sh_si_base_band",
        "近四年社保缴费基数",
        "social-insurance contribution base",
        "choice",
        "band",
        choices=_SI_BASE_CHOICES,
        cite="SH13 加分指标",
        default="below_80",
        registry="social_insurance",
        needs_employer=True,
        help={
            "zh": "近4年内累计36个月的缴费基数相当于上年度全市职工平均工资的倍数",
            "en": "base over 36 months within the last 4 years, as a multiple of the average wage",
        },
    ),
    _years(
        "sh_public_service_years",
        "在公共服务领域工作年数",
        "years in public-service sectors",
        "SH13 加分指标",
        "在教育、卫生等公共服务领域工作的年数",
        "years working in public-service sectors",
        needs_employer=True,
    ),
    _years(
        "sh_outer_suburb_years",
        "在郊区重点区域工作年数",
        "years in outer-suburb key areas",
        "SH13 加分指标",
        "在远郊重点区域工作的年数",
        "years working in outer-suburb key areas",
        needs_employer=True,
    ),
    _flag(
        "sh_fresh_graduate",
        "应届全日制高校毕业生",
        "fresh full-time graduate",
        "SH13 加分指标",
        "毕业当年的全日制普通高校毕业生",
        "a full-time graduate in the year of graduation",
    ),
    _f(
        "sh_award",
        "获得表彰奖励",
        "award or commendation",
        "choice",
        "level",
        choices=_AWARD_CHOICES,
        cite="SH13 加分指标",
        default="none",
    ),
    _years(
        "sh_spouse_hukou_marriage_years",
        "与本市户籍人员结婚年数",
        "years married to a Shanghai hukou holder",
        "SH13 加分指标",
        "配偶为本市户籍的婚姻年数（每年4分，最高40分）",
        "years of marriage to a Shanghai hukou holder (4 a year, at most 40)",
    ),
    _count(
        "sh_false_documents",
        "提供虚假材料记录",
        "records of false documents",
        "SH13 减分指标",
        "提供虚假材料的次数",
        "times false documents were supplied",
    ),
    _count(
        "sh_criminal_records",
        "一般刑事犯罪记录",
        "general criminal records",
        "SH13 减分指标",
        "一般刑事犯罪记录的次数",
        "general criminal records",
    ),
    dataclasses.replace(COMMON_DETENTION, cite="SH13 减分指标"),
    _flag(
        "sh_serious_criminal_record",
        "有严重刑事犯罪记录",
        "has a serious criminal record",
        "SH13 一票否决指标",
        "严重刑事犯罪记录实行一票否决",
        "a serious criminal record is a veto",
    ),
)


def _next_education(facts: dict[str, Any], on: dt.date) -> dict[str, Any] | None:
    level = str(facts["education"])
    if level in ("bachelor", "master", "doctor") and not facts["education_matched"]:
        return {**facts, "education_matched": True}
    pos = EDUCATION_ORDER.index(level)
    if level == "doctor":
        return None
    target = max(pos + 1, EDUCATION_ORDER.index("junior_college"))
    return {**facts, "education": EDUCATION_ORDER[target], "education_matched": True}


def _plus(name: str, amount: int, cap: int | None = None) -> Callable[..., dict[str, Any] | None]:
    def change(facts: dict[str, Any], on: dt.date) -> dict[str, Any] | None:
        value = int(facts[name]) + amount
        if cap is not None and value > cap:
            return None
        return {**facts, name: value}

    return change


def _work_and_live_year(facts: dict[str, Any], on: dt.date) -> dict[str, Any] | None:
    home = (
        "bj_residence_own_months"
        if facts["bj_residence_own_months"]
        else "bj_residence_rent_months"
    )
    return {
        **facts,
        "si_months_beijing": int(facts["si_months_beijing"]) + 12,
        home: int(facts[home]) + 12,
    }


def _next_choice(name: str, order: Sequence[str]) -> Callable[..., dict[str, Any] | None]:
    def change(facts: dict[str, Any], on: dt.date) -> dict[str, Any] | None:
        pos = list(order).index(str(facts[name]))
        return None if pos + 1 >= len(order) else {**facts, name: order[pos + 1]}

    return change


def _label(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


BEIJING = Scheme(
    key="beijing",
    region=110000,
    name=_label("北京市积分落户", "Beijing points-based settlement"),
    grants="hukou",
    threshold=None,
    fields=BEIJING_FIELDS,
    versions=(
        Version("BJ16", dt.date(2016, 8, 1), "京政办发〔2016〕39号: rounds 2018 and 2019"),
        Version("BJ20", BJ20_START, "京政办发〔2020〕9号 (number unverified): from the 2020 round"),
    ),
    items=(
        ItemSpec("job", "bj_points_job", _label("合法稳定就业", "legal stable job")),
        ItemSpec(
            "residence", "bj_points_residence", _label("合法稳定住所", "legal stable residence")
        ),
        ItemSpec("education", "bj_points_education", _label("教育背景", "education")),
        ItemSpec(
            "study_overlap",
            "bj_deduction_study_overlap",
            _label("在读期间就业居住积分扣减", "deduction for study overlap"),
            deduction=True,
        ),
        ItemSpec("district", "bj_points_district", _label("职住区域", "job-residence district")),
        ItemSpec("innovation", "bj_points_innovation", _label("创新创业", "innovation")),
        ItemSpec("tax", "bj_points_tax", _label("纳税", "tax")),
        ItemSpec(
            "tax_violations",
            "bj_deduction_tax",
            _label("税收违法记录", "tax violations"),
            deduction=True,
        ),
        ItemSpec("age", "bj_points_age", _label("年龄", "age")),
        ItemSpec("honours", "bj_points_honours", _label("荣誉表彰", "honours")),
        ItemSpec(
            "law_abidance", "bj_deduction_law", _label("守法记录", "law-abidance"), deduction=True
        ),
    ),
    preconditions=(
        (
            "residence_permit",
            "bj_pre_residence_permit",
            _label("持有本市居住证", "holds a Beijing residence permit"),
        ),
        (
            "below_retirement_age",
            "bj_pre_below_retirement_age",
            _label("不超过法定退休年龄", "below the statutory retirement age"),
        ),
        (
            "social_insurance",
            "bj_pre_social_insurance",
            _label(
                "在京连续缴纳社会保险7年及以上", "7 years of continuous Beijing social insurance"
            ),
        ),
        (
            "no_criminal_record",
            "bj_pre_no_criminal_record",
            _label("无刑事犯罪记录", "no criminal record"),
        ),
    ),
    score="bj_score",
    eligible="bj_eligible",
    improvements=(
        Candidate(
            "si_months_beijing",
            _label("再连续缴纳一年社会保险", "one more year of Beijing social insurance"),
            "job",
            _plus("si_months_beijing", 12),
        ),
        Candidate(
            "si_months_beijing",
            _label("在京再工作并居住一年", "one more year of working and living in Beijing"),
            "residence",
            _work_and_live_year,
        ),
        Candidate(
            "education",
            _label("取得更高一级学历学位", "the next education step"),
            "education",
            _next_education,
        ),
        Candidate(
            "bj_outer_residence_only_years",
            _label("居住地迁出城六区满一年", "one year living outside the six core districts"),
            "district",
            _plus("bj_outer_residence_only_years", 1),
        ),
        Candidate(
            "bj_outer_job_and_residence_years",
            _label(
                "就业和居住均迁出城六区满一年",
                "one year working and living outside the six core districts",
            ),
            "district",
            _plus("bj_outer_job_and_residence_years", 1),
        ),
        Candidate(
            "bj_tax_qualifying_years",
            _label("再有一个年度纳税满10万元", "one more year with 100,000 yuan of tax"),
            "tax",
            _plus("bj_tax_qualifying_years", 1, cap=3),
        ),
    ),
    parameter_prefix="bj",
)

SHANGHAI = Scheme(
    key="shanghai",
    region=310000,
    name=_label("上海市居住证积分", "Shanghai residence-permit points"),
    grants="permit_benefits",
    threshold=Decimal("120"),
    fields=SHANGHAI_FIELDS,
    versions=(Version("SH13", dt.date(2013, 7, 1), "沪府发〔2013〕40号 and later revisions"),),
    items=(
        ItemSpec("age", "sh_points_age", _label("年龄", "age")),
        ItemSpec(
            "qualification",
            "sh_points_qualification",
            _label(
                "教育背景、职业资格或专业技术职称（取高）",
                "education, skill grade or title (highest)",
            ),
        ),
        ItemSpec(
            "social_insurance",
            "sh_points_si",
            _label("在沪工作和缴纳社保年限", "years of Shanghai social insurance"),
        ),
        ItemSpec("shortage", "sh_points_shortage", _label("紧缺急需专业", "shortage discipline")),
        ItemSpec(
            "tax_investment",
            "sh_points_tax_investment",
            _label("投资纳税或带动就业", "investment or tax"),
        ),
        ItemSpec("si_base", "sh_points_si_base", _label("社保缴费基数", "contribution base")),
        ItemSpec(
            "public_service",
            "sh_points_public_service",
            _label("公共服务领域", "public-service sectors"),
        ),
        ItemSpec(
            "outer_suburb",
            "sh_points_outer_suburb",
            _label("远郊重点区域", "outer-suburb key areas"),
        ),
        ItemSpec(
            "fresh_graduate", "sh_points_fresh_graduate", _label("应届高校毕业生", "fresh graduate")
        ),
        ItemSpec("award", "sh_points_award", _label("表彰奖励", "awards")),
        ItemSpec(
            "spouse", "sh_points_spouse", _label("配偶为本市户籍", "spouse with Shanghai hukou")
        ),
        ItemSpec(
            "false_documents",
            "sh_deduction_false_documents",
            _label("提供虚假材料", "false documents"),
            deduction=True,
        ),
        ItemSpec(
            "criminal",
            "sh_deduction_criminal",
            _label("刑事犯罪记录", "criminal records"),
            deduction=True,
        ),
        ItemSpec(
            "detention",
            "sh_deduction_detention",
            _label("行政拘留记录", "administrative detention"),
            deduction=True,
        ),
    ),
    preconditions=(
        (
            "residence_permit",
            "sh_pre_residence_permit",
            _label("持有本市居住证", "holds a Shanghai residence permit"),
        ),
        (
            "no_veto",
            "sh_pre_no_veto",
            _label("无一票否决情形（严重刑事犯罪）", "no veto (serious criminal record)"),
        ),
    ),
    score="sh_score",
    eligible="sh_eligible",
    improvements=(
        Candidate(
            "si_months_shanghai",
            _label("再连续缴纳一年社会保险", "one more year of Shanghai social insurance"),
            "social_insurance",
            _plus("si_months_shanghai", 12),
        ),
        Candidate(
            "education",
            _label("取得更高一级学历学位", "the next education step"),
            "qualification",
            _next_education,
        ),
        Candidate(
            "vocational_grade",
            _label("取得更高一级职业资格", "the next vocational grade"),
            "qualification",
            _next_choice("vocational_grade", [c for c, _ in _GRADE_CHOICES]),
        ),
        Candidate(
            "professional_title",
            _label("取得更高一级专业技术职称", "the next professional title"),
            "qualification",
            _next_choice("professional_title", [c for c, _ in _TITLE_CHOICES]),
        ),
        Candidate(
            "sh_si_base_band",
            _label("提高社保缴费基数一档", "a contribution base one band higher"),
            "si_base",
            _next_choice("sh_si_base_band", [c for c, _ in _SI_BASE_CHOICES]),
        ),
        Candidate(
            "sh_public_service_years",
            _label("在公共服务领域再工作一年", "one more year in a public-service sector"),
            "public_service",
            _plus("sh_public_service_years", 1),
        ),
        Candidate(
            "sh_outer_suburb_years",
            _label("在远郊重点区域再工作一年", "one more year in an outer-suburb key area"),
            "outer_suburb",
            _plus("sh_outer_suburb_years", 1),
        ),
    ),
    routes=(
        Route(
            "residence_to_hukou",
            _label("居住证转办常住户口（居转户）", "residence permit to hukou (居转户)"),
            _label(
                "上海的常住户口须经另行规定的“居转户”途径办理，积分达到120分不等于落户。"
                "本系统未掌握该途径可核对的条件，仅记录其存在，不作判断。",
                "Shanghai hukou goes through the separate residence-permit-to-hukou route; "
                "120 points are not hukou. liudong has no checkable text of that route's "
                "conditions, so it records that the route exists and decides nothing about it.",
            ),
        ),
    ),
    parameter_prefix="sh",
)

SCHEMES: dict[str, Scheme] = {s.key: s for s in (BEIJING, SHANGHAI)}


def scheme(key: str) -> Scheme:
    """The scheme of a city by key (``beijing``, ``shanghai``)."""
    try:
        return SCHEMES[key]
    except KeyError:
        known = ", ".join(sorted(SCHEMES))
        raise KeyError(f"no points scheme {key!r}; the schemes are: {known}") from None


def scheme_for_region(region: int) -> Scheme | None:
    """The scheme of the city a GB/T 2260 code lies in, if that city has one."""
    city = _city_of(int(region))
    return next((s for s in SCHEMES.values() if s.region == city), None)


def _city_of(code: int) -> int:
    province = code // 10000
    if province in (11, 12, 31, 50):
        return province * 10000
    return code // 100 * 100


# ---------------------------------------------------------------- facts


def _clean(sch: Scheme, facts: Mapping[str, object], on: dt.date) -> dict[str, Any]:
    """Check one applicant's facts; fill defaults. Unknown names are an error (a typo)."""
    names = {f.name for f in sch.fields}
    unknown = sorted(set(facts) - names)
    if unknown:
        raise FactError(
            unknown[0],
            f"is not a fact of the {sch.name['en']} scheme",
            "one of: " + ", ".join(sorted(names)),
        )
    out: dict[str, Any] = {}
    for f in sch.fields:
        value = facts.get(f.name, f.default)
        if value is None:
            raise FactError(f.name, "is required", _expected(f))
        out[f.name] = _parse(f, value)
    return out


def _expected(f: Field) -> str:
    if f.kind == "choice":
        return "one of: " + ", ".join(code for code, _ in f.choices)
    if f.kind == "bool":
        return "true or false"
    if f.kind == "date":
        return "a date YYYY-MM-DD"
    if f.kind == "decimal":
        return f'an amount of {f.unit} with at most 2 decimals, e.g. "120000.00"'
    low = f.minimum if f.minimum is not None else "any"
    high = f.maximum if f.maximum is not None else "any"
    return f"a whole number of {f.unit} from {low} to {high}"


def _parse(f: Field, value: object) -> Any:
    problem = f"{value!r} is not valid"
    if f.kind == "bool":
        if isinstance(value, bool):
            return value
    elif f.kind == "choice":
        if isinstance(value, str) and value in {c for c, _ in f.choices}:
            return value
        problem = f"{value!r} is not one of the choices"
    elif f.kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                problem = f"{value!r} is not a date"
    elif f.kind == "decimal":
        try:
            fen = yuan_to_fen(value, where=f.name)
        except Exception as exc:
            problem = str(exc).split(": ", 1)[-1]
        else:
            if fen < 0:
                problem = "must not be negative"
            else:
                return Decimal(fen) / 100
    else:  # int
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value.strip())
        if number is not None:
            if f.minimum is not None and number < f.minimum:
                problem = f"{number} is below {f.minimum}"
            elif f.maximum is not None and number > f.maximum:
                problem = f"{number} is above {f.maximum}"
            else:
                return number
    raise FactError(f.name, problem, _expected(f))


def _frame(sch: Scheme, rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Clean facts as the person frame the rules read (money in fen, categories as text)."""
    columns: dict[str, pl.Series] = {
        "person_id": pl.Series("person_id", range(1, len(rows) + 1), dtype=pl.Int64),
        "household_id": pl.Series("household_id", [1] * len(rows), dtype=pl.Int64),
    }
    for f in sch.fields:
        values = [r[f.name] for r in rows]
        columns[f.name] = _series(f, values)
    columns["residence_region"] = _residence(sch, len(rows))
    return pl.DataFrame(list(columns.values()))


def _residence(sch: Scheme, n: int) -> pl.Series:
    """Where an applicant of a scheme lives: its city (the rules compare her hukou with it)."""
    return pl.Series("residence_region", np.full(n, sch.region, dtype=np.int32))


def _series(f: Field, values: list[Any]) -> pl.Series:
    if f.kind == "bool":
        return pl.Series(f.name, values, dtype=pl.Boolean)
    if f.kind == "date":
        return pl.Series(f.name, values, dtype=pl.Date)
    if f.kind == "choice":
        return pl.Series(f.name, values, dtype=pl.String)
    if f.kind == "decimal":
        return pl.Series(f.name, [int(v * 100) for v in values], dtype=pl.Int64)
    return pl.Series(f.name, values, dtype=pl.Int64)


# ---------------------------------------------------------------- assessing


@functools.cache
def _system() -> RuleSystem:
    return default_system()


def _centi(values: np.ndarray) -> np.ndarray:
    """Points (float, at most 2 decimals by construction) as exact int64 hundredths."""
    return np.rint(np.asarray(values, dtype=np.float64) * 100).astype(np.int64)


def _outputs(sch: Scheme) -> list[str]:
    return [
        sch.score,
        sch.eligible,
        *(i.variable for i in sch.items),
        *(p[1] for p in sch.preconditions),
    ]


def assess(
    key: str, facts: Mapping[str, object], on: dt.date, reform: Reform | None = None
) -> Assessment:
    """Score one applicant on a date under the version in force (optionally a reform)."""
    sch = scheme(key)
    version = sch.version(on)
    clean = _clean(sch, facts, on)
    candidates: list[tuple[Candidate, dict[str, Any]]] = []
    for cand in sch.improvements:
        if not sch.field(cand.field).in_force(on):
            continue
        changed = cand.change(dict(clean), on)
        if changed is not None:
            candidates.append((cand, changed))
    rows = [clean, *(c[1] for c in candidates)]
    system = _system()
    sim = _simulation(system, on, _frame(sch, rows), reform)
    score = _centi(sim.calculate(sch.score))
    marks = _provisional_items(sch, on, reform)
    items = tuple(
        Item(
            key=spec.key,
            label=spec.label,
            points=_decimal(int(_centi(sim.calculate(spec.variable)[:1])[0])),
            cite=_cite(system, spec.variable, on),
            provisional=marks[spec.key],
        )
        for spec in sch.items
    )
    pre = tuple(
        Precondition(pkey, label, bool(sim.calculate(var)[0]), _cite(system, var, on))
        for pkey, var, label in sch.preconditions
    )
    item_cites = {i.key: i.cite for i in items}
    gains: dict[tuple[str, str], Improvement] = {}
    for row, (cand, _) in enumerate(candidates, start=1):
        gain = int(score[row] - score[0])
        if gain > 0:
            imp = Improvement(cand.label, _decimal(gain), cand.field, item_cites[cand.item])
            gains.setdefault((cand.field, cand.label["en"]), imp)
    improvements = tuple(sorted(gains.values(), key=lambda i: (-i.gain, i.field)))
    total = _decimal(int(score[0]))
    return Assessment(
        scheme=sch.key,
        on=on,
        ruleset=ruleset_version(key, on),
        eligible=bool(sim.calculate(sch.eligible)[0]),
        preconditions=pre,
        score=total,
        items=items,
        improvements=improvements,
        explanation=explain(sim, sch.score, 0),
        provisional=any(i.provisional for i in items) or version_provisional(sch, on),
        reaches_threshold=None
        if sch.threshold is None
        else bool(sim.calculate(sch.eligible)[0]) and total >= sch.threshold,
        version=version.document,
    )


def _simulation(
    system: RuleSystem, on: dt.date, frame: pl.DataFrame, reform: Reform | None
) -> Simulation:
    try:
        return Simulation(system, on, {"person": frame}, reform)
    except RulesError as exc:
        raise FactError("reform", str(exc), "a reform naming parameters of this scheme") from None


def _decimal(centi: int) -> Decimal:
    return (Decimal(centi) / 100).quantize(CENT)


def assess_table(
    key: str, table: pl.DataFrame, on: dt.date, reform: Reform | None = None
) -> pl.DataFrame:
    """Score every row of ``table`` (one applicant per row, columns named by the scheme's
    fields; money columns in integer fen; choices as text or Enum). A missing column whose
    field has a default takes the default; a missing required column is an error.

    Returns, row for row: ``eligible`` (bool), ``score_centi`` (int64, score x 100, exact),
    ``<item>_centi`` (int64) per item, ``pre_<precondition>`` (bool) per precondition and, for
    a scheme with a standard score, ``reaches_threshold`` (bool).
    """
    sch = scheme(key)
    sch.version(on)
    frame = _table_frame(sch, table)
    system = _system()
    sim = _simulation(system, on, frame, reform)
    try:
        score = _centi(sim.calculate(sch.score))
        columns = [
            pl.Series("eligible", sim.calculate(sch.eligible)),
            pl.Series("score_centi", score),
        ]
        columns += [
            pl.Series(f"{i.key}_centi", _centi(sim.calculate(i.variable))) for i in sch.items
        ]
        columns += [pl.Series(f"pre_{p[0]}", sim.calculate(p[1])) for p in sch.preconditions]
    except RulesError as exc:
        raise FactError("table", str(exc), "columns of the scheme's fields") from None
    if sch.threshold is not None:
        eligible = sim.calculate(sch.eligible)
        columns.append(
            pl.Series("reaches_threshold", eligible & (score >= int(sch.threshold * 100)))
        )
    return pl.DataFrame(columns)


def _table_frame(sch: Scheme, table: pl.DataFrame) -> pl.DataFrame:
    n = table.height
    out: list[pl.Series] = [
        pl.Series("person_id", np.arange(1, n + 1, dtype=np.int64)),
        pl.Series("household_id", np.ones(n, dtype=np.int64)),
    ]
    for f in sch.fields:
        if f.name in table.columns:
            series = table.get_column(f.name)
            if series.null_count():
                raise FactError(f.name, f"{series.null_count()} rows are empty", _expected(f))
            _check_range(f, series)
            out.append(series)
        elif f.required:
            raise FactError(f.name, "the table has no such column", _expected(f))
        else:
            out.append(_constant(f, n))
    out.append(_residence(sch, n))
    return pl.DataFrame(out)


def _check_range(f: Field, series: pl.Series) -> None:
    if f.kind == "int":
        if not series.dtype.is_integer():
            raise FactError(f.name, f"the column is {series.dtype}", "an integer column")
        if f.minimum is not None and (series < f.minimum).any():
            count = int((series < f.minimum).sum())
            raise FactError(f.name, f"{count} rows are below {f.minimum}", _expected(f))
        if f.maximum is not None and (series > f.maximum).any():
            count = int((series > f.maximum).sum())
            raise FactError(f.name, f"{count} rows are above {f.maximum}", _expected(f))
    elif f.kind == "decimal":
        if not series.dtype.is_integer():
            raise FactError(f.name, f"the column is {series.dtype}", "integer fen (yuan x 100)")
        if (series < 0).any():
            raise FactError(f.name, "some rows are negative", "amounts of at least 0")
    elif f.kind == "choice":
        codes = [c for c, _ in f.choices]
        if series.dtype.is_integer():
            if ((series < 0) | (series >= len(codes))).any():
                raise FactError(f.name, "some codes are out of range", f"codes 0..{len(codes) - 1}")
            return
        bad = series.cast(pl.String).filter(~series.cast(pl.String).is_in(codes)).unique()
        if bad.len():
            raise FactError(f.name, f"values {bad.head(5).to_list()} are not choices", _expected(f))


def _constant(f: Field, n: int) -> pl.Series:
    value = _parse(f, f.default)
    if f.kind == "decimal":
        return pl.Series(f.name, np.full(n, int(value * 100), dtype=np.int64))
    if f.kind == "bool":
        return pl.Series(f.name, np.full(n, bool(value)))
    if f.kind == "int":
        return pl.Series(f.name, np.full(n, int(value), dtype=np.int64))
    if f.kind == "choice":
        codes = [c for c, _ in f.choices]
        return pl.Series(f.name, np.full(n, codes.index(value), dtype=np.int16))
    return pl.Series(f.name, [value] * n, dtype=pl.Date)


# ---------------------------------------------------------------- versions and windows


def _closure(system: RuleSystem, names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Every variable and parameter the named variables depend on."""
    variables: list[str] = []
    parameters: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in variables:
            continue
        variables.append(name)
        var = system.variable(name)
        if var.is_input:
            continue
        deps = system.dependencies(name)
        todo.extend(deps.variables)
        parameters.update(deps.parameters)
    return sorted(variables), sorted(parameters)


@functools.cache
def precondition_fields(key: str, on: dt.date) -> frozenset[str]:
    """The scheme's facts that its preconditions read under the rules in force on the date
    (found by following the rules' dependencies, never listed by hand)."""
    sch = scheme(key)
    variables, _ = _closure(_system(), [var for _, var, _ in sch.preconditions])
    return frozenset(f.name for f in sch.fields_on(on) if f.name in variables)


@functools.cache
def _provisional_map(key: str, on: dt.date) -> dict[str, bool]:
    sch = scheme(key)
    system = _system()
    out = {}
    for spec in sch.items:
        _, params = _closure(system, [spec.variable])
        out[spec.key] = any(
            e.confidence != "verified" for p in params for e in system.compiled(p, on, None).entries
        )
    return out


def _provisional_items(sch: Scheme, on: dt.date, reform: Reform | None) -> dict[str, bool]:
    marks = dict(_provisional_map(sch.key, on))
    if reform is not None:
        system = _system()
        changed = system.reform_changes(reform)
        for spec in sch.items:
            if spec.variable in changed:
                marks[spec.key] = True
    return marks


def version_provisional(sch: Scheme, on: dt.date) -> bool:
    """Whether the document of the version in force is itself provisional."""
    from liudong.rules.citations import documents

    return documents()[sch.version(on).document].confidence != "verified"


@functools.cache
def ruleset_version(key: str, on: dt.date) -> str:
    """``<scheme>/<document>@<hash12>``: the rules and parameter values in force for the
    scheme on the date. The hash covers the source of every formula in force that the score,
    items and preconditions depend on, and every parameter value in force; it does not move
    when unrelated rules change, so a round can freeze it when it opens and replay it later."""
    sch = scheme(key)
    version = sch.version(on)
    system = _system()
    variables, parameters = _closure(system, _outputs(sch))
    digest = hashlib.sha256(f"{sch.key}\0{version.document}\0".encode())
    for name in variables:
        var = system.variable(name)
        formula = var.formula_on(on) if not var.is_input else None
        body = inspect.getsource(formula.func) if formula is not None else f"input {var.vtype.name}"
        cite = formula.cite if formula is not None else var.cite
        digest.update(f"{name}\0{body}\0{cite.document} {cite.article}\0".encode())
    for name in parameters:
        compiled = system.compiled(name, on, None)
        vtype = system.parameter(name).vtype
        entries = [e.as_dict(vtype) for e in compiled.entries]
        digest.update(name.encode() + b"\0" + json.dumps(entries, sort_keys=True).encode())
    return f"{sch.key}/{version.document}@{digest.hexdigest()[:12]}"


def _parameter_value(name: str, on: dt.date) -> tuple[Any, str, str]:
    system = _system()
    compiled = system.compiled(name, on, None)
    if not compiled.entries:
        raise FactError("on", f"{name} has no value in force on {on.isoformat()}", "a later date")
    entry = compiled.entries[-1]
    cite = f"{entry.cite.document} {entry.cite.article}"
    vtype = system.parameter(name).vtype
    return vtype.to_python(entry.value), cite, entry.confidence


def review_window(key: str, on: dt.date) -> tuple[int, str, str]:
    """Working days an applicant has to ask for a review of her preliminary score:
    (days, citation, confidence)."""
    sch = scheme(key)
    sch.version(on)
    days, cite, confidence = _parameter_value(
        f"{sch.parameter_prefix}_review_window_working_days", on
    )
    return int(days), cite, confidence


def objection_window(key: str, on: dt.date) -> tuple[int, str, str]:
    """Working days of the public notice in which objections may be raised."""
    sch = scheme(key)
    sch.version(on)
    name = f"{sch.parameter_prefix}_objection_window_working_days"
    days, cite, confidence = _parameter_value(name, on)
    return int(days), cite, confidence


def tie_rule(key: str, on: dt.date) -> tuple[Literal["admit_all_tied", "exclude_tied"], str, str]:
    """What happens to applicants tied at the cut-off score: (rule, citation, confidence)."""
    sch = scheme(key)
    sch.version(on)
    if sch.threshold is not None:  # a standard score: everyone reaching it qualifies
        _, cite, confidence = _parameter_value(f"{sch.parameter_prefix}_standard_score", on)
        return "admit_all_tied", cite, confidence
    value, cite, confidence = _parameter_value(f"{sch.parameter_prefix}_admit_all_tied", on)
    rule: Literal["admit_all_tied", "exclude_tied"] = "admit_all_tied" if value else "exclude_tied"
    return rule, cite, confidence


@dataclass(frozen=True)
class Published:
    """One published figure of a past round, with its citation and confidence."""

    value: Decimal | int
    cite: str
    confidence: str
    note: str = ""


@dataclass(frozen=True)
class PublishedRound:
    """What one past round of a scheme published (``year``: the year of the list). Reference
    information only: a figure no reliable source gives is None."""

    year: int
    cutoff: Published | None  # points, Decimal with two places
    settled: Published | None  # persons
    applicants: Published | None  # persons
    tied_at_cutoff: Published | None  # persons with exactly the cut-off score

    @property
    def provisional(self) -> bool:
        figures = (self.cutoff, self.settled, self.applicants, self.tied_at_cutoff)
        return any(f is not None and f.confidence != "verified" for f in figures)


PUBLISHED_FIGURES = ("cutoff", "settled", "applicants", "tied_at_cutoff")


def published_results(key: str) -> tuple[PublishedRound, ...]:
    """The published results of the scheme's past rounds, oldest first, from its dated
    parameters ``<prefix>_published_<figure>`` (one value per round year; Beijing: 2018-2022,
    policy.md §2a). Empty for a scheme that publishes none (Shanghai's standard score)."""
    return _published_results(scheme(key).parameter_prefix)


@functools.cache
def _published_results(prefix: str) -> tuple[PublishedRound, ...]:
    system = _system()
    by_year: dict[int, dict[str, Published]] = {}
    for figure in PUBLISHED_FIGURES:
        name = f"{prefix}_published_{figure}"
        if name not in system.parameters:
            continue
        param = system.parameter(name)
        for entry in param.all_entries():
            value = param.vtype.to_python(entry.value)
            exact = Decimal(str(value)).quantize(CENT) if figure == "cutoff" else int(value)
            cite = f"{entry.cite.document} {entry.cite.article}"
            by_year.setdefault(entry.start.year, {})[figure] = Published(
                exact, cite, entry.confidence, entry.note
            )
    return tuple(
        PublishedRound(
            year=year,
            cutoff=found.get("cutoff"),
            settled=found.get("settled"),
            applicants=found.get("applicants"),
            tied_at_cutoff=found.get("tied_at_cutoff"),
        )
        for year, found in sorted(by_year.items())
    )


def reference_quota(key: str, on: dt.date) -> tuple[int | None, str, str]:
    """The usual yearly number settled (a default for simulations and round set-up); None for
    a scheme without a quota."""
    sch = scheme(key)
    sch.version(on)
    if sch.threshold is not None:
        return None, "", "verified"
    value, cite, confidence = _parameter_value(f"{sch.parameter_prefix}_reference_quota", on)
    return int(value), cite, confidence


def _cite(system: RuleSystem, variable: str, on: dt.date) -> str:
    var = system.variable(variable)
    formula = var.formula_on(on)
    cite = formula.cite if formula is not None else var.cite
    return f"{cite.document} {cite.article}"


# ---------------------------------------------------------------- any city


CITY_FACTS = (
    "hukou_region",
    "months_resident",
    "has_stable_job",
    "has_stable_residence",
    "is_studying",
)


def city_answer(region: int, facts: Mapping[str, object], on: dt.date) -> CityAnswer:
    """For any city (a GB/T 2260 code in it): its size class and settlement policy on the date,
    whether the person may settle without restriction, whether she may hold a residence permit
    there and, where the city has a points scheme, her assessment under it.

    ``facts`` may hold ``hukou_region`` and the residence-permit facts (``months_resident``,
    ``has_stable_job``, ``has_stable_residence``, ``is_studying``) plus the facts of the city's
    scheme; answers whose facts are missing are None (the scheme is assessed only when its
    required facts are given)."""
    from liudong import regions

    code = int(region)
    try:
        name_zh = regions.name(code)
    except Exception:
        raise FactError(
            "region", f"{code} is not a known GB/T 2260 code", "a region code"
        ) from None
    city = _city_of(code)
    try:
        city_name = regions.name(city)
    except KeyError:  # a county-level city directly under its province
        city, city_name = code, name_zh
    sch = scheme_for_region(code)
    hukou = facts.get("hukou_region")
    row: dict[str, Any] = {
        "person_id": 1,
        "household_id": 1,
        "residence_region": code,
        "hukou_region": int(hukou) if isinstance(hukou, int) and not isinstance(hukou, bool) else 0,
    }
    permit_facts = all(k in facts for k in CITY_FACTS[1:])
    row["months_resident"] = int(facts.get("months_resident", 0))  # type: ignore[call-overload]
    for k in CITY_FACTS[2:]:
        value = facts.get(k, False)
        if not isinstance(value, bool):
            raise FactError(k, f"{value!r} is not true or false", "true or false")
        row[k] = value
    frame = pl.DataFrame([row]).with_columns(
        pl.col("residence_region").cast(pl.Int32), pl.col("hukou_region").cast(pl.Int32)
    )
    system = _system()
    sim = Simulation(system, on, {"person": frame})
    size_type = system.variable("city_size_class").vtype
    policy_type = system.variable("settlement_policy").vtype
    if not isinstance(size_type, Category) or not isinstance(policy_type, Category):
        raise RulesError("city_size_class and settlement_policy must be category variables")
    size = size_type.categories[int(sim.calculate("city_size_class")[0])]
    policy = policy_type.categories[int(sim.calculate("settlement_policy")[0])]
    assessment = None
    if sch is not None:
        scheme_facts = {k: v for k, v in facts.items() if k in {f.name for f in sch.fields}}
        missing = [f.name for f in sch.fields if f.required and f.name not in scheme_facts]
        if not missing and sch.versions[0].start <= on:
            assessment = assess(sch.key, scheme_facts, on)
    settlement_policy_provisional = any(
        e.confidence != "verified"
        for e in system.compiled("settlement_policy_by_class", on, None).entries
        if e.key == (size,)
    )
    return CityAnswer(
        region=code,
        city=city,
        name={"zh": city_name, "en": f"{city_name} {city}"},
        on=on,
        size_class=size,
        size_class_label=size_type.labels.get(size, {"zh": size, "en": size}),
        policy=policy,
        policy_label=policy_type.labels.get(policy, {"zh": policy, "en": policy}),
        may_settle_unrestricted=bool(sim.calculate("settlement_unrestricted")[0])
        if hukou is not None
        else None,
        residence_permit_eligible=bool(sim.calculate("residence_permit_eligible")[0])
        if hukou is not None and permit_facts
        else None,
        scheme=sch.key if sch else None,
        assessment=assessment,
        cite=_cite(system, "settlement_policy", on),
        provisional=settlement_policy_provisional
        or (assessment.provisional if assessment else False),
    )
