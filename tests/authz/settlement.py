"""Declared access of the settlement pages and API (/settlement/, /api/settlement/).

Sections: the analyst pages (policy analysis over synthetic populations). Other helpers add
their sections below, each keeping to its own endpoints.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from liudong.people.models import Region
from tests.authz import (
    ANY,
    JURISDICTION,
    NONE,
    OWN,
    OWN_JURISDICTION,
    PARENT_JURISDICTION,
    UNRELATED,
    Call,
    Endpoint,
    Target,
    allow,
    everyone,
)
from tests.evidence.samples import PDF

if TYPE_CHECKING:
    from liudong.people.models import Employer, Person
    from liudong.settlement.models import Application, Round
    from tests.personas import World

# ---------------------------------------------------------------------------------------------
# Analyst pages: policy analysts, staff, supervisors and administrators (synthetic data,
# nobody's record); citizens, employers and auditors get a 403 with one ``denied`` audit event.

ANALYSTS = allow(analyst=NONE, staff=NONE, supervisor=NONE, admin=NONE)
ANALYSTS_ANY = allow(analyst=ANY, staff=ANY, supervisor=ANY, admin=ANY)


def _analysis_body(call: Call) -> dict[str, Any]:
    return {"city": "beijing", "on": "2024-06-01", "quota": "6000", "population": "small"}


def _analysis_runs(world: World) -> list[Target]:
    """One finished background analysis (over the small synthetic population)."""
    from django_tasks_db.models import DBTaskResult

    from liudong.settlement.analysis_runs import run_analysis
    from liudong.tasks import run_pending

    request = {
        "city": "beijing",
        "on": "2024-06-01",
        "quota": 6000,
        "population": "small",
        "reform": None,
    }
    result = run_analysis.enqueue(request)
    run_pending()
    return [Target("a finished analysis", DBTaskResult.objects.get(pk=result.id))]


TARGETS: dict[str, Any] = {"analysis_run": _analysis_runs}

ENDPOINTS: dict[str, Endpoint] = {
    "settlement:analysis": Endpoint(ANALYSTS),
    "settlement:analysis_run": Endpoint(ANALYSTS, methods=("POST",), body=_analysis_body),
    "settlement:analysis_result": Endpoint(
        ANALYSTS_ANY, target="analysis_run", kwargs=lambda t: {"result_id": t.pk}
    ),
}

# ---------------------------------------------------------------------------------------------
# Rounds, applications, lists and objections (the API at /api/settlement/). The rounds are
# Beijing's (region 110000): staff and supervisors of the Chaoyang agency run them (the city is
# their parent jurisdiction), Pudong's officer does not. Applications are handled in the
# district of the applicant's residence permit (the migrant's: Chaoyang). Rows are built
# directly in the state each operation needs; the behaviour is tested in tests/settlement/.

CITY = frozenset({OWN_JURISDICTION, PARENT_JURISDICTION})
ROUND_STAFF = allow(staff=CITY, supervisor=CITY)
APPLICATION_READ = allow(citizen=OWN, employer=OWN, staff=JURISDICTION, supervisor=JURISDICTION)
CASEWORKERS = allow(staff=JURISDICTION, supervisor=JURISDICTION)
PUBLIC = everyone(signed_in=False)
RECEIPT_SECRET = "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"  # noqa: S105
# Rounds need a fresh (scheme, year) within a test, and a year the round form accepts
# (2000-2100): cycle through 2040-2099 rather than count without end across the whole matrix.
_years = itertools.cycle(range(2040, 2100))
_refs = itertools.count(1)


def _facts(person: Person) -> dict[str, Any]:
    return {
        "holds_residence_permit": True,
        "birth_date": person.birth_date.isoformat(),
        "retirement_group": "men",
        "si_months_beijing": 96,
        "has_criminal_record": False,
        "education": "bachelor",
        "education_matched": True,
        "hukou_region": 411502,  # a hukou outside Beijing: a local one may not apply
    }


def _round(
    world: World, status: str, *, days_open: tuple[int, int] = (-1, 7), **extra: Any
) -> Round:
    from liudong.settlement import schemes
    from liudong.settlement.models import Round

    today = timezone.localdate()
    return Round.objects.create(
        scheme="beijing",
        region_id=110000,
        year=next(_years),
        quota=5,
        opens_on=today + dt.timedelta(days=days_open[0]),
        closes_on=today + dt.timedelta(days=days_open[1]),
        assessed_on=today,
        ruleset=schemes.ruleset_version("beijing", today),
        tie_rule="admit_all_tied",
        review_window_days=5,
        review_window_cite="MODEL",
        review_window_confidence="assumption",
        objection_window_days=5,
        objection_window_cite="MODEL",
        objection_window_confidence="assumption",
        status=status,
        opened_by=world.beijing_caseworker,
        opened_at=timezone.now(),
        **extra,
    )


def _application(
    world: World,
    rnd: Round,
    person: Person,
    state: str,
    *,
    region: int = 110105,
    employer: Employer | None = None,
    employment_confirmed: bool = True,
    review_until: dt.date | None = None,
) -> Application:
    from liudong.settlement import commitments, schemes
    from liudong.settlement.actions import assessment_json, json_clean
    from liudong.settlement.models import Application, IndicatorVerification
    from liudong.workflows.models import Case, CaseTransition

    now = timezone.now()
    facts = _facts(person)
    assessment = schemes.assess("beijing", facts, rnd.assessed_on)
    case = None
    if state:
        case = Case.objects.create(
            case_type="settlement.points_application",
            state=state,
            jurisdiction_id=region,
            subject=person,
            opened_at=now,
            opened_by=world.beijing_caseworker,
        )
        CaseTransition.objects.create(
            case=case, name="open", target="submitted", actor=None, at=now, maker=True
        )
        if state not in {"submitted", "verifying"}:
            CaseTransition.objects.create(
                case=case,
                name="finish_verification",
                source="verifying",
                target="verified",
                actor=world.beijing_caseworker,
                at=now,
                maker=True,
            )
    verified = state not in {"", "submitted", "verifying"}
    application = Application.objects.create(
        round=rnd,
        person=person,
        case=case,
        pre_state="" if state else "awaiting_applicant",
        filed_by=world.beijing_caseworker,
        filed_for_employer=None if state else employer,
        employer=employer,
        employment_confirmed_at=now if employment_confirmed else None,
        declared=json_clean(facts),
        registry={},
        differences=[],
        eligible=assessment.eligible,
        score=assessment.score,
        assessment=assessment_json(assessment),
        verified_eligible=assessment.eligible if verified else None,
        verified_score=assessment.score if verified else None,
        ruleset=rnd.ruleset,
        receipt_key=commitments.receipt_key(RECEIPT_SECRET).hex(),
        entry_ref=f"ref{next(_refs)}",
        created_at=now,
        review_until=review_until,
    )
    if state in {"verifying", "verified", "confirmed"}:
        for name, value in application.declared.items():
            IndicatorVerification.objects.create(
                application=application,
                indicator=name,
                value=value,
                declared=value,
                source="registry",
                verified_by=world.beijing_caseworker,
                verified_at=now,
            )
    return application


def _app_target(label: str, application: Application) -> Target:
    employers = frozenset({application.employer_id}) if application.employer_id else frozenset()
    region = application.case.jurisdiction_id if application.case else 110105
    return Target(label, application, frozenset({application.person_id}), employers, (region,))


def _round_target(label: str, rnd: Round) -> Target:
    return Target(label, rnd, regions=(110000,))


def _two_applications(world: World, rnd: Round, state: str, **kw: Any) -> list[Target]:
    """The migrant's (Chaoyang, her employer's) and the Haidian resident's (Haidian, another
    employer's): a Chaoyang caseworker may act on the first only."""
    mine = _application(world, rnd, world.migrant, state, employer=world.employer, **kw)
    other = _application(
        world,
        rnd,
        world.haidian_resident,
        state,
        region=110108,
        employer=world.other_employer,
        **kw,
    )
    return [_app_target("migrant's application", mine), _app_target("haidian application", other)]


