"""Personas for the sign-in and binding tests: a Beijing caseworker with an authenticator, a
citizen bound to her registry record, a newcomer who has only just signed up, and the
unbound person she is."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong.accounts import sms
from liudong.accounts.models import Role
from tests.factories import PASSWORD, AgencyFactory, PersonFactory, UserFactory

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.test import Client

    from liudong.accounts.models import User
    from liudong.people.models import Person


def totp_code(device: TOTPDevice) -> str:
    """The code an authenticator app would show now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def sign_in(client: Client, username: str, password: str = PASSWORD) -> None:
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]


def sign_in_staff(client: Client, user: User) -> None:
    sign_in(client, user.username)
    device = TOTPDevice.objects.get(user=user)
    response = client.post("/accounts/login/verify/", {"code": totp_code(device)})
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def caseworker(db: None) -> User:
    """王芳, caseworker at the Chaoyang public employment service, with an authenticator."""
    agency = AgencyFactory.create(
        code="bj-chaoyang-employment", name="北京市朝阳区公共就业服务中心"
    )
    user = UserFactory.create(username="wangfang", role=Role.STAFF, agency=agency)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


@pytest.fixture
def citizen(db: None) -> User:
    """李娜, a citizen whose account is bound to her registry record."""
    person = PersonFactory.create(name="李娜", birth_date=dt.date(1988, 3, 14), hukou=110105)
    return UserFactory.create(username="lina", role=Role.CITIZEN, person=person)


@pytest.fixture
def newcomer(db: None) -> User:
    """张伟, who has just signed up and is not yet bound to a person."""
    return UserFactory.create(username="zhangwei", role=Role.CITIZEN)


@pytest.fixture
def zhang_wei(db: None) -> Person:
    """张伟's registry record: hukou in 朝阳区, mobile 13912345678."""
    return PersonFactory.create(
        name="张伟", sex="M", birth_date=dt.date(1992, 7, 9), hukou=110105, phone="13912345678"
    )


@pytest.fixture
def outbox() -> Iterator[list[tuple[str, str]]]:
    """The fake SMS gateway's messages, emptied around each test."""
    fake = sms.fake_gateway()
    fake.outbox.clear()
    yield fake.outbox
    fake.outbox.clear()
