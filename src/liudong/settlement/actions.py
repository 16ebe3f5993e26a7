"""Every write of a points-settlement round: open and close rounds, apply, verify, confirm,
rank, publish the notice, take and decide objections, issue permits.

Each ``do_<verb>(actor, ...)`` is an ``@action``: one transaction, the audit event written with
the change, every refusal a designed error (``InvalidInputError`` naming the field, what is
wrong and what would be right; ``AccessDeniedError``; ``NotFoundError``; ``ConflictError``)
audited once after the rollback, so bad input changes nothing.

Who does what:

=========================  =====================================================================
round set-up and running   staff or supervisors of an agency inside the round's city
                           (``do_open_round``, ``do_close_round``, ``do_rank_round``,
                           ``do_publish_notice``); permits: supervisors (``do_issue_permits``)
applying                   the citizen for herself (``do_apply``), or an employer representative
                           for an employee of her employer; the employee then confirms the
                           filing herself (``do_confirm_filing``), which opens her case and shows
                           her receipt secret: only she holds it
employment indicators      the employer's representative confirms (``do_confirm_employment``)
verification               caseworkers of the case's jurisdiction (``do_verify_indicator`` with
                           evidence, ``do_finish_verification``)
review                     the applicant, within the round's review window in working days after
                           verification (``do_request_review``)
confirmation / refusal     a supervisor, never the caseworker who finished the verification
                           (``do_confirm_application`` only once the round has closed and the
                           review window has passed; ``do_refuse_application``)
objections                 any signed-in citizen, under her real name, during the notice
                           (``do_object``); a supervisor decides (``do_decide_objection``)
=========================  =====================================================================

Case steps that the round's own events make (an objection reopening a case; permits closing
the cases) are the case type's system steps, made with ``do_system_transition`` (history row
without an actor naming the objection or the list version as its cause, audit event
``workflows.transition`` with ``"system": true``), since no caseworker of each case's
jurisdiction makes them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from liudong.accounts.models import Role, User
from liudong.audit.events import record
from liudong.evidence.actions import do_upload_evidence
from liudong.evidence.models import Evidence
from liudong.notifications.services import notify
from liudong.people import access as people_access
from liudong.people.models import (
    Employer,
    Employment,
    HukouRecord,
    InsuranceSpell,
    Person,
    Region,
    ResidencePermit,
)
from liudong.settlement import commitments, ranking, schemes
from liudong.settlement.models import (
    Application,
    ApplicationState,
    IndicatorVerification,
    Objection,
    ObjectionStatus,
    Permit,
    RankingEntry,
    RankingList,
    Round,
    RoundStatus,
)
from liudong.settlement.workflows import POINTS_APPLICATION
from liudong.site.actions import action
from liudong.site.errors import (
    AccessDeniedError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnauthenticatedError,
)
from liudong.site.text import join_list, label_language
from liudong.workdays import add_working_days
from liudong.workflows.access import cases_for
from liudong.workflows.actions import (
    cause_of,
    do_open_case,
    do_system_transition,
    do_transition,
    today_local,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    import numpy as np
    import numpy.typing as npt
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    from liudong.settlement.schemes import Assessment, Field, Scheme
    from liudong.workflows.models import Case

OBJECT_APPLICATION = "settlement.application"  # evidence and audit references
TEXT_MAX = 2000
LIVE_STATES = frozenset({"submitted", "verifying", "verified", "review_requested"})
CASEWORKERS = frozenset({Role.STAFF, Role.SUPERVISOR})


@dataclass(frozen=True)
class Upload:
    """A file sent with a verification: checked and stored by ``liudong.evidence``."""

    filename: str
    data: bytes
    declared_type: str


@dataclass(frozen=True)
class Filed:
    """What ``do_apply`` and ``do_confirm_filing`` return: the application and, when the
    applicant herself filed or confirmed, her receipt secret. It is shown to her this once and
    never stored (only its key is); None when an employer filed for her."""

    application: Application
    secret: str | None


# ---------------------------------------------------------------------------------------------
# Shared checks.


def _signed_in(actor: User | None) -> User:
    if not isinstance(actor, User) or not actor.is_authenticated:
        raise UnauthenticatedError
    return actor


def _today() -> dt.date:
    return today_local()


def _text(value: str, field: str, *, required: bool = True) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise InvalidInputError("required", _("这一项必须填写"), field)
    if len(cleaned) > TEXT_MAX:
        raise InvalidInputError("too_long", _("最多%(n)d个字符") % {"n": TEXT_MAX}, field)
    if any(ord(c) < 0x20 and c not in "\t\n\r" for c in cleaned):
        raise InvalidInputError("control_character", _("不能包含控制字符"), field)
    return cleaned


def in_city(region_code: int, city_code: int) -> bool:
    low, high = Region.code_range(city_code)
    return low <= region_code < high


def may_run_round(user: User | None, city_code: int, *, supervisor_only: bool = False) -> bool:
    """Staff (or only supervisors) of an agency inside the round's city run its rounds."""
    if not isinstance(user, User) or not user.is_authenticated or user.agency_id is None:
        return False
    roles = {Role.SUPERVISOR} if supervisor_only else CASEWORKERS
    return user.role in roles and in_city(user.agency.region_id, city_code)  # type: ignore[union-attr]


def _round_staff(actor: User | None, rnd: Round, *, supervisor_only: bool = False) -> User:
    user = _signed_in(actor)
    if not may_run_round(user, rnd.region_id, supervisor_only=supervisor_only):
        who = _("审核人员") if supervisor_only else _("经办或审核人员")
        raise AccessDeniedError(
            _("只有%(city)s本市机构的%(who)s可以办理这一轮积分落户")
            % {"city": rnd.region.name, "who": who},
            code="outside_jurisdiction",
        ).about("settlement.round", rnd.pk)
    return user


def _lock_round(rnd: Round) -> Round:
    """The round, locked for this transaction, as stored now."""
    return Round.objects.select_for_update().select_related("region").get(pk=rnd.pk)


def _set_round(rnd: Round, **fields: Any) -> None:
    """Compare-and-set the round's status change on its version."""
    moved = Round.objects.filter(pk=rnd.pk, version=rnd.version).update(
        version=F("version") + 1, **fields
    )
    if moved != 1:
        raise ConflictError(
            "round_changed", _("这一轮刚被别人办理过；请刷新后重新查看再办理")
        ).about("settlement.round", rnd.pk)
    for name, value in {**fields, "version": rnd.version + 1}.items():
        setattr(rnd, name, value)


def _status(rnd: Round, *allowed: RoundStatus, doing: str) -> None:
    if rnd.status not in allowed:
        raise InvalidInputError(
            "round_status",
            _("这一轮现在是“%(now)s”，不能%(doing)s；需要是：%(allowed)s")
            % {
                "now": RoundStatus(rnd.status).label,
                "doing": doing,
                "allowed": join_list(RoundStatus(s).label for s in allowed),
            },
            "round",
        ).about("settlement.round", rnd.pk)


def _scheme(key: str) -> Scheme:
    try:
        return schemes.scheme(key)
    except KeyError:
        known = ", ".join(sorted(schemes.SCHEMES))
        raise InvalidInputError(
            "unknown_scheme",
            _("没有“%(key)s”这个积分办法；可以选择：%(known)s") % {"key": key, "known": known},
            "scheme",
        ) from None


def _notify_person(person: Person, subject: str, body: str, link: str, kind: str) -> None:
    """Notify the person's account, if she has one (inbox and e-mail)."""
    account = User.objects.filter(person=person, is_active=True).first()
    if account is not None:
        notify(
            account, subject=subject, body=body, link=link, kind=kind, channels=("inbox", "email")
        )


def application_link(application: Application) -> str:
    return f"/settlement/applications/{application.pk}/"


def round_link(rnd: Round) -> str:
    return f"/settlement/rounds/{rnd.pk}/"


