"""Who may use the inbox: every signed-in user, for her own notifications only. Staff-type
roles must have passed the second factor first, as on every other page of theirs."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login

from liudong.accounts.access import has_staff_role, is_verified

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

    View = Callable[..., HttpResponse]


def signed_in_required(view: View) -> View:
    """Anonymous callers are sent to sign in; unverified staff to the second factor."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if has_staff_role.test(request.user) and not is_verified.test(request.user):
            return redirect_to_login(request.get_full_path(), "accounts:verify")
        return view(request, *args, **kwargs)

    return guarded
