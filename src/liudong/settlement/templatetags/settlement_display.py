"""Template filters of the settlement pages: ``{{ cite|cite_label }}`` shows a citation kept as
a string the way people read it (see :func:`liudong.settlement.views_display.cite_label`)."""

from __future__ import annotations

from django import template

from liudong.settlement.views_display import cite_label as _cite_label

register = template.Library()


@register.filter
def cite_label(cite: object) -> str:
    return _cite_label(str(cite or ""))
