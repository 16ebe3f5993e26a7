"""The settlement API (mounted at /api/settlement/): points schemes and the self-check (public),
annual rounds, applications, verification, ranking, the public notice with its list versions,
roots and snapshot hashes, receipts and objections.

Handlers parse, call one action or selector and return; access is decided in the actions and
``liudong.settlement.selectors``. Scores are strings with two decimals ("59.00"); entries in
lists carry ``score_centi`` (hundredths of a point, exact integers) as the commitments do.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt  # noqa: TC003  # pydantic and ninja read annotations at runtime
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from liudong.settlement import actions, schemes, selectors
from liudong.settlement.models import Objection, RankingEntry
from liudong.site.apikit import ERRORS, Input, PageQuery, RecordId, RegionCode, caller, paginate
from liudong.site.errors import AccessDeniedError, InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from django.http import HttpRequest

    from liudong.settlement.models import Application, RankingList, Round

router = Router(tags=["settlement"])
MAX_FILE_BYTES = 5 * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Schemas.


class ChoiceOut(Schema):
    code: str
    label: dict[str, str]


class FieldOut(Schema):
    name: str
    label: dict[str, str]
    kind: str
    unit: str
    choices: list[ChoiceOut]
    help: dict[str, str]
    cite: str
    default: Any = None
    required: bool
    needs_employer: bool
    registry: str | None
    minimum: int | None
    maximum: int | None
    city_specific: bool = Field(
        False, description="the name is shared by schemes but the answer differs per city"
    )


class SchemeOut(Schema):
    key: str
    region: int
    name: dict[str, str]
    grants: str
    threshold: str | None
    fields: list[FieldOut]


class CheckIn(Input):
    region: RegionCode = Field(description="where she would settle (any GB/T 2260 code)")
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="hukou_region, months_resident, has_stable_job, has_stable_residence, "
        "is_studying and the facts of the city's scheme (GET /schemes/{key} lists them)",
    )
    on: dt.date | None = Field(None, description="default: today")


class AssessIn(Input):
    facts: dict[str, Any]
    on: dt.date | None = None


class RoundOut(Schema):
    id: int
    scheme: str
    region: int = Field(alias="region_id")
    year: int
    quota: int
    opens_on: dt.date
    closes_on: dt.date
    assessed_on: dt.date
    ruleset: str
    tie_rule: str
    review_window_days: int
    review_window_cite: str
    review_window_confidence: str
    objection_window_days: int
    objection_window_cite: str
    objection_window_confidence: str
    status: str
    ranking_task_id: str
    notice_from: dt.date | None
    notice_until: dt.date | None
    notice_until_provisional: bool


class RoundPage(Schema):
    items: list[RoundOut]
    count: int
    limit: int
    offset: int


class OpenRoundIn(Input):
    scheme: str
    year: int | None = None
    quota: int | None = Field(None, description="places this year, a positive integer")
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    assessed_on: dt.date | None = Field(None, description="default: opens_on")


class ApplyIn(Input):
    facts: dict[str, Any]
    person_id: RecordId | None = Field(
        None, description="employer representatives: the employee filed for"
    )
    residence_district: int | None = Field(
        None,
        description="GB/T 2260 code of the district she lives in (reviews her application); "
        "default: her residence permit's district, else her hukou's or employer's",
    )


class ConfirmFilingIn(Input):
    residence_district: int | None = Field(
        None, description="GB/T 2260 code of the district she lives in, as in ApplyIn"
    )


class ApplicationOut(Schema):
    id: int
    round: int = Field(alias="round_id")
    person_id: int
    person_name: str
    state: str
    live: bool
    declared: dict[str, Any]
    registry: dict[str, Any]
    differences: list[dict[str, Any]]
    eligible: bool
    score: str
    assessment: dict[str, Any]
    verified_eligible: bool | None
    verified_score: str | None
    verified_assessment: dict[str, Any]
    ruleset: str
    entry_ref: str
    employer_id: int | None
    employment_confirmed: bool
    review_until: dt.date | None
    review_until_provisional: bool
    created_at: dt.datetime


class ApplicationPage(Schema):
    items: list[ApplicationOut]
    count: int
    limit: int
    offset: int


class FiledOut(Schema):
    application: ApplicationOut
    receipt_secret: str | None = Field(
        description="shown once, never stored: keep it to verify your entry after ranking"
    )


class QueueQuery(PageQuery):
    round: RecordId | None = None
    state: str = ""


class GroundsIn(Input):
    grounds: str


class ReasonIn(Input):
    reason: str


class FileIn(Input):
    filename: str
    content_type: str = ""
    data_base64: str = Field(description="the file's bytes, base64 (PDF, PNG or JPEG, ≤ 5 MB)")


class VerifyIndicatorIn(Input):
    indicator: str
    value: Any = None
    evidence_ids: list[RecordId] = Field(default_factory=list)
    files: list[FileIn] = Field(default_factory=list)
    note: str = ""


class VerificationOut(Schema):
    id: int
    indicator: str
    value: Any = None
    declared: Any = None
    source: str
    note: str
    evidence_ids: list[int]
    verified_at: dt.datetime


class ListOut(Schema):
    round: int = Field(alias="round_id")
    version: int
    root: str
    snapshot_hash: str = Field(alias="snapshot")
    ruleset: str
    tie_rule: str
    quota: int
    cutoff_centi: int | None
    admitted_count: int
    entry_count: int
    created_at: dt.datetime
    supersedes: int | None
    reason: str


class EntryOut(Schema):
    index: int
    entry_ref: str
    name_masked: str
    id_masked: str
    score_centi: int
    rank: int
    admitted: bool
    commitment: str


class ChangeOut(Schema):
    entry_ref: str
    kind: str
    fields: list[str]


class ListDetailOut(ListOut):
    entries: list[EntryOut]
    changes: list[ChangeOut]


class ReceiptVerifyIn(Input):
    receipt: dict[str, Any]
    secret: str
    version: int | None = Field(
        None, description="check against this version (e.g. a correction); default: the receipt's"
    )


class ReceiptCheckOut(Schema):
    ok: bool
    code: str
    reason: str
    round_id: int | None
    list_version: int | None
    root: str


class ReceiptQuery(Schema):
    version: int | None = None


class ObjectIn(Input):
    grounds: str
    entry_ref: str = Field("", description="the entry objected to; empty: the list as a whole")


class DecideIn(Input):
    upheld: bool
    decision: str
    corrections: dict[str, Any] = Field(default_factory=dict)
    evidence_ids: list[RecordId] = Field(default_factory=list)


class ObjectionOut(Schema):
    id: int
    list_version: int
    entry_ref: str | None
    grounds: str
    filed_at: dt.datetime
    status: str
    decision: str
    decided_at: dt.datetime | None
    correction_version: int | None


class PermitOut(Schema):
    application_id: int
    certificate_code: str
    issued_at: dt.datetime


# ---------------------------------------------------------------------------------------------
# Output helpers.


def _field(f: schemes.Field) -> dict[str, Any]:
    default = f.default
    if not isinstance(default, str | int | bool | type(None)):
        default = str(default)
    return {
        "name": f.name,
        "label": f.label,
        "kind": f.kind,
        "unit": f.unit,
        "choices": [{"code": code, "label": labels} for code, labels in f.choices],
        "help": dict(f.help),
        "cite": f.cite,
        "default": default,
        "required": f.required,
        "needs_employer": f.needs_employer,
        "registry": f.registry,
        "minimum": f.minimum,
        "maximum": f.maximum,
        "city_specific": f.city_specific,
    }


def _scheme(found: schemes.Scheme, on: dt.date) -> dict[str, Any]:
    in_force = [f for f in found.fields if f.in_force(on)]
    return {
        "key": found.key,
        "region": found.region,
        "name": found.name,
        "grants": found.grants,
        "threshold": None if found.threshold is None else f"{found.threshold:.2f}",
        "fields": [_field(f) for f in in_force],
    }


def _application(application: Application) -> dict[str, Any]:
    return {
        "id": application.pk,
        "round_id": application.round_id,
        "person_id": application.person_id,
        "person_name": application.person.name,
        "state": application.state,
        "live": application.live,
        "declared": application.declared,
        "registry": application.registry,
        "differences": application.differences,
        "eligible": application.eligible,
        "score": f"{application.score:.2f}",
        "assessment": application.assessment,
        "verified_eligible": application.verified_eligible,
        "verified_score": None
        if application.verified_score is None
        else f"{application.verified_score:.2f}",
        "verified_assessment": application.verified_assessment,
        "ruleset": application.ruleset,
        "entry_ref": application.entry_ref,
        "employer_id": application.employer_id,
        "employment_confirmed": application.employment_confirmed_at is not None,
        "review_until": application.review_until,
        "review_until_provisional": application.review_until_provisional,
        "created_at": application.created_at,
    }


def _list(listing: RankingList) -> dict[str, Any]:
    return {
        "round_id": listing.round_id,
        "version": listing.version,
        "root": listing.root,
        "snapshot": listing.snapshot,
        "ruleset": listing.ruleset,
        "tie_rule": listing.tie_rule,
        "quota": listing.quota,
        "cutoff_centi": listing.cutoff_centi,
        "admitted_count": listing.admitted_count,
        "entry_count": listing.entry_count,
        "created_at": listing.created_at,
        "supersedes": listing.supersedes.version if listing.supersedes else None,
        "reason": listing.reason,
    }


def _objection(objection: Objection) -> dict[str, Any]:
    return {
        "id": objection.pk,
        "list_version": objection.list.version,
        "entry_ref": objection.entry.entry_ref if objection.entry else None,
        "grounds": objection.grounds,
        "filed_at": objection.filed_at,
        "status": objection.status,
        "decision": objection.decision,
        "decided_at": objection.decided_at,
        "correction_version": objection.correction.version if objection.correction else None,
    }


def _round(round_id: int) -> Round:
    return selectors.round_detail(round_id)


def _mine(request: HttpRequest, application_id: int, action: str) -> Application:
    return selectors.application_detail(caller(request), application_id, action=action)


def _today() -> dt.date:
    return timezone.localdate()


# ---------------------------------------------------------------------------------------------
# Public: schemes, the self-check, rounds, lists, receipts.


@router.get("/schemes", response={200: list[SchemeOut], **ERRORS}, auth=None)
def list_schemes(request: HttpRequest) -> list[dict[str, Any]]:
    """Every city's points scheme with the facts an applicant enters (in force today)."""
    return [_scheme(s, _today()) for s in schemes.SCHEMES.values()]


