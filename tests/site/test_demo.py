"""The demo data: seeded once, counted right, stored as the registry stores it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong import crypto
from liudong.accounts.models import STAFF_ROLES, Role, User
from liudong.audit.models import AuditEvent
from liudong.people.models import Agency, AgencyKind, Household, Membership, Person
from liudong.settlement import selectors
from liudong.settlement.models import Application, RankingList, Round, RoundStatus
from liudong.site import demo, demo_rounds
from tests.accounts.conftest import sign_in_staff

if TYPE_CHECKING:
    from pathlib import Path

    from django.test import Client
    from pytest_django.fixtures import Settings

    from liudong.site.demo import DemoSummary

pytestmark = pytest.mark.django_db

PERSONS = 400


@pytest.fixture
def seeded(db: None, settings: Settings, tmp_path: Path) -> DemoSummary:
    settings.LIUDONG_ANALYSIS_DIR = tmp_path / "analysis"
    settings.LIUDONG_ANALYSIS_SMALL_PERSONS = 2_000
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
    # staff and supervisor per city; auditor, admin, analyst, employer, 2 citizens; applicants
    assert counts["accounts"] == 5 * 2 + 6 + demo_rounds.APPLICANTS + 1
    assert counts["totp_devices"] == 5 * 2 + 3  # every staff-type account
    assert counts["settlement_rounds"] == 2


def test_seeding_twice_changes_nothing(seeded: DemoSummary) -> None:
    events = AuditEvent.objects.count()
    again = demo.load(persons=PERSONS, analysis_population=False)
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


def test_last_years_round_is_final_and_published(seeded: DemoSummary, client: Client) -> None:
    today = timezone.localdate()
    last = Round.objects.get(scheme="beijing", year=today.year - 1)
    assert last.status == RoundStatus.FINAL
    listing = RankingList.objects.get(round=last)
    assert listing.version == 1
    assert listing.entry_count == demo_rounds.LAST_YEAR_APPLICANTS - 1  # one was refused
    assert listing.admitted_count >= demo_rounds.LAST_YEAR_QUOTA
    states = sorted(Application.objects.filter(round=last).values_list("case__state", flat=True))
    assert states.count("settled") == listing.admitted_count
    assert "refused" in states
    page = client.get(f"/settlement/rounds/{last.pk}/list/").content.decode()
    assert listing.root in page
    # the receipt of an admitted applicant verifies against the published root
    assert seeded.receipt_example is not None
    username, secret = seeded.receipt_example
    mine = Application.objects.get(round=last, filed_by__username=username)
    check = selectors.verify_receipt(selectors.receipt_for(mine), secret)
    assert check.ok, check.reason
    # the steps were taken on last year's dates, through the actions (audited)
    opened = AuditEvent.objects.get(action="settlement.open_round", object_id=str(last.pk))
    assert opened.at.year == today.year - 1


def test_this_years_round_is_open_with_every_live_stage(seeded: DemoSummary) -> None:
    today = timezone.localdate()
    current = Round.objects.get(scheme="beijing", year=today.year)
    assert current.status == RoundStatus.OPEN
    assert current.opens_on <= today <= current.closes_on
    stages = {a.state for a in Application.objects.filter(round=current).select_related("case")}
    assert stages == {
        "verified",
        "review_requested",
        "verifying",
        "submitted",
        "awaiting_applicant",
    }


def test_shanghai_resident_and_analyst_page(seeded: DemoSummary, client: Client) -> None:
    resident = User.objects.get(username="sh-citizen")
    assert resident.person is not None
    assert resident.person.permits.filter(district_id=demo_rounds.PUDONG).exists()
    analyst = User.objects.get(username="analyst")
    assert analyst.role == Role.ANALYST
    assert TOTPDevice.objects.filter(user=analyst, confirmed=True).exists()
    analyst.set_password("correct horse battery staple")
    analyst.save()
    sign_in_staff(client, analyst)
    assert client.get("/settlement/analysis/").status_code == 200
    assert client.get("/people/search/").status_code == 403
    assert (analysis_population_dir() / "manifest.json").is_file()  # the analyst page's population


def analysis_population_dir() -> Path:
    from liudong.settlement import analysis_runs

    return analysis_runs.population_path("small")
