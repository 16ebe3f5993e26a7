"""Punctuation that joins text in the active language.

The msgids are zh-Hans, so Chinese punctuation written outside a translated string ("、", "；",
"（…）") leaks into every other language. These helpers take their separators from the
catalogue instead (each separator is its own msgid with a context), so an English page says
"A, B" where a Chinese one says "甲、乙"::

    join_list(["成都", "重庆"])        # "成都、重庆"      | "Chengdu, Chongqing"
    join_clauses(["单位：月", "依据：…"])  # "单位：月；依据：…" | "Unit: months; Source: …"
    parenthesized("510100")           # "（510100）"      | " (510100)"

Prefer translating a whole phrase with placeholders (``{% blocktranslate %}``) where the
pieces are known; use these where the number of pieces is not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import get_language, pgettext

if TYPE_CHECKING:
    from collections.abc import Iterable


def join_list(items: Iterable[object]) -> str:
    """Items of an enumeration: "甲、乙、丙" in Chinese, "A, B, C" in English. Empty items are
    kept (pass only what should be shown)."""
    return pgettext("list separator", "、").join(str(item) for item in items)


def join_clauses(items: Iterable[object]) -> str:
    """Clauses of one sentence: "甲；乙" in Chinese, "A; B" in English. Empty items are
    left out."""
    return pgettext("clause separator", "；").join(str(i) for i in items if str(i))


def parenthesized(text: object) -> str:
    """An aside after a word: "（甲）" in Chinese (full-width, no space), " (A)" in English (a
    space before the opening parenthesis)."""
    return pgettext("parenthesized aside", "（%(text)s）") % {"text": text}


def label_language() -> str:
    """The key of a bilingual label (``{"zh": ..., "en": ...}``) for the active language:
    ``"en"`` for English pages, ``"zh"`` otherwise."""
    return "en" if (get_language() or "").startswith("en") else "zh"
