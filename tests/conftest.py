"""Shared test configuration.

Rule cases under tests/**/cases/*.yaml are collected as tests. Hypothesis has two profiles:
``default`` (quick, for every run) and ``ci`` (more examples; ``--hypothesis-profile ci``).
"""

import os

from hypothesis import HealthCheck, settings

# The test profile: fixed keys, fast password hashing, SQLite unless DATABASE_URL says otherwise.
os.environ.setdefault("LIUDONG_MODE", "test")

pytest_plugins = ["liudong.rules.pytest_plugin"]

settings.register_profile(
    "default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("default")
