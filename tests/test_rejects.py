"""T11 bad input: every malformed request is refused with a 4xx, its stable code and the field
at fault; nothing in the registry changes; the refusal leaves exactly one ``rejected`` audit
event (and never a 5xx)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from liudong.audit.models import AuditEvent
from liudong.people.idnumber import check_digit
from liudong.people.models import HukouRecord, InsuranceSpell, Person, PersonEvent
from tests.apiclient import Api, error_of
from tests.factories import id_number

if TYPE_CHECKING:
    from tests.personas import World

pytestmark = pytest.mark.django_db


def _valid(**changes: Any) -> dict[str, Any]:
    body = {
        "id_number": id_number(110105, dt.date(1990, 7, 1), "F", 77),
        "name": "刘小红",
        "hukou_region": 110105,
        "hukou_type": "urban",
    }
    return {**body, **changes}


def _with_check(first17: str) -> str:
    return first17 + check_digit(first17)


def _bad_check_digit() -> str:
    good = str(_valid()["id_number"])
    return good[:17] + ("0" if good[17] != "0" else "1")


@dataclass(frozen=True)
class Bad:
    """One malformed request: JSON ``body`` or ``raw`` bytes, and what must come back."""

    status: int
    code: str
    field: str
    body: dict[str, Any] | None = None
    raw: bytes | None = None
    content_type: str = "application/json"
    path: str = "/people/persons"


PERSON_CASES = {
    "bad check digit": Bad(
        422, "id_check_digit", "id_number", _valid(id_number=_bad_check_digit())
    ),
    "bad region code": Bad(
        422, "id_region", "id_number", _valid(id_number=_with_check("990105199007010022"[:17]))
    ),
    "1999-02-30 in the ID": Bad(
        422, "id_birth_date", "id_number", _valid(id_number=_with_check("11010519990230002"))
    ),
    "1999-02-30 declared": Bad(422, "invalid", "birth_date", _valid(birth_date="1999-02-30")),
    "future birth date": Bad(
        422, "id_birth_future", "id_number", _valid(id_number=_with_check("11010520990101002"))
    ),
    "birth date not matching the ID": Bad(
        422, "birth_date_mismatch", "birth_date", _valid(birth_date="1990-07-02")
    ),
    "unknown region": Bad(422, "unknown_region", "hukou_region", _valid(hukou_region=110199)),
    "unknown JSON key": Bad(422, "unknown_field", "nickname", _valid(nickname="小红")),
    "missing JSON key": Bad(
        422, "required", "name", {k: v for k, v in _valid().items() if k != "name"}
    ),
    "ID number as a JSON number": Bad(422, "invalid", "id_number", _valid(id_number=1101051990)),
    "NUL in a name": Bad(422, "nul_character", "name", _valid(name="刘\x00小红")),
    "duplicate JSON key": Bad(
        422,
        "duplicate_key",
        "name",
        raw=b'{"name": "a", "name": "b", "hukou_region": 110105, "hukou_type": "urban"}',
    ),
    "lone surrogate": Bad(
        422,
        "lone_surrogate",
        "name",
        raw=json.dumps(_valid(name="X")).replace('"X"', '"\\ud800"').encode(),
    ),
    "NaN as a JSON number": Bad(
        400, "invalid_number", "body", raw=b'{"name": "a", "hukou_region": NaN}'
    ),
    "not UTF-8": Bad(400, "body_encoding", "body", raw='{"name": "刘小红"}'.encode("gbk")),
    "UTF-8 labelled GBK": Bad(
        400,
        "unsupported_charset",
        "body",
        raw=json.dumps(_valid(), ensure_ascii=False).encode(),
        content_type="application/json; charset=gbk",
    ),
    "not JSON": Bad(400, "invalid_json", "body", raw=b"{name: 1}"),
    "10 MB body": Bad(413, "body_too_large", "body", raw=b'{"name": "' + b"x" * 10_000_000 + b'"}'),
}


def _insurance(**changes: Any) -> dict[str, Any]:
    return {"scheme": "enterprise_pension", "city": 110000, "start": "2024-01-01", **changes}


MONEY_CASES = {
    "negative amount": Bad(
        422, "amount_negative", "monthly_base", _insurance(monthly_base="-1.00")
    ),
    "NaN amount": Bad(422, "amount_not_finite", "monthly_base", _insurance(monthly_base="NaN")),
    "3-decimal amount": Bad(
        422, "amount_precision", "monthly_base", _insurance(monthly_base="8000.001")
    ),
    "amount as a float": Bad(
        422, "money_not_string", "monthly_base", _insurance(monthly_base=8000.5)
    ),
    "amount as text": Bad(422, "amount_format", "monthly_base", _insurance(monthly_base="eight")),
}


def _rows() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Person, HukouRecord, PersonEvent, InsuranceSpell)
    }


def _check_refused(api: Api, bad: Bad, path: str) -> None:
    rows, last_event = (
        _rows(),
        AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first(),
    )
    response = api.post(path, bad.body, raw=bad.raw, content_type=bad.content_type)
    assert response.status_code == bad.status, response.content[:300]
    error = error_of(response)
    assert (error["code"], error["field"]) == (bad.code, bad.field)
    assert _rows() == rows
    events = AuditEvent.objects.filter(seq__gt=last_event or 0)
    assert [(e.outcome, e.detail["code"]) for e in events] == [("rejected", bad.code)]


@pytest.mark.parametrize("case", PERSON_CASES.values(), ids=PERSON_CASES.keys())
def test_bad_registration_is_refused_with_its_code(world: World, case: Bad) -> None:
    _check_refused(Api(world.beijing_caseworker), case, case.path)


@pytest.mark.parametrize("case", MONEY_CASES.values(), ids=MONEY_CASES.keys())
def test_bad_amounts_are_refused_with_their_code(world: World, case: Bad) -> None:
    _check_refused(
        Api(world.beijing_caseworker), case, f"/people/persons/{world.migrant.pk}/insurance"
    )


def test_duplicate_id_number_is_a_409_not_a_500(world: World) -> None:
    api = Api(world.beijing_caseworker)
    duplicate = Bad(
        409, "duplicate_id_number", "id_number", _valid(id_number=world.neighbour.id_number)
    )
    _check_refused(api, duplicate, "/people/persons")


def test_full_width_digits_are_accepted_and_normalised(world: World) -> None:
    ascii_number = _valid()["id_number"]
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in ascii_number)
    response = Api(world.beijing_caseworker).post("/people/persons", _valid(id_number=full_width))
    assert response.status_code == 201, response.content
    person = Person.objects.get(pk=response.json()["id"])
    assert person.id_number == ascii_number
    assert response.json()["id_masked"] == ascii_number[:6] + "*" * 8 + ascii_number[14:]


def test_an_amount_as_a_string_is_stored_exactly(world: World) -> None:
    path = f"/people/persons/{world.migrant.pk}/insurance"
    response = Api(world.beijing_caseworker).post(path, _insurance(monthly_base="8123.45"))
    assert response.status_code == 201, response.content
    assert response.json()["monthly_base"] == "8123.45"
    assert str(InsuranceSpell.objects.get(pk=response.json()["id"]).monthly_base) == "8123.45"
