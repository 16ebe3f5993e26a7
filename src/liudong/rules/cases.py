"""Rule cases: YAML files of inputs, a date and expected outputs, collected by pytest.

    # tests/assistance/cases/dibao.yaml
    - name: Beijing couple below the standard
      date: 2025-06-01
      households: [{household_id: 1, household_region: 110105, passes_asset_test: true}]
      persons:
        - {person_id: 1, household_id: 1, monthly_income: "500"}
        - {person_id: 2, household_id: 1, monthly_income: "0"}
      expect:
        dibao_eligible: true               # one row: a scalar
        dibao_payment: "2290.00"           # money in yuan
      tolerance: 0.001                     # for float outputs (absolute)
      reform: {name: ..., parameters: {...}}   # optional

A list under a variable gives one expected value per row of its entity, in input order.
``explain_contains`` optionally lists strings that the explanation of the first expected
variable (row 0), in zh-Hans or English, must contain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from liudong.rules.errors import InputError
from liudong.rules.explain import explain, render_text
from liudong.rules.reforms import Reform
from liudong.rules.simulation import Simulation

if TYPE_CHECKING:
    from pathlib import Path

    from liudong.rules.system import RuleSystem

__all__ = ["RuleCase", "RuleCaseError", "load_cases"]

CASE_KEYS = {"name", "date", "expect", "tolerance", "reform", "explain_contains", "description"}


class RuleCaseError(AssertionError):
    """A rule case whose outputs differ from what it expects."""


@dataclass
class RuleCase:
    file: Path
    name: str
    date: dt.date
    inputs: dict[str, list[dict[str, Any]]]
    expect: dict[str, Any]
    tolerance: float = 0.0
    reform: Reform | None = None
    explain_contains: list[str] = field(default_factory=list)

    def run(self, system: RuleSystem) -> None:
        """Compute every expected variable; raise RuleCaseError naming file, case and variable."""
        sim = Simulation.from_case(system, self.date, self.inputs, self.reform)
        problems = []
        for name, expected in self.expect.items():
            var = system.variable(name)
            got = sim.calculate(name)
            want = expected if isinstance(expected, list) else [expected] * len(got)
            if len(want) != len(got):
                problems.append(
                    f"{name}: expected {len(want)} values, the case has {len(got)} rows"
                )
                continue
            for row, (w, g) in enumerate(zip(want, got, strict=True)):
                wanted = var.vtype.parse(w, where=f"{self.name}: expect.{name}")
                if not _equal(wanted, g, self.tolerance):
                    shown = var.vtype.to_python(g)
                    problems.append(f"{name} (row {row}): expected {w!r}, got {shown!r}")
        for needle in self.explain_contains:
            target = next(iter(self.expect))
            texts = [render_text(explain(sim, target, 0), lang) for lang in ("zh", "en")]
            if not any(needle in t for t in texts):
                problems.append(f"explanation of {target} lacks {needle!r}:\n{texts[1]}")
        if problems:
            raise RuleCaseError(f"{self.file.name} :: {self.name}\n  " + "\n  ".join(problems))


def _equal(wanted: Any, got: Any, tolerance: float) -> bool:
    if isinstance(got, np.floating):
        return bool(abs(float(got) - float(wanted)) <= tolerance)
    return bool(got == wanted)


def load_cases(path: Path, system: RuleSystem) -> list[RuleCase]:
    """Every case of one YAML file (errors name the file and the case)."""
    raw = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(raw, list):
        raise InputError(f"{path}: a case file is a list of cases")
    plurals = {e.plural for e in system.entities.values()}
    cases = []
    for i, item in enumerate(raw):
        name = str(item.get("name", f"case {i + 1}")) if isinstance(item, dict) else f"case {i + 1}"
        where = f"{path.name} :: {name}"
        if not isinstance(item, dict) or "date" not in item or "expect" not in item:
            raise InputError(f"{where}: a case needs date, expect and the input rows")
        unknown = set(item) - CASE_KEYS - plurals
        if unknown:
            raise InputError(f"{where}: unknown keys {sorted(unknown)}")
        reform = Reform.from_json(item["reform"]) if "reform" in item else None
        cases.append(
            RuleCase(
                file=path,
                name=name,
                date=item["date"]
                if isinstance(item["date"], dt.date)
                else dt.date.fromisoformat(str(item["date"])),
                inputs={k: v for k, v in item.items() if k in plurals},
                expect=dict(item["expect"]),
                tolerance=float(item.get("tolerance", 0.0)),
                reform=reform,
                explain_contains=list(item.get("explain_contains", [])),
            )
        )
    return cases
