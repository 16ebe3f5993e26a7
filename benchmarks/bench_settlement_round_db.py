"""The ranking run against a database: ``actions.rank`` over N confirmed applications.

    uv run python -m benchmarks.bench_settlement_round_db                      # 100k, SQLite
    uv run python -m benchmarks.bench_settlement_round_db --size 1M \\
        --database-url postgres://postgres@127.0.0.1:5432/benchdb_t           # PostgreSQL

``bench_settlement_rank`` measures scoring, ranking and commitments in memory (issue 5 targets:
1M applications scored, ranked and cut < 10 s, commitments + root < 30 s more). This one
measures what a round really runs (the task ``rank_round`` and ``liudong settlement rank``):
``actions.rank(rnd, progress)`` in one transaction, reading the confirmed applications from
the database, ranking, committing and writing the ``RankingList`` and one ``RankingEntry`` per
application. Its peer, in the same run on the same data: the in-memory pipeline
(``schemes.assess_table`` + ``ranking.cut`` + ``ranking.publication_order`` +
``commitments.commit_columns`` + ``commitments.publish``), so ``ratio`` = rank / in-memory is
the database overhead. Both must give the same list before anything is printed: the same
admitted entries, cut-off, Merkle root and snapshot hash, and every stored commitment equal to
the peer's leaf at its index.

**Database.** A fresh one per run: a SQLite file in a temporary directory (default), or the
PostgreSQL database named by ``--database-url`` (created here, dropped at the end; it must not
exist). Migrations, then the set-up (not timed; reported as ``setup_s``): one Beijing round
(closed, the rule-set version and tie rule frozen as ``do_open_round`` freezes them) and, per
applicant, a ``Person`` (ID number and phone SM4-encrypted, blind index, mask, name), a
``settlement.points_application`` ``Case`` in state ``confirmed`` and an ``Application`` as
``do_apply`` + ``do_confirm_application`` leave it (declared facts, registry facts, receipt key,
entry reference, preliminary and verified score and eligibility from ``assess_table`` of the
synthetic table of ``bench_settlement_rank``), inserted with ``bulk_create`` in chunks. Not
created (``rank`` reads none of them): case transitions, verifications, evidence, audit events,
one user account per applicant (one supervisor files, opens and requests everything).

**The stored assessments** (``--assessments``). ``do_apply`` and ``do_confirm_application``
store each assessment as JSON with its explanation tree: about 43 KB per assessment, two per
application. ``full`` (default) stores, for every application, the JSON of a real
``schemes.assess`` of one of 32 sample applicants (its score and eligibility replaced by the
row's own), so rows have their real size; ``empty`` stores ``{}`` (what ``rank`` costs without
those columns). ``rank`` reads only the columns the list needs, so the assessment JSON costs it
nothing (before it did, it held about 0.45 MB per application with ``full``); ``full`` now only
slows the set-up (30,000 applications in 10 minutes on PostgreSQL). The ranking process
stops itself (exit 3) when its resident memory passes ``--max-rss-mb`` (default: three quarters
of the memory available when the run starts), so a shared machine is not driven out of memory.

**Timed**: ``rank`` from the call to the transaction's commit (``rank_s``), split at its
progress reports (load, score+cut, commitments, root+list row, entries+round+audit);
``peak_mb``: the ranking process's peak resident memory right after ``rank`` (ranking runs in
its own process; the peer's data is made only afterwards), ``base_mb`` the same process before
the call. The peer's inputs (table, keys, references) are built after ``rank`` and not timed.
``--profile FILE`` runs ``rank`` under cProfile (its time is then inflated) and prints the top
functions.

The run ends with one line::

    settlement_round_db applications=N database=sqlite|postgresql assessments=full|empty
    rank_s=A in_memory_s=B ratio=A/B peak_mb=C setup_s=D load_s=... write_s=...
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from benchmarks.bench_settlement_rank import ON, applications
from benchmarks.run import parse_size

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import polars as pl

__all__ = ["build", "main", "measure", "round_inputs"]

SCHEME = "beijing"
CITY, DISTRICT = 110000, 110105
CHUNK = 5000
SAMPLES = 32
PHASES = ("load", "score_cut", "commit", "root", "write")
_FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力鹏飞宇婷雪"


# -- the same data for the database and the peer -------------------------------------------------


def round_inputs(n: int, seed: int) -> tuple[pl.DataFrame, list[bytes], list[str]]:
    """The applications' facts (``bench_settlement_rank.applications``), receipt keys and entry
    references, the same on every call with the same arguments."""
    from liudong.settlement import commitments

    rng = np.random.default_rng([seed, 2])
    raw = rng.bytes(32 * n)
    keys = [commitments.receipt_key(_secret(raw[i * 32 : i * 32 + 32])) for i in range(n)]
    refs = rng.bytes(8 * n).hex()
    entry_refs = [refs[i * 16 : i * 16 + 16] for i in range(n)]
    if len(set(entry_refs)) != n:
        raise ValueError(f"seed {seed} draws a repeated entry reference; use another seed")
    return applications(n, seed), keys, entry_refs


def _secret(raw: bytes) -> str:
    """A receipt secret as ``commitments.new_receipt_secret`` formats it."""
    text = base64.b32encode(raw).decode().rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


# -- set-up: the round in the database ------------------------------------------------------------


def build(n: int, seed: int, quota: int, assessments: str = "full") -> int:
    """Store a closed Beijing round with ``n`` confirmed applications; returns the round's pk.
    Needs Django set up and the database migrated."""
    from django.db import transaction
    from django.utils import timezone

    from liudong.accounts.models import Role, User
    from liudong.people.actions import do_load_regions
    from liudong.people.models import Region
    from liudong.settlement import schemes
    from liudong.settlement.models import Round, RoundStatus

    table, keys, refs = round_inputs(n, seed)
    scored = schemes.assess_table(SCHEME, table, ON)
    blobs = _assessment_blobs(table, assessments)
    if not Region.objects.filter(pk=DISTRICT).exists():
        do_load_regions(None)
    user = User.objects.create_user(
        username=f"bench-supervisor-{seed}-{n}", role=Role.SUPERVISOR, password=None
    )
    review = schemes.review_window(SCHEME, ON)
    objection = schemes.objection_window(SCHEME, ON)
    now = timezone.now()
    rnd = Round.objects.create(
        scheme=SCHEME,
        region_id=CITY,
        year=ON.year,
        quota=quota,
        opens_on=ON - dt.timedelta(days=60),
        closes_on=ON - dt.timedelta(days=30),
        assessed_on=ON,
        ruleset=schemes.ruleset_version(SCHEME, ON),
        tie_rule=schemes.tie_rule(SCHEME, ON)[0],
        review_window_days=review[0],
        review_window_cite=review[1],
        review_window_confidence=review[2],
        objection_window_days=objection[0],
        objection_window_cite=objection[1],
        objection_window_confidence=objection[2],
        status=RoundStatus.CLOSED,
        opened_by=user,
        opened_at=now,
        closed_at=now,
        ranking_requested_at=now,
        ranking_requested_by=user,
    )
    rows = table.to_dicts()
    score = scored.get_column("score_centi").to_list()
    eligible = scored.get_column("eligible").to_list()
    registry_fields = [f.name for f in schemes.scheme(SCHEME).fields if f.registry is not None]
    serials = _serials(rows)
    for start in range(0, n, CHUNK):
        with transaction.atomic():
            _insert_chunk(
                rnd,
                user,
                range(start, min(n, start + CHUNK)),
                rows,
                (score, eligible, keys, refs, blobs, registry_fields, serials),
            )
    return int(rnd.pk)


def _serials(rows: list[dict[str, Any]]) -> list[int]:
    """ID-number serials unique per birth date, odd for men and even for women (001-998)."""
    taken: dict[tuple[dt.date, bool], int] = {}
    out = []
    for row in rows:
        male = row["retirement_group"] == "men"
        k = taken.get((row["birth_date"], male), 0)
        if k >= 499:
            raise ValueError(f"more than 499 applicants born on {row['birth_date']} of one sex")
        taken[(row["birth_date"], male)] = k + 1
        out.append(2 * k + (1 if male else 2))
    return out


def _insert_chunk(rnd: Any, user: Any, span: range, rows: list[dict[str, Any]], data: Any) -> None:
    from django.utils import timezone

    from liudong import crypto
    from liudong.people import idnumber
    from liudong.people.models import Person
    from liudong.settlement.models import Application
    from liudong.workflows.models import Case

    score, eligible, keys, refs, blobs, registry_fields, serials = data
    now = timezone.now()
    persons = []
    for i in span:
        row = rows[i]
        birth: dt.date = row["birth_date"]
        male = row["retirement_group"] == "men"
        first17 = f"411502{birth:%Y%m%d}{serials[i]:03d}"
        number = first17 + idnumber.check_digit(first17)
        persons.append(
            Person(
                id_number=number,
                id_bi=crypto.blind_index(number, "id_number"),
                id_masked=number[:6] + "*" * 8 + number[14:],
                name=_FAMILY[i % len(_FAMILY)] + _GIVEN[i // 7 % len(_GIVEN)],
                sex="M" if male else "F",
                birth_date=birth,
                retirement_group=row["retirement_group"],
                phone=f"138{i:08d}",
                education=row["education"],
            )
        )
    Person.objects.bulk_create(persons)
    cases = Case.objects.bulk_create(
        Case(
            case_type="settlement.points_application",
            state="confirmed",
            jurisdiction_id=DISTRICT,
            subject=person,
            opened_at=now,
            opened_by=user,
        )
        for person in persons
    )
    found = []
    for i, person, case in zip(span, persons, cases, strict=True):
        declared = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in rows[i].items()}
        points = Decimal(score[i]) / 100
        blob = blobs(i, points, eligible[i])
        found.append(
            Application(
                round=rnd,
                person=person,
                case=case,
                filed_by=user,
                declared=declared,
                registry={k: declared[k] for k in registry_fields if k in declared},
                differences=[],
                eligible=eligible[i],
                score=points,
                assessment=blob,
                verified_eligible=eligible[i],
                verified_score=points,
                verified_assessment=blob,
                ruleset=rnd.ruleset,
                receipt_key=keys[i].hex(),
                entry_ref=refs[i],
                created_at=now,
                review_until=rnd.closes_on,
            )
        )
    Application.objects.bulk_create(found)


def _assessment_blobs(table: pl.DataFrame, mode: str) -> Callable[[int, Decimal, bool], Any]:
    """The stored assessment of row ``i``: ``{}``, or a real one of a sample applicant with the
    row's score and eligibility."""
    if mode == "empty":
        return lambda i, points, eligible: {}
    from liudong.settlement import schemes
    from liudong.settlement.actions import assessment_json

    samples = [
        assessment_json(schemes.assess(SCHEME, row, ON)) for row in table.head(SAMPLES).to_dicts()
    ]
    return lambda i, points, eligible: {
        **samples[i % len(samples)],
        "score": f"{points:.2f}",
        "eligible": eligible,
    }


