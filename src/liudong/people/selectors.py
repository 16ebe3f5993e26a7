"""Reads of the registry. Reads of personal data by someone other than the person are
audited (``people.read_person``, ``people.read_id_number``, ``people.search_persons``); a
full ID number is only ever returned through :func:`reveal_id_number`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from liudong.audit.events import record
from liudong.audit.models import Outcome
from liudong.people import access, idnumber
from liudong.people.actions import id_number_index
from liudong.site.actions import refuse
from liudong.site.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    from liudong.accounts.models import User
    from liudong.people.models import (
        Employment,
        Household,
        HukouRecord,
        InsuranceSpell,
        Membership,
        Person,
        PersonEvent,
        ResidencePermit,
    )

    AnyUser = User | AnonymousUser

SEARCH_LIMIT = 50
ID_LENGTH = 18


def read_person(user: AnyUser | None, person_id: object) -> Person:
    """One person's record (ID masked), audited unless she reads her own."""
    person = access.access_person(user, person_id)
    if not access.is_person_self.test(user, person):
        record(user, "people.read_person", person)
    return person


def reveal_id_number(user: AnyUser | None, person: Person) -> str:
    """The full ID number for those entitled (the person herself, a caseworker whose
    jurisdiction holds her), audited; everyone else gets the masked number, and the attempt
    is audited as denied."""
    if access.can_reveal_id_number.test(user, person):
        record(user, "people.read_id_number", person)
        return str(person.id_number)
    record(user, "people.read_id_number", person, outcome=Outcome.DENIED)
    return person.id_masked


@dataclass(frozen=True)
class History:
    """Everything the registry holds about one person, each list oldest first."""

    hukou: list[HukouRecord]
    permits: list[ResidencePermit]
    employments: list[Employment]
    insurance: list[InsuranceSpell]
    memberships: list[Membership]
    events: list[PersonEvent]


def person_history(person: Person) -> History:
    """The person's records in six queries (no per-row queries in templates)."""
    return History(
        hukou=list(person.hukou.select_related("region").order_by("start", "pk")),
        permits=list(person.permits.select_related("city", "district").order_by("issued_on", "pk")),
        employments=list(person.employments.select_related("employer").order_by("start", "pk")),
        insurance=list(person.insurance.select_related("city").order_by("start", "pk")),
        memberships=list(
            person.memberships.select_related("household__region").order_by("start", "pk")
        ),
        events=list(person.events.order_by("at", "pk")),
    )


def search_persons(
    user: AnyUser | None, *, id_number: str = "", name: str = ""
) -> QuerySet[Person]:
    """Persons in the user's scope with exactly this ID number (found by its blind index) or
    exactly this name; audited with the kind of search and the count, never the terms."""
    scope = access.persons_for(user).defer("id_number", "phone").order_by("name", "pk")
    if id_number:
        if len(idnumber.normalise(id_number)) != ID_LENGTH:
            raise InvalidInputError("id_length", _("身份号码应为18位"), "id_number")
        found = scope.filter(id_bi=id_number_index(id_number))
    else:
        found = scope.filter(name=" ".join(name.split()))[:SEARCH_LIMIT]
    record(
        user,
        "people.search_persons",
        detail={"by": "id_number" if id_number else "name", "found": len(found)},
    )
    return found


def lookup_person(user: AnyUser | None, id_number: str) -> Person:
    """The person in the user's scope with exactly this ID number; 404 otherwise (audited as
    a denial: it may be a probe for someone outside the scope)."""
    if len(idnumber.normalise(id_number)) != ID_LENGTH:
        raise InvalidInputError("id_length", _("身份号码应为18位"), "id_number")
    found = access.persons_for(user).filter(id_bi=id_number_index(id_number)).first()
    if found is None:
        raise refuse(
            user,
            "people.lookup_person",
            NotFoundError(_("没有找到这个身份号码，或者不在您的管辖范围内")),
        )
    record(user, "people.lookup_person", found)
    return found


def current_household(person: Person) -> tuple[Household | None, list[Membership]]:
    """The person's current household and its current members (two queries)."""
    membership = (
        person.memberships.filter(end__isnull=True).select_related("household__region").first()
    )
    if membership is None:
        return None, []
    members = list(
        membership.household.memberships.filter(end__isnull=True)
        .select_related("person")
        .only(
            "relationship",
            "start",
            "person__name",
            "person__sex",
            "person__birth_date",
            "household_id",
        )
        .order_by("start", "pk")
    )
    return membership.household, members
