"""Sign-in (password, then TOTP for staff), sign-out, sign-up, password change, real-name
binding. Views parse the form, call one action, render; the actions are the guards."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user
from django_otp import login as otp_login

from liudong.accounts import actions, forms, sms
from liudong.accounts.access import (
    citizen_required,
    has_staff_role,
    is_verified,
    refusals_audited,
    signed_in_user,
)
from liudong.accounts.middleware import ENDED, start_session
from liudong.accounts.models import User
from liudong.site.errors import ActionError

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

PENDING = "liudong_pending_login"
ModelBackend = "django.contrib.auth.backends.ModelBackend"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _ended_message(request: HttpRequest) -> None:
    reason = request.session.pop(ENDED, None)
    if reason == "idle":
        minutes = settings.LIUDONG_IDLE_TIMEOUT_SECONDS // 60
        messages.info(
            request,
            _("您已 %(minutes)s 分钟没有操作，已自动退出。请重新登录。") % {"minutes": minutes},
        )
    elif reason == "absolute":
        hours = settings.SESSION_COOKIE_AGE // 3600
        messages.info(
            request, _("登录已满 %(hours)s 小时，已自动退出。请重新登录。") % {"hours": hours}
        )


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step 1: password. Citizens and employers are then signed in; staff go to step 2."""
    _ended_message(request)
    form = forms.LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            return _after_password(request, form.get_user(), form)
        locked = bool(getattr(request, "axes_locked_out", False))
        actions.record_login_failure(
            request.POST.get("username", ""), "locked" if locked else "password"
        )
    return render(request, "accounts/login.html", {"form": form, "next": _next_url(request)})


def _after_password(request: HttpRequest, user: User, form: forms.LoginForm) -> HttpResponse:
    if not user.needs_second_factor:
        login(request, user)
        start_session(request)
        actions.record_login(user, second_factor=False)
        return redirect(_next_url(request))
    if not any(devices_for_user(user, confirmed=True)):
        actions.record_login_failure(user.username, "no_device", user)
        form.add_error(
            None,
            _("您的账户还没有绑定身份验证器，不能登录。请联系系统管理员为您开通。"),
        )
        return render(request, "accounts/login.html", {"form": form, "next": _next_url(request)})
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", ModelBackend),
        "at": time.time(),
        "tries": 0,
    }
    return redirect(f"{reverse('accounts:verify')}?next={_next_url(request)}")


def _pending_user(request: HttpRequest) -> User | None:
    """Whose second factor this is: the pending sign-in, or a signed-in unverified staff user."""
    user = request.user
    if isinstance(user, User) and has_staff_role.test(user):
        return None if is_verified.test(user) else user
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > settings.LIUDONG_LOGIN_PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    return User.objects.filter(pk=pending["user"], is_active=True).first()


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    """Step 2 for staff: the TOTP code. Wrong codes count towards the lockout as well."""
    user = _pending_user(request)
    if user is None:
        if request.user.is_authenticated:
            return redirect(_next_url(request))
        messages.info(request, _("请重新输入用户名和密码。"))
        return redirect("accounts:login")
    form = forms.TOTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _verify_code(user, form.cleaned_data["code"])
        if device is not None:
            _complete_login(request, user, device)
            return redirect(_next_url(request))
        form.add_error("code", _("动态验证码不正确或已使用过，请等下一个验证码出现后再输入。"))
        if _count_failure(request, user):
            messages.error(request, _("动态验证码输错次数过多，请重新登录。"))
            return redirect("accounts:login")
    return render(
        request, "accounts/verify.html", {"form": form, "next": _next_url(request), "who": user}
    )


def _verify_code(user: User, code: str) -> Any:
    for device in devices_for_user(user, confirmed=True):
        allowed, _info = device.verify_is_allowed()
        if allowed and device.verify_token(code):
            return device
    return None


def _complete_login(request: HttpRequest, user: User, device: Any) -> None:
    pending = request.session.pop(PENDING, None) or {}
    if request.user.is_authenticated:
        request.session.cycle_key()  # a new key for the newly verified session
    else:
        login(request, user, backend=pending.get("backend", ModelBackend))
    otp_login(request, device)
    start_session(request)
    actions.record_login(user, second_factor=True)