# -- the measurement ----------------------------------------------------------------------------


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(round_pk: int, n: int, seed: int, profile: str = "") -> dict[str, Any]:
    """Time ``actions.rank`` on the stored round, then the in-memory peer on the same data;
    raises AssertionError if they disagree."""
    from django.db import transaction

    from liudong.settlement.actions import rank
    from liudong.settlement.models import Round

    rnd = Round.objects.get(pk=round_pk)
    marks: list[tuple[int, float, str]] = []

    def progress(done: int, total: int, message: str) -> None:
        marks.append((done, time.perf_counter(), str(message)))

    base = _rss_mb()
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    with transaction.atomic():
        listing = rank(rnd, progress)
    if profiler is not None:
        profiler.disable()
    rank_s = time.perf_counter() - start
    report: dict[str, Any] = {
        "applications": n,
        "rank_s": rank_s,
        "peak_mb": _rss_mb(),
        "base_mb": base,
        "phases": _phases(start, marks, start + rank_s),
    }
    if profiler is not None:
        profiler.dump_stats(profile)
        report["profile"] = _top(profiler)
    report.update(_peer(listing, Round.objects.get(pk=round_pk), n, seed))
    return report


def _phases(start: float, marks: list[tuple[int, float, str]], end: float) -> dict[str, float]:
    """Seconds between consecutive progress reports (the last phase ends at the commit)."""
    times = [start, *(t for _d, t, _m in marks[:-1]), end]
    if len(marks) == len(PHASES):
        names: tuple[str, ...] = PHASES
    else:
        names = tuple(f"step{i}" for i in range(len(times) - 1))
    return {name: times[i + 1] - times[i] for i, name in enumerate(names)}


