"""Forms of the certificate pages (shapes only; the actions check meaning)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class VerifyCodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=40,
        help_text=_("证明上的16位验证码，如 7KQ2-M9XD-4TNB-HW3C；大小写、空格和连字符均可"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class VerifyFileForm(forms.Form):
    file = forms.FileField(
        label=_("证明文件（PDF）"),
        help_text=_("本系统出具的 PDF 原件，最大 10 MB；文件只用于核验，不会保存"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )


class IssueExtractForm(forms.Form):
    person_id = forms.IntegerField(
        label=_("人员编号"), min_value=1, help_text=_("人员页面地址中的编号")
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("撤销原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("核验这份证明的人都会看到撤销原因"),
    )
