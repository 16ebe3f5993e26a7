"""Fixes from the QA walk-through of the demo: a local hukou cannot apply; only indicators
that claim something need verification; errors name indicators by their labels; the staff
verify form lists only the indicators in force; a case is routed where a caseworker sees it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from liudong.accounts.models import Role
from liudong.settlement import actions, schemes
from liudong.settlement.actions import Upload
from liudong.settlement.forms import ApplyForm, VerifyIndicatorForm
from liudong.settlement.models import Application
from liudong.site.errors import InvalidInputError
from tests.evidence.samples import PDF
from tests.factories import AgencyFactory, PersonFactory, UserFactory, region
from tests.personas import login
from tests.settlement.rounds_helpers import TODAY, at, facts

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from liudong.settlement.models import Round
    from tests.personas import World

pytestmark = pytest.mark.django_db


def form_facts(user: User, **claims: Any) -> dict[str, Any]:
    """Every fact the apply form submits for a BJ20 round: the defaults (zeros, "no",
    "none") wherever she claims nothing, as a browser sends them, and the hukou place the
    form prefills from the registry."""
    assert user.person is not None
    found = schemes.scheme("beijing")
    every = {f.name: f.default for f in found.fields_on(TODAY) if f.default is not None}
    hukou = user.person.hukou.filter(end__isnull=True).values_list("region_id", flat=True)
    return {**every, **facts(user.person.birth_date), "hukou_region": hukou.first(), **claims}


def verify(caseworker: User, application: Application, names: list[str]) -> None:
    for name in names:
        actions.do_verify_indicator(
            caseworker,
            application,
            indicator=name,
            value=application.declared.get(name, application.registry.get(name)),
            uploads=[Upload("proof.pdf", PDF, "application/pdf")],
        )
        application.refresh_from_db()


# ---------------------------------------------------------------------------------------------
# 1. A local hukou cannot apply; the rules agree everywhere.


def test_a_beijing_hukou_is_refused_on_the_hukou_field_and_nothing_is_stored(
    bj: Round, world: World
) -> None:
    neighbour = world.other_citizen  # hukou 朝阳区 110105
    assert neighbour.person is not None
    with pytest.raises(InvalidInputError) as refused:
        actions.do_apply(neighbour, bj, facts=facts(neighbour.person.birth_date))
    assert (refused.value.code, refused.value.field) == ("hukou_local", "facts.hukou_region")
    assert "您的户籍已在北京市，不需要积分落户" in refused.value.message
    assert not Application.objects.exists()


def test_declaring_a_beijing_hukou_is_refused_too(bj: Round, world: World) -> None:
    migrant = world.henan_migrant
    assert migrant.person is not None
    with pytest.raises(InvalidInputError) as refused:
        actions.do_apply(
            migrant, bj, facts={**facts(migrant.person.birth_date), "hukou_region": 110108}
        )
    assert refused.value.field == "facts.hukou_region"
    assert not Application.objects.exists()


def test_the_self_check_and_the_assessment_fail_the_permit_precondition_for_a_local_hukou() -> None:
    declared = {
        "holds_residence_permit": True,
        "birth_date": "1985-05-01",
        "retirement_group": "men",
        "si_months_beijing": 120,
        "has_criminal_record": False,
    }
    local = schemes.assess("beijing", {**declared, "hukou_region": 110105}, TODAY)
    away = schemes.assess("beijing", {**declared, "hukou_region": 510104}, TODAY)
    permit = {p.key: p.met for p in local.preconditions}["residence_permit"]
    assert (local.eligible, permit, away.eligible) == (False, False, True)
    answer = schemes.city_answer(110105, {**declared, "hukou_region": 110105}, TODAY)
    assert answer.assessment is not None
    assert not answer.assessment.eligible
    shanghai = schemes.assess(
        "shanghai",
        {"holds_residence_permit": True, "birth_date": "1990-01-01", "hukou_region": 310115},
        TODAY,
    )
    assert not shanghai.eligible


def test_the_registry_supplies_the_hukou_place(bj: Round, world: World) -> None:
    migrant = world.henan_migrant
    assert migrant.person is not None
    field = schemes.scheme("beijing").field("hukou_region")
    assert actions.registry_value(field, migrant.person, 110000, TODAY) == 411502


def test_the_self_check_page_says_a_local_hukou_may_not_apply(world: World) -> None:
    with time_machine.travel(at(TODAY), tick=False):
        page = Client().post(
            "/settlement/",
            {
                "cities": ["beijing"],
                "hukou_region": "110105",
                "months_resident": "120",
                "beijing__holds_residence_permit": "yes",
                "birth_date": "1985-05-01",
                "retirement_group": "men",
                "si_months_beijing": "120",
                "has_criminal_record": "no",
            },
        )
    assert page.status_code == 200, page.content.decode()[:2000]
    body = page.content.decode()
    assert body.count('name="hukou_region"') == 1  # asked once, under "your situation"
    assert 'class="verdict no"' in body  # the permit precondition is not met


# ---------------------------------------------------------------------------------------------
# 2. Only indicators that claim something need verification; 3. labels in errors.


def test_only_claims_preconditions_and_differences_need_verification(
    bj: Round, world: World
) -> None:
    migrant = world.henan_migrant
    declared = form_facts(migrant, bj_tax_qualifying_years=2)
    application = actions.do_apply(migrant, bj, facts=declared).application
    needed = actions.indicators_to_verify(application)
    assert "bj_tax_qualifying_years" in needed  # claims points
    assert {"has_criminal_record", "holds_residence_permit", "hukou_region"} <= set(needed)
    for nothing in (
        "bj_tax_violations",
        "bj_honour",
        "detention_records",
        "bj_residence_own_months",
    ):
        assert nothing not in needed  # declared zero or "no": claims nothing
    assert "bj_hitech_core_years" not in needed  # not in force under BJ20
    pending = actions.unverified_indicators(application)
    assert "holds_residence_permit" not in pending  # the registry agrees
    assert "hukou_region" not in pending  # the registry agrees
    actions.do_confirm_employment(world.employer_rep, application)
    application.refresh_from_db()
    verify(world.beijing_caseworker, application, pending)
    actions.do_finish_verification(world.beijing_caseworker, application)
    application.refresh_from_db()
    assert application.case is not None
    assert application.case.state == "verified"
    verified = set(application.verifications.values_list("indicator", flat=True))
    assert "bj_tax_violations" not in verified
    assert application.verifications.get(indicator="hukou_region").value == 411502


def test_unverified_indicators_are_named_by_their_labels(bj: Round, world: World) -> None:
    assert world.henan_migrant.person is not None
    undeclared = facts(world.henan_migrant.person.birth_date)  # no hukou_region: the registry's
    application = actions.do_apply(world.henan_migrant, bj, facts=undeclared).application
    assert "hukou_region" not in actions.unverified_indicators(application)
    with pytest.raises(InvalidInputError) as missing:
        actions.do_finish_verification(world.beijing_caseworker, application)
    assert "有刑事犯罪记录" in missing.value.message
    assert "has_criminal_record" not in missing.value.message
    application.refresh_from_db()
    with translation.override("en"), pytest.raises(InvalidInputError) as english:
        actions.do_finish_verification(world.beijing_caseworker, application)
    assert "has a criminal record" in english.value.message


def test_the_staff_page_marks_what_needs_no_evidence(bj: Round, world: World) -> None:
    application = actions.do_apply(
        world.henan_migrant, bj, facts=form_facts(world.henan_migrant)
    ).application
    client = login(Client(), world.beijing_caseworker)
    page = client.get(f"/settlement/staff/applications/{application.pk}/").content.decode()
    assert "无需核实" in page
    assert 'data-testid="needs-verification"' in page


# ---------------------------------------------------------------------------------------------
# 4. Only indicators in force on the round's date.


def test_the_verify_form_and_action_offer_only_indicators_in_force(bj: Round, world: World) -> None:
    found = schemes.scheme("beijing")
    form = VerifyIndicatorForm(scheme=found, on=bj.assessed_on, evidence=[])
    offered = {code for code, _label in form.fields["indicator"].choices}  # type: ignore[attr-defined]
    assert "bj_hitech_core_years" not in offered
    assert "bj_hitech_share_tier" in offered
    older = VerifyIndicatorForm(scheme=found, on=dt.date(2019, 6, 1), evidence=[])
    assert "bj_hitech_core_years" in {c for c, _ in older.fields["indicator"].choices}  # type: ignore[attr-defined]
    application = actions.do_apply(
        world.henan_migrant, bj, facts=form_facts(world.henan_migrant)
    ).application
    with pytest.raises(InvalidInputError) as refused:
        actions.do_verify_indicator(
            world.beijing_caseworker,
            application,
            indicator="bj_hitech_core_years",
            value=2,
            uploads=[Upload("p.pdf", PDF, "application/pdf")],
        )
    assert (refused.value.code, refused.value.field) == ("unknown_indicator", "indicator")


# ---------------------------------------------------------------------------------------------
# 5. Routing: where she lives, and always where a caseworker sees it.


def sichuan_citizen() -> User:
    """A Chengdu hukou holder with no residence permit in the registry."""
    person = PersonFactory.create(
        name="刘川", sex="F", birth_date=dt.date(1990, 4, 2), hukou=510104
    )
    user: User = UserFactory.create(username="sichuan", role=Role.CITIZEN, person=person)
    return user


def test_without_a_permit_the_case_goes_where_a_caseworker_sees_it(bj: Round, world: World) -> None:
    user = sichuan_citizen()
    assert user.person is not None
    application = actions.do_apply(user, bj, facts=facts(user.person.birth_date)).application
    assert application.case is not None
    assert application.case.jurisdiction_id == 110105  # not 110000, which no agency covers
    assert actions.applications_for(world.beijing_caseworker).filter(pk=application.pk).exists()


def test_the_declared_residence_district_decides_where_an_agency_covers_it(
    bj: Round, world: World
) -> None:
    haidian = AgencyFactory.create(code="bj-haidian-employment", name="海淀", region=110108)
    officer = UserFactory.create(username="haidian_staff", role=Role.STAFF, agency=haidian)
    user = sichuan_citizen()
    assert user.person is not None
    application = actions.do_apply(
        user, bj, facts=facts(user.person.birth_date), residence_district=110108
    ).application
    assert application.case is not None
    assert application.case.jurisdiction_id == 110108
    assert actions.applications_for(officer).filter(pk=application.pk).exists()
    assert not actions.applications_for(world.beijing_caseworker).filter(pk=application.pk).exists()


def test_a_district_outside_the_city_is_refused(bj: Round, world: World) -> None:
    region(310115)
    user = sichuan_citizen()
    assert user.person is not None
    with pytest.raises(InvalidInputError) as refused:
        actions.do_apply(user, bj, facts=facts(user.person.birth_date), residence_district=310115)
    assert (refused.value.code, refused.value.field) == ("invalid_district", "residence_district")
    assert not Application.objects.exists()


def test_the_apply_form_asks_the_district_and_keeps_it_out_of_the_facts(bj: Round) -> None:
    found = schemes.scheme("beijing")
    form = ApplyForm(
        data={
            **{k: str(v) for k, v in facts(dt.date(1990, 1, 1)).items()},
            "residence_district": "110108",
        }
        | {"holds_residence_permit": "yes", "has_criminal_record": "no", "education_matched": "on"},
        scheme=found,
        on=bj.assessed_on,
        districts=[(110105, "朝阳区"), (110108, "海淀区")],
    )
    assert form.is_valid(), form.errors
    assert form.residence_district() == 110108
    assert "residence_district" not in form.facts()


def test_the_api_takes_the_residence_district_and_refuses_one_outside_the_city(
    bj: Round, world: World
) -> None:
    from tests.apiclient import Api, error_of

    region(310115)
    user = sichuan_citizen()
    assert user.person is not None
    path = f"/settlement/rounds/{bj.pk}/applications"
    body: dict[str, Any] = {"facts": facts(user.person.birth_date)}
    refused = Api(user).post(path, {**body, "residence_district": 310115})
    assert refused.status_code == 422
    assert error_of(refused)["field"] == "residence_district"
    assert not Application.objects.exists()
    haidian = AgencyFactory.create(code="bj-haidian-employment", name="海淀", region=110108)
    UserFactory.create(username="haidian_staff", role=Role.STAFF, agency=haidian)
    applied = Api(user).post(path, {**body, "residence_district": 110108})
    assert applied.status_code == 201, applied.content
    application = Application.objects.get()
    assert application.case is not None
    assert application.case.jurisdiction_id == 110108
