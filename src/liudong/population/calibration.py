"""Every number the synthetic population is calibrated on, in one table.

Each entry of :data:`TABLE` is a :class:`Figure`: its value, whether it is a published figure
(``basis="source"``, with the row of ``shared/reference/census.md`` it comes from) or a
modelling choice (``basis="assumption"``, with the reasoning), and whether the generator uses it
(``role="calibration"``) or only :func:`liudong.population.validate` compares against it
(``role="validation"``: figures held out of the calibration, to measure the distance honestly).

Keys are dotted names; per-city entries end with the city's GB/T 2260 code
(``"age_bands.110000"``) and fall back to ``"….default"`` where a city has none. Shares are in
percent unless the key says otherwise; money is yuan per month.

Assumptions marked "approximate" recall published local figures (city 7th-census bulletins)
that are not in census.md and have not been checked against the bulletins: they are better
than the national profile for those cities, and nothing more is claimed for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "EDUCATION_LEVELS",
    "TABLE",
    "Figure",
    "age_bands",
    "education_shares",
    "for_city",
    "number",
    "vector",
]

Basis = Literal["source", "assumption"]
Role = Literal["calibration", "validation"]

EDUCATION_LEVELS: Final = (
    "none",
    "primary",
    "junior_secondary",
    "senior_secondary",
    "junior_college",
    "bachelor",
    "master",
    "doctor",
)
"""Education categories, lowest first (the order of the ``education`` Enum)."""


@dataclass(frozen=True)
class Figure:
    """One calibration number (or a short vector of them) with its provenance."""

    value: float | tuple[float, ...]
    basis: Basis
    ref: str
    role: Role = "calibration"


def _src(value: float | tuple[float, ...], ref: str, role: Role = "calibration") -> Figure:
    return Figure(value, "source", f"census.md: {ref}", role)


def _asm(value: float | tuple[float, ...], ref: str) -> Figure:
    return Figure(value, "assumption", ref)


_CENSUS = "7th census table"
_APPROX = "approximate, recalled from the city's 7th-census bulletin, unverified"

TABLE: Final[Mapping[str, Figure]] = MappingProxyType(
    {
        # ---------------------------------------------------------------- 7th census (source)
        "census.population": _src(
            1_411_778_724, f"{_CENSUS}, 'total population' row", "validation"
        ),
        "census.sex_ratio": _src(105.07, f"{_CENSUS}, 'total population' row (sex ratio 105.07)"),
        "census.urban_share": _src(63.89, f"{_CENSUS}, 'urban residents' row", "validation"),
        "census.separated": _src(
            492_762_506, f"{_CENSUS}, 'residence separated from hukou place' row", "validation"
        ),
        "census.age65.national": _src(
            13.50, f"{_CENSUS}, 'age 0–14 / 15–59 / 60+ / 65+' row", "validation"
        ),
        "census.age65.110000": _src(13.30, f"{_CENSUS}, 'Beijing age …/ 65+' row", "validation"),
        # age bands 0–14 / 15–59 / 60+ (percent)
        "age_bands.default": _src(
            (17.95, 63.35, 18.70), f"{_CENSUS}, 'age 0–14 / 15–59 / 60+' row"
        ),
        "age_bands.110000": _src((11.84, 68.53, 19.63), f"{_CENSUS}, 'Beijing age 0–14 / …' row"),
        "age_bands.310000": _asm((9.80, 66.82, 23.38), f"Shanghai; {_APPROX}"),
        "age_bands.440100": _asm((13.87, 74.72, 11.41), f"Guangzhou; {_APPROX}"),
        "age_bands.510100": _asm((13.28, 68.74, 17.98), f"Chengdu; {_APPROX}"),
        "age_bands.420100": _asm((13.0, 69.0, 18.0), f"Wuhan; {_APPROX}"),
        "age_bands.450100": _asm((21.0, 66.0, 13.0), f"Nanning; {_APPROX}"),
        "age_bands.540100": _asm((20.0, 72.0, 8.0), f"Lhasa; {_APPROX}"),
        # single-year shape: flat inside 0–14 and 15–59; Gompertz survival from 60
        "age.max": _asm(100, "oldest age generated; the 100+ tail is folded into 100"),
        "age.gompertz_60": _asm(
            (0.010, 0.10),
            "mortality at 60 (per year) and its growth rate: shape of ages 60+ inside the band; "
            "not tuned to the 65+ share, which stays a validation figure",
        ),
        # education per 100,000: none / primary / junior sec. / senior sec. / college+ (percent)
        "education.default": _src(
            (10.171, 24.767, 34.507, 15.088, 15.467),
            f"{_CENSUS}, 'education per 100,000' row (none = 100,000 minus the four levels)",
        ),
        "college_share.110000": _src(41.980, f"{_CENSUS}, 'college+ per 100,000: Beijing'"),
        "college_share.310000": _src(33.872, f"{_CENSUS}, 'college+ per 100,000: Shanghai'"),
        "below_college.110000": _asm(
            (6.635, 10.503, 23.289, 17.593), f"Beijing none / primary / junior / senior; {_APPROX}"
        ),
        "below_college.310000": _asm(
            (6.244, 11.929, 28.935, 19.020), f"Shanghai none / primary / junior / senior; {_APPROX}"
        ),
        "college_share.440100": _asm(27.28, f"Guangzhou college+; {_APPROX}"),
        "college_share.420100": _asm(33.87, f"Wuhan college+; {_APPROX}"),
        "college_share.510100": _asm(25.58, f"Chengdu college+; {_APPROX}"),
        "college_share.450100": _asm(20.0, f"Nanning college+; {_APPROX}"),
        "college_share.540100": _asm(20.0, f"Lhasa college+; {_APPROX}"),
        "college_share.360200": _asm(13.0, "Jingdezhen college+: a little below the national 15.5"),
        # split of college+ into junior college / bachelor / master / doctor (percent of college+)
        "college_split.default": _asm(
            (51.0, 44.0, 4.5, 0.5), "national split of college+: 专科 a little over half"
        ),
        "college_split.110000": _asm((30.0, 52.0, 14.0, 4.0), "Beijing: many graduates"),
        "college_split.310000": _asm((35.0, 50.0, 12.0, 3.0), "Shanghai: many graduates"),
        "education.latent": _asm(
            (0.045, 0.6, 0.4, 50.0),
            "ordinal model of adult attainment: loss per year of age above 25, gain for urban "
            "hukou, loss for women above the given age (older cohorts); ranks, not levels, are "
            "used: the calibrated shares are hit exactly",
        ),
        "education.senior_enrolment": _asm(90.0, "share of ages 15–17 in senior secondary school"),
        "education.min_age": _asm(
            (18.0, 18.0, 22.0, 25.0), "youngest age for junior college / bachelor / master / doctor"
        ),
        "studying.college": _asm(85.0, "share of ages 18–22 with (some) college who are students"),
        "studying.graduate": _asm(
            50.0, "share of ages 22–29 with a master's or doctorate studying"
        ),
        # sex and retirement group
        "retirement.women_55": _asm(35.0, "women under the cadre age 55 (others 50)"),
        "names.single_given": _asm(
            20.0,
            "given names taken whole from Faker's list (one character, or its few two-character "
            "names); the others join two one-character names",
        ),
        # cities: weights, migrants, hukou
        "city.population.110000": _asm(21.89, f"resident population, million; {_APPROX}"),
        "city.population.310000": _asm(24.87, f"resident population, million; {_APPROX}"),
        "city.population.440100": _asm(18.68, f"resident population, million; {_APPROX}"),
        "city.population.510100": _asm(20.94, f"resident population, million; {_APPROX}"),
        "city.population.420100": _asm(12.33, f"resident population, million; {_APPROX}"),
        "city.population.450100": _asm(8.74, f"resident population, million; {_APPROX}"),
        "city.population.540100": _asm(
            0.87, "resident population, million: liudong.regions census2020.csv (867,891)"
        ),
        "city.population.360200": _asm(1.62, f"resident population, million; {_APPROX}"),
        "migrant_share.default": _asm(15.0, "hukou outside the city: small cities"),
        "migrant_share.110000": _asm(
            38.0, f"Beijing: 8.4 of 21.9 million from elsewhere; {_APPROX}"
        ),
        "migrant_share.310000": _asm(
            42.0, f"Shanghai: 10.5 of 24.9 million from elsewhere; {_APPROX}"
        ),
        "migrant_share.440100": _asm(50.0, "Guangzhou: about half from elsewhere"),
        "migrant_share.510100": _asm(35.0, "Chengdu"),
        "migrant_share.420100": _asm(30.0, "Wuhan"),
        "migrant_share.450100": _asm(28.0, "Nanning"),
        "migrant_share.540100": _asm(35.0, "Lhasa"),
        "same_province.default": _asm(70.0, "migrants from elsewhere in the city's own province"),
        "same_province.110000": _asm(0.0, "a municipality is its own province"),
        "same_province.310000": _asm(0.0, "a municipality is its own province"),
        "same_province.440100": _asm(45.0, "Guangzhou: many from the rest of Guangdong"),
        "same_province.510100": _asm(75.0, "Chengdu: mostly from the rest of Sichuan"),
        "same_province.420100": _asm(75.0, "Wuhan: mostly from the rest of Hubei"),
        "same_province.450100": _asm(80.0, "Nanning: mostly from the rest of Guangxi"),
        "same_province.540100": _asm(45.0, "Lhasa: half from the rest of Tibet"),
        "same_province.360200": _asm(80.0, "Jingdezhen: mostly from the rest of Jiangxi"),
        # inter-provincial origin weights (relative), by province code
        "origin.410000": _asm(14.0, "Henan: the largest sender"),
        "origin.340000": _asm(11.0, "Anhui"),
        "origin.510000": _asm(9.0, "Sichuan"),
        "origin.130000": _asm(8.0, "Hebei"),
        "origin.430000": _asm(8.0, "Hunan"),
        "origin.370000": _asm(6.0, "Shandong"),
        "origin.420000": _asm(6.0, "Hubei"),
        "origin.320000": _asm(5.0, "Jiangsu"),
        "origin.360000": _asm(5.0, "Jiangxi"),
        "origin.450000": _asm(4.0, "Guangxi"),
        "origin.520000": _asm(4.0, "Guizhou"),
        "origin.500000": _asm(4.0, "Chongqing"),
        "origin.230000": _asm(3.0, "Heilongjiang"),
        "origin.610000": _asm(3.0, "Shaanxi"),
        "origin.620000": _asm(3.0, "Gansu"),
        "origin.140000": _asm(2.0, "Shanxi"),
        "origin.220000": _asm(2.0, "Jilin"),
        "origin.210000": _asm(2.0, "Liaoning"),
        "origin.150000": _asm(1.0, "Inner Mongolia"),
        "origin.350000": _asm(1.0, "Fujian"),
        "origin.440000": _asm(1.0, "Guangdong"),
        "origin.330000": _asm(1.0, "Zhejiang"),
        "origin.530000": _asm(1.0, "Yunnan"),
        "origin.630000": _asm(0.5, "Qinghai"),
        "origin.640000": _asm(0.5, "Ningxia"),
        "origin.540000": _asm(0.3, "Tibet"),
        "origin.650000": _asm(0.5, "Xinjiang"),
        "origin.460000": _asm(0.3, "Hainan"),
        "origin.120000": _asm(0.5, "Tianjin"),
        "origin.110000": _asm(0.3, "Beijing"),
        "origin.310000": _asm(0.3, "Shanghai"),
        "county.district_weight": _asm(2.0, "weight of a district (区) against a county (县, 市)"),
        "hukou.same_county": _asm(70.0, "locals whose hukou county is the county they live in"),
        "hukou.member_own": _asm(8.0, "members whose hukou differs from the household's"),
        "urban_hukou.default": _asm(60.0, "urban hukou among locals living in a district"),
        "urban_hukou.110000": _asm(85.0, "Beijing locals in districts"),
        "urban_hukou.310000": _asm(88.0, "Shanghai locals in districts"),
        "urban_hukou.440100": _asm(80.0, "Guangzhou locals in districts"),
        "urban_hukou.420100": _asm(75.0, "Wuhan locals in districts"),
        "urban_hukou.510100": _asm(70.0, "Chengdu locals in districts"),
        "urban_hukou.county": _asm(
            35.0, "urban hukou among locals living in a county or county-city"
        ),
        "urban_hukou.migrant": _asm(30.0, "urban hukou among migrants (most hold rural hukou)"),
        # households
        "household.size": _asm(
            (25.4, 29.7, 20.9, 13.2, 10.8),
            "households of 1 / 2 / 3 / 4 / 5 persons (5 stands for 5+), near the 2020 census",
        ),
        "household.child_slot_weight": _asm(
            (1.0, 6.0),
            "how strongly children go to the second member's place (a spouse's, usually) against "
            "the third and later places",
        ),
        "household.parent_gap": _asm((28.0, 4.0), "mean and sd of a parent's age minus a child's"),
        "household.sibling_sd": _asm(3.0, "sd (years) of children's ages around their family's"),
        "household.spouse_gap": _asm((-1.0, 3.0), "mean and sd of a spouse's age minus the head's"),
        "household.stable_residence": _asm(
            (92.0, 60.0), "legal stable residence: locals, migrants"
        ),
        # residence and social insurance
        "months.migrant": _asm(
            (60.0, 1.0), "months in the city of migrants: log-normal median, sigma"
        ),
        "months.local_moved": _asm((25.0, 120.0), "locals who moved in: percent, median months"),
        "si.coverage": _asm((85.0, 55.0), "workers insured in the city (%): locals, migrants"),
        # work and income
        "employment.rate": _asm(
            (50.0, 60.0, 70.0, 75.0, 82.0, 88.0, 92.0, 92.0),
            "stable job among working-age non-students, by education level (lowest first)",
        ),
        "income.median": _asm(
            (2500.0, 3000.0, 3800.0, 4500.0, 5500.0, 7500.0, 11000.0, 14000.0),
            "median monthly wage (yuan) of a 45-year-old worker by education level",
        ),
        "income.sigma": _asm(0.55, "log-normal sigma of wages"),
        "income.age_curve": _asm(
            (45.0, 0.0006), "wages peak at this age; log-wage loses this times (age - peak)^2"
        ),
        "income.informal": _asm(
            (65.0, 2500.0),
            "working-age adults without a stable job who earn informally (gig, casual, family "
            "business): percent, median yuan before the city factor",
        ),
        "income.city_factor.default": _asm(0.8, "wage level against a national big-city median"),
        "income.city_factor.110000": _asm(1.5, "Beijing"),
        "income.city_factor.310000": _asm(1.5, "Shanghai"),
        "income.city_factor.440100": _asm(1.25, "Guangzhou"),
        "income.city_factor.420100": _asm(1.0, "Wuhan"),
        "income.city_factor.510100": _asm(0.95, "Chengdu"),
        "income.city_factor.450100": _asm(0.85, "Nanning"),
        "income.city_factor.540100": _asm(0.95, "Lhasa"),
        "income.city_factor.360200": _asm(0.7, "Jingdezhen"),
        "pension.median": _asm(
            (3500.0, 400.0),
            "median monthly pension before the city factor, urban hukou (employees' scheme) and "
            "rural hukou (residents' scheme, a few hundred yuan)",
        ),
        "pension.sigma": _asm(0.4, "log-normal sigma of pensions"),
        "pension.none": _asm(5.0, "retired-age persons without any pension"),
        "asset_test.pass": _asm(
            (78.0, 92.0, 1000.0),
            "households passing the asset test: per-capita income below the threshold (yuan), "
            "at or above it; about 90% overall",
        ),
        # applicant attributes (liudong.population.applicants): the facts points schemes ask
        "applicant.residence_permit": _asm(
            90.0, "non-local adults who qualify for a residence permit (RP15 art. 2) and hold one"
        ),
        "applicant.residence_kind": _asm(
            (75.0, 30.0, 12.0),
            "legal stable residence: own property among locals, among non-locals; employer "
            "dormitory among all (the rest rent)",
        ),
        "applicant.residence_share": _asm(
            0.6,
            "the current legal residence covers a uniform share between this and all of the "
            "adult months lived in the city",
        ),
        "applicant.diploma_degree": _asm(
            (88.0, 7.0),
            "bachelor and above: diploma and matching degree; diploma only (the rest, 5%, hold "
            "the degree only); junior college has a diploma and no degree",
        ),
        "applicant.study_overlap": _asm(
            (25.0, 6.0, 48.0),
            "holders of a qualification who studied for it while insured in the city (percent), "
            "and the months, uniform between the two bounds (at most their SI months); "
            "informed by policy.md §2a: 1,488 of 6,019 on the 2018 Beijing list have the "
            "deduction, largest 11 points (about 38 months), 14 in 2022 (48 months)",
        ),
        "applicant.core_moved": _asm(
            (10.0, 8.0, 40.0),
            "Beijing adults living outside the six core districts who moved their residence out "
            "of them (percent); years since, uniform from 1 to this; of those with a job, the "
            "share whose job moved out too (percent)",
        ),
        "applicant.innovation": _asm(
            (1.5, 2.0),
            "workers with a science, culture or innovation-competition award (percent); how "
            "much likelier with a bachelor's level or above",
        ),
        "applicant.innovation_tiers": _asm(
            (1.0, 2.0, 3.0, 4.0, 6.0, 10.0, 14.0, 25.0, 35.0),
            "relative weights of the award grades 1 (highest) to 9 of the Beijing table",
        ),
        "applicant.tax": _asm(
            (60_000.0, 1.0),
            "monthly income (yuan) from which a worker's own tax passes 100,000 yuan a year; "
            "workers paying it through a firm they invested in (percent), for 1–3 years",
        ),
        "applicant.tax_violation": _asm(0.1, "workers with a tax-violation record (percent)"),
        "applicant.honours": _asm(
            0.05, "workers with a model-worker, model-of-virtue or bravery honour (percent)"
        ),
        "applicant.detention": _asm(0.3, "adults with an administrative-detention record (%)"),
        "applicant.criminal_record": _asm(0.5, "adults with a criminal record (percent)"),
        "applicant.skill_grade": _asm(
            15.0, "workers below a bachelor's level with a national vocational qualification (%)"
        ),
        "applicant.skill_grades": _asm(
            (30.0, 35.0, 25.0, 8.0, 2.0), "relative weights of grades 5 (lowest) to 1"
        ),
        "applicant.title": _asm(
            25.0, "workers aged 25+ with college or above holding a professional title (%)"
        ),
        "applicant.titles": _asm((45.0, 40.0, 15.0), "junior / intermediate / senior titles"),
        "applicant.average_wage": _asm(
            11_000.0,
            "city average wage (yuan/month) that social-insurance bases are compared with, "
            "Beijing and Shanghai; other cities scaled by their income factor",
        ),
        "applicant.shortage_discipline": _asm(
            3.0, "workers with college or above whose major is on the city's shortage list (%)"
        ),
        "applicant.fresh_graduate": _asm(
            50.0, "bachelor-level adults aged 24 or under, not studying, who graduated this year"
        ),
        "applicant.applies": _asm(
            40.0,
            "residence-permit holders who apply to their city's points round when the scheme "
            "lets them; tuned so that the Beijing applicants, weighted to the city's resident "
            "population, land near the 106,403–124,657 a year of policy.md §2a",
        ),
    }
)


def age_bands(city: int) -> tuple[float, float, float]:
    """Target shares (percent) of ages 0–14, 15–59 and 60+ in ``city``."""
    young, working, old = vector(for_city("age_bands", city))
    return young, working, old


def education_shares(city: int) -> tuple[float, ...]:
    """Target shares (percent) of none / primary / junior / senior / college+ in ``city``.

    A city with its own college+ share keeps the national (or its own) proportions among the
    four lower levels, scaled to the rest.
    """
    national = vector("education.default")
    if f"college_share.{city}" not in TABLE:
        return national
    college = number(f"college_share.{city}")
    below = vector(f"below_college.{city}") if f"below_college.{city}" in TABLE else national[:4]
    scale = (100.0 - college) / sum(below)
    return (*(share * scale for share in below), college)


def _figure(key: str) -> Figure:
    try:
        return TABLE[key]
    except KeyError:
        raise KeyError(f"{key!r} is not in liudong.population.calibration.TABLE") from None


def number(key: str) -> float:
    """A scalar figure by key."""
    value = _figure(key).value
    if isinstance(value, tuple):
        raise TypeError(f"{key!r} is a vector of {len(value)} values, not a number")
    return float(value)


def vector(key: str) -> tuple[float, ...]:
    """A vector figure by key."""
    value = _figure(key).value
    if not isinstance(value, tuple):
        raise TypeError(f"{key!r} is a number, not a vector")
    return value


def for_city(prefix: str, city: int) -> str:
    """The key of a per-city figure: ``prefix.<city>`` if present, else ``prefix.default``."""
    key = f"{prefix}.{city}"
    return key if key in TABLE else f"{prefix}.default"
