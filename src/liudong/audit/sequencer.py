"""The lock that keeps sequence order and commit order apart from the sealer.

On PostgreSQL a transaction takes its event's sequence number when it inserts, but may commit
later than a transaction with a higher number. If the sealer ran in between, it would seal
past the late event, and verification would then (rightly) report that event as inserted below
the sealed range. So every writer holds a *shared* transaction-level advisory lock from just
before its insert until it commits, and the sealer takes the same lock *exclusively*: it waits
for writers in flight, and writers arriving meanwhile wait for it (and then draw higher
numbers). Two sealers exclude each other.

On SQLite, IMMEDIATE transactions already serialise every writer, the sealer included.
"""

from __future__ import annotations

from django.db import connection

# "liudong" + 1, as a signed 64-bit advisory lock key.
LOCK_KEY = 0x6C69_7564_6F6E_6701


def hold_for_writing() -> None:
    """Call inside the writer's transaction, before inserting an event."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK_KEY])


def hold_for_sealing() -> None:
    """Call inside the sealer's transaction, before reading the events to seal."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
