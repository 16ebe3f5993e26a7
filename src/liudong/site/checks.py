"""Deploy checks Django's own ``check --deploy`` does not make (reliability.md §1.4, T12).

Run with ``liudong manage check --deploy --fail-level WARNING``: production settings give no
finding. Each check names the setting to change and the figure it must reach.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import checks

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from django.apps.config import AppConfig
    from django.core.checks import CheckMessage

HSTS_MIN_SECONDS = 31_536_000  # one year (ASVS 3.4.1)
PBKDF2_MIN_ITERATIONS = 1_000_000
IDLE_MAX_SECONDS = 30 * 60  # GB/T 22239 8.1.4.1(b), ASVS 7.3.1
SESSION_MAX_SECONDS = 12 * 60 * 60  # ASVS 7.3.2
LOCAL_HOSTS = {"", "localhost"}


def _check(func: Any) -> Any:
    return checks.register(checks.Tags.security, deploy=True)(func)


@_check
def check_hsts(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    seconds = getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0
    if seconds >= HSTS_MIN_SECONDS:
        return []
    return [
        checks.Warning(
            f"SECURE_HSTS_SECONDS is {seconds}; browsers must remember HTTPS for a year.",
            hint=f"Set SECURE_HSTS_SECONDS to at least {HSTS_MIN_SECONDS:,} (production does).",
            id="liudong.W001",
        )
    ]


@_check
def check_password_hasher(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    first = settings.PASSWORD_HASHERS[0] if settings.PASSWORD_HASHERS else ""
    if first.endswith("Argon2PasswordHasher"):
        return []
    if first.endswith("PBKDF2PasswordHasher"):
        from django.utils.module_loading import import_string

        if import_string(first).iterations >= PBKDF2_MIN_ITERATIONS:
            return []
    return [
        checks.Warning(
            f"New passwords are hashed with {first or 'nothing'}.",
            hint="Put django.contrib.auth.hashers.Argon2PasswordHasher first in "
            f"PASSWORD_HASHERS (or PBKDF2 with at least {PBKDF2_MIN_ITERATIONS:,} iterations).",
            id="liudong.W002",
        )
    ]


@_check
def check_password_validators(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    names = {
        str(v.get("NAME", "")).rsplit(".", 1)[-1]
        for v in settings.AUTH_PASSWORD_VALIDATORS
        if isinstance(v, dict)
    }
    needed = {"MinimumLengthValidator", "CommonPasswordValidator"}
    if needed <= names:
        return []
    return [
        checks.Warning(
            "AUTH_PASSWORD_VALIDATORS lacks " + ", ".join(sorted(needed - names)) + ".",
            hint="Keep the length, common-password, numeric and similarity validators "
            "(liudong.site.settings has them).",
            id="liudong.W003",
        )
    ]


@_check
def check_idle_timeout(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    seconds = getattr(settings, "LIUDONG_IDLE_TIMEOUT_SECONDS", None)
    installed = "liudong.accounts.middleware.IdleTimeoutMiddleware" in settings.MIDDLEWARE
    if installed and seconds is not None and 0 < seconds <= IDLE_MAX_SECONDS:
        return []
    return [
        checks.Warning(
            f"Idle sessions are not ended within {IDLE_MAX_SECONDS // 60} minutes "
            f"(middleware installed: {installed}, LIUDONG_IDLE_TIMEOUT_SECONDS: {seconds}).",
            hint="Install liudong.accounts.middleware.IdleTimeoutMiddleware and set "
            f"LIUDONG_IDLE_TIMEOUT_SECONDS to at most {IDLE_MAX_SECONDS}.",
            id="liudong.W004",
        )
    ]


@_check
def check_session_age(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if settings.SESSION_COOKIE_AGE <= SESSION_MAX_SECONDS:
        return []
    return [
        checks.Warning(
            f"SESSION_COOKIE_AGE is {settings.SESSION_COOKIE_AGE} s: sessions outlive 12 hours.",
            hint=f"Set SESSION_COOKIE_AGE to at most {SESSION_MAX_SECONDS} (the absolute limit "
            "the idle-timeout middleware enforces).",
            id="liudong.W005",
        )
    ]


@_check
def check_database_tls(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    return database_tls_findings(settings.DATABASES)


def database_tls_findings(databases: Mapping[str, Mapping[str, Any]]) -> list[CheckMessage]:
    """A warning for each PostgreSQL database on another host without sslmode=verify-full."""
    found: list[CheckMessage] = []
    for alias, db in databases.items():
        if "postgresql" not in db.get("ENGINE", "") or _is_local(str(db.get("HOST", ""))):
            continue
        mode = db.get("OPTIONS", {}).get("sslmode")
        if mode != "verify-full":
            found.append(
                checks.Warning(
                    f"Database {alias!r} on {db.get('HOST')} is reached with sslmode={mode}: "
                    "the connection is not authenticated and may not be encrypted.",
                    hint="Add ?sslmode=verify-full (and sslrootcert=...) to DATABASE_URL.",
                    id="liudong.W006",
                )
            )
    return found


def _is_local(host: str) -> bool:
    if host in LOCAL_HOSTS or host.startswith("/"):  # a Unix socket directory
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@_check
def check_sm4_gcm(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    from cryptography.hazmat.backends.openssl.backend import backend
    from cryptography.hazmat.primitives.ciphers import algorithms, modes

    if backend.cipher_supported(algorithms.SM4(bytes(16)), modes.GCM(bytes(12))):
        return []
    return [
        checks.Error(
            "This OpenSSL build has no SM4-GCM: ID numbers and phone numbers cannot be "
            "encrypted or read.",
            hint="Install the cryptography wheel from PyPI (it bundles an OpenSSL with SM4) "
            "instead of one linked against a system OpenSSL without it.",
            id="liudong.E007",
        )
    ]


@_check
def check_host_cookies(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    names = {"SESSION_COOKIE_NAME": settings.SESSION_COOKIE_NAME}
    names["CSRF_COOKIE_NAME"] = settings.CSRF_COOKIE_NAME
    plain = [name for name, value in names.items() if not value.startswith("__Host-")]
    if not plain:
        return []
    return [
        checks.Warning(
            f"{', '.join(plain)} lack the __Host- prefix: a sibling subdomain could set them.",
            hint="Production settings name them __Host-sessionid and __Host-csrftoken.",
            id="liudong.W008",
        )
    ]
