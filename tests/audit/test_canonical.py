"""The canonical form of an event and of a checkpoint statement: fixed, byte for byte."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from liudong.audit.canonical import EVENT_FIELDS, canonical, statement
from liudong.audit.models import AuditEvent

EVENT = {
    "seq": 42,
    "at": dt.datetime(2026, 3, 2, 1, 30, 0, 120_001, tzinfo=dt.UTC),
    "actor_id": 11,
    "actor": "li.na",
    "role": "staff",
    "agency": "bj-chaoyang-rsj",
    "action": "people.read_id_number",
    "object_type": "people.person",
    "object_id": "1018",
    "outcome": "ok",
    "detail": {"reason": "核对身份证号", "fields": ["id_number"], "amount": 10.25, "note": None},
    "request_id": "req000042x",
}


def test_every_stored_field_of_an_event_is_in_the_canonical_form() -> None:
    stored = {field.attname for field in AuditEvent._meta.concrete_fields}
    assert stored == set(EVENT_FIELDS), "a new field needs a new canonical version"


def test_canonical_form_is_sorted_compact_utf8_json_with_utc_microseconds() -> None:
    assert (
        canonical(EVENT)
        == (
            '{"action":"people.read_id_number","actor":"li.na","actor_id":11,'
            '"agency":"bj-chaoyang-rsj","at":"2026-03-02T01:30:00.120001Z",'
            '"detail":{"amount":10.25,"fields":["id_number"],"note":null,"reason":"核对身份证号"},'
            '"object_id":"1018","object_type":"people.person","outcome":"ok",'
            '"request_id":"req000042x","role":"staff","seq":42}'
        ).encode()
    )


def test_the_same_instant_in_beijing_time_gives_the_same_bytes() -> None:
    beijing = EVENT["at"].astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))  # type: ignore[attr-defined]  # EVENT["at"] is a datetime
    assert canonical({**EVENT, "at": beijing}) == canonical(EVENT)


def test_key_order_of_the_detail_does_not_matter() -> None:
    reordered = dict(reversed(list(EVENT["detail"].items())))  # type: ignore[attr-defined]  # a dict
    assert canonical({**EVENT, "detail": reordered}) == canonical(EVENT)


def test_a_value_that_is_not_a_time_still_hashes_and_differs() -> None:
    assert json.loads(canonical({**EVENT, "at": "2026-13-02 01:30:00"}))["at"] == (
        "2026-13-02 01:30:00"
    )


def test_the_checkpoint_statement() -> None:
    checkpoint = {
        "number": 3,
        "first_seq": 201,
        "last_seq": 240,
        "count": 40,
        "previous_head": "a" * 64,
        "head": "b" * 64,
        "sealed_at": dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC),
    }
    assert (
        statement(checkpoint)
        == (
            f"liudong-audit-checkpoint/1|3|201|240|40|{'a' * 64}|{'b' * 64}|"
            "2026-03-02T08:00:00.000000Z"
        ).encode()
    )