def json_clean(value: object) -> Any:
    """A JSON-clean copy (dates and Decimals as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


_json = json_clean


# ---------------------------------------------------------------------------------------------
# Rounds.


@action("settlement.open_round")
def do_open_round(
    actor: User | None,
    *,
    scheme: str,
    year: int | None,
    quota: int | None,
    opens_on: dt.date | None,
    closes_on: dt.date | None,
    assessed_on: dt.date | None = None,
) -> Round:
    """Open the annual round of a city's points scheme: its quota (> 0), its application window
    (``opens_on`` to ``closes_on`` inclusive, not ending before today) and the date scores are
    assessed at (default ``opens_on``). Freezes the rule-set version, the review and objection
    windows (working days, with citation and confidence) and the city's tie rule.

    Refusals: ``unknown_scheme``/``scheme_has_no_rounds`` (scheme), ``required``/
    ``quota_not_positive`` (quota), ``required``/``date_order``/``window_over`` (dates),
    ``invalid_year`` (year), 403 outside the city, 409 ``round_exists``."""
    user = _signed_in(actor)
    found = _scheme(scheme)
    if found.threshold is not None:
        raise InvalidInputError(
            "scheme_has_no_rounds",
            _("%(name)s按标准分值办理，不按年度指标排名，不设申报轮次")
            % {"name": found.name.get("zh", scheme)},
            "scheme",
        )
    city = Region.objects.filter(pk=found.region).first()
    if city is None:
        raise InvalidInputError(
            "unknown_region", _("区划 %(c)s 尚未载入") % {"c": found.region}, "scheme"
        )
    if not may_run_round(user, city.code):
        raise AccessDeniedError(
            _("只有%(city)s本市机构的经办或审核人员可以设立本市的积分落户轮次")
            % {"city": city.name},
            code="outside_jurisdiction",
        )
    year = _year(year)
    quota = _quota(quota)
    opens_on, closes_on = _window(opens_on, closes_on)
    assessed_on = assessed_on or opens_on
    review = schemes.review_window(scheme, assessed_on)
    objection = schemes.objection_window(scheme, assessed_on)
    if Round.objects.filter(scheme=scheme, year=year).exists():
        raise ConflictError(
            "round_exists",
            _("%(year)d年度的%(name)s已经设立；每个年度只设一轮")
            % {"year": year, "name": found.name.get("zh", scheme)},
            "year",
        )
    rnd = Round.objects.create(
        scheme=scheme,
        region=city,
        year=year,
        quota=quota,
        opens_on=opens_on,
        closes_on=closes_on,
        assessed_on=assessed_on,
        ruleset=schemes.ruleset_version(scheme, assessed_on),
        tie_rule=schemes.tie_rule(scheme, assessed_on)[0],
        review_window_days=review[0],
        review_window_cite=review[1],
        review_window_confidence=review[2],
        objection_window_days=objection[0],
        objection_window_cite=objection[1],
        objection_window_confidence=objection[2],
        status=RoundStatus.OPEN,
        opened_by=user,
        opened_at=timezone.now(),
    )
    record(
        user,
        "settlement.open_round",
        rnd,
        detail={
            "scheme": scheme,
            "year": year,
            "quota": quota,
            "opens_on": opens_on.isoformat(),
            "closes_on": closes_on.isoformat(),
            "ruleset": rnd.ruleset,
        },
    )
    return rnd


def _year(year: int | None) -> int:
    if year is None:
        raise InvalidInputError("required", _("请填写年度，例如 2026"), "year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInputError("invalid_year", _("年度应是2000至2100之间的年份"), "year")
    return year


def _quota(quota: int | None) -> int:
    if quota is None:
        raise InvalidInputError("required", _("请填写本轮落户指标数（正整数，例如 6000）"), "quota")
    if isinstance(quota, bool) or not isinstance(quota, int) or quota <= 0:
        raise InvalidInputError(
            "quota_not_positive",
            _("指标数必须是正整数（例如 6000），不能是 %(q)s") % {"q": quota},
            "quota",
        )
    if quota > 10_000_000:
        raise InvalidInputError("quota_too_large", _("指标数不能超过一千万"), "quota")
    return quota


def _window(opens_on: dt.date | None, closes_on: dt.date | None) -> tuple[dt.date, dt.date]:
    if opens_on is None:
        raise InvalidInputError("required", _("请填写申报开始日期"), "opens_on")
    if closes_on is None:
        raise InvalidInputError("required", _("请填写申报截止日期"), "closes_on")
    if closes_on < opens_on:
        raise InvalidInputError(
            "date_order",
            _("申报截止日期（%(c)s）不能早于开始日期（%(o)s）")
            % {"c": closes_on.isoformat(), "o": opens_on.isoformat()},
            "closes_on",
        )
    if closes_on < _today():
        raise InvalidInputError(
            "window_over",
            _("申报截止日期 %(c)s 已经过去：请填写今天或以后的日期") % {"c": closes_on.isoformat()},
            "closes_on",
        )
    return opens_on, closes_on


@action("settlement.close_round")
def do_close_round(actor: User | None, rnd: Round) -> Round:
    """Close the round once its application window has ended (the day after ``closes_on``).
    Filings by employers that the applicant did not confirm lapse. Refusals: ``round_status``,
    ``window_still_open`` (field round)."""
    user = _round_staff(actor, rnd)
    rnd = _lock_round(rnd)
    _status(rnd, RoundStatus.OPEN, doing=_("截止申报"))
    if _today() <= rnd.closes_on:
        raise InvalidInputError(
            "window_still_open",
            _("申报期到 %(c)s 为止，之后才能截止申报") % {"c": rnd.closes_on.isoformat()},
            "round",
        ).about("settlement.round", rnd.pk)
    lapsed = list(
        Application.objects.filter(round=rnd, live=True, case__isnull=True).select_related("person")
    )
    Application.objects.filter(pk__in=[a.pk for a in lapsed]).update(
        live=False, pre_state=ApplicationState.LAPSED, version=F("version") + 1
    )
    for application in lapsed:
        _notify_person(
            application.person,
            _("单位代为填报的积分落户申请已失效"),
            _("您没有在申报期内确认单位代为填报的申请，申请已失效。"),
            application_link(application),
            "settlement.lapsed",
        )
    _set_round(rnd, status=RoundStatus.CLOSED, closed_at=timezone.now())
    record(user, "settlement.close_round", rnd, detail={"lapsed": len(lapsed)})
    return rnd


# ---------------------------------------------------------------------------------------------
# Applying.


@action("settlement.apply")
def do_apply(
    actor: User | None,
    rnd: Round,
    *,
    facts: Mapping[str, object],
    person: Person | None = None,
    residence_district: int | None = None,
) -> Filed:
    """Apply to ``rnd`` with the declared ``facts`` (the scheme's field names).

    A citizen applies for herself (``person`` omitted or her own): her case opens at once and
    ``Filed.secret`` is her receipt secret, shown this once. An employer representative files
    for ``person``, an employee of her employer: the application waits for the employee to
    confirm it (``do_confirm_filing``) and ``Filed.secret`` is None; the filing counts as the
    employer's confirmation of the employment indicators.

    The registry's facts (hukou, residence permit, employment, social insurance, birth date,
    education) are stored beside the declared ones, with the differences flagged, and the
    preliminary score is assessed at the round's date. ``residence_district`` (a county-level
    code in the round's city, optional) is where she lives: her case is handled there (see
    ``case_region``). Refusals: 403 for other roles or persons; ``outside_window``/
    ``round_status`` (round); ``unknown_field``/``invalid_fact`` (``facts.<name>``);
    ``hukou_local`` (``facts.hukou_region``) when the registry or she herself places her hukou
    in the round's city (points schemes are for residents with a hukou elsewhere, RP15 第二条);
    ``invalid_district`` (``residence_district``); 409 ``already_applied`` for a second live
    application."""
    user = _signed_in(actor)
    rnd = _lock_round(rnd)
    applicant, employer = _applicant(user, person)
    _in_window(rnd)
    found = _scheme(rnd.scheme)
    declared = _facts(found, facts)
    _hukou_not_local(found, declared, applicant, rnd)
    district = _district(rnd, residence_district)
    assessment = _assess(rnd, declared)
    _no_live_application(rnd, applicant)
    registry = _registry_facts(found, applicant, rnd)
    now = timezone.now()
    application = Application(
        round=rnd,
        person=applicant,
        filed_by=user,
        filed_for_employer=employer,
        employer=employer or _current_employer(applicant, rnd),
        declared=_json(declared),
        registry=_json(registry),
        differences=_differences(declared, registry),
        ruleset=assessment.ruleset,
        entry_ref=secrets.token_hex(8),
        created_at=now,
        **_assessed(assessment),
    )
    if employer is not None:
        application.pre_state = ApplicationState.AWAITING_APPLICANT
        application.employment_confirmed_at, application.employment_confirmed_by = now, user
    secret = None
    if employer is None:
        secret = _open(user, application, rnd, district)
    _save_new(application)
    record(user, "settlement.apply", application, detail=_apply_detail(application))
    if employer is None:
        _notify_person(
            applicant,
            _("积分落户申请已提交"),
            _("您的%(year)d年度积分落户申请已提交，预估积分 %(score)s。请妥善保管回执密钥。")
            % {"year": rnd.year, "score": application.score},
            application_link(application),
            "settlement.applied",
        )
    else:
        _notify_person(
            applicant,
            _("单位为您填报了积分落户申请，请确认"),
            _(
                "%(employer)s为您填报了%(year)d年度积分落户申请；请在申报截止（%(c)s）前登录确认，"
                "确认后申请才会受理。"
            )
            % {"employer": employer.name, "year": rnd.year, "c": rnd.closes_on.isoformat()},
            application_link(application),
            "settlement.filed_for_you",
        )
    return Filed(application, secret)


def _applicant(user: User, person: Person | None) -> tuple[Person, Employer | None]:
    if user.role == Role.CITIZEN:
        if user.person is None:
            raise AccessDeniedError(_("请先完成实名认证，再申请积分落户"), code="realname_required")
        if person is not None and person.pk != user.person_id:
            raise AccessDeniedError(
                _("只能为本人申请；用人单位可以为本单位职工代为填报"), code="not_yourself"
            )
        return user.person, None
    if user.role == Role.EMPLOYER and user.employer is not None:
        if person is None:
            raise InvalidInputError("required", _("请选择为哪一位职工填报"), "person")
        employed = Employment.objects.filter(
            person=person, employer=user.employer, end__isnull=True
        ).exists()
        if not employed:
            raise AccessDeniedError(_("只能为本单位在职职工代为填报"), code="not_your_employee")
        return person, user.employer
    raise AccessDeniedError(
        _("积分落户由申请人本人申请，或由用人单位代为填报"), code="role_not_allowed"
    )


def _in_window(rnd: Round) -> None:
    _status(rnd, RoundStatus.OPEN, doing=pgettext("action", "申报"))
    today = _today()
    if not rnd.opens_on <= today <= rnd.closes_on:
        raise InvalidInputError(
            "outside_window",
            _("本轮申报期为 %(o)s 至 %(c)s，今天（%(t)s）不在申报期内")
            % {"o": rnd.opens_on.isoformat(), "c": rnd.closes_on.isoformat(), "t": today},
            "round",
        ).about("settlement.round", rnd.pk)


def _no_live_application(rnd: Round, person: Person) -> None:
    if Application.objects.filter(round=rnd, person=person, live=True).exists():
        raise ConflictError(
            "already_applied",
            _("本轮已有一份有效申请；如需重新申请，请先撤回原申请"),
            "round",
        ).about("settlement.round", rnd.pk)


def _save_new(application: Application) -> None:
    try:
        application.save(force_insert=True)
    except IntegrityError:  # a concurrent second application (the constraint decides)
        raise ConflictError(
            "already_applied", _("本轮已有一份有效申请；如需重新申请，请先撤回原申请"), "round"
        ) from None


def _open(user: User, application: Application, rnd: Round, district: Region | None) -> str:
    """Open the applicant's case and make her receipt secret (its key is kept)."""
    case = do_open_case(
        user, POINTS_APPLICATION, case_region(application.person, rnd, district), application.person
    )
    application.case = case
    application.pre_state = ""
    secret = commitments.new_receipt_secret()
    application.receipt_key = commitments.receipt_key(secret).hex()
    return secret