@router.get("/schemes/{key}", response={200: SchemeOut, **ERRORS}, auth=None)
def get_scheme(request: HttpRequest, key: str) -> dict[str, Any]:
    """One scheme and its fields: names, kinds, units, choices, help, citations."""
    found = schemes.SCHEMES.get(key)
    if found is None:
        raise NotFoundError(
            f"no points scheme {key[:40]!r}; the schemes are {sorted(schemes.SCHEMES)}"
        )
    return _scheme(found, _today())


def _fact_error(exc: schemes.FactError, prefix: str = "facts") -> InvalidInputError:
    where = exc.field if exc.field in {"region", "on"} else f"{prefix}.{exc.field}"
    return InvalidInputError("invalid_fact", f"{exc.problem}; expected {exc.expected}", where)


@router.post("/check", response={200: dict[str, Any], **ERRORS}, auth=None)
def check(request: HttpRequest, payload: CheckIn) -> dict[str, Any]:
    """The self-check, no sign-in needed: for the city of ``region``, its size class and
    policy, whether she may settle without restriction, whether she may hold a residence
    permit and, where the city has a points scheme and its facts are given, her points with
    the explanation and what would raise them."""
    try:
        answer = schemes.city_answer(payload.region, payload.facts, payload.on or _today())
    except schemes.FactError as exc:
        raise _fact_error(exc) from None
    clean: dict[str, Any] = actions.json_clean(
        {
            "region": answer.region,
            "city": answer.city,
            "name": answer.name,
            "on": answer.on,
            "size_class": answer.size_class,
            "size_class_label": answer.size_class_label,
            "policy": answer.policy,
            "policy_label": answer.policy_label,
            "may_settle_unrestricted": answer.may_settle_unrestricted,
            "residence_permit_eligible": answer.residence_permit_eligible,
            "scheme": answer.scheme,
            "assessment": actions.assessment_json(answer.assessment)
            if answer.assessment is not None
            else None,
            "cite": answer.cite,
            "provisional": answer.provisional,
        }
    )
    return clean


