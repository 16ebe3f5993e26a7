"""Writing audit events: ``record(...)`` inside the action's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from liudong.audit.models import AuditEvent, Outcome

if TYPE_CHECKING:
    from django.db import models

    from liudong.accounts.models import User


def record(
    actor: User | None,
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
    audit write fails, the change fails with it (fail closed)."""
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
    user = actor if actor is not None and actor.is_authenticated else None
    agency = user.agency if user is not None else None
    return AuditEvent.objects.create(
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
