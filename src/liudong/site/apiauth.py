"""Who is calling the API: a bearer token (machine clients) or the browser session.

Tokens are ``ldt_`` followed by 43 URL-safe characters (256 random bits). Only the HMAC-SM3
of a token is stored (key derived from the master key for this purpose alone), so a copy of
the database does not give working tokens. A session caller must send the CSRF token with
every unsafe method; a bearer caller sends no cookies and needs none.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from liudong import crypto
from liudong.accounts.models import Role
from liudong.audit.events import record
from liudong.site.actions import action
from liudong.site.errors import (
    AccessDeniedError,
    ActionError,
    InvalidInputError,
    NotFoundError,
)
from liudong.site.models import ApiToken

if TYPE_CHECKING:
    from django.http import HttpRequest

    from liudong.accounts.models import User

TOKEN_PREFIX = "ldt_"  # noqa: S105  # a public prefix that marks liudong tokens, not a secret
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)  # last_used is written at most this often
_CACHE = "_liudong_api_user"


def token_digest(raw: str) -> str:
    return crypto.hmac_sm3(crypto.subkey("api-token"), raw.encode()).hex()


@action("site.create_api_token")
def do_create_api_token(actor: User | None, *, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``actor``; returns the row and the token, which is never shown again."""
    if actor is None:
        raise AccessDeniedError("sign in to create a token")
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInputError("token_name", "给令牌起一个1到64个字符的名称", "name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, name=name, digest=token_digest(raw), hint=raw[:12], created=timezone.now()
    )
    record(actor, "site.create_api_token", token, detail={"name": name})
    return token, raw


@action("site.revoke_api_token")
def do_revoke_api_token(actor: User | None, token_id: int) -> ApiToken:
    """Revoke one of the actor's tokens (an administrator may revoke anyone's)."""
    tokens = ApiToken.objects.select_for_update().filter(pk=token_id)
    if actor is None or actor.role != Role.ADMIN:
        tokens = tokens.filter(user_id=actor.pk if actor else 0)
    token = tokens.first()
    if token is None:
        raise NotFoundError("no such token").about("site_core.apitoken", token_id)
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        record(actor, "site.revoke_api_token", token)
    return token


def user_for_token(raw: str) -> User | None:
    """The active user a live token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer ldt_...``; the user also becomes ``request.user``."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        cached = getattr(request, _CACHE, None)
        user = cached if cached is not None else user_for_token(token)
        if user is not None:
            setattr(request, _CACHE, user)
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; unsafe methods must carry the CSRF token.

    Unlike ninja's own SessionAuth the CSRF check runs only for a signed-in user, so an
    anonymous caller gets 401 (sign in), not 403.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise AccessDeniedError(
                "the form's security token (CSRF) is missing or stale: reload the page",
                code="csrf_failed",
            )
        return user


AUTH: list[Any] = [BearerTokenAuth(), SessionAuth()]


def authenticated_user(request: HttpRequest) -> User | None:
    """The user the API's authentication accepts for this request, or None (checked later)."""
    for method in AUTH:
        try:
            user = method(request)
        except ActionError:  # a refusal (CSRF): the operation itself reports it
            return None
        if user:
            return user  # type: ignore[no-any-return]  # ninja's auth callables are untyped
    return None
