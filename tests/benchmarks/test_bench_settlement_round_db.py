"""Smoke test of the database ranking-run benchmark on 200 applications (no timing targets:
that is ``python -m benchmarks.bench_settlement_round_db``).

The round the benchmark stores must rank through ``actions.rank`` to exactly the list of the
in-memory pipeline on the same data: the same admitted entries, cut-off, Merkle root, snapshot
hash and stored commitments (``measure`` raises otherwise).
"""

from __future__ import annotations

import pytest

from benchmarks.bench_settlement_round_db import build, main, measure
from liudong.settlement.models import Application, RankingEntry, Round, RoundStatus

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("assessments", ["full", "empty"])
def test_database_run_equals_the_in_memory_pipeline(assessments: str) -> None:
    pk = build(200, seed=3, quota=20, assessments=assessments)
    stored = Application.objects.filter(round_id=pk, case__state="confirmed", live=True)
    assert stored.count() == 200
    if assessments == "full":
        assert stored.first().verified_assessment["explanation"]  # type: ignore[union-attr]
    report = measure(pk, 200, seed=3)
    assert report["admitted"] >= 20
    assert Round.objects.get(pk=pk).status == RoundStatus.RANKED
    assert RankingEntry.objects.filter(list__round_id=pk).count() == 200


def test_command_prints_the_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--size", "200", "--quota", "20", "--assessments", "empty"])
    out = capsys.readouterr().out
    assert "settlement_round_db applications=200 database=sqlite assessments=empty " in out
    assert "ratio=" in out
