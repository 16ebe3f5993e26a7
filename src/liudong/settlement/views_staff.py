"""The staff pages of points settlement: rounds (set up, close, rank with progress, notice,
permits), the review queue, an application with indicator verification (evidence uploaded
through ``liudong.evidence``), a supervisor's confirmation (maker is not checker, shown on the
page) and objections (upheld: a new list version with its reason).

Every page is for caseworkers (staff, supervisors) with a verified second factor; a round or an
application outside the user's city or jurisdiction is a 404 with one ``denied`` audit event.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liudong.accounts.access import refusals_audited, signed_in_user, staff_required
from liudong.accounts.models import Role
from liudong.evidence.models import Evidence
from liudong.settlement import actions, schemes
from liudong.settlement.forms import (
    DecideObjectionForm,
    OpenRoundForm,
    RefuseForm,
    VerifyIndicatorForm,
)
from liudong.settlement.models import (
    Application,
    IndicatorVerification,
    Objection,
    ObjectionStatus,
    RankingList,
    Round,
)
from liudong.settlement.views import assessment_view, history, scheme_name, state_label, today
from liudong.settlement.views_display import fact_value, state_name, text, tie_rule_name
from liudong.site.errors import AccessDeniedError, ActionError, NotFoundError
from liudong.workflows.models import CaseTransition

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

    from liudong.accounts.models import User

    View = Callable[..., HttpResponse]

OPEN_STATES = ("submitted", "verifying", "verified", "review_requested", "reopened")
VERIFIABLE_STATES = ("submitted", "verifying", "review_requested", "reopened")
QUEUE_LIMIT = 200


def caseworker_required(view: View) -> View:
    """Inside ``staff_required``: only caseworkers (staff, supervisors) of an agency."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = signed_in_user(request)
        if user.role not in actions.CASEWORKERS or user.agency_id is None:
            raise AccessDeniedError(_("这一页只对有管辖机构的经办和审核人员开放"))
        return view(request, *args, **kwargs)

    return guarded


def _round_page(round_id: int) -> HttpResponse:
    response: HttpResponse = redirect("settlement:staff_round", round_id=round_id)
    return response


def _my_round(user: User, round_id: int) -> Round:
    found = Round.objects.select_related("region").filter(pk=round_id).first()
    if found is None or not actions.may_run_round(user, found.region_id):
        raise NotFoundError(_("没有这一轮，或者不在您的办理范围内")).about(
            "settlement.round", round_id
        )
    return found


def _my_application(user: User, application_id: int) -> Application:
    found = actions.applications_for(user).filter(pk=application_id).first()
    if found is None:
        raise NotFoundError(_("没有找到这份申请，或者不在您的管辖范围内")).about(
            actions.OBJECT_APPLICATION, application_id
        )
    return found


def _done(request: HttpRequest, message: str, to: str, **kwargs: int) -> HttpResponse:
    messages.success(request, message)
    return HttpResponseRedirect(reverse(to, kwargs=kwargs))


def _refused(request: HttpRequest, exc: ActionError, to: str, **kwargs: int) -> HttpResponse:
    messages.error(request, exc.message)
    return HttpResponseRedirect(reverse(to, kwargs=kwargs))


# ---------------------------------------------------------------------------------------------
# Rounds.


@refusals_audited("settlement.open_round")
@staff_required
@caseworker_required
@require_http_methods(["GET", "POST"])
def rounds(request: HttpRequest) -> HttpResponse:
    """The rounds of the user's city and the form to set up a new one."""
    user = signed_in_user(request)
    form = OpenRoundForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            rnd = actions.do_open_round(user, **form.cleaned_data)
        except ActionError as exc:
            if exc.status in {401, 403, 404}:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return _done(
                request,
                _("已设立%(year)d年度的轮次") % {"year": rnd.year},
                "settlement:staff_round",
                round_id=rnd.pk,
            )
    found = [
        r
        for r in Round.objects.select_related("region").order_by("-year", "scheme")
        if actions.may_run_round(user, r.region_id)
    ]
    rows = [{"round": r, "name": scheme_name(r.scheme)} for r in found]
    status = 422 if form.is_bound and form.errors else 200
    return render(
        request, "settlement/staff/rounds.html", {"rows": rows, "form": form}, status=status
    )


