"""The settlement pages for everyone and for citizens.

Public: the self-check (``views_selfcheck``), the rounds, each round's published lists (masked
names and ID numbers, root and snapshot hash, every version) and the receipt check. Citizens:
apply to an open round (the receipt secret is shown once), follow the case, ask for review,
withdraw, check her own entry against the published root, object during the notice.

Views are short: decorators admit the role, one action does the work (and the audit), a
template renders. An ``ActionError`` becomes the designed refusal page or a field error.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liudong.accounts.access import citizen_required, refusals_audited, signed_in_user
from liudong.settlement import actions, commitments, schemes, selectors
from liudong.settlement.employment import employment_pending
from liudong.settlement.forms import (
    DISTRICT,
    ApplyForm,
    GroundsForm,
    ObjectionForm,
    SecretForm,
    VerifyReceiptForm,
)
from liudong.settlement.models import (
    Application,
    ApplicationState,
    Permit,
    RankingEntry,
    RankingList,
    Round,
    RoundStatus,
)
from liudong.settlement.views_display import (
    explanation_lines,
    fact_value,
    points,
    state_name,
    step_name,
    text,
)
from liudong.settlement.views_profile import registry_facts
from liudong.settlement.views_selfcheck import self_check
from liudong.site import formtokens
from liudong.site.errors import ConflictError, InvalidInputError, NotFoundError
from liudong.workdays import working_days_between

if TYPE_CHECKING:
    import datetime as dt

    from django.http import HttpRequest

    from liudong.workflows.models import Case

__all__ = [
    "application",
    "apply",
    "check_my_entry",
    "confirm_filing",
    "my_applications",
    "object_to_list",
    "ranking_list",
    "receipt_download",
    "request_review",
    "rounds",
    "self_check",
    "verify",
    "withdraw",
]

APPLY_FORM = "settlement.apply"
LIST_PAGE = 200  # entries per page of a published list


def today() -> dt.date:
    return timezone.localdate()


def _round(round_id: int) -> Round:
    found = Round.objects.select_related("region").filter(pk=round_id).first()
    if found is None:
        raise NotFoundError(_("没有这一轮积分落户")).about("settlement.round", round_id)
    return found


def _own_application(request: HttpRequest, application_id: int) -> Application:
    found = actions.applications_for(signed_in_user(request)).filter(pk=application_id).first()
    if found is None:
        raise NotFoundError(_("没有找到这份申请，或者您无权查看")).about(
            actions.OBJECT_APPLICATION, application_id
        )
    return found


def state_label(application: Application) -> str:
    """The application's state as people read it."""
    if application.case is not None:
        return state_name(application.case.state)
    if application.pre_state:
        return str(ApplicationState(application.pre_state).label)
    return ""


def scheme_name(key: str) -> str:
    try:
        return text(schemes.scheme(key).name)
    except KeyError:
        return key


# ---------------------------------------------------------------------------------------------
# Rounds and applying.


@require_GET
def rounds(request: HttpRequest) -> HttpResponse:
    """Every round, newest first: open ones can be applied to, ranked ones have lists."""
    found = list(Round.objects.select_related("region").order_by("-year", "scheme"))
    on = today()
    rows = [
        {
            "round": rnd,
            "name": scheme_name(rnd.scheme),
            "open": rnd.status == RoundStatus.OPEN and rnd.opens_on <= on <= rnd.closes_on,
            "listed": rnd.status in selectors.PUBLISHED,
        }
        for rnd in found
    ]
    return render(request, "settlement/rounds.html", {"rows": rows})


