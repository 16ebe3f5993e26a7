"""The SM algorithms the platform uses (GB/T 39786): SM3 hashes, HMAC-SM3, HKDF-SM3 subkeys,
SM4-GCM field encryption and SM2 signatures.

Every key derives from the master key in settings (``LIUDONG_KEYS``) with HKDF-SM3 and a
purpose label, so the ID-number field, its blind index and the audit chain never share a key.
Ciphertexts carry a key-id prefix (``k1:``) so keys can be rotated.
"""

from __future__ import annotations

import base64
import functools
import os
import unicodedata

import gmssl_pyx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

KEY_ID = "k1"
_BLOB_KEY_ID = KEY_ID.encode()
_NONCE_BYTES = 12
_TAG_BYTES = 16


class DecryptionError(ValueError):
    """A ciphertext was altered, or encrypted under another key."""


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


@functools.cache
def _derive(master: bytes, purpose: str, length: int) -> bytes:
    return HKDF(hashes.SM3(), length, salt=b"liudong", info=purpose.encode()).derive(master)


def subkey(purpose: str, length: int = 32) -> bytes:
    """A key for one purpose, derived from the master key (cached per purpose)."""
    return _derive(settings.LIUDONG_KEYS.master_key, purpose, length)


def normalise(value: str) -> str:
    """NFKC (full-width digits become ASCII), stripped, upper-case (the check digit X)."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def blind_index(value: str, purpose: str) -> str:
    """HMAC-SM3 of the normalised value: exact lookup and uniqueness without the plaintext."""
    return hmac_sm3(subkey(f"blind-index:{purpose}"), normalise(value).encode()).hex()


def encrypt(plaintext: str, purpose: str) -> str:
    """SM4-GCM with a random 96-bit nonce; the purpose is bound as associated data."""
    nonce = os.urandom(12)
    encryptor = Cipher(algorithms.SM4(subkey(f"sm4:{purpose}", 16)), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(purpose.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    return f"{KEY_ID}:" + base64.b64encode(nonce + body + encryptor.tag).decode()


def decrypt(token: str, purpose: str) -> str:
    key_id, _, payload = token.partition(":")
    if key_id != KEY_ID:
        raise DecryptionError(f"unknown key id {key_id!r}")
    raw = base64.b64decode(payload)
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    decryptor = Cipher(
        algorithms.SM4(subkey(f"sm4:{purpose}", 16)), modes.GCM(nonce, tag)
    ).decryptor()
    decryptor.authenticate_additional_data(purpose.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except InvalidTag:
        raise DecryptionError(f"ciphertext for {purpose} failed its integrity check") from None


def seal_blob(data: bytes, purpose: str, sm3_hex: str) -> bytes:
    """A file at rest: SM4-GCM under ``subkey(purpose, 16)`` with a random 96-bit nonce and the
    file's SM3 digest (hex) as associated data, so that a blob moved to another record, or a
    digest changed in the database, fails to open. Layout: ``b"k1" + nonce + body + tag``."""
    nonce = os.urandom(_NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(subkey(purpose, 16)), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(sm3_hex.encode())
    body = encryptor.update(data) + encryptor.finalize()
    return _BLOB_KEY_ID + nonce + body + encryptor.tag


def unseal_blob(blob: bytes, purpose: str, sm3_hex: str) -> bytes:
    """The file of ``seal_blob(data, purpose, sm3_hex)``; :class:`DecryptionError` if the blob
    or the digest was changed, or the blob was sealed under another key."""
    head, rest = blob[: len(_BLOB_KEY_ID)], blob[len(_BLOB_KEY_ID) :]
    if head != _BLOB_KEY_ID or len(rest) < _NONCE_BYTES + _TAG_BYTES:
        raise DecryptionError(f"not a {purpose} blob of key {KEY_ID}")
    nonce, body, tag = rest[:_NONCE_BYTES], rest[_NONCE_BYTES:-_TAG_BYTES], rest[-_TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(subkey(purpose, 16)), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(sm3_hex.encode())
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise DecryptionError(f"{purpose} blob failed its integrity check") from None


def sm2_sign(data: bytes) -> bytes:
    keys = settings.LIUDONG_KEYS
    return bytes(gmssl_pyx.sm2_sign(keys.sm2_private, keys.sm2_public, data))


def sm2_verify(public_key: bytes, data: bytes, signature: bytes) -> bool:
    try:
        return bool(gmssl_pyx.sm2_verify(public_key, data, signature))
    except (gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError):
        return False
