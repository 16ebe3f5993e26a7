"""``notify``: the inbox row in the action's transaction; e-mail and SMS only after it commits,
nothing for a rolled-back action, and a failing channel recorded without breaking the action."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.db import transaction

from liudong.accounts import sms
from liudong.notifications import services
from liudong.notifications.models import Delivery, DeliveryStatus, Notification
from liudong.notifications.services import NO_PHONE, notify
from liudong.site.actions import action
from liudong.site.errors import InvalidInputError

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from tests.personas import World

pytestmark = pytest.mark.django_db


@action("tests.notify")
def do_something(actor: User | None, recipient: User, *, channels: tuple[str, ...]) -> int:
    """An action that notifies as one of its steps."""
    return notify(
        recipient,
        subject="申请已受理",
        body="您的申请已受理。",
        link="/people/me/",
        kind="tests.accepted",
        channels=channels,
    ).pk


@action("tests.notify_then_refuse")
def do_refused(actor: User | None, recipient: User) -> None:
    """An action that notifies and is then refused: everything rolls back."""
    notify(recipient, subject="s", body="b", kind="tests.x", channels=("inbox", "email", "sms"))
    raise InvalidInputError("bad", "refused after notifying")


def notify_in_failing_transaction(user: User) -> None:
    """Not an action: a plain transaction that fails after notifying."""
    with transaction.atomic():
        notify(user, subject="s", body="b", kind="tests.x", channels=("email",))
        raise RuntimeError


def deliveries(pk: int) -> dict[str, tuple[str, str]]:
    return {d.channel: (d.status, d.error) for d in Delivery.objects.filter(notification_id=pk)}


def test_the_inbox_row_is_written_in_the_action(world: World) -> None:
    pk = do_something(None, world.henan_migrant, channels=("inbox",))
    notification = Notification.objects.get(pk=pk)
    assert notification.recipient == world.henan_migrant
    assert (notification.subject, notification.link, notification.read_at) == (
        "申请已受理",
        "/people/me/",
        None,
    )
    assert deliveries(pk) == {"inbox": ("sent", "")}


def test_email_goes_out_only_after_commit(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    user = world.henan_migrant
    user.email = "migrant@example.cn"
    user.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pk = do_something(None, user, channels=("inbox", "email"))
    assert len(callbacks) == 1
    assert mail.outbox == []  # not yet committed: nothing sent
    assert "email" not in deliveries(pk)
    callbacks[0]()
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["migrant@example.cn"], "申请已受理", "您的申请已受理。")
    ]
    assert deliveries(pk)["email"] == ("sent", "")


def test_a_rolled_back_action_sends_nothing(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    user = world.henan_migrant
    user.email = "migrant@example.cn"
    user.save()
    sent_sms = len(sms.fake_gateway().outbox)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(InvalidInputError):
            do_refused(None, user)
        with pytest.raises(RuntimeError):
            notify_in_failing_transaction(user)
    assert callbacks == []
    assert mail.outbox == []
    assert len(sms.fake_gateway().outbox) == sent_sms
    assert not Notification.objects.exists()


def test_sms_goes_to_the_bound_persons_phone(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    fake = sms.fake_gateway()
    sent = len(fake.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        pk = do_something(None, world.henan_migrant, channels=("sms",))
    assert fake.outbox[sent:] == [(world.migrant.phone, "申请已受理：您的申请已受理。")]
    assert deliveries(pk) == {"sms": ("sent", "")}


class BrokenGateway:
    def send(self, phone: str, text: str) -> None:
        raise OSError("SMS gateway answered 502")


def test_a_failing_sms_gateway_leaves_a_failed_delivery_and_the_action_commits(
    world: World, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sms, "gateway", BrokenGateway)
    with django_capture_on_commit_callbacks(execute=True):
        pk = do_something(None, world.henan_migrant, channels=("inbox", "sms"))
    assert Notification.objects.filter(pk=pk).exists()
    assert deliveries(pk) == {
        "inbox": ("sent", ""),
        "sms": ("failed", "OSError: SMS gateway answered 502"),
    }


def test_without_a_phone_or_address_the_delivery_fails_with_the_reason(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        pk = do_something(None, world.beijing_caseworker, channels=("email", "sms"))
    assert deliveries(pk) == {
        "email": ("failed", services.NO_EMAIL),
        "sms": ("failed", NO_PHONE),
    }
    assert mail.outbox == []


def test_a_failing_mail_server_leaves_a_failed_delivery(
    world: World, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(services, "send_mail", refuse)
    user = world.henan_migrant
    user.email = "migrant@example.cn"
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        pk = do_something(None, user, channels=("email",))
    status, error = deliveries(pk)["email"]
    assert status == DeliveryStatus.FAILED
    assert "no mail server" in error


@pytest.mark.parametrize(
    ("link", "channels"),
    [("https://evil.example/", ("inbox",)), ("//evil.example/", ("inbox",)), ("", ("fax",))],
)
def test_bad_links_and_channels_are_programming_errors(
    world: World, link: str, channels: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError, match=r"link|channel"):
        notify(world.henan_migrant, subject="s", body="b", link=link, kind="k", channels=channels)
