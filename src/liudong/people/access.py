"""Who may see and change which registry records: ``rules`` predicates and ``*_for`` querysets.

One place decides access to personal data in the registry:

- a **citizen** sees her own person record (``user.person``), its history and her current
  household;
- a **caseworker** (role staff or supervisor, with an agency) sees the persons with a current
  hukou or a valid residence permit in the agency's region or below it (GB/T 2260 prefix:
  an agency of 110000 covers all of Beijing, one of 110105 only 朝阳区); other domains add
  links (an open case) with :func:`add_jurisdiction_link`;
- an **employer representative** sees the employment records of her employer, nothing else;
- **auditors** and **administrators** see no personal data (the audit trail, and reference
  data: regions, agencies, employers).

The predicates are evaluated with ``.test(user, obj)``; the library's autodiscovery stays off
(every domain's ``rules.py`` holds legal rules, not permissions). Fetching helpers
(``access_person`` ...) answer 404 for anything outside the user's scope, so existence does
not leak, and write the one ``denied`` audit event of the refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from rules.predicates import Predicate

from liudong.accounts.models import Role, User
from liudong.people.models import (
    Employment,
    Household,
    HukouRecord,
    InsuranceSpell,
    Membership,
    Person,
    Region,
    ResidencePermit,
)
from liudong.site.actions import refuse
from liudong.site.errors import AccessDeniedError, NotFoundError

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from django.contrib.auth.models import AnonymousUser
    from django.db.models import Model, QuerySet

    AnyUser = User | AnonymousUser
    JurisdictionLink = Callable[[int, int, dt.date], Exists]

M = TypeVar("M", bound="Model")


def predicate(test: Callable[..., bool]) -> Predicate:
    """``rules``' ``@predicate``, typed."""
    return Predicate(test)


CASEWORKER_ROLES = frozenset({Role.STAFF, Role.SUPERVISOR})


def _user(user: AnyUser | None) -> User | None:
    return user if isinstance(user, User) and user.is_authenticated else None


def jurisdiction(user: AnyUser | None) -> tuple[int, int] | None:
    """The region codes ``[low, high)`` a caseworker's agency covers; None for everyone else."""
    found = _user(user)
    if found is None or found.role not in CASEWORKER_ROLES or found.agency is None:
        return None
    return Region.code_range(found.agency.region_id)


# ---------------------------------------------------------------------------------------------
# Jurisdiction links: how a person comes to be in a region. Each gives an Exists() on Person.


def _current_hukou(low: int, high: int, today: dt.date) -> Exists:
    return Exists(
        HukouRecord.objects.filter(
            person=OuterRef("pk"), end__isnull=True, region_id__gte=low, region_id__lt=high
        )
    )


def _valid_permit(low: int, high: int, today: dt.date) -> Exists:
    return Exists(
        ResidencePermit.objects.filter(
            person=OuterRef("pk"),
            district_id__gte=low,
            district_id__lt=high,
            issued_on__lte=today,
            valid_until__gte=today,
        )
    )


_LINKS: list[JurisdictionLink] = [_current_hukou, _valid_permit]


def add_jurisdiction_link(link: JurisdictionLink) -> None:
    """Let another domain bring persons into a jurisdiction (e.g. an open settlement case).

    ``link(low, high, today)`` returns ``Exists(...)`` over rows whose ``person`` is
    ``OuterRef("pk")`` and whose region code lies in ``[low, high)``. Register it from the
    domain's ``AppConfig.ready()``.
    """
    if link not in _LINKS:
        _LINKS.append(link)


# ---------------------------------------------------------------------------------------------
# Querysets: what each user may list. The predicates below are defined through them.


def persons_for(user: AnyUser | None) -> QuerySet[Person]:
    found = _user(user)
    if found is not None and found.role == Role.CITIZEN:
        return (
            Person.objects.filter(pk=found.person_id) if found.person_id else Person.objects.none()
        )
    scope = jurisdiction(found)
    if scope is None:
        return Person.objects.none()
    today = timezone.localdate()
    inside = Q()
    for link in _LINKS:
        inside |= Q(link(*scope, today))
    return Person.objects.filter(inside)


def households_for(user: AnyUser | None) -> QuerySet[Household]:
    found = _user(user)
    if found is not None and found.role == Role.CITIZEN:
        own = found.person_id or 0  # no bound person: no household
        return Household.objects.filter(memberships__person_id=own, memberships__end__isnull=True)
    scope = jurisdiction(found)
    if scope is None:
        return Household.objects.none()
    return Household.objects.filter(region_id__gte=scope[0], region_id__lt=scope[1])


def employments_for(user: AnyUser | None) -> QuerySet[Employment]:
    found = _user(user)
    if found is not None and found.role == Role.EMPLOYER:
        return Employment.objects.filter(employer_id=found.employer_id or 0)
    return Employment.objects.filter(person__in=persons_for(found))


