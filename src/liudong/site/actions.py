"""Running actions: each in one transaction, with exactly one audit event for every refusal.

``@action("people.register_person")`` wraps a ``do_*`` function: the body runs inside
``transaction.atomic()`` (so its writes, history rows and audit event commit or vanish
together); an :class:`~liudong.site.errors.ActionError` raised inside rolls all of that back,
and the refusal is then audited *after* the rollback (outcome ``denied`` or ``rejected``, with
the error code and field, never the refused input), so it survives. The error is marked
``audited`` and the API and page layers do not audit it again.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from django.db import transaction

from liudong.audit.events import record
from liudong.site.errors import ActionError

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import AnonymousUser

    from liudong.accounts.models import User

P = ParamSpec("P")
R = TypeVar("R")


def as_user(actor: User | AnonymousUser | None) -> User | None:
    """The signed-in user, or None for anonymous requests and system jobs."""
    if actor is None or not actor.is_authenticated:
        return None
    return actor


def audit_refusal(
    actor: User | AnonymousUser | None,
    action_name: str,
    exc: ActionError,
    *,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write the one audit event of a refusal (unless already written) and mark it done.

    Server-side failures (5xx, e.g. the audit trail itself unavailable) are not refusals."""
    if exc.audited or exc.status >= 500:
        return
    record(
        as_user(actor),
        action_name,
        outcome=exc.outcome,
        detail={"code": exc.code, "field": exc.field, **(extra or {})},
        object_type=exc.object_type,
        object_id=exc.object_id,
    )
    exc.audited = True


def refuse(actor: User | AnonymousUser | None, action_name: str, exc: ActionError) -> ActionError:
    """Audit a refusal now and hand the error back to be raised: ``raise refuse(...)``."""
    audit_refusal(actor, action_name, exc)
    return exc


def action(
    name: str,
) -> Callable[[Callable[Concatenate[User | None, P], R]], Callable[Concatenate[User | None, P], R]]:
    """Make ``func`` an action named ``name``: one transaction, audited refusals."""

    def decorate(
        func: Callable[Concatenate[User | None, P], R],
    ) -> Callable[Concatenate[User | None, P], R]:
        @functools.wraps(func)
        def run(actor: User | None, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                with transaction.atomic():
                    return func(actor, *args, **kwargs)
            except ActionError as exc:
                exc.audited = False  # whatever was audited inside was rolled back with it
                audit_refusal(actor, name, exc)
                raise

        run.action_name = name  # type: ignore[attr-defined]  # read by tests and the API docs
        return run

    return decorate
