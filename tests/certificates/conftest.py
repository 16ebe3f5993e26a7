"""Certificate tests: helpers to issue and generate certificates, and the marker for tests
that render PDFs (skipped where Pango or the Noto CJK fonts are missing, except under CI)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from django.core.cache import cache

from liudong.certificates import pdf
from liudong.certificates.actions import do_issue_registry_extract
from liudong.tasks import run_pending

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from liudong.certificates.models import Certificate
    from liudong.people.models import Person


def _renderer_missing() -> str:
    if os.environ.get("CI") == "true":
        return ""  # CI installs them: a missing library must fail there, not skip
    ready = pdf.readiness()
    return "" if ready.ok else ready.message


needs_renderer = pytest.mark.skipif(bool(_renderer_missing()), reason=_renderer_missing())


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()  # the per-address limit on file verifications


def issue_extract(actor: User, person: Person) -> Certificate:
    return do_issue_registry_extract(actor, person.pk)


def generated(actor: User, person: Person) -> Certificate:
    """A registry extract, issued and generated (the task run in this process)."""
    certificate = issue_extract(actor, person)
    run_pending()
    certificate.refresh_from_db()
    return certificate
