"""Production settings pass ``check --deploy --fail-level WARNING`` (reliability T12), and the
custom deploy checks catch what Django's own miss."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from liudong.site import checks, keys


def production_environment(tmp_path: Path) -> dict[str, str]:
    fresh = keys.generate()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIUDONG_", "DJANGO_"))}
    env.pop("PYTEST_VERSION", None)
    env.pop("DATABASE_URL", None)
    env.update(
        LIUDONG_MODE="production",
        DJANGO_SECRET_KEY=fresh["secret_key"],
        LIUDONG_MASTER_KEY=fresh["master_key"],
        LIUDONG_SM2_PRIVATE_KEY=fresh["sm2_private"],
        LIUDONG_SM2_PUBLIC_KEY=fresh["sm2_public"],
        LIUDONG_ALLOWED_HOSTS="liudong.example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        LIUDONG_DATA_DIR=str(tmp_path / "data"),
    )
    assert len(env["DJANGO_SECRET_KEY"]) >= 50
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("liudong")), "manage", "check", "--deploy"]
    return subprocess.run(  # noqa: S603  # our own interpreter and module
        [*command, "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    result = check_deploy(production_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_on_a_weakened_production(tmp_path: Path) -> None:
    env = production_environment(tmp_path)
    env["DATABASE_URL"] = "postgres://liudong@db.example.gov.cn:5432/liudong"
    result = check_deploy(env)
    assert result.returncode != 0
    assert "liudong.W006" in result.stderr + result.stdout


def ids(found: list[Any]) -> list[str]:
    return [message.id for message in found]


@override_settings(SECURE_HSTS_SECONDS=3600)
def test_short_hsts_is_flagged() -> None:
    assert ids(checks.check_hsts(None)) == ["liudong.W001"]


@override_settings(SECURE_HSTS_SECONDS=31_536_000)
def test_a_year_of_hsts_passes() -> None:
    assert checks.check_hsts(None) == []


@pytest.mark.parametrize(
    ("hashers", "found"),
    [
        (["django.contrib.auth.hashers.Argon2PasswordHasher"], []),
        (["django.contrib.auth.hashers.PBKDF2PasswordHasher"], []),  # 1,000,000 in Django 5.2
        (["django.contrib.auth.hashers.MD5PasswordHasher"], ["liudong.W002"]),
        (["django.contrib.auth.hashers.ScryptPasswordHasher"], ["liudong.W002"]),
    ],
)
def test_the_password_hasher_must_be_strong(hashers: list[str], found: list[str]) -> None:
    with override_settings(PASSWORD_HASHERS=hashers):
        assert ids(checks.check_password_hasher(None)) == found


@override_settings(AUTH_PASSWORD_VALIDATORS=[])
def test_missing_password_validators_are_flagged() -> None:
    assert ids(checks.check_password_validators(None)) == ["liudong.W003"]


@override_settings(LIUDONG_IDLE_TIMEOUT_SECONDS=3600)
def test_a_long_idle_timeout_is_flagged() -> None:
    assert ids(checks.check_idle_timeout(None)) == ["liudong.W004"]


def test_the_idle_timeout_middleware_must_be_installed() -> None:
    from django.conf import settings

    without = [m for m in settings.MIDDLEWARE if "IdleTimeout" not in m]
    with override_settings(MIDDLEWARE=without):
        assert ids(checks.check_idle_timeout(None)) == ["liudong.W004"]


@override_settings(SESSION_COOKIE_AGE=14 * 24 * 3600)
def test_django_default_session_age_is_flagged() -> None:
    assert ids(checks.check_session_age(None)) == ["liudong.W005"]


def postgres(host: str, **options: str) -> dict[str, Any]:
    return {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "liudong",
            "HOST": host,
            "OPTIONS": options,
        }
    }


@pytest.mark.parametrize(
    ("databases", "found"),
    [
        (postgres("db.example.gov.cn"), ["liudong.W006"]),
        (postgres("10.0.0.5", sslmode="require"), ["liudong.W006"]),
        (postgres("db.example.gov.cn", sslmode="verify-full"), []),
        (postgres("127.0.0.1"), []),
        (postgres("/var/run/postgresql"), []),
        (postgres(""), []),
        ({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}, []),
    ],
)
def test_remote_postgresql_needs_verify_full(databases: dict[str, Any], found: list[str]) -> None:
    assert ids(checks.database_tls_findings(databases)) == found


def test_sm4_gcm_is_available_here() -> None:
    assert checks.check_sm4_gcm(None) == []


@override_settings(SESSION_COOKIE_NAME="sessionid")
def test_cookies_without_the_host_prefix_are_flagged() -> None:
    assert ids(checks.check_host_cookies(None)) == ["liudong.W008"]