def _ranked(world: World, status: str, **extra: Any) -> Round:
    """A round ranked from one confirmed application (the migrant's), then set to ``status``."""
    from liudong.settlement.actions import rank
    from liudong.settlement.models import Round

    rnd = _round(world, "closed", days_open=(-20, -10))
    _application(world, rnd, world.migrant, "confirmed", employer=world.employer)
    rank(rnd)
    Round.objects.filter(pk=rnd.pk).update(status=status, **extra)
    rnd.refresh_from_db()
    return rnd


def _notice(world: World, *, over: bool = False) -> Round:
    today = timezone.localdate()
    until = today - dt.timedelta(days=1) if over else today + dt.timedelta(days=5)
    return _ranked(world, "notice", notice_from=today - dt.timedelta(days=8), notice_until=until)


def _objection(world: World) -> list[Target]:
    from liudong.settlement.models import Objection
    from liudong.workflows.models import Case

    rnd = _notice(world)
    listing = rnd.lists.get()
    entry = listing.entries.get()
    Case.objects.filter(pk=entry.application.case_id or 0).update(state="reopened")
    objection = Objection.objects.create(
        list=listing,
        entry=entry,
        objector=world.neighbour,
        filed_by=world.other_citizen,
        grounds="社保月数不符",
        filed_at=timezone.now(),
    )
    return [Target("objection", objection, regions=(110000,))]


