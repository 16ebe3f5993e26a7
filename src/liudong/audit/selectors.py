"""Reading the audit trail for the search page."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from liudong.audit.models import AuditEvent, AuditSeal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from django.db.models import QuerySet

# Form field -> lookup; every filter is an exact match on an indexed column or a time range.
EXACT = {
    "actor": "actor",
    "action": "action",
    "object_type": "object_type",
    "object_id": "object_id",
    "outcome": "outcome",
}


def search_events(filters: Mapping[str, Any]) -> QuerySet[AuditEvent]:
    """Events matching the filters, newest first. Dates are whole UTC days, both inclusive."""
    events = AuditEvent.objects.order_by("-seq")
    lookups = {column: filters[name] for name, column in EXACT.items() if filters.get(name)}
    if filters.get("date_from"):
        lookups["at__gte"] = _utc_midnight(filters["date_from"])
    if filters.get("date_to"):
        lookups["at__lt"] = _utc_midnight(filters["date_to"] + dt.timedelta(days=1))
    return events.filter(**lookups)


def seal_of(seq: int) -> AuditSeal | None:
    """The seal of an event, with its checkpoint (None while the event awaits sealing)."""
    return AuditSeal.objects.select_related("checkpoint").filter(seq=seq).first()


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
