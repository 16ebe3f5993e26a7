"""What a certificate states: an ordered mapping of fields, each with its label, its value as
text, and how it is masked on the public verification page.

    fields = {
        "name": field("姓名", person.name, mask=NAME),
        "id_number": field("公民身份号码", person.id_masked, mask=ID_NUMBER),
        "hukou": field("户籍所在地", "河南省信阳市浉河区"),
    }

Values are text: the issuing domain formats dates (``2026-03-01``) and amounts (``8000.00
元``) exactly as they should be printed. Masks: ``""`` shown as is, :data:`NAME` (the first
character, then ``*``), :data:`ID_NUMBER` (the first two and last two characters), and
:data:`HIDDEN` (not shown publicly at all). The subject and caseworkers see every value.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from liudong.site.errors import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Mapping

NAME = "name"
ID_NUMBER = "id_number"
HIDDEN = "hidden"
MASKS = ("", NAME, ID_NUMBER, HIDDEN)
MAX_FIELDS = 40
LABEL_MAX = 40
VALUE_MAX = 500
TITLE_MAX = 200
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def field(label: str, value: str, mask: str = "") -> dict[str, str]:
    """One field of a certificate (see the module's docstring)."""
    return {"label": label, "value": value, "mask": mask}


def _text(value: object) -> bool:
    return isinstance(value, str) and value.isprintable()


def clean_fields(fields: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The fields in their stored form, or :class:`InvalidInputError` naming the bad one."""
    if not isinstance(fields, dict) or not fields:
        raise InvalidInputError(
            "fields_invalid", _("证明至少要有一项内容：{键: {label, value, mask}}"), "fields"
        )
    if len(fields) > MAX_FIELDS:
        message = _("证明最多 %(max)s 项内容") % {"max": MAX_FIELDS}
        raise InvalidInputError("fields_invalid", message, "fields")
    cleaned: dict[str, dict[str, str]] = {}
    for key, item in fields.items():
        where = f"fields.{key}"
        if not isinstance(key, str) or not _KEY.match(key):
            message = _("内容的键应为小写字母开头的英文标识（字母、数字、下划线，最多40个字符）")
            raise InvalidInputError("field_key_invalid", message, where)
        if not isinstance(item, dict) or set(item) - {"label", "value", "mask"}:
            message = _("每项内容应为 {label, value, mask}，用 certificates.content.field() 生成")
            raise InvalidInputError("field_invalid", message, where)
        label, value, mask = item.get("label"), item.get("value"), item.get("mask", "")
        if not _text(label) or not 0 < len(str(label)) <= LABEL_MAX:
            message = _("名称应为1到%(max)s个字符的文字") % {"max": LABEL_MAX}
            raise InvalidInputError("field_label_invalid", message, f"{where}.label")
        if not _text(value) or len(str(value)) > VALUE_MAX:
            message = _("内容应为最多%(max)s个字符的文字（日期、金额请先格式化）") % {
                "max": VALUE_MAX
            }
            raise InvalidInputError("field_value_invalid", message, f"{where}.value")
        if mask not in MASKS:
            message = _("遮蔽方式应为空、name、id_number 或 hidden")
            raise InvalidInputError("field_mask_invalid", message, f"{where}.mask")
        cleaned[key] = field(str(label), str(value), str(mask))
    return cleaned


def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title or len(title) > TITLE_MAX or not title.isprintable():
        message = _("标题应为1到%(max)s个字符的文字") % {"max": TITLE_MAX}
        raise InvalidInputError("title_invalid", message, "title")
    return title


def mask_name(value: str) -> str:
    return value[:1] + "*" * max(len(value) - 1, 1) if value else ""


def mask_id_number(value: str) -> str:
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def masked(fields: Mapping[str, Mapping[str, str]]) -> list[tuple[str, str]]:
    """(label, value) pairs for the public: personal data masked, hidden fields left out."""
    shown = []
    for item in fields.values():
        mask, value = item.get("mask", ""), item["value"]
        if mask == HIDDEN:
            continue
        if mask == NAME:
            value = mask_name(value)
        elif mask == ID_NUMBER:
            value = mask_id_number(value)
        shown.append((item["label"], value))
    return shown


def in_full(fields: Mapping[str, Mapping[str, str]]) -> list[tuple[str, str]]:
    return [(item["label"], item["value"]) for item in fields.values()]
