"""The administrators' page /workdays/ through HTTP: the list of years, the upload with its
field-level errors, CSRF, and refusals for everyone else."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from liudong.audit.models import AuditEvent
from liudong.workdays.models import HolidayArrangement
from tests.personas import login
from tests.workdays.arrangements import TEST_SOURCE, arrangement, upload

if TYPE_CHECKING:
    from tests.personas import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


@pytest.fixture
def frozen_today() -> Any:
    with time_machine.travel(dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC), tick=False):
        yield


def row_of(page: str, year: int) -> str:
    found = re.search(rf'<tr id="year-{year}" class="(\w+)">(.*?)</tr>', page, re.S)
    assert found, f"no row for {year}"
    return f"{found.group(1)} {found.group(2)}"


def test_the_page_lists_built_in_years_and_flags_2027_provisional(world: World) -> None:
    page = login(Client(), world.admin).get("/workdays/").content.decode()
    assert row_of(page, 2026).startswith("built_in")
    assert "2026年部分节假日安排" in row_of(page, 2026)
    assert row_of(page, 2004).startswith("built_in")
    assert row_of(page, 2027).startswith("provisional")
    assert "provisional: weekends only" in row_of(page, 2027)


def test_an_uploaded_year_is_listed_as_loaded(world: World) -> None:
    client = login(Client(), world.admin)
    response = client.post("/workdays/upload/", {"file": upload(arrangement())})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已载入 2027 年的节假日安排" in page
    assert row_of(page, 2027).startswith("loaded")
    assert TEST_SOURCE in row_of(page, 2027)


def test_a_json_file_is_accepted_too(world: World) -> None:
    body = b'{"year": 2027, "source": "TEST", "published_on": "2026-11-20",'
    body += b' "holidays": ["2027-01-01"], "workdays": []}'
    client = login(Client(), world.admin)
    response = client.post("/workdays/upload/", {"file": SimpleUploadedFile("y.json", body)})
    assert response.status_code == 302
    assert HolidayArrangement.objects.get().holidays == ["2027-01-01"]


@pytest.mark.parametrize(
    ("file", "needle"),
    [
        (upload(arrangement(workdays=["2027-01-04"])), "workdays: 2027-01-04 不是星期六或星期日"),
        (upload(arrangement(year=2026)), "year: 2026 年的安排已内置"),
        (SimpleUploadedFile("2027.txt", b"year: 2027"), ".yaml、.yml 或 .json"),
        (SimpleUploadedFile("2027.yaml", b"year: [2027"), "文件无法解析"),
        (SimpleUploadedFile("2027.yaml", "年".encode("gbk")), "UTF-8"),
        (SimpleUploadedFile("2027.yaml", b"#" * 70_000), "64 KB"),
    ],
    ids=["weekday make-up", "built-in year", "wrong type", "bad yaml", "not utf-8", "too large"],
)
def test_a_bad_file_is_refused_on_the_file_field(
    world: World, file: SimpleUploadedFile, needle: str
) -> None:
    response = login(Client(), world.admin).post("/workdays/upload/", {"file": file})
    assert response.status_code == 422
    errors = re.search(r'<ul class="errorlist" id="id_file_error">(.*?)</ul>', response.text, re.S)
    assert errors, "the error is not on the file field"
    assert needle in errors.group(1)
    assert not HolidayArrangement.objects.exists()


def test_an_upload_without_a_file_is_refused(world: World) -> None:
    response = login(Client(), world.admin).post("/workdays/upload/", {})
    assert response.status_code == 422
    assert not HolidayArrangement.objects.exists()


def test_an_upload_without_the_csrf_token_is_refused(world: World) -> None:
    client = login(Client(enforce_csrf_checks=True), world.admin)
    response = client.post("/workdays/upload/", {"file": upload(arrangement())})
    assert response.status_code == 403
    assert not HolidayArrangement.objects.exists()
    page = client.get("/workdays/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


@pytest.mark.parametrize("persona", ["beijing_caseworker", "beijing_supervisor", "auditor"])
def test_other_staff_are_refused_with_one_audit_event(world: World, persona: str) -> None:
    client = login(Client(), world.persona(persona))
    response = client.post("/workdays/upload/", {"file": upload(arrangement())})
    assert response.status_code == 403
    assert not HolidayArrangement.objects.exists()
    assert client.get("/workdays/").status_code == 403
    outcomes = AuditEvent.objects.filter(actor=persona).values_list("action", "outcome")
    assert list(outcomes) == [
        ("workdays.load_arrangement", "denied"),
        ("workdays.read_arrangements", "denied"),
    ]


def test_the_list_costs_the_same_queries_however_many_years_are_loaded(
    world: World, django_assert_num_queries: Any
) -> None:
    client = login(Client(), world.admin)
    client.get("/workdays/")
    with CaptureQueriesContext(connection) as before:
        client.get("/workdays/")
    baseline = len(before.captured_queries)
    for year in (2027, 2028, 2029):
        client.post("/workdays/upload/", {"file": upload(_shifted(year))})
    with django_assert_num_queries(baseline):
        page = client.get("/workdays/").content.decode()
    assert row_of(page, 2029).startswith("loaded")


def _shifted(year: int) -> dict[str, Any]:
    return arrangement(year=year, holidays=[f"{year}-01-01"], workdays=[])