def _apply_detail(application: Application) -> dict[str, Any]:
    """What the trail keeps of an application: no facts (they are personal data)."""
    return {
        "round": application.round_id,
        "person": application.person_id,
        "score": str(application.score),
        "eligible": application.eligible,
        "differences": [d["field"] for d in application.differences],
        "ruleset": application.ruleset,
        "by_employer": application.filed_for_employer_id,
    }


@action("settlement.confirm_filing")
def do_confirm_filing(
    actor: User | None, application: Application, *, residence_district: int | None = None
) -> Filed:
    """The applicant confirms a filing her employer made for her: her case opens (where she
    lives: ``residence_district`` as in ``do_apply``) and ``Filed.secret`` is her receipt
    secret, shown this once. Only inside the window."""
    user = _signed_in(actor)
    application = _locked_application(user, application)
    if user.person_id != application.person_id:
        raise AccessDeniedError(_("只有申请人本人可以确认"), code="not_yourself")
    if (
        application.case_id is not None
        or application.pre_state != ApplicationState.AWAITING_APPLICANT
    ):
        raise ConflictError("already_confirmed", _("这份申请已经确认过或已失效"))
    rnd = _lock_round(application.round)
    _in_window(rnd)
    secret = _open(user, application, rnd, _district(rnd, residence_district))
    _save(application, "case", "pre_state", "receipt_key")
    record(user, "settlement.confirm_filing", application, detail={"case": application.case_id})
    return Filed(application, secret)


# ---------------------------------------------------------------------------------------------
# Facts, the registry and assessments.


def _facts(found: Scheme, facts: Mapping[str, object]) -> dict[str, object]:
    """The declared facts converted to their kinds (refusing unknown names and bad values)."""
    if not isinstance(facts, dict):
        raise InvalidInputError("invalid", _("应是“指标名: 值”的对象"), "facts")
    fields = {f.name: f for f in found.fields}
    unknown = sorted(set(facts) - set(fields))
    if unknown:
        raise InvalidInputError(
            "unknown_field",
            _("%(scheme)s没有“%(name)s”这一项；可以填写：%(known)s")
            % {
                "scheme": found.name.get("zh", found.key),
                "name": unknown[0],
                "known": ", ".join(fields),
            },
            f"facts.{unknown[0]}",
        )
    return {name: _fact(fields[name], value) for name, value in facts.items() if value is not None}


def _fact(field: Field, value: object) -> object:  # one return per kind
    where = f"facts.{field.name}"
    label = field.label.get("zh", field.name)
    if value is None:
        return None
    try:
        if field.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError
            return value
        if field.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError
            return int(value)
        if field.kind == "decimal":
            if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
                raise ValueError
            number = Decimal(str(value))
            if not number.is_finite():
                raise ValueError
            return number
        if field.kind == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if field.kind == "choice":
            codes = [code for code, _labels in field.choices]
            if value not in codes:
                raise InvalidInputError(
                    "invalid_choice",
                    _("“%(label)s”可选的值为：%(codes)s")
                    % {"label": label, "codes": ", ".join(codes)},
                    where,
                )
            return value
    except (ValueError, TypeError, InvalidOperation):
        expected = {
            "bool": _("是或否（true/false）"),
            "int": _("整数"),
            "decimal": _("数字，例如 12.5（用字符串传递）"),
            "date": _("日期，例如 2020-01-31"),
        }.get(field.kind, field.kind)
        raise InvalidInputError(
            "invalid_fact",
            _("“%(label)s”应是%(expected)s") % {"label": label, "expected": expected},
            where,
        ) from None
    return value


def _assess(rnd: Round, facts: Mapping[str, object]) -> Assessment:
    try:
        assessment = schemes.assess(rnd.scheme, facts, rnd.assessed_on)
    except schemes.FactError as exc:
        raise InvalidInputError(
            "invalid_fact",
            _("%(problem)s；应为：%(expected)s")
            % {"problem": exc.problem, "expected": exc.expected},
            f"facts.{exc.field}",
        ) from None
    if assessment.ruleset != rnd.ruleset:
        raise ConflictError(
            "ruleset_changed",
            _(
                "本轮开通时冻结的规则版本是 %(frozen)s，系统现在安装的是 %(now)s；"
                "规则版本不同不能计分，请联系系统管理员"
            )
            % {"frozen": rnd.ruleset, "now": assessment.ruleset},
        ).about("settlement.round", rnd.pk)
    return assessment


def assessment_json(assessment: Assessment) -> dict[str, Any]:
    """An assessment as stored and shown: scores as text with two decimals."""
    clean: dict[str, Any] = _json(
        {
            "scheme": assessment.scheme,
            "on": assessment.on,
            "ruleset": assessment.ruleset,
            "eligible": assessment.eligible,
            "score": f"{assessment.score:.2f}",
            "provisional": assessment.provisional,
            "preconditions": [
                {"key": p.key, "label": p.label, "met": p.met, "cite": p.cite}
                for p in assessment.preconditions
            ],
            "items": [
                {
                    "key": i.key,
                    "label": i.label,
                    "points": f"{i.points:.2f}",
                    "cite": i.cite,
                    "provisional": i.provisional,
                }
                for i in assessment.items
            ],
            "improvements": [
                {"label": m.label, "gain": f"{m.gain:.2f}", "field": m.field, "cite": m.cite}
                for m in assessment.improvements
            ],
            "explanation": assessment.explanation,
        }
    )
    return clean


def _assessed(assessment: Assessment) -> dict[str, Any]:
    return {
        "eligible": assessment.eligible,
        "score": assessment.score,
        "assessment": assessment_json(assessment),
    }


def _differences(declared: Mapping[str, object], registry: Mapping[str, object]) -> list[Any]:
    found = [
        {"field": name, "declared": declared[name], "registry": known}
        for name, known in registry.items()
        if known is not None
        and name in declared
        and declared[name] is not None
        and _json(declared[name]) != _json(known)
    ]
    return list(_json(found))


def _city_range(rnd: Round) -> tuple[int, int]:
    return Region.code_range(rnd.region_id)


def _hukou_not_local(
    found: Scheme, declared: Mapping[str, object], person: Person, rnd: Round
) -> None:
    """Refuse an applicant whose hukou is in the round's city, by the registry or by her own
    declaration: a residence permit is issued only to residents with a hukou elsewhere
    (RP15 第二条), so she cannot meet the permit precondition and needs no points."""
    field = next((f for f in found.fields if f.registry == "hukou" and f.kind == "int"), None)
    if field is None:
        return
    known = registry_value(field, person, rnd.region_id, rnd.assessed_on)
    places = [known, declared.get(field.name)]
    local = next(
        (int(c) for c in places if isinstance(c, int) and c and _city_code(int(c)) == found.region),
        None,
    )
    if local is None:
        return
    city = Region.objects.filter(pk=found.region).values_list("name", flat=True).first() or ""
    if found.grants == "hukou":
        problem = _("您的户籍已在%(city)s，不需要积分落户") % {"city": city}
    else:
        problem = _("您的户籍已在%(city)s，不需要申请%(scheme)s") % {
            "city": city,
            "scheme": found.name.get("zh", found.key),
        }
    raise InvalidInputError("hukou_local", problem, f"facts.{field.name}").about(
        "settlement.round", rnd.pk
    )


def _city_code(code: int) -> int:
    """The prefecture-level city of a county-level code (a municipality: its province)."""
    province = code // 10000
    return province * 10000 if province in (11, 12, 31, 50) else code // 100 * 100


def _district(rnd: Round, code: int | None) -> Region | None:
    """The residence district an applicant names: a current county-level division inside the
    round's city (None when she names none)."""
    if code is None:
        return None
    low, high = _city_range(rnd)
    found = (
        Region.objects.filter(
            pk=code, code__gte=low, code__lt=high, level="county", current=True
        ).first()
        if isinstance(code, int) and not isinstance(code, bool)
        else None
    )
    if found is None:
        raise InvalidInputError(
            "invalid_district",
            _("%(code)s不是%(city)s的区县；请填写%(city)s一个区县的6位行政区划代码")
            % {"code": code, "city": rnd.region.name},
            "residence_district",
        ).about("settlement.round", rnd.pk)
    return found


def city_districts(rnd: Round) -> list[Region]:
    """The current county-level divisions of the round's city (for the residence question)."""
    low, high = _city_range(rnd)
    return list(
        Region.objects.filter(code__gte=low, code__lt=high, level="county", current=True).order_by(
            "code"
        )
    )


