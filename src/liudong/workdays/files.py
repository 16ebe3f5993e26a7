"""Reading an arrangement file (YAML or JSON, UTF-8) into plain data for
``actions.do_load_arrangement``; the same reader serves the upload page and the CLI."""

from __future__ import annotations

import json
from pathlib import PurePath

import yaml
from django.utils.translation import gettext as _

from liudong.site.errors import InvalidInputError

MAX_BYTES = 64 * 1024  # a year's arrangement is about 1 KB
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def read_arrangement_file(name: str, content: bytes) -> object:
    """The data in the file ``name``, or an error naming the field ``file``."""
    kind = SUFFIXES.get(PurePath(name).suffix.lower())
    if kind is None:
        raise InvalidInputError(
            "file_type", _("请上传 .yaml、.yml 或 .json 文件（格式见示例文件）"), "file"
        )
    if len(content) > MAX_BYTES:
        raise InvalidInputError(
            "file_too_large",
            _("文件超过 64 KB：一年的安排只有约 1 KB，请检查是否选错了文件"),
            "file",
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(
            "file_not_utf8", _("文件不是 UTF-8 编码，请另存为 UTF-8"), "file"
        ) from None
    return _parse(text, kind)


def _parse(text: str, kind: str) -> object:
    try:
        return json.loads(text) if kind == "json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        message = _("文件无法解析（%(kind)s）：%(error)s") % {"kind": kind.upper(), "error": exc}
        raise InvalidInputError("file_unreadable", message, "file") from None
