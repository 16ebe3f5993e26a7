"""The upload form of the administrators' page. It only receives the file; reading it and
checking the arrangement are ``files.read_arrangement_file`` and the action."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ArrangementFileForm(forms.Form):
    file = forms.FileField(
        label=_("节假日安排文件"),
        help_text=_("YAML 或 JSON，一个年份一份；格式见 data/example-2027.yaml（那只是格式示例）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,.json"}),
    )
