"""Who may watch tasks: caseworkers, supervisors, administrators. Citizens, employers and
auditors are refused (403, one ``denied`` audit event, nothing of the task shown); anonymous
callers are sent to sign in (the API: 401)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client

from liudong.audit.models import AuditEvent, Outcome
from liudong.tasks import run_pending
from tests.apiclient import Api, error_of
from tests.personas import login
from tests.tasks.jobs import count_to

if TYPE_CHECKING:
    from tests.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def task_id() -> str:
    result = count_to.enqueue(3)
    run_pending()
    return result.id


@pytest.mark.parametrize("persona", ["henan_migrant", "employer_rep", "auditor"])
def test_the_pages_refuse_others(world: World, task_id: str, persona: str) -> None:
    user = getattr(world, persona)
    client = login(Client(), user)
    for path, action in ((f"/tasks/{task_id}/", "tasks.read"), ("/tasks/", "tasks.list")):
        before = AuditEvent.objects.filter(action=action, outcome=Outcome.DENIED).count()
        page = client.get(path)
        assert page.status_code == 403, path
        assert "count_to" not in page.content.decode()
        denied = AuditEvent.objects.filter(action=action, outcome=Outcome.DENIED)
        assert denied.count() == before + 1
        assert denied.latest("seq").actor_id == user.pk


def test_the_api_refuses_a_citizen(world: World, task_id: str) -> None:
    answer = Api(world.henan_migrant).get(f"/tasks/{task_id}")
    assert answer.status_code == 403
    assert error_of(answer)["code"] == "forbidden"
    assert "count_to" not in answer.content.decode()
    assert AuditEvent.objects.filter(
        actor_id=world.henan_migrant.pk, outcome=Outcome.DENIED
    ).exists()


def test_anonymous_callers_are_sent_to_sign_in(task_id: str) -> None:
    page = Client().get(f"/tasks/{task_id}/")
    assert page.status_code == 302
    assert "/accounts/" in page["Location"]
    assert Api().get(f"/tasks/{task_id}").status_code == 401


@pytest.mark.parametrize("persona", ["beijing_caseworker", "beijing_supervisor", "admin"])
def test_staff_supervisors_and_administrators_may_watch(
    world: World, task_id: str, persona: str
) -> None:
    user = getattr(world, persona)
    assert login(Client(), user).get(f"/tasks/{task_id}/").status_code == 200
    assert Api(user).get(f"/tasks/{task_id}").status_code == 200
