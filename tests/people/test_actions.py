"""Registry actions: each change comes with its history row and its audit event, in one
transaction; each refusal has a designed error and exactly one audit event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.utils import timezone

from liudong import regions
from liudong.audit.models import AuditEvent
from liudong.people import actions
from liudong.people.idnumber import check_digit
from liudong.people.models import (
    Employment,
    HukouRecord,
    Membership,
    Person,
    PersonEvent,
    Region,
    ResidencePermit,
)
from liudong.site.errors import AccessDeniedError, ConflictError, InvalidInputError, NotFoundError
from tests.factories import EmployerFactory, PersonFactory, credit_code, id_number

if TYPE_CHECKING:
    from tests.personas import World

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def events(action: str, outcome: str = "ok") -> int:
    return AuditEvent.objects.filter(action=action, outcome=outcome).count()


def register(world: World, **changes: object) -> Person:
    fields: dict[str, object] = {
        "id_number": id_number(110105, dt.date(1990, 7, 1), "F", 11),
        "name": "刘小红",
        "hukou_region": 110105,
        "hukou_type": "urban",
        **changes,
    }
    return actions.do_register_person(world.beijing_caseworker, **fields)  # type: ignore[arg-type]  # test data


# ---------------------------------------------------------------------------------------------
# Registration.


def test_registration_takes_birth_date_and_sex_from_the_id_number(world: World) -> None:
    person = register(world)
    assert (person.birth_date, person.sex) == (dt.date(1990, 7, 1), "F")
    assert person.id_masked == person.id_number[:6] + "********" + person.id_number[14:]
    assert HukouRecord.objects.get(person=person, end__isnull=True).region_id == 110105
    assert list(person.events.values_list("kind", flat=True)) == ["registered"]
    assert events("people.register_person") == 1


def test_the_id_number_is_stored_encrypted_and_found_by_its_blind_index(world: World) -> None:
    person = register(world)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM people_person WHERE id = %s", [person.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("k1:")
    assert person.id_number not in stored
    assert Person.objects.get(id_bi=actions.id_number_index(person.id_number.lower())) == person


def test_a_declared_birth_date_must_match_the_id_number(world: World) -> None:
    with pytest.raises(InvalidInputError) as refused:
        register(world, birth_date=dt.date(1990, 7, 2))
    assert (refused.value.code, refused.value.field) == ("birth_date_mismatch", "birth_date")
    assert not Person.objects.filter(name="刘小红").exists()
    assert events("people.register_person", "rejected") == 1


def test_a_matching_declared_birth_date_is_fine(world: World) -> None:
    assert register(world, birth_date=dt.date(1990, 7, 1)).name == "刘小红"


def test_a_duplicate_id_number_is_a_conflict_not_an_integrity_error(world: World) -> None:
    with pytest.raises(ConflictError) as refused:
        register(world, id_number=world.neighbour.id_number)
    assert (refused.value.code, refused.value.status) == ("duplicate_id_number", 409)


@pytest.mark.parametrize(
    ("first17", "code"),
    [("11010519990230002", "id_birth_date"), ("11010520990101002", "id_birth_future")],
)
def test_impossible_birth_dates_in_the_id_are_refused(
    world: World, first17: str, code: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        register(world, id_number=first17 + check_digit(first17))
    assert (refused.value.code, refused.value.field) == (code, "id_number")


def test_registration_outside_the_jurisdiction_is_refused(world: World) -> None:
    with pytest.raises(AccessDeniedError) as refused:
        register(world, hukou_region=110108, id_number=id_number(110108, dt.date(1990, 7, 1), "F"))
    assert refused.value.code == "outside_jurisdiction"
    assert events("people.register_person", "denied") == 1


def test_citizens_cannot_register_persons(world: World) -> None:
    with pytest.raises(AccessDeniedError):
        actions.do_register_person(
            world.henan_migrant,
            id_number=id_number(110105, dt.date(1990, 7, 1), "F"),
            name="x",
            hukou_region=110105,
            hukou_type="urban",
        )


def test_women_default_to_the_fifty_group_and_men_have_one(world: World) -> None:
    assert register(world).retirement_group == "women_50"
    man = register(world, id_number=id_number(110105, dt.date(1980, 1, 1), "M"), name="男")
    assert man.retirement_group == "men"
    with pytest.raises(InvalidInputError):
        register(
            world,
            id_number=id_number(110105, dt.date(1981, 1, 1), "M"),
            retirement_group="women_55",
        )


# ---------------------------------------------------------------------------------------------
# Hukou and residence permits.


def test_changing_hukou_closes_the_current_record_and_opens_a_new_one(world: World) -> None:
    new = actions.do_change_hukou(
        world.beijing_caseworker, world.migrant.pk, region=110105, hukou_type="unified", on=TODAY
    )
    history = list(HukouRecord.objects.filter(person=world.migrant).order_by("start", "pk"))
    assert [(h.region_id, h.end) for h in history] == [(411502, TODAY), (110105, None)]
    assert history[-1] == new
    assert (
        PersonEvent.objects.get(person=world.migrant, kind="hukou_changed").data["previous"]
        == 411502
    )
    assert events("people.change_hukou") == 1
    world.migrant.refresh_from_db()
    assert world.migrant.version == 2


def test_a_caseworker_cannot_move_someone_outside_her_jurisdiction(world: World) -> None:
    with pytest.raises(NotFoundError):
        actions.do_change_hukou(
            world.beijing_caseworker,
            world.haidian_resident.pk,
            region=110105,
            hukou_type="urban",
            on=TODAY,
        )
    assert HukouRecord.objects.filter(person=world.haidian_resident).count() == 1
    assert events("people.change_hukou", "denied") == 1


def test_a_citizen_cannot_change_her_own_hukou(world: World) -> None:
    with pytest.raises(AccessDeniedError):
        actions.do_change_hukou(
            world.henan_migrant, world.migrant.pk, region=110105, hukou_type="urban", on=TODAY
        )
    assert events("people.change_hukou", "denied") == 1  # once, though refused twice inside


def test_a_permit_brings_a_newcomer_into_the_jurisdiction(world: World) -> None:
    newcomer = PersonFactory.create(hukou=411502, birth_date=dt.date(2000, 2, 2))
    permit = actions.do_issue_residence_permit(
        world.beijing_caseworker,
        id_number=newcomer.id_number,
        district=110105,
        issued_on=TODAY,
        valid_until=TODAY + dt.timedelta(days=365),
    )
    assert (permit.city_id, permit.district_id) == (110000, 110105)
    assert permit.issued_by == world.chaoyang_agency
    assert Person.objects.for_user(world.beijing_caseworker).filter(pk=newcomer.pk).exists()


def test_no_permit_for_someone_whose_hukou_is_in_the_city(world: World) -> None:
    with pytest.raises(InvalidInputError) as refused:
        actions.do_issue_residence_permit(
            world.beijing_caseworker,
            id_number=world.haidian_resident.id_number,
            district=110105,
            issued_on=TODAY,
            valid_until=TODAY + dt.timedelta(days=365),
        )
    assert refused.value.code == "hukou_in_city"
    assert not ResidencePermit.objects.filter(person=world.haidian_resident).exists()


def test_a_permit_for_an_unregistered_number_asks_for_registration_first(world: World) -> None:
    with pytest.raises(InvalidInputError) as refused:
        actions.do_issue_residence_permit(
            world.beijing_caseworker,
            id_number=id_number(411502, dt.date(2001, 1, 1), "M"),
            district=110105,
            issued_on=TODAY,
            valid_until=TODAY + dt.timedelta(days=30),
        )
    assert refused.value.code == "not_registered"


# ---------------------------------------------------------------------------------------------
# Households.


def test_household_membership_history_is_kept(world: World) -> None:
    child = PersonFactory.create(hukou=110105, birth_date=dt.date(2010, 1, 1))
    membership = actions.do_add_member(
        world.beijing_caseworker,
        world.neighbour_household.pk,
        person_id=child.pk,
        relationship="child",
        start=dt.date(2015, 1, 1),
    )
    ended = actions.do_end_membership(world.beijing_caseworker, membership.pk, end=TODAY)
    assert ended.end == TODAY
    assert Membership.objects.filter(person=child).count() == 1
    kinds = list(child.events.values_list("kind", flat=True))
    assert kinds == ["household_joined", "household_left"]


def test_a_person_is_in_one_household_at_a_time(world: World) -> None:
    with pytest.raises(ConflictError) as refused:
        actions.do_add_member(
            world.beijing_caseworker,
            world.neighbour_household.pk,
            person_id=world.migrant.pk,
            relationship="other",
            start=dt.date(2020, 1, 1),
        )
    assert refused.value.code == "already_in_household"


def test_a_household_has_one_head(world: World) -> None:
    other = PersonFactory.create(hukou=110105)
    with pytest.raises(ConflictError):
        actions.do_add_member(
            world.beijing_caseworker,
            world.neighbour_household.pk,
            person_id=other.pk,
            relationship="head",
            start=dt.date(2020, 1, 1),
        )


def test_creating_a_household_makes_its_head_a_member(world: World) -> None:
    head = PersonFactory.create(hukou=110105)
    household = actions.do_create_household(
        world.beijing_caseworker, region=110105, head_person_id=head.pk, start=dt.date(2020, 1, 1)
    )
    assert household.memberships.get().relationship == "head"


# ---------------------------------------------------------------------------------------------
# Employers and employment.


def test_employers_are_registered_by_a_valid_credit_code(world: World) -> None:
    code = credit_code(110105)
    employer = actions.do_register_employer(
        world.beijing_caseworker, credit_code=code.lower(), name="朝阳新设", region=110105
    )
    assert employer.credit_code == code
    with pytest.raises(ConflictError):
        actions.do_register_employer(world.admin, credit_code=code, name="again", region=110105)
    with pytest.raises(InvalidInputError) as refused:
        actions.do_register_employer(
            world.admin,
            credit_code=code[:17] + ("0" if code[17] != "0" else "1"),
            name="x",
            region=110105,
        )
    assert (refused.value.code, refused.value.field) == ("invalid_credit_code", "credit_code")


def test_a_citizen_records_her_own_job_and_only_its_employer_confirms_it(world: World) -> None:
    employer = EmployerFactory.create()
    job = actions.do_start_employment(
        world.henan_migrant,
        person_id=world.migrant.pk,
        employer_id=employer.pk,
        start=dt.date(2025, 1, 1),
    )
    assert not job.confirmed_by_employer
    with pytest.raises(NotFoundError):  # another employer's representative cannot even see it
        actions.do_confirm_employment(world.employer_rep, job.pk)
    with pytest.raises(AccessDeniedError):  # the worker cannot confirm her own job
        actions.do_confirm_employment(world.henan_migrant, job.pk)
    confirmed = actions.do_confirm_employment(world.employer_rep, world.migrant_job.pk)
    assert confirmed.confirmed_by_employer
    assert confirmed.confirmed_at is not None
    with pytest.raises(ConflictError):
        actions.do_confirm_employment(world.employer_rep, world.migrant_job.pk)


def test_ending_a_job_needs_the_termination_proof(world: World) -> None:
    with pytest.raises(InvalidInputError) as refused:
        actions.do_end_employment(
            world.employer_rep, world.migrant_job.pk, end=TODAY, termination_proof="  "
        )
    assert (refused.value.code, refused.value.field) == (
        "termination_proof_required",
        "termination_proof",
    )
    ended = actions.do_end_employment(
        world.employer_rep, world.migrant_job.pk, end=TODAY, termination_proof="终止证明 2026-3"
    )
    assert ended.end == TODAY
    assert Employment.objects.get(pk=ended.pk).termination_proof == "终止证明 2026-3"
    assert events("people.end_employment", "rejected") == 1


def test_one_open_job_per_employer(world: World) -> None:
    with pytest.raises(ConflictError) as refused:
        actions.do_start_employment(
            world.beijing_caseworker,
            person_id=world.migrant.pk,
            employer_id=world.employer.pk,
            start=dt.date(2024, 1, 1),
        )
    assert refused.value.code == "employment_open"


# ---------------------------------------------------------------------------------------------
# Social insurance.


def test_an_insurance_spell_keeps_its_base_exactly(world: World) -> None:
    spell = actions.do_record_insurance_spell(
        world.beijing_caseworker,
        world.migrant.pk,
        scheme="enterprise_pension",
        city=110000,
        start=dt.date(2024, 1, 1),
        monthly_base="10345.67",
    )
    spell.refresh_from_db()
    assert spell.monthly_base == Decimal("10345.67")


def test_a_wage_based_scheme_needs_its_base(world: World) -> None:
    with pytest.raises(InvalidInputError) as refused:
        actions.do_record_insurance_spell(
            world.beijing_caseworker,
            world.migrant.pk,
            scheme="unemployment",
            city=110000,
            start=dt.date(2024, 1, 1),
        )
    assert (refused.value.code, refused.value.field) == ("required", "monthly_base")


# ---------------------------------------------------------------------------------------------
# Reference data.


def test_loading_regions_is_idempotent_and_keeps_abolished_codes(world: World) -> None:
    total = actions.do_load_regions(world.admin)
    assert Region.objects.count() == total == regions.divisions()["code"].n_unique()
    again = actions.do_load_regions(None)
    assert again == total
    assert Region.objects.count() == total
    assert Region.objects.get(pk=110105).parent_id == 110000
    assert not Region.objects.get(pk=110103).current  # 崇文区, merged in 2010
    assert Region.objects.get(pk=110000).size_class == "super_large"
    loads = AuditEvent.objects.filter(action="people.load_regions").order_by("seq")
    assert [(e.detail["new"], e.detail["changed"]) for e in loads][1] == (0, 0)


def test_only_administrators_load_regions_or_create_agencies(world: World) -> None:
    with pytest.raises(AccessDeniedError):
        actions.do_load_regions(world.beijing_caseworker)
    with pytest.raises(AccessDeniedError):
        actions.do_create_agency(
            world.beijing_supervisor, code="x", name="x", kind="employment", region=110105
        )
    agency = actions.do_create_agency(
        world.admin, code="BJ-Haidian", name="海淀区就业中心", kind="employment", region=110108
    )
    assert agency.code == "bj-haidian"
