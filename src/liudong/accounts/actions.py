"""Every change to an account is an action here: sign-up, password, real-name binding; and the
security events of signing in and out, each with its audit event (GB/T 22239 8.1.4.3 a).

Refusals are audited once, after their transaction rolled back (``liudong.site.actions``).
``do_confirm_realname`` is the exception to "one transaction": a wrong code must still count
against the challenge, so it commits the attempt and then refuses.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong import crypto
from liudong.accounts import realname, sms
from liudong.accounts.models import RealNameChallenge, Role, User
from liudong.audit.events import record
from liudong.audit.models import AuditEvent, Outcome
from liudong.people import idnumber
from liudong.site.actions import action, refuse
from liudong.site.errors import AccessDeniedError, ActionError, ConflictError, InvalidInputError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

START_REALNAME = "accounts.start_realname"
CONFIRM_REALNAME = "accounts.confirm_realname"


# ---------------------------------------------------------------- sign-up and passwords


@action("accounts.sign_up")
def do_sign_up(actor: User | None, username: str, password: str) -> User:
    """Create a citizen account (not yet bound to a person: see do_start_realname)."""
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInputError(
            "username_taken", _("这个用户名已被使用，请换一个。"), field="username"
        )
    user = User(username=username, role=Role.CITIZEN)
    _check_password(user, password, field="password1")
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    record(user, "accounts.sign_up", user)
    return user


@action("accounts.set_password")
def do_set_password(actor: User | None, user: User, password: str) -> None:
    """Set a user's password (their own, or by an administrator). Every other session of the
    user ends: Django's session auth hash changes with the password; the caller keeps its own
    session with ``update_session_auth_hash``."""
    if actor is None or (actor.pk != user.pk and actor.role != Role.ADMIN):
        raise AccessDeniedError(_("只能修改自己的密码。")).about("accounts.user", user.pk)
    _check_password(user, password, field="new_password1")
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    record(actor, "accounts.set_password", user)


def _check_password(user: User, password: str, field: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInputError("weak_password", " ".join(exc.messages), field=field) from None


# ---------------------------------------------------------------- signing in and out


def record_login(user: User, *, second_factor: bool) -> None:
    """A successful sign-in (after both factors for staff)."""
    factors = "password+totp" if second_factor else "password"
    record(user, "accounts.login", user, detail={"factors": factors})


def record_login_failure(username: str, stage: str, user: User | None = None) -> None:
    """A refused sign-in: ``stage`` is password, totp, locked or no_device."""
    record(
        None,
        "accounts.login",
        outcome=Outcome.REJECTED,
        detail={"stage": stage, "username": username[:150]},
        object_type="accounts.user" if user is not None else "",
        object_id=str(user.pk) if user is not None else "",
    )


def record_logout(user: User, reason: str) -> None:
    """A session ended: ``reason`` is user, idle or absolute."""
    record(user, "accounts.logout", user, detail={"reason": reason})


# ---------------------------------------------------------------- real-name binding


def _now() -> dt.datetime:
    return timezone.now()


def _code_hash(challenge_user: int, person: int, code: str) -> str:
    key = crypto.subkey("accounts.realname-code")
    return crypto.hmac_sm3(key, f"{challenge_user}:{person}:{code}".encode()).hex()


def _citizen_to_bind(actor: User | AnonymousUser | None) -> User:
    """The actor, if it is a citizen account not yet bound to a person."""
    if not isinstance(actor, User) or actor.role != Role.CITIZEN:
        raise AccessDeniedError(_("只有公民账户可以进行实名认证。"))
    if actor.person_id is not None:
        raise ConflictError("already_bound", _("您的账户已经完成实名认证。"))
    return actor


@action(START_REALNAME)
def do_start_realname(actor: User | None, id_number: str, name: str) -> RealNameChallenge:
    """Match the ID number and name against the verifier and send a one-time code by SMS.

    Refused: when the account is not an unbound citizen; after too many tries in an hour
    (refusals count too, so guessing names is slow); when the ID number is malformed; when
    number and name do not match (one message for both, so nothing is learned about which);
    when the person already has an account; when no mobile number is on record.
    """
    user = _citizen_to_bind(actor)
    since = _now() - dt.timedelta(hours=1)
    tries = AuditEvent.objects.filter(actor_id=user.pk, action=START_REALNAME, at__gte=since)
    if tries.count() >= settings.LIUDONG_REALNAME_MAX_STARTS_PER_HOUR:
        raise InvalidInputError(
            "too_many_attempts", _("尝试次数过多，请一小时后再试。"), field=None
        )
    try:
        idnumber.parse(id_number, today=timezone.localdate())
    except idnumber.IDNumberError as exc:
        raise InvalidInputError(
            exc.code, _("身份证号码有误：%(reason)s") % {"reason": exc}, field="id_number"
        ) from None
    match = realname.verifier().verify(id_number, name)
    if match is None:
        raise InvalidInputError(
            "realname_mismatch",
            _("身份证号码与姓名不一致，或户籍登记中没有这个人。请核对后再试。"),
        )
    if User.objects.filter(person_id=match.person_id).exists():
        raise ConflictError("person_already_bound", _already_bound_message())
    if not match.phone:
        raise InvalidInputError(
            "no_phone",
            _("户籍登记中没有您的手机号码，无法发送验证码。请携带身份证到户籍窗口办理。"),
        )
    return _issue_challenge(user, match)


def _already_bound_message() -> str:
    return _(
        "这个身份已经绑定了另一个账户：每人只能有一个账户。请用那个账户登录；"
        "如果不是您本人注册的，请携带身份证到户籍窗口处理。"
    )


def _issue_challenge(actor: User, match: realname.Verified) -> RealNameChallenge:
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = _now()
    challenge = RealNameChallenge.objects.create(
        user=actor,
        person_id=match.person_id,
        code_hash=_code_hash(actor.pk, match.person_id, code),
        phone_masked=realname.mask_phone(match.phone),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.LIUDONG_REALNAME_CODE_SECONDS),
    )
    minutes = settings.LIUDONG_REALNAME_CODE_SECONDS // 60
    sms.gateway().send(
        match.phone,
        _("【流动】您的实名认证验证码是 %(code)s，%(minutes)s 分钟内有效。如非本人操作，请忽略。")
        % {"code": code, "minutes": minutes},
    )
    record(actor, START_REALNAME, challenge, detail={"phone": challenge.phone_masked})
    return challenge


def current_challenge(user: User) -> RealNameChallenge | None:
    """The user's latest unused challenge, if any (it may have expired)."""
    return user.realname_challenges.filter(used_at__isnull=True).first()


