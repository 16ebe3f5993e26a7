"""Decision records: a rule's decision stored with everything needed to show and replay it.

An action that lets a rule decide (eligibility, a score, a payment) calls :func:`decide` inside
its transaction. PIPL art. 24 asks that automated decisions be transparent and explained on
request; the record keeps the explanation as it was given, and :func:`replay` recomputes the
outputs with the code now installed (equal outputs under the same rule-set version; under
another version, the checkout of the recorded version replays it exactly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from liudong.audit.events import record
from liudong.audit.models import DecisionRecord
from liudong.rules import Simulation, default_system, explain

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping, Sequence

    from django.contrib.auth.models import AnonymousUser
    from django.db import models

    from liudong.accounts.models import User


@dataclass(frozen=True)
class Replay:
    outputs: dict[str, list[Any]]
    same_rule_set: bool
    same_outputs: bool


def decide(
    actor: User | AnonymousUser | None,
    action: str,
    target: models.Model | None,
    *,
    case: Mapping[str, Any],
    as_of: dt.date,
    variables: Sequence[str],
    explained: Sequence[str] = (),
) -> DecisionRecord:
    """Run the rules in force (no reform: decisions are made under the law) on one case, then
    store the decision and its audit event."""
    system = default_system()
    sim = Simulation.from_case(system, as_of, case)
    outputs = _outputs(sim, variables)
    explanations = {
        name: [explain(sim, name, row) for row in range(len(sim.calculate(name)))]
        for name in explained
    }
    event = record(
        actor,
        action,
        target,
        detail={"rule_set": system.version, "as_of": as_of.isoformat(), "outputs": outputs},
    )
    return DecisionRecord.objects.create(
        event=event,
        at=timezone.now(),
        action=action,
        object_type=event.object_type,
        object_id=event.object_id,
        rule_set=system.version,
        as_of=as_of,
        inputs=dict(case),
        outputs=outputs,
        explanations=explanations,
    )


def replay(decision: DecisionRecord) -> Replay:
    """Recompute a recorded decision with the installed rules."""
    system = default_system()
    sim = Simulation.from_case(system, decision.as_of, decision.inputs)
    outputs = _outputs(sim, list(decision.outputs))
    return Replay(
        outputs=outputs,
        same_rule_set=decision.rule_set == system.version,
        same_outputs=outputs == decision.outputs,
    )


def _outputs(sim: Simulation, variables: Sequence[str]) -> dict[str, list[Any]]:
    system = sim.system
    return {
        name: [system.variable(name).vtype.to_python(v) for v in sim.calculate(name)]
        for name in variables
    }
