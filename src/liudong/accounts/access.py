"""Who may enter which part of the site: role predicates (``rules``) and view decorators.

Staff-type roles (staff, supervisor, auditor, administrator, analyst) reach their pages only
with a verified second factor (django-otp's ``is_verified``) and a password younger than
``LIUDONG_STAFF_PASSWORD_MAX_AGE_DAYS``. ``staff_required`` checks exactly that and nothing
more: it lets every staff-type role through, so each staff page names the roles it serves
after it (caseworkers: ``has_caseworker_role`` or ``liudong.people.access.is_caseworker``;
auditors; administrators; analysts, who see synthetic populations and never a person's
record). Data-level access (which persons a caseworker may see) lives with the data, in each
domain's own ``access.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from rules.predicates import Predicate

from liudong.accounts.models import CASEWORKER_ROLES, STAFF_ROLES, Role, User
from liudong.audit.events import record
from liudong.audit.models import Outcome
from liudong.site.actions import audit_refusal
from liudong.site.errors import ActionError

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest, HttpResponse

    View = Callable[..., HttpResponse]


def _role(user: User | AnonymousUser) -> str | None:
    return user.role if isinstance(user, User) and user.is_authenticated else None


def _verified(user: User | AnonymousUser) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


# ``rules`` predicates: combine with & and |, evaluate with ``.test(user)``.
is_verified = Predicate(_verified)  # a second factor in this session (django-otp)
has_staff_role = Predicate(lambda user: _role(user) in STAFF_ROLES)
has_admin_role = Predicate(lambda user: _role(user) == Role.ADMIN)
# Caseworkers (staff, supervisors) handle persons' cases; an agency gives them a jurisdiction.
has_caseworker_role = Predicate(lambda user: _role(user) in CASEWORKER_ROLES)
# Policy analysts: synthetic populations and published figures only, never a person's record.
has_analyst_role = Predicate(lambda user: _role(user) == Role.ANALYST)
is_citizen = Predicate(lambda user: _role(user) == Role.CITIZEN)
is_staff_member = has_staff_role & is_verified
is_admin = has_admin_role & is_verified


def password_expired(user: User, now: dt.datetime | None = None) -> bool:
    """Staff passwords expire after LIUDONG_STAFF_PASSWORD_MAX_AGE_DAYS (never set: expired)."""
    if user.role not in STAFF_ROLES:
        return False
    if user.password_changed_at is None:
        return True
    age = (now or timezone.now()) - user.password_changed_at
    return age > dt.timedelta(days=settings.LIUDONG_STAFF_PASSWORD_MAX_AGE_DAYS)


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in user of a view that its decorators have already guarded."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    """The designed 403 page: what was refused and where to go instead (the view's
    ``refusals_audited`` wrapper writes the audit event)."""
    return render(request, "site/forbidden.html", {"reason": reason}, status=403)


def refusals_audited(action_name: str) -> Callable[[View], View]:
    """Turn refusals into pages (403/404) with exactly one ``denied`` audit event, also for
    the role decorators' own 403 pages."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                response = view(request, *args, **kwargs)
            except ActionError as exc:
                audit_refusal(request.user, action_name, exc)
                return render(
                    request, "site/forbidden.html", {"reason": exc.message}, status=exc.status
                )
            if response.status_code == 403 and request.user.is_authenticated:
                record(
                    request.user, action_name, outcome=Outcome.DENIED, detail={"code": "forbidden"}
                )
            return response

        return wrapped

    return decorate


def staff_required(view: View) -> View:
    """Signed in, a staff-type role, verified with TOTP, password not expired. Grants no
    role-specific access: the view (or a decorator below this one) checks which staff-type
    roles it serves."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not isinstance(user, User):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not has_staff_role.test(user):
            return forbidden(request, _("这一页只对经办、审核、审计、政策分析和管理人员开放。"))
        if not is_verified.test(user):
            return redirect_to_login(request.get_full_path(), "accounts:verify")
        if password_expired(user):
            messages.warning(request, _("您的密码已超过有效期，请先修改密码。"))
            return redirect("accounts:password_change")
        return view(request, *args, **kwargs)

    return guarded


def signed_in_required(view: View) -> View:
    """Signed in, any role; staff-type roles also pass :func:`staff_required` (second factor,
    fresh password). What each role may do is the view's or the action's check."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not isinstance(request.user, User):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if has_staff_role.test(request.user):
            return staff_required(view)(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return guarded


def citizen_required(view: View) -> View:
    """Signed in with the citizen role."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not is_citizen.test(request.user):
            return forbidden(request, _("这一页只对公民账户开放。"))
        return view(request, *args, **kwargs)

    return guarded
