"""The PDF at rest: ``crypto.seal_blob`` (SM4-GCM) under its own key
(``crypto.subkey("certificates.pdf", 16)``) with the file's SM3 digest as associated data, so
that a blob moved to another record, or a digest changed in the database, fails to open."""

from __future__ import annotations

from liudong.crypto import seal_blob, unseal_blob

PURPOSE = "certificates.pdf"


def seal(data: bytes, sm3_hex: str) -> bytes:
    return seal_blob(data, PURPOSE, sm3_hex)


def unseal(blob: bytes, sm3_hex: str) -> bytes:
    """The PDF of ``seal(data, sm3_hex)``; :class:`DecryptionError` if anything was changed."""
    return unseal_blob(blob, PURPOSE, sm3_hex)