def case_region(person: Person, rnd: Round, declared: Region | None = None) -> Region:
    """Where the application is handled: the residence district she declares, else that of
    her residence permit in the city, else her hukou, else her employer, if in the city; else
    the city itself. A case must be seen by someone (``served``): where no caseworker's
    agency covers that region, the nearest region above it whose area holds one."""
    return served(declared or registered_residence(person, rnd), rnd.region)


def registered_residence(person: Person, rnd: Round) -> Region:
    """Where the registry places her in the round's city: her residence permit's district,
    else her hukou, else her employer; else the city itself."""
    low, high = _city_range(rnd)
    today = _today()
    permit = (
        ResidencePermit.objects.filter(
            person=person,
            district_id__gte=low,
            district_id__lt=high,
            issued_on__lte=today,
            valid_until__gte=today,
        )
        .order_by("-issued_on")
        .first()
    )
    if permit is not None:
        return permit.district
    hukou = HukouRecord.objects.filter(
        person=person, end__isnull=True, region_id__gte=low, region_id__lt=high
    ).first()
    if hukou is not None:
        return hukou.region
    job = (
        Employment.objects.filter(
            person=person,
            end__isnull=True,
            employer__region_id__gte=low,
            employer__region_id__lt=high,
        )
        .select_related("employer__region")
        .first()
    )
    return job.employer.region if job is not None else rnd.region


