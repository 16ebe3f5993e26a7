"""Reading a user's inbox: the notifications sent to it, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liudong.notifications.models import Channel, Notification

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from liudong.accounts.models import User


def inbox(user: User) -> QuerySet[Notification]:
    """``user``'s notifications that went to the inbox, newest first."""
    return Notification.objects.filter(recipient=user, deliveries__channel=Channel.INBOX).order_by(
        "-created_at", "-pk"
    )


def unread_count(user: User) -> int:
    return inbox(user).filter(read_at__isnull=True).count()
