"""The policy-analyst role: a staff-type account (second factor, expiring password) that
reaches the analysis pages and nothing with a person's data in it. The full endpoint-by-endpoint
check is the authorization matrix (tests/test_authz_matrix.py, persona ``analyst``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liudong.accounts.access import has_caseworker_role, password_expired
from liudong.accounts.models import STAFF_ROLES, Role
from liudong.audit.models import AuditEvent
from liudong.evidence.actions import do_upload_evidence
from tests.evidence.samples import PDF
from tests.personas import login

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from tests.personas import World

pytestmark = pytest.mark.django_db


def test_analyst_is_staff_type_but_no_caseworker(analyst: User) -> None:
    assert Role.ANALYST in STAFF_ROLES
    assert analyst.needs_second_factor
    assert not has_caseworker_role.test(analyst)
    analyst.password_changed_at = timezone.now() - dt.timedelta(days=400)
    assert password_expired(analyst)


def test_analyst_needs_the_second_factor(analyst: User) -> None:
    client = Client()
    client.force_login(analyst)  # signed in, not verified
    response = client.get("/settlement/analysis/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:verify"))


def test_analyst_reaches_the_analysis_page_and_her_home(analyst: User) -> None:
    client = login(Client(), analyst)
    page = client.get("/settlement/analysis/")
    assert page.status_code == 200
    home = client.get("/", follow=True).content.decode()
    assert "/settlement/analysis/" in home
    assert "/people/search/" not in home
    assert "/tasks/" not in home


@pytest.mark.parametrize(
    "path",
    [
        "/people/search/",
        "/people/register/",
        "/people/import/",
        "/settlement/staff/rounds/",
        "/settlement/staff/queue/",
        "/settlement/applications/",
        "/certificates/",
        "/certificates/mine/",
        "/audit/",
        "/tasks/",
        "/workdays/",
    ],
)
def test_analyst_is_refused_pages_with_personal_data(analyst: User, path: str) -> None:
    client = login(Client(), analyst)
    before = AuditEvent.objects.filter(outcome="denied").count()
    response = client.get(path)
    assert response.status_code in {403, 404}, path
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 1


def test_analyst_sees_no_person_application_or_evidence(world: World, analyst: User) -> None:
    client = login(Client(), analyst)
    migrant = world.migrant
    assert client.get(f"/people/persons/{migrant.pk}/").status_code in {403, 404}
    response = client.get(f"/api/people/persons/{migrant.pk}")
    assert response.status_code in {403, 404}
    assert migrant.name not in response.content.decode()
    assert client.get("/api/settlement/applications").status_code in {403, 404}
    evidence = do_upload_evidence(
        world.henan_migrant,
        data=PDF,
        filename="proof.pdf",
        declared_type="application/pdf",
        object_type="people.person",
        object_id=str(migrant.pk),
    )
    assert client.get(f"/evidence/{evidence.pk}/").status_code in {403, 404}
