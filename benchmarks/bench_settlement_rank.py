"""Settlement round benchmark: score, rank and cut N applications, then commit and publish.

    uv run python -m benchmarks.bench_settlement_rank                 # 1M applications
    uv run python -m benchmarks.bench_settlement_rank --size 100k --quota 6000

Issue 5 targets (2-core machine): score, rank and cut 1M applications in under 10 s; their
commitments and Merkle root in under 30 s more. Every step runs in this process on the same
data as its peers, whose results must equal ours before anything is printed:

1. **score**: ``schemes.assess_table("beijing", table, on)`` over a synthetic table built from
   the Beijing scheme's own field list (values drawn per field: synthetic, not calibrated);
2. **rank+cut**: ``ranking.cut`` (competition ranks of the eligible, Beijing's
   ``admit_all_tied``); peers: Polars ``rank("min", descending=True)`` of the eligible and
   ``filter(rank <= quota)`` (the same admitted set: with competition ranks, rank <= quota is
   exactly "at or above the score of the last place"), and plain Python ``sorted()``;
3. **commit+root**: ``ranking.publication_order``, ``commitments.commit_columns`` (HMAC-SM3 per
   entry under its own key) and ``commitments.publish`` (Merkle tree kept for proofs, root,
   snapshot hash); peers: a straightforward per-entry loop (one ``Entry`` and one ``commit`` per
   applicant) and the recursive RFC 9162 Merkle tree hash, once with the same SM3 library
   (gmssl-pyx) and once with ``liudong.crypto`` (``cryptography``'s SM3);
4. **proofs**: 1,000 inclusion proofs issued and verified (reported, not a target).

The run ends with one line::

    settlement_rank applications=N score_s=A rank_cut_s=B polars_s=C python_sorted_s=D
    commit_root_s=E loop_same_lib_s=F loop_liudong_crypto_s=G score_rank_cut_s=A+B
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import time
from typing import TYPE_CHECKING, Any, TypeVar

import gmssl_pyx
import numpy as np
import polars as pl

from benchmarks.run import parse_size
from liudong import crypto
from liudong.settlement import commitments as cm
from liudong.settlement.ranking import cut, publication_order
from liudong.settlement.schemes import Field, assess_table, scheme

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["applications", "main", "run"]

ON = dt.date(2025, 6, 1)
ROUND_ID = 2025
RULESET = "beijing/bench"
T = TypeVar("T")

# Plausible shares for facts most applicants share; any other field is drawn from its range
# (mostly its default), so a field the scheme adds later is exercised without editing this file.
_SHARE_TRUE = {"holds_residence_permit": 0.95, "has_criminal_record": 0.01}
_RANGES = {
    "si_months_beijing": (36, 300),
    "bj_residence_own_months": (0, 240),
    "bj_residence_rent_months": (0, 240),
}


def applications(n: int, seed: int, on: dt.date = ON) -> pl.DataFrame:
    """A synthetic table of ``n`` Beijing applications, one column per field of the scheme."""
    rng = np.random.default_rng(seed)
    return pl.DataFrame([_column(f, n, rng) for f in scheme("beijing").fields_on(on)])


def _column(f: Field, n: int, rng: np.random.Generator) -> pl.Series:
    if f.kind == "bool":
        share = _SHARE_TRUE.get(f.name, 0.9 if f.default is True else 0.1)
        return pl.Series(f.name, rng.random(n) < share)
    if f.kind == "date":
        start, end = dt.date(1966, 1, 1).toordinal(), dt.date(2000, 12, 31).toordinal()
        days = rng.integers(start, end, n) - dt.date(1970, 1, 1).toordinal()
        return pl.Series(f.name, days.astype("datetime64[D]"))
    if f.kind == "choice":
        codes = [code for code, _ in f.choices]
        return pl.Series(f.name, np.asarray(codes)[rng.integers(0, len(codes), n)])
    low, high = _RANGES.get(f.name, (f.minimum or 0, min(f.maximum or 120, 120)))
    values = rng.integers(low, high + 1, n)
    if f.default is not None and f.name not in _RANGES:
        values = np.where(rng.random(n) < 0.85, int(f.default), values)  # type: ignore[call-overload]  # an int default
    return pl.Series(f.name, values.astype(np.int64))


def _timed(step: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = step()
    return result, time.perf_counter() - start


def polars_admitted(score: np.ndarray, eligible: np.ndarray, quota: int) -> np.ndarray:
    frame = pl.DataFrame({"row": np.arange(score.size), "score": score, "eligible": eligible})
    ranked = frame.filter(pl.col("eligible")).with_columns(
        pl.col("score").rank("min", descending=True).alias("rank")
    )
    rows = ranked.filter(pl.col("rank") <= quota).get_column("row").to_numpy()
    admitted = np.zeros(score.size, dtype=np.bool_)
    admitted[rows] = True
    return admitted


def python_admitted(score: Sequence[int], eligible: Sequence[bool], quota: int) -> list[bool]:
    order = sorted((i for i in range(len(score)) if eligible[i]), key=lambda i: -score[i])
    admitted = [False] * len(score)
    rank, previous = 0, None
    for position, i in enumerate(order, start=1):
        if score[i] != previous:
            rank, previous = position, score[i]
        if rank > quota:
            break
        admitted[i] = True
    return admitted


def loop_root(
    keys: Sequence[bytes],
    refs: Sequence[str],
    score: np.ndarray,
    ranks: np.ndarray,
    admitted: np.ndarray,
    sm3: Callable[[bytes], bytes],
    hmac_sm3: Callable[[bytes, bytes], bytes],
) -> bytes:
    """The straightforward peer: one Entry and one HMAC per applicant, then the recursive tree."""
    leaves = []
    for key, ref, s, r, a in zip(
        keys, refs, score.tolist(), ranks.tolist(), admitted.tolist(), strict=True
    ):
        entry = cm.Entry(ROUND_ID, 1, ref, s, r, a)
        leaves.append(sm3(b"\x00" + hmac_sm3(key, cm.entry_bytes(entry))))

    def mth(nodes: list[bytes]) -> bytes:
        if len(nodes) == 1:
            return nodes[0]
        split = 1 << ((len(nodes) - 1).bit_length() - 1)
        return sm3(b"\x01" + mth(nodes[:split]) + mth(nodes[split:]))

    return mth(leaves)


def synthetic_scores(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores drawn directly (no rules): about 80 ± 12 points to the hundredth, 60% eligible."""
    rng = np.random.default_rng(seed)
    score = np.clip(np.rint(rng.normal(8000, 1200, n)), 0, None).astype(np.int64)
    return score, rng.random(n) < 0.6


