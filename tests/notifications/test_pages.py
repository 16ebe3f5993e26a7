"""The inbox /notifications/ through HTTP: only one's own notifications, newest first, unread
highlighted, 50 a page in a constant number of queries; marking read only one's own."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from liudong.audit.models import AuditEvent
from liudong.notifications.services import notify
from tests.personas import login

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from liudong.notifications.models import Notification
    from tests.personas import World

pytestmark = pytest.mark.django_db


def send(user: User, subject: str, **kwargs: Any) -> Notification:
    return notify(user, subject=subject, body=f"{subject}的正文", kind="tests.page", **kwargs)


def items(page: str) -> list[tuple[str, str]]:
    """(class, subject) of every notification on the page, in order."""
    return re.findall(
        r'<li id="notification-\d+" class="(\w+)">.*?<h2>(?:<strong>)?([^<]*)', page, re.S
    )


def test_the_inbox_shows_only_ones_own_notifications_newest_first(world: World) -> None:
    first = send(world.henan_migrant, "第一条")
    send(world.henan_migrant, "第二条")
    send(world.other_citizen, "邻居的消息")
    send(world.henan_migrant, "只发短信", channels=("sms",))
    first.read_at = first.created_at
    first.save()
    page = login(Client(), world.henan_migrant).get("/notifications/").content.decode()
    assert items(page) == [("unread", "第二条"), ("read", "第一条")]
    assert "邻居的消息" not in page
    assert re.search(r'href="/notifications/">消息 <span class="badge"[^>]*>1</span>', page)


def test_every_signed_in_role_has_an_inbox_and_anonymous_callers_sign_in(world: World) -> None:
    send(world.beijing_caseworker, "案件待办")
    page = login(Client(), world.beijing_caseworker).get("/notifications/").content.decode()
    assert items(page) == [("unread", "案件待办")]
    response = Client().get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_inbox_pages_by_50_in_a_constant_number_of_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    client = login(Client(), world.henan_migrant)
    send(world.henan_migrant, "一条")
    with CaptureQueriesContext(connection) as few:
        client.get("/notifications/")
    for n in range(60):
        send(world.henan_migrant, f"消息{n}")
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get("/notifications/").content.decode()
    assert len(items(page)) == 50
    assert items(page)[0] == ("unread", "消息59")
    assert "第 1 页，共 2 页" in page
    assert len(items(client.get("/notifications/?page=2").content.decode())) == 11


def test_marking_ones_own_notification_read(world: World) -> None:
    notification = send(world.henan_migrant, "已受理", link="/people/me/")
    client = login(Client(), world.henan_migrant)
    response = client.post(f"/notifications/{notification.pk}/read/")
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    notification.refresh_from_db()
    read_at = notification.read_at
    assert read_at is not None
    response = client.post(f"/notifications/{notification.pk}/read/", {"open": "1"})
    assert (response.status_code, response["Location"]) == (302, "/people/me/")
    notification.refresh_from_db()
    assert notification.read_at == read_at  # the first reading counts
    page = client.get("/notifications/").content.decode()
    assert items(page) == [("read", "已受理")]
    assert 'class="badge"' not in page


def test_marking_another_users_notification_is_not_found_and_denied(world: World) -> None:
    notification = send(world.henan_migrant, "她的消息")
    before = AuditEvent.objects.count()
    response = login(Client(), world.other_citizen).post(f"/notifications/{notification.pk}/read/")
    assert response.status_code == 404
    assert "她的消息" not in response.content.decode()
    notification.refresh_from_db()
    assert notification.read_at is None
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(e.action, e.outcome, e.actor, e.object_id) for e in events] == [
        ("notifications.mark_read", "denied", "other_citizen", str(notification.pk))
    ]
    assert (
        login(Client(), world.other_citizen).post("/notifications/999999/read/").status_code == 404
    )


def test_the_inbox_in_english(world: World) -> None:
    send(world.henan_migrant, "已受理")
    client = login(Client(), world.henan_migrant)
    page = client.get("/notifications/", headers={"accept-language": "en"}).content.decode()
    assert "<h1>Messages</h1>" in page
    assert "Mark as read" in page
    assert 'title="Unread messages"' in page
