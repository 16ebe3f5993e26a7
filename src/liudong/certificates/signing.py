"""The SM2 signature of a certificate.

The signed statement is ``liudong-certificate/1|`` followed by canonical JSON (sorted keys, no
whitespace, UTF-8) of what the certificate states and the digest of its file::

    {"authority": ..., "code": ..., "fields": {...}, "issued_at": "2026-03-01T02:03:04.000005Z",
     "kind": ..., "pdf_sm3": ..., "title": ...}

The key is the platform's SM2 pair (``LIUDONG_SM2_PRIVATE_KEY`` / ``LIUDONG_SM2_PUBLIC_KEY``),
the one that signs audit checkpoints; the prefix keeps a certificate statement from ever being
a valid checkpoint statement (``liudong-audit-checkpoint/1|...``) and the reverse. Each
certificate records the key's id (the first 16 hex digits of the SM3 of the public key), so a
later separate certificate key, or a rotated pair, is told apart from this one.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from django.conf import settings

from liudong import crypto

if TYPE_CHECKING:
    from liudong.certificates.models import Certificate

PREFIX = b"liudong-certificate/1|"


def key_id(public_key: bytes | None = None) -> str:
    key = settings.LIUDONG_KEYS.sm2_public if public_key is None else public_key
    return crypto.sm3(key).hex()[:16]


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def statement(certificate: Certificate) -> bytes:
    document = {
        "authority": certificate.authority,
        "code": certificate.code,
        "fields": certificate.fields,
        "issued_at": _utc(certificate.issued_at),
        "kind": certificate.kind,
        "pdf_sm3": certificate.pdf_sm3,
        "title": certificate.title,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return PREFIX + text.encode()


def sign(certificate: Certificate) -> None:
    """Set the certificate's signature and key id (its ``pdf_sm3`` must be set)."""
    certificate.signature = crypto.sm2_sign(statement(certificate)).hex()
    certificate.key_id = key_id()


def verify(certificate: Certificate) -> bool:
    """Whether the stored record carries a valid signature under the configured public key."""
    if not certificate.signature or certificate.key_id != key_id():
        return False
    try:
        signature = bytes.fromhex(certificate.signature)
    except ValueError:
        return False
    return crypto.sm2_verify(settings.LIUDONG_KEYS.sm2_public, statement(certificate), signature)
