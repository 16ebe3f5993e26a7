"""The self-check (/settlement/): anyone enters her facts (or starts from her registry records
when signed in as a citizen) and sees, for each city she chooses, whether she may settle
there and how, and for a points scheme her score, explained line by line with citations, and
what would raise it. Works as a plain form; with htmx the answer follows each change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from liudong.settlement import schemes, selectors
from liudong.settlement.forms import SelfCheckForm, city_name, control
from liudong.settlement.models import RankingList
from liudong.settlement.views_display import Line, explanation_lines, points, text

if TYPE_CHECKING:
    import datetime as dt
    from decimal import Decimal

    from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    cite: str = ""
    provisional: bool = False
    ok: bool | None = None


@dataclass(frozen=True)
class Cutoff:
    """The last known cut-off of a scheme, for reference (never a prediction): from the
    latest list published on this platform (``round_id``, ``list_version``), else from the
    city's published lists (``schemes.published_results``: ``source`` cites them)."""

    year: int
    score: str
    list_version: int | None = None
    round_id: int | None = None
    source: str = ""
    provisional: bool = False


@dataclass
class SchemeResult:
    """A points scheme's answer for one person."""

    key: str
    name: str
    grants: str
    threshold: Decimal | None
    eligible: bool
    score: str
    reaches_threshold: bool | None
    preconditions: list[Row]
    items: list[Row]
    improvements: list[Row]
    lines: list[Line]
    provisional: bool
    version: str
    ruleset: str
    routes: list[Row]
    cutoff: Cutoff | None = None


@dataclass
class CityResult:
    """One city's answer: its class and policy, what that means for this person."""

    code: int
    name: str
    size_class: str
    policy: str
    policy_code: str
    may_settle: bool | None
    permit_eligible: bool | None
    cite: str
    provisional: bool
    scheme: SchemeResult | None = None
    notes: list[str] = field(default_factory=list)


def today() -> dt.date:
    return timezone.localdate()


@require_http_methods(["GET", "POST"])
def self_check(request: HttpRequest) -> HttpResponse:
    """The form, and with a POST the answer for each city chosen. Bad input gives the form
    back with each problem at its field (422; 200 to htmx, which swaps only 2xx)."""
    on = today()
    if request.method != "POST":
        form = SelfCheckForm(initial=_initial(request, on), on=on)
        return _page(request, form, None, on)
    form = SelfCheckForm(request.POST, on=on)
    results = answers(form, on) if form.is_valid() else None
    status = 200 if results is not None or _htmx(request) else 422
    return _page(request, form, results, on, status)


def _page(
    request: HttpRequest,
    form: SelfCheckForm,
    results: list[CityResult] | None,
    on: dt.date,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "groups": form.groups(),
        "city_controls": [control(form["cities"]), control(form["other_cities"])],
        "results": results,
        "on": on,
        "compared": results is not None and len(results) > 1,
        "prefilled": bool(form.initial.get("prefilled")),
    }
    template = "settlement/_self_check.html" if _htmx(request) else "settlement/self_check.html"
    return render(request, template, context, status=status)


def _htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (django-htmx's ``request.htmx``)."""
    return bool(getattr(request, "htmx", False))


def _initial(request: HttpRequest, on: dt.date) -> dict[str, Any]:
    """A signed-in citizen's registry records as the form's starting values."""
    from liudong.settlement.views_profile import profile_initial

    return profile_initial(request.user, on)


def answers(form: SelfCheckForm, on: dt.date) -> list[CityResult] | None:
    """Each city's answer; None (with the problems on the form) if the rules refuse a fact."""
    city_facts = form.city_facts()
    cutoffs = _cutoffs(form.scheme_keys())
    found: list[CityResult] = []
    for code in form.regions:
        sch = schemes.scheme_for_region(code)
        facts = {**city_facts, **(form.scheme_facts(sch.key) if sch else {})}
        try:
            answer = schemes.city_answer(code, facts, on)
        except schemes.FactError as exc:
            form.put_error(exc.field, _problem(exc), sch.key if sch else "")
            return None
        found.append(city_result(answer, cutoffs))
    return found


def _problem(exc: schemes.FactError) -> str:
    return _("%(problem)s；应为：%(expected)s") % {
        "problem": exc.problem,
        "expected": exc.expected,
    }


def _cutoffs(keys: list[str]) -> dict[str, Cutoff]:
    """The cut-off of each scheme's latest published list (one query)."""
    if not keys:
        return {}
    lists = (
        RankingList.objects.filter(
            round__scheme__in=keys,
            round__status__in=selectors.PUBLISHED,
            cutoff_centi__isnull=False,
        )
        .select_related("round")
        .order_by("round__scheme", "-round__year", "-version")
    )
    found: dict[str, Cutoff] = {}
    for ranking in lists:
        if ranking.round.scheme not in found and ranking.cutoff_centi is not None:
            found[ranking.round.scheme] = Cutoff(
                ranking.round.year,
                points(ranking.cutoff_centi / 100),
                ranking.version,
                ranking.round_id,
            )
    for key in keys:
        if key not in found and (published := _published_cutoff(key)) is not None:
            found[key] = published
    return found


def _published_cutoff(key: str) -> Cutoff | None:
    """The latest cut-off in the city's published lists (a dated parameter), if any."""
    for past in reversed(schemes.published_results(key)):
        if past.cutoff is not None:
            return Cutoff(
                past.year,
                points(past.cutoff.value),
                source=past.cutoff.cite,
                provisional=past.cutoff.confidence != "verified",
            )
    return None


def city_result(answer: schemes.CityAnswer, cutoffs: dict[str, Cutoff]) -> CityResult:
    result = CityResult(
        code=answer.city,
        name=city_name(answer.city),
        size_class=text(answer.size_class_label),
        policy=text(answer.policy_label),
        policy_code=answer.policy,
        may_settle=answer.may_settle_unrestricted,
        permit_eligible=answer.residence_permit_eligible,
        cite=answer.cite,
        provisional=answer.provisional,
    )
    if answer.scheme is not None:
        sch = schemes.scheme(answer.scheme)
        if answer.assessment is None:
            result.notes.append(
                _("填写%(scheme)s需要的各项后，这里会显示您的积分。") % {"scheme": text(sch.name)}
            )
        else:
            result.scheme = scheme_result(sch, answer.assessment, cutoffs.get(sch.key))
    return result


def scheme_result(
    sch: schemes.Scheme, found: schemes.Assessment, cutoff: Cutoff | None
) -> SchemeResult:
    return SchemeResult(
        key=sch.key,
        name=text(sch.name),
        grants=sch.grants,
        threshold=sch.threshold,
        eligible=found.eligible,
        score=points(found.score),
        reaches_threshold=found.reaches_threshold,
        preconditions=[Row(text(p.label), "", p.cite, ok=p.met) for p in found.preconditions],
        items=[
            Row(text(i.label), points(i.points), i.cite, i.provisional)
            for i in found.items
            if i.points
        ],
        improvements=[Row(text(i.label), "+" + points(i.gain), i.cite) for i in found.improvements],
        lines=explanation_lines(found.explanation),
        provisional=found.provisional,
        version=found.version,
        ruleset=found.ruleset,
        routes=[Row(text(r.label), text(r.note)) for r in sch.routes],
        cutoff=cutoff,
    )
