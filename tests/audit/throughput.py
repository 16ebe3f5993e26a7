"""Seal and verify throughput on a fresh database (not a test; prints figures).

    uv run python -m tests.audit.throughput 100000                 # SQLite in a temp folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/auditbench \\
        uv run python -m tests.audit.throughput 100000             # an empty PostgreSQL database

It migrates the database, writes N events of the test log (``tests.audit.conftest``), seals
them in checkpoints of 1,000 and verifies the whole trail.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def main(count: int) -> None:
    data_dir = tempfile.mkdtemp(prefix="liudong-audit-bench-")
    os.environ["LIUDONG_MODE"] = "test"
    os.environ["LIUDONG_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liudong.site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from liudong.audit import chain
    from liudong.audit.models import AuditEvent
    from tests.audit.conftest import event_fields

    if AuditEvent.objects.exists():
        raise SystemExit("the database already holds audit events: give an empty one")
    for start in range(1, count + 1, 5000):
        seqs = range(start, min(count, start + 4999) + 1)
        AuditEvent.objects.bulk_create([AuditEvent(**event_fields(seq)) for seq in seqs])
    began = time.perf_counter()
    sealed = chain.seal()
    took = time.perf_counter() - began
    print(
        f"seal: {sealed.sealed:,} events, {len(sealed.checkpoints)} checkpoints, "
        f"{took:.2f} s, {sealed.sealed / took:,.0f} events/s"
    )
    began = time.perf_counter()
    report = chain.verify()
    took = time.perf_counter() - began
    print(
        f"verify: ok={report.ok}, {report.sealed:,} events, {took:.2f} s, "
        f"{report.sealed / took:,.0f} events/s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
