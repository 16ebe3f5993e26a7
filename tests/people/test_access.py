"""Who sees which registry records (liudong.people.access)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django.db.models import Exists, OuterRef
from django.utils import timezone

from liudong.audit.models import AuditEvent
from liudong.people import access, selectors
from liudong.people.models import Employment, Household, Person
from liudong.site.errors import NotFoundError
from tests.factories import AgencyFactory, PermitFactory, PersonFactory, UserFactory

if TYPE_CHECKING:
    from tests.personas import World

pytestmark = pytest.mark.django_db


def visible(user: object, model: type = Person) -> set[str]:
    rows: list[object] = list(access.for_user(user, model))  # type: ignore[arg-type]  # any user
    return {str(row) for row in rows}


def names(user: object) -> set[str]:
    return set(access.persons_for(user).values_list("name", flat=True))  # type: ignore[arg-type]  # any user


def test_a_caseworker_sees_hukou_and_permit_holders_of_her_district(world: World) -> None:
    assert names(world.beijing_caseworker) == {"王建国", "李秀英"}
    assert names(world.beijing_supervisor) == {"王建国", "李秀英"}


def test_an_officer_of_another_city_sees_only_her_own(world: World) -> None:
    assert names(world.shanghai_officer) == {"陈浦东"}


def test_an_agency_of_the_city_covers_its_districts(world: World) -> None:
    city = AgencyFactory.create(region=110000)
    officer = UserFactory.create(role="staff", agency=city)
    assert names(officer) == {"王建国", "李秀英", "张海淀", "赵市民"}


def test_an_expired_permit_no_longer_counts(world: World) -> None:
    lapsed = PersonFactory.create(hukou=411502, birth_date=dt.date(2001, 1, 1), name="过期")
    today = timezone.localdate()
    PermitFactory.create(
        person=lapsed,
        issued_on=today - dt.timedelta(days=400),
        valid_until=today - dt.timedelta(days=1),
    )
    assert "过期" not in names(world.beijing_caseworker)


def test_citizens_see_themselves_and_their_household(world: World) -> None:
    assert names(world.henan_migrant) == {"王建国"}
    assert set(access.households_for(world.henan_migrant)) == {world.migrant_household}
    assert set(access.employments_for(world.henan_migrant)) == {world.migrant_job}


def test_an_unbound_citizen_sees_nothing(world: World) -> None:
    newcomer = UserFactory.create(role="citizen")
    assert not access.persons_for(newcomer).exists()
    assert not access.households_for(newcomer).exists()


def test_employer_representatives_see_their_employees_jobs_only(world: World) -> None:
    assert set(access.employments_for(world.employer_rep)) == {world.migrant_job}
    assert not access.persons_for(world.employer_rep).exists()


@pytest.mark.parametrize("persona", ["auditor", "admin"])
def test_auditors_and_administrators_see_no_personal_data(world: World, persona: str) -> None:
    user = world.persona(persona)
    for model in (Person, Household, Employment):
        assert not access.for_user(user, model).exists(), model


def test_staff_households_follow_the_household_region(world: World) -> None:
    assert set(Household.objects.for_user(world.beijing_caseworker)) == {world.neighbour_household}


def test_access_person_answers_404_outside_the_scope_and_audits_it(world: World) -> None:
    with pytest.raises(NotFoundError):
        access.access_person(world.beijing_caseworker, world.haidian_resident.pk)
    with pytest.raises(NotFoundError):
        access.access_person(world.beijing_caseworker, 999_999)  # missing looks the same
    denied = AuditEvent.objects.filter(outcome="denied", action="people.read_person")
    assert denied.count() == 2
    assert {e.object_id for e in denied} == {str(world.haidian_resident.pk), "999999"}


def test_the_full_id_number_is_revealed_to_the_entitled_and_audited(world: World) -> None:
    assert selectors.reveal_id_number(world.henan_migrant, world.migrant) == world.migrant.id_number
    assert (
        selectors.reveal_id_number(world.beijing_caseworker, world.migrant)
        == world.migrant.id_number
    )
    assert selectors.reveal_id_number(world.employer_rep, world.migrant) == world.migrant.id_masked
    assert (
        selectors.reveal_id_number(world.shanghai_officer, world.migrant) == world.migrant.id_masked
    )
    reads = AuditEvent.objects.filter(action="people.read_id_number").order_by("seq")
    assert [(e.actor, e.outcome) for e in reads] == [
        ("henan_migrant", "ok"),
        ("beijing_caseworker", "ok"),
        ("employer_rep", "denied"),
        ("shanghai_officer", "denied"),
    ]


def test_other_domains_can_bring_persons_into_a_jurisdiction(world: World) -> None:
    def has_hukou_anywhere(low: int, high: int, today: dt.date) -> Exists:
        from liudong.people.models import HukouRecord

        return Exists(
            HukouRecord.objects.filter(person=OuterRef("pk"), region_id=310115, end__isnull=True)
        )

    access.add_jurisdiction_link(has_hukou_anywhere)
    try:
        assert "陈浦东" in names(world.beijing_caseworker)
    finally:
        access._LINKS.remove(has_hukou_anywhere)
    assert "陈浦东" not in names(world.beijing_caseworker)


def test_predicates_agree_with_the_querysets(world: World) -> None:
    for persona in ("beijing_caseworker", "henan_migrant", "shanghai_officer", "auditor"):
        user = world.persona(persona)
        allowed = {p.pk for p in world.persons if access.can_view_person.test(user, p)}
        assert allowed == set(access.persons_for(user).values_list("pk", flat=True)), persona
