"""Forms of the registry's pages. They check shapes (a date is a date); the actions check
meaning, and their errors are put back on the field they name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from liudong.people.models import HukouType, RetirementGroup


class RegisterPersonForm(forms.Form):
    id_number = forms.CharField(
        label=_("居民身份证号码"),
        max_length=40,
        help_text=_("18位，最后一位可以是X；全角数字也可以"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    name = forms.CharField(label=_("姓名"), max_length=64)
    birth_date = forms.DateField(
        label=_("出生日期"),
        required=False,
        help_text=_("可不填：出生日期取自身份号码；填写时必须与号码一致"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    hukou_region = forms.IntegerField(
        label=_("户籍地行政区划代码"), help_text=_("6位，例如朝阳区为110105")
    )
    hukou_type = forms.ChoiceField(label=_("户口性质"), choices=HukouType.choices)
    retirement_group = forms.ChoiceField(
        label=_("退休年龄组（女性）"),
        required=False,
        choices=[("", _("按性别确定")), *RetirementGroup.choices],
    )
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)
    education = forms.CharField(label=_("学历"), max_length=32, required=False)


class SearchForm(forms.Form):
    id_number = forms.CharField(
        label=_("居民身份证号码"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(label=_("姓名"), max_length=64, required=False)

    def clean(self) -> dict[str, str]:
        data = super().clean() or {}
        if not data.get("id_number") and not data.get("name"):
            raise forms.ValidationError(_("请填写身份号码或姓名"), code="required")
        return data
