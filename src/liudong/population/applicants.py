"""Applicant attributes: the facts a city's points scheme asks of a person, for simulations.

``generate(..., applicants=True)`` (``liudong population generate --applicants``) adds these
columns to every person part. They are drawn from the person's own columns (age, education,
hukou, residence, job, social insurance, income) with a separate random stream, so the base
columns are the same with or without them. Every share and spread is an ``assumption`` of
:data:`liudong.population.calibration.TABLE` (keys ``applicant.*``), never law; the one check
against published figures is the Beijing round (policy.md §2a: about 106,000–125,000
applicants a year, about 6,000 settled, cut-offs 90.75–105.42), which
``liudong settlement simulate`` reports against.

The attributes describe the person *in the city where she lives*; a scheme reads them for the
residents of its own city (``liudong.settlement.analysis`` maps them onto the scheme's fields).

Columns (persons under 18 and people with nothing to declare have the zero value):

``has_residence_permit`` Boolean
    a residence permit of the city of residence: non-local residents of 6 months or more with a
    stable job, a stable residence or in study (RP15 art. 2), most of whom hold one.
``residence_kind`` Enum none/own/rented/dorm, ``residence_months`` Int32
    the legal stable residence and how long it has been held (at most ``months_resident``).
``has_diploma``, ``has_degree`` Boolean
    the certificate of the level in ``education`` (学历) and the matching degree (学位);
    junior college has no degree.
``study_overlap_months`` Int32
    months of study for that qualification while insured in the city (a deduction in Beijing).
``core_moved_years`` Int8, ``core_moved_with_job`` Boolean
    Beijing: whole years since the residence (and, with the flag, the job too) moved out of the
    six core districts (城六区) to the district of residence.
``innovation_award_tier`` Int8
    the best science, technology, culture or innovation-competition award by its grade in the
    Beijing measures' table (1 highest, 9 lowest, 0 none).
``tax_years`` Int8, ``tax_violations`` Int8
    years of the last three with at least 100,000 yuan of tax paid; tax-violation records.
``honours`` Boolean, ``detention_records`` Int8, ``criminal_record`` Boolean
    a model-worker or bravery honour; administrative detentions; a criminal record.
``skill_grade`` Enum none/grade5 … grade1, ``professional_title`` Enum none/junior/
intermediate/senior
    the national vocational qualification and professional title (Shanghai scores them).
``si_base_tier`` Enum below_80/80_100/100_200/200_300/300_plus
    social-insurance contribution base against the city's average wage (percent).
``shortage_discipline``, ``fresh_graduate`` Boolean
    a major on the city's shortage list with a matching job; a fresh full-time graduate.
``applies`` Boolean
    intends to apply in this year's points round of the city of residence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from liudong.population import calibration as cal
from liudong.population._geography import city_of

if TYPE_CHECKING:
    import datetime as dt

    import numpy.typing as npt

    Ints = npt.NDArray[np.int64]
    Bools = npt.NDArray[np.bool_]
    Floats = npt.NDArray[np.float64]

__all__ = [
    "APPLICANT_SCHEMA",
    "CORE_DISTRICTS",
    "RESIDENCE_KINDS",
    "SI_BASE_TIERS",
    "SKILL_GRADES",
    "TITLES",
    "applicant_columns",
    "applicant_rng",
]

RESIDENCE_KINDS: Final = ("none", "own", "rented", "dorm")
SKILL_GRADES: Final = ("none", "grade5", "grade4", "grade3", "grade2", "grade1")
TITLES: Final = ("none", "junior", "intermediate", "senior")
SI_BASE_TIERS: Final = ("below_80", "80_100", "100_200", "200_300", "300_plus")
CORE_DISTRICTS: Final = (110101, 110102, 110105, 110106, 110107, 110108)
"""Beijing's six core districts (城六区): 东城, 西城, 朝阳, 丰台, 石景山, 海淀."""
BEIJING: Final = 110000
COLLEGE: Final = cal.EDUCATION_LEVELS.index("junior_college")
BACHELOR: Final = cal.EDUCATION_LEVELS.index("bachelor")
_ADULT: Final = 18

APPLICANT_SCHEMA: Final = pl.Schema(
    {
        "has_residence_permit": pl.Boolean(),
        "residence_kind": pl.Enum(list(RESIDENCE_KINDS)),
        "residence_months": pl.Int32(),
        "has_diploma": pl.Boolean(),
        "has_degree": pl.Boolean(),
        "study_overlap_months": pl.Int32(),
        "core_moved_years": pl.Int8(),
        "core_moved_with_job": pl.Boolean(),
        "innovation_award_tier": pl.Int8(),
        "tax_years": pl.Int8(),
        "tax_violations": pl.Int8(),
        "honours": pl.Boolean(),
        "detention_records": pl.Int8(),
        "criminal_record": pl.Boolean(),
        "skill_grade": pl.Enum(list(SKILL_GRADES)),
        "professional_title": pl.Enum(list(TITLES)),
        "si_base_tier": pl.Enum(list(SI_BASE_TIERS)),
        "shortage_discipline": pl.Boolean(),
        "fresh_graduate": pl.Boolean(),
        "applies": pl.Boolean(),
    }
)