def _listed(world: World) -> list[Target]:
    rnd = _notice(world)
    application = rnd.lists.get().entries.get().application
    return [_app_target("listed application", application)]


def _round_to_apply(world: World) -> list[Target]:
    """An open round, with the neighbour's hukou (朝阳区) moved outside Beijing: points
    settlement refuses a local hukou (``hukou_local``, tests/settlement/test_qa_fixes.py), and
    this checks access, so every citizen persona must be someone the scheme is for."""
    from liudong.people.models import HukouRecord

    HukouRecord.objects.filter(person=world.neighbour, end__isnull=True).update(region_id=411502)
    return [_round_target("open round", _round(world, "open"))]


TARGETS.update(
    {
        "settlement_city": lambda world: [
            Target("Beijing", Region.objects.get(pk=110000), regions=(110000,))
        ],
        "settlement_round": lambda world: [_round_target("open round", _round(world, "open"))],
        "settlement_round_to_apply": _round_to_apply,
        "settlement_round_over": lambda world: [
            _round_target("window over", _round(world, "open", days_open=(-10, -1)))
        ],
        "settlement_round_closed": lambda world: [
            _round_target(
                "closed round",
                _application(
                    world,
                    _round(world, "closed", days_open=(-20, -10)),
                    world.migrant,
                    "confirmed",
                    employer=world.employer,
                ).round,
            )
        ],
        "settlement_round_ranked": lambda world: [
            _round_target("ranked round", _ranked(world, "ranked"))
        ],
        "settlement_round_notice": lambda world: [_round_target("round in notice", _notice(world))],
        "settlement_round_notice_over": lambda world: [
            _round_target("notice over", _notice(world, over=True))
        ],
        "settlement_objection": _objection,
        "settlement_application": lambda world: _two_applications(
            world, _round(world, "open"), "submitted", employment_confirmed=False
        ),
        "settlement_filing": lambda world: [
            _app_target(
                "employer's filing",
                _application(
                    world, _round(world, "open"), world.migrant, "", employer=world.employer
                ),
            )
        ],
        "settlement_verifying": lambda world: _two_applications(
            world, _round(world, "open"), "verifying"
        ),
        "settlement_verified": lambda world: _two_applications(
            world,
            _round(world, "open"),
            "verified",
            review_until=timezone.localdate() + dt.timedelta(days=5),
        ),
        "settlement_confirmable": lambda world: _two_applications(
            world,
            _round(world, "closed", days_open=(-20, -10)),
            "verified",
            review_until=timezone.localdate() - dt.timedelta(days=1),
        ),
        "settlement_listed": _listed,
    }
)


def _by_round(target: Target) -> dict[str, Any]:
    return {"round_id": target.pk}


def _by_application(target: Target) -> dict[str, Any]:
    return {"application_id": target.pk}


def _open_body(call: Call) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "scheme": "beijing",
        "year": next(_years),
        "quota": 6000,
        "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=30)).isoformat(),
    }


def _apply_body(call: Call) -> dict[str, Any]:
    person = call.world.migrant
    body: dict[str, Any] = {"facts": _facts(person)}
    if call.user is not None and call.user.role == "employer":
        body["person_id"] = person.pk
    return body


def _verify_body(call: Call) -> dict[str, Any]:
    return {
        "indicator": "has_criminal_record",
        "value": False,
        "files": [
            {
                "filename": "proof.pdf",
                "content_type": "application/pdf",
                "data_base64": base64.b64encode(PDF).decode(),
            }
        ],
    }


def _receipt_body(call: Call) -> dict[str, Any]:
    return {"receipt": {"format": "liudong.settlement.receipt/1"}, "secret": RECEIPT_SECRET}