def _count_failure(request: HttpRequest, user: User) -> bool:
    """Record a wrong code; True when the sign-in must start again from the password."""
    actions.record_login_failure(user.username, "totp", user)
    user_login_failed.send(
        sender=__name__, credentials={"username": user.username}, request=request
    )
    pending = request.session.get(PENDING)
    if pending is None:
        return False
    pending["tries"] += 1
    request.session.modified = True
    if pending["tries"] >= settings.LIUDONG_TOTP_MAX_ATTEMPTS:
        del request.session[PENDING]
        return True
    return False


@never_cache
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """POST ends the session on the server; GET asks first (links must not sign people out)."""
    if request.method == "GET":
        return render(request, "accounts/logout.html")
    if isinstance(request.user, User):
        actions.record_logout(request.user, "user")
    logout(request)
    messages.success(request, _("您已退出登录。"))
    return redirect("home")


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    """A citizen account; real-name binding follows."""
    if request.user.is_authenticated:
        return redirect("home")
    form = forms.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.do_sign_up(
                None, form.cleaned_data["username"], form.cleaned_data["password1"]
            )
        except ActionError as exc:
            forms.show_error(form, exc)
        else:
            login(request, user, backend=ModelBackend)
            start_session(request)
            actions.record_login(user, second_factor=False)
            messages.success(request, _("账户已创建。请完成实名认证。"))
            return redirect("accounts:realname")
    return render(request, "accounts/signup.html", {"form": form})


@sensitive_post_parameters()
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    """Change one's own password: this session continues, every other one ends."""
    user = signed_in_user(request)
    if has_staff_role.test(user) and not is_verified.test(user):
        return redirect(f"{reverse('accounts:verify')}?next={request.path}")
    form = forms.PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_set_password(user, user, form.cleaned_data["new_password1"])
        except ActionError as exc:
            forms.show_error(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改。您在其他设备上的登录已全部退出。"))
            return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


@refusals_audited(actions.START_REALNAME)
@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def realname_view(request: HttpRequest) -> HttpResponse:
    """Real-name binding, step 1: ID number and name; a code goes to the registered phone."""
    user = signed_in_user(request)
    if user.person_id is not None:
        return render(request, "accounts/realname_done.html", {"person": user.person})
    form = forms.RealNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = actions.do_start_realname(
                user, form.cleaned_data["id_number"], form.cleaned_data["name"]
            )
        except ActionError as exc:
            forms.show_error(form, exc)
        else:
            _show_demo_sms(request, challenge.phone_masked)
            return redirect("accounts:realname_confirm")
    return render(request, "accounts/realname.html", {"form": form})


def _show_demo_sms(request: HttpRequest, phone_masked: str) -> None:
    """Without a real SMS gateway (demo), show the message that would have been sent."""
    gateway = sms.gateway()
    if isinstance(gateway, sms.FakeSMSGateway) and not settings.PRODUCTION:
        text = gateway.outbox[-1][1] if gateway.outbox else ""
        messages.info(
            request,
            _("演示环境没有短信网关。发送到 %(phone)s 的短信是：%(text)s")
            % {"phone": phone_masked, "text": text},
        )


@refusals_audited(actions.CONFIRM_REALNAME)
@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def realname_confirm_view(request: HttpRequest) -> HttpResponse:
    """Real-name binding, step 2: the code from the SMS."""
    user = signed_in_user(request)
    if user.person_id is not None:
        return redirect("accounts:realname")
    challenge = actions.current_challenge(user)
    if challenge is None:
        return redirect("accounts:realname")
    form = forms.RealNameCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_confirm_realname(user, form.cleaned_data["code"])
        except ActionError as exc:
            forms.show_error(form, exc)
        else:
            messages.success(request, _("实名认证完成，您的账户已与户籍登记绑定。"))
            return redirect("home")
    return render(request, "accounts/realname_confirm.html", {"form": form, "challenge": challenge})


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): the designed locked page, 429."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 15
    context = {"limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "accounts/locked.html", context, status=429)
