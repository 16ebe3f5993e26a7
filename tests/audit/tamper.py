"""An attacker with write access to the database, for the tamper tests.

Everything goes through raw SQL after switching the append-only triggers off, as someone
holding the table owner's credentials could: on PostgreSQL ``ALTER TABLE ... DISABLE TRIGGER
ALL`` (which also switches off the foreign-key checks), on SQLite dropping the triggers and
recreating them afterwards. Use it inside :func:`undone` so each attack is rolled back.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, connection, transaction

if TYPE_CHECKING:
    import random
    from collections.abc import Iterator, Sequence

EVENTS, SEALS, CHECKPOINTS = "audit_auditevent", "audit_auditseal", "audit_auditcheckpoint"
TABLES = (EVENTS, SEALS, CHECKPOINTS)
# Columns of audit_auditevent other than seq that an edit may hit.
EVENT_COLUMNS = (
    "at",
    "actor_id",
    "actor",
    "role",
    "agency",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "detail",
    "request_id",
)
ALPHABETS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@contextlib.contextmanager
def undone() -> Iterator[None]:
    """Run the block in a savepoint and roll it back afterwards, whatever happens."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


@dataclass(frozen=True)
class Edit:
    """One single-byte edit: where, what it was, what it became."""

    seq: int
    column: str
    before: str
    after: str

    @property
    def first_bad_seq(self) -> int:
        """Where verification must point: an edited ``seq`` moves the event."""
        return min(self.seq, int(self.after)) if self.column == "seq" else self.seq


class Attacker:
    """Raw-SQL tampering with the audit tables, triggers switched off."""

    @contextlib.contextmanager
    def unguarded(self) -> Iterator[None]:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks of the test's own
            # transaction are pending: run them first.
            self._run(["SET CONSTRAINTS ALL IMMEDIATE"])
            self._run([f"ALTER TABLE {table} DISABLE TRIGGER ALL" for table in TABLES])
            try:
                yield
            finally:
                self._run([f"ALTER TABLE {table} ENABLE TRIGGER ALL" for table in TABLES])
                self._run(["SET CONSTRAINTS ALL DEFERRED"])
            return
        triggers = self._sqlite_triggers()
        self._run([f'DROP TRIGGER "{name}"' for name, _ in triggers])
        try:
            yield
        finally:
            self._run([sql for _, sql in triggers])

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.unguarded(), connection.cursor() as cursor:
            cursor.execute(sql, params)

    def edit_byte(self, rng: random.Random, seq: int, columns: Sequence[str]) -> Edit:
        """Change one ASCII letter or digit of one stored column of event ``seq`` to another of
        its kind, retrying where the database refuses the result (a bad timestamp, JSON, a
        taken ``seq``)."""
        for _attempt in range(100):
            column = rng.choice(columns)
            before = self._stored_text(seq, column)
            after = _flip_one(rng, before) if before else None
            if after is not None and self._try_update(seq, column, after):
                return Edit(seq, column, before or "", after)
        raise AssertionError(f"could not edit event #{seq}")

    def delete_event(self, seq: int) -> None:
        self.execute(f"DELETE FROM {EVENTS} WHERE seq = %s", [seq])  # noqa: S608  # constant

    def swap_events(self, first: int, second: int) -> None:
        """Exchange everything but ``seq`` between two events (a reordering)."""
        rows = {seq: self._event(seq) for seq in (first, second)}
        for seq, other in ((first, second), (second, first)):
            assignments = ", ".join(f"{column} = %s" for column in EVENT_COLUMNS)
            sql = f"UPDATE {EVENTS} SET {assignments} WHERE seq = %s"  # noqa: S608  # constants
            self.execute(sql, [*rows[other], seq])

    def insert_event(self, seq: int, like: int) -> None:
        """Insert an event numbered ``seq``, a copy of event ``like`` (a plausible forgery)."""
        columns = ", ".join(EVENT_COLUMNS)
        sql = (
            f"INSERT INTO {EVENTS} (seq, {columns}) "  # noqa: S608  # constants
            f"SELECT %s, {columns} FROM {EVENTS} WHERE seq = %s"
        )
        self.execute(sql, [seq, like])

    def truncate_tail(self, count: int) -> int:
        """Delete the last ``count`` events, their seals and every checkpoint that covered any
        of them; return the first deleted sequence number."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT seq FROM {EVENTS} ORDER BY seq DESC LIMIT %s",  # noqa: S608  # constant
                [count],
            )
            first = int(min(row[0] for row in cursor.fetchall()))
        with self.unguarded(), connection.cursor() as cursor:
            for table, column in ((EVENTS, "seq"), (SEALS, "seq"), (CHECKPOINTS, "last_seq")):
                cursor.execute(f"DELETE FROM {table} WHERE {column} >= %s", [first])  # noqa: S608
        return first

    def _event(self, seq: int) -> tuple[Any, ...]:
        with connection.cursor() as cursor:
            columns = ", ".join(EVENT_COLUMNS)
            cursor.execute(f"SELECT {columns} FROM {EVENTS} WHERE seq = %s", [seq])  # noqa: S608
            row = cursor.fetchone()
        assert row is not None
        return tuple(row)

    def _stored_text(self, seq: int, column: str) -> str | None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT CAST({column} AS TEXT) FROM {EVENTS} WHERE seq = %s",  # noqa: S608
                [seq],
            )
            row = cursor.fetchone()
        return None if row is None else row[0]

    def _try_update(self, seq: int, column: str, value: str) -> bool:
        try:
            with transaction.atomic():
                self.execute(
                    f"UPDATE {EVENTS} SET {column} = %s WHERE seq = %s",  # noqa: S608  # constants
                    [value, seq],
                )
        except DatabaseError:
            return False
        return True

    def _sqlite_triggers(self) -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            return [(name, sql) for name, table, sql in cursor.fetchall() if table in TABLES]

    def _run(self, statements: list[str]) -> None:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _flip_one(rng: random.Random, text: str) -> str | None:
    """``text`` with one ASCII letter or digit replaced by another of the same kind (so the
    edit always changes the value: never ``e`` to ``E`` in a JSON escape, never a space)."""
    positions = [i for i, char in enumerate(text) if char.isascii() and char.isalnum()]
    if not positions:
        return None
    at = rng.choice(positions)
    alphabet = next(a for a in ALPHABETS if text[at] in a)
    new = rng.choice([c for c in alphabet if c != text[at]])
    return text[:at] + new + text[at + 1 :]
