"""The English catalogue: every zh-Hans msgid has a translation, and the committed .mo matches
the .po (``compilemessages`` was run after the last edit)."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

import liudong

LOCALE = Path(liudong.__file__).parent / "locale"


def entries(po: Path) -> list[tuple[str, str, str, list[str]]]:
    """(msgctxt, msgid, msgid_plural, msgstrs) of every entry but the header."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        parts: dict[str, list[str]] = {}
        key = ""
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            if match := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line):
                key = match.group(1)
                parts[key] = [match.group(2)]
            elif line.startswith('"') and key:
                parts[key].append(line[1:-1])
        text = {k: "".join(v).replace('\\"', '"').replace("\\n", "\n") for k, v in parts.items()}
        if text.get("msgid"):
            strs = [v for k, v in sorted(text.items()) if k.startswith("msgstr")]
            found.append(
                (text.get("msgctxt", ""), text["msgid"], text.get("msgid_plural", ""), strs)
            )
    return found


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_every_message_is_translated(language: str) -> None:
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    untranslated = [msgid for _context, msgid, _plural, strs in entries(po) if not all(strs)]
    assert untranslated == []


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for context, msgid, plural, strs in entries(folder / "django.po"):
        if plural and context:
            assert compiled.npgettext(context, msgid, plural, 1) == strs[0], msgid
        elif plural:
            assert compiled.ngettext(msgid, plural, 1) == strs[0], msgid
        elif context:
            assert compiled.pgettext(context, msgid) == strs[0], msgid
        else:
            assert compiled.gettext(msgid) == strs[0], msgid
