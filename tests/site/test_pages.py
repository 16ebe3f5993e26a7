"""The role-aware home pages, the language switch, accessible forms and the admin site."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong.accounts.models import Role
from liudong.audit.models import AuditEvent
from tests.accounts.conftest import sign_in, sign_in_staff
from tests.factories import (
    AgencyFactory,
    EmployerFactory,
    PermitFactory,
    PersonFactory,
    UserFactory,
)

if TYPE_CHECKING:
    from django.test import Client

    from liudong.accounts.models import User

pytestmark = pytest.mark.django_db

FORMS = ("/accounts/login/", "/accounts/signup/")


def test_the_signed_out_home_page_is_in_chinese(client: Client) -> None:
    page = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "劳动力和人才社会性流动" in page
    assert 'href="/accounts/login/"' in page


def test_the_language_switch_gives_english(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "liudong: social mobility of labour and talent" in page
    assert "Sign in" in page
    assert 'value="zh-hans"' in page  # the way back


def test_the_english_sign_in_page_is_translated(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/accounts/login/").content.decode()
    assert "Username" in page
    assert "Password" in page
    assert "用户名" not in page


@pytest.mark.parametrize("url", FORMS)
def test_every_form_field_has_a_label(client: Client, url: str) -> None:
    page = client.get(url).content.decode()
    form = page[page.index('<main id="main">') :]
    inputs = re.findall(r'<input (?![^>]*type="hidden")[^>]*\bid="([^"]+)"', form)
    assert inputs
    for field_id in inputs:
        assert f'<label for="{field_id}">' in form, field_id


def test_errors_are_tied_to_their_field(client: Client) -> None:
    response = client.post(
        "/accounts/signup/", {"username": "x y", "password1": "a", "password2": "b"}
    )
    page = response.content.decode()
    for field in ("username", "password2"):
        assert f'id="id_{field}_error"' in page
        tag = re.search(rf'<input [^>]*id="id_{field}"[^>]*>', page)
        assert tag is not None
        assert 'aria-invalid="true"' in tag.group(0)
        assert f"id_{field}_error" in tag.group(0)


def test_pages_fit_a_phone(client: Client) -> None:
    page = client.get("/").content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page


def test_a_bound_citizen_sees_her_masked_id_number(client: Client) -> None:
    person = PersonFactory.create(name="李娜", hukou=110105)
    UserFactory.create(username="lina", role=Role.CITIZEN, person=person)
    sign_in(client, "lina")
    page = client.get("/").content.decode()
    assert "李娜" in page
    assert person.id_masked in page
    assert re.search(r"110105\*{8}\d{3}[\dX]", page)
    assert person.id_number not in page


def test_an_unbound_citizen_is_asked_to_bind(client: Client, newcomer: User) -> None:
    sign_in(client, newcomer.username)
    page = client.get("/").content.decode()
    assert "请先完成实名认证" in page
    assert 'href="/accounts/realname/"' in page


def test_the_staff_home_shows_agency_jurisdiction_and_an_empty_queue(
    client: Client, caseworker: User
) -> None:
    PersonFactory.create(hukou=110105)
    PermitFactory.create(district=110105)
    PersonFactory.create(hukou=310115)  # 上海: not Chaoyang's
    sign_in_staff(client, caseworker)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/"
    page = response.content.decode()
    assert "北京市朝阳区公共就业服务中心" in page
    assert "朝阳区" in page
    assert "110105" in page
    assert re.search(r'data-testid="persons-count">\s*2\s*<', page)
    assert "暂无案件" in page


def test_the_employer_home_names_the_employer(client: Client) -> None:
    employer = EmployerFactory.create(name="北京流动科技有限公司")
    UserFactory.create(username="hr", role=Role.EMPLOYER, employer=employer)
    sign_in(client, "hr")
    page = client.get("/").content.decode()
    assert "北京流动科技有限公司" in page
    assert employer.credit_code in page


def _administrator() -> User:
    user = UserFactory.create(username="root", role=Role.ADMIN, is_staff=True)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def test_the_admin_site_holds_reference_data_for_administrators(client: Client) -> None:
    sign_in_staff(client, _administrator())
    page = client.get("/admin/").content.decode()
    for model in ("region", "agency", "employer"):
        assert f'href="/admin/people/{model}/"' in page
    assert "/admin/people/person/" not in page
    assert "/admin/accounts/user/" not in page
    AgencyFactory.create(code="sh-hukou", region=310115)
    assert client.get("/admin/people/agency/").status_code == 200
    assert client.get("/admin/people/agency/add/").status_code == 200
    assert client.get("/admin/people/person/").status_code == 404


def test_caseworkers_do_not_enter_the_admin_site(client: Client, caseworker: User) -> None:
    sign_in_staff(client, caseworker)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "只对系统管理员开放" in response.content.decode()


def test_an_administrator_without_the_second_factor_is_kept_out(client: Client) -> None:
    client.force_login(_administrator())
    response = client.get("/admin/people/region/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/verify/")


def test_reference_data_changes_in_the_admin_are_audited(client: Client) -> None:
    admin = _administrator()
    sign_in_staff(client, admin)
    agency = AgencyFactory.create(code="sh-hukou", name="上海市公安局浦东分局户政科", region=310115)
    response = client.post(
        f"/admin/people/agency/{agency.pk}/change/",
        {"code": "sh-hukou", "name": "上海市公安局浦东分局", "kind": agency.kind, "region": 310115},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="admin.change_agency")
    assert (event.actor, event.object_id, event.detail) == (
        "root",
        str(agency.pk),
        {"fields": ["name"]},
    )
