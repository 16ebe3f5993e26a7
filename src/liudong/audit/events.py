"""Writing audit events: ``record(...)`` inside the action's transaction, or ``record_many(...)``
for many changes of one action at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from liudong.accounts.models import User
from liudong.audit import sequencer
from liudong.audit.models import AuditEvent, Outcome
from liudong.site.errors import ActionError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django.contrib.auth.models import AnonymousUser
    from django.db import models


class AuditWriteError(ActionError):
    """The audit event could not be written, so the change it records must not happen."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            "audit_unavailable",
            "the audit trail could not be written, so nothing was changed; try again in a "
            "minute, and tell the system administrator if it keeps happening",
        )


def record(
    actor: User | AnonymousUser | None,
    action: str,
    target: models.Model | None = None,
    *,
    outcome: str = Outcome.OK,
    detail: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    request_id: str = "",
) -> AuditEvent:
    """Write one audit event. Call it inside the transaction of the change it records: if the
    audit write fails, the change fails with it (fail closed, :class:`AuditWriteError`)."""
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
    event = AuditEvent(
        at=timezone.now(),
        **_who(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        detail=detail or {},
        request_id=request_id,
    )
    _write(lambda: event.save(force_insert=True))
    return event


def record_many(
    actor: User | AnonymousUser | None,
    entries: Iterable[tuple[str, models.Model, dict[str, Any]]],
    *,
    outcome: str = Outcome.OK,
    request_id: str = "",
) -> list[AuditEvent]:
    """Write one audit event per ``(action, target, detail)``, each as :func:`record` would
    write it, all at the same time in one INSERT (a bulk change: an import chunk). The same
    rules as :func:`record`: inside the change's transaction, fail closed."""
    now = timezone.now()
    who = _who(actor)
    events = [
        AuditEvent(
            at=now,
            **who,
            action=action,
            object_type=target._meta.label_lower,
            object_id=str(target.pk),
            outcome=outcome,
            detail=detail,
            request_id=request_id,
        )
        for action, target, detail in entries
    ]
    if events:
        _write(lambda: AuditEvent.objects.bulk_create(events))
    return events


def _who(actor: User | AnonymousUser | None) -> dict[str, Any]:
    """The event fields naming the actor as she is now (none for anonymous or the system)."""
    user = actor if isinstance(actor, User) else None
    if user is None:
        return {"actor_id": None, "actor": "", "role": "", "agency": ""}
    agency = user.agency
    return {
        "actor_id": user.pk,
        "actor": user.get_username(),
        "role": user.role,
        "agency": agency.code if agency is not None else "",
    }


def _write(insert: Callable[[], object]) -> None:
    """Insert under the sequencer's writer lock (``liudong.audit.sequencer``), inside the
    caller's transaction; a failed insert is an :class:`AuditWriteError`."""
    try:
        with transaction.atomic(savepoint=False):
            sequencer.hold_for_writing()
            insert()
    except DatabaseError as exc:
        raise AuditWriteError from exc
