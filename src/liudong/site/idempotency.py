"""Idempotency keys for unsafe API requests (after the IETF ``Idempotency-Key`` header draft).

A client that sent a POST and lost the answer cannot know whether it committed; it retries
with the same ``Idempotency-Key`` and gets the first answer again instead of a second
effect. Every POST must carry a key; PUT, PATCH and DELETE may.

- :func:`claim` inserts an ``in_flight`` row, unique on (user, key), in its own transaction
  *before* the handler runs. Of two concurrent requests with one key exactly one inserts it;
  the other finds the row: same request and still running → 409 ``idempotency_in_flight``;
  same request and done → the stored response, replayed; a different method, path or body
  under the same key → 422 ``idempotency_key_reused``.
- :func:`complete` stores the response (body SM4-encrypted); a 5xx is not stored, the row is
  deleted so that a retry runs again (the action rolled back).
- Rows are kept at least :data:`RETENTION` (24 h); :func:`purge` removes older ones.
- A row left ``in_flight`` by a process that died is taken over after :data:`LEASE`.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from liudong import crypto
from liudong.site.errors import ActionError, ConflictError, InvalidInputError, PayloadTooLargeError
from liudong.site.models import IdempotencyRecord, IdempotencyState

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest
    from django.http.response import HttpResponseBase

    from liudong.accounts.models import User

HEADER = "Idempotency-Key"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_REQUIRED_METHODS = frozenset({"POST"})
KEY_FORMAT = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as in the draft's examples
RETENTION = dt.timedelta(hours=24)
LEASE = dt.timedelta(minutes=5)
REPLAYED_HEADER = "Idempotent-Replayed"
_PURPOSE = "site_core.IdempotencyRecord.body"


LARGE_BODIES: dict[str, Callable[[], int]] = {}
"""URL names of API operations whose body may exceed ``DATA_UPLOAD_MAX_MEMORY_SIZE``, with
their own limit in bytes (a function, read per request); see :func:`allow_large_body`."""


def allow_large_body(url_name: str, limit: Callable[[], int]) -> None:
    """Let the operation named ``url_name`` (ninja's ``url_name=``) take bodies up to
    ``limit()`` bytes instead of ``DATA_UPLOAD_MAX_MEMORY_SIZE``: the platform-wide cap stays
    for every other operation. Larger bodies are refused with 413 ``body_too_large``."""
    LARGE_BODIES[url_name] = limit


def _body(request: HttpRequest) -> bytes:
    """``request.body``; for an operation in :data:`LARGE_BODIES` read up to its own limit
    (as Django reads it, keeping the bytes for the handler and the multipart parser)."""
    match = request.resolver_match
    limit = LARGE_BODIES.get(match.url_name or "") if match is not None else None
    if limit is not None and not hasattr(request, "_body"):
        allowed = limit()
        if int(request.META.get("CONTENT_LENGTH") or 0) > allowed:
            raise PayloadTooLargeError(
                "body_too_large", f"the body is larger than {allowed} bytes", "body"
            )
        request._body = request.read()
        request._stream = io.BytesIO(request._body)
    return request.body


def fingerprint(request: HttpRequest) -> str:
    """SM3 over method, path with query, and body: what "the same request" means."""
    head = f"{request.method}\n{request.get_full_path()}\n".encode()
    return crypto.sm3(head + _body(request)).hex()


def claim(request: HttpRequest, user: User) -> IdempotencyRecord | HttpResponse | None:
    """Take the request's key: the new row to complete, a replayed response, or None when the
    method needs no key and has none. Raises the designed 400, 409 and 422 errors."""
    key = request.headers.get(HEADER)
    if key is None:
        if request.method in KEY_REQUIRED_METHODS:
            raise ActionError(
                "idempotency_key_missing",
                f"send an {HEADER} header (a fresh random value, e.g. a UUID, per operation; "
                "the same value when you retry it)",
                HEADER,
            )
        return None
    if not KEY_FORMAT.match(key):
        raise ActionError(
            "idempotency_key_invalid", f"{HEADER} is 1 to 255 visible ASCII characters", HEADER
        )
    print_ = fingerprint(request)
    now = timezone.now()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=user,
                key=key,
                fingerprint=print_,
                state=IdempotencyState.IN_FLIGHT,
                started=now,
            )
    except IntegrityError:
        pass
    return _existing(user, key, print_, now)


def _existing(
    user: User, key: str, print_: str, now: dt.datetime
) -> IdempotencyRecord | HttpResponse:
    found = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if found is not None and found.fingerprint != print_:
        raise InvalidInputError(
            "idempotency_key_reused",
            f"this {HEADER} was used for a different request; use a new key for a new request",
            HEADER,
        )
    if found is not None and found.state == IdempotencyState.DONE:
        return replay(found)
    if found is not None and now - found.started > LEASE and _take_over(found, now):
        return found
    raise ConflictError(
        "idempotency_in_flight",
        "a request with this key is still being processed; retry in a moment",
        HEADER,
    )


def _take_over(found: IdempotencyRecord, now: dt.datetime) -> bool:
    """Compare-and-set: exactly one retry takes over an abandoned in-flight row."""
    taken = IdempotencyRecord.objects.filter(
        pk=found.pk, state=IdempotencyState.IN_FLIGHT, started=found.started
    ).update(started=now)
    found.started = now
    return taken == 1


def complete(row: IdempotencyRecord, response: HttpResponseBase) -> None:
    """Store the response for replay; forget the key on a 5xx so that a retry runs again."""
    if response.status_code >= 500 or not isinstance(response, HttpResponse):
        release(row)
        return
    body = base64.b64encode(response.content).decode()
    IdempotencyRecord.objects.filter(pk=row.pk).update(
        state=IdempotencyState.DONE,
        completed=timezone.now(),
        status_code=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=crypto.encrypt(body, _PURPOSE),
    )


def release(row: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=row.pk, state=IdempotencyState.IN_FLIGHT).delete()


def replay(row: IdempotencyRecord) -> HttpResponse:
    body = base64.b64decode(crypto.decrypt(row.body, _PURPOSE))
    response = HttpResponse(body, status=row.status_code or 200, content_type=row.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def purge(now: dt.datetime | None = None) -> int:
    """Delete finished records older than :data:`RETENTION`; returns how many."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = IdempotencyRecord.objects.filter(
        state=IdempotencyState.DONE, started__lt=cutoff
    ).delete()
    return deleted
