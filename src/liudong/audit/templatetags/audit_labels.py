"""Template filters of the audit pages."""

from __future__ import annotations

from django import template

from liudong.accounts.models import Role

register = template.Library()
ROLE_LABELS = dict(Role.choices)


@register.filter
def role_label(role: str) -> str:
    """A role code as its name in the user's language (the code itself if unknown)."""
    return str(ROLE_LABELS.get(role, role)) if role else "—"
