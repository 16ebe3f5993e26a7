"""Who may read the audit trail: auditors only (separation of duties, GB/T 22239 8.1.5).

A signed-in user of any other role is refused with 403, and the refusal is itself an audit
event (outcome ``denied``). Auditors pass the staff checks of ``liudong.accounts.access``
(second factor verified, password not expired) like every staff page.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from liudong.accounts.access import forbidden, staff_required
from liudong.accounts.models import Role, User
from liudong.audit.events import record
from liudong.audit.models import AuditEvent, Outcome

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest, HttpResponse

    View = Callable[..., HttpResponse]


def is_auditor(user: User | AnonymousUser) -> bool:
    return isinstance(user, User) and user.is_active and user.role == Role.AUDITOR


def auditor_required(action: str) -> Callable[[View], View]:
    """Only auditors reach the view; anyone else signed in gets 403 and a ``denied`` event
    named ``action`` (the object, if the URL names one, is the audit event's ``seq``)."""

    def decorate(view: View) -> View:
        checked = staff_required(view)

        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.is_authenticated and not is_auditor(request.user):
                _record_denial(request, action, kwargs.get("seq"))
                return forbidden(request, _("审计记录只对审计人员开放。"))
            return checked(request, *args, **kwargs)

        return guarded

    return decorate


def _record_denial(request: HttpRequest, action: str, seq: object) -> None:
    with transaction.atomic():
        record(
            request.user,
            action,
            outcome=Outcome.DENIED,
            detail={"code": "forbidden", "path": request.path},
            object_type=AuditEvent._meta.label_lower if seq is not None else "",
            object_id=str(seq) if seq is not None else "",
        )
