"""``liudong manage createadmin``: the first administrator of an empty installation."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong.accounts.models import Role, User
from liudong.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def create(username: str, password: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("createadmin", username, "--password-stdin", stdout=out)
    return out.getvalue()


def test_the_first_administrator_gets_the_role_and_an_authenticator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    printed = create("root", "a-long-admin-passphrase", monkeypatch)
    user = User.objects.get(username="root")
    assert user.role == Role.ADMIN
    assert not user.is_superuser  # administrators read no personal data
    assert user.check_password("a-long-admin-passphrase")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert device.config_url in printed
    assert "otpauth://totp/liudong%3Aroot?secret=" in printed
    assert AuditEvent.objects.filter(action="accounts.create_admin", outcome="ok").count() == 1


def test_a_weak_password_creates_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="太短"):
        create("root", "short", monkeypatch)
    assert not User.objects.exists()