def applicant_rng(seed: int, index: int) -> np.random.Generator:
    """The stream of partition ``index``'s applicant attributes (apart from the base stream)."""
    return np.random.default_rng(np.random.SeedSequence([seed, index, 1]))


def _p(key: str) -> float:
    return cal.number(f"applicant.{key}") / 100


def _chance(rng: np.random.Generator, p: Floats | float, n: int) -> Bools:
    drawn: Bools = rng.random(n) < p
    return drawn


class _Person:
    """The base columns an attribute is drawn from, as numpy arrays."""

    def __init__(self, person: pl.DataFrame, as_of: dt.date) -> None:
        birth = person["birth_date"].to_numpy().astype("datetime64[D]")
        days = (np.datetime64(as_of, "D") - birth).astype(np.int64)
        self.n = person.height
        self.age: Ints = days // 365  # within a day of whole years: enough for shares
        self.level: Ints = person["education"].to_physical().to_numpy().astype(np.int64)
        self.city = city_of(person["residence_region"].to_numpy())
        self.region = person["residence_region"].to_numpy().astype(np.int64)
        self.migrant: Bools = city_of(person["hukou_region"].to_numpy()) != self.city
        self.resident = person["months_resident"].to_numpy().astype(np.int64)
        self.si = person["si_months"].to_numpy().astype(np.int64)
        self.job = person["has_stable_job"].to_numpy()
        self.home = person["has_stable_residence"].to_numpy()
        self.studying = person["is_studying"].to_numpy()
        self.income = person["monthly_income"].to_numpy() / 100  # yuan
        self.adult: Bools = self.age >= _ADULT


def _permit(rng: np.random.Generator, p: _Person) -> Bools:
    qualifies: Bools = p.migrant & p.adult & (p.resident >= 6) & (p.job | p.home | p.studying)
    held: Bools = qualifies & _chance(rng, _p("residence_permit"), p.n)
    return held


def _residence(rng: np.random.Generator, p: _Person) -> tuple[Ints, Ints]:
    own_local, own_migrant, dorm = (v / 100 for v in cal.vector("applicant.residence_kind"))
    u = rng.random(p.n)
    own = u < np.where(p.migrant, own_migrant, own_local)
    kind = np.where(own, 1, np.where(u < 1 - dorm, 2, 3))
    kind = np.where(p.home & p.adult, kind, 0)
    share = rng.uniform(cal.number("applicant.residence_share"), 1.0, p.n)
    adult_months = np.minimum(p.resident, np.maximum(p.age - _ADULT, 0) * 12)
    months = np.where(kind > 0, np.floor(adult_months * share), 0).astype(np.int64)
    return kind.astype(np.int64), months


def _certificates(rng: np.random.Generator, p: _Person) -> tuple[Bools, Bools]:
    both, diploma_only = (v / 100 for v in cal.vector("applicant.diploma_degree"))
    u = rng.random(p.n)
    college = p.level >= COLLEGE
    degree_level = p.level >= BACHELOR
    diploma = college & (~degree_level | (u < both + diploma_only))
    degree = degree_level & ((u < both) | (u >= both + diploma_only))
    return diploma, degree


def _overlap(rng: np.random.Generator, p: _Person, diploma: Bools, degree: Bools) -> Ints:
    share, low, high = cal.vector("applicant.study_overlap")
    has = (diploma | degree) & (p.si > 0) & _chance(rng, share / 100, p.n)
    months = rng.integers(int(low), int(high) + 1, p.n)
    return np.where(has, np.minimum(months, p.si), 0).astype(np.int64)


