"""Whose cases a user may act on (the case type's declaration then says which steps):

- a **caseworker** (staff or supervisor, with an agency): cases whose jurisdiction lies in the
  agency's region or below it (GB/T 2260 prefix, as in ``liudong.people.access``);
- a **citizen**: cases about herself (``subject`` is her person);
- an **employer representative**: cases her employer opened (for a case type that lists
  ``employer`` among its ``openers``) about persons it still employs; she may open a case only
  about a current employee of her employer;
- everyone else (auditors, administrators): no cases. A domain whose case type lets another
  role act adds that role's scope here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liudong.accounts.models import Role, User
from liudong.people.access import jurisdiction
from liudong.people.models import Employment
from liudong.workflows.models import Case

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet


def cases_for(user: User | AnonymousUser | None) -> QuerySet[Case]:
    """The cases ``user`` may see and act on."""
    if not isinstance(user, User) or not user.is_authenticated:
        return Case.objects.none()
    if user.role == Role.CITIZEN:
        return Case.objects.filter(subject_id=user.person_id) if user.person_id else _none()
    if user.role == Role.EMPLOYER:
        if user.employer_id is None:
            return _none()
        return Case.objects.filter(
            opened_by__role=Role.EMPLOYER,
            opened_by__employer_id=user.employer_id,
            subject_id__in=_employees(user.employer_id),
        )
    scope = jurisdiction(user)
    if scope is None:
        return _none()
    return Case.objects.filter(jurisdiction_id__gte=scope[0], jurisdiction_id__lt=scope[1])


def may_open(user: User, region_code: int, subject_id: int | None) -> bool:
    """Whether ``user`` may open a case in ``region_code`` about ``subject_id``: a citizen
    for herself, an employer representative for a current employee of her employer (the
    domain chooses the region), a caseworker in her jurisdiction."""
    if user.role == Role.CITIZEN:
        return subject_id is not None and subject_id == user.person_id
    if user.role == Role.EMPLOYER:
        return (
            subject_id is not None
            and user.employer_id is not None
            and _employees(user.employer_id).filter(person_id=subject_id).exists()
        )
    scope = jurisdiction(user)
    return scope is not None and scope[0] <= region_code < scope[1]


def _employees(employer_id: int) -> QuerySet[Employment, int]:
    """The persons ``employer_id`` employs now (an employment without an end)."""
    return Employment.objects.filter(employer_id=employer_id, end__isnull=True).values_list(
        "person_id", flat=True
    )


def _none() -> QuerySet[Case]:
    return Case.objects.none()
