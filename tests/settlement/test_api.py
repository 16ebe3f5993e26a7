"""The settlement API: public schemes, self-check and lists; a round through its operations;
bad input as designed errors that change nothing; every operation in the OpenAPI document."""

from __future__ import annotations

import base64
import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest

from liudong.settlement.models import Application, IndicatorVerification, RankingList, Round
from liudong.site.api import api
from liudong.tasks import run_pending
from tests.apiclient import Api, error_of
from tests.evidence.samples import GIF, PDF
from tests.settlement.rounds_helpers import TODAY, after_review_window, facts

if TYPE_CHECKING:
    import time_machine

    from tests.personas import World


def _open(world: World, **change: object) -> dict[str, Any]:
    body = {
        "scheme": "beijing",
        "year": 2026,
        "quota": 1,
        "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY + dt.timedelta(days=7)).isoformat(),
        **change,
    }
    response = Api(world.beijing_caseworker).post("/settlement/rounds", body)
    return {"status": response.status_code, "body": response.json()}


def test_every_settlement_operation_is_in_the_openapi_document() -> None:
    paths = api.get_openapi_schema(path_prefix="/api/")["paths"]
    settlement = {p for p in paths if p.startswith("/api/settlement/")}
    for path in (
        "/api/settlement/check",
        "/api/settlement/schemes",
        "/api/settlement/rounds",
        "/api/settlement/rounds/{round_id}/applications",
        "/api/settlement/rounds/{round_id}/lists/{version}",
        "/api/settlement/receipts/verify",
        "/api/settlement/applications/{application_id}/verifications",
        "/api/settlement/objections/{objection_id}/decision",
    ):
        assert path in settlement, path


