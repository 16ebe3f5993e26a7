"""One partition of the population: households and their members as two Polars frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from liudong.population import calibration as cal
from liudong.population._ages import Layout, arrange_ages
from liudong.population._households import Households, Hukou, draw_households, draw_hukou
from liudong.population._idnumber import address_codes, id_numbers
from liudong.population._names import draw_given, draw_surnames, full_names
from liudong.population._people import (
    RETIREMENT_GROUPS,
    Work,
    draw_education,
    draw_retirement_group,
    draw_sex,
    draw_work,
    is_studying,
    months_resident,
    si_months,
)

if TYPE_CHECKING:
    import datetime as dt

    import numpy.typing as npt

    from liudong.population._geography import Geography

    Ints = npt.NDArray[np.int64]
    Bools = npt.NDArray[np.bool_]
    Dates = npt.NDArray[np.datetime64]

__all__ = ["HOUSEHOLD_SCHEMA", "PERSON_SCHEMA", "Part", "People", "generate_part", "part_rng"]

SEX: Final = pl.Enum(["M", "F"])
RETIREMENT_GROUP: Final = pl.Enum(list(RETIREMENT_GROUPS))
EDUCATION: Final = pl.Enum(list(cal.EDUCATION_LEVELS))
HUKOU_TYPE: Final = pl.Enum(["rural", "urban"])

HOUSEHOLD_SCHEMA: Final = pl.Schema(
    {
        "household_id": pl.Int64(),
        "household_region": pl.Int32(),
        "passes_asset_test": pl.Boolean(),
    }
)
PERSON_SCHEMA: Final = pl.Schema(
    {
        "person_id": pl.Int64(),
        "household_id": pl.Int64(),
        "id_number": pl.String(),
        "name": pl.String(),
        "sex": SEX,
        "birth_date": pl.Date(),
        "retirement_group": RETIREMENT_GROUP,
        "education": EDUCATION,
        "hukou_region": pl.Int32(),
        "hukou_type": HUKOU_TYPE,
        "residence_region": pl.Int32(),
        "months_resident": pl.Int32(),
        "si_months": pl.Int32(),
        "has_stable_job": pl.Boolean(),
        "has_stable_residence": pl.Boolean(),
        "is_studying": pl.Boolean(),
        "monthly_income": pl.Int64(),
    }
)


@dataclass(frozen=True)
class Part:
    """Where a partition sits in the dataset: its index, the count, its first ids."""

    index: int
    parts: int
    persons: int
    first_person: int
    first_household: int
    as_of: dt.date


def part_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of partition ``index``: independent streams from one seed."""
    return np.random.default_rng(np.random.SeedSequence([seed, index]))


def _anniversary(year: Ints, as_of: dt.date) -> Dates:
    """The as-of month and day in each year (28 February stands in for the 29th)."""
    day = 28 if (as_of.month, as_of.day) == (2, 29) else as_of.day
    months = (year - 1970) * 12 + as_of.month - 1
    return months.astype("datetime64[M]").astype("datetime64[D]") + (day - 1)


def birth_dates(rng: np.random.Generator, age: Ints, as_of: dt.date) -> Dates:
    """A birth date for each age: uniform over the year of days giving that age on ``as_of``."""
    end = _anniversary(as_of.year - age, as_of)
    start = _anniversary(as_of.year - age - 1, as_of) + 1
    span = (end - start).astype(np.int64) + 1
    return start + np.floor(rng.random(len(age)) * span).astype(np.int64)


def age_in_months(birth: Dates, as_of: dt.date) -> Ints:
    """Completed months from each birth date to ``as_of``."""
    month = birth.astype("datetime64[M]")
    day = (birth - month.astype("datetime64[D]")).astype(np.int64) + 1
    whole: Ints = (np.datetime64(as_of, "M") - month).astype(np.int64)
    early: Ints = (day > as_of.day).astype(np.int64)  # birthday of the month not yet reached
    return whole - early


def _person_hukou(
    rng: np.random.Generator, geo: Geography, homes: Households, layout: Layout
) -> Hukou:
    """The household's hukou for most; some members (never the head) have their own."""
    household = layout.household
    city, region = homes.city[household], homes.region[household]
    own = (layout.slot > 0) & (rng.random(len(household)) < cal.number("hukou.member_own") / 100)
    rows = np.flatnonzero(own)
    fresh = draw_hukou(rng, geo, city[rows], region[rows])
    hukou = Hukou(
        homes.hukou.region[household],
        homes.hukou.urban[household],
        homes.hukou.migrant[household],
    )
    hukou.region[rows], hukou.urban[rows], hukou.migrant[rows] = (
        fresh.region,
        fresh.urban,
        fresh.migrant,
    )
    return hukou