def served(region: Region, city: Region) -> Region:
    """``region`` when some caseworker's agency covers it; else, going up from it to
    ``city``, the first region whose area holds an agency with a caseworker: the case goes to
    that agency's region (the lowest code, so the choice is stable). ``region`` itself when
    the city has no caseworker at all (a round cannot be opened then)."""
    agencies = sorted(
        set(
            User.objects.filter(
                role__in=CASEWORKERS, is_active=True, agency__isnull=False
            ).values_list("agency__region_id", flat=True)
        )
    )
    if any(Region.code_range(a)[0] <= region.code < Region.code_range(a)[1] for a in agencies):
        return region
    in_city = Region.code_range(city.code)
    for above in dict.fromkeys((region.code // 100 * 100, region.code // 10000 * 10000)):
        if not in_city[0] <= above < in_city[1]:
            continue
        low, high = Region.code_range(above)
        inside = [a for a in agencies if low <= a < high]
        if inside:
            return Region.objects.get(pk=inside[0])
    return region


def _current_employer(person: Person, rnd: Round) -> Employer | None:
    low, high = _city_range(rnd)
    job = (
        Employment.objects.filter(
            person=person,
            end__isnull=True,
            employer__region_id__gte=low,
            employer__region_id__lt=high,
        )
        .select_related("employer")
        .order_by("-start")
        .first()
    )
    return job.employer if job is not None else None


def _registry_facts(found: Scheme, person: Person, rnd: Round) -> dict[str, object]:
    """What the registry knows of the scheme's fields (None where it knows nothing)."""
    known: dict[str, object] = {}
    for field in found.fields:
        if field.registry is not None:
            value = registry_value(field, person, rnd.region_id, rnd.assessed_on)
            if value is not None:
                known[field.name] = value
    return known


def registry_value(field: Field, person: Person, city: int, on: dt.date) -> object | None:
    """The registry's value for one field, by what the field says the registry supplies and
    the field's kind and unit; None where the registry cannot say."""
    low, high = Region.code_range(city)
    source, kind = field.registry, field.kind
    if source == "birth_date" and kind == "date":
        return person.birth_date
    if field.name == "retirement_group" and kind == "choice":
        return person.retirement_group or None
    if source == "education" and kind == "choice":
        codes = {code for code, _labels in field.choices}
        return person.education if person.education in codes else None
    if source == "residence_permit" and kind == "bool":
        return ResidencePermit.objects.filter(
            person=person,
            city_id__gte=low,
            city_id__lt=high,
            issued_on__lte=on,
            valid_until__gte=on,
        ).exists()
    if source == "hukou" and kind == "int":  # the place of the current hukou, wherever it is
        return (
            HukouRecord.objects.filter(person=person, end__isnull=True)
            .order_by("-start")
            .values_list("region_id", flat=True)
            .first()
        )
    if source == "hukou" and kind == "bool":
        return HukouRecord.objects.filter(
            person=person, end__isnull=True, region_id__gte=low, region_id__lt=high
        ).exists()
    if source == "employment" and kind == "bool":
        return (
            Employment.objects.filter(
                person=person,
                start__lte=on,
                employer__region_id__gte=low,
                employer__region_id__lt=high,
            )
            .filter(Q(end__isnull=True) | Q(end__gte=on))
            .exists()
        )
    if source == "social_insurance" and kind == "int":
        months = continuous_insurance_months(person, low, high, on)
        unit = field.unit.lower()
        return months // 12 if unit.startswith(("year", "年")) else months
    return None


def continuous_insurance_months(person: Person, low: int, high: int, on: dt.date) -> int:
    """Full months of the unbroken run of social-insurance participation in the city that
    includes ``on`` (overlapping or adjacent spells joined)."""
    spells = InsuranceSpell.objects.filter(
        person=person, city_id__gte=low, city_id__lt=high, start__lte=on
    ).order_by("start")
    run_start: dt.date | None = None
    run_end: dt.date | None = None
    for spell in spells:
        end = min(spell.end or on, on)
        if run_end is not None and spell.start <= run_end + dt.timedelta(days=1):
            run_end = max(run_end, end)
        else:
            run_start, run_end = spell.start, end
    if run_start is None or run_end is None or run_end < on:
        return 0
    months = (on.year - run_start.year) * 12 + on.month - run_start.month
    return max(0, months - (1 if on.day < run_start.day else 0))


# ---------------------------------------------------------------------------------------------
# Fetching applications with the check.


def applications_for(user: User | AnonymousUser | None) -> QuerySet[Application]:
    """The applications ``user`` may see: her own (a citizen), her employer's filings and
    employees' applications (an employer representative), those whose case lies in her
    jurisdiction (a caseworker). Everyone else: none."""
    queryset = Application.objects.select_related("round", "round__region", "person", "case")
    if not isinstance(user, User) or not user.is_authenticated:
        return queryset.none()
    if user.role == Role.CITIZEN:
        return queryset.filter(person_id=user.person_id or 0)
    if user.role == Role.EMPLOYER:
        mine = user.employer_id or 0
        return queryset.filter(Q(employer_id=mine) | Q(filed_for_employer_id=mine))
    if user.role in CASEWORKERS:
        return queryset.filter(case__in=cases_for(user))
    return queryset.none()


def _locked_application(user: User, application: Application | int) -> Application:
    pk = application if isinstance(application, int) else application.pk
    found = applications_for(user).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(_("没有找到这份申请，或者您无权查看")).about(OBJECT_APPLICATION, pk)
    locked = Application.objects.select_for_update().get(pk=found.pk)
    seen = application.version if isinstance(application, Application) else locked.version
    if locked.version != seen:
        raise ConflictError(
            "application_changed", _("这份申请刚被别人办理过；请刷新后重新查看再办理")
        ).about(OBJECT_APPLICATION, pk)
    return Application.objects.select_related("round", "round__region", "person", "case").get(
        pk=locked.pk
    )


def _save(application: Application, *fields: str) -> None:
    application.version += 1
    application.save(update_fields=[*fields, "version"])


def _case(application: Application) -> Case:
    if application.case is None:
        raise InvalidInputError(
            "not_confirmed_by_applicant",
            _("申请人尚未确认单位代为填报的申请，还不能办理"),
            "application",
        ).about(OBJECT_APPLICATION, application.pk)
    return application.case


def _step(user: User, application: Application, name: str, reason: str = "") -> None:
    do_transition(user, _case(application), name, reason=reason)


# ---------------------------------------------------------------------------------------------
# The employer's confirmation, review, verification.


@action("settlement.confirm_employment")
def do_confirm_employment(actor: User | None, application: Application) -> Application:
    """The employer's representative confirms the employment indicators of an application
    whose applicant works for her employer (once; 409 ``already_confirmed``)."""
    user = _signed_in(actor)
    if user.role != Role.EMPLOYER or user.employer_id is None:
        raise AccessDeniedError(_("只有用人单位经办人可以确认就业信息"), code="role_not_allowed")
    application = _locked_application(user, application)
    if application.employer_id != user.employer_id:
        raise AccessDeniedError(_("这位申请人不在您的单位就业"), code="not_your_employee")
    if application.employment_confirmed_at is not None:
        raise ConflictError("already_confirmed", _("就业信息已经确认过"))
    if application.state not in LIVE_STATES | {ApplicationState.AWAITING_APPLICANT}:
        raise InvalidInputError(
            "application_closed", _("这份申请已经办结，不能再确认"), "application"
        )
    application.employment_confirmed_at, application.employment_confirmed_by = timezone.now(), user
    _save(application, "employment_confirmed_at", "employment_confirmed_by")
    record(
        user, "settlement.confirm_employment", application, detail={"employer": user.employer_id}
    )
    _notify_person(
        application.person,
        _("用人单位已确认您的就业信息"),
        _("%(employer)s已确认您积分落户申请中的就业信息。") % {"employer": user.employer.name},  # type: ignore[union-attr]
        application_link(application),
        "settlement.employment_confirmed",
    )
    return application


@action("settlement.verify_indicator")
def do_verify_indicator(
    actor: User | None,
    application: Application,
    *,
    indicator: str,
    value: object,
    evidence_ids: Sequence[int] = (),
    uploads: Sequence[Upload] = (),
    note: str = "",
) -> IndicatorVerification:
    """A caseworker records the verified value of one indicator with the evidence relied on:
    files uploaded now (``uploads``, checked by ``liudong.evidence``: a wrong type is refused
    on the field ``file`` and nothing is stored) or uploaded earlier to this application
    (``evidence_ids``). Evidence may be left out only where the registry supplies the same
    value. Starts the verification if the case was submitted (or review was requested)."""
    user = _signed_in(actor)
    application = _locked_application(user, application)
    case = _case(application)
    if case.state == "submitted":
        _step(user, application, "start_verification")
    elif case.state == "review_requested":
        _step(user, application, "start_review")
    elif case.state == "reopened":
        pass
    elif case.state != "verifying":
        raise InvalidInputError(
            "not_verifying",
            _("案件现在是“%(state)s”，不在审核中，不能核实指标")
            % {"state": POINTS_APPLICATION.state_label(case.state, get_language())},
            "application",
        ).about(OBJECT_APPLICATION, application.pk)
    found = _scheme(application.round.scheme)
    fields = {f.name: f for f in found.fields_on(application.round.assessed_on)}
    if indicator not in fields:  # unknown, or not in force under the round's version
        raise InvalidInputError(
            "unknown_indicator",
            _("没有“%(name)s”这项指标；可以核实：%(known)s")
            % {"name": indicator, "known": ", ".join(fields)},
            "indicator",
        )
    try:
        checked = _fact(fields[indicator], value)
    except InvalidInputError as exc:
        exc.field = "value"
        raise
    _assess(application.round, {**_declared(application), indicator: checked})
    note = _text(note, "note", required=False)
    files = [_evidence(application, pk) for pk in evidence_ids]
    files += [
        do_upload_evidence(
            user,
            object_type=OBJECT_APPLICATION,
            object_id=str(application.pk),
            filename=upload.filename,
            data=upload.data,
            declared_type=upload.declared_type,
        )
        for upload in uploads
    ]
    from_registry = (
        indicator in application.registry and _json(checked) == application.registry[indicator]
    )
    if not files and not from_registry:
        raise InvalidInputError(
            "evidence_required",
            _("请上传核实“%(label)s”所依据的证明材料（PDF、PNG 或 JPEG）")
            % {"label": fields[indicator].label.get("zh", indicator)},
            "file",
        )
    verification = IndicatorVerification.objects.create(
        application=application,
        indicator=indicator,
        value=_json(checked),
        declared=application.declared.get(indicator),
        source="evidence" if files else "registry",
        note=note,
        verified_by=user,
        verified_at=timezone.now(),
    )
    verification.evidence.set(files)
    _save(application)
    record(
        user,
        "settlement.verify_indicator",
        application,
        detail={
            "indicator": indicator,
            "source": verification.source,
            "evidence": [e.pk for e in files],
            "matches_declared": verification.value == verification.declared,
        },
    )
    return verification


def _evidence(application: Application, pk: int) -> Evidence:
    found = Evidence.objects.filter(
        pk=pk, object_type=OBJECT_APPLICATION, object_id=str(application.pk)
    ).first()
    if found is None:
        raise InvalidInputError(
            "evidence_not_attached",
            _("证明材料 %(pk)s 不是这份申请的材料；请先把文件上传到这份申请") % {"pk": pk},
            "evidence_ids",
        )
    return found


def _declared(application: Application) -> dict[str, object]:
    found = _scheme(application.round.scheme)
    return _facts(found, application.declared)


def verified_facts(application: Application) -> dict[str, object]:
    """The declared facts with every verified value in place of the declared one."""
    facts = _declared(application)
    fields = {f.name: f for f in _scheme(application.round.scheme).fields}
    for verification in application.verifications.order_by("verified_at", "pk"):
        if verification.indicator in fields:
            facts[verification.indicator] = _fact(
                fields[verification.indicator], verification.value
            )
    return facts


def indicators_to_verify(application: Application) -> list[str]:
    """The indicators a caseworker must verify before finishing, in the scheme's order: of
    the facts in force on the round's assessment date, those a precondition reads, those
    whose value (declared, else the field's default) claims something (differs from the
    default: zero, "no", "none"), and those the registry records differently. A fact that
    claims nothing, agrees with the registry (or the registry does not know it) and is no
    precondition needs no evidence (docs/settlement.md, "Verification")."""
    found = _scheme(application.round.scheme)
    on = application.round.assessed_on
    preconditions = schemes.precondition_fields(found.key, on)
    needed = []
    for field in found.fields_on(on):
        value = application.declared.get(field.name, field.default)
        known = application.registry.get(field.name)
        if (
            field.name in preconditions
            or field.claims(value)
            or (known is not None and _json(known) != _json(value))
        ):
            needed.append(field.name)
    return needed


def unverified_indicators(application: Application) -> list[str]:
    """Indicators to verify that are neither verified nor confirmed by the registry."""
    verified = set(application.verifications.values_list("indicator", flat=True))
    return [
        name
        for name in indicators_to_verify(application)
        if name not in verified and _registry_confirms(application, name) is None
    ]


def _registry_confirms(application: Application, name: str) -> object | None:
    """The value the registry confirms for an indicator: the declared value when the registry
    records the same, or the registry's value for a fact she did not declare (the registry
    supplies it); None otherwise."""
    known: object = application.registry.get(name)
    if known is None:
        return None
    if name not in application.declared:
        return known
    return known if application.declared[name] == known else None


def _labels(found: Scheme, names: Sequence[str]) -> str:
    """The fields' labels in the active language, joined as a list."""
    language = label_language()
    fields = {f.name: f for f in found.fields}
    shown = [
        fields[n].label.get(language) or fields[n].label.get("zh", n) if n in fields else n
        for n in names
    ]
    return join_list(shown)


def _verify_from_registry(user: User, application: Application) -> None:
    """Record the indicators the registry confirms as verified from the registry."""
    verified = set(application.verifications.values_list("indicator", flat=True))
    now = timezone.now()
    names = dict.fromkeys([*application.declared, *indicators_to_verify(application)])
    for name in names:
        value = None if name in verified else _registry_confirms(application, name)
        if value is not None:
            IndicatorVerification.objects.create(
                application=application,
                indicator=name,
                value=value,
                declared=application.declared.get(name),
                source="registry",
                verified_by=user,
                verified_at=now,
            )


@action("settlement.finish_verification")
def do_finish_verification(actor: User | None, application: Application) -> Application:
    """The caseworker finishes verifying: every indicator of ``indicators_to_verify`` is
    verified (those the registry confirms are recorded as verified from the registry; a fact
    that claims nothing needs no evidence) and, where the scheme has employment indicators,
    the employer has confirmed. Computes the verified score and starts
    the applicant's review window (working days). Refusals: ``indicators_unverified``,
    ``employer_not_confirmed``, ``transition_not_allowed``."""
    user = _signed_in(actor)
    application = _locked_application(user, application)
    missing = unverified_indicators(application)
    if missing:
        raise InvalidInputError(
            "indicators_unverified",
            _("还有指标没有核实：%(names)s")
            % {"names": _labels(_scheme(application.round.scheme), missing)},
            "indicator",
        ).about(OBJECT_APPLICATION, application.pk)
    _employer_confirmed(application)
    _step(user, application, "finish_verification")
    _verify_from_registry(user, application)
    assessment = _assess(application.round, verified_facts(application))
    deadline = add_working_days(_today(), application.round.review_window_days)
    application.verified_eligible = assessment.eligible
    application.verified_score = assessment.score
    application.verified_assessment = assessment_json(assessment)
    application.review_until = deadline.date
    application.review_until_provisional = deadline.provisional
    _save(
        application,
        "verified_eligible",
        "verified_score",
        "verified_assessment",
        "review_until",
        "review_until_provisional",
    )
    record(
        user,
        "settlement.finish_verification",
        application,
        detail={"verified_score": str(assessment.score), "eligible": assessment.eligible},
    )
    _notify_person(
        application.person,
        _("积分审核结果"),
        _("您的积分审核结果为 %(score)s 分。如有异议，可在 %(until)s 前申请复核。")
        % {"score": assessment.score, "until": deadline.date.isoformat()},
        application_link(application),
        "settlement.verified",
    )
    return application


def _employer_confirmed(application: Application) -> None:
    found = _scheme(application.round.scheme)
    needs = [f.name for f in found.fields if f.needs_employer and application.declared.get(f.name)]
    if (
        needs
        and application.employer_id is not None
        and application.employment_confirmed_at is None
    ):
        raise InvalidInputError(
            "employer_not_confirmed",
            _("就业指标（%(names)s）须经用人单位确认后才能完成审核")
            % {"names": _labels(found, needs)},
            "application",
        ).about(OBJECT_APPLICATION, application.pk)


@action("settlement.request_review")
def do_request_review(actor: User | None, application: Application, *, grounds: str) -> Application:
    """The applicant asks for review of the verification result, within the round's review
    window (``review_until``, the last day included). Refusals: ``review_window_closed``,
    ``required`` (grounds), ``transition_not_allowed``."""
    user = _signed_in(actor)
    application = _locked_application(user, application)
    grounds = _text(grounds, "grounds")
    if application.review_until is not None and _today() > application.review_until:
        raise InvalidInputError(
            "review_window_closed",
            _("复核申请期限（%(n)d个工作日）已于 %(d)s 届满")
            % {
                "n": application.round.review_window_days,
                "d": application.review_until.isoformat(),
            },
            "application",
        ).about(OBJECT_APPLICATION, application.pk)
    _step(user, application, "request_review", grounds)
    _save(application)
    record(user, "settlement.request_review", application)
    return application


@action("settlement.confirm_application")
def do_confirm_application(actor: User | None, application: Application) -> Application:
    """A supervisor confirms the verified score (a checking step: not the caseworker who
    finished the verification). Refused before the round closes (``round_not_closed``) and
    while the applicant may still ask for review (``review_window_open``)."""
    user = _signed_in(actor)
    application = _locked_application(user, application)
    rnd = application.round
    if rnd.status == RoundStatus.OPEN:
        raise InvalidInputError(
            "round_not_closed",
            _("本轮申报尚未截止（%(c)s），截止后才能确认积分") % {"c": rnd.closes_on.isoformat()},
            "application",
        ).about(OBJECT_APPLICATION, application.pk)
    if application.review_until is not None and _today() <= application.review_until:
        raise InvalidInputError(
            "review_window_open",
            _("申请人可在 %(d)s 前申请复核，期满后才能确认")
            % {"d": application.review_until.isoformat()},
            "application",
        ).about(OBJECT_APPLICATION, application.pk)
    assessment = _assess(rnd, verified_facts(application))
    _step(user, application, "confirm")
    application.verified_eligible = assessment.eligible
    application.verified_score = assessment.score
    application.verified_assessment = assessment_json(assessment)
    _save(application, "verified_eligible", "verified_score", "verified_assessment")
    record(
        user,
        "settlement.confirm_application",
        application,
        detail={"verified_score": str(assessment.score), "eligible": assessment.eligible},
    )
    _notify_person(
        application.person,
        _("积分已确认"),
        _("您的积分已确认为 %(score)s 分，将参加本轮排名。") % {"score": assessment.score},
        application_link(application),
        "settlement.confirmed",
    )
    return application


@action("settlement.refuse_application")
def do_refuse_application(
    actor: User | None, application: Application, *, reason: str
) -> Application:
    """A supervisor refuses the application (a checking step, with a written reason: which
    rule, which facts, how to remedy). The application is no longer live."""
    user = _signed_in(actor)
    application = _locked_application(user, application)
    _step(user, application, "refuse", _text(reason, "reason"))
    application.live = False
    _save(application, "live")
    record(user, "settlement.refuse_application", application)
    _notify_person(
        application.person,
        _("积分落户申请不予受理"),
        _("您的积分落户申请不予受理。理由：%(reason)s") % {"reason": reason.strip()},
        application_link(application),
        "settlement.refused",
    )
    return application


@action("settlement.withdraw")
def do_withdraw(actor: User | None, application: Application) -> Application:
    """The applicant withdraws her application (before ranking); she may then apply again
    while the window is open. An employer's unconfirmed filing may be withdrawn by her or by
    the employer."""
    user = _signed_in(actor)
    application = _locked_application(user, application)
    if application.round.status not in {RoundStatus.OPEN, RoundStatus.CLOSED}:
        raise InvalidInputError(
            "round_status", _("本轮已经排名，不能再撤回申请"), "application"
        ).about(OBJECT_APPLICATION, application.pk)
    if application.case is None:
        if application.pre_state != ApplicationState.AWAITING_APPLICANT:
            raise InvalidInputError("application_closed", _("这份申请已经失效"), "application")
        application.pre_state = ApplicationState.WITHDRAWN
    else:
        if user.person_id != application.person_id:
            raise AccessDeniedError(_("只有申请人本人可以撤回申请"), code="not_yourself")
        step = {
            "submitted": "withdraw",
            "verifying": "withdraw_in_verification",
            "verified": "withdraw_verified",
            "review_requested": "withdraw_in_review",
        }.get(application.case.state, "withdraw")
        _step(user, application, step)
    application.live = False
    _save(application, "live", "pre_state")
    record(user, "settlement.withdraw", application)
    return application


# ---------------------------------------------------------------------------------------------
# Ranking.


@action("settlement.rank_round")
def do_rank_round(actor: User | None, rnd: Round) -> Round:
    """Start the ranking run of a closed round in the background (task
    ``liudong.settlement.tasks.rank_round``; ``Round.ranking_task_id`` names it for the progress
    page). Every live application must be confirmed or refused first
    (``applications_pending``); a second request while one runs: 409 ``ranking_running``."""
    user = _round_staff(actor, rnd)
    rnd = _lock_round(rnd)
    _status(rnd, RoundStatus.CLOSED, doing=_("排名"))
    if rnd.ranking_task_id and not _ranking_failed(rnd):
        raise ConflictError("ranking_running", _("本轮排名已在进行中")).about(
            "settlement.round", rnd.pk
        )
    if not Application.objects.filter(round=rnd, live=True, case__state="confirmed").exists():
        raise InvalidInputError(
            "nothing_to_rank", _("本轮没有已确认的申请，无法排名"), "round"
        ).about("settlement.round", rnd.pk)
    pending = pending_applications(rnd)
    if pending:
        raise InvalidInputError(
            "applications_pending",
            _("还有 %(n)d 份申请没有确认或不予受理，全部办结后才能排名") % {"n": pending},
            "round",
        ).about("settlement.round", rnd.pk)
    from liudong.settlement.tasks import rank_round

    result = rank_round.enqueue(rnd.pk)
    _set_round(
        rnd,
        ranking_requested_at=timezone.now(),
        ranking_requested_by=user,
        ranking_task_id=str(result.id),
    )
    record(user, "settlement.rank_round", rnd, detail={"task": str(result.id)})
    return rnd


def _ranking_failed(rnd: Round) -> bool:
    """Whether the last ranking run of the round failed (then it may be started again)."""
    from liudong.tasks import status

    try:
        return str(status(rnd.ranking_task_id)["state"]) == "FAILED"
    except NotFoundError:
        return True


def pending_applications(rnd: Round) -> int:
    """Live applications whose case is not yet confirmed (they block the ranking)."""
    return Application.objects.filter(round=rnd, live=True).exclude(case__state="confirmed").count()


def rank(rnd: Round, progress: Callable[[int, int, str], None] | None = None) -> RankingList:
    """The ranking run (the task and ``liudong settlement rank`` both call it): score the
    confirmed applications, rank them with the city's tie rule, commit every entry under its
    applicant's key, build the Merkle tree and store list version 1. One transaction; the
    round becomes ``ranked`` and its results are frozen.

    A round may hold a million applications, so nothing here makes a model object per
    application: the columns the list needs are read as values (not the stored assessments nor
    the encrypted ID numbers and phones), ranked and ordered with numpy, and the entries written
    by ``COPY`` on PostgreSQL or one ``executemany`` INSERT elsewhere, in the same transaction."""
    report = progress or (lambda done, total, message: None)
    rnd = _lock_round(rnd)
    _status(rnd, RoundStatus.CLOSED, doing=_("排名"))
    entrants = _confirmed_entrants(rnd)
    report(0, 4, _("读取已确认的申请"))
    listing = _store_list(rnd, entrants, version=1, actor=rnd.ranking_requested_by, report=report)
    _set_round(rnd, status=RoundStatus.RANKED, ranked_at=timezone.now())
    record(
        rnd.ranking_requested_by,
        "settlement.ranked",
        rnd,
        detail={
            "list": listing.pk,
            "root": listing.root,
            "snapshot": listing.snapshot,
            "entries": listing.entry_count,
            "admitted": listing.admitted_count,
            "cutoff_centi": listing.cutoff_centi,
        },
    )
    report(4, 4, _("排名完成"))
    return listing


def round_params(rnd: Round) -> dict[str, Any]:
    """The round's parameters bound into every list version's snapshot hash."""
    return {
        "round_id": rnd.pk,
        "scheme": rnd.scheme,
        "year": rnd.year,
        "quota": rnd.quota,
        "tie_rule": rnd.tie_rule,
        "assessed_on": rnd.assessed_on.isoformat(),
    }


@dataclass(frozen=True)
class _Entrants:
    """The applications of a list, as columns in one order (``pks[i]``, ``refs[i]``, ... are
    one application): no model object per application."""

    pks: Sequence[int]
    refs: Sequence[str]
    keys: Sequence[bytes]  # receipt keys (see _key)
    names: Sequence[str]  # the applicant's name, unmasked
    ids: Sequence[str]  # the registry's mask of her ID number (Person.id_masked)
    scores: npt.NDArray[np.int64]  # centi-points
    eligible: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, scored: Sequence[tuple[Application, int, bool]]) -> _Entrants:
        """From application objects (their ``person`` loaded), each with its score in
        centi-points and eligibility."""
        import numpy as np

        return cls(
            pks=[a.pk for a, _s, _e in scored],
            refs=[a.entry_ref for a, _s, _e in scored],
            keys=[_key(a.receipt_key) for a, _s, _e in scored],
            names=[a.person.name for a, _s, _e in scored],
            ids=[a.person.id_masked for a, _s, _e in scored],
            scores=np.array([s for _a, s, _e in scored], dtype=np.int64),
            eligible=np.array([e for _a, _s, e in scored], dtype=np.bool_),
        )


def _confirmed_entrants(rnd: Round) -> _Entrants:
    """The round's live confirmed applications in primary-key order, with their verified score
    and eligibility (none: 0 and not eligible), read as plain values."""
    import numpy as np

    rows = list(
        Application.objects.filter(round=rnd, live=True, case__state="confirmed")
        .order_by("pk")
        .values_list(
            "pk",
            "entry_ref",
            "receipt_key",
            "verified_score",
            "verified_eligible",
            "person__name",
            "person__id_masked",
        )
    )
    if not rows:
        return _Entrants.of([])
    pks, refs, keys, scores, eligible, names, ids = zip(*rows, strict=True)
    del rows
    return _Entrants(
        pks=pks,
        refs=refs,
        keys=[_key(key) for key in keys],
        names=names,
        ids=ids,
        scores=np.array([int((s or Decimal(0)) * 100) for s in scores], dtype=np.int64),
        eligible=np.array([bool(e) for e in eligible], dtype=np.bool_),
    )


def _build_list(
    rnd: Round,
    scored: Sequence[tuple[Application, int, bool]],
    *,
    version: int,
    actor: User | None,
    report: Callable[[int, int, str], None],
    supersedes: RankingList | None = None,
    reason: str = "",
) -> RankingList:
    """``_store_list`` from application objects (their ``person`` loaded), each with its score
    in centi-points and eligibility: a corrected version after an upheld objection."""
    return _store_list(
        rnd,
        _Entrants.of(scored),
        version=version,
        actor=actor,
        report=report,
        supersedes=supersedes,
        reason=reason,
    )


def _store_list(
    rnd: Round,
    entrants: _Entrants,
    *,
    version: int,
    actor: User | None,
    report: Callable[[int, int, str], None],
    supersedes: RankingList | None = None,
    reason: str = "",
) -> RankingList:
    """Rank, cut, commit and store one list version: its ``RankingList`` row and one
    ``RankingEntry`` per entrant, in publication order (``ranking.publication_order``)."""
    import numpy as np

    if not len(entrants.pks):
        raise InvalidInputError(
            "nothing_to_rank", _("本轮没有已确认的申请，无法排名"), "round"
        ).about("settlement.round", rnd.pk)
    result = ranking.cut(entrants.scores, entrants.eligible, rnd.quota, rnd.tie_rule)  # type: ignore[arg-type]
    report(1, 4, _("已排名，正在生成承诺值"))
    order = ranking.publication_order(result.ranks, np.asarray(entrants.refs))
    positions = order.tolist()
    refs = [entrants.refs[i] for i in positions]
    ordered_scores = entrants.scores[order]
    ordered_ranks = result.ranks[order]
    ordered_admitted = result.admitted[order]
    leaves = commitments.commit_columns(
        rnd.pk,
        [entrants.keys[i] for i in positions],
        refs,
        ordered_scores,
        ordered_ranks,
        ordered_admitted,
    )
    report(2, 4, _("正在构建默克尔树"))
    publication = commitments.publish(round_params(rnd), rnd.ruleset, version, leaves)
    listing = RankingList.objects.create(
        round=rnd,
        version=version,
        root=publication.root.hex(),
        snapshot=publication.snapshot_hash.hex(),
        ruleset=rnd.ruleset,
        tie_rule=rnd.tie_rule,
        quota=rnd.quota,
        cutoff_centi=result.cutoff_centi,
        admitted_count=result.admitted_count,
        entry_count=len(refs),
        created_at=timezone.now(),
        created_by=actor,
        supersedes=supersedes,
        reason=reason,
    )
    report(3, 4, _("正在保存名单"))
    _insert_entries(
        zip(
            itertools.repeat(listing.pk, len(refs)),
            (entrants.pks[i] for i in positions),
            refs,
            ordered_scores.tolist(),
            entrants.eligible[order].tolist(),
            ordered_ranks.tolist(),
            ordered_admitted.tolist(),
            (leaf.hex() for leaf in leaves),
            range(len(refs)),
            (mask_name(entrants.names[i]) for i in positions),
            (mask_id_number(entrants.ids[i]) for i in positions),
            strict=True,
        )
    )
    return listing


# RankingEntry's columns in the order _store_list gives their values (every field but the id)
_ENTRY_FIELDS = (
    "list",
    "application",
    "entry_ref",
    "score_centi",
    "eligible",
    "rank",
    "admitted",
    "commitment",
    "index",
    "name_masked",
    "id_masked",
)


def _insert_entries(rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``RankingEntry`` rows given as value tuples (``_ENTRY_FIELDS``) in the current
    transaction, without a model object per row: ``COPY`` on PostgreSQL, an ``executemany``
    INSERT per 10,000 rows elsewhere. Every column is given, since the database knows none of
    the model's defaults; a field added to the model but not here is refused."""
    meta = RankingEntry._meta
    stored = {f.name: f.column for f in meta.concrete_fields if not f.primary_key}
    if set(stored) != set(_ENTRY_FIELDS):
        raise RuntimeError(
            "RankingEntry's fields are not the ones _insert_entries writes: "
            f"add {sorted(set(stored) - set(_ENTRY_FIELDS))}, "
            f"drop {sorted(set(_ENTRY_FIELDS) - set(stored))}"
        )
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(stored[name]) for name in _ENTRY_FIELDS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            connection.validate_no_broken_transaction()
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            values = ", ".join(["%s"] * len(_ENTRY_FIELDS))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608  # our table and columns
            pending = iter(rows)
            while chunk := list(itertools.islice(pending, 10_000)):
                cursor.executemany(sql, chunk)


def _key(receipt_key: str) -> bytes:
    """The key an entry is committed under: the application's receipt key (hex)."""
    if receipt_key:
        return bytes.fromhex(receipt_key)
    # no key (cannot happen for a confirmed case): commit under a key nobody holds
    return secrets.token_bytes(commitments.DIGEST_SIZE)


def mask_id_number(masked: str) -> str:
    """What a public notice shows of an ID number: the province and the last four characters
    (41************123X), less than the registry's own mask (which keeps the county)."""
    return masked[:2] + "*" * 12 + masked[-4:] if len(masked) == 18 else "*" * 18


def mask_name(name: str) -> str:
    """王建国 → 王**, 李明 → 李*: the family name kept, the rest hidden (as the notices do)."""
    cleaned = name.strip()
    return cleaned[:1] + "*" * max(1, len(cleaned) - 1) if cleaned else ""


# ---------------------------------------------------------------------------------------------
# Public notice and objections.


@action("settlement.publish_notice")
def do_publish_notice(actor: User | None, rnd: Round) -> Round:
    """Publish the ranked list (names and ID numbers masked) for the objection window: from
    today to ``notice_until``, the round's objection window in working days."""
    user = _round_staff(actor, rnd)
    rnd = _lock_round(rnd)
    _status(rnd, RoundStatus.RANKED, doing=_("公示"))
    today = _today()
    until = add_working_days(today, rnd.objection_window_days)
    _set_round(
        rnd,
        status=RoundStatus.NOTICE,
        notice_from=today,
        notice_until=until.date,
        notice_until_provisional=until.provisional,
    )
    record(user, "settlement.publish_notice", rnd, detail={"until": until.date.isoformat()})
    latest = current_list(rnd)
    for entry in latest.entries.select_related("application__person"):
        outcome = _("拟落户") if entry.admitted else _("未进入拟落户名单")
        _notify_person(
            entry.application.person,
            _("积分落户名单公示"),
            _("本轮名单公示至 %(until)s。您的积分 %(score)s，名次 %(rank)s，%(outcome)s。")
            % {
                "until": until.date.isoformat(),
                "score": Decimal(entry.score_centi) / 100,
                "rank": entry.rank or "-",
                "outcome": outcome,
            },
            application_link(entry.application),
            "settlement.notice",
        )
    return rnd


def current_list(rnd: Round) -> RankingList:
    found = RankingList.objects.filter(round=rnd).order_by("-version").first()
    if found is None:
        raise NotFoundError(_("本轮还没有排名名单")).about("settlement.round", rnd.pk)
    return found


@action("settlement.object")
def do_object(
    actor: User | None,
    listing: RankingList,
    *,
    grounds: str,
    entry: RankingEntry | None = None,
) -> Objection:
    """A signed-in citizen objects, under her real name, to the current list of a round in
    notice, during the objection window (the last day included): to one entry or to the list
    as a whole. Her identity is kept from the public. An objection to an entry reopens that
    application's case for a supervisor. Refusals: ``objection_window_closed``,
    ``not_current_list``, ``entry_not_in_list``, ``required`` (grounds)."""
    user = _signed_in(actor)
    if user.role != Role.CITIZEN or user.person is None:
        raise AccessDeniedError(_("异议须由完成实名认证的公民本人提出"), code="realname_required")
    rnd = _lock_round(listing.round)
    _status(rnd, RoundStatus.NOTICE, doing=_("提出异议"))
    if rnd.notice_until is None or _today() > rnd.notice_until:
        raise InvalidInputError(
            "objection_window_closed",
            _("公示期已于 %(d)s 结束，不能再提出异议")
            % {"d": rnd.notice_until.isoformat() if rnd.notice_until else "-"},
            "list",
        )
    if listing.pk != current_list(rnd).pk:
        raise InvalidInputError(
            "not_current_list", _("这不是本轮现行的名单版本，请对最新版本提出异议"), "list"
        )
    if entry is not None and entry.list_id != listing.pk:
        raise InvalidInputError("entry_not_in_list", _("这一条不在该名单中"), "entry")
    grounds = _text(grounds, "grounds")
    objection = Objection.objects.create(
        list=listing,
        entry=entry,
        objector=user.person,
        filed_by=user,
        grounds=grounds,
        filed_at=timezone.now(),
    )
    if entry is not None:
        application = Application.objects.select_related("case").get(pk=entry.application_id)
        if application.case is not None and application.case.state == "confirmed":
            do_system_transition(
                application.case,
                "reopen",
                reason=_("公示期异议 %(n)s") % {"n": objection.pk},
                caused_by=cause_of(objection),
            )
    record(
        user,
        "settlement.object",
        objection,
        detail={"list": listing.pk, "entry": entry.pk if entry else None},
    )
    notify(
        user,
        subject=_("异议已受理"),
        body=_("您对%(year)d年度积分落户公示名单提出的异议已受理，处理结果将通知您。")
        % {"year": rnd.year},
        link=round_link(rnd),
        kind="settlement.objection_filed",
    )
    return objection


@action("settlement.decide_objection")
def do_decide_objection(
    actor: User | None,
    objection: Objection,
    *,
    upheld: bool,
    decision: str,
    corrections: Mapping[str, object] | None = None,
    evidence_ids: Sequence[int] = (),
) -> Objection:
    """A supervisor decides an objection, in writing (``decision``).

    Dismissed: the reopened case returns to confirmed; the list stands. Upheld: for an
    objection to an entry, ``corrections`` (indicator → corrected value) are recorded as
    verifications by the supervisor, the score is re-assessed and list version n+1 is stored
    with its own root, superseding version n, with ``decision`` as its reason; earlier versions
    stay published. Maker is not checker: the supervisor may not be the caseworker who
    verified the application last."""
    user = _signed_in(actor)
    if user.role != Role.SUPERVISOR:
        raise AccessDeniedError(_("异议由审核人员处理"), code="role_not_allowed")
    objection = (
        Objection.objects.select_for_update().select_related("list__round").get(pk=objection.pk)
    )
    rnd = _lock_round(objection.list.round)
    if not may_run_round(user, rnd.region_id, supervisor_only=True):
        raise AccessDeniedError(_("这件异议不在您的办理范围内"), code="outside_jurisdiction")
    if objection.status != ObjectionStatus.OPEN:
        raise ConflictError("objection_decided", _("这件异议已经处理过"))
    _status(rnd, RoundStatus.NOTICE, doing=_("处理异议"))
    decision = _text(decision, "decision")
    application = None
    if objection.entry_id is not None:
        application = _locked_application(user, objection.entry.application_id)  # type: ignore[union-attr]
    correction = None
    if upheld:
        if application is None:
            raise InvalidInputError(
                "correction_needs_entry",
                _("对整份名单的异议成立时，请针对具体条目分别更正"),
                "upheld",
            )
        correction = _correct(user, rnd, application, corrections or {}, evidence_ids, decision)
    elif application is not None and _only_open_objection(application, objection):
        _step(user, application, "restore", decision)
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    objection.decision, objection.decided_by, objection.decided_at = decision, user, timezone.now()
    objection.correction = correction
    objection.version += 1
    objection.save()
    record(
        user,
        "settlement.decide_objection",
        objection,
        detail={"upheld": upheld, "correction": correction.pk if correction else None},
    )
    notify(
        objection.filed_by,
        subject=_("异议处理结果"),
        body=_("您提出的异议%(result)s。%(decision)s")
        % {"result": _("成立，名单已更正") if upheld else _("不成立"), "decision": decision},
        link=round_link(rnd),
        kind="settlement.objection_decided",
    )
    return objection


def _only_open_objection(application: Application, objection: Objection) -> bool:
    others = Objection.objects.filter(
        entry__application=application, status=ObjectionStatus.OPEN
    ).exclude(pk=objection.pk)
    return (
        application.case is not None
        and application.case.state == "reopened"
        and not others.exists()
    )


def _correct(
    user: User,
    rnd: Round,
    application: Application,
    corrections: Mapping[str, object],
    evidence_ids: Sequence[int],
    decision: str,
) -> RankingList:
    if not corrections:
        raise InvalidInputError("required", _("异议成立时请写明更正的指标和数值"), "corrections")
    fields = {f.name: f for f in _scheme(rnd.scheme).fields}
    files = [_evidence(application, pk) for pk in evidence_ids]
    now = timezone.now()
    for indicator, raw in corrections.items():
        if indicator not in fields:
            raise InvalidInputError(
                "unknown_indicator",
                _("没有“%(name)s”这项指标") % {"name": indicator},
                f"corrections.{indicator}",
            )
        try:
            value = _fact(fields[indicator], raw)
        except InvalidInputError as exc:
            exc.field = f"corrections.{indicator}"
            raise
        verification = IndicatorVerification.objects.create(
            application=application,
            indicator=indicator,
            value=_json(value),
            declared=application.declared.get(indicator),
            source="objection",
            note=decision,
            verified_by=user,
            verified_at=now,
        )
        verification.evidence.set(files)
    assessment = _assess(rnd, verified_facts(application))
    application.verified_eligible = assessment.eligible
    application.verified_score = assessment.score
    application.verified_assessment = assessment_json(assessment)
    _save(application, "verified_eligible", "verified_score", "verified_assessment")
    if application.case is not None and application.case.state == "reopened":
        _step(user, application, "correct", decision)
    previous = current_list(rnd)
    scored = []
    for entry in previous.entries.select_related("application__person").order_by("index"):
        applicant = application if entry.application_id == application.pk else entry.application
        if applicant.pk == application.pk:
            scored.append((applicant, int(assessment.score * 100), assessment.eligible))
        else:
            scored.append((applicant, entry.score_centi, entry.eligible))
    return _build_list(
        rnd,
        scored,
        version=previous.version + 1,
        actor=user,
        report=lambda done, total, message: None,
        supersedes=previous,
        reason=decision,
    )


# ---------------------------------------------------------------------------------------------
# Permits.


@action("settlement.issue_permits")
def do_issue_permits(actor: User | None, rnd: Round) -> list[Permit]:
    """After the objection window (from the day after ``notice_until``) and with every
    objection decided, issue a settlement permit certificate (kind ``settlement.permit``,
    template ``settlement/permit_certificate.html``; the PDF is generated in the background) to
    each admitted applicant of the current list; the other cases close as not admitted and the
    round is final. Supervisors of the city; a permit for a person outside the supervisor's own
    jurisdiction is issued as a system job (``liudong.certificates`` checks the issuer's
    scope). Refusals: ``notice_not_over``, ``objections_open``."""
    user = _round_staff(actor, rnd, supervisor_only=True)
    rnd = _lock_round(rnd)
    _status(rnd, RoundStatus.NOTICE, doing=_("发放落户证明"))
    if rnd.notice_until is None or _today() <= rnd.notice_until:
        raise InvalidInputError(
            "notice_not_over",
            _("公示期到 %(d)s 为止，期满后才能发放落户证明")
            % {"d": rnd.notice_until.isoformat() if rnd.notice_until else "-"},
            "round",
        ).about("settlement.round", rnd.pk)
    open_objections = Objection.objects.filter(list__round=rnd, status=ObjectionStatus.OPEN).count()
    if open_objections:
        raise InvalidInputError(
            "objections_open",
            _("还有 %(n)d 件异议没有处理，处理完毕后才能发放落户证明") % {"n": open_objections},
            "round",
        ).about("settlement.round", rnd.pk)
    from liudong.certificates.actions import do_issue_certificate

    listing = current_list(rnd)
    found = _scheme(rnd.scheme)
    permits = []
    now = timezone.now()
    for entry in listing.entries.select_related("application__person", "application__case"):
        application = entry.application
        if entry.admitted:
            issuer = (
                user
                if people_access.person_in_jurisdiction.test(user, application.person)
                else None
            )
            certificate = do_issue_certificate(
                issuer,
                kind="settlement.permit",
                subject=application.person,
                title=_("%(city)s积分落户准予落户通知") % {"city": rnd.region.name},
                fields=_permit_fields(rnd, found, listing, entry),
                template="settlement/permit_certificate.html",
            )
            permits.append(
                Permit.objects.create(
                    application=application,
                    certificate_code=certificate.code,
                    issued_at=now,
                    issued_by=user,
                )
            )
        if application.case is not None and application.case.state == "confirmed":
            step = "settle" if entry.admitted else "close_not_admitted"
            do_system_transition(
                application.case,
                step,
                reason=_("%(year)d年度名单第%(v)d版") % {"year": rnd.year, "v": listing.version},
                caused_by=cause_of(listing),
            )
        _notify_person(
            application.person,
            _("积分落户结果"),
            _("您已获准落户，落户证明正在生成，可在申请页面下载。")
            if entry.admitted
            else _("很遗憾，您本轮未进入落户名单。"),
            application_link(application),
            "settlement.result",
        )
    _set_round(rnd, status=RoundStatus.FINAL, finalized_at=now)
    record(
        user, "settlement.issue_permits", rnd, detail={"permits": len(permits), "list": listing.pk}
    )
    return permits


def _permit_fields(
    rnd: Round, found: Scheme, listing: RankingList, entry: RankingEntry
) -> dict[str, Any]:
    person = entry.application.person
    return {
        "name": {"label": _("姓名"), "value": person.name, "mask": "name"},
        "id_number": {"label": _("公民身份号码"), "value": person.id_number, "mask": "id_number"},
        "scheme": {"label": _("积分办法"), "value": found.name.get("zh", found.key)},
        "year": {"label": _("年度"), "value": str(rnd.year)},
        "score": {"label": _("积分"), "value": f"{Decimal(entry.score_centi) / 100:.2f}"},
        "rank": {"label": _("名次"), "value": str(entry.rank)},
        "list": {"label": _("名单版本"), "value": f"v{listing.version} {listing.root[:16]}"},
    }