def run(
    size: int, seed: int = 1, quota: int = 6000, peers: bool = True, score_rules: bool = True
) -> dict[str, Any]:
    """Every step on ``size`` applications; raises AssertionError if a peer disagrees.

    ``score_rules=False`` skips step 1 and draws the scores directly (``score_s`` is then 0).
    """
    if score_rules:
        table = applications(size, seed)
        scored, t_score = _timed(lambda: assess_table("beijing", table, ON))
        score = scored.get_column("score_centi").to_numpy()
        eligible = scored.get_column("eligible").to_numpy()
    else:
        (score, eligible), t_score = synthetic_scores(size, seed), 0.0
    result, t_cut = _timed(lambda: cut(score, eligible, quota, "admit_all_tied"))
    report: dict[str, Any] = {
        "applications": size,
        "eligible": result.eligible_count,
        "admitted": result.admitted_count,
        "cutoff_centi": result.cutoff_centi,
        "tied_at_cutoff": result.tied_at_cutoff,
        "scored_by": "assess_table" if score_rules else "synthetic scores (not timed)",
        "score_s": t_score,
        "rank_cut_s": t_cut,
    }
    if peers:
        by_polars, report["polars_s"] = _timed(lambda: polars_admitted(score, eligible, quota))
        assert np.array_equal(by_polars, result.admitted), "polars admits another set"
        plain = score.tolist(), eligible.tolist()
        by_python, report["python_sorted_s"] = _timed(lambda: python_admitted(*plain, quota))
        assert by_python == result.admitted.tolist(), "sorted() admits another set"
    report.update(_commit_steps(size, result.ranks, result.admitted, score, peers))
    return report


