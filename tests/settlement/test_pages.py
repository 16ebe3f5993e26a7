"""The settlement pages for everyone and for citizens, through HTTP: the self-check (scores,
explanation lines with citations, provisional marks, Shanghai's permit benefits, bad input
as field errors), applying (registry facts, the receipt secret shown once), following the
case, the public list and the receipt check."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.test import Client

from benchmarks.bench_selfcheck import FORM
from liudong.settlement import actions, commitments
from liudong.settlement.models import Application
from tests.personas import login
from tests.settlement.rounds_helpers import at

if TYPE_CHECKING:
    from liudong.settlement.models import Round
    from tests.personas import World

pytestmark = pytest.mark.django_db

CHECKED_ON = dt.date(2024, 6, 3)  # the 2020 Beijing measures (BJ20) are in force


def beijing_2020(**changes: str) -> dict[str, Any]:
    """The self-check benchmark's migrant worker (:data:`benchmarks.bench_selfcheck.FORM`),
    comparing no other city: born 1985 with ten years of Beijing social insurance, ten years in
    a rented home and a bachelor's degree: 30 (job) + 5 (residence) + 15 (education) + 20 (age)."""
    return {**FORM, "other_cities": "", **changes}


def check(data: dict[str, Any], **headers: str) -> tuple[int, str]:
    with time_machine.travel(at(CHECKED_ON), tick=False):
        response = Client().post("/settlement/", data, headers=headers)
    return response.status_code, response.content.decode()


def card(page: str, code: int) -> str:
    found = re.search(rf'<article class="card" id="city-{code}".*?</article>', page, re.S)
    assert found, f"no answer for {code}"
    return found.group(0)


# ---------------------------------------------------------------------------------------------
# The self-check.


def test_self_check_needs_no_login_and_offers_every_scheme_city() -> None:
    page = Client().get("/settlement/").content.decode()
    assert 'name="cities" value="beijing"' in page
    assert 'name="cities" value="shanghai"' in page
    assert "其他城市" in page
    assert 'hx-post="/settlement/"' in page  # htmx re-renders the answer on change


def test_self_check_scores_beijing_2020_facts_line_by_line_with_citations() -> None:
    status, page = check(beijing_2020())
    assert status == 200
    beijing = card(page, 110000)
    assert 'data-testid="score-beijing">70.00' in beijing
    for label, points in (("合法稳定就业", "30.00"), ("合法稳定住所", "5.00"), ("年龄", "20.00")):
        assert re.search(rf"{label}</td><td[^>]*>{points}", beijing), label
    assert "教育背景" in beijing
    assert "BJ20" in beijing  # every line cites the 2020 measures
    assert "符合积分落户的申请条件" in beijing
    assert "取得更高一级学历学位" in beijing  # what would raise the score
    assert "逐行查看计算过程和依据" in beijing


def test_provisional_values_are_marked_visibly() -> None:
    _, page = check(beijing_2020())
    beijing = card(page, 110000)
    assert "含暂定数值" in beijing
    lines = re.search(r'<ul class="lines">(.*?)</ul>', beijing, re.S)
    assert lines
    assert '<span class="badge-provisional">暂定</span>' in lines.group(1)


def test_shanghai_says_it_grants_permit_benefits_not_hukou() -> None:
    _, page = check(beijing_2020())
    shanghai = card(page, 310000)
    assert "不是落户" in shanghai
    assert "居住证持有人的相应待遇" in shanghai
    assert "120" in shanghai
    assert "居转户" in shanghai


def test_a_small_city_lets_her_settle_and_cities_are_compared_side_by_side() -> None:
    _, page = check(beijing_2020(other_cities="信阳, 510100"))
    assert "城市对比" in page
    assert "可以在这里落户" in card(page, 411500) or "户口已在这个城市" in card(page, 411500)
    assert 'href="#city-510100"' in page


def test_a_missing_precondition_says_she_may_not_apply_yet() -> None:
    _, page = check(beijing_2020(si_months_beijing="60"))
    beijing = card(page, 110000)
    assert "还不符合积分落户的申请条件" in beijing
    assert "未满足" in beijing


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"si_months_beijing": "abc"}, "si_months_beijing", "整数"),
        ({"si_months_beijing": "-3"}, "si_months_beijing", "0"),
        ({"birth_date": "1985-13-01"}, "birth_date", "日期"),
        ({"other_cities": "不存在的城市"}, "other_cities", "没有找到城市"),
        ({"hukou_region": ""}, "hukou_region", "必填"),
        ({"beijing__holds_residence_permit": ""}, "beijing__holds_residence_permit", "需要这一项"),
        ({"cities": [], "other_cities": ""}, "cities", "至少选择一个城市"),
    ],
)
def test_bad_input_gives_field_errors_not_a_500(
    change: dict[str, Any], field: str, words: str
) -> None:
    status, page = check(beijing_2020(**change))
    assert status == 422
    error = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert error, f"no error at {field}"
    assert words in error.group(1)
    assert f'href="#id_{field}"' in page  # the summary links to the field


def test_htmx_gets_the_fragment_with_errors_as_200() -> None:
    status, page = check(beijing_2020(si_months_beijing="x"), **{"HX-Request": "true"})
    assert status == 200
    assert not page.lstrip().startswith("<!doctype")
    assert 'id="id_si_months_beijing_error"' in page


