"""Forms of the sign-in, sign-up, password and real-name pages.

Every field has a label; Django 5.2 links errors and help texts to their input with
``aria-describedby`` and marks invalid inputs ``aria-invalid``. Inputs carry the
``autocomplete`` and ``inputmode`` hints that phones use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from liudong.site.errors import ActionError


def show_error(form: forms.Form, error: ActionError) -> None:
    """Put an action's refusal next to its field (or above the form if no field is named)."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class Plain:
    """Labels without Django's trailing colon (the layout puts them above their input)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LoginForm(Plain, AuthenticationForm):
    """Step 1: username and password (django-axes counts the failures)."""

    error_messages = {  # noqa: RUF012  # Django reads this class attribute
        "invalid_login": _("用户名或密码不正确。请注意区分大小写。"),
        "inactive": _("这个账户已停用，请联系系统管理员。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")


def _code_field(label: StrOrPromise, help_text: StrOrPromise) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]{6}",
                "autofocus": True,
            }
        ),
    )


class TOTPForm(Plain, forms.Form):
    """Step 2 for staff: the 6-digit code of the authenticator app."""

    code = _code_field(_("动态验证码"), _("打开身份验证器应用，输入显示的 6 位数字。"))


class SignUpForm(Plain, forms.Form):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("字母、数字和 @ . + - _，不超过 150 个字符。"),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        help_text=_("至少 12 个字符，不能全是数字，不能是常见密码。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("再次输入密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if data and data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class PasswordChangeForm(Plain, DjangoPasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("当前密码")
        self.fields["new_password1"].label = _("新密码")
        self.fields["new_password2"].label = _("再次输入新密码")


class RealNameForm(Plain, forms.Form):
    id_number = forms.CharField(
        label=_("居民身份证号码"),
        min_length=18,
        max_length=18,
        help_text=_("18 位，最后一位可能是 X。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    name = forms.CharField(
        label=_("姓名"),
        max_length=64,
        help_text=_("与身份证上的姓名一致。"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class RealNameCodeForm(Plain, forms.Form):
    code = _code_field(_("短信验证码"), _("发送到您登记的手机号码的 6 位数字，10 分钟内有效。"))