@refusals_audited("settlement.read_round")
@staff_required
@caseworker_required
@require_GET
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    user = signed_in_user(request)
    rnd = _my_round(user, round_id)
    counts: dict[str, int] = {}
    for state in Application.objects.filter(round=rnd).values_list("case__state", flat=True):
        counts[state or "pre"] = counts.get(state or "pre", 0) + 1
    objections = list(
        Objection.objects.filter(list__round=rnd)
        .select_related("entry__application__case", "list", "objector")
        .order_by("status", "filed_at")
    )
    context = {
        "round": rnd,
        "name": scheme_name(rnd.scheme),
        "counts": [(_state_count_name(state), n) for state, n in sorted(counts.items())],
        "tie_rule": tie_rule_name(rnd.tie_rule),
        "pending": actions.pending_applications(rnd),
        "lists": list(RankingList.objects.filter(round=rnd).order_by("-version")),
        "objections": objections,
        "decide_form": DecideObjectionForm(),
        "made_by_me": _objections_on_my_work(user, objections),
        "is_supervisor": user.role == Role.SUPERVISOR,
        "today": today(),
        "task": _task(rnd),
    }
    return render(request, "settlement/staff/round.html", context)


def _objections_on_my_work(user: User, objections: list[Objection]) -> set[int]:
    """The open objections to a line whose case the user made the last maker step of
    (maker is not checker: another supervisor decides them)."""
    mine = set()
    for objection in objections:
        if objection.status != ObjectionStatus.OPEN or objection.entry is None:
            continue
        maker = _last_maker(objection.entry.application)
        if maker is not None and maker.actor_id == user.pk:
            mine.add(objection.pk)
    return mine


def _task(rnd: Round) -> dict[str, Any] | None:
    if not rnd.ranking_task_id:
        return None
    from liudong.tasks import status

    try:
        found = status(rnd.ranking_task_id)
    except NotFoundError:
        return None
    state = str(found.get("state", ""))
    return {**found, "running": state not in {"SUCCESSFUL", "FAILED"}, "id": rnd.ranking_task_id}


@refusals_audited("settlement.read_round")
@staff_required
@caseworker_required
@require_GET
def ranking_progress(request: HttpRequest, round_id: int) -> HttpResponse:
    """The ranking run's progress and the round's next step (htmx polls this fragment until
    the run ends: the button to publish the notice appears without reloading the page)."""
    user = signed_in_user(request)
    rnd = _my_round(user, round_id)
    context = {
        "round": rnd,
        "task": _task(rnd),
        "is_supervisor": user.role == Role.SUPERVISOR,
        "today": today(),
        "fragment": True,  # the round's status is swapped in too (out of band)
    }
    return render(request, "settlement/staff/_progress.html", context)


def _round_step(
    request: HttpRequest, round_id: int, step: Callable[[User, Round], object], done: str
) -> HttpResponse:
    user = signed_in_user(request)
    rnd = _my_round(user, round_id)
    try:
        step(user, rnd)
    except ActionError as exc:
        if exc.status in {401, 403, 404}:
            raise
        return _refused(request, exc, "settlement:staff_round", round_id=rnd.pk)
    return _done(request, done, "settlement:staff_round", round_id=rnd.pk)


@refusals_audited("settlement.close_round")
@staff_required
@caseworker_required
@require_POST
def close_round(request: HttpRequest, round_id: int) -> HttpResponse:
    return _round_step(request, round_id, actions.do_close_round, _("已截止申报。"))


@refusals_audited("settlement.rank_round")
@staff_required
@caseworker_required
@require_POST
def rank_round(request: HttpRequest, round_id: int) -> HttpResponse:
    return _round_step(
        request, round_id, actions.do_rank_round, _("排名已在后台开始，本页显示进度。")
    )


@refusals_audited("settlement.publish_notice")
@staff_required
@caseworker_required
@require_POST
def publish_notice(request: HttpRequest, round_id: int) -> HttpResponse:
    return _round_step(request, round_id, actions.do_publish_notice, _("名单已公示。"))