def _names(rng: np.random.Generator, layout: Layout, male: Bools) -> pl.Series:
    """Members take the head's surname, except the head's spouse (second place)."""
    own = draw_surnames(rng, len(male))
    starts = np.cumsum(layout.size) - layout.size
    surname = np.where(layout.slot == 1, own, own[starts[layout.household]])
    return full_names(surname, draw_given(rng, male))


def _enum(values: Ints, dtype: pl.Enum, name: str) -> pl.Series:
    return pl.Series(name, dtype.categories, dtype=dtype).gather(values)


def _asset_test(rng: np.random.Generator, homes: Households, layout: Layout, work: Work) -> Bools:
    low, other, threshold = cal.vector("asset_test.pass")
    total = np.bincount(layout.household, weights=work.income, minlength=homes.count)
    low_income = total / homes.size < threshold * 100
    return rng.random(homes.count) < np.where(low_income, low, other) / 100


@dataclass(frozen=True)
class People:
    """Person columns of one partition as numpy arrays (and the names as a Series)."""

    male: Bools
    birth: Dates
    group: Ints
    level: Ints
    hukou: Hukou
    studying: Bools
    work: Work
    resident: Ints
    si: Ints
    names: pl.Series


def _draw_people(
    rng: np.random.Generator, geo: Geography, homes: Households, layout: Layout, as_of: dt.date
) -> People:
    city = homes.city[layout.household]
    age, spouse = arrange_ages(rng, layout, city, geo.cities)
    male = draw_sex(rng, spouse)
    hukou = _person_hukou(rng, geo, homes, layout)
    birth = birth_dates(rng, age, as_of)
    group = draw_retirement_group(rng, male)
    level = draw_education(rng, age, male, hukou.urban, city, geo.cities)
    studying = is_studying(rng, age, level)
    work = draw_work(rng, age, group, level, studying, hukou.urban, geo.income_factor[city])
    months = age_in_months(birth, as_of)
    resident = months_resident(rng, months, hukou.migrant, homes.months[layout.household])
    si = si_months(rng, work.stable_job, hukou.migrant, resident, months)
    names = _names(rng, layout, male)
    return People(male, birth, group, level, hukou, studying, work, resident, si, names)


def _person_frame(part: Part, homes: Households, layout: Layout, people: People) -> pl.DataFrame:
    year = people.birth.astype("datetime64[Y]").astype(np.int64) + 1970
    area = address_codes(people.hukou.region, year)
    columns = [
        pl.Series("person_id", part.first_person + np.arange(len(people.male))),
        pl.Series("household_id", part.first_household + layout.household),
        id_numbers(area, people.birth, people.male, part.index, part.parts),
        people.names,
        _enum(np.where(people.male, 0, 1), SEX, "sex"),
        pl.Series("birth_date", people.birth),
        _enum(people.group, RETIREMENT_GROUP, "retirement_group"),
        _enum(people.level, EDUCATION, "education"),
        pl.Series("hukou_region", people.hukou.region),
        _enum(people.hukou.urban.astype(np.int64), HUKOU_TYPE, "hukou_type"),
        pl.Series("residence_region", homes.region[layout.household]),
        pl.Series("months_resident", people.resident),
        pl.Series("si_months", people.si),
        pl.Series("has_stable_job", people.work.stable_job),
        pl.Series("has_stable_residence", homes.stable_residence[layout.household]),
        pl.Series("is_studying", people.studying),
        pl.Series("monthly_income", people.work.income),
    ]
    return pl.DataFrame(columns).cast(PERSON_SCHEMA)


def generate_part(
    rng: np.random.Generator, geo: Geography, part: Part
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The households and persons of one partition, with ids continuing from ``part``'s."""
    homes = draw_households(rng, geo, part.persons)
    layout = Layout.of(homes.size)
    people = _draw_people(rng, geo, homes, layout, part.as_of)
    household = pl.DataFrame(
        [
            pl.Series("household_id", part.first_household + np.arange(homes.count)),
            pl.Series("household_region", homes.region),
            pl.Series("passes_asset_test", _asset_test(rng, homes, layout, people.work)),
        ]
    ).cast(HOUSEHOLD_SCHEMA)
    return household, _person_frame(part, homes, layout, people)
