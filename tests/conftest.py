"""Shared test configuration.

Rule cases under tests/**/cases/*.yaml are collected as tests. Hypothesis has two profiles:
``default`` (quick, for every run) and ``ci`` (more examples; ``--hypothesis-profile ci``).
"""

import os

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, settings

# The test profile: fixed keys, fast password hashing, SQLite unless DATABASE_URL says otherwise.
os.environ.setdefault("LIUDONG_MODE", "test")

pytest_plugins = ["liudong.rules.pytest_plugin", "tests.personas"]

settings.register_profile(
    "default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("default")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On SQLite the test database is a file, not shared-cache memory: tests that run requests
    in concurrent threads (tests/test_idempotency.py) need SQLite's real locking, which waits
    (busy timeout) where shared-cache memory fails at once with "database table is locked"."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("db") / "test.sqlite3"
        )


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Every test starts in the default language (zh-Hans). Django's LocaleMiddleware activates
    a request's language in the thread and nothing deactivates it, so a test that requested an
    English page would otherwise leave later tests' messages in English."""
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