@refusals_audited("settlement.issue_permits")
@staff_required
@caseworker_required
@require_POST
def issue_permits(request: HttpRequest, round_id: int) -> HttpResponse:
    return _round_step(request, round_id, actions.do_issue_permits, _("已发放落户证明，本轮办结。"))


# ---------------------------------------------------------------------------------------------
# The queue and one application.


@refusals_audited("settlement.read_application")
@staff_required
@caseworker_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Open applications in the user's jurisdiction, the earliest deadline first."""
    found = list(
        actions.applications_for(signed_in_user(request))
        .filter(case__state__in=OPEN_STATES)
        .order_by("case__deadline", "created_at", "pk")[:QUEUE_LIMIT]
    )
    rows = [
        {"application": a, "name": scheme_name(a.round.scheme), "state": state_label(a)}
        for a in found
    ]
    return render(request, "settlement/staff/queue.html", {"rows": rows, "today": today()})


@refusals_audited("settlement.read_application")
@staff_required
@caseworker_required
@require_GET
def application(request: HttpRequest, application_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = _my_application(user, application_id)
    return render(request, "settlement/staff/application.html", _context(user, found))


def _context(user: User, found: Application, **forms: Any) -> dict[str, Any]:
    scheme = schemes.scheme(found.round.scheme)
    verifications = list(
        IndicatorVerification.objects.filter(application=found)
        .select_related("verified_by")
        .prefetch_related("evidence")
        .order_by("verified_at", "pk")
    )
    latest = {v.indicator: v for v in verifications}
    evidence = list(
        Evidence.objects.filter(
            object_type=actions.OBJECT_APPLICATION, object_id=str(found.pk)
        ).order_by("uploaded_at", "pk")
    )
    maker = _last_maker(found)
    needed = set(actions.indicators_to_verify(found))
    pending = set(actions.unverified_indicators(found))
    rows = [
        {
            "name": f.name,
            "label": text(f.label),
            "declared": fact_value(f, found.declared.get(f.name)),
            "registry": fact_value(f, found.registry.get(f.name)),
            "differs": any(d["field"] == f.name for d in found.differences),
            "verified": latest.get(f.name),
            "verified_value": fact_value(f, latest[f.name].value) if f.name in latest else "",
            "needs_employer": f.needs_employer,
            "needed": f.name in needed,  # else: claims nothing, no evidence needed
            "pending": f.name in pending,  # needed, not verified, the registry does not agree
        }
        for f in scheme.fields_on(found.round.assessed_on)
    ]
    return {
        "application": found,
        "round": found.round,
        "person": found.person,
        "name": scheme_name(found.round.scheme),
        "state": state_label(found),
        "rows": rows,
        "verifications": verifications,
        "evidence": evidence,
        "preliminary": assessment_view(found.assessment),
        "verified": assessment_view(found.verified_assessment),
        "maker": maker,
        "i_am_maker": maker is not None and maker.actor_id == user.pk,
        "is_supervisor": user.role == Role.SUPERVISOR,
        "may_verify": found.case is not None and found.case.state in VERIFIABLE_STATES,
        "verify_form": forms.get("verify_form")
        or VerifyIndicatorForm(scheme=scheme, on=found.round.assessed_on, evidence=evidence),
        "refuse_form": forms.get("refuse_form") or RefuseForm(),
        "history": history(found.case),
        "today": today(),
    }


def _state_count_name(state: str) -> str:
    if state == "pre":
        return _("尚未立案（待申请人确认或已失效）")
    return state_name(state)


def _last_maker(found: Application) -> CaseTransition | None:
    if found.case is None:
        return None
    return (
        CaseTransition.objects.filter(case=found.case, maker=True)
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )


@refusals_audited("settlement.verify_indicator")
@staff_required
@caseworker_required
@require_POST
def verify_indicator(request: HttpRequest, application_id: int) -> HttpResponse:
    """Record one indicator's verified value with the evidence relied on (files uploaded
    now, or uploaded earlier to this application)."""
    user = signed_in_user(request)
    found = _my_application(user, application_id)
    scheme = schemes.scheme(found.round.scheme)
    evidence = list(
        Evidence.objects.filter(object_type=actions.OBJECT_APPLICATION, object_id=str(found.pk))
    )
    form = VerifyIndicatorForm(
        request.POST, request.FILES, scheme=scheme, on=found.round.assessed_on, evidence=evidence
    )
    if form.is_valid():
        try:
            actions.do_verify_indicator(user, found, **form.action_arguments())
        except ActionError as exc:
            if exc.status in {401, 403, 404}:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            label = text(scheme.field(form.cleaned_data["indicator"]).label)
            return _done(
                request,
                _("已核实：%(label)s") % {"label": label},
                "settlement:staff_application",
                application_id=found.pk,
            )
    found.refresh_from_db()
    context = _context(user, found, verify_form=form)
    return render(request, "settlement/staff/application.html", context, status=422)


@refusals_audited("settlement.finish_verification")
@staff_required
@caseworker_required
@require_POST
def step(request: HttpRequest, application_id: int) -> HttpResponse:
    """Finish the verification (the preliminary score becomes the verified one and the
    applicant's review window starts)."""
    user = signed_in_user(request)
    found = _my_application(user, application_id)
    try:
        actions.do_finish_verification(user, found)
    except ActionError as exc:
        if exc.status in {401, 403, 404}:
            raise
        return _refused(request, exc, "settlement:staff_application", application_id=found.pk)
    return _done(
        request,
        _("审核完成，已通知申请人；复核期满后由另一位审核人员确认。"),
        "settlement:staff_application",
        application_id=found.pk,
    )


@refusals_audited("settlement.confirm_application")
@staff_required
@caseworker_required
@require_POST
def confirm(request: HttpRequest, application_id: int) -> HttpResponse:
    """A supervisor confirms the verified score, or refuses with a written reason."""
    user = signed_in_user(request)
    found = _my_application(user, application_id)
    refusing = request.POST.get("decision") == "refuse"
    try:
        if refusing:
            form = RefuseForm(request.POST)
            if not form.is_valid():
                context = _context(user, found, refuse_form=form)
                return render(request, "settlement/staff/application.html", context, status=422)
            actions.do_refuse_application(user, found, reason=form.cleaned_data["reason"])
        else:
            actions.do_confirm_application(user, found)
    except ActionError as exc:
        if exc.status in {401, 403, 404}:
            raise
        return _refused(request, exc, "settlement:staff_application", application_id=found.pk)
    message = _("已不予受理，理由已通知申请人。") if refusing else _("积分已确认。")
    return _done(request, message, "settlement:staff_application", application_id=found.pk)


# ---------------------------------------------------------------------------------------------
# Objections.


@refusals_audited("settlement.decide_objection")
@staff_required
@caseworker_required
@require_POST
def decide_objection(request: HttpRequest, objection_id: int) -> HttpResponse:
    """A supervisor decides: dismissed (the list stands) or upheld with the corrected
    indicator values (a new list version, with the decision as its reason)."""
    user = signed_in_user(request)
    found = (
        Objection.objects.select_related("list__round", "entry")
        .filter(pk=objection_id, status=ObjectionStatus.OPEN)
        .first()
    )
    if found is None or not actions.may_run_round(user, found.list.round.region_id):
        raise NotFoundError(_("没有这件待处理的异议，或者不在您的办理范围内")).about(
            "settlement.objection", objection_id
        )
    scheme = schemes.scheme(found.list.round.scheme)
    form = DecideObjectionForm(request.POST, scheme=scheme)
    back = {"round_id": found.list.round_id}
    if not form.is_valid():
        problems = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        messages.error(request, _("未处理：%(problems)s") % {"problems": problems})
        return _round_page(found.list.round_id)
    try:
        actions.do_decide_objection(user, found, **form.action_arguments())
    except ActionError as exc:
        if exc.status in {401, 403, 404}:
            raise
        return _refused(request, exc, "settlement:staff_round", **back)
    upheld = form.cleaned_data["upheld"]
    message = _("异议成立，已发布更正后的新版本名单。") if upheld else _("异议不成立，名单不变。")
    return _done(request, message, "settlement:staff_round", **back)
