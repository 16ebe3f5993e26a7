"""Audit rows are append-only: the database itself refuses UPDATE, DELETE (and TRUNCATE)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from liudong.audit import chain
from liudong.audit.management.commands import flush
from liudong.audit.models import AuditCheckpoint, AuditEvent, AuditSeal
from tests.audit.conftest import make_events
from tests.audit.tamper import Attacker

pytestmark = pytest.mark.django_db


def run_deferred_checks() -> None:
    """PostgreSQL refuses TRUNCATE while this transaction has deferred checks pending."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.fixture
def sealed(db: None) -> None:
    make_events(range(1, 6))
    chain.seal()


@pytest.mark.parametrize(
    ("model", "change"),
    [
        (AuditEvent, {"actor": "someone.else"}),
        (AuditSeal, {"chain": "0" * 64}),
        (AuditCheckpoint, {"head": "0" * 64}),
    ],
)
def test_updates_are_refused(sealed: None, model: type[AuditEvent], change: dict[str, str]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.all().update(**change)


@pytest.mark.parametrize("model", [AuditEvent, AuditSeal, AuditCheckpoint])
def test_deletes_are_refused(sealed: None, model: type[AuditEvent]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.all()._raw_delete(connection.alias)  # no ORM cascade: straight to SQL
    assert model.objects.exists()


def test_saving_an_existing_event_again_is_refused(sealed: None) -> None:
    event = AuditEvent.objects.get(seq=3)
    event.outcome = "ok"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.save()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
@pytest.mark.parametrize("table", ["audit_auditevent", "audit_auditseal", "audit_auditcheckpoint"])
def test_truncate_is_refused(sealed: None, table: str) -> None:
    run_deferred_checks()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"TRUNCATE {table} CASCADE")


def test_the_tamper_helper_puts_the_triggers_back(sealed: None) -> None:
    Attacker().execute("UPDATE audit_auditevent SET actor = %s WHERE seq = %s", ["x", 1])
    assert AuditEvent.objects.get(seq=1).actor == "x"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(actor="y")


def test_flush_outside_tests_stops_at_the_audit_tables(
    sealed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flush, "testing", lambda: False)
    run_deferred_checks()
    with pytest.raises(CommandError), transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_the_migration_removes_and_restores_the_triggers() -> None:
    call_command("migrate", "audit", "0001", verbosity=0)
    try:
        make_events([1])
        AuditEvent.objects.filter(seq=1).update(actor="x")  # allowed without the triggers
        AuditEvent.objects.all()._raw_delete(AuditEvent.objects.db)  # later tables are gone
    finally:
        call_command("migrate", "audit", verbosity=0)
    make_events([2])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(actor="x")
