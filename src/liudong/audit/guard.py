"""Suspending the append-only triggers (migration 0002) for the one sanctioned case: the test
runner emptying the test database between transactional tests (``flush``).

PostgreSQL: ``ALTER TABLE ... DISABLE TRIGGER USER`` and back (table owner only). SQLite: the
trigger definitions are read from ``sqlite_master``, dropped, and recreated afterwards.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.db.backends.base.base import BaseDatabaseWrapper

TABLES = ("audit_auditevent", "audit_auditseal", "audit_auditcheckpoint")


@contextlib.contextmanager
def suspended(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Inside the block the audit tables accept UPDATE, DELETE and TRUNCATE."""
    if connection.vendor == "postgresql":
        with _postgres_disabled(connection):
            yield
    elif connection.vendor == "sqlite":
        with _sqlite_dropped(connection):
            yield
    else:
        yield


@contextlib.contextmanager
def _postgres_disabled(connection: BaseDatabaseWrapper) -> Iterator[None]:
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@contextlib.contextmanager
def _sqlite_dropped(connection: BaseDatabaseWrapper) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = [(name, sql) for name, table, sql in cursor.fetchall() if table in TABLES]
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)
