"""Writing audit events: ``record(...)`` inside the action's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from liudong.accounts.models import User
from liudong.audit import sequencer
from liudong.audit.models import AuditEvent, Outcome
from liudong.site.errors import ActionError

if TYPE_CHECKING:
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
    user = actor if isinstance(actor, User) else None
    agency = user.agency if user is not None else None
    event = AuditEvent(
        at=timezone.now(),
        actor_id=user.pk if user is not None else None,
        actor=user.get_username() if user is not None else "",
        role=user.role if user is not None else "",
        agency=agency.code if agency is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        detail=detail or {},
        request_id=request_id,
    )
    try:
        with transaction.atomic(savepoint=False):
            sequencer.hold_for_writing()
            event.save(force_insert=True)
    except DatabaseError as exc:
        raise AuditWriteError from exc
    return event
