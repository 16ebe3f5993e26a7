"""The bytes of evidence: their type from the signature (magic bytes), a safe file name, and
SM4-GCM sealing with the SM3 digest of the plaintext as associated data.

The sealed blob is ``b"k1" + nonce (12) + ciphertext + tag (16)``; ``k1`` names the key (the
``crypto.subkey("evidence", 16)`` of the master key) so it can be rotated like the text fields.
"""

from __future__ import annotations

import os
import re
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

from liudong.crypto import DecryptionError, sm3, subkey

KEY_ID = b"k1"
NONCE_BYTES = 12
TAG_BYTES = 16
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


def _cipher(nonce: bytes, tag: bytes | None = None) -> Cipher[modes.GCM]:
    return Cipher(algorithms.SM4(subkey("evidence", 16)), modes.GCM(nonce, tag))


def seal(data: bytes, sm3_hex: str) -> bytes:
    """SM4-GCM with a random 96-bit nonce; ``sm3_hex`` is bound as associated data."""
    nonce = os.urandom(NONCE_BYTES)
    encryptor = _cipher(nonce).encryptor()
    encryptor.authenticate_additional_data(sm3_hex.encode())
    body = encryptor.update(data) + encryptor.finalize()
    return KEY_ID + nonce + body + encryptor.tag


def unseal(blob: bytes, sm3_hex: str) -> bytes:
    """The plaintext of ``seal(data, sm3_hex)``; :class:`DecryptionError` if the blob or the
    digest was changed, or the blob was sealed under another key."""
    head, rest = blob[: len(KEY_ID)], blob[len(KEY_ID) :]
    if head != KEY_ID or len(rest) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("not an evidence blob of key k1")
    nonce, body, tag = rest[:NONCE_BYTES], rest[NONCE_BYTES:-TAG_BYTES], rest[-TAG_BYTES:]
    decryptor = _cipher(nonce, tag).decryptor()
    decryptor.authenticate_additional_data(sm3_hex.encode())
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise DecryptionError("evidence blob failed its integrity check") from None