def _top(profiler: cProfile.Profile) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def _peer(listing: Any, rnd: Any, n: int, seed: int) -> dict[str, Any]:
    from liudong.settlement import commitments, ranking, schemes
    from liudong.settlement.actions import round_params
    from liudong.settlement.models import RankingEntry

    table, keys, refs = round_inputs(n, seed)
    refs_arr = np.asarray(refs)
    params = round_params(rnd)
    t0 = time.perf_counter()
    scored = schemes.assess_table(rnd.scheme, table, rnd.assessed_on)
    score = scored.get_column("score_centi").to_numpy()
    t1 = time.perf_counter()
    result = ranking.cut(score, scored.get_column("eligible").to_numpy(), rnd.quota, rnd.tie_rule)
    t2 = time.perf_counter()
    order = ranking.publication_order(result.ranks, refs_arr)
    leaves = commitments.commit_columns(
        rnd.pk,
        [keys[i] for i in order],
        refs_arr[order].tolist(),
        score[order],
        result.ranks[order],
        result.admitted[order],
    )
    publication = commitments.publish(params, rnd.ruleset, 1, leaves)
    t3 = time.perf_counter()
    stored = list(
        RankingEntry.objects.filter(list=listing)
        .order_by("index")
        .values_list("entry_ref", "admitted", "commitment")
    )
    admitted_db = {ref for ref, admitted, _c in stored if admitted}
    admitted_peer = set(refs_arr[result.admitted].tolist())
    assert admitted_db == admitted_peer, "the database run admits another set"
    assert listing.root == publication.root.hex(), "the database run has another root"
    assert listing.snapshot == publication.snapshot_hash.hex(), "another snapshot hash"
    assert listing.cutoff_centi == result.cutoff_centi, "another cut-off"
    assert [c for _r, _a, c in stored] == [leaf.hex() for leaf in leaves], "another commitment"
    return {
        "in_memory_s": t3 - t0,
        "peer_score_s": t1 - t0,
        "peer_cut_s": t2 - t1,
        "peer_commit_root_s": t3 - t2,
        "admitted": len(admitted_db),
        "cutoff_centi": listing.cutoff_centi,
        "root": listing.root,
    }


