"""Who may watch background tasks: caseworkers, supervisors and administrators (the people
who start long jobs and answer for them), with the staff checks of ``staff_required``
(second factor, password age). Citizens, employers and auditors may not: auditors read the
audit trail, which records what the tasks did."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rules.predicates import Predicate

from liudong.accounts.models import Role, User
from liudong.site.errors import AccessDeniedError

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest, HttpResponse

    View = Callable[..., HttpResponse]

WATCHERS = frozenset({Role.STAFF, Role.SUPERVISOR, Role.ADMIN})
REFUSAL = gettext_noop("后台任务只对经办、审核人员和系统管理员开放")


def _may_watch(user: User | AnonymousUser) -> bool:
    return isinstance(user, User) and user.is_authenticated and user.role in WATCHERS


may_watch = Predicate(_may_watch)


def check_may_watch(user: User | AnonymousUser) -> None:
    if not may_watch.test(user):
        raise AccessDeniedError(_(REFUSAL))


def watchers_only(view: View) -> View:
    """Inside ``staff_required``: only the roles in :data:`WATCHERS` reach the view."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        check_may_watch(request.user)
        return view(request, *args, **kwargs)

    return guarded
