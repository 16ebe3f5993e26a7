"""Declared access of the audit trail's pages: auditors only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liudong.audit.events import record
from tests.authz import ANY, NONE, Endpoint, Target, allow

if TYPE_CHECKING:
    from tests.personas import World


def _events(world: World) -> list[Target]:
    event = record(None, "tests.authz_matrix", detail={"why": "a target for audit:event"})
    return [Target("an audit event", event)]


TARGETS = {"audit_event": _events}

ENDPOINTS: dict[str, Endpoint] = {
    "audit:search": Endpoint(allow(auditor=NONE)),
    "audit:event": Endpoint(
        allow(auditor=ANY), target="audit_event", kwargs=lambda t: {"seq": t.obj.seq}
    ),
}
