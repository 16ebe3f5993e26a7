"""Who may upload and read evidence. For now by role only: the uploader reads her own files,
caseworkers (staff, supervisors) read all; domains will add case-based access (the parties
of a case, the caseworkers of its jurisdiction) when they attach evidence to cases.

Auditors and administrators neither upload nor read: the audit trail and reference data are
their work, not applicants' documents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from rules.predicates import Predicate

from liudong.accounts.models import Role, User
from liudong.site.errors import AccessDeniedError, NotFoundError

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from liudong.evidence.models import Evidence

    View = Callable[..., HttpResponse]

UPLOADER_ROLES = frozenset({Role.CITIZEN, Role.EMPLOYER, Role.STAFF, Role.SUPERVISOR})
READER_ROLES = frozenset({Role.STAFF, Role.SUPERVISOR})


def _role(user: User | AnonymousUser | None) -> str | None:
    return user.role if isinstance(user, User) and user.is_authenticated else None


@Predicate
def is_uploader(user: User | AnonymousUser | None, evidence: Evidence) -> bool:
    return isinstance(user, User) and user.is_authenticated and evidence.uploaded_by_id == user.pk


may_upload_evidence = Predicate(lambda user: _role(user) in UPLOADER_ROLES)
reads_all_evidence = Predicate(lambda user: _role(user) in READER_ROLES)
may_read_evidence = is_uploader | reads_all_evidence


def check_may_upload(actor: User | None) -> User:
    """The uploader, if her role may upload (only signed-in users may)."""
    if actor is None or not may_upload_evidence.test(actor):
        raise AccessDeniedError(_("证明材料只能由申请人、用人单位经办人和经办、审核人员上传"))
    return actor


def check_may_read(actor: User | None, evidence: Evidence) -> None:
    """Not found rather than forbidden: a refusal does not confirm that the file exists."""
    if not may_read_evidence.test(actor, evidence):
        raise NotFoundError(_("没有这份证明材料，或您无权查看")).about(
            "evidence.evidence", evidence.pk
        )
