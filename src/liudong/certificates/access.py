"""Who may issue, read, download and revoke certificates.

- **Anyone**, signed in or not, may verify a certificate by its code or its file and sees its
  status and its fields with personal data masked (``verification.py``).
- The **subject** (a citizen bound to the person the certificate is about) reads and downloads
  her own certificates.
- **Caseworkers** (staff, supervisors) read, download, issue and revoke the certificates of
  persons in their jurisdiction (``liudong.people.access``); a certificate without a subject
  belongs to the agency that issued it.
- Employer representatives, auditors and administrators do none of these.

Refusals of a single certificate are 404s, so that a refusal does not confirm that a code
exists; each is audited once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.translation import gettext as _
from rules.predicates import Predicate

from liudong.accounts.models import User
from liudong.certificates.models import Certificate
from liudong.people import access as people_access
from liudong.site.actions import refuse
from liudong.site.errors import AccessDeniedError, NotFoundError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    AnyUser = User | AnonymousUser


def _user(user: AnyUser | None) -> User | None:
    return user if isinstance(user, User) and user.is_authenticated else None


def certificates_for(user: AnyUser | None) -> QuerySet[Certificate]:
    """The certificates ``user`` may read in full."""
    found = _user(user)
    if found is None:
        return Certificate.objects.none()
    if people_access.is_citizen.test(found):
        return Certificate.objects.filter(subject_id=found.person_id or 0)
    if not people_access.is_caseworker.test(found):
        return Certificate.objects.none()
    visible = people_access.persons_for(found).values("pk")
    return Certificate.objects.filter(
        Q(subject__in=visible) | Q(subject__isnull=True, agency_id=found.agency_id)
    )


@Predicate
def may_read(user: AnyUser | None, certificate: Certificate) -> bool:
    return certificates_for(user).filter(pk=certificate.pk).exists()


@Predicate
def may_manage(user: AnyUser | None, certificate: Certificate) -> bool:
    """Revoke (and issue for the same subject): caseworkers of the jurisdiction."""
    return people_access.is_caseworker.test(user) and may_read.test(user, certificate)


may_list = people_access.is_caseworker


def access_certificate(user: AnyUser | None, code: str, *, action: str) -> Certificate:
    """The certificate with ``code`` if ``user`` may read it; else an audited 404."""
    found = certificates_for(user).select_related("subject").filter(code=code).first()
    if found is None:
        error = NotFoundError(_("没有这份证明，或者您无权查看")).about(
            "certificates.certificate", code
        )
        raise refuse(user, action, error)
    return found


def check_may_issue(actor: User | None, subject_in_scope: bool) -> None:
    """System jobs (no actor) and caseworkers whose jurisdiction holds the subject may issue."""
    if actor is None:
        return
    if not people_access.is_caseworker.test(actor) or not subject_in_scope:
        raise AccessDeniedError(_("只有管辖地的经办和审核人员可以出具证明"))
