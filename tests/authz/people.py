"""Declared access of the registry: its API (/api/people/) and its pages (/people/)."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from liudong.people import access
from liudong.people.imports import do_dry_run_import
from liudong.people.models import HukouRecord, Membership, Region, ResidencePermit
from tests.authz import (
    ANY,
    JURISDICTION,
    NONE,
    OWN,
    Call,
    Endpoint,
    Target,
    allow,
    everyone,
)
from tests.factories import EmployerFactory, PersonFactory, credit_code, id_number

if TYPE_CHECKING:
    from liudong.people.models import Employer, Employment, Household, Person
    from tests.personas import World

# ---------------------------------------------------------------------------------------------
# Targets.

PLACES = (110105, 110108, 110000, 310115, 411502)
_serial = itertools.count(500)


def _regions_of(person: Person) -> tuple[int, ...]:
    today = timezone.localdate()
    hukou = HukouRecord.objects.filter(person=person, end__isnull=True)
    permits = ResidencePermit.objects.filter(
        person=person, issued_on__lte=today, valid_until__gte=today
    )
    return (
        *hukou.values_list("region_id", flat=True),
        *permits.values_list("district_id", flat=True),
    )


def person_target(label: str, person: Person) -> Target:
    employers = person.employments.filter(end__isnull=True).values_list("employer_id", flat=True)
    return Target(label, person, frozenset({person.pk}), frozenset(employers), _regions_of(person))


def _persons(world: World) -> list[Target]:
    names = ("migrant", "neighbour", "haidian_resident", "municipal_resident", "pudong_resident")
    return [person_target(name, getattr(world, name)) for name in names]


def _household_target(label: str, household: Household) -> Target:
    members = household.memberships.filter(end__isnull=True).values_list("person_id", flat=True)
    return Target(label, household, frozenset(members), regions=(household.region_id,))


def _households(world: World) -> list[Target]:
    names = ("migrant_household", "neighbour_household", "haidian_household")
    return [_household_target(name, getattr(world, name)) for name in names]


def _memberships(world: World) -> list[Target]:
    found = Membership.objects.filter(end__isnull=True).select_related("household")
    return [
        Target(
            f"membership of {m.person_id}",
            m,
            frozenset({m.person_id}),
            regions=(m.household.region_id,),
        )
        for m in found.order_by("pk")
    ]


def _employment_target(label: str, employment: Employment) -> Target:
    return Target(
        label,
        employment,
        frozenset({employment.person_id}),
        frozenset({employment.employer_id}),
        _regions_of(employment.person),
    )


def _employments(world: World) -> list[Target]:
    return [
        _employment_target("migrant_job", world.migrant_job),
        _employment_target("haidian_job", world.haidian_job),
    ]


def _employer_target(label: str, employer: Employer) -> Target:
    return Target(
        label, employer, employers=frozenset({employer.pk}), regions=(employer.region_id,)
    )


def _employers(world: World) -> list[Target]:
    return [
        _employer_target("employer", world.employer),
        _employer_target("other_employer", world.other_employer),
    ]


def _places(world: World) -> list[Target]:
    return [Target(str(code), Region.objects.get(pk=code), regions=(code,)) for code in PLACES]


def _import_csv(region: int) -> bytes:
    number = id_number(region, dt.date(2001, 1, 1), "F", next(_serial))
    heading = "公民身份号码,姓名,户籍地行政区划代码,户口性质"
    return f"{heading}\n{number},新导入,{region},居民户口\n".encode()


def _import_batches(world: World) -> list[Target]:
    batch = do_dry_run_import(
        world.beijing_caseworker, filename="persons.csv", data=_import_csv(110105)
    )
    return [Target("import batch of chaoyang", batch, regions=(110105,))]


TARGETS = {
    "import_batch": _import_batches,
    "person": _persons,
    "household": _households,
    "membership": _memberships,
    "employment": _employments,
    "employer": _employers,
    "place": _places,
}

# ---------------------------------------------------------------------------------------------
# Bodies.

TODAY_ISO = "today"


def _today() -> str:
    return timezone.localdate().isoformat()


def _home_region(call: Call) -> int:
    scope = access.jurisdiction(call.user)
    return scope[0] if scope else 110105


def _fresh_person(hukou: int) -> Person:
    return PersonFactory.create(hukou=hukou, birth_date=dt.date(2000, 1, 1))


def _registration(call: Call) -> dict[str, Any]:
    code = call.target.obj.code if call.target is not None else _home_region(call)
    return {
        "id_number": id_number(code, dt.date(2000, 1, 1), "F", next(_serial)),
        "name": "新登记",
        "hukou_region": code,
        "hukou_type": "urban",
    }


def _permit(call: Call) -> dict[str, Any]:
    applicant = _fresh_person(411502)
    return {
        "id_number": applicant.id_number,
        "district": call.target.obj.code,
        "issued_on": _today(),
        "valid_until": (timezone.localdate() + dt.timedelta(days=365)).isoformat(),
    }


def _household(call: Call) -> dict[str, Any]:
    head = _fresh_person(call.target.obj.code)
    return {"region": call.target.obj.code, "head_person_id": head.pk, "start": "2024-01-01"}


def _member(call: Call) -> dict[str, Any]:
    member = _fresh_person(call.target.obj.region_id)
    return {"person_id": member.pk, "relationship": "child", "start": "2024-01-01"}


def _employment(call: Call) -> dict[str, Any]:
    employer = EmployerFactory.create()
    return {"person_id": call.target.pk, "employer_id": employer.pk, "start": "2024-01-01"}


def _employer(call: Call) -> dict[str, Any]:
    code = call.target.obj.code
    return {"credit_code": credit_code(code), "name": "新设单位有限公司", "region": code}


def _agency(call: Call) -> dict[str, Any]:
    return {
        "code": f"new-agency-{next(_serial)}",
        "name": "新设机构",
        "kind": "employment",
        "region": 110105,
    }


def _by_person(target: Target) -> dict[str, Any]:
    return {"person_id": target.pk}


# ---------------------------------------------------------------------------------------------
# Access.

PERSON_READ = allow(citizen=OWN, staff=JURISDICTION, supervisor=JURISDICTION)
CASEWORKERS = allow(staff=JURISDICTION, supervisor=JURISDICTION)
CASEWORKERS_ANYWHERE = allow(staff=NONE, supervisor=NONE)

ENDPOINTS: dict[str, Endpoint] = {
    # API: persons
    "people_register_person": Endpoint(
        CASEWORKERS, target="place", methods=("POST",), body=_registration
    ),
    "people_list_persons": Endpoint(allow(citizen=NONE, staff=NONE, supervisor=NONE)),
    "people_lookup_person": Endpoint(
        PERSON_READ,
        target="person",
        methods=("POST",),
        body=lambda call: {"id_number": call.target.obj.id_number},
    ),
    "people_get_person": Endpoint(PERSON_READ, target="person", kwargs=_by_person),
    "people_reveal_id_number": Endpoint(PERSON_READ, target="person", kwargs=_by_person),
    "people_person_records": Endpoint(PERSON_READ, target="person", kwargs=_by_person),
    "people_change_hukou": Endpoint(
        CASEWORKERS,
        target="person",
        methods=("POST",),
        kwargs=_by_person,
        body=lambda call: {"region": _home_region(call), "hukou_type": "unified", "on": _today()},
    ),
    "people_record_insurance_spell": Endpoint(
        CASEWORKERS,
        target="person",
        methods=("POST",),
        kwargs=_by_person,
        body=lambda call: {
            "scheme": "unemployment",
            "city": 110000,
            "start": "2024-01-01",
            "monthly_base": "7000.00",
        },
    ),
    "people_issue_residence_permit": Endpoint(
        CASEWORKERS, target="place", methods=("POST",), body=_permit
    ),
    # API: households
    "people_get_household": Endpoint(
        allow(citizen=OWN, staff=JURISDICTION, supervisor=JURISDICTION),
        target="household",
        kwargs=lambda t: {"household_id": t.pk},
    ),
    "people_create_household": Endpoint(
        CASEWORKERS, target="place", methods=("POST",), body=_household
    ),
    "people_add_member": Endpoint(
        CASEWORKERS,
        target="household",
        methods=("POST",),
        kwargs=lambda t: {"household_id": t.pk},
        body=_member,
    ),
    "people_end_membership": Endpoint(
        CASEWORKERS,
        target="membership",
        methods=("POST",),
        kwargs=lambda t: {"membership_id": t.pk},
        body=lambda call: {"end": _today()},
    ),
    # API: employers and employment
    "people_list_employers": Endpoint(everyone(NONE)),
    "people_get_employer": Endpoint(
        everyone(ANY), target="employer", kwargs=lambda t: {"employer_id": t.pk}
    ),
    "people_register_employer": Endpoint(
        allow(admin=ANY, staff=JURISDICTION, supervisor=JURISDICTION),
        target="place",
        methods=("POST",),
        body=_employer,
    ),
    "people_list_employments": Endpoint(
        allow(citizen=NONE, employer=NONE, staff=NONE, supervisor=NONE)
    ),
    "people_start_employment": Endpoint(
        PERSON_READ, target="person", methods=("POST",), body=_employment
    ),
    "people_confirm_employment": Endpoint(
        allow(employer=OWN),
        target="employment",
        methods=("POST",),
        kwargs=lambda t: {"employment_id": t.pk},
        body=lambda call: {},
    ),
    "people_end_employment": Endpoint(
        allow(employer=OWN, staff=JURISDICTION, supervisor=JURISDICTION),
        target="employment",
        methods=("POST",),
        kwargs=lambda t: {"employment_id": t.pk},
        body=lambda call: {"end": _today(), "termination_proof": "劳动合同终止证明 2026-017"},
    ),
    # API: reference data
    "people_list_regions": Endpoint(everyone(NONE)),
    "people_load_regions": Endpoint(allow(admin=NONE), methods=("POST",), body=lambda call: {}),
    "people_list_agencies": Endpoint(everyone(NONE)),
    "people_create_agency": Endpoint(allow(admin=NONE), methods=("POST",), body=_agency),
    # pages: a citizen's own
    "people:me": Endpoint(allow(citizen=NONE)),
    "people:reveal_my_id": Endpoint(allow(citizen=NONE), methods=("POST",)),
    "people:my_household": Endpoint(allow(citizen=NONE)),
    "people:my_records": Endpoint(allow(citizen=NONE)),
    # pages: staff
    "people:search": Endpoint(
        CASEWORKERS_ANYWHERE, methods=("GET", "POST"), body=lambda call: {"name": "王建国"}
    ),
    "people:register": Endpoint(
        CASEWORKERS_ANYWHERE,
        methods=("GET", "POST"),
        form_token="people.register",  # noqa: S106  # a form's name, not a password
        body=lambda call: _registration(Call(call.world, call.user, None)),
    ),
    "people:person": Endpoint(CASEWORKERS, target="person", kwargs=_by_person),
    "people:reveal_id": Endpoint(
        CASEWORKERS, target="person", methods=("POST",), kwargs=_by_person
    ),
    # imports (API and pages): caseworkers; a batch by the jurisdiction of its agency
    "people_dry_run_import": Endpoint(
        CASEWORKERS_ANYWHERE,
        methods=("POST",),
        body=lambda call: {
            "filename": "persons.csv",
            "content_base64": base64.b64encode(_import_csv(_home_region(call))).decode(),
        },
    ),
    "people_get_import": Endpoint(
        CASEWORKERS, target="import_batch", kwargs=lambda t: {"import_id": t.pk}
    ),
    "people_confirm_import": Endpoint(
        CASEWORKERS,
        target="import_batch",
        methods=("POST",),
        kwargs=lambda t: {"import_id": t.pk},
        body=lambda call: {},
    ),
    "people:import_upload": Endpoint(
        CASEWORKERS_ANYWHERE,
        methods=("GET", "POST"),
        body=lambda call: {
            "file": SimpleUploadedFile("persons.csv", _import_csv(_home_region(call)))
        },
    ),
    "people:import_template": Endpoint(CASEWORKERS_ANYWHERE),
    "people:import_report": Endpoint(
        CASEWORKERS, target="import_batch", kwargs=lambda t: {"batch_id": t.pk}
    ),
    "people:import_problems": Endpoint(
        CASEWORKERS, target="import_batch", kwargs=lambda t: {"batch_id": t.pk}
    ),
    "people:import_confirm": Endpoint(
        CASEWORKERS,
        target="import_batch",
        methods=("POST",),
        kwargs=lambda t: {"batch_id": t.pk},
        form_token="people.import_confirm",  # noqa: S106  # a form's name, not a password
    ),
}
