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
from liudong.audit import sequencer
from liudong.audit.events import AuditWriteError, record
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
def test_writers_wait_while_the_sealer_holds_the_sequencer() -> None:
    """Commit order cannot overtake the sealer: a writer waits for it, then numbers after."""
    sealing, release, written = threading.Event(), threading.Event(), threading.Event()

    def sealer() -> None:
        with transaction.atomic():
            sequencer.hold_for_sealing()
            sealing.set()
            release.wait(30)
        connection.close()

    def writer() -> None:
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
