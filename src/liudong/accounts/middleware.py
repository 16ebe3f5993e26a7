"""Session lifetime: an idle timeout (LIUDONG_IDLE_TIMEOUT_SECONDS, 30 minutes) and an absolute
one (SESSION_COOKIE_AGE, 12 hours), both enforced on the server.

Django's own expiry cannot give either: this middleware writes to the session on every
request, which pushes the stored expiry forward each time. So the session keeps its start and
last-seen times, and a session past either limit is flushed (the old key is dead on the
server), audited, and the browser is sent to the sign-in page with the reason.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.sessions.backends.base import SessionBase
    from django.http import HttpRequest, HttpResponse

LAST_SEEN = "liudong_last_seen"
STARTED = "liudong_started"
ENDED = "liudong_session_ended"  # why the last session ended, shown on the sign-in page


def start_session(request: HttpRequest) -> None:
    """Call right after login(): the absolute and idle clocks start now."""
    now = time.time()
    request.session[STARTED] = now
    request.session[LAST_SEEN] = now


def expired(session: SessionBase, now: float) -> str | None:
    """Why a session must end now (``idle`` or ``absolute``), or None."""
    started, last = session.get(STARTED), session.get(LAST_SEEN)
    if started is not None and now - float(started) > settings.SESSION_COOKIE_AGE:
        return "absolute"
    if last is not None and now - float(last) > settings.LIUDONG_IDLE_TIMEOUT_SECONDS:
        return "idle"
    return None


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            reason = expired(request.session, now)
            if reason is not None:
                return self._end(request, reason)
            request.session[LAST_SEEN] = now
            request.session.setdefault(STARTED, now)
        return self.get_response(request)

    def _end(self, request: HttpRequest, reason: str) -> HttpResponse:
        from liudong.accounts.actions import record_logout
        from liudong.accounts.models import User

        if isinstance(request.user, User):
            record_logout(request.user, reason)
        logout(request)  # flushes the session: the old key is dead on the server
        request.session[ENDED] = reason
        if request.path.startswith("/api/"):
            return self.get_response(request)  # the API answers an anonymous request itself
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