@router.post("/schemes/{key}/assess", response={200: dict[str, Any], **ERRORS}, auth=None)
def assess(request: HttpRequest, key: str, payload: AssessIn) -> dict[str, Any]:
    """Points under one scheme for the given facts (no sign-in): score, items with their
    citations, preconditions, improvements and the line-by-line explanation."""
    if key not in schemes.SCHEMES:
        raise NotFoundError(
            f"no points scheme {key[:40]!r}; the schemes are {sorted(schemes.SCHEMES)}"
        )
    try:
        found = schemes.assess(key, payload.facts, payload.on or _today())
    except schemes.FactError as exc:
        raise _fact_error(exc) from None
    return actions.assessment_json(found)


@router.get("/rounds", response={200: RoundPage, **ERRORS}, auth=None)
def list_rounds(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Every round, newest year first."""
    return paginate(selectors.rounds(), query)


@router.get("/rounds/{round_id}", response={200: RoundOut, **ERRORS}, auth=None)
def get_round(request: HttpRequest, round_id: int) -> Round:
    """One round: quota, window, frozen rule-set version and windows, status, notice dates."""
    return _round(round_id)


@router.get("/rounds/{round_id}/lists", response={200: list[ListOut], **ERRORS}, auth=None)
def list_versions(request: HttpRequest, round_id: int) -> list[dict[str, Any]]:
    """The published versions of the round's list, each with its Merkle root, snapshot hash
    and, for a correction, the version it supersedes and why (empty before the notice)."""
    return [
        _list(v) for v in selectors.published_lists(_round(round_id)).select_related("supersedes")
    ]


@router.get(
    "/rounds/{round_id}/lists/{version}", response={200: ListDetailOut, **ERRORS}, auth=None
)
def get_list(request: HttpRequest, round_id: int, version: int) -> dict[str, Any]:
    """One published version: every entry (names and ID numbers masked; score in centi-points,
    rank, admitted, commitment) in leaf order, and what changed against the previous version."""
    listing = selectors.published_list(_round(round_id), version)
    entries = [
        {**entry.__dict__, "score_centi": int(entry.score * 100)}
        for entry in selectors.public_entries(listing)
    ]
    changes = [
        {"entry_ref": c.entry_ref, "kind": c.kind, "fields": list(c.fields)}
        for c in selectors.list_changes(listing)
    ]
    return {**_list(listing), "entries": entries, "changes": changes}


@router.post("/receipts/verify", response={200: ReceiptCheckOut, **ERRORS}, auth=None)
def verify_receipt(request: HttpRequest, payload: ReceiptVerifyIn) -> selectors.ReceiptCheck:
    """Check a receipt with its secret against the root this site publishes (anyone may ask;
    nothing is stored). ``ok`` false names the reason: wrong secret, altered receipt, another
    list version, not in the list."""
    return selectors.verify_receipt(payload.receipt, payload.secret, payload.version)


# ---------------------------------------------------------------------------------------------
# Rounds (staff of the city).


@router.post("/rounds", response={201: RoundOut, **ERRORS})
def open_round(request: HttpRequest, payload: OpenRoundIn) -> Status[Round]:
    """Open a round (staff of an agency in the scheme's city)."""
    return Status(201, actions.do_open_round(caller(request), **payload.model_dump()))


@router.post("/rounds/{round_id}/close", response={200: RoundOut, **ERRORS})
def close_round(request: HttpRequest, round_id: int) -> Round:
    """Close the round once its application window has ended."""
    return actions.do_close_round(caller(request), _round(round_id))


@router.post("/rounds/{round_id}/rank", response={202: RoundOut, **ERRORS})
def rank_round(request: HttpRequest, round_id: int) -> Status[Round]:
    """Start the ranking run in the background; ``ranking_task_id`` names the task
    (GET /api/tasks/{id} shows its progress)."""
    return Status(202, actions.do_rank_round(caller(request), _round(round_id)))


@router.post("/rounds/{round_id}/notice", response={200: RoundOut, **ERRORS})
def publish_notice(request: HttpRequest, round_id: int) -> Round:
    """Publish the ranked list for the objection window."""
    return actions.do_publish_notice(caller(request), _round(round_id))


@router.post("/rounds/{round_id}/permits", response={200: list[PermitOut], **ERRORS})
def issue_permits(request: HttpRequest, round_id: int) -> list[Any]:
    """After the objection window: issue the admitted applicants' settlement permits
    (supervisors of the city)."""
    return actions.do_issue_permits(caller(request), _round(round_id))


@router.get("/rounds/{round_id}/objections", response={200: list[ObjectionOut], **ERRORS})
def list_objections(request: HttpRequest, round_id: int) -> list[dict[str, Any]]:
    """The round's objections: all for the staff who run it, her own for a citizen."""
    user = caller(request)
    rnd = _round(round_id)
    if not (selectors.may_manage_round(user, rnd) or user.role == "citizen"):
        raise AccessDeniedError("只有本轮的经办、审核人员和异议人可以查看异议")
    found = selectors.objections_for(user, rnd).select_related("correction")
    return [_objection(o) for o in found]


@router.post(
    "/rounds/{round_id}/lists/{version}/objections", response={201: ObjectionOut, **ERRORS}
)
def object_to_list(
    request: HttpRequest, round_id: int, version: int, payload: ObjectIn
) -> Status[dict[str, Any]]:
    """A real-name objection during the notice (signed-in citizens), to one entry (by its
    reference) or to the list as a whole."""
    listing = selectors.published_list(_round(round_id), version)
    entry = None
    if payload.entry_ref:
        entry = RankingEntry.objects.filter(list=listing, entry_ref=payload.entry_ref).first()
        if entry is None:
            raise InvalidInputError(
                "entry_not_in_list", "no entry with this reference", "entry_ref"
            )
    objection = actions.do_object(caller(request), listing, grounds=payload.grounds, entry=entry)
    return Status(201, _objection(objection))


@router.post("/objections/{objection_id}/decision", response={200: ObjectionOut, **ERRORS})
def decide_objection(request: HttpRequest, objection_id: int, payload: DecideIn) -> dict[str, Any]:
    """Decide an objection (supervisors of the city); upheld with corrections, a new list
    version is published."""
    user = caller(request)
    objection = Objection.objects.select_related("list__round").filter(pk=objection_id).first()
    if objection is None or not selectors.may_manage_round(user, objection.list.round):
        raise NotFoundError("没有这件异议，或者您无权处理")
    decided = actions.do_decide_objection(user, objection, **payload.model_dump())
    return _objection(decided)


# ---------------------------------------------------------------------------------------------
# Applications.


@router.post("/rounds/{round_id}/applications", response={201: FiledOut, **ERRORS})
def apply(request: HttpRequest, round_id: int, payload: ApplyIn) -> Status[dict[str, Any]]:
    """Apply (a citizen for herself; an employer representative for an employee, who then
    confirms). The receipt secret is in this response only."""
    from liudong.people.models import Person

    person = None
    if payload.person_id is not None:
        person = Person.objects.filter(pk=payload.person_id).first()
        if person is None:
            raise InvalidInputError("unknown_person", "no such person", "person_id")
    filed = actions.do_apply(
        caller(request),
        _round(round_id),
        facts=payload.facts,
        person=person,
        residence_district=payload.residence_district,
    )
    return Status(
        201, {"application": _application(filed.application), "receipt_secret": filed.secret}
    )


@router.get("/applications", response={200: ApplicationPage, **ERRORS})
def list_applications(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """The caller's applications: a citizen her own, an employer representative her filings
    and employees'."""
    user = caller(request)
    found = (
        selectors.my_applications(user)
        if user.role == "citizen"
        else selectors.employer_filings(user)
    )
    if user.role not in {"citizen", "employer"}:
        raise AccessDeniedError("申请列表供申请人和用人单位查看；经办人员请查看审核队列")
    page = paginate(found, query)
    page["items"] = [_application(a) for a in page["items"]]
    return page


@router.get("/queue", response={200: ApplicationPage, **ERRORS})
def review_queue(request: HttpRequest, query: Query[QueueQuery]) -> dict[str, Any]:
    """Applications to work on in the caller's jurisdiction (caseworkers), oldest deadline first."""
    user = caller(request)
    if user.role not in {"staff", "supervisor"}:
        raise AccessDeniedError("审核队列供经办、审核人员使用")
    rnd = _round(query.round) if query.round is not None else None
    page = paginate(selectors.review_queue(user, rnd, query.state), query)
    page["items"] = [_application(a) for a in page["items"]]
    return page


@router.get("/applications/{application_id}", response={200: ApplicationOut, **ERRORS})
def get_application(request: HttpRequest, application_id: int) -> dict[str, Any]:
    """One application: declared and registry facts, differences, preliminary and verified
    assessments with their explanations, state, review deadline."""
    return _application(_mine(request, application_id, "settlement.read_application"))


@router.get(
    "/applications/{application_id}/verifications", response={200: list[VerificationOut], **ERRORS}
)
def list_verifications(request: HttpRequest, application_id: int) -> list[dict[str, Any]]:
    """The verified indicators, oldest first, with the evidence relied on."""
    application = _mine(request, application_id, "settlement.read_application")
    return [
        {
            "id": v.pk,
            "indicator": v.indicator,
            "value": v.value,
            "declared": v.declared,
            "source": v.source,
            "note": v.note,
            "evidence_ids": [e.pk for e in v.evidence.all()],
            "verified_at": v.verified_at,
        }
        for v in application.verifications.prefetch_related("evidence")
    ]


@router.get("/applications/{application_id}/receipt", response={200: dict[str, Any], **ERRORS})
def get_receipt(
    request: HttpRequest, application_id: int, query: Query[ReceiptQuery]
) -> dict[str, Any]:
    """The applicant's receipt for her entry (the newest published version, or ``version``):
    entry, commitment, inclusion proof, root, snapshot hash, rule-set version. Only she may
    fetch it; it proves nothing without her secret."""
    user = caller(request)
    application = _mine(request, application_id, "settlement.read_receipt")
    if user.person_id != application.person_id:
        raise AccessDeniedError("回执只发给申请人本人")
    listing = None
    if query.version is not None:
        listing = selectors.published_list(application.round, query.version)
    return selectors.receipt_for(application, listing)


@router.post("/applications/{application_id}/confirm-filing", response={200: FiledOut, **ERRORS})
def confirm_filing(
    request: HttpRequest, application_id: int, payload: ConfirmFilingIn | None = None
) -> dict[str, Any]:
    """The applicant confirms her employer's filing; the receipt secret is in this response only."""
    filed = actions.do_confirm_filing(
        caller(request),
        _mine(request, application_id, "settlement.confirm_filing"),
        residence_district=payload.residence_district if payload else None,
    )
    return {"application": _application(filed.application), "receipt_secret": filed.secret}


@router.post("/applications/{application_id}/withdraw", response={200: ApplicationOut, **ERRORS})
def withdraw(request: HttpRequest, application_id: int) -> dict[str, Any]:
    """The applicant withdraws (before ranking)."""
    application = _mine(request, application_id, "settlement.withdraw")
    return _application(actions.do_withdraw(caller(request), application))


@router.post("/applications/{application_id}/review", response={200: ApplicationOut, **ERRORS})
def request_review(request: HttpRequest, application_id: int, payload: GroundsIn) -> dict[str, Any]:
    """The applicant asks for review of the verification result, within the window."""
    application = _mine(request, application_id, "settlement.request_review")
    return _application(
        actions.do_request_review(caller(request), application, grounds=payload.grounds)
    )


@router.post(
    "/applications/{application_id}/employment-confirmation",
    response={200: ApplicationOut, **ERRORS},
)
def confirm_employment(request: HttpRequest, application_id: int) -> dict[str, Any]:
    """The employer's representative confirms the employment indicators."""
    application = _mine(request, application_id, "settlement.confirm_employment")
    return _application(actions.do_confirm_employment(caller(request), application))


@router.post(
    "/applications/{application_id}/verifications", response={201: VerificationOut, **ERRORS}
)
def verify_indicator(
    request: HttpRequest, application_id: int, payload: VerifyIndicatorIn
) -> Status[dict[str, Any]]:
    """A caseworker verifies one indicator, with evidence: files sent here (base64) or
    uploaded earlier to this application (``evidence_ids``)."""
    application = _mine(request, application_id, "settlement.verify_indicator")
    verification = actions.do_verify_indicator(
        caller(request),
        application,
        indicator=payload.indicator,
        value=payload.value,
        evidence_ids=payload.evidence_ids,
        uploads=[_upload(i, f) for i, f in enumerate(payload.files)],
        note=payload.note,
    )
    return Status(
        201,
        {
            "id": verification.pk,
            "indicator": verification.indicator,
            "value": verification.value,
            "declared": verification.declared,
            "source": verification.source,
            "note": verification.note,
            "evidence_ids": [e.pk for e in verification.evidence.all()],
            "verified_at": verification.verified_at,
        },
    )


def _upload(index: int, sent: FileIn) -> actions.Upload:
    try:
        data = base64.b64decode(sent.data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError(
            "invalid_base64", "the file is not valid base64", f"files.{index}.data_base64"
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInputError(
            "evidence_too_large", "a file may have at most 5 MB", f"files.{index}.data_base64"
        )
    return actions.Upload(sent.filename, data, sent.content_type)


@router.post(
    "/applications/{application_id}/finish-verification", response={200: ApplicationOut, **ERRORS}
)
def finish_verification(request: HttpRequest, application_id: int) -> dict[str, Any]:
    """The caseworker finishes verifying: verified score computed, review window starts."""
    application = _mine(request, application_id, "settlement.finish_verification")
    return _application(actions.do_finish_verification(caller(request), application))


@router.post("/applications/{application_id}/confirm", response={200: ApplicationOut, **ERRORS})
def confirm_application(request: HttpRequest, application_id: int) -> dict[str, Any]:
    """A supervisor confirms the verified score (not the caseworker who verified it; only
    after the round has closed and the review window has passed)."""
    application = _mine(request, application_id, "settlement.confirm_application")
    return _application(actions.do_confirm_application(caller(request), application))


@router.post("/applications/{application_id}/refuse", response={200: ApplicationOut, **ERRORS})
def refuse_application(
    request: HttpRequest, application_id: int, payload: ReasonIn
) -> dict[str, Any]:
    """A supervisor refuses the application, with a written reason."""
    application = _mine(request, application_id, "settlement.refuse_application")
    return _application(
        actions.do_refuse_application(caller(request), application, reason=payload.reason)
    )
