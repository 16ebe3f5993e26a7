"""Named personas and the small world they live in, for every domain's tests.

=====================  ==========  ================================================
persona                role        who
=====================  ==========  ================================================
beijing_caseworker     staff       朝阳区 employment service centre (agency 110105)
beijing_supervisor     supervisor  the same agency: reviews the caseworker's work
shanghai_officer       staff       浦东新区 (310115): another city, must be refused
henan_migrant          citizen     hukou 信阳市浉河区 411502, residence permit in 朝阳区
other_citizen          citizen     hukou 朝阳区 110105: a neighbour of the migrant
auditor                auditor     reads the audit trail, never personal data
admin                  admin       reference data only (regions, agencies, employers)
analyst                analyst     policy analysis over synthetic populations; no agency,
                                   never a person's record
employer_rep           employer    represents 北京流动科技 (朝阳区), the migrant's employer
=====================  ==========  ================================================

Records outside the personas, for jurisdiction tests: ``haidian_resident`` (hukou 110108, a
sibling district), ``municipal_resident`` (hukou 110000, registered at city level: the
caseworker's parent jurisdiction), ``pudong_resident`` (hukou 310115).

Use the fixtures (``def test_x(beijing_caseworker, henan_migrant): ...``) or ``world`` for
everything; :func:`login` signs a persona in on a test client, with the second factor that
staff-type roles need.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong.accounts.models import STAFF_ROLES, Role, User
from tests.factories import (
    AgencyFactory,
    EmployerFactory,
    EmploymentFactory,
    HouseholdFactory,
    InsuranceFactory,
    PermitFactory,
    PersonFactory,
    UserFactory,
    region,
)

if TYPE_CHECKING:
    from django.test import Client

    from liudong.people.models import Agency, Employer, Employment, Household, Person

CHAOYANG, HAIDIAN, BEIJING, PUDONG, SHIHE = 110105, 110108, 110000, 310115, 411502
PERSONA_NAMES = (
    "beijing_caseworker",
    "beijing_supervisor",
    "shanghai_officer",
    "henan_migrant",
    "other_citizen",
    "auditor",
    "admin",
    "employer_rep",
    "analyst",
)


@dataclass
class World:
    chaoyang_agency: Agency
    pudong_agency: Agency
    employer: Employer
    other_employer: Employer
    # personas
    beijing_caseworker: User
    beijing_supervisor: User
    shanghai_officer: User
    henan_migrant: User
    other_citizen: User
    auditor: User
    admin: User
    employer_rep: User
    analyst: User
    # records
    migrant: Person
    neighbour: Person
    haidian_resident: Person
    municipal_resident: Person
    pudong_resident: Person
    migrant_household: Household
    neighbour_household: Household
    haidian_household: Household
    migrant_job: Employment
    haidian_job: Employment

    def persona(self, name: str) -> User:
        user = getattr(self, name)
        assert isinstance(user, User), name
        return user

    @property
    def persons(self) -> list[Person]:
        return [
            self.migrant,
            self.neighbour,
            self.haidian_resident,
            self.municipal_resident,
            self.pudong_resident,
        ]


def build_world() -> World:
    """Create the personas and their records (about 60 rows)."""
    for code in (CHAOYANG, HAIDIAN, BEIJING, PUDONG, SHIHE):
        region(code)
    chaoyang = AgencyFactory.create(
        code="bj-chaoyang-employment", name="朝阳区公共就业服务中心", region=CHAOYANG
    )
    pudong = AgencyFactory.create(
        code="sh-pudong-employment", name="浦东新区公共就业服务中心", region=PUDONG
    )
    employer = EmployerFactory.create(name="北京流动科技有限公司", region=CHAOYANG)
    other_employer = EmployerFactory.create(name="海淀数据服务有限公司", region=HAIDIAN)
    migrant = PersonFactory.create(
        name="王建国", sex="M", birth_date=dt.date(1999, 3, 14), hukou=SHIHE
    )
    PermitFactory.create(person=migrant, district=CHAOYANG)
    InsuranceFactory.create(person=migrant, city=BEIJING)
    neighbour = PersonFactory.create(
        name="李秀英", sex="F", birth_date=dt.date(1975, 9, 2), hukou=CHAOYANG
    )
    haidian = PersonFactory.create(
        name="张海淀", sex="M", birth_date=dt.date(1992, 1, 20), hukou=HAIDIAN
    )
    municipal = PersonFactory.create(
        name="赵市民", sex="F", birth_date=dt.date(1980, 6, 30), hukou=BEIJING, area=110101
    )
    pudong_resident = PersonFactory.create(
        name="陈浦东", sex="M", birth_date=dt.date(1995, 12, 1), hukou=PUDONG
    )
    return World(
        chaoyang_agency=chaoyang,
        pudong_agency=pudong,
        employer=employer,
        other_employer=other_employer,
        beijing_caseworker=UserFactory.create(
            username="beijing_caseworker", role=Role.STAFF, agency=chaoyang
        ),
        beijing_supervisor=UserFactory.create(
            username="beijing_supervisor", role=Role.SUPERVISOR, agency=chaoyang
        ),
        shanghai_officer=UserFactory.create(
            username="shanghai_officer", role=Role.STAFF, agency=pudong
        ),
        henan_migrant=UserFactory.create(
            username="henan_migrant", role=Role.CITIZEN, person=migrant
        ),
        other_citizen=UserFactory.create(
            username="other_citizen", role=Role.CITIZEN, person=neighbour
        ),
        auditor=UserFactory.create(username="auditor", role=Role.AUDITOR, agency=chaoyang),
        admin=UserFactory.create(username="admin", role=Role.ADMIN, is_staff=True),
        employer_rep=UserFactory.create(
            username="employer_rep", role=Role.EMPLOYER, employer=employer
        ),
        analyst=UserFactory.create(username="analyst", role=Role.ANALYST),
        migrant=migrant,
        neighbour=neighbour,
        haidian_resident=haidian,
        municipal_resident=municipal,
        pudong_resident=pudong_resident,
        migrant_household=HouseholdFactory.create(region=SHIHE, head=migrant),
        neighbour_household=HouseholdFactory.create(region=CHAOYANG, head=neighbour),
        haidian_household=HouseholdFactory.create(region=HAIDIAN, head=haidian),
        migrant_job=EmploymentFactory.create(person=migrant, employer=employer),
        haidian_job=EmploymentFactory.create(person=haidian, employer=other_employer),
    )


def login(client: Client, user: User) -> Client:
    """Sign ``user`` in on ``client``; staff-type roles also pass the second factor."""
    client.force_login(user)
    if user.role in STAFF_ROLES:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="persona", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


# ---------------------------------------------------------------------------------------------
# Fixtures (registered for the whole suite in tests/conftest.py).


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def beijing_caseworker(world: World) -> User:
    return world.beijing_caseworker


@pytest.fixture
def beijing_supervisor(world: World) -> User:
    return world.beijing_supervisor


@pytest.fixture
def shanghai_officer(world: World) -> User:
    return world.shanghai_officer


@pytest.fixture
def henan_migrant(world: World) -> User:
    return world.henan_migrant


@pytest.fixture
def other_citizen(world: World) -> User:
    return world.other_citizen


@pytest.fixture
def auditor(world: World) -> User:
    return world.auditor


@pytest.fixture
def admin(world: World) -> User:
    return world.admin


@pytest.fixture
def employer_rep(world: World) -> User:
    return world.employer_rep


@pytest.fixture
def analyst(world: World) -> User:
    return world.analyst
