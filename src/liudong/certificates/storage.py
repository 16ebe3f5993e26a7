"""The PDF at rest: SM4-GCM under its own key (``crypto.subkey("certificates.pdf", 16)``) with
the file's SM3 digest as associated data, so that a blob moved to another record, or a digest
changed in the database, fails to open. Layout as evidence: ``b"k1" + nonce + body + tag``."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from liudong.crypto import DecryptionError, subkey

KEY_ID = b"k1"
PURPOSE = "certificates.pdf"
NONCE_BYTES = 12
TAG_BYTES = 16


def _cipher(nonce: bytes, tag: bytes | None = None) -> Cipher[modes.GCM]:
    return Cipher(algorithms.SM4(subkey(PURPOSE, 16)), modes.GCM(nonce, tag))


def seal(data: bytes, sm3_hex: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    encryptor = _cipher(nonce).encryptor()
    encryptor.authenticate_additional_data(sm3_hex.encode())
    body = encryptor.update(data) + encryptor.finalize()
    return KEY_ID + nonce + body + encryptor.tag


def unseal(blob: bytes, sm3_hex: str) -> bytes:
    """The PDF of ``seal(data, sm3_hex)``; :class:`DecryptionError` if anything was changed."""
    head, rest = blob[: len(KEY_ID)], blob[len(KEY_ID) :]
    if head != KEY_ID or len(rest) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("not a certificate blob of key k1")
    nonce, body, tag = rest[:NONCE_BYTES], rest[NONCE_BYTES:-TAG_BYTES], rest[-TAG_BYTES:]
    decryptor = _cipher(nonce, tag).decryptor()
    decryptor.authenticate_additional_data(sm3_hex.encode())
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise DecryptionError("certificate blob failed its integrity check") from None
