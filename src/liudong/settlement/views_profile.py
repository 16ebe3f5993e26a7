"""Starting values for the self-check from a signed-in citizen's own registry records (the
``registry`` hint of each scheme field says which record can supply it, read by the same
``actions.registry_value`` that an application stores). Only her own record is read; nothing
is stored. She may change every value before checking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from liudong.accounts.models import Role, User
from liudong.settlement import schemes
from liudong.settlement.actions import registry_value
from liudong.settlement.forms import NO, YES, declared_facts

if TYPE_CHECKING:
    import datetime as dt

    from django.contrib.auth.models import AnonymousUser

    from liudong.people.models import Person


def own_person(user: User | AnonymousUser) -> Person | None:
    if not isinstance(user, User) or user.role != Role.CITIZEN:
        return None
    return user.person


def profile_initial(user: User | AnonymousUser, on: dt.date) -> dict[str, Any]:
    """Form initial values from the citizen's records (empty for anyone else)."""
    person = own_person(user)
    if person is None:
        return {}
    initial: dict[str, Any] = {"prefilled": True}
    for declared in declared_facts(on):
        if declared.field.registry is None:
            continue
        region = schemes.SCHEMES[declared.schemes[0]].region
        value = registry_value(declared.field, person, region, on)
        if value is None:
            continue
        if declared.field.kind == "bool" and declared.field.default is None:
            value = YES if value else NO
        initial[declared.form_name] = value
    hukou = person.hukou.filter(end__isnull=True).values_list("region_id", flat=True).first()
    if hukou is not None:
        initial["hukou_region"] = str(hukou)
    initial["has_stable_job"] = person.employments.filter(start__lte=on, end__isnull=True).exists()
    return initial


def registry_facts(person: Person, scheme: schemes.Scheme, on: dt.date) -> dict[str, object]:
    """What the registry knows of one scheme's facts for the person (None left out)."""
    found: dict[str, object] = {}
    for fact in scheme.fields_on(on):
        if fact.registry is not None:
            value = registry_value(fact, person, scheme.region, on)
            if value is not None:
                found[fact.name] = value
    return found
