"""The analyst page (/settlement/analysis/): a points scheme over a synthetic population, with
an optional reform, as figures and charts (Altair specifications drawn in the browser by the
vendored vega-embed).

Open to staff, supervisors and administrators (and analysts, where that role exists), with the
staff checks of ``staff_required``. The data are synthetic: no person's record is read.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django import forms
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from liudong.accounts.access import refusals_audited, signed_in_user, staff_required
from liudong.accounts.models import Role, User
from liudong.settlement import analysis, analysis_runs, schemes
from liudong.settlement.views_display import education_name, lang, tie_rule_name
from liudong.site.errors import AccessDeniedError, InvalidInputError

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

    View = Callable[..., HttpResponse]

ANALYSTS = frozenset(
    r for r in ("analyst", Role.STAFF, Role.SUPERVISOR, Role.ADMIN) if r in Role.values
)


def analysts_only(view: View) -> View:
    """Inside ``staff_required``: only the roles in :data:`ANALYSTS` reach the view."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (isinstance(user, User) and user.role in ANALYSTS):
            raise AccessDeniedError(
                "forbidden", _("政策分析页面只对分析、经办、审核人员和系统管理员开放")
            )
        return view(request, *args, **kwargs)

    return guarded


class AnalysisForm(forms.Form):
    city = forms.ChoiceField(label=gettext_lazy("城市"))
    on = forms.DateField(
        label=gettext_lazy("评估日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    quota = forms.IntegerField(
        label=gettext_lazy("落户指标（人）"), min_value=1, max_value=1_000_000, initial=6000
    )
    population = forms.ChoiceField(
        label=gettext_lazy("人口数据"),
        choices=(
            ("small", gettext_lazy("小规模合成人口（首次使用时生成）")),
            ("demo", gettext_lazy("演示人口（已配置的数据集）")),
        ),
        initial="small",
    )
    reform = forms.ChoiceField(label=gettext_lazy("改革方案"), required=False)
    reform_file = forms.FileField(label=gettext_lazy("或上传改革方案 JSON"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = lang()
        city = self.fields["city"]
        assert isinstance(city, forms.ChoiceField)  # noqa: S101  # declared just above
        city.choices = [(s.key, s.name[language]) for s in schemes.SCHEMES.values()]
        reform = self.fields["reform"]
        assert isinstance(reform, forms.ChoiceField)  # noqa: S101  # declared just above
        reform.choices = [("", _("无（只看现行规定）"))] + [
            (r.slug, r.name) for r in analysis_runs.shipped_reforms()
        ]

    def request_of(self) -> analysis_runs.Request:
        """The analysis asked for (call after ``is_valid``); bad reforms raise, naming the field."""
        data = self.cleaned_data
        upload = data.get("reform_file")
        reform: dict[str, Any] | None = None
        if upload is not None:
            reform = analysis_runs.parse_uploaded_reform(
                upload.read(analysis_runs.MAX_REFORM_BYTES + 1)
            )
        elif data.get("reform"):
            reform = analysis_runs.shipped_reform(str(data["reform"]))
        on: dt.date = data["on"]
        return analysis_runs.Request(
            city=str(data["city"]),
            on=on,
            quota=int(data["quota"]),
            population="demo" if data["population"] == "demo" else "small",
            reform=reform,
        )


def _initial() -> dict[str, Any]:
    return {"city": "beijing", "on": timezone.localdate(), "quota": 6000, "population": "small"}


def _shown(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures with codes put in words for the page and its charts: the tie rule and the
    education levels of the entrants and leavers (the stored figures keep the codes)."""
    shown = {**figures, "tie_rule": tie_rule_name(str(figures.get("tie_rule", "")))}
    movers = figures.get("movers")
    if movers and "education" in movers.get("by", {}):
        by = dict(movers["by"])
        by["education"] = [
            {**group, "group": education_name(str(group["group"]))} for group in by["education"]
        ]
        shown["movers"] = {**movers, "by": by}
    return shown


def _page(
    request: HttpRequest,
    form: AnalysisForm,
    figures: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    figures = _shown(figures) if figures else None
    context = {
        "form": form,
        "figures": figures,
        "charts": analysis.charts(figures, lang()) if figures else None,
        "reforms": analysis_runs.shipped_reforms(),
        "demo_available": analysis_runs.demo_available(),
        "demo_path": analysis_runs.population_path("demo"),
        "small_persons": analysis_runs.small_persons(),
        "language": lang(),
    }
    return render(request, "settlement/analysis.html", context, status=status)


@refusals_audited("settlement.read_analysis")
@staff_required
@analysts_only
@require_GET
def analysis_page(request: HttpRequest) -> HttpResponse:
    """The form: city, date, quota, population and reform."""
    return _page(request, AnalysisForm(initial=_initial()))


@refusals_audited("settlement.run_analysis")
@staff_required
@analysts_only
@require_POST
def analysis_run(request: HttpRequest) -> HttpResponse:
    """Run the analysis: small runs answer on this page, large ones go to the task queue."""
    form = AnalysisForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=422)
    try:
        started = analysis_runs.do_run_analysis(signed_in_user(request), form.request_of())
    except InvalidInputError as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
        return _page(request, form, status=exc.status)
    if started.task_id is not None:
        return redirect("settlement:analysis_result", result_id=started.task_id)
    return _page(request, form, started.figures)


@refusals_audited("settlement.read_analysis")
@staff_required
@analysts_only
@require_GET
def analysis_result(request: HttpRequest, result_id: Any) -> HttpResponse:
    """A queued analysis: its progress until it finishes, then its figures."""
    state, figures = analysis_runs.finished_figures(str(result_id))
    if figures is None:
        context = {"state": state, "result_id": str(result_id)}
        return render(request, "settlement/analysis_waiting.html", context)
    initial = {**_initial(), **{k: figures["request"][k] for k in ("city", "quota", "population")}}
    initial["on"] = figures["request"]["on"]
    return _page(request, AnalysisForm(initial=initial), figures)