ENDPOINTS.update(
    {
        # public: schemes, the self-check, rounds, published lists, receipts
        "settlement_list_schemes": Endpoint(PUBLIC, public=True),
        "settlement_get_scheme": Endpoint(
            PUBLIC, target="settlement_city", kwargs=lambda t: {"key": "beijing"}, public=True
        ),
        "settlement_check": Endpoint(
            PUBLIC,
            methods=("POST",),
            body=lambda call: {"region": 110105, "facts": {"hukou_region": 411502}},
            public=True,
        ),
        "settlement_assess": Endpoint(
            PUBLIC,
            target="settlement_city",
            methods=("POST",),
            kwargs=lambda t: {"key": "beijing"},
            body=lambda call: {"facts": _facts(call.world.migrant)},
            public=True,
        ),
        "settlement_list_rounds": Endpoint(PUBLIC, public=True),
        "settlement_get_round": Endpoint(
            PUBLIC, target="settlement_round", kwargs=_by_round, public=True
        ),
        "settlement_list_versions": Endpoint(
            PUBLIC, target="settlement_round_notice", kwargs=_by_round, public=True
        ),
        "settlement_get_list": Endpoint(
            PUBLIC,
            target="settlement_round_notice",
            kwargs=lambda t: {"round_id": t.pk, "version": 1},
            public=True,
        ),
        "settlement_verify_receipt": Endpoint(
            PUBLIC, methods=("POST",), body=_receipt_body, public=True
        ),
        # rounds: staff of the city
        "settlement_open_round": Endpoint(
            ROUND_STAFF, target="settlement_city", methods=("POST",), body=_open_body
        ),
        "settlement_close_round": Endpoint(
            ROUND_STAFF, target="settlement_round_over", methods=("POST",), kwargs=_by_round
        ),
        "settlement_rank_round": Endpoint(
            ROUND_STAFF, target="settlement_round_closed", methods=("POST",), kwargs=_by_round
        ),
        "settlement_publish_notice": Endpoint(
            ROUND_STAFF, target="settlement_round_ranked", methods=("POST",), kwargs=_by_round
        ),
        "settlement_issue_permits": Endpoint(
            allow(supervisor=CITY),
            target="settlement_round_notice_over",
            methods=("POST",),
            kwargs=_by_round,
        ),
        "settlement_list_objections": Endpoint(
            allow(citizen=UNRELATED, staff=CITY, supervisor=CITY),
            target="settlement_round_notice",
            kwargs=_by_round,
        ),
        "settlement_object_to_list": Endpoint(
            allow(citizen=UNRELATED),
            target="settlement_round_notice",
            methods=("POST",),
            kwargs=lambda t: {"round_id": t.pk, "version": 1},
            body=lambda call: {"grounds": "该名单中有人社保年限不足"},
        ),
        "settlement_decide_objection": Endpoint(
            allow(supervisor=CITY),
            target="settlement_objection",
            methods=("POST",),
            kwargs=lambda t: {"objection_id": t.pk},
            body=lambda call: {"upheld": False, "decision": "经核实，异议不成立"},
        ),
        # applications
        "settlement_apply": Endpoint(
            allow(citizen=UNRELATED, employer=UNRELATED),
            target="settlement_round_to_apply",
            methods=("POST",),
            kwargs=_by_round,
            body=_apply_body,
        ),
        "settlement_list_applications": Endpoint(allow(citizen=NONE, employer=NONE)),
        "settlement_review_queue": Endpoint(allow(staff=NONE, supervisor=NONE)),
        "settlement_get_application": Endpoint(
            APPLICATION_READ, target="settlement_application", kwargs=_by_application
        ),
        "settlement_list_verifications": Endpoint(
            APPLICATION_READ, target="settlement_verifying", kwargs=_by_application
        ),
        "settlement_get_receipt": Endpoint(
            allow(citizen=OWN), target="settlement_listed", kwargs=_by_application
        ),
        "settlement_confirm_filing": Endpoint(
            allow(citizen=OWN),
            target="settlement_filing",
            methods=("POST",),
            kwargs=_by_application,
        ),
        "settlement_withdraw": Endpoint(
            allow(citizen=OWN),
            target="settlement_application",
            methods=("POST",),
            kwargs=_by_application,
        ),
        "settlement_request_review": Endpoint(
            allow(citizen=OWN),
            target="settlement_verified",
            methods=("POST",),
            kwargs=_by_application,
            body=lambda call: {"grounds": "学历积分未计入"},
        ),
        "settlement_confirm_employment": Endpoint(
            allow(employer=OWN),
            target="settlement_application",
            methods=("POST",),
            kwargs=_by_application,
        ),
        "settlement_verify_indicator": Endpoint(
            CASEWORKERS,
            target="settlement_application",
            methods=("POST",),
            kwargs=_by_application,
            body=_verify_body,
        ),
        "settlement_finish_verification": Endpoint(
            CASEWORKERS, target="settlement_verifying", methods=("POST",), kwargs=_by_application
        ),
        "settlement_confirm_application": Endpoint(
            allow(supervisor=JURISDICTION),
            target="settlement_confirmable",
            methods=("POST",),
            kwargs=_by_application,
        ),
        "settlement_refuse_application": Endpoint(
            allow(supervisor=JURISDICTION),
            target="settlement_confirmable",
            methods=("POST",),
            kwargs=_by_application,
            body=lambda call: {
                "reason": "依据积分落户办法第五条，社保缴纳不满七年，可补正后再申请"
            },
        ),
    }
)