def _core_moves(rng: np.random.Generator, p: _Person) -> tuple[Ints, Bools]:
    share, years_max, with_job = cal.vector("applicant.core_moved")
    outside = (p.city == BEIJING) & ~np.isin(p.region, CORE_DISTRICTS) & p.adult
    moved = outside & _chance(rng, share / 100, p.n)
    years = np.minimum(rng.integers(1, int(years_max) + 1, p.n), p.resident // 12)
    years = np.where(moved, years, 0)
    job = (years > 0) & p.job & _chance(rng, with_job / 100, p.n)
    return years.astype(np.int64), job


def _innovation(rng: np.random.Generator, p: _Person) -> Ints:
    share, college_factor = cal.vector("applicant.innovation")
    weights = np.array(cal.vector("applicant.innovation_tiers"))
    chance = share / 100 * np.where(p.level >= BACHELOR, college_factor, 1.0)
    has = p.job & _chance(rng, chance, p.n)
    tier = 1 + rng.choice(len(weights), p.n, p=weights / weights.sum())
    return np.where(has, tier, 0).astype(np.int64)


def _tax(rng: np.random.Generator, p: _Person) -> tuple[Ints, Ints]:
    monthly, owners = cal.vector("applicant.tax")
    rich = p.job & (p.income >= monthly)
    owner = p.job & _chance(rng, owners / 100, p.n)
    years = np.where(rich, 3, np.where(owner, rng.integers(1, 4, p.n), 0))
    violations = _chance(rng, _p("tax_violation"), p.n) & p.job
    return years.astype(np.int64), violations.astype(np.int64)


def _records(rng: np.random.Generator, p: _Person) -> tuple[Bools, Ints, Bools]:
    honours = p.job & _chance(rng, _p("honours"), p.n)
    detention = (p.adult & _chance(rng, _p("detention"), p.n)).astype(np.int64)
    criminal = p.adult & _chance(rng, _p("criminal_record"), p.n)
    return honours, detention, criminal


def _skills(rng: np.random.Generator, p: _Person) -> tuple[Ints, Ints]:
    skill_share = _p("skill_grade")
    grades = np.array(cal.vector("applicant.skill_grades"))
    has_skill = p.job & (p.level < BACHELOR) & _chance(rng, skill_share, p.n)
    grade = 1 + rng.choice(len(grades), p.n, p=grades / grades.sum())
    titles = np.array(cal.vector("applicant.titles"))
    has_title = p.job & (p.level >= COLLEGE) & (p.age >= 25) & _chance(rng, _p("title"), p.n)
    title = 1 + rng.choice(len(titles), p.n, p=titles / titles.sum())
    return np.where(has_skill, grade, 0), np.where(has_title, title, 0)


def _si_base(p: _Person) -> Ints:
    average = cal.number("applicant.average_wage") * np.where(
        np.isin(p.city, (BEIJING, 310000)), 1.0, cal.number("income.city_factor.default") / 1.5
    )
    ratio = p.income / average
    tier = np.searchsorted(np.array([0.8, 1.0, 2.0, 3.0]), ratio, side="right")
    return np.where(p.si > 0, tier, 0).astype(np.int64)


def _applies(rng: np.random.Generator, p: _Person, permit: Bools) -> Bools:
    """Permit holders who would apply if the scheme let them (the scheme decides who may)."""
    return permit & _chance(rng, _p("applies"), p.n)


def _enum(values: Ints, name: str) -> pl.Series:
    dtype = APPLICANT_SCHEMA[name]
    assert isinstance(dtype, pl.Enum)  # noqa: S101  # the schema names every enum column
    return pl.Series(name, dtype.categories, dtype=dtype).gather(values)


def applicant_columns(
    rng: np.random.Generator, person: pl.DataFrame, as_of: dt.date
) -> pl.DataFrame:
    """The applicant attributes of ``person`` (a person part), one row per person, in order."""
    p = _Person(person, as_of)
    permit = _permit(rng, p)
    kind, months = _residence(rng, p)
    diploma, degree = _certificates(rng, p)
    overlap = _overlap(rng, p, diploma, degree)
    moved_years, moved_job = _core_moves(rng, p)
    tax_years, violations = _tax(rng, p)
    honours, detention, criminal = _records(rng, p)
    skill, title = _skills(rng, p)
    graduate = p.adult & (p.age <= 24) & (p.level >= BACHELOR) & ~p.studying
    shortage = p.job & (p.level >= COLLEGE) & _chance(rng, _p("shortage_discipline"), p.n)
    columns = [
        pl.Series("has_residence_permit", permit),
        _enum(kind, "residence_kind"),
        pl.Series("residence_months", months),
        pl.Series("has_diploma", diploma),
        pl.Series("has_degree", degree),
        pl.Series("study_overlap_months", overlap),
        pl.Series("core_moved_years", moved_years),
        pl.Series("core_moved_with_job", moved_job),
        pl.Series("innovation_award_tier", _innovation(rng, p)),
        pl.Series("tax_years", tax_years),
        pl.Series("tax_violations", violations),
        pl.Series("honours", honours),
        pl.Series("detention_records", detention),
        pl.Series("criminal_record", criminal),
        _enum(skill, "skill_grade"),
        _enum(title, "professional_title"),
        _enum(_si_base(p), "si_base_tier"),
        pl.Series("shortage_discipline", shortage),
        pl.Series("fresh_graduate", graduate & _chance(rng, _p("fresh_graduate"), p.n)),
        pl.Series("applies", _applies(rng, p, permit)),
    ]
    return pl.DataFrame(columns).cast(APPLICANT_SCHEMA)
