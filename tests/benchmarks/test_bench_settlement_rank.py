"""Smoke test of the settlement round benchmark on 2,000 applications (no timing targets: that
is ``python -m benchmarks.bench_settlement_rank``).

Every peer must agree with liudong: Polars and ``sorted()`` admit the same applicants as
``ranking.cut``, and both per-entry loops (gmssl-pyx and liudong.crypto SM3, recursive RFC 9162
tree) reproduce the Merkle root of ``commitments.publish``; sampled proofs verify.
"""

from __future__ import annotations

import pytest

from benchmarks.bench_settlement_rank import ON, applications, main, run
from liudong.settlement.schemes import scheme


@pytest.mark.parametrize("score_rules", [True, False], ids=["assess-table", "synthetic-scores"])
def test_peers_agree_on_a_small_round(score_rules: bool) -> None:
    report = run(2_000, seed=3, quota=150, peers=True, score_rules=score_rules)
    assert report["admitted"] >= min(150, report["eligible"])
    assert {"polars_s", "python_sorted_s", "loop_same_lib_s", "loop_liudong_crypto_s"} <= set(
        report
    )


def test_synthetic_table_has_every_beijing_field() -> None:
    table = applications(50, seed=1)
    assert set(table.columns) == {f.name for f in scheme("beijing").fields_on(ON)}
    assert table.height == 50


def test_command_prints_the_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--size", "500", "--quota", "20", "--synthetic-scores", "--no-peers"])
    out = capsys.readouterr().out
    assert "settlement_rank applications=500 " in out
    assert "commit_root_s=" in out
