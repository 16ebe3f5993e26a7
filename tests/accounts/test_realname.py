"""Real-name binding: a citizen account is bound to her registry record after the ID number
and name match and she enters the code sent to her registered mobile number."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.conf import settings

from liudong.accounts.actions import do_confirm_realname, do_start_realname
from liudong.accounts.models import RealNameChallenge, Role
from liudong.accounts.realname import RegistryVerifier
from liudong.audit.models import AuditEvent
from liudong.site.errors import ActionError
from tests.accounts.conftest import sign_in
from tests.factories import UserFactory

if TYPE_CHECKING:
    from django.test import Client

    from liudong.accounts.models import User
    from liudong.people.models import Person

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def code_in(outbox: list[tuple[str, str]]) -> str:
    _phone, text = outbox[-1]
    found = re.search(r"\b(\d{6})\b", text)
    assert found is not None, text
    return found.group(1)


def refusal(call: object, *args: object) -> ActionError:
    with pytest.raises(ActionError) as caught:
        call(*args)  # type: ignore[operator]  # the action under test
    return caught.value


def test_binding_succeeds_with_the_code_sent_to_the_registered_phone(
    newcomer: User, zhang_wei: Person, outbox: list[tuple[str, str]]
) -> None:
    challenge = do_start_realname(newcomer, zhang_wei.id_number, "张伟")
    assert challenge.phone_masked == "139****5678"
    assert outbox[-1][0] == "13912345678"
    do_confirm_realname(newcomer, code_in(outbox))
    newcomer.refresh_from_db()
    assert newcomer.person_id == zhang_wei.pk
    actions = list(AuditEvent.objects.values_list("action", "outcome"))
    assert actions == [
        ("accounts.start_realname", "ok"),
        ("accounts.confirm_realname", "ok"),
    ]


def test_the_registry_verifier_ignores_width_and_spacing(zhang_wei: Person) -> None:
    full_width = zhang_wei.id_number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    found = RegistryVerifier().verify(full_width, " 张 伟 ")
    assert found is not None
    assert found.person_id == zhang_wei.pk


def test_a_wrong_name_is_refused_without_saying_which_part_is_wrong(
    newcomer: User, zhang_wei: Person, outbox: list[tuple[str, str]]
) -> None:
    error = refusal(do_start_realname, newcomer, zhang_wei.id_number, "张三")
    assert error.code == "realname_mismatch"
    assert "身份证号码与姓名不一致" in error.message
    assert outbox == []
    assert not RealNameChallenge.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.detail["code"]) == (
        "accounts.start_realname",
        "rejected",
        "realname_mismatch",
    )


def test_a_malformed_id_number_is_refused_on_its_field(newcomer: User, zhang_wei: Person) -> None:
    number = zhang_wei.id_number[:17] + ("0" if zhang_wei.id_number[17] != "0" else "1")
    error = refusal(do_start_realname, newcomer, number, "张伟")
    assert (error.code, error.field) == ("id_check_digit", "id_number")


def test_a_wrong_code_is_refused_and_counted(
    newcomer: User, zhang_wei: Person, outbox: list[tuple[str, str]]
) -> None:
    do_start_realname(newcomer, zhang_wei.id_number, "张伟")
    right = code_in(outbox)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    error = refusal(do_confirm_realname, newcomer, wrong)
    assert (error.code, error.field) == ("wrong_code", "code")
    assert "还可以再试 4 次" in error.message
    assert RealNameChallenge.objects.get().attempts == 1
    newcomer.refresh_from_db()
    assert newcomer.person_id is None


def test_five_wrong_codes_kill_the_challenge(
    newcomer: User, zhang_wei: Person, outbox: list[tuple[str, str]]
) -> None:
    do_start_realname(newcomer, zhang_wei.id_number, "张伟")
    right = code_in(outbox)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(settings.LIUDONG_REALNAME_MAX_ATTEMPTS):
        refusal(do_confirm_realname, newcomer, wrong)
    error = refusal(do_confirm_realname, newcomer, right)
    assert error.code == "too_many_attempts"


def test_an_expired_code_is_refused(
    newcomer: User, zhang_wei: Person, outbox: list[tuple[str, str]]
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        do_start_realname(newcomer, zhang_wei.id_number, "张伟")
        clock.shift(dt.timedelta(minutes=10, seconds=1))
        error = refusal(do_confirm_realname, newcomer, code_in(outbox))
    assert (error.code, error.field) == ("code_expired", "code")
    newcomer.refresh_from_db()
    assert newcomer.person_id is None


def test_a_code_is_used_only_once(
    newcomer: User, zhang_wei: Person, outbox: list[tuple[str, str]]
) -> None:
    do_start_realname(newcomer, zhang_wei.id_number, "张伟")
    code = code_in(outbox)
    do_confirm_realname(newcomer, code)
    error = refusal(do_confirm_realname, newcomer, code)
    assert error.code == "already_bound"


def test_a_second_binding_of_one_person_is_refused(
    newcomer: User, zhang_wei: Person, outbox: list[tuple[str, str]]
) -> None:
    do_start_realname(newcomer, zhang_wei.id_number, "张伟")
    do_confirm_realname(newcomer, code_in(outbox))
    impostor = UserFactory.create(username="impostor", role=Role.CITIZEN)
    error = refusal(do_start_realname, impostor, zhang_wei.id_number, "张伟")
    assert error.code == "person_already_bound"
    assert "每人只能有一个账户" in error.message


def test_a_binding_race_is_refused_at_confirmation(
    newcomer: User, zhang_wei: Person, outbox: list[tuple[str, str]]
) -> None:
    rival = UserFactory.create(username="rival", role=Role.CITIZEN)
    do_start_realname(newcomer, zhang_wei.id_number, "张伟")
    first = code_in(outbox)
    do_start_realname(rival, zhang_wei.id_number, "张伟")
    do_confirm_realname(rival, code_in(outbox))
    error = refusal(do_confirm_realname, newcomer, first)
    assert error.code == "person_already_bound"
    newcomer.refresh_from_db()
    assert newcomer.person_id is None


def test_staff_cannot_bind_to_a_person(caseworker: User, zhang_wei: Person) -> None:
    error = refusal(do_start_realname, caseworker, zhang_wei.id_number, "张伟")
    assert error.status == 403


def test_guessing_is_limited_per_hour(newcomer: User, zhang_wei: Person) -> None:
    for _ in range(settings.LIUDONG_REALNAME_MAX_STARTS_PER_HOUR):
        refusal(do_start_realname, newcomer, zhang_wei.id_number, "王五")
    error = refusal(do_start_realname, newcomer, zhang_wei.id_number, "张伟")
    assert error.code == "too_many_attempts"


def test_sign_up_and_bind_through_the_pages(
    client: Client, zhang_wei: Person, outbox: list[tuple[str, str]]
) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "username": "zw1992",
            "password1": "river-stone-lantern",
            "password2": "river-stone-lantern",
        },
    )
    assert response["Location"] == "/accounts/realname/"
    response = client.post(
        "/accounts/realname/", {"id_number": zhang_wei.id_number, "name": "张伟"}, follow=True
    )
    page = response.content.decode()
    assert "验证码已发送到 139****5678" in page
    assert "演示环境没有短信网关" in page  # the demo shows the message it would have sent
    response = client.post("/accounts/realname/confirm/", {"code": code_in(outbox)}, follow=True)
    page = response.content.decode()
    assert "实名认证完成" in page
    assert zhang_wei.id_masked in page


def test_a_refused_binding_shows_the_reason_on_the_page(
    client: Client, newcomer: User, zhang_wei: Person
) -> None:
    sign_in(client, newcomer.username)
    response = client.post(
        "/accounts/realname/", {"id_number": zhang_wei.id_number, "name": "李四"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in page
    assert "身份证号码与姓名不一致" in page
