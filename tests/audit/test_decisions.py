"""Decision records: a rule's decision kept with its rule set, inputs, outputs, explanation."""

from __future__ import annotations

import datetime as dt

import pytest

from liudong.audit.decisions import decide, replay
from liudong.audit.models import AuditEvent, DecisionRecord
from liudong.rules import default_system

pytestmark = pytest.mark.django_db

CASE = {
    "households": [{"household_id": 1, "household_region": 110105, "passes_asset_test": True}],
    "persons": [
        {"person_id": 1, "household_id": 1, "monthly_income": "500"},
        {"person_id": 2, "household_id": 1, "monthly_income": "0"},
    ],
}


def test_a_decision_records_rule_set_inputs_outputs_and_explanation() -> None:
    decision = decide(
        None,
        "assistance.decide_dibao",
        None,
        case=CASE,
        as_of=dt.date(2025, 6, 1),
        variables=["dibao_eligible", "dibao_payment"],
        explained=["dibao_payment"],
    )
    stored = DecisionRecord.objects.get(pk=decision.pk)
    assert stored.rule_set == default_system().version
    assert stored.outputs == {"dibao_eligible": [True], "dibao_payment": ["2290.00"]}
    assert stored.inputs == CASE
    explanation = stored.explanations["dibao_payment"][0]
    assert explanation["schema"] == "liudong.explain/1"
    assert explanation["root"]["citation"]["document"] == "SA14"
    assert AuditEvent.objects.get(pk=stored.event_id).action == "assistance.decide_dibao"


def test_a_recorded_decision_replays_to_the_same_outputs() -> None:
    decision = decide(
        None,
        "assistance.decide_dibao",
        None,
        case=CASE,
        as_of=dt.date(2026, 7, 1),
        variables=["dibao_payment"],
    )
    again = replay(decision)
    assert again.same_rule_set
    assert again.same_outputs
    assert again.outputs == {"dibao_payment": ["2290.00"]}
