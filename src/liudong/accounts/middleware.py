"""Idle timeout: a session unused for LIUDONG_IDLE_TIMEOUT_SECONDS is ended server-side."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import logout

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

LAST_SEEN = "liudong_last_seen"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_SEEN)
            if last is not None and now - float(last) > settings.LIUDONG_IDLE_TIMEOUT_SECONDS:
                logout(request)  # flushes the session: the old key is dead on the server
            else:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
