"""Who may load holiday arrangements: administrators (reference data, like regions and
agencies), and the system itself (the ``liudong calendar load`` command without ``--as``).
Everyone may *use* the calendar; only the loading is guarded."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from liudong.accounts.access import has_admin_role
from liudong.site.errors import AccessDeniedError

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

    from liudong.accounts.models import User

    View = Callable[..., HttpResponse]

REFUSAL = gettext_noop("节假日安排只能由系统管理员载入和查看")


def check_may_load(actor: User | None) -> None:
    """Raise unless ``actor`` is an administrator or None (a system action)."""
    if actor is not None and not has_admin_role.test(actor):
        raise AccessDeniedError(_(REFUSAL))


def admin_required(view: View) -> View:
    """Inside ``staff_required``: only administrators reach the view (403 otherwise)."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_admin_role.test(request.user):
            raise AccessDeniedError(_(REFUSAL))
        return view(request, *args, **kwargs)

    return guarded