# -- the run: database, set-up and measurement in their own processes ---------------------------


@contextlib.contextmanager
def _database(url: str | None) -> Iterator[tuple[str, str]]:
    """A fresh database: (its URL, its kind). PostgreSQL: created here and dropped after."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="bench-round-db-") as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3", "sqlite"
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in {"postgres", "postgresql"} or not name.isidentifier():
        raise SystemExit(f"--database-url: a postgres://.../<name> URL is expected; got {url!r}")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url, "postgresql"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _child(stage: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.bench_settlement_round_db",
        "--stage",
        stage,
        "--size",
        str(args.size),
        "--seed",
        str(args.seed),
        "--quota",
        str(args.quota),
        "--assessments",
        args.assessments,
        "--profile",
        args.profile,
        "--max-rss-mb",
        str(args.max_rss_mb),
    ]
    env = {**os.environ, "DATABASE_URL": url, "LIUDONG_MODE": "test"}
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {stage} stage failed (exit {done.returncode})")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _stage(args: argparse.Namespace) -> dict[str, Any]:
    """One stage in this process (Django set up on ``DATABASE_URL``); its report."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liudong.site.settings")
    import django

    django.setup()
    if args.stage == "setup":
        from django.core.management import call_command

        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        t1 = time.perf_counter()
        pk = build(args.size, args.seed, args.quota, args.assessments)
        return {"round": pk, "migrate_s": t1 - t0, "setup_s": time.perf_counter() - t1}
    from liudong.settlement.models import Round

    _watchdog(args.max_rss_mb)
    pk = Round.objects.get(scheme=SCHEME, year=ON.year).pk
    return measure(pk, args.size, args.seed, args.profile)


