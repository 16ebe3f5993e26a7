"""The employer representative's settlement pages, through HTTP: her page lists her employees'
applications waiting for the employer's confirmation (what each declared for the employment
indicators beside the registry) and the employer's filings; she confirms on the page; she
files for a current employee, who then confirms on her own account and alone receives the
receipt secret. Refusals: another employer's application is a 404, citizens and staff get the
403 page, filing for someone who is not a current employee is a field error; nothing changes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from liudong.accounts.models import Role
from liudong.audit.models import AuditEvent
from liudong.people.models import Employment
from liudong.settlement import actions
from liudong.settlement.models import Application, ApplicationState
from tests.factories import UserFactory
from tests.personas import login
from tests.settlement.rounds_helpers import citizen, facts

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from liudong.settlement.models import Round
    from tests.personas import World

pytestmark = pytest.mark.django_db

HOME = "/settlement/employer/"


def token_of(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found, "the form has no one-time token"
    return found.group(1)


def migrant_applies(world: World, rnd: Round) -> Application:
    """The migrant applies herself, claiming 96 months of Beijing social insurance."""
    filed = actions.do_apply(world.henan_migrant, rnd, facts=facts(world.migrant.birth_date))
    return filed.application


def confirm_url(application: Application) -> str:
    return f"/settlement/employer/applications/{application.pk}/confirm/"


def file_form(token: str, person: int, **changes: str) -> dict[str, str]:
    return {
        "form_token": token,
        "person": str(person),
        "holds_residence_permit": "yes",
        "birth_date": "1999-03-14",
        "retirement_group": "men",
        "si_months_beijing": "96",
        "has_criminal_record": "no",
        "education": "bachelor",
        "education_matched": "on",
        **changes,
    }


def other_rep(world: World) -> User:
    """A representative of the other employer (海淀数据服务)."""
    user: User = UserFactory.create(
        username="haidian_rep", role=Role.EMPLOYER, employer=world.other_employer
    )
    return user


# ---------------------------------------------------------------------------------------------
# Confirming an employee's employment indicators.


def test_the_employer_sees_and_confirms_her_employees_application(bj: Round, world: World) -> None:
    application = migrant_applies(world, bj)
    migrant = login(Client(), world.henan_migrant)
    case_page = f"/settlement/applications/{application.pk}/"
    assert 'data-testid="employer-pending"' in migrant.get(case_page).content.decode()

    employer = login(Client(), world.employer_rep)
    home = employer.get("/").content.decode()
    assert "1 份职工的积分落户申请等待单位确认就业信息" in home
    assert 'href="/settlement/employer/"' in home  # the menu
    page = employer.get(HOME).content.decode()
    assert f'data-testid="pending-{application.pk}"' in page
    assert "王建国" in page
    assert "在京连续缴纳社会保险月数" in page  # the employment indicator, declared and registered
    assert ">96<" in page
    assert "入职，在职" in page  # the registry's employment at this employer

    response = employer.post(confirm_url(application), {"form_token": token_of(page)})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.employment_confirmed_by == world.employer_rep
    assert application.employment_confirmed_at is not None
    assert AuditEvent.objects.filter(
        action="settlement.confirm_employment", outcome="ok", object_id=str(application.pk)
    ).exists()
    after = employer.get(HOME).content.decode()
    assert "已确认这份申请中的就业信息" in after
    assert "没有等待单位确认的申请" in after
    assert 'data-testid="employer-pending"' not in migrant.get(case_page).content.decode()


def test_a_refused_confirmation_is_a_message_and_changes_nothing(bj: Round, world: World) -> None:
    application = migrant_applies(world, bj)
    employer = login(Client(), world.employer_rep)
    token = token_of(employer.get(HOME).content.decode())
    actions.do_withdraw(world.henan_migrant, application)  # withdrawn while the page was open
    response = employer.post(confirm_url(application), {"form_token": token})
    assert response.status_code == 302
    assert "这份申请已经办结，不能再确认" in employer.get(HOME).content.decode()
    application.refresh_from_db()
    assert application.employment_confirmed_at is None
    twice = employer.post(confirm_url(application), {"form_token": token})
    assert twice.status_code == 302  # the same form again: nothing done, said so
    assert "已经提交过了" in employer.get(HOME).content.decode()


def test_another_employers_application_is_a_404_and_unchanged(bj: Round, world: World) -> None:
    mine = migrant_applies(world, bj)
    zhang = citizen("张晓华", dt.date(1990, 5, 1))
    assert zhang.person is not None
    Employment.objects.create(
        person=zhang.person, employer=world.other_employer, start=dt.date(2018, 3, 1)
    )
    theirs = actions.do_apply(zhang, bj, facts=facts(zhang.person.birth_date)).application
    assert theirs.employer == world.other_employer

    employer = login(Client(), world.employer_rep)
    page = employer.get(HOME).content.decode()
    assert "张晓华" not in page
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    refused = employer.post(confirm_url(theirs), {"form_token": token_of(page)})
    assert refused.status_code == 404
    assert list(AuditEvent.objects.filter(seq__gt=before).values_list("outcome", flat=True)) == [
        "denied"
    ]
    theirs.refresh_from_db()
    assert theirs.employment_confirmed_at is None

    haidian = login(Client(), other_rep(world))
    other_page = haidian.get(HOME).content.decode()
    assert "张晓华" in other_page
    assert "王建国" not in other_page
    assert haidian.post(confirm_url(mine), {"form_token": token_of(other_page)}).status_code == 404
    mine.refresh_from_db()
    assert mine.employment_confirmed_at is None


def test_citizens_staff_and_anonymous_callers_are_refused(bj: Round, world: World) -> None:
    application = migrant_applies(world, bj)
    file_url = f"/settlement/employer/rounds/{bj.pk}/file/"
    for user in (world.henan_migrant, world.beijing_caseworker):
        client = login(Client(), user)
        for url in (HOME, file_url):
            refused = client.get(url)
            assert refused.status_code == 403, (user.username, url)
            assert "只对用人单位经办人开放" in refused.content.decode()
        assert client.post(confirm_url(application)).status_code == 403
    assert Client().get(HOME).status_code == 302  # to sign in
    unbound: User = UserFactory.create(username="no_employer", role=Role.EMPLOYER)
    assert login(Client(), unbound).get(HOME).status_code == 403
    application.refresh_from_db()
    assert application.employment_confirmed_at is None


# ---------------------------------------------------------------------------------------------
# Filing for an employee.


def test_filing_for_someone_not_employed_here_is_refused_with_a_clear_message(
    bj: Round, world: World
) -> None:
    employer = login(Client(), world.employer_rep)
    url = f"/settlement/employer/rounds/{bj.pk}/file/"
    form = employer.get(url).content.decode()
    assert "王建国" in form
    assert "张海淀" not in form  # another employer's employee is not offered
    refused = employer.post(url, file_form(token_of(form), world.haidian_resident.pk))
    assert refused.status_code == 422
    page = refused.content.decode()
    assert 'id="id_person_error"' in page
    assert "只能为本单位在职职工代为填报" in page
    assert not Application.objects.exists()

    Employment.objects.filter(pk=world.migrant_job.pk).update(end=dt.date(2026, 10, 31))
    left = employer.post(url, file_form(token_of(page), world.migrant.pk))
    assert left.status_code == 422  # she has left: no longer a current employee
    assert "只能为本单位在职职工代为填报" in left.content.decode()
    assert not Application.objects.exists()


def test_bad_facts_are_field_errors_and_nothing_is_filed(bj: Round, world: World) -> None:
    employer = login(Client(), world.employer_rep)
    url = f"/settlement/employer/rounds/{bj.pk}/file/"
    token = token_of(employer.get(url).content.decode())
    bad = employer.post(url, file_form(token, world.migrant.pk, si_months_beijing="999999"))
    assert bad.status_code == 422
    assert 'id="id_si_months_beijing_error"' in bad.content.decode()
    assert not Application.objects.exists()


def test_the_employer_files_and_only_the_employee_gets_the_secret(bj: Round, world: World) -> None:
    employer = login(Client(), world.employer_rep)
    home = employer.get(HOME).content.decode()
    url = f"/settlement/employer/rounds/{bj.pk}/file/"
    assert url in home  # the open round offers filing
    form = employer.get(url).content.decode()
    assert "回执密钥只在职工本人确认时显示给她" in form
    data = file_form(token_of(form), world.migrant.pk)
    filed = employer.post(url, data)
    assert filed.status_code == 302
    assert employer.post(url, data).status_code == 302  # the same form twice: filed once
    application = Application.objects.get()
    assert application.pre_state == ApplicationState.AWAITING_APPLICANT
    assert application.filed_for_employer == world.employer
    assert application.receipt_key == ""
    assert application.employment_confirmed_by == world.employer_rep  # filing confirms
    listed = employer.get(HOME).content.decode()
    assert "已为王建国填报" in listed
    assert "待职工本人确认" in listed
    assert "没有等待单位确认的申请" in listed
    assert not re.search(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){5,}", listed)  # no receipt secret

    migrant = login(Client(), world.henan_migrant)
    case = migrant.get(f"/settlement/applications/{application.pk}/").content.decode()
    assert "单位为您填报了这份申请" in case
    confirmed = migrant.post(f"/settlement/applications/{application.pk}/confirm/")
    assert confirmed.status_code == 201
    assert 'data-testid="receipt-secret"' in confirmed.content.decode()
    assert "职工已确认，已受理" in employer.get(HOME).content.decode()


def test_a_second_live_application_is_a_conflict_on_the_page(bj: Round, world: World) -> None:
    migrant_applies(world, bj)
    employer = login(Client(), world.employer_rep)
    url = f"/settlement/employer/rounds/{bj.pk}/file/"
    token = token_of(employer.get(url).content.decode())
    again = employer.post(url, file_form(token, world.migrant.pk))
    assert again.status_code == 409
    assert "已有一份有效申请" in again.content.decode()
    assert Application.objects.count() == 1
