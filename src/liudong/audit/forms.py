"""The filters of the audit search page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liudong.audit.models import Outcome


class SearchForm(forms.Form):
    actor = forms.CharField(label=_("操作人（用户名）"), max_length=150, required=False)
    action = forms.CharField(
        label=_("操作"),
        max_length=64,
        required=False,
        help_text=_("完整的操作名，例如 people.read_id_number"),
    )
    object_type = forms.CharField(
        label=_("对象类型"), max_length=64, required=False, help_text=_("例如 people.person")
    )
    object_id = forms.CharField(label=_("对象编号"), max_length=64, required=False)
    outcome = forms.ChoiceField(
        label=_("结果"), choices=[("", _("全部")), *Outcome.choices], required=False
    )
    date_from = forms.DateField(
        label=_("起始日期（UTC）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("截止日期（UTC，含当日）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("截止日期不能早于起始日期，请调换两个日期。"))
        return data

    def used(self) -> dict[str, str]:
        """The filters given, as text (what the audit event of the search records)."""
        if not self.is_valid():
            return {}
        return {name: str(value) for name, value in self.cleaned_data.items() if value}
