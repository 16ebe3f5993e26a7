"""Sending notifications: ``notify(recipient, subject=..., body=..., kind=...)``.

Call it from an action, inside the action's transaction. The notification and its inbox
delivery are written in that transaction; e-mail and SMS go out only once it commits
(``transaction.on_commit``), so a rolled-back action sends nothing. A channel that fails (no
address, the mail server or SMS gateway refusing) leaves a ``failed`` :class:`Delivery` with
the reason and never breaks the action: it has already committed.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from liudong.accounts import sms
from liudong.notifications.models import Channel, Delivery, DeliveryStatus, Notification

if TYPE_CHECKING:
    from collections.abc import Iterable

    from liudong.accounts.models import User

logger = logging.getLogger(__name__)

NO_EMAIL = "the recipient has no e-mail address"
NO_PHONE = "no mobile number is known for the recipient (no bound person, or none registered)"
SMS_MAX_CHARS = 300


def notify(
    recipient: User,
    *,
    subject: str,
    body: str,
    link: str = "",
    kind: str,
    channels: Iterable[str] = (Channel.INBOX,),
) -> Notification:
    """Write a notification to ``recipient`` and send it on ``channels`` (inbox, email, sms)."""
    wanted = list(dict.fromkeys(str(c) for c in channels))
    unknown = set(wanted) - set(Channel.values)
    if unknown or not wanted:
        raise ValueError(f"unknown or no notification channels: {sorted(unknown)}")
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"a notification link must be a relative URL on this site: {link!r}")
    notification = Notification.objects.create(
        recipient=recipient, subject=subject, body=body, link=link, kind=kind
    )
    if Channel.INBOX in wanted:
        Delivery.objects.create(
            notification=notification, channel=Channel.INBOX, status=DeliveryStatus.SENT
        )
    if Channel.EMAIL in wanted:
        transaction.on_commit(functools.partial(_send_email, notification), robust=True)
    if Channel.SMS in wanted:
        transaction.on_commit(functools.partial(_send_sms, notification), robust=True)
    return notification


def _send_email(notification: Notification) -> None:
    address = notification.recipient.email
    if not address:
        _delivered(notification, Channel.EMAIL, NO_EMAIL)
        return
    try:
        send_mail(notification.subject, notification.body, None, [address])
    except Exception as exc:  # any failure of the mail server is a failed delivery
        _delivered(notification, Channel.EMAIL, _describe(exc))
    else:
        _delivered(notification, Channel.EMAIL)


def _send_sms(notification: Notification) -> None:
    person = notification.recipient.person
    phone = person.phone if person is not None else ""
    if not phone:
        _delivered(notification, Channel.SMS, NO_PHONE)
        return
    text = f"{notification.subject}：{notification.body}"[:SMS_MAX_CHARS]
    try:
        sms.gateway().send(phone, text)
    except Exception as exc:  # any failure of the gateway is a failed delivery
        _delivered(notification, Channel.SMS, _describe(exc))
    else:
        _delivered(notification, Channel.SMS)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def _delivered(notification: Notification, channel: str, error: str = "") -> None:
    if error:
        logger.warning("notification %s: %s not sent: %s", notification.pk, channel, error)
    Delivery.objects.create(
        notification=notification,
        channel=channel,
        status=DeliveryStatus.FAILED if error else DeliveryStatus.SENT,
        error=error,
        at=timezone.now(),
    )