def _commit_steps(
    size: int, ranks: np.ndarray, admitted: np.ndarray, score: np.ndarray, peers: bool
) -> dict[str, Any]:
    keys = [secrets.token_bytes(32) for _ in range(size)]  # read from the database in a round
    refs = np.asarray([f"{ROUND_ID}-{i:08d}" for i in range(size)])
    params = {"city": "beijing", "year": ROUND_ID, "quota": 6000}

    def publish_list() -> tuple[np.ndarray, cm.Publication]:
        order = publication_order(ranks, refs)
        leaves = cm.commit_columns(
            ROUND_ID,
            [keys[i] for i in order],
            refs[order].tolist(),
            score[order],
            ranks[order],
            admitted[order],
        )
        return order, cm.publish(params, RULESET, 1, leaves)

    (order, pub), t_commit = _timed(publish_list)
    out: dict[str, Any] = {"commit_root_s": t_commit, "root": pub.root.hex()}
    sample = np.linspace(0, size - 1, min(size, 1000)).astype(int).tolist()

    def proofs() -> bool:
        items = [(i, pub.tree.proof(i)) for i in sample]
        rows = [int(order[i]) for i in sample]
        entries = [
            cm.Entry(ROUND_ID, 1, str(refs[r]), int(score[r]), int(ranks[r]), bool(admitted[r]))
            for r in rows
        ]
        return all(
            cm.verify_proof(cm.commit(keys[r], e), i, p, pub.root)
            for r, e, (i, p) in zip(rows, entries, items, strict=True)
        )

    ok, out["proofs_1000_s"] = _timed(proofs)
    assert ok, "an inclusion proof failed"
    if peers:
        columns = (
            [keys[i] for i in order],
            refs[order].tolist(),
            score[order],
            ranks[order],
            admitted[order],
        )
        same = (gmssl_pyx.sm3_hash, gmssl_pyx.sm3_hmac)
        root, out["loop_same_lib_s"] = _timed(lambda: loop_root(*columns, *same))
        assert root == pub.root, "the per-entry loop (gmssl-pyx) gives another root"
        other = (crypto.sm3, crypto.hmac_sm3)
        root, out["loop_liudong_crypto_s"] = _timed(lambda: loop_root(*columns, *other))
        assert root == pub.root, "the per-entry loop (liudong.crypto) gives another root"
    return out


def _print(report: dict[str, Any]) -> None:
    n = report["applications"]
    print(f"scores: {report['scored_by']}")
    print(
        f"{n:,} applications: {report['eligible']:,} eligible, {report['admitted']:,} admitted "
        f"(cut-off {report['cutoff_centi'] / 100:.2f}, {report['tied_at_cutoff']} tied at it)"
    )
    rows = [
        ("score (assess_table beijing)", report["score_s"] if report["score_s"] else None, None),
        ("rank+cut (ranking.cut)", report["rank_cut_s"], None),
        ("  peer: polars rank(min)+filter", report.get("polars_s"), report["rank_cut_s"]),
        ("  peer: python sorted()", report.get("python_sorted_s"), report["rank_cut_s"]),
        ("score+rank+cut (target < 10 s)", report["score_s"] + report["rank_cut_s"], None),
        ("commitments+root (target < 30 s)", report["commit_root_s"], None),
        (
            "  peer: per-entry loop, gmssl-pyx",
            report.get("loop_same_lib_s"),
            report["commit_root_s"],
        ),
        (
            "  peer: per-entry loop, liudong.crypto",
            report.get("loop_liudong_crypto_s"),
            report["commit_root_s"],
        ),
        ("1,000 proofs issued and verified", report["proofs_1000_s"], None),
    ]
    for label, seconds, ours in rows:
        if seconds is None:
            continue
        ratio = f"  peer/ours {seconds / ours:6.2f}x" if ours else ""
        print(f"{label:42s} {seconds:8.3f} s{ratio}")
    figures = " ".join(
        f"{key}={report[key]:.3f}"
        for key in (
            "score_s",
            "rank_cut_s",
            "polars_s",
            "python_sorted_s",
            "commit_root_s",
            "loop_same_lib_s",
            "loop_liudong_crypto_s",
        )
        if key in report
    )
    total = report["score_s"] + report["rank_cut_s"]
    print(f"settlement_rank applications={n} {figures} score_rank_cut_s={total:.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Score, rank, cut and commit a points round.")
    parser.add_argument("--size", type=parse_size, default=1_000_000, help="e.g. 100k, 1M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quota", type=int, default=6000)
    parser.add_argument("--no-peers", action="store_true", help="time liudong's steps only")
    parser.add_argument(
        "--synthetic-scores",
        action="store_true",
        help="skip scoring: draw scores directly and time rank, cut and commitments only",
    )
    args = parser.parse_args(argv)
    report = run(args.size, args.seed, args.quota, not args.no_peers, not args.synthetic_scores)
    _print(report)


if __name__ == "__main__":
    main()