def do_confirm_realname(actor: User | None, code: str) -> User:
    """Check the code of the latest challenge and bind the account to its person.

    A wrong code counts against the challenge even though the binding is refused, so the
    attempt is committed before the refusal is raised."""
    try:
        user = _citizen_to_bind(actor)
    except ActionError as exc:
        raise refuse(actor, CONFIRM_REALNAME, exc) from None
    with transaction.atomic():
        challenge = (
            RealNameChallenge.objects.select_for_update()
            .filter(user=user, used_at__isnull=True)
            .first()
        )
        checked = _check_code(user, challenge, code)
        if isinstance(checked, RealNameChallenge):
            try:
                with transaction.atomic():
                    return _bind(user, checked)
            except IntegrityError:
                checked = ConflictError("person_already_bound", _already_bound_message())
    raise refuse(user, CONFIRM_REALNAME, checked)


def _check_code(
    user: User, challenge: RealNameChallenge | None, code: str
) -> RealNameChallenge | ActionError:
    """The challenge if the code is right; otherwise the refusal (the attempt is counted)."""
    if challenge is None:
        return InvalidInputError(
            "no_challenge", _("没有待确认的验证码，请先填写身份证号码和姓名。")
        )
    if challenge.expires_at <= _now():
        return InvalidInputError(
            "code_expired", _("验证码已过期，请重新获取。"), field="code"
        ).about("accounts.realnamechallenge", challenge.pk)
    if challenge.attempts >= settings.LIUDONG_REALNAME_MAX_ATTEMPTS:
        return InvalidInputError(
            "too_many_attempts", _("验证码输错次数过多，请重新获取。"), field="code"
        ).about("accounts.realnamechallenge", challenge.pk)
    challenge.attempts += 1
    challenge.save(update_fields=["attempts"])
    given = "".join(code.split())
    if secrets.compare_digest(_code_hash(user.pk, challenge.person_id, given), challenge.code_hash):
        return challenge
    left = settings.LIUDONG_REALNAME_MAX_ATTEMPTS - challenge.attempts
    return InvalidInputError(
        "wrong_code",
        _("验证码不正确，还可以再试 %(left)s 次。") % {"left": left}
        if left
        else _("验证码不正确，请重新获取验证码。"),
        field="code",
    ).about("accounts.realnamechallenge", challenge.pk)


def _bind(actor: User, challenge: RealNameChallenge) -> User:
    if User.objects.filter(person_id=challenge.person_id).exists():
        raise IntegrityError("person already bound")
    challenge.used_at = _now()
    challenge.save(update_fields=["used_at"])
    actor.person_id = challenge.person_id
    actor.save(update_fields=["person"])
    record(actor, CONFIRM_REALNAME, actor, detail={"person": challenge.person_id})
    return actor


# ---------------------------------------------------------------- administrators


@action("accounts.create_admin")
def do_create_admin(actor: User | None, username: str, password: str) -> tuple[User, TOTPDevice]:
    """Create an administrator with a TOTP device (``liudong manage createadmin``).

    Not a superuser: administrators manage reference data and accounts, and read no personal
    data (GB/T 22239 8.1.5), so they get the role, not Django's all-permissions flag."""
    if actor is not None and actor.role != Role.ADMIN:
        raise AccessDeniedError(_("只有系统管理员可以创建管理员账户。"))
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInputError(
            "username_taken", _("这个用户名已被使用，请换一个。"), field="username"
        )
    user = User(username=username, role=Role.ADMIN, is_staff=True)
    _check_password(user, password, field="password")
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    record(actor, "accounts.create_admin", user)
    return user, device
