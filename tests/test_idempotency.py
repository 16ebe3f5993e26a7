"""T4 idempotency: a retried POST has its effect once, whatever the timing.

Same key, same body, same user → one record, and every retry gets the first response back;
same key with a different body → 422; a request whose twin is still running → 409; no key
→ 400. Concurrency runs on real transactions (threads with their own connections) on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from liudong.audit.models import AuditEvent
from liudong.people.models import Person
from liudong.site import idempotency
from liudong.site.models import IdempotencyRecord, IdempotencyState
from tests.apiclient import Api, error_of
from tests.factories import id_number

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as HttpResponse

    from liudong.accounts.models import User
    from tests.personas import World


def registration(serial: int = 1) -> dict[str, Any]:
    return {
        "id_number": id_number(110105, dt.date(1993, 4, 5), "F", serial),
        "name": "周晓梅",
        "hukou_region": 110105,
        "hukou_type": "urban",
    }


def registrations() -> int:
    return AuditEvent.objects.filter(action="people.register_person", outcome="ok").count()


@pytest.mark.django_db
def test_same_key_ten_times_in_a_row_registers_once_and_replays(world: World) -> None:
    api = Api(world.beijing_caseworker)
    responses = [api.post("/people/persons", registration(), key="reg-1") for _ in range(10)]
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    assert [r.headers.get("Idempotent-Replayed") for r in responses[1:]] == ["true"] * 9
    assert Person.objects.filter(name="周晓梅").count() == 1
    assert IdempotencyRecord.objects.filter(key="reg-1").count() == 1
    assert registrations() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_refused(world: World) -> None:
    api = Api(world.beijing_caseworker)
    assert api.post("/people/persons", registration(1), key="reg-2").status_code == 201
    other = api.post("/people/persons", registration(2), key="reg-2")
    assert other.status_code == 422
    assert error_of(other) == {
        "code": "idempotency_key_reused",
        "message": error_of(other)["message"],
        "field": "Idempotency-Key",
    }
    assert Person.objects.filter(name="周晓梅").count() == 1


@pytest.mark.django_db
def test_a_post_without_a_key_is_refused(world: World) -> None:
    response = Api(world.beijing_caseworker).post("/people/persons", registration(), key=None)
    assert response.status_code == 400
    assert error_of(response)["code"] == "idempotency_key_missing"
    assert error_of(response)["field"] == "Idempotency-Key"
    assert not Person.objects.filter(name="周晓梅").exists()


@pytest.mark.django_db
def test_a_malformed_key_is_refused(world: World) -> None:
    response = Api(world.beijing_caseworker).post("/people/persons", registration(), key="a b")
    assert response.status_code == 400
    assert error_of(response)["code"] == "idempotency_key_invalid"


@pytest.mark.django_db
def test_keys_belong_to_one_user(world: World) -> None:
    first = Api(world.beijing_caseworker).post("/people/persons", registration(1), key="shared")
    second = Api(world.beijing_supervisor).post("/people/persons", registration(2), key="shared")
    assert (first.status_code, second.status_code) == (201, 201)
    assert Person.objects.filter(name="周晓梅").count() == 2


def _in_flight(user: User, key: str, body: dict[str, Any], started: dt.datetime) -> None:
    request = RequestFactory().post(
        "/api/people/persons", json.dumps(body), content_type="application/json"
    )
    IdempotencyRecord.objects.create(
        user=user,
        key=key,
        fingerprint=idempotency.fingerprint(request),
        state=IdempotencyState.IN_FLIGHT,
        started=started,
    )


@pytest.mark.django_db
def test_a_request_whose_twin_is_still_running_gets_409(world: World) -> None:
    _in_flight(world.beijing_caseworker, "busy", registration(), timezone.now())
    response = Api(world.beijing_caseworker).post("/people/persons", registration(), key="busy")
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_in_flight"
    assert not Person.objects.filter(name="周晓梅").exists()


@pytest.mark.django_db
def test_an_abandoned_request_is_taken_over_after_its_lease(world: World) -> None:
    _in_flight(
        world.beijing_caseworker, "dead", registration(), timezone.now() - dt.timedelta(hours=1)
    )
    response = Api(world.beijing_caseworker).post("/people/persons", registration(), key="dead")
    assert response.status_code == 201
    assert IdempotencyRecord.objects.get(key="dead").state == IdempotencyState.DONE


@pytest.mark.django_db
def test_refusals_are_replayed_too_and_audited_once(world: World) -> None:
    api = Api(world.shanghai_officer)
    first = api.post("/people/persons", registration(), key="far")
    again = api.post("/people/persons", registration(), key="far")
    assert (first.status_code, again.status_code) == (403, 403)
    assert first.content == again.content
    assert AuditEvent.objects.filter(action="people.register_person", outcome="denied").count() == 1


@pytest.mark.django_db
def test_a_server_error_is_not_kept_so_a_retry_runs_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liudong.people import actions

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(actions, "do_register_person", broken)
    api = Api(world.beijing_caseworker)
    assert api.post("/people/persons", registration(), key="retry").status_code == 500
    assert not IdempotencyRecord.objects.filter(key="retry").exists()
    monkeypatch.undo()
    assert api.post("/people/persons", registration(), key="retry").status_code == 201


@pytest.mark.django_db
def test_keys_are_kept_at_least_a_day(world: World) -> None:
    api = Api(world.beijing_caseworker)
    api.post("/people/persons", registration(), key="old")
    record = IdempotencyRecord.objects.get(key="old")
    assert idempotency.purge(now=record.started + dt.timedelta(hours=23, minutes=59)) == 0
    replay = api.post("/people/persons", registration(), key="old")
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert idempotency.purge(now=record.started + dt.timedelta(hours=24, minutes=1)) == 1


@pytest.mark.django_db
def test_stored_responses_are_encrypted(world: World) -> None:
    Api(world.beijing_caseworker).post("/people/persons", registration(), key="secret")
    stored = IdempotencyRecord.objects.get(key="secret").body
    assert stored.startswith("k1:")
    assert "周晓梅" not in stored


# ---------------------------------------------------------------------------------------------
# Concurrency: ten threads, one key.


def _concurrently(
    session_cookie: str, body: dict[str, Any], key: str, n: int = 10
) -> list[HttpResponse]:
    """``n`` threads POST at once (a barrier), each retrying while the twin is in flight."""
    barrier = threading.Barrier(n)
    results: list[HttpResponse | BaseException] = [RuntimeError("not run")] * n

    def worker(index: int) -> None:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie
        try:
            barrier.wait(timeout=30)
            for _ in range(200):
                response = Api(client=client).post("/people/persons", body, key=key)
                if response.status_code != 409:
                    break
                time.sleep(0.02)
            results[index] = response
        except BaseException as exc:  # reported by the main thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures
    return [r for r in results if not isinstance(r, BaseException)]


@pytest.mark.django_db(transaction=True)
def test_same_key_ten_times_at_once_registers_once(world: World) -> None:
    api = Api(world.beijing_caseworker)
    responses = _concurrently(
        api.client.cookies[settings.SESSION_COOKIE_NAME].value, registration(), "race"
    )
    assert [r.status_code for r in responses] == [201] * 10
    assert len({r.content for r in responses}) == 1
    assert Person.objects.filter(name="周晓梅").count() == 1
    assert IdempotencyRecord.objects.filter(key="race").count() == 1
    assert registrations() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_different_keys_at_once_register_once_and_refuse_nine_duplicates(world: World) -> None:
    api = Api(world.beijing_caseworker)
    cookie = api.client.cookies[settings.SESSION_COOKIE_NAME].value
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def worker(index: int) -> None:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        try:
            barrier.wait(timeout=30)
            response = Api(client=client).post("/people/persons", registration(), key=f"k{index}")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [201] + [409] * 9  # duplicate_id_number, never a 500
    assert Person.objects.filter(name="周晓梅").count() == 1