@refusals_audited("settlement.apply")
@citizen_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, round_id: int) -> HttpResponse:
    """The scheme's form, prefilled with what the registry knows (shown beside it); the
    POST applies and shows the receipt secret once."""
    rnd = _round(round_id)
    user = signed_in_user(request)
    scheme = schemes.scheme(rnd.scheme)
    person = user.person
    if person is None:
        return redirect("accounts:realname")
    registry = registry_facts(person, scheme, rnd.assessed_on)
    districts = [(r.code, r.name) for r in actions.city_districts(rnd)]
    if request.method != "POST":
        initial = _apply_initial(registry)
        home = actions.registered_residence(person, rnd)
        if home.level == "county":
            initial[DISTRICT] = str(home.code)
        form = ApplyForm(initial=initial, scheme=scheme, on=rnd.assessed_on, districts=districts)
        return _apply_page(request, rnd, form, registry)
    if not formtokens.consume(request, APPLY_FORM):
        messages.warning(request, _("这张申请表已经提交过了，没有重复申请。"))
        return redirect("settlement:my_applications")
    form = ApplyForm(request.POST, scheme=scheme, on=rnd.assessed_on, districts=districts)
    if not form.is_valid():
        return _apply_page(request, rnd, form, registry, status=422)
    try:
        filed = actions.do_apply(
            user, rnd, facts=form.facts(), residence_district=form.residence_district()
        )
    except (InvalidInputError, ConflictError) as exc:
        form.put_error(exc.field, exc.message)
        return _apply_page(request, rnd, form, registry, status=exc.status)
    return _receipt_page(request, filed)


def _apply_initial(registry: dict[str, object]) -> dict[str, object]:
    initial: dict[str, object] = {}
    for name, value in registry.items():
        initial[name] = ("yes" if value else "no") if isinstance(value, bool) else value
    return initial


def _apply_page(
    request: HttpRequest,
    rnd: Round,
    form: ApplyForm,
    registry: dict[str, object],
    status: int = 200,
) -> HttpResponse:
    context = {
        "round": rnd,
        "name": scheme_name(rnd.scheme),
        "form": form,
        "registry": _registry_rows(form, registry),
        "form_token": formtokens.issue(request, APPLY_FORM),
        "token_field": formtokens.FIELD,
        "on": today(),
    }
    return render(request, "settlement/apply.html", context, status=status)


@dataclass(frozen=True)
class FactRow:
    label: str
    registry: str
    declared: str
    differs: bool