def test_a_signed_in_citizen_starts_from_her_registry_records(world: World) -> None:
    page = login(Client(), world.henan_migrant).get("/settlement/").content.decode()
    assert "已按您的登记记录预先填写" in page
    assert 'name="birth_date" id="id_birth_date" value="1999-03-14"' in page
    assert 'name="hukou_region" id="id_hukou_region" value="411502"' in page
    assert re.search(r'name="beijing__holds_residence_permit" value="yes"[^>]*checked', page)


# ---------------------------------------------------------------------------------------------
# Applying.


def token_of(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found, "the form has no one-time token"
    return found.group(1)


def application_form(token: str, **changes: str) -> dict[str, str]:
    return {
        "form_token": token,
        "holds_residence_permit": "yes",
        "birth_date": "1999-03-14",
        "retirement_group": "men",
        "si_months_beijing": "96",
        "has_criminal_record": "no",
        "education": "bachelor",
        "education_matched": "on",
        **changes,
    }


def test_apply_shows_registry_facts_and_the_secret_once(bj: Round, world: World) -> None:
    client = login(Client(), world.henan_migrant)
    form = client.get(f"/settlement/rounds/{bj.pk}/apply/").content.decode()
    assert "登记记录中的信息" in form
    assert "1999-03-14" in form
    response = client.post(f"/settlement/rounds/{bj.pk}/apply/", application_form(token_of(form)))
    assert response.status_code == 201
    page = response.content.decode()
    secret = re.search(r'data-testid="receipt-secret">([A-Z2-7-]+)<', page)
    assert secret, "the receipt secret is shown"
    assert "只显示这一次" in page
    assert 'download="liudong-settlement-' in page
    assert response["Cache-Control"] == "no-store"
    application = Application.objects.get(round=bj, person=world.migrant)
    assert application.receipt_key == commitments.receipt_key(secret.group(1)).hex()
    assert secret.group(1) not in str(application.__dict__)
    mine = client.get(f"/settlement/applications/{application.pk}/").content.decode()
    assert secret.group(1) not in mine
    assert "已提交" in mine


def test_declared_facts_that_differ_from_the_registry_are_flagged(bj: Round, world: World) -> None:
    client = login(Client(), world.henan_migrant)
    token = token_of(client.get(f"/settlement/rounds/{bj.pk}/apply/").content.decode())
    page = client.post(
        f"/settlement/rounds/{bj.pk}/apply/", application_form(token, birth_date="1990-01-01")
    ).content.decode()
    assert "与登记记录不一致的项目" in page
    assert "1990-01-01" in page


def test_bad_facts_are_field_errors_and_a_second_application_is_a_conflict(
    bj: Round, world: World
) -> None:
    client = login(Client(), world.henan_migrant)
    url = f"/settlement/rounds/{bj.pk}/apply/"
    token = token_of(client.get(url).content.decode())
    bad = client.post(url, application_form(token, si_months_beijing="999999"))
    assert bad.status_code == 422
    assert 'id="id_si_months_beijing_error"' in bad.content.decode()
    assert not Application.objects.exists()
    assert client.post(url, application_form(token_of(bad.content.decode()))).status_code == 201
    again = client.post(url, application_form(token_of(client.get(url).content.decode())))
    assert again.status_code == 409
    assert "已有一份有效申请" in again.content.decode()
    assert Application.objects.count() == 1


def test_the_same_form_submitted_twice_applies_once(bj: Round, world: World) -> None:
    client = login(Client(), world.henan_migrant)
    url = f"/settlement/rounds/{bj.pk}/apply/"
    data = application_form(token_of(client.get(url).content.decode()))
    assert client.post(url, data).status_code == 201
    assert client.post(url, data).status_code == 302
    assert Application.objects.count() == 1


def migrant_applies(world: World, rnd: Round) -> actions.Filed:
    """The migrant applies by the action, with her declared facts only."""
    return actions.do_apply(
        world.henan_migrant,
        rnd,
        facts={
            "holds_residence_permit": True,
            "birth_date": "1999-03-14",
            "retirement_group": "men",
            "si_months_beijing": 96,
            "has_criminal_record": False,
        },
    )


def test_her_case_page_shows_the_score_explained_and_deadlines(bj: Round, world: World) -> None:
    filed = migrant_applies(world, bj)
    client = login(Client(), world.henan_migrant)
    page = client.get(f"/settlement/applications/{filed.application.pk}/").content.decode()
    assert "申请时的预估积分" in page
    assert "逐行查看计算过程和依据" in page
    assert "本环节办理期限" in page
    assert "个工作日" in page
    assert "撤回申请" in page


# ---------------------------------------------------------------------------------------------
# Refusals.


def test_another_citizen_cannot_see_her_application(bj: Round, world: World) -> None:
    filed = migrant_applies(world, bj)
    url = f"/settlement/applications/{filed.application.pk}/"
    assert login(Client(), world.other_citizen).get(url).status_code == 404
    assert login(Client(), world.beijing_caseworker).get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to sign in


def test_the_receipt_check_explains_a_malformed_receipt() -> None:
    response = Client().post("/settlement/verify/", {"receipt": "not json", "secret": "A" * 52})
    assert response.status_code == 422
    assert "这不是完整的回执" in response.content.decode()
    unknown = Client().post(
        "/settlement/verify/",
        {"receipt": '{"entry": {"round_id": 99, "list_version": 1}}', "secret": "A" * 52},
    )
    assert unknown.status_code == 200
    assert "核对不一致" in unknown.content.decode()
