"""The bytes of evidence: their type from the signature (magic bytes), a safe file name, and
SM4-GCM sealing with the SM3 digest of the plaintext as associated data.

The sealed blob is ``crypto.seal_blob``'s ``b"k1" + nonce (12) + ciphertext + tag (16)``; ``k1``
names the key (the ``crypto.subkey("evidence", 16)`` of the master key) so it can be rotated like
the text fields.
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings

from liudong.crypto import seal_blob, sm3, unseal_blob

PURPOSE = "evidence"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
SIGNATURES: dict[str, bytes] = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}
LABELS = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
EXTENSIONS = {"application/pdf": ("pdf",), "image/png": ("png",), "image/jpeg": ("jpg", "jpeg")}
ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": "application/pdf",
}
UNDECLARED = {"", "application/octet-stream"}  # what browsers send when they do not know
FILENAME_MAX = 255
_RESERVED = re.compile(r'[<>:"|?*]')


def max_bytes() -> int:
    """``LIUDONG_EVIDENCE_MAX_BYTES`` (default 5 MiB)."""
    return int(getattr(settings, "LIUDONG_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def allowed_types() -> tuple[str, ...]:
    """``LIUDONG_EVIDENCE_TYPES`` (default PDF, PNG, JPEG); only types with a known signature."""
    configured = getattr(settings, "LIUDONG_EVIDENCE_TYPES", tuple(SIGNATURES))
    return tuple(t for t in configured if t in SIGNATURES)


def detect_type(data: bytes) -> str | None:
    """The content type of ``data`` from its first bytes, or None if not a known type."""
    for content_type, signature in SIGNATURES.items():
        if data.startswith(signature):
            return content_type
    return None


def normalise_type(declared: str | None) -> str:
    """``Image/JPG; x=y`` → ``image/jpeg``; "" when the browser declared nothing useful."""
    value = (declared or "").split(";", 1)[0].strip().lower()
    value = ALIASES.get(value, value)
    return "" if value in UNDECLARED else value


def clean_filename(name: str, content_type: str) -> str:
    """A name safe to store and to send back: no path, no control or direction characters, no
    characters Windows refuses, at most 255 characters, and an extension matching the type."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(_RESERVED.sub("_", name).split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot or extension.lower() not in EXTENSIONS[content_type]:
        stem, extension = name, EXTENSIONS[content_type][0]
    stem = stem.strip(" .")[: FILENAME_MAX - len(extension) - 1].rstrip(" .") or "evidence"
    return f"{stem}.{extension.lower()}"


def digest(data: bytes) -> str:
    return sm3(data).hex()


def seal(data: bytes, sm3_hex: str) -> bytes:
    """``crypto.seal_blob`` under the evidence key; ``sm3_hex`` is bound as associated data."""
    return seal_blob(data, PURPOSE, sm3_hex)


def unseal(blob: bytes, sm3_hex: str) -> bytes:
    """The plaintext of ``seal(data, sm3_hex)``; :class:`DecryptionError` if the blob or the
    digest was changed, or the blob was sealed under another key."""
    return unseal_blob(blob, PURPOSE, sm3_hex)
