"""Demo data: regions, agencies in five cities, demo accounts and a synthetic registry.

``load()`` seeds an empty database once (one transaction; a second call finds the
``demo.seed`` audit events and only reports the accounts). What it holds:

- every GB/T 2260 division (``people.actions.do_load_regions``);
- in five cities, one per settlement class (Beijing and Shanghai: points schemes; Chengdu:
  super-large; Nanning: type-I large, relaxed; Lhasa: under one million, no restriction), a
  public employment service, a talent service, a social insurance agency, a civil affairs
  office and a hukou office, district-level where the work is done in districts;
- a caseworker and a supervisor per city, one auditor, one administrator, one policy analyst,
  one employer representative, each staff-type account with a TOTP device; two citizens bound
  to persons;
- 5,000 synthetic persons (``liudong.population.generate(5000, seed=1)``) in their
  households, with hukou records and residence permits, stored as the registry stores them:
  ID numbers SM4-encrypted, found by their HMAC-SM3 blind index, shown masked;
- settlement (``liudong.site.demo_rounds``): last year's Beijing points round, final with its
  published list v1, this year's open round with applications at every live stage, eight
  applicant accounts (``bj-applicant1`` ...) and a Shanghai resident (``sh-citizen``);
- the small synthetic population of the analyst page (``/settlement/analysis/``), generated
  once outside the database.

Every demo account has the password :data:`DEMO_PASSWORD`; TOTP secrets are random and kept
in the database (``liudong demo totp USERNAME`` prints the current code).
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong import crypto, population, regions
from liudong.accounts.models import STAFF_ROLES, Role, User
from liudong.audit.events import record
from liudong.audit.models import AuditEvent
from liudong.people import actions as registry
from liudong.people import idnumber
from liudong.people.models import (
    Agency,
    AgencyKind,
    Household,
    HukouRecord,
    Membership,
    Person,
    Region,
    Relationship,
    ResidencePermit,
)
from liudong.settlement.models import Application, Round
from liudong.site import demo_rounds

if TYPE_CHECKING:
    from collections.abc import Callable

SEED_ACTION: Final = "demo.seed"
DEMO_PASSWORD: Final = "liudong-demo-2025"  # noqa: S105  # the demo prints it; demo data only
PERSONS: Final = 5_000
SEED: Final = 1
AS_OF: Final = dt.date(2025, 6, 1)  # the population's reference date
BATCH: Final = 1_000


@dataclass(frozen=True)
class City:
    key: str
    name: str
    code: int  # the city (municipality or prefecture)
    district: int  # the district whose offices serve the demo
    settlement: str  # the settlement class, for the demo's explanation


CITIES: Final = (
    City("bj", "北京", 110000, 110105, "积分落户（超大城市）"),
    City("sh", "上海", 310000, 310115, "积分落户（超大城市）"),
    City("cd", "成都", 510100, 510107, "超大城市，条件落户"),
    City("nn", "南宁", 450100, 450103, "I型大城市，放宽落户"),
    City("ls", "拉萨", 540100, 540102, "城区人口100万以下，全面放开"),
)

# (kind, slug, name pattern, district-level?): {city}/{district} are the names.
AGENCY_KINDS: Final = (
    (AgencyKind.EMPLOYMENT, "employment", "{district}公共就业服务中心", True),
    (AgencyKind.TALENT, "talent", "{city}人才服务中心", False),
    (AgencyKind.SOCIAL_INSURANCE, "social-insurance", "{district}社会保险事业管理中心", True),
    (AgencyKind.CIVIL_AFFAIRS, "civil-affairs", "{district}民政局", True),
    (AgencyKind.HUKOU, "hukou", "{city}公安局{district_short}分局户政科", True),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    where: str  # agency, employer or bound person (masked)
    password: str
    otpauth: str  # "" for accounts without a second factor


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    counts: dict[str, int]
    accounts: list[DemoAccount]
    unbound_example: tuple[str, str] | None  # (ID number, name) to try real-name binding
    # (username, receipt secret) of an applicant admitted last year, to try the receipt check;
    # known only when the demo is seeded (secrets are never stored)
    receipt_example: tuple[str, str] | None = None


def is_seeded() -> bool:
    return AuditEvent.objects.filter(action=SEED_ACTION).exists()


def load(
    persons: int = PERSONS,
    seed: int = SEED,
    progress: Callable[[str], None] | None = None,
    *,
    analysis_population: bool = True,
) -> DemoSummary:
    """Seed the demo once; later calls change nothing and report the accounts. With
    ``analysis_population`` the analyst page's small synthetic population is made too (once,
    outside the database; about a second)."""
    say = progress or (lambda _message: None)
    if is_seeded():
        return DemoSummary(False, counts(), accounts(), None)
    with transaction.atomic():
        if is_seeded():  # another process seeded meanwhile
            return DemoSummary(False, counts(), accounts(), None)
        example, receipt = _seed(persons, seed, say)
    if analysis_population:
        from liudong.settlement import analysis_runs

        say(f"{analysis_runs.small_persons():,} synthetic persons for the analyst page")
        analysis_runs.ensure_population("small")
    if receipt is not None:
        say(
            f"receipt check: sign in as {receipt[0]}, open last year's application and paste "
            f"the receipt secret {receipt[1]} (shown only now)"
        )
    return DemoSummary(True, counts(), accounts(), example, receipt)


def counts() -> dict[str, int]:
    return {
        "regions": Region.objects.count(),
        "agencies": Agency.objects.count(),
        "persons": Person.objects.count(),
        "households": Household.objects.count(),
        "memberships": Membership.objects.count(),
        "hukou_records": HukouRecord.objects.count(),
        "residence_permits": ResidencePermit.objects.count(),
        "accounts": User.objects.count(),
        "totp_devices": TOTPDevice.objects.count(),
        "settlement_rounds": Round.objects.count(),
        "settlement_applications": Application.objects.count(),
    }


def _seed(
    persons: int, seed: int, say: Callable[[str], None]
) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    say("regions (GB/T 2260)")
    loaded = registry.do_load_regions(None)
    _batch("regions", loaded)
    say("agencies")
    agencies = _agencies()
    say("accounts")
    admin = _staff_accounts(agencies)
    say(f"{persons:,} synthetic persons")
    frames = _population(persons, seed)
    ids = _persons(frames["person"])
    _households(frames, ids)
    _hukou_and_permits(frames["person"], ids)
    say("employer and citizens")
    _employer(admin)
    example, taken = _citizens(frames["person"], ids)
    say("settlement: Beijing rounds (last year final, this year open), a Shanghai example")
    rounds = demo_rounds.seed(frames["person"], ids, _user, taken)
    _batch("settlement", Application.objects.count())
    return example, rounds.receipt


def _batch(name: str, count: int) -> None:
    record(None, SEED_ACTION, detail={"batch": name, "count": count})


# ---------------------------------------------------------------- agencies and accounts


def _agencies() -> dict[tuple[str, str], Agency]:
    made = {}
    for city in CITIES:
        district = regions.name(city.district)
        names = {
            "city": regions.name(city.code),
            "district": regions.name(city.code) + district,
            "district_short": district.removesuffix("区").removesuffix("新"),
        }
        for kind, slug, pattern, in_district in AGENCY_KINDS:
            made[city.key, slug] = registry.do_create_agency(
                None,
                code=f"{city.key}-{slug}",
                name=pattern.format(**names),
                kind=kind,
                region=city.district if in_district else city.code,
            )
    _batch("agencies", len(made))
    return made


@functools.cache
def _demo_password_hash() -> str:
    """Hashed once (Argon2 takes half a second); every demo account shares the password."""
    return make_password(DEMO_PASSWORD)


def _user(username: str, role: str, **fields: Any) -> User:
    user = User(username=username, role=role, password_changed_at=timezone.now(), **fields)
    user.password = _demo_password_hash()
    user.save()
    if role in STAFF_ROLES:
        TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
    return user


def _staff_accounts(agencies: dict[tuple[str, str], Agency]) -> User:
    for city in CITIES:
        office = agencies[city.key, "employment"]
        _user(f"{city.key}-staff", Role.STAFF, agency=office)
        _user(f"{city.key}-supervisor", Role.SUPERVISOR, agency=office)
    _user("auditor", Role.AUDITOR)
    admin = _user("admin", Role.ADMIN)
    _user("analyst", Role.ANALYST)
    _batch("staff_accounts", len(CITIES) * 2 + 3)
    return admin


def _employer(admin: User) -> None:
    employer = registry.do_register_employer(
        admin, credit_code="91110105MA01LD0Q16", name="北京流动示范科技有限公司", region=110105
    )
    _user("employer", Role.EMPLOYER, employer=employer)
    _batch("employer", 1)


# ---------------------------------------------------------------- the synthetic registry


def _population(persons: int, seed: int) -> dict[str, pl.DataFrame]:
    with tempfile.TemporaryDirectory(prefix="liudong-demo-") as folder:
        population.generate(persons, seed, Path(folder), as_of=AS_OF)
        return population.read(Path(folder))


def phone_of(person_key: int) -> str:
    """A deterministic, plausible mobile number for a synthetic person."""
    return f"13{(person_key * 7_919_993) % 1_000_000_000:09d}"


def _persons(frame: pl.DataFrame) -> dict[int, int]:
    """Insert the persons; returns population person_id -> Person.pk."""
    today = timezone.localdate()
    keys: dict[int, int] = {}
    rows = frame.select(
        "person_id", "id_number", "name", "sex", "birth_date", "retirement_group", "education"
    ).iter_rows(named=True)
    pending: list[tuple[int, Person]] = []
    for row in rows:
        parsed = idnumber.parse(row["id_number"], today=today)
        person = Person(
            id_number=parsed.value,
            id_bi=crypto.blind_index(parsed.value, "id_number"),
            id_masked=parsed.masked,
            name=row["name"],
            sex=parsed.sex,
            birth_date=row["birth_date"],
            retirement_group=row["retirement_group"],
            phone=phone_of(row["person_id"]) if _age(row["birth_date"]) >= 16 else "",
            education=row["education"],
        )
        pending.append((row["person_id"], person))
    for start in range(0, len(pending), BATCH):
        chunk = pending[start : start + BATCH]
        Person.objects.bulk_create([person for _key, person in chunk])
        keys.update((key, person.pk) for key, person in chunk)
        _batch("persons", len(chunk))
    return keys


def _age(birth: dt.date) -> int:
    return AS_OF.year - birth.year - ((AS_OF.month, AS_OF.day) < (birth.month, birth.day))


def relationships(person: pl.DataFrame) -> pl.Series:
    """Each member's relationship to the household's first member (the head), from age and
    sex: 15+ years younger a child, 15+ years older a parent, the first of the other sex
    close in age a spouse, anyone else other."""
    head = pl.col("person_id").first().over("household_id")
    head_birth = pl.col("birth_date").first().over("household_id")
    head_sex = pl.col("sex").cast(pl.String).first().over("household_id")
    gap = (pl.col("birth_date") - head_birth).dt.total_days() / 365.25
    close_other_sex = (gap.abs() < 15) & (pl.col("sex").cast(pl.String) != head_sex)
    spouse = close_other_sex & (close_other_sex.cum_sum().over("household_id") == 1)
    return person.sort("household_id", "person_id").select(
        pl.when(pl.col("person_id") == head)
        .then(pl.lit(Relationship.HEAD.value))
        .when(gap >= 15)
        .then(pl.lit(Relationship.CHILD.value))
        .when(gap <= -15)
        .then(pl.lit(Relationship.PARENT.value))
        .when(spouse)
        .then(pl.lit(Relationship.SPOUSE.value))
        .otherwise(pl.lit(Relationship.OTHER.value))
        .alias("relationship")
    )["relationship"]


def _households(frames: dict[str, pl.DataFrame], ids: dict[int, int]) -> None:
    homes: dict[int, Household] = {}
    for row in frames["household"].iter_rows(named=True):
        homes[row["household_id"]] = Household(region_id=row["household_region"])
    Household.objects.bulk_create(list(homes.values()), batch_size=BATCH)
    _batch("households", len(homes))
    person = frames["person"].sort("household_id", "person_id")
    person = person.with_columns(relationships(person))
    members = [
        Membership(
            household=homes[row["household_id"]],
            person_id=ids[row["person_id"]],
            relationship=row["relationship"],
            start=max(row["birth_date"], dt.date(2020, 1, 1)),
        )
        for row in person.select(
            "household_id", "person_id", "relationship", "birth_date"
        ).iter_rows(named=True)
    ]
    Membership.objects.bulk_create(members, batch_size=BATCH)
    _batch("memberships", len(members))


def _city_of(code: int) -> int:
    return regions.prefecture_of(code) or regions.province_of(code)


def _hukou_and_permits(person: pl.DataFrame, ids: dict[int, int]) -> None:
    hukou = [
        HukouRecord(
            person_id=ids[row["person_id"]],
            region_id=row["hukou_region"],
            hukou_type=row["hukou_type"],
            start=row["birth_date"],
        )
        for row in person.select("person_id", "hukou_region", "hukou_type", "birth_date").iter_rows(
            named=True
        )
    ]
    HukouRecord.objects.bulk_create(hukou, batch_size=BATCH)
    _batch("hukou_records", len(hukou))
    issued = timezone.localdate() - dt.timedelta(days=90)
    permits = []
    for row in person.filter(pl.col("months_resident") >= 6).iter_rows(named=True):
        city = _city_of(row["residence_region"])
        if _city_of(row["hukou_region"]) == city or _age(row["birth_date"]) < 16:
            continue
        permit = ResidencePermit(
            person_id=ids[row["person_id"]],
            city_id=city,
            issued_on=issued,
            valid_until=issued + dt.timedelta(days=365),
        )
        if hasattr(permit, "district_id"):
            permit.district_id = row["residence_region"]
        permits.append(permit)
    ResidencePermit.objects.bulk_create(permits, batch_size=BATCH)
    _batch("residence_permits", len(permits))


def _citizens(person: pl.DataFrame, ids: dict[int, int]) -> tuple[tuple[str, str] | None, set[int]]:
    """Bind citizen1 (hukou in Beijing Chaoyang) and citizen2 (a migrant living in Chengdu);
    return an unbound adult's (ID number, name) for trying real-name binding, and the
    population ids of the persons bound."""
    adults = person.filter(pl.col("birth_date") <= dt.date(AS_OF.year - 18, 1, 1))
    first = _pick(adults, pl.col("id_number").str.starts_with("110105"))
    second = _pick(
        adults,
        (pl.col("residence_region") // 100 == 5101) & (pl.col("hukou_region") // 100 != 5101),
    )
    chosen = []
    for username, row in (("citizen1", first), ("citizen2", second)):
        if row is not None:
            _user(username, Role.CITIZEN, person_id=ids[row["person_id"]])
            chosen.append(row["person_id"])
    _batch("citizens", len(chosen))
    rest = adults.filter(~pl.col("person_id").is_in(chosen))
    example = (rest["id_number"][-1], rest["name"][-1]) if rest.height else None
    return example, set(chosen)


def _pick(frame: pl.DataFrame, where: pl.Expr) -> dict[str, Any] | None:
    found = frame.filter(where)
    if found.is_empty():
        found = frame
    return found.row(0, named=True) if found.height else None


# ---------------------------------------------------------------- what the demo prints


def accounts() -> list[DemoAccount]:
    """The demo accounts with their password and, for staff, the otpauth:// URI."""
    users = (
        User.objects.filter(username__in=_demo_usernames())
        .select_related("agency", "employer", "person")
        .order_by("pk")
    )
    devices = {d.user_id: d for d in TOTPDevice.objects.filter(user__in=users, name="demo")}
    return [
        DemoAccount(
            username=user.username,
            role=str(user.get_role_display()),
            where=_where(user),
            password=DEMO_PASSWORD,
            otpauth=devices[user.pk].config_url if user.pk in devices else "",
        )
        for user in users
    ]


def _demo_usernames() -> list[str]:
    names = [f"{c.key}-{r}" for c in CITIES for r in ("staff", "supervisor")]
    applicants = [f"bj-applicant{n}" for n in range(1, demo_rounds.APPLICANTS + 1)]
    return [
        *names,
        "auditor",
        "admin",
        "analyst",
        "employer",
        "citizen1",
        "citizen2",
        *applicants,
        "sh-citizen",
    ]


def _where(user: User) -> str:
    if user.agency is not None:
        return user.agency.name
    if user.employer is not None:
        return user.employer.name
    if user.person is not None:
        return f"{user.person.name} {user.person.id_masked}"
    return ""


def totp_code(username: str) -> str:
    """The current TOTP code of a user's confirmed device (demo and tests only)."""
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is None:
        raise LookupError(f"{username} has no confirmed TOTP device")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