# ---------------------------------------------------------------------------------------------
# Pages (/settlement/): the self-check, rounds, lists and the receipt check are public; a
# citizen applies, follows her own case, checks her entry, objects during the notice; staff
# and supervisors of the city run its rounds, caseworkers of the jurisdiction verify, a
# supervisor confirms and decides objections. Refusals: the role decorators' 403 pages, or a
# 404 for a round or application outside the user's scope (each with one denied event).

CITIZENS = allow(citizen=NONE)


def _self_check_body(call: Call) -> dict[str, Any]:
    return {
        "cities": ["beijing", "shanghai"],
        "other_cities": "成都",
        "hukou_region": "411502",
        "months_resident": "24",
        "has_stable_job": "on",
        "beijing__holds_residence_permit": "yes",
        "shanghai__holds_residence_permit": "no",
        "birth_date": "1988-03-14",
        "retirement_group": "men",
        "si_months_beijing": "96",
        "has_criminal_record": "no",
        "education": "bachelor",
        "education_matched": "on",
    }


def _apply_form(call: Call) -> dict[str, Any]:
    facts = _facts(call.world.migrant)
    return {
        **{k: v for k, v in facts.items() if not isinstance(v, bool)},
        "holds_residence_permit": "yes",
        "has_criminal_record": "no",
        "education_matched": "on",
    }


def _receipt_form(call: Call) -> dict[str, Any]:
    return {"receipt": '{"format": "liudong.settlement.receipt/1"}', "secret": RECEIPT_SECRET}


def _verify_form(call: Call) -> dict[str, Any]:
    from tests.evidence.samples import pdf_upload

    return {"indicator": "has_criminal_record", "value": "否", "file": pdf_upload()}


