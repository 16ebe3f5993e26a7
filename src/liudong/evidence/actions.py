"""Uploading and reading evidence: ``do_upload_evidence`` and ``read_evidence``.

Both are actions (one transaction, every refusal audited once, see ``liudong.site.actions``).
An upload is refused, with nothing stored, when the file is empty (``evidence_empty``), over
``LIUDONG_EVIDENCE_MAX_BYTES`` (``evidence_too_large``), not a PDF, PNG or JPEG by its first
bytes (``evidence_type_not_allowed``), or declared by the browser as another type than its
bytes show (``evidence_type_mismatch``); each on the field ``file``.

A read is a sensitive read, audited ``evidence.read``. The bytes must decrypt and match the
stored SM3; otherwise :class:`EvidenceIntegrityError` (409, see there).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from liudong.audit.events import record
from liudong.crypto import DecryptionError
from liudong.evidence import files
from liudong.evidence.access import check_may_read, check_may_upload
from liudong.evidence.models import Evidence
from liudong.site.actions import action
from liudong.site.errors import ConflictError, InvalidInputError

if TYPE_CHECKING:
    from liudong.accounts.models import User

logger = logging.getLogger(__name__)
REFERENCE_MAX = 64  # Evidence.object_type / object_id, as in the audit trail


class EvidenceIntegrityError(ConflictError):
    """The stored file no longer matches its SM3 digest (or its ciphertext was altered).

    409, not 500: the request is valid and the server works; the stored record conflicts
    with itself, and retrying will not help. It is also a refusal that must be audited
    (possible tampering), and ``audit_refusal`` deliberately skips 5xx errors.
    """

    def __init__(self) -> None:
        super().__init__(
            "evidence_integrity",
            _(
                "这份证明材料未通过完整性校验（内容与存档的 SM3 摘要不符），已停止提供下载；"
                "请联系系统管理员核查，并请上传人重新提交原件"
            ),
        )


@action("evidence.upload")
def do_upload_evidence(
    actor: User | None,
    *,
    object_type: str,
    object_id: str,
    filename: str,
    data: bytes,
    declared_type: str,
) -> Evidence:
    """Check and store one file for the record ``object_type``/``object_id``."""
    actor = check_may_upload(actor)
    object_type = _reference(object_type, "object_type")
    object_id = _reference(object_id, "object_id")
    content_type = _content_type(data, declared_type)
    digest = files.digest(data)
    evidence = Evidence.objects.create(
        object_type=object_type,
        object_id=object_id,
        filename=files.clean_filename(filename, content_type),
        content_type=content_type,
        size=len(data),
        sm3=digest,
        blob=files.seal(data, digest),
        uploaded_by=actor,
    )
    record(actor, "evidence.upload", evidence, detail=_summary(evidence))
    return evidence


@action("evidence.read")
def read_evidence(actor: User | None, evidence: Evidence) -> bytes:
    """The file's bytes for someone who may read them, checked against the stored SM3."""
    check_may_read(actor, evidence)
    try:
        data = files.unseal(bytes(evidence.blob), evidence.sm3)
    except DecryptionError:
        data = None
    if data is None or files.digest(data) != evidence.sm3:
        logger.error("evidence %s failed its integrity check", evidence.pk)
        raise EvidenceIntegrityError().about("evidence.evidence", evidence.pk)
    record(actor, "evidence.read", evidence, detail=_summary(evidence))
    return data


def _reference(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInputError("required", _("这一项必须填写：材料附在哪一条记录上"), field)
    if len(value) > REFERENCE_MAX or not value.isprintable() or any(c.isspace() for c in value):
        message = _("应是不含空格的记录标识，最多64个字符，例如 settlement.application 和 42")
        raise InvalidInputError("reference_invalid", message, field)
    return value


def _content_type(data: bytes, declared_type: str) -> str:
    if not data:
        raise InvalidInputError("evidence_empty", _("文件是空的：请选择要上传的文件"), "file")
    limit = files.max_bytes()
    if len(data) > limit:
        message = _("文件超过 %(limit)s：请压缩或分成几份上传") % {"limit": _size(limit)}
        raise InvalidInputError("evidence_too_large", message, "file")
    allowed = files.allowed_types()
    actual = files.detect_type(data)
    if actual is None or actual not in allowed:
        message = _("只能上传 %(types)s 文件（按文件内容判断，不看扩展名）") % {
            "types": "、".join(files.LABELS[t] for t in allowed)
        }
        raise InvalidInputError("evidence_type_not_allowed", message, "file")
    declared = files.normalise_type(declared_type)
    if declared and declared != actual:
        message = _(
            "文件声明为 %(declared)s，内容却是 %(actual)s：请确认选对了文件，"
            "或用原始程序重新导出后上传"
        ) % {"declared": declared, "actual": files.LABELS[actual]}
        raise InvalidInputError("evidence_type_mismatch", message, "file")
    return actual


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KB"
    return f"{limit} B"


def _summary(evidence: Evidence) -> dict[str, object]:
    """No file name in the trail: names often carry a person's name or ID number."""
    return {
        "attached_to": f"{evidence.object_type}:{evidence.object_id}",
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sm3": evidence.sm3,
    }