def _of_visible_persons(model: type[M]) -> Callable[[AnyUser | None], QuerySet[M]]:
    def scoped(user: AnyUser | None) -> QuerySet[M]:
        return model._default_manager.filter(person__in=persons_for(user))

    scoped.__name__ = f"{model.__name__.lower()}s_for"
    return scoped


hukou_for = _of_visible_persons(HukouRecord)
permits_for = _of_visible_persons(ResidencePermit)
insurance_for = _of_visible_persons(InsuranceSpell)
memberships_for = _of_visible_persons(Membership)

_FOR_USER: dict[type[Any], Callable[[AnyUser | None], QuerySet[Any]]] = {
    Person: persons_for,
    Household: households_for,
    Employment: employments_for,
    HukouRecord: hukou_for,
    ResidencePermit: permits_for,
    InsuranceSpell: insurance_for,
    Membership: memberships_for,
}


def for_user(user: AnyUser | None, model: type[M]) -> QuerySet[M]:
    """The rows of ``model`` that ``user`` may see: the one entry point for lists."""
    return _FOR_USER[model](user)


# ---------------------------------------------------------------------------------------------
# Predicates.


@predicate
def is_citizen(user: AnyUser | None) -> bool:
    found = _user(user)
    return found is not None and found.role == Role.CITIZEN


@predicate
def is_caseworker(user: AnyUser | None) -> bool:
    return jurisdiction(user) is not None


@predicate
def is_employer_rep(user: AnyUser | None) -> bool:
    found = _user(user)
    return found is not None and found.role == Role.EMPLOYER and found.employer_id is not None


@predicate
def is_administrator(user: AnyUser | None) -> bool:
    found = _user(user)
    return found is not None and found.role == Role.ADMIN


@predicate
def is_person_self(user: AnyUser | None, person: Person) -> bool:
    found = _user(user)
    return found is not None and found.person_id is not None and found.person_id == person.pk


@predicate
def person_in_jurisdiction(user: AnyUser | None, person: Person) -> bool:
    return is_caseworker(user) and persons_for(user).filter(pk=person.pk).exists()


@predicate
def region_in_jurisdiction(user: AnyUser | None, code: int) -> bool:
    scope = jurisdiction(user)
    return scope is not None and scope[0] <= code < scope[1]


@predicate
def represents_employer(user: AnyUser | None, employment: Employment) -> bool:
    found = _user(user)
    return (
        found is not None
        and found.role == Role.EMPLOYER
        and found.employer_id is not None
        and found.employer_id == employment.employer_id
    )


can_view_person = is_person_self | person_in_jurisdiction
can_reveal_id_number = can_view_person  # whoever may see the record may see its full number
can_edit_person = person_in_jurisdiction
can_list_persons = is_citizen | is_caseworker
can_list_employments = is_citizen | is_caseworker | is_employer_rep
can_register_employer = is_administrator | is_caseworker


# ---------------------------------------------------------------------------------------------
# Fetching with the check. A refusal is audited here (outcome denied) and raised.


def _fetch(user: AnyUser | None, queryset: QuerySet[M], pk: object, action: str, label: str) -> M:
    found = queryset.filter(pk=pk).first() if isinstance(pk, int) else None
    if found is None:
        raise refuse(
            user, action, NotFoundError("没有找到这条记录，或者您无权查看").about(label, pk)
        )
    return found


def access_person(
    user: AnyUser | None, person_id: object, *, action: str = "people.read_person"
) -> Person:
    """The person, if ``user`` may see her; else 404 (whether or not she exists)."""
    return _fetch(user, persons_for(user), person_id, action, "people.person")


def access_person_for_edit(user: AnyUser | None, person_id: object, *, action: str) -> Person:
    """The person, if ``user`` may change her record: 404 outside scope, 403 for her own."""
    person = access_person(user, person_id, action=action)
    if not can_edit_person.test(user, person):
        raise refuse(
            user,
            action,
            AccessDeniedError("只有管辖地的经办人员可以更改登记信息").about(
                "people.person", person.pk
            ),
        )
    return person


def access_household(
    user: AnyUser | None, household_id: object, *, action: str = "people.read_household"
) -> Household:
    return _fetch(user, households_for(user), household_id, action, "people.household")


def access_employment(
    user: AnyUser | None, employment_id: object, *, action: str = "people.read_employment"
) -> Employment:
    return _fetch(
        user,
        employments_for(user).select_related("person", "employer"),
        employment_id,
        action,
        "people.employment",
    )


def require(
    predicate: Predicate, user: AnyUser | None, action: str, message: str, *args: object
) -> None:
    """Raise an audited 403 unless ``predicate(user, *args)`` holds."""
    if not predicate.test(user, *args):
        raise refuse(user, action, AccessDeniedError(message))
