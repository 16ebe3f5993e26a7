"""The demo data: seeded once, counted right, stored as the registry stores it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong import crypto
from liudong.accounts.models import STAFF_ROLES, User
from liudong.audit.models import AuditEvent
from liudong.people.models import Agency, AgencyKind, Household, Membership, Person
from liudong.site import demo
from tests.accounts.conftest import sign_in_staff

if TYPE_CHECKING:
    from django.test import Client

    from liudong.site.demo import DemoSummary

pytestmark = pytest.mark.django_db

PERSONS = 400


@pytest.fixture
def seeded(db: None) -> DemoSummary:
    return demo.load(persons=PERSONS)


def test_seeding_counts(seeded: DemoSummary) -> None:
    counts = seeded.counts
    assert seeded.created
    assert counts["persons"] == PERSONS
    assert counts["memberships"] == PERSONS
    assert counts["hukou_records"] == PERSONS
    assert counts["households"] == Household.objects.count() > PERSONS // 5
    assert counts["agencies"] == 5 * 5
    assert counts["regions"] > 3_000
    assert counts["accounts"] == 5 * 2 + 5  # staff and supervisor per city; 5 others
    assert counts["totp_devices"] == 5 * 2 + 2  # every staff-type account


def test_seeding_twice_changes_nothing(seeded: DemoSummary) -> None:
    events = AuditEvent.objects.count()
    again = demo.load(persons=PERSONS)
    assert not again.created
    assert again.counts == seeded.counts
    assert AuditEvent.objects.count() == events
    assert [a.username for a in again.accounts] == [a.username for a in seeded.accounts]


def test_each_batch_is_audited(seeded: DemoSummary) -> None:
    batches = {e.detail["batch"] for e in AuditEvent.objects.filter(action=demo.SEED_ACTION)}
    assert {"regions", "agencies", "persons", "households", "hukou_records"} <= batches


def test_five_cities_have_five_kinds_of_agency(seeded: DemoSummary) -> None:
    for city in demo.CITIES:
        kinds = set(
            Agency.objects.filter(code__startswith=f"{city.key}-").values_list("kind", flat=True)
        )
        assert kinds == set(AgencyKind.values), city.key
    chaoyang = Agency.objects.get(code="bj-employment")
    assert (chaoyang.name, chaoyang.region_id) == ("北京市朝阳区公共就业服务中心", 110105)
    assert Agency.objects.get(code="bj-hukou").name == "北京市公安局朝阳分局户政科"


def test_persons_are_stored_like_the_registry_stores_them(seeded: DemoSummary) -> None:
    for person in Person.objects.order_by("pk")[:50]:
        assert person.id_bi == crypto.blind_index(person.id_number, "id_number")
        assert person.id_masked == person.id_number[:6] + "*" * 8 + person.id_number[14:]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM people_person")
        stored = [row[0] for row in cursor.fetchall()]
    assert all(value.startswith("k1:") for value in stored)  # SM4-GCM ciphertext at rest
    heads = Membership.objects.filter(relationship="head").count()
    assert heads == Household.objects.count()


def test_staff_accounts_have_devices_and_citizens_are_bound(seeded: DemoSummary) -> None:
    for user in User.objects.filter(role__in=STAFF_ROLES):
        assert TOTPDevice.objects.filter(user=user, confirmed=True).exists(), user.username
    citizen1 = User.objects.get(username="citizen1")
    assert citizen1.person is not None
    assert re.fullmatch(r"110105\*{8}\d{3}[\dX]", citizen1.person.id_masked)
    assert User.objects.get(username="citizen2").person is not None
    staff = [a for a in seeded.accounts if a.username == "bj-staff"]
    assert staff[0].otpauth.startswith("otpauth://totp/")
    assert seeded.unbound_example is not None


def test_the_demo_totp_code_signs_a_caseworker_in(seeded: DemoSummary, client: Client) -> None:
    user = User.objects.get(username="bj-staff")
    user.set_password("correct horse battery staple")
    user.save()
    sign_in_staff(client, user)
    page = client.get("/staff/").content.decode()
    assert "北京市朝阳区公共就业服务中心" in page
    assert demo.totp_code("bj-staff").isdigit()


def test_relationships_follow_age_and_sex() -> None:
    import datetime as dt

    import polars as pl

    frame = pl.DataFrame(
        {
            "household_id": [1, 1, 1, 1],
            "person_id": [1, 2, 3, 4],
            "sex": ["M", "F", "F", "M"],
            "birth_date": [
                dt.date(1980, 1, 1),
                dt.date(1982, 1, 1),
                dt.date(2010, 1, 1),
                dt.date(1950, 1, 1),
            ],
        }
    )
    assert demo.relationships(frame).to_list() == ["head", "spouse", "child", "parent"]