def _watchdog(limit_mb: float) -> None:
    """Stop this process (exit 3) once its resident memory passes ``limit_mb``: the machine is
    shared, and ``rank`` holds every application row it loads."""
    import threading

    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20

    def watch() -> None:
        while True:
            with open("/proc/self/statm") as statm:
                resident = int(statm.read().split()[1]) * page_mb
            if resident > limit_mb:
                print(
                    f"stopped: resident memory {resident:,.0f} MB passed the limit of "
                    f"{limit_mb:,.0f} MB (--max-rss-mb)",
                    file=sys.stderr,
                    flush=True,
                )
                os._exit(3)
            time.sleep(0.1)

    threading.Thread(target=watch, daemon=True).start()


def _available_mb() -> float:
    with open("/proc/meminfo") as meminfo:
        fields = dict(line.split(":", 1) for line in meminfo)
    return int(fields["MemAvailable"].split()[0]) / 1024


def _print(report: dict[str, Any]) -> None:
    n = report["applications"]
    print(
        f"{n:,} confirmed applications on {report['database']} "
        f"(assessments: {report['assessments']}); set-up {report['setup_s']:.1f} s "
        f"(migrations {report['migrate_s']:.1f} s), not timed"
    )
    print(
        f"{report['admitted']:,} admitted, cut-off {report['cutoff_centi'] / 100:.2f}, "
        f"root {report['root'][:16]}…: the same as the in-memory pipeline"
    )
    for name, seconds in report["phases"].items():
        print(f"  rank: {name:34s} {seconds:8.3f} s")
    rows = [
        ("actions.rank (one transaction)", report["rank_s"]),
        ("peer: in memory (score+cut+commit+root)", report["in_memory_s"]),
        ("  peer: assess_table", report["peer_score_s"]),
        ("  peer: ranking.cut", report["peer_cut_s"]),
        ("  peer: commitments + root", report["peer_commit_root_s"]),
    ]
    for label, seconds in rows:
        print(f"{label:42s} {seconds:8.3f} s")
    ratio = report["rank_s"] / report["in_memory_s"]
    print(
        f"rank / in memory: {ratio:.2f}x; peak {report['peak_mb']:.0f} MB "
        f"(before rank {report['base_mb']:.0f} MB)"
    )
    if "profile" in report:
        print(report["profile"])
    phases = " ".join(f"{k}_s={v:.3f}" for k, v in report["phases"].items())
    print(
        f"settlement_round_db applications={n} database={report['database']} "
        f"assessments={report['assessments']} rank_s={report['rank_s']:.3f} "
        f"in_memory_s={report['in_memory_s']:.3f} ratio={ratio:.2f} "
        f"peak_mb={report['peak_mb']:.0f} setup_s={report['setup_s']:.1f} {phases}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=100_000, help="e.g. 100k, 1M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quota", type=int, default=6000)
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgres://user@host:port/NAME: created and dropped here (default: SQLite file)",
    )
    parser.add_argument("--assessments", choices=("full", "empty"), default="full")
    parser.add_argument("--profile", default="", help="run rank() under cProfile, stats to FILE")
    parser.add_argument(
        "--max-rss-mb",
        type=float,
        default=0,
        help="stop the ranking process above this resident memory (default: three quarters "
        "of the memory available at the start)",
    )
    parser.add_argument("--stage", choices=("setup", "rank"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.max_rss_mb = args.max_rss_mb or _available_mb() * 3 / 4
    if args.stage:
        print(json.dumps(_stage(args)))
        return
    with _database(args.database_url) as (url, kind):
        setup = _child("setup", url, args)
        report = _child("rank", url, args)
    _print({**report, **setup, "database": kind, "assessments": args.assessments})


if __name__ == "__main__":
    main()
