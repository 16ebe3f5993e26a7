"""Arrangement files for tests. TEST DATA: the 2027 arrangement had not been published when
these were written (2026-11-28); ``TEST_2027`` is made up to exercise loading and must never be
mistaken for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

import liudong.workdays

EXAMPLE = Path(liudong.workdays.__file__).parent / "data" / "example-2027.yaml"
TEST_SOURCE = "TEST ARRANGEMENT for 2027 — made up for tests, not the published notice"
TEST_2027: dict[str, Any] = {
    "year": 2027,
    "source": TEST_SOURCE,
    "published_on": "2026-11-20",
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
    "workdays": ["2027-01-09"],  # a Saturday
}


def arrangement(**changes: Any) -> dict[str, Any]:
    """``TEST_2027`` with some fields changed (a value of None removes the field)."""
    merged = {**TEST_2027, **changes}
    return {key: value for key, value in merged.items() if value is not None}


def as_yaml(payload: object) -> bytes:
    return yaml.safe_dump(payload, allow_unicode=True).encode()


def upload(payload: object, name: str = "2027.yaml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, as_yaml(payload), content_type="application/yaml")
