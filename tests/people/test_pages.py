"""The registry's pages, through HTTP: what each persona sees, how forms fail, and how many
queries a page costs."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from liudong.audit.models import AuditEvent
from liudong.people.models import Person
from tests.factories import EmploymentFactory, InsuranceFactory, PermitFactory, id_number
from tests.personas import login

if TYPE_CHECKING:
    from pytest_django import DjangoAssertNumQueries

    from tests.personas import World

pytestmark = pytest.mark.django_db


def token_of(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found, "the form has no one-time token"
    return found.group(1)


def registration(token: str, **changes: str) -> dict[str, str]:
    return {
        "form_token": token,
        "id_number": id_number(110105, dt.date(1996, 6, 6), "M", 5),
        "name": "孙立",
        "hukou_region": "110105",
        "hukou_type": "urban",
        **changes,
    }


# ---------------------------------------------------------------------------------------------
# A citizen's pages.


def test_my_profile_shows_the_id_masked_until_asked(world: World) -> None:
    client = login(Client(), world.henan_migrant)
    page = client.get("/people/me/").content.decode()
    assert world.migrant.id_masked in page
    assert world.migrant.id_number not in page
    assert not AuditEvent.objects.filter(action="people.read_id_number").exists()
    revealed = client.post("/people/me/id-number/").content.decode()
    assert world.migrant.id_number in revealed
    assert AuditEvent.objects.get(action="people.read_id_number").actor == "henan_migrant"


def test_showing_the_full_number_needs_the_csrf_token(world: World) -> None:
    client = login(Client(enforce_csrf_checks=True), world.henan_migrant)
    assert client.post("/people/me/id-number/").status_code == 403
    assert not AuditEvent.objects.filter(action="people.read_id_number").exists()


def test_my_household_lists_the_current_members(world: World) -> None:
    page = login(Client(), world.other_citizen).get("/people/me/household/").content.decode()
    assert "李秀英" in page
    assert "户主" in page
    assert "王建国" not in page


def test_my_records_has_every_kind_of_record_in_few_queries(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for year in range(2015, 2025):  # a long history must not cost a query per row
        EmploymentFactory.create(person=world.migrant, start=dt.date(year, 1, 1))
        InsuranceFactory.create(person=world.migrant, start=dt.date(year, 1, 1))
        PermitFactory.create(person=world.migrant, issued_on=dt.date(year, 1, 1))
    client = login(Client(), world.henan_migrant)
    with django_assert_max_num_queries(14):
        page = client.get("/people/me/records/").content.decode()
    assert "信阳" in page or "411502" in page
    assert "北京流动科技有限公司" in page
    assert "8000.00" in page
    assert 'data-label="' in page  # the phone layout labels every cell


def test_a_citizen_without_a_bound_record_is_sent_to_real_name_binding(world: World) -> None:
    from tests.factories import UserFactory

    newcomer = UserFactory.create(role="citizen")
    response = login(Client(), newcomer).get("/people/me/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/realname/"


# ---------------------------------------------------------------------------------------------
# Staff pages.


def test_search_by_exact_id_number_finds_only_within_the_jurisdiction(world: World) -> None:
    client = login(Client(), world.beijing_caseworker)
    found = client.post("/people/search/", {"id_number": world.migrant.id_number.lower()})
    assert "王建国" in found.content.decode()
    outside = client.post("/people/search/", {"id_number": world.haidian_resident.id_number})
    assert "张海淀" not in outside.content.decode()
    assert "找到 0 人" in outside.content.decode()
    audits = AuditEvent.objects.filter(action="people.search_persons").order_by("seq")
    assert [e.detail for e in audits] == [
        {"by": "id_number", "found": 1},
        {"by": "id_number", "found": 0},
    ]
    assert all(world.migrant.id_number not in str(e.detail) for e in audits)


def test_search_by_name_is_a_post_so_no_one_is_named_in_a_url(world: World) -> None:
    client = login(Client(), world.beijing_caseworker)
    page = client.get("/people/search/").content.decode()
    assert 'method="post"' in page
    assert "王建国" in client.post("/people/search/", {"name": " 王建国 "}).content.decode()


def test_search_results_cost_few_queries(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    from tests.factories import PersonFactory

    for _ in range(20):
        PersonFactory.create(name="同名", hukou=110105)
    client = login(Client(), world.beijing_caseworker)
    with django_assert_max_num_queries(14):
        page = client.post("/people/search/", {"name": "同名"}).content.decode()
    assert page.count("/people/persons/") == 20


def test_an_empty_search_says_what_to_fill_in(world: World) -> None:
    page = login(Client(), world.beijing_caseworker).post("/people/search/", {}).content.decode()
    assert "请填写身份号码或姓名" in page


def test_the_person_page_shows_the_history_and_is_audited(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client = login(Client(), world.beijing_caseworker)
    # +1 for the header's unread-notification count; PostgreSQL adds the audit writer lock.
    with django_assert_max_num_queries(17):
        page = client.get(f"/people/persons/{world.migrant.pk}/").content.decode()
    assert "王建国" in page
    assert world.migrant.id_masked in page
    assert world.migrant.id_number not in page
    assert AuditEvent.objects.filter(action="people.read_person", outcome="ok").count() == 1
    revealed = client.post(f"/people/persons/{world.migrant.pk}/id-number/").content.decode()
    assert world.migrant.id_number in revealed


def test_registration_shows_errors_next_to_their_fields(world: World) -> None:
    client = login(Client(), world.beijing_caseworker)
    token = token_of(client.get("/people/register/").content.decode())
    bad = registration(token, birth_date="1996-06-07")
    response = client.post("/people/register/", bad)
    assert response.status_code == 422
    page = response.content.decode()
    assert "出生日期与身份号码不一致" in page
    assert page.index("出生日期与身份号码不一致") > page.index('name="birth_date"') - 2000
    assert not Person.objects.filter(name="孙立").exists()
    assert token_of(page) != token  # a fresh token to try again


def test_registration_then_the_same_form_again_registers_once(world: World) -> None:
    client = login(Client(), world.beijing_caseworker)
    data = registration(token_of(client.get("/people/register/").content.decode()))
    first = client.post("/people/register/", data)
    assert first.status_code == 302
    person = Person.objects.get(name="孙立")
    assert first["Location"] == f"/people/persons/{person.pk}/"
    again = client.post("/people/register/", data)
    assert again.status_code == 409
    assert "这张表已经提交过了" in again.content.decode()
    assert Person.objects.filter(name="孙立").count() == 1


def test_a_registration_form_without_its_token_changes_nothing(world: World) -> None:
    client = login(Client(), world.beijing_caseworker)
    response = client.post("/people/register/", registration("forged"))
    assert response.status_code == 409
    assert not Person.objects.filter(name="孙立").exists()


def test_a_duplicate_id_number_is_shown_on_the_field(world: World) -> None:
    client = login(Client(), world.beijing_caseworker)
    token = token_of(client.get("/people/register/").content.decode())
    response = client.post(
        "/people/register/", registration(token, id_number=world.neighbour.id_number)
    )
    assert response.status_code == 409
    assert "这个身份号码已经登记过了" in response.content.decode()


@pytest.mark.parametrize("persona", ["henan_migrant", "auditor", "admin", "employer_rep"])
def test_staff_pages_refuse_other_roles_with_one_audit_event(world: World, persona: str) -> None:
    response = login(Client(), world.persona(persona)).get("/people/search/")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(outcome="denied").count() == 1