@pytest.mark.django_db
def test_schemes_and_self_check_need_no_sign_in() -> None:
    schemes = Api().get("/settlement/schemes")
    assert schemes.status_code == 200
    keys = {s["key"] for s in schemes.json()}
    assert {"beijing", "shanghai"} <= keys
    beijing = Api().get("/settlement/schemes/beijing").json()
    assert any(f["name"] == "si_months_beijing" and f["needs_employer"] for f in beijing["fields"])
    answer = Api().post(
        "/settlement/check",
        {"region": 110105, "facts": {**facts(dt.date(1990, 1, 1)), "hukou_region": 411502}},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["scheme"] == "beijing"
    assert body["assessment"]["score"]
    assert body["assessment"]["items"][0]["cite"]
    bad = Api().post("/settlement/schemes/beijing/assess", {"facts": {"si_months_beijing": "x"}})
    assert bad.status_code == 422
    assert error_of(bad)["field"].startswith("facts.")


def test_round_without_quota_is_refused(traveller: time_machine.Traveller, world: World) -> None:
    for quota, code in ((None, "required"), (0, "quota_not_positive")):
        refused = _open(world, quota=quota)
        assert refused["status"] == 422
        assert refused["body"]["error"]["field"] == "quota"
        assert refused["body"]["error"]["code"] == code
    assert not Round.objects.exists()


def test_a_round_through_the_api(traveller: time_machine.Traveller, world: World) -> None:
    opened = _open(world)
    assert opened["status"] == 201, opened
    round_id = opened["body"]["id"]
    assert Api().get(f"/settlement/rounds/{round_id}").json()["ruleset"].startswith("beijing/")

    citizen = Api(world.henan_migrant)
    body = {"facts": facts(world.migrant.birth_date)}
    filed = citizen.post(f"/settlement/rounds/{round_id}/applications", body)
    assert filed.status_code == 201, filed.content
    secret = filed.json()["receipt_secret"]
    application_id = filed.json()["application"]["id"]
    again = citizen.post(f"/settlement/rounds/{round_id}/applications", body)
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_applied"
    assert Application.objects.count() == 1
    mine = citizen.get("/settlement/applications").json()
    assert [a["id"] for a in mine["items"]] == [application_id]

    employer = Api(world.employer_rep)
    confirmed = employer.post(f"/settlement/applications/{application_id}/employment-confirmation")
    assert confirmed.status_code == 200, confirmed.content

    staff = Api(world.beijing_caseworker)
    wrong = staff.post(
        f"/settlement/applications/{application_id}/verifications",
        {
            "indicator": "si_months_beijing",
            "value": 96,
            "files": [{"filename": "p.gif", "data_base64": base64.b64encode(GIF).decode()}],
        },
    )
    assert wrong.status_code == 422
    assert error_of(wrong)["code"] == "evidence_type_not_allowed"
    assert not IndicatorVerification.objects.exists()
    application = Application.objects.get()
    for indicator, value in application.declared.items():
        if application.registry.get(indicator) == value:
            continue
        done = staff.post(
            f"/settlement/applications/{application_id}/verifications",
            {
                "indicator": indicator,
                "value": value,
                "files": [
                    {
                        "filename": "p.pdf",
                        "content_type": "application/pdf",
                        "data_base64": base64.b64encode(PDF).decode(),
                    }
                ],
            },
        )
        assert done.status_code == 201, done.content
    finished = staff.post(f"/settlement/applications/{application_id}/finish-verification")
    assert finished.status_code == 200, finished.content
    queue = Api(world.beijing_supervisor).get("/settlement/queue").json()
    assert [a["id"] for a in queue["items"]] == [application_id]

    supervisor = Api(world.beijing_supervisor)
    early = supervisor.post(f"/settlement/applications/{application_id}/confirm")
    assert error_of(early)["code"] == "round_not_closed"
    rnd = Round.objects.get()
    after_review_window(traveller, rnd, TODAY)
    # sessions time out while the clock moves on: sign in again
    staff, supervisor = Api(world.beijing_caseworker), Api(world.beijing_supervisor)
    citizen = Api(world.henan_migrant)
    assert staff.post(f"/settlement/rounds/{round_id}/close").status_code == 200
    assert supervisor.post(f"/settlement/applications/{application_id}/confirm").status_code == 200
    ranked = staff.post(f"/settlement/rounds/{round_id}/rank")
    assert ranked.status_code == 202
    assert ranked.json()["ranking_task_id"]
    run_pending()
    assert Api().get(f"/settlement/rounds/{round_id}/lists").json() == []  # not yet published
    assert staff.post(f"/settlement/rounds/{round_id}/notice").status_code == 200

    versions = Api().get(f"/settlement/rounds/{round_id}/lists").json()
    assert [v["version"] for v in versions] == [1]
    listing = Api().get(f"/settlement/rounds/{round_id}/lists/1").json()
    assert listing["root"] == RankingList.objects.get().root
    assert listing["entries"][0]["name_masked"] == "王**"
    assert world.migrant.name not in str(listing)

    receipt = citizen.get(f"/settlement/applications/{application_id}/receipt").json()
    checked = Api().post("/settlement/receipts/verify", {"receipt": receipt, "secret": secret})
    assert checked.json()["ok"] is True
    other = Api(world.other_citizen).get(f"/settlement/applications/{application_id}/receipt")
    assert other.status_code == 404

    objection = Api(world.other_citizen).post(
        f"/settlement/rounds/{round_id}/lists/1/objections",
        {"grounds": "不符合连续缴纳社保7年的条件", "entry_ref": receipt["entry"]["entry_ref"]},
    )
    assert objection.status_code == 201, objection.content
    objections = staff.get(f"/settlement/rounds/{round_id}/objections").json()
    assert len(objections) == 1
    assert "objector" not in objections[0]
    decided = supervisor.post(
        f"/settlement/objections/{objections[0]['id']}/decision",
        {"upheld": False, "decision": "经核实社保缴纳连续，异议不成立"},
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "dismissed"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "receipt",
    [
        {},
        {"entry": "x"},
        {"entry": {"round_id": 10**30, "list_version": 1}},
        {"entry": {"round_id": 1, "list_version": -1}},
        {"format": "liudong.settlement.receipt/1", "entry": {"round_id": "a"}},
    ],
)
def test_malformed_receipts_are_answered_not_crashed(receipt: dict[str, Any]) -> None:
    checked = Api().post("/settlement/receipts/verify", {"receipt": receipt, "secret": "x"})
    assert checked.status_code == 200
    assert checked.json()["ok"] is False
    assert checked.json()["code"] == "unknown_list"


@pytest.mark.django_db
def test_self_check_bad_input_names_the_field() -> None:
    unknown = Api().post("/settlement/check", {"region": 999999, "facts": {}})
    assert unknown.status_code == 422
    assert error_of(unknown)["field"] == "region"
    extra = Api().post("/settlement/check", {"region": 110105, "facts": {}, "pets": 1})
    assert extra.status_code == 422
    assert error_of(extra)["code"] == "unknown_field"
    missing = Api().get("/settlement/schemes/atlantis")
    assert missing.status_code == 404
