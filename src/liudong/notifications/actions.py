"""Marking a notification read: ``do_mark_read(actor, pk)``, only one's own.

Another user's notification (or none with that number) is "not found", with one ``denied``
audit event: whether it exists is not told."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from liudong.notifications.models import Notification
from liudong.site.actions import action
from liudong.site.errors import NotFoundError

if TYPE_CHECKING:
    from liudong.accounts.models import User

MARK_READ = "notifications.mark_read"


@action(MARK_READ)
def do_mark_read(actor: User | None, pk: int) -> Notification:
    """Mark ``actor``'s notification ``pk`` read (once: a second call keeps the first time)."""
    notification = (
        Notification.objects.select_for_update().filter(pk=pk, recipient=actor).first()
        if actor is not None
        else None
    )
    if notification is None:
        raise NotFoundError("not_found", _("没有这条消息")).about(
            Notification._meta.label_lower, pk
        )
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
