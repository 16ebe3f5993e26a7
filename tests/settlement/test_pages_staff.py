"""The staff pages of points settlement, through HTTP: setting up a round, the review queue,
verifying indicators with uploaded evidence, a supervisor's confirmation (maker is not
checker, shown on the page), ranking in the background with progress, the notice, and the
applicant checking her entry against the published root."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from liudong.settlement import actions
from liudong.settlement.models import Application, Round, RoundStatus
from liudong.tasks import run_pending
from tests.evidence.samples import GIF, pdf_upload
from tests.personas import login
from tests.settlement.rounds_helpers import TODAY, after_review_window

if TYPE_CHECKING:
    import time_machine

    from liudong.accounts.models import User
    from tests.personas import World

pytestmark = pytest.mark.django_db


def apply(world: World, rnd: Round, user: User | None = None) -> actions.Filed:
    """The migrant applies and her employer confirms the employment indicators."""
    user = user or world.henan_migrant
    assert user.person is not None
    filed = actions.do_apply(
        user,
        rnd,
        facts={
            "holds_residence_permit": True,
            "birth_date": user.person.birth_date.isoformat(),
            "retirement_group": "men",
            "si_months_beijing": 96,
            "has_criminal_record": False,
            "education": "bachelor",
            "education_matched": True,
        },
    )
    actions.do_confirm_employment(world.employer_rep, filed.application)
    filed.application.refresh_from_db()
    return filed


def verify_by_page(client: Client, application: Application) -> None:
    """Verify, on the page, every declared indicator the registry does not confirm."""
    for name, value in sorted(application.declared.items()):
        if application.registry.get(name) == value:
            continue
        shown = ("是" if value else "否") if isinstance(value, bool) else str(value)
        response = client.post(
            f"/settlement/staff/applications/{application.pk}/verify/",
            {"indicator": name, "value": shown, "file": pdf_upload()},
        )
        assert response.status_code == 302, response.content.decode()[:2000]


def test_staff_set_up_a_round_and_a_missing_quota_is_a_field_error(
    traveller: time_machine.Traveller, world: World
) -> None:
    client = login(Client(), world.beijing_caseworker)
    data = {
        "scheme": "beijing",
        "year": "2027",
        "opens_on": "2026-12-01",
        "closes_on": "2026-12-31",
    }
    refused = client.post("/settlement/staff/rounds/", data)
    assert refused.status_code == 422
    assert 'id="id_quota_error"' in refused.content.decode()
    assert not Round.objects.exists()
    opened = client.post("/settlement/staff/rounds/", {**data, "quota": "6000"})
    assert opened.status_code == 302
    page = client.get(opened["Location"]).content.decode()
    assert "受理申请" in page
    assert "规则版本" in page


def test_another_citys_officer_gets_404_and_a_citizen_403(bj: Round, world: World) -> None:
    url = f"/settlement/staff/rounds/{bj.pk}/"
    assert login(Client(), world.shanghai_officer).get(url).status_code == 404
    assert login(Client(), world.henan_migrant).get("/settlement/staff/queue/").status_code == 403


def test_evidence_of_the_wrong_type_is_refused_on_the_page(bj: Round, world: World) -> None:
    application = apply(world, bj).application
    client = login(Client(), world.beijing_caseworker)
    response = client.post(
        f"/settlement/staff/applications/{application.pk}/verify/",
        {"indicator": "has_criminal_record", "value": "否", "file": pdf_upload("x.gif", GIF)},
    )
    assert response.status_code == 422
    assert not application.verifications.exists()


def test_the_supervisor_who_verified_may_not_confirm(bj: Round, world: World) -> None:
    application = apply(world, bj).application
    supervisor = login(Client(), world.beijing_supervisor)
    verify_by_page(supervisor, application)
    supervisor.post(f"/settlement/staff/applications/{application.pk}/step/")
    page = supervisor.get(f"/settlement/staff/applications/{application.pk}/").content.decode()
    assert 'data-testid="maker-warning"' in page
    assert "核实人：beijing_supervisor" in page


def test_a_round_from_verification_to_the_published_list(
    bj: Round, world: World, traveller: time_machine.Traveller
) -> None:
    filed = apply(world, bj)
    application = filed.application
    caseworker = login(Client(), world.beijing_caseworker)
    queue = caseworker.get("/settlement/staff/queue/").content.decode()
    assert "王建国" in queue
    detail = caseworker.get(f"/settlement/staff/applications/{application.pk}/").content.decode()
    assert "指标核实" in detail
    verify_by_page(caseworker, application)
    finished = caseworker.post(f"/settlement/staff/applications/{application.pk}/step/")
    assert finished.status_code == 302
    page = caseworker.get(f"/settlement/staff/applications/{application.pk}/").content.decode()
    assert "核实人：beijing_caseworker" in page
    assert "确认积分" not in page  # a caseworker does not confirm

    supervisor = login(Client(), world.beijing_supervisor)
    early = supervisor.post(f"/settlement/staff/applications/{application.pk}/confirm/")
    assert early.status_code == 302
    application.refresh_from_db()
    assert application.case is not None
    assert application.case.state == "verified"  # not before the round closes

    after_review_window(traveller, bj, TODAY)
    caseworker = login(Client(), world.beijing_caseworker)  # idle sessions have ended
    supervisor = login(Client(), world.beijing_supervisor)
    assert caseworker.post(f"/settlement/staff/rounds/{bj.pk}/close/").status_code == 302
    confirmed = supervisor.post(
        f"/settlement/staff/applications/{application.pk}/confirm/", follow=True
    )
    assert "积分已确认" in confirmed.content.decode(), confirmed.content.decode()[-3000:]
    application.refresh_from_db()
    assert application.case is not None
    assert application.case.state == "confirmed"

    assert caseworker.post(f"/settlement/staff/rounds/{bj.pk}/rank/").status_code == 302
    bj.refresh_from_db()
    assert bj.ranking_task_id
    polling = caseworker.get(f"/settlement/staff/rounds/{bj.pk}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in polling
    run_pending()
    done = caseworker.get(f"/settlement/staff/rounds/{bj.pk}/progress/").content.decode()
    assert "every 2s" not in done
    bj.refresh_from_db()
    assert bj.status == RoundStatus.RANKED

    assert caseworker.post(f"/settlement/staff/rounds/{bj.pk}/notice/").status_code == 302
    public = Client().get(f"/settlement/rounds/{bj.pk}/list/").content.decode()
    assert "王**" in public
    assert "王建国" not in public
    root = re.search(r'data-testid="root">([0-9a-f]{64})<', public)
    assert root

    migrant = login(Client(), world.henan_migrant)
    mine = migrant.get(f"/settlement/applications/{application.pk}/").content.decode()
    assert 'data-testid="rank">1<' in mine
    checked = migrant.post(
        f"/settlement/applications/{application.pk}/check/", {"secret": filed.secret}
    ).content.decode()
    assert "核对一致" in checked
    wrong = migrant.post(
        f"/settlement/applications/{application.pk}/check/", {"secret": "A" * 52}
    ).content.decode()
    assert "这不是这份申请的回执密钥" in wrong
    receipt = migrant.get(f"/settlement/applications/{application.pk}/receipt.json")
    assert receipt["Content-Type"] == "application/json"
    verified = Client().post(
        "/settlement/verify/", {"receipt": receipt.content.decode(), "secret": filed.secret}
    )
    assert "核对一致" in verified.content.decode()
    assert root.group(1) in verified.content.decode()
