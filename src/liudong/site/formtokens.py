"""One-time form tokens: a form submitted twice (a double click, a reload, the back button)
changes things once.

A page that renders a form calls :func:`issue` (the token goes into the session and a hidden
``form_token`` field); the view that handles the POST calls :func:`consume` first. A token is
good for one submission: it is removed from the session and, so that two concurrent
submissions cannot both pass, claimed as an idempotency record (unique per user and key) in
its own transaction. A form re-rendered with errors gets a fresh token.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from liudong.site.models import IdempotencyRecord, IdempotencyState

if TYPE_CHECKING:
    from django.http import HttpRequest

FIELD = "form_token"
_SESSION_KEY = "liudong_form_tokens"
_KEPT = 20  # open forms remembered per session (oldest forgotten first)


def issue(request: HttpRequest, form: str) -> str:
    """A fresh token for one rendering of ``form``."""
    token = secrets.token_urlsafe(18)
    tokens = dict(request.session.get(_SESSION_KEY, {}))
    tokens[token] = form
    request.session[_SESSION_KEY] = dict(list(tokens.items())[-_KEPT:])
    return token


def consume(request: HttpRequest, form: str) -> bool:
    """Use the POSTed token of ``form``: True the first time, False ever after."""
    token = request.POST.get(FIELD, "")
    tokens = dict(request.session.get(_SESSION_KEY, {}))
    if not token or tokens.pop(token, None) != form:
        return False
    request.session[_SESSION_KEY] = tokens
    return _claim(request, f"form:{form}:{token}")


def _claim(request: HttpRequest, key: str) -> bool:
    if not request.user.is_authenticated:
        return True  # the session alone guards anonymous forms
    now = timezone.now()
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                user=request.user,
                key=key,
                fingerprint="",
                state=IdempotencyState.DONE,
                started=now,
                completed=now,
            )
    except IntegrityError:
        return False
    return True