def _shown(form: ApplyForm, name: str, value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    field = form.fields.get(name)
    choices = dict(getattr(field, "choices", ()) or ())
    return str(choices.get(value, value))


def _registry_rows(form: ApplyForm, registry: dict[str, object]) -> list[FactRow]:
    declared = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    rows = []
    for name, known in registry.items():
        if name not in form.fields:
            continue
        mine = declared.get(name)
        differs = mine not in (None, "") and json.dumps(mine, default=str) != json.dumps(
            known, default=str
        )
        rows.append(FactRow(str(form.fields[name].label), _shown(form, name, known), "", differs))
    return rows


def _receipt_page(request: HttpRequest, filed: actions.Filed) -> HttpResponse:
    """The one page that shows the receipt secret (never stored; the response is not cached)."""
    application = filed.application
    secret = filed.secret or ""
    keep = {
        "format": "liudong.settlement.secret/1",
        "application": application.pk,
        "round": application.round_id,
        "entry_ref": application.entry_ref,
        "secret": secret,
        "issued_at": timezone.now().isoformat(timespec="seconds"),
    }
    data = json.dumps(keep, ensure_ascii=False, indent=2)
    context = {
        "application": application,
        "name": scheme_name(application.round.scheme),
        "secret": secret,
        "download": "data:application/json;base64," + base64.b64encode(data.encode()).decode(),
        "filename": f"liudong-settlement-{application.round_id}-{application.entry_ref}.json",
        "differences": _differences(application),
    }
    response = render(request, "settlement/receipt.html", context, status=201)
    response["Cache-Control"] = "no-store"
    return response


def _differences(application: Application) -> list[dict[str, str]]:
    scheme = schemes.scheme(application.round.scheme)
    fields = {f.name: f for f in scheme.fields}
    return [
        {
            "label": text(fields[d["field"]].label) if d["field"] in fields else d["field"],
            "declared": fact_value(fields.get(d["field"]), d["declared"]),
            "registry": fact_value(fields.get(d["field"]), d["registry"]),
        }
        for d in application.differences
    ]


@dataclass(frozen=True)
class Step:
    """One line of a case's history as the pages show it."""

    at: Any
    name: str
    actor: str
    reason: str


def history(case: Case | None) -> list[Step]:
    """The case's steps, oldest first, each named by the state it led to."""
    if case is None:
        return []
    steps = case.transitions.select_related("actor").order_by("at", "pk")
    return [
        Step(t.at, step_name(t.name, t.target), t.actor.username if t.actor else "", t.reason)
        for t in steps
    ]


@refusals_audited("settlement.confirm_filing")
@citizen_required
@require_POST
def confirm_filing(request: HttpRequest, application_id: int) -> HttpResponse:
    """The applicant confirms a filing her employer made: the receipt secret, once."""
    application = _own_application(request, application_id)
    try:
        filed = actions.do_confirm_filing(signed_in_user(request), application)
    except (InvalidInputError, ConflictError) as exc:
        messages.error(request, exc.message)
        return redirect("settlement:application", application_id=application.pk)
    return _receipt_page(request, filed)


# ---------------------------------------------------------------------------------------------
# Following the case.


@refusals_audited("settlement.read_application")
@citizen_required
@require_GET
def my_applications(request: HttpRequest) -> HttpResponse:
    found = list(actions.applications_for(signed_in_user(request)).order_by("-created_at", "-pk"))
    rows = [
        {"application": a, "name": scheme_name(a.round.scheme), "state": state_label(a)}
        for a in found
    ]
    return render(request, "settlement/my_applications.html", {"rows": rows})


@refusals_audited("settlement.read_application")
@citizen_required
@require_GET
def application(request: HttpRequest, application_id: int) -> HttpResponse:
    found = _own_application(request, application_id)
    return render(request, "settlement/application.html", application_context(request, found))


def application_context(request: HttpRequest, found: Application) -> dict[str, Any]:
    """What her case page shows: state, deadlines, scores with explanations, the review
    window, her entry in the current list."""
    on = today()
    case = found.case
    entry = _current_entry(found)
    review_open = (
        case is not None
        and case.state == "verified"
        and found.review_until is not None
        and on <= found.review_until
    )
    return {
        "application": found,
        "round": found.round,
        "name": scheme_name(found.round.scheme),
        "state": state_label(found),
        "case": case,
        "deadline_days": _days_left(on, case.deadline if case else None),
        "review_days": _days_left(on, found.review_until) if review_open else None,
        "review_open": review_open,
        "preliminary": assessment_view(found.assessment),
        "verified": assessment_view(found.verified_assessment),
        "differences": _differences(found),
        "entry": entry,
        "entry_score": points(Decimal(entry.score_centi) / 100) if entry else "",
        "may_withdraw": found.live and found.round.status in {RoundStatus.OPEN, RoundStatus.CLOSED},
        "awaiting_me": found.case is None
        and found.pre_state == ApplicationState.AWAITING_APPLICANT,
        "review_form": GroundsForm(),
        "secret_form": SecretForm(),
        "history": history(case),
        "permit": Permit.objects.filter(application=found).first(),
        "employer_pending": employment_pending(found),
    }


def _days_left(on: dt.date, until: dt.date | None) -> int | None:
    if until is None or until < on:
        return None
    return working_days_between(on, until)


def assessment_view(stored: dict[str, Any]) -> dict[str, Any] | None:
    """A stored assessment (``actions.assessment_json``) ready for the template."""
    if not stored:
        return None
    return {
        "score": stored.get("score", ""),
        "eligible": stored.get("eligible"),
        "provisional": stored.get("provisional"),
        "ruleset": stored.get("ruleset", ""),
        "preconditions": [
            {"label": text(p["label"]), "met": p["met"], "cite": p["cite"]}
            for p in stored.get("preconditions", [])
        ],
        "items": [
            {
                "label": text(i["label"]),
                "points": i["points"],
                "cite": i["cite"],
                "provisional": i["provisional"],
            }
            for i in stored.get("items", [])
            if Decimal(i["points"])
        ],
        "improvements": [
            {"label": text(m["label"]), "gain": m["gain"], "cite": m["cite"]}
            for m in stored.get("improvements", [])
        ],
        "lines": explanation_lines(stored.get("explanation") or {}),
    }


def _current_entry(found: Application) -> RankingEntry | None:
    """Her line in the newest published list version (none before the notice)."""
    if found.round.status not in selectors.PUBLISHED:
        return None
    return selectors.entries_of(found).order_by("-list__version").first()


@refusals_audited("settlement.request_review")
@citizen_required
@require_POST
def request_review(request: HttpRequest, application_id: int) -> HttpResponse:
    found = _own_application(request, application_id)
    form = GroundsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请写明申请复核的理由。"))
        return redirect("settlement:application", application_id=found.pk)
    try:
        actions.do_request_review(
            signed_in_user(request), found, grounds=form.cleaned_data["grounds"]
        )
    except (InvalidInputError, ConflictError) as exc:
        messages.error(request, exc.message)
        return redirect("settlement:application", application_id=found.pk)
    messages.success(request, _("已申请复核，经办机构将重新审核并通知您结果。"))
    return redirect("settlement:application", application_id=found.pk)


@refusals_audited("settlement.withdraw")
@citizen_required
@require_POST
def withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    found = _own_application(request, application_id)
    try:
        actions.do_withdraw(signed_in_user(request), found)
    except (InvalidInputError, ConflictError) as exc:
        messages.error(request, exc.message)
        return redirect("settlement:application", application_id=found.pk)
    messages.success(request, _("申请已撤回。申报期内可以重新申请。"))
    return redirect("settlement:application", application_id=found.pk)


# ---------------------------------------------------------------------------------------------
# Receipts: her entry under the published root.


@refusals_audited("settlement.read_application")
@citizen_required
@require_GET
def receipt_download(request: HttpRequest, application_id: int) -> HttpResponse:
    """Her receipt for the current list (JSON, to keep with her secret)."""
    found = _own_application(request, application_id)
    entry = _current_entry(found)
    if entry is None or not found.receipt_key:
        raise NotFoundError(_("名单公示后才能取得回执")).about(actions.OBJECT_APPLICATION, found.pk)
    receipt = selectors.receipt_for(found, entry.list)
    response = HttpResponse(
        json.dumps(receipt, ensure_ascii=False, indent=2), content_type="application/json"
    )
    name = f"liudong-receipt-{found.round_id}-v{entry.list.version}-{entry.entry_ref}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@refusals_audited("settlement.read_application")
@citizen_required
@require_POST
def check_my_entry(request: HttpRequest, application_id: int) -> HttpResponse:
    """She pastes her secret: her entry's receipt is checked against the published root."""
    found = _own_application(request, application_id)
    form = SecretForm(request.POST)
    context = application_context(request, found)
    context["secret_form"] = form
    entry = context["entry"]
    if form.is_valid() and entry is not None:
        context["check"] = _check_entry(found, entry, form.cleaned_data["secret"])
    elif entry is None:
        form.add_error(None, _("本轮还没有排名名单，排名公布后才能核对。"))
    status = 200 if form.is_valid() else 422
    return render(request, "settlement/application.html", context, status=status)


def _check_entry(found: Application, entry: RankingEntry, secret: str) -> dict[str, Any]:
    try:
        key = commitments.receipt_key(secret)
    except commitments.SecretError:
        return {"ok": False, "reason": _("密钥格式不对：应是申请时显示的52个字母和数字")}
    if key.hex() != found.receipt_key:
        return {"ok": False, "reason": _("这不是这份申请的回执密钥")}
    receipt = selectors.receipt_for(found, entry.list)
    result = selectors.verify_receipt(receipt, secret)
    return {"ok": result.ok, "reason": verify_reason(result.code, result.reason)}


def verify_reason(code: str, reason: str) -> str:
    """The check's outcome in the page's language (the code is stable)."""
    reasons = {
        "ok": _(
            "核对一致：您的条目（积分、名次、是否拟落户）就在公布的名单里，名单公布后没有被改动。"
        ),
        "malformed": _("回执不完整或格式不对。"),
        "bad_secret": _("密钥格式不对，或与回执不符。"),
        "commitment_mismatch": _(
            "回执中的条目与密钥算出的承诺值不一致：回执被改动过，或密钥不对。"
        ),
        "other_root": _(
            "回执对应的名单根值与公布的不一致：名单可能已更正为新版本，请下载新版本的回执。"
        ),
        "not_in_list": _("按回执中的证明，这个条目不在公布的名单里。"),
        "unknown_list": _("没有找到回执中所说的那一版名单。"),
    }
    return reasons.get(code, reason)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone pastes a receipt and its secret: verified against the published root of the
    list version the receipt names, or the reason it is not."""
    if request.method != "POST":
        return render(request, "settlement/verify.html", {"form": VerifyReceiptForm()})
    form = VerifyReceiptForm(request.POST)
    if not form.is_valid():
        return render(request, "settlement/verify.html", {"form": form}, status=422)
    result = selectors.verify_receipt(form.cleaned_data["receipt"], form.cleaned_data["secret"])
    context = {"form": form, "result": result, "reason": verify_reason(result.code, result.reason)}
    return render(request, "settlement/verify.html", context)


# ---------------------------------------------------------------------------------------------
# The public list and objections.


@require_GET
def ranking_list(request: HttpRequest, round_id: int) -> HttpResponse:
    """A round's published list, by version (the latest unless ``?version=``): masked
    names and ID numbers, the root and snapshot hash; every earlier version stays here."""
    try:
        rnd = _round(round_id)
    except NotFoundError as exc:
        return render(request, "site/forbidden.html", {"reason": exc.message}, status=404)
    versions = list(selectors.published_lists(rnd).order_by("-version"))
    shown = _version(versions, request.GET.get("version", ""))
    page = _page_number(request.GET.get("page", ""))
    entries: list[RankingEntry] = []
    if shown is not None:
        start = (page - 1) * LIST_PAGE
        entries = list(shown.entries.order_by("index")[start : start + LIST_PAGE])
    context = {
        "round": rnd,
        "name": scheme_name(rnd.scheme),
        "versions": versions,
        "shown": shown,
        "latest": versions[0] if versions else None,
        "entries": [{"entry": e, "score": points(Decimal(e.score_centi) / 100)} for e in entries],
        "cutoff": points(Decimal(shown.cutoff_centi) / 100)
        if shown is not None and shown.cutoff_centi is not None
        else None,
        "page": page,
        "next_page": page + 1
        if shown is not None and page * LIST_PAGE < shown.entry_count
        else None,
        "in_notice": rnd.status == RoundStatus.NOTICE
        and rnd.notice_until is not None
        and today() <= rnd.notice_until,
    }
    return render(request, "settlement/list.html", context)


def _version(versions: list[RankingList], asked: str) -> RankingList | None:
    if asked.isdigit():
        return next((v for v in versions if v.version == int(asked)), None)
    return versions[0] if versions else None


def _page_number(asked: str) -> int:
    return max(1, min(int(asked), 100_000)) if asked.isdigit() else 1


@refusals_audited("settlement.object")
@citizen_required
@require_http_methods(["GET", "POST"])
def object_to_list(request: HttpRequest, round_id: int) -> HttpResponse:
    """A real-name objection to the current list during the notice (to one entry by its
    number, or to the whole list)."""
    rnd = _round(round_id)
    listing = RankingList.objects.filter(round=rnd).order_by("-version").first()
    if request.method != "POST" or listing is None:
        return _objection_page(request, rnd, listing, ObjectionForm())
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        return _objection_page(request, rnd, listing, form, status=422)
    entry = None
    ref = form.cleaned_data["entry"].strip()
    if ref:
        entry = listing.entries.filter(entry_ref=ref).first()
        if entry is None:
            form.add_error("entry", _("当前名单中没有编号为“%(ref)s”的条目") % {"ref": ref})
            return _objection_page(request, rnd, listing, form, status=422)
    try:
        actions.do_object(
            signed_in_user(request), listing, grounds=form.cleaned_data["grounds"], entry=entry
        )
    except InvalidInputError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _objection_page(request, rnd, listing, form, status=exc.status)
    messages.success(request, _("异议已受理。处理结果会通知您；您的身份不会公开。"))
    return redirect("settlement:ranking_list", round_id=rnd.pk)


def _objection_page(
    request: HttpRequest,
    rnd: Round,
    listing: RankingList | None,
    form: ObjectionForm,
    status: int = 200,
) -> HttpResponse:
    context = {
        "round": rnd,
        "name": scheme_name(rnd.scheme),
        "list": listing,
        "form": form,
        "open": rnd.status == RoundStatus.NOTICE
        and rnd.notice_until is not None
        and today() <= rnd.notice_until,
    }
    return render(request, "settlement/object.html", context, status=status)
