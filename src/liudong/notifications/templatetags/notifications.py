"""``{% unread_notifications user as n %}``: the signed-in user's unread count for the nav."""

from __future__ import annotations

from django import template

from liudong.accounts.models import User
from liudong.notifications import selectors

register = template.Library()


@register.simple_tag
def unread_notifications(user: object) -> int:
    """Unread notifications in ``user``'s inbox (0 for anonymous visitors, without a query)."""
    if not isinstance(user, User) or not user.is_authenticated:
        return 0
    return selectors.unread_count(user)
