"""Declared access of the inbox (/notifications/): every signed-in user, her own notifications
only. Marking another user's notification read is a 404 with one ``denied`` audit event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liudong.notifications.services import notify
from tests.authz import NONE, OWN, Endpoint, Target, allow, everyone

if TYPE_CHECKING:
    from tests.personas import World


def _notifications(world: World) -> list[Target]:
    """One notification to the migrant (a citizen): hers, and nobody else's."""
    owner = world.henan_migrant
    notification = notify(owner, subject="测试消息", body="正文", kind="test")
    assert owner.person_id is not None
    return [Target("migrant's notification", notification, persons=frozenset({owner.person_id}))]


TARGETS = {"notification": _notifications}

ENDPOINTS: dict[str, Endpoint] = {
    "notifications:inbox": Endpoint(everyone(NONE)),
    "notifications:mark_read": Endpoint(
        allow(citizen=OWN),
        target="notification",
        methods=("POST",),
        kwargs=lambda t: {"pk": t.pk},
    ),
}
