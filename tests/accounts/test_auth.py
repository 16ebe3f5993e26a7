"""Sign-in, sessions and lockout (reliability T13; GB/T 22239 8.1.4.1; ASVS 6.3, 7.2-7.4)."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong.audit.models import AuditEvent
from tests.accounts.conftest import sign_in, sign_in_staff, totp_code
from tests.factories import PASSWORD

if TYPE_CHECKING:
    from liudong.accounts.models import User

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/verify/"
STAFF_HOME = "/staff/"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def signed_in_as(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return str(user_id) if user_id is not None else None


def test_citizen_signs_in_with_password_alone(client: Client, citizen: User) -> None:
    sign_in(client, citizen.username)
    assert signed_in_as(client) == str(citizen.pk)
    assert client.get("/").status_code == 200


def test_staff_password_alone_does_not_sign_in(client: Client, caseworker: User) -> None:
    response = client.post(LOGIN, {"username": caseworker.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert signed_in_as(client) is None
    assert client.get(STAFF_HOME)["Location"].startswith(LOGIN)


def test_staff_sign_in_needs_the_totp_code(client: Client, caseworker: User) -> None:
    sign_in(client, caseworker.username)
    device = TOTPDevice.objects.get(user=caseworker)
    response = client.post(VERIFY, {"code": totp_code(device)})
    assert response.status_code == 302
    assert signed_in_as(client) == str(caseworker.pk)
    page = client.get(STAFF_HOME)
    assert page.status_code == 200
    assert "北京市朝阳区公共就业服务中心" in page.content.decode()
    event = AuditEvent.objects.filter(action="accounts.login", outcome="ok").get()
    assert event.detail == {"factors": "password+totp"}


def test_a_wrong_totp_code_is_refused_and_audited(client: Client, caseworker: User) -> None:
    sign_in(client, caseworker.username)
    device = TOTPDevice.objects.get(user=caseworker)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert "动态验证码不正确" in response.content.decode()
    assert signed_in_as(client) is None
    refused = AuditEvent.objects.get(action="accounts.login", outcome="rejected")
    assert refused.detail["stage"] == "totp"


def test_totp_guesses_count_towards_the_lockout(client: Client, caseworker: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, caseworker.username)
        client.post(VERIFY, {"code": "000000"})
    response = client.post(LOGIN, {"username": caseworker.username, "password": PASSWORD})
    assert response.status_code == 429


def test_staff_without_an_authenticator_cannot_sign_in(client: Client, caseworker: User) -> None:
    TOTPDevice.objects.filter(user=caseworker).delete()
    response = client.post(LOGIN, {"username": caseworker.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "还没有绑定身份验证器" in response.content.decode()
    assert signed_in_as(client) is None


def test_staff_without_a_verified_device_cannot_reach_staff_pages(
    client: Client, caseworker: User
) -> None:
    client.force_login(caseworker)  # a session without the second factor
    response = client.get(STAFF_HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert client.get("/admin/").status_code == 302


def test_citizens_are_refused_staff_pages(client: Client, citizen: User) -> None:
    sign_in(client, citizen.username)
    response = client.get(STAFF_HOME)
    assert response.status_code == 403
    assert "只对经办、审核、审计、政策分析和管理人员开放" in response.content.decode()
    denied = AuditEvent.objects.get(outcome="denied")
    assert (denied.action, denied.actor, denied.detail) == (
        "site.staff_home",
        citizen.username,
        {"code": "forbidden"},
    )


def test_five_failures_lock_the_account_with_a_designed_page(client: Client, citizen: User) -> None:
    statuses = [
        client.post(LOGIN, {"username": citizen.username, "password": "wrong"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    response = client.post(LOGIN, {"username": citizen.username, "password": PASSWORD})
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录已暂时锁定" in page
    assert "连续 5 次登录失败" in page
    assert "15 分钟" in page
    assert signed_in_as(client) is None
    stages = AuditEvent.objects.filter(action="accounts.login").values_list("detail", flat=True)
    assert [d["stage"] for d in stages] == ["password"] * 4 + ["locked"] * 2


def test_the_lock_lifts_after_fifteen_minutes(client: Client, citizen: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(LOGIN, {"username": citizen.username, "password": "wrong"})
        clock.shift(dt.timedelta(minutes=16))
        sign_in(client, citizen.username)
        assert signed_in_as(client) == str(citizen.pk)


def test_session_key_is_rotated_at_login(client: Client, caseworker: User) -> None:
    client.get(LOGIN)
    client.post(LOGIN, {"username": caseworker.username, "password": PASSWORD})
    before = client.session.session_key
    assert before is not None
    device = TOTPDevice.objects.get(user=caseworker)
    client.post(VERIFY, {"code": totp_code(device)})
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_citizen_session_key_is_rotated_at_login(client: Client, citizen: User) -> None:
    client.get(LOGIN)
    session = client.session
    session["seen"] = True
    session.save()
    before = session.session_key
    sign_in(client, citizen.username)
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_logout_ends_the_session_on_the_server(client: Client, citizen: User) -> None:
    sign_in(client, citizen.username)
    key = client.session.session_key
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = str(key)
    assert "citizen" not in replay.get("/").content.decode()
    assert signed_in_as(replay) is None


def test_logout_by_get_only_asks(client: Client, citizen: User) -> None:
    sign_in(client, citizen.username)
    assert client.get("/accounts/logout/").status_code == 200
    assert signed_in_as(client) == str(citizen.pk)


def test_idle_for_thirty_minutes_signs_out(client: Client, caseworker: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        sign_in_staff(client, caseworker)
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(STAFF_HOME).status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        response = client.get(STAFF_HOME)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
        assert signed_in_as(client) is None
        page = client.get(response["Location"]).content.decode()
        assert "30 分钟没有操作" in page
    logout = AuditEvent.objects.get(action="accounts.logout")
    assert logout.detail == {"reason": "idle"}


def test_twelve_hours_end_a_session_however_busy(client: Client, caseworker: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        sign_in_staff(client, caseworker)
        for _ in range(12 * 3):  # a request every 20 minutes for 12 hours
            clock.shift(dt.timedelta(minutes=20))
            if client.get(STAFF_HOME).status_code != 200:
                break
        else:
            clock.shift(dt.timedelta(minutes=1))
            client.get(STAFF_HOME)
        assert signed_in_as(client) is None
        elapsed = time.time() - START.timestamp()
    assert 12 * 3600 < elapsed <= 12 * 3600 + 20 * 60
    assert AuditEvent.objects.get(action="accounts.logout").detail == {"reason": "absolute"}


def test_password_change_ends_other_sessions(citizen: User) -> None:
    laptop, phone = Client(), Client()
    sign_in(laptop, citizen.username)
    sign_in(phone, citizen.username)
    response = laptop.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-2026",
            "new_password2": "a-new-long-passphrase-2026",
        },
    )
    assert response.status_code == 302
    assert signed_in_as(laptop) == str(citizen.pk)
    assert laptop.get("/").context["user"].is_authenticated
    assert not phone.get("/").context["user"].is_authenticated
    assert AuditEvent.objects.filter(action="accounts.set_password", outcome="ok").count() == 1


def test_a_weak_new_password_is_refused_next_to_its_field(client: Client, citizen: User) -> None:
    sign_in(client, citizen.username)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_new_password2_helptext id_new_password2_error"' in page
    assert '<ul class="errorlist" id="id_new_password2_error">' in page


def test_an_expired_staff_password_must_be_changed_first(client: Client, caseworker: User) -> None:
    caseworker.password_changed_at = None
    caseworker.save(update_fields=["password_changed_at"])
    sign_in_staff(client, caseworker)
    response = client.get(STAFF_HOME)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"
