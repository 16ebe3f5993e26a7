"""Writing audit events: who, role, agency, what, which record, when (UTC), outcome, in the
transaction of the change; a failed audit write fails the change."""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction

from liudong.accounts.models import Role, User
from liudong.audit import chain, sequencer
from liudong.audit.canonical import EVENT_FIELDS
from liudong.audit.events import AuditWriteError, record, record_many
from liudong.audit.models import AuditEvent
from liudong.people.models import Agency, Region
from tests.audit.conftest import persona

if TYPE_CHECKING:
    from typing import Any

pytestmark = pytest.mark.django_db


@pytest.fixture
def chaoyang_caseworker(db: None) -> User:
    """A caseworker of the Chaoyang district human resources bureau, Beijing."""
    region = Region.objects.create(code=110105, name="朝阳区", level="county")
    agency = Agency.objects.create(
        code="bj-chaoyang-rsj", name="朝阳区人力资源和社会保障局", kind="employment", region=region
    )
    user = persona("li.na", Role.STAFF)
    user.agency = agency
    user.save()
    return user


def test_an_event_records_who_what_which_when_and_the_outcome(chaoyang_caseworker: User) -> None:
    target = chaoyang_caseworker.agency
    event = record(chaoyang_caseworker, "people.update_agency", target, detail={"field": "name"})
    stored = AuditEvent.objects.get(seq=event.seq)
    assert (stored.actor_id, stored.actor, stored.role, stored.agency) == (
        chaoyang_caseworker.pk,
        "li.na",
        "staff",
        "bj-chaoyang-rsj",
    )
    assert (stored.action, stored.object_type, stored.object_id) == (
        "people.update_agency",
        "people.agency",
        str(target.pk if target else ""),
    )
    assert (stored.outcome, stored.detail) == ("ok", {"field": "name"})
    assert stored.at.utcoffset() == dt.timedelta(0)


def test_an_anonymous_request_is_recorded_without_an_actor(db: None) -> None:
    event = record(AnonymousUser(), "accounts.login_failed", outcome="rejected")
    assert (event.actor_id, event.actor, event.role, event.agency) == (None, "", "", "")


def test_the_event_rolls_back_with_the_change(chaoyang_caseworker: User) -> None:
    def register_then_fail() -> None:
        with transaction.atomic():
            record(chaoyang_caseworker, "people.register_person")
            raise RuntimeError("the change failed after its audit event")

    with pytest.raises(RuntimeError):
        register_then_fail()
    assert not AuditEvent.objects.exists()


def test_a_failed_audit_write_fails_the_change(
    chaoyang_caseworker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("disk full")

    def create_user() -> None:
        with transaction.atomic():
            User.objects.create(username="new.colleague")
            record(chaoyang_caseworker, "accounts.create_user")

    monkeypatch.setattr(AuditEvent, "save", refuse)
    with pytest.raises(AuditWriteError) as refused:
        create_user()
    assert refused.value.status == 503
    assert refused.value.code == "audit_unavailable"
    assert not User.objects.filter(username="new.colleague").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("many", [False, True], ids=["record", "record_many"])
def test_writers_wait_while_the_sealer_holds_the_sequencer(many: bool) -> None:
    """Commit order cannot overtake the sealer: a writer waits for it, then numbers after."""
    sealing, release, written = threading.Event(), threading.Event(), threading.Event()

    def sealer() -> None:
        with transaction.atomic():
            sequencer.hold_for_sealing()
            sealing.set()
            release.wait(30)
        connection.close()

    def writer() -> None:
        if many:
            record_many(None, [("accounts.delete_user", User(pk=7), {})])
        else:
            record(None, "accounts.logout")
        written.set()
        connection.close()

    threads = [threading.Thread(target=sealer), threading.Thread(target=writer)]
    threads[0].start()
    assert sealing.wait(30)
    threads[1].start()
    assert not written.wait(0.5)  # blocked behind the sealer's lock
    release.set()
    assert written.wait(30)
    for thread in threads:
        thread.join(30)
    assert AuditEvent.objects.count() == 1


# ---------------------------------------------------------------- record_many


def _stored(seq: int) -> dict[str, Any]:
    """An event as stored, without what differs from one write to the next (number, time)."""
    fields = AuditEvent.objects.filter(seq=seq).values(*EVENT_FIELDS).get()
    return {k: v for k, v in fields.items() if k not in ("seq", "at")}


def test_record_many_writes_each_event_as_record_would(chaoyang_caseworker: User) -> None:
    """The same who, what, which and outcome, one event per entry, in the order given."""
    agency = chaoyang_caseworker.agency
    assert agency is not None
    region = agency.region
    one = record(chaoyang_caseworker, "people.update_agency", agency, detail={"import": 3})
    many = record_many(
        chaoyang_caseworker,
        [
            ("people.update_agency", agency, {"import": 3}),
            ("people.update_region", region, {"import": 3, "field": "名称"}),
        ],
    )
    assert [event.seq for event in many] == sorted(event.seq for event in many)
    assert min(event.seq for event in many) > one.seq
    as_record = _stored(one.seq)
    assert _stored(many[0].seq) == as_record
    assert _stored(many[1].seq) == as_record | {
        "action": "people.update_region",
        "object_type": "people.region",
        "object_id": str(region.pk),
        "detail": {"import": 3, "field": "名称"},
    }
    stored = AuditEvent.objects.filter(seq__in=[e.seq for e in many])
    assert {event.at for event in stored} == {many[0].at}
    assert many[0].at.utcoffset() == dt.timedelta(0)


def test_record_many_without_an_actor_or_entries(db: None) -> None:
    (event,) = record_many(AnonymousUser(), [("accounts.delete_user", User(pk=7), {})])
    assert (event.actor_id, event.actor, event.role, event.agency) == (None, "", "", "")
    assert (event.object_type, event.object_id, event.outcome) == ("accounts.user", "7", "ok")
    assert record_many(None, []) == []
    assert AuditEvent.objects.count() == 1


def test_events_written_together_chain_and_verify(chaoyang_caseworker: User) -> None:
    agency = chaoyang_caseworker.agency
    assert agency is not None
    record(chaoyang_caseworker, "people.update_agency", agency)
    record_many(chaoyang_caseworker, [("people.update_agency", agency, {"n": n}) for n in range(5)])
    record(chaoyang_caseworker, "people.read_agency", agency)
    report = chain.seal(batch_size=4)
    assert (report.sealed, report.checkpoints) == (7, (1, 2))
    verdict = chain.verify()
    assert verdict.ok, verdict.reason
    assert (verdict.sealed, verdict.pending) == (7, 0)


def test_a_failed_bulk_audit_write_fails_the_change(
    chaoyang_caseworker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("disk full")

    def create_users() -> None:
        with transaction.atomic():
            user = User.objects.create(username="new.colleague")
            record_many(chaoyang_caseworker, [("accounts.create_user", user, {})])

    monkeypatch.setattr(AuditEvent.objects, "bulk_create", refuse)
    with pytest.raises(AuditWriteError) as refused:
        create_users()
    assert refused.value.code == "audit_unavailable"
    assert not User.objects.filter(username="new.colleague").exists()