ENDPOINTS.update(
    {
        # public pages
        "settlement:self_check": Endpoint(
            PUBLIC, methods=("GET", "POST"), body=_self_check_body, public=True
        ),
        "settlement:rounds": Endpoint(PUBLIC, public=True),
        "settlement:ranking_list": Endpoint(
            PUBLIC, target="settlement_round_notice", kwargs=_by_round, public=True
        ),
        "settlement:verify": Endpoint(
            PUBLIC, methods=("GET", "POST"), body=_receipt_form, public=True
        ),
        # a citizen's pages
        "settlement:apply": Endpoint(
            allow(citizen=UNRELATED),
            target="settlement_round_to_apply",
            methods=("GET", "POST"),
            kwargs=_by_round,
            body=_apply_form,
            form_token="settlement.apply",  # noqa: S106  # a form's name, not a password
        ),
        "settlement:object": Endpoint(
            allow(citizen=UNRELATED),
            target="settlement_round_notice",
            methods=("GET", "POST"),
            kwargs=_by_round,
            body=lambda call: {"grounds": "该名单中有人社保年限不足"},
        ),
        "settlement:my_applications": Endpoint(CITIZENS),
        "settlement:application": Endpoint(
            allow(citizen=OWN), target="settlement_application", kwargs=_by_application
        ),
        "settlement:confirm_filing": Endpoint(
            allow(citizen=OWN),
            target="settlement_filing",
            methods=("POST",),
            kwargs=_by_application,
        ),
        "settlement:withdraw": Endpoint(
            allow(citizen=OWN),
            target="settlement_application",
            methods=("POST",),
            kwargs=_by_application,
        ),
        "settlement:request_review": Endpoint(
            allow(citizen=OWN),
            target="settlement_verified",
            methods=("POST",),
            kwargs=_by_application,
            body=lambda call: {"grounds": "学历积分未计入"},
        ),
        "settlement:receipt": Endpoint(
            allow(citizen=OWN), target="settlement_listed", kwargs=_by_application
        ),
        "settlement:check_entry": Endpoint(
            allow(citizen=OWN),
            target="settlement_listed",
            methods=("POST",),
            kwargs=_by_application,
            body=lambda call: {"secret": RECEIPT_SECRET},
        ),
        # staff pages
        "settlement:staff_rounds": Endpoint(
            allow(staff=ANY, supervisor=ANY),
            target="settlement_city",
            methods=("GET", "POST"),
            body=_open_body,
            method_access={"POST": ROUND_STAFF},
            note="anyone on the staff sees the page; only the city's own staff open its rounds",
        ),
        "settlement:staff_round": Endpoint(
            ROUND_STAFF, target="settlement_round_notice", kwargs=_by_round
        ),
        "settlement:staff_progress": Endpoint(
            ROUND_STAFF, target="settlement_round_ranked", kwargs=_by_round
        ),
        "settlement:staff_close": Endpoint(
            ROUND_STAFF, target="settlement_round_over", methods=("POST",), kwargs=_by_round
        ),
        "settlement:staff_rank": Endpoint(
            ROUND_STAFF, target="settlement_round_closed", methods=("POST",), kwargs=_by_round
        ),
        "settlement:staff_notice": Endpoint(
            ROUND_STAFF, target="settlement_round_ranked", methods=("POST",), kwargs=_by_round
        ),
        "settlement:staff_permits": Endpoint(
            allow(supervisor=CITY),
            target="settlement_round_notice_over",
            methods=("POST",),
            kwargs=_by_round,
        ),
        "settlement:staff_queue": Endpoint(allow(staff=NONE, supervisor=NONE)),
        "settlement:staff_application": Endpoint(
            CASEWORKERS, target="settlement_verifying", kwargs=_by_application
        ),
        "settlement:staff_verify": Endpoint(
            CASEWORKERS,
            target="settlement_verifying",
            methods=("POST",),
            kwargs=_by_application,
            body=_verify_form,
        ),
        "settlement:staff_step": Endpoint(
            CASEWORKERS, target="settlement_verifying", methods=("POST",), kwargs=_by_application
        ),
        "settlement:staff_confirm": Endpoint(
            allow(supervisor=JURISDICTION),
            target="settlement_confirmable",
            methods=("POST",),
            kwargs=_by_application,
            body=lambda call: {"decision": "confirm"},
        ),
        "settlement:staff_decide": Endpoint(
            allow(supervisor=CITY),
            target="settlement_objection",
            methods=("POST",),
            kwargs=lambda t: {"objection_id": t.pk},
            body=lambda call: {"upheld": "no", "decision": "经核实，异议不成立"},
        ),
    }
)

# ---------------------------------------------------------------------------------------------
# Employer pages (/settlement/employer/): a representative of the migrant's employer sees the
# applications of her employer's employees that wait for the employer's confirmation and the
# filings the employer made; she confirms the employment indicators of her own employees'
# applications (another employer's: 404) and files for a current employee in an open round.
# Everyone else: the 403 page (anonymous callers: sign in), each with one denied event.


def _file_form(call: Call) -> dict[str, Any]:
    return {"person": str(call.world.migrant.pk), **_apply_form(call)}


ENDPOINTS.update(
    {
        "settlement:employer": Endpoint(allow(employer=NONE)),
        "settlement:employer_confirm": Endpoint(
            allow(employer=OWN),
            target="settlement_application",
            methods=("POST",),
            kwargs=_by_application,
            form_token="settlement.confirm_employment",  # noqa: S106  # a form's name
        ),
        "settlement:employer_file": Endpoint(
            allow(employer=UNRELATED),
            target="settlement_round_to_apply",
            methods=("GET", "POST"),
            kwargs=_by_round,
            body=_file_form,
            form_token="settlement.employer_file",  # noqa: S106  # a form's name
        ),
    }
)
