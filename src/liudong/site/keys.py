"""Keys: from the environment in production, generated into the data directory for the demo.

Production reads ``DJANGO_SECRET_KEY``, ``LIUDONG_MASTER_KEY`` (64 hex digits: the root of the
SM4 field keys, the blind-index key and the audit HMAC key) and ``LIUDONG_SM2_PRIVATE_KEY`` /
``LIUDONG_SM2_PUBLIC_KEY`` (hex; the audit checkpoint signing pair). The demo generates them
once into ``<data dir>/keys.json`` (mode 0600) so restarts keep reading their own data.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gmssl_pyx

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


class KeyConfigurationError(RuntimeError):
    """A key is missing or malformed; the message says which variable to set."""


@dataclass(frozen=True)
class Keys:
    secret_key: str
    master_key: bytes
    sm2_private: bytes
    sm2_public: bytes


def generate() -> dict[str, str]:
    public, private = gmssl_pyx.sm2_key_generate()
    return {
        "secret_key": secrets.token_urlsafe(50),
        "master_key": secrets.token_hex(32),
        "sm2_private": private.hex(),
        "sm2_public": public.hex(),
    }


def from_environment(environ: Mapping[str, str] = os.environ) -> Keys:
    names = {
        "secret_key": "DJANGO_SECRET_KEY",
        "master_key": "LIUDONG_MASTER_KEY",
        "sm2_private": "LIUDONG_SM2_PRIVATE_KEY",
        "sm2_public": "LIUDONG_SM2_PUBLIC_KEY",
    }
    missing = [env for env in names.values() if not environ.get(env)]
    if missing:
        raise KeyConfigurationError(
            f"production settings need {', '.join(missing)} in the environment "
            f"(see docs/security.md, 'Keys'); `liudong keys generate` prints a fresh set"
        )
    return _parse({field: environ[env] for field, env in names.items()}, "the environment")


def from_data_dir(data_dir: Path) -> Keys:
    path = data_dir / "keys.json"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(generate(), handle)
    return _parse(json.loads(path.read_text()), str(path))


def _parse(raw: Mapping[str, str], where: str) -> Keys:
    try:
        keys = Keys(
            secret_key=raw["secret_key"],
            master_key=bytes.fromhex(raw["master_key"]),
            sm2_private=bytes.fromhex(raw["sm2_private"]),
            sm2_public=bytes.fromhex(raw["sm2_public"]),
        )
    except (KeyError, ValueError) as exc:
        raise KeyConfigurationError(f"malformed keys in {where}: {exc}") from None
    if len(keys.master_key) != 32 or len(keys.sm2_private) != 32 or len(keys.sm2_public) != 64:
        raise KeyConfigurationError(
            f"keys in {where}: the master key must be 32 bytes (64 hex digits), the SM2 private "
            f"key 32 bytes and the public key 64 bytes"
        )
    return keys


# A fixed pair for the test profile only (never used by demo or production settings).
TEST_SM2_PRIVATE = "1baa007409757a2922f534794f1c24c26c025e3761c855cb9e48a16aee8f0295"
TEST_SM2_PUBLIC = (
    "b69680af7728781358d3b27d8e0ba1363ef503e4ed3a1059d7c2cc502ba5445f"
    "f8f4abc8a964bc5d450a35827496faad84702d952bf93a13e1c7995b918dffac"
)
