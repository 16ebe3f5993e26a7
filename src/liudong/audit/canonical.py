"""The bytes the audit chain is computed over: one event, one link, one checkpoint statement.

An event's canonical form is stable JSON of every stored field (sorted keys, no whitespace,
``ensure_ascii=False``, UTF-8), with the time in UTC to the microsecond::

    {"action":"people.read_id_number","actor":"li.na",...,"at":"2026-11-28T06:42:00.123456Z",...}

A link is ``h_n = HMAC-SM3(k_audit, h_{n-1} || canonical(event_n))`` with ``h_{n-1}`` as its
32 raw bytes and ``k_audit = crypto.subkey("audit-chain")``; the first link starts from
:data:`GENESIS`. A checkpoint statement is the line the SM2 signature covers.

Changing anything here changes every chain value: a new canonical form needs a new version
(``STATEMENT_PREFIX``) and a verifier that knows both.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from django.conf import settings

from liudong import crypto

if TYPE_CHECKING:
    from collections.abc import Mapping

GENESIS = "0" * 64
CHAIN_KEY_PURPOSE = "audit-chain"
STATEMENT_PREFIX = "liudong-audit-checkpoint/1"

# Every stored field of AuditEvent, in no particular order (the JSON keys are sorted).
# tests/audit/test_canonical.py fails when a field is added to the model but not here.
EVENT_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "role",
    "agency",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "detail",
    "request_id",
)
CHECKPOINT_FIELDS = (
    "number",
    "first_seq",
    "last_seq",
    "count",
    "previous_head",
    "head",
    "sealed_at",
    "signature",
)


def utc_text(value: object) -> object:
    """An aware datetime as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; anything else unchanged (a value
    an attacker stored that does not read back as a time still hashes, and differs)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.datetime):
        return "naive:" + value.isoformat()
    return value


def canonical(event: Mapping[str, Any]) -> bytes:
    """The canonical bytes of one event, given as a mapping of its stored fields."""
    fields = {name: event[name] for name in EVENT_FIELDS}
    fields["at"] = utc_text(fields["at"])
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
    ).encode()


def chain_key() -> bytes:
    """k_audit: the HMAC-SM3 key of the chain, derived from the master key."""
    return crypto.subkey(CHAIN_KEY_PURPOSE)


def link(previous: str, event: Mapping[str, Any], key: bytes) -> str:
    """h_n (hex) from h_{n-1} (hex) and event n."""
    return crypto.hmac_sm3(key, bytes.fromhex(previous) + canonical(event)).hex()


def statement(checkpoint: Mapping[str, Any]) -> bytes:
    """What a checkpoint's SM2 signature covers:
    ``prefix|number|first|last|count|previous_head|head|sealed_at``."""
    parts = [STATEMENT_PREFIX]
    parts += [str(checkpoint[name]) for name in CHECKPOINT_FIELDS[:6]]
    parts.append(str(utc_text(checkpoint["sealed_at"])))
    return "|".join(parts).encode()


def sign(checkpoint: Mapping[str, Any]) -> str:
    """The hex SM2 signature of a checkpoint statement, with the configured private key."""
    return crypto.sm2_sign(statement(checkpoint)).hex()


def signature_valid(checkpoint: Mapping[str, Any]) -> bool:
    """Whether a checkpoint's signature verifies with the configured SM2 public key."""
    try:
        signature = bytes.fromhex(str(checkpoint["signature"]))
    except ValueError:
        return False
    public = settings.LIUDONG_KEYS.sm2_public
    return crypto.sm2_verify(public, statement(checkpoint), signature)
