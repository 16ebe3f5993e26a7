"""The registry's API (mounted at /api/people/): persons, hukou, residence permits, households,
employers, employment, social-insurance spells, regions and agencies.

Handlers parse, call one action or selector, and return; access is decided in
``liudong.people.access`` and the actions. Lists are scoped with ``for_user`` querysets and
paginated (``limit`` ≤ 100).
"""

from __future__ import annotations

import base64
import datetime as dt  # noqa: TC003  # pydantic and ninja read annotations at runtime
import json
from typing import TYPE_CHECKING, Any

from ninja import Field, Query, Router, Schema, Status

from liudong.audit.events import record
from liudong.people import access, actions, imports, selectors
from liudong.people.models import Agency, Employer, Employment, Region
from liudong.site import idempotency
from liudong.site.apikit import (
    ERRORS,
    Input,
    MoneyIn,
    MoneyOut,
    PageQuery,
    RecordId,
    RegionCode,
    caller,
    paginate,
)
from liudong.site.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from django.http import HttpRequest

    from liudong.people.models import Household, HukouRecord, ImportBatch, Membership, Person

router = Router(tags=["people"])


# ---------------------------------------------------------------------------------------------
# Schemas.


class PersonOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: dt.date
    id_masked: str
    retirement_group: str
    education: str


class PersonPage(Schema):
    items: list[PersonOut]
    count: int
    limit: int
    offset: int


class RegisterPersonIn(Input):
    id_number: str = Field(description="18 characters; full-width digits are accepted")
    name: str
    hukou_region: RegionCode = Field(description="the place of household registration")
    hukou_type: str = Field(description="rural, urban or unified")
    birth_date: dt.date | None = Field(None, description="if given, must match the ID number")
    retirement_group: str = ""
    phone: str = ""
    education: str = ""
    hukou_since: dt.date | None = None


class LookupIn(Input):
    id_number: str


class IdNumberOut(Schema):
    id_number: str


class HukouOut(Schema):
    id: int
    region: int = Field(alias="region_id")
    hukou_type: str
    start: dt.date
    end: dt.date | None


class ChangeHukouIn(Input):
    region: RegionCode
    hukou_type: str
    on: dt.date


class PermitOut(Schema):
    id: int
    person_id: RecordId
    city: int = Field(alias="city_id")
    district: int | None = Field(alias="district_id")
    issued_on: dt.date
    valid_until: dt.date


class IssuePermitIn(Input):
    id_number: str
    district: RegionCode
    issued_on: dt.date
    valid_until: dt.date


class InsuranceOut(Schema):
    id: int
    scheme: str
    city: int = Field(alias="city_id")
    start: dt.date
    end: dt.date | None
    monthly_base: MoneyOut | None


class InsuranceIn(Input):
    scheme: str
    city: RegionCode
    start: dt.date
    end: dt.date | None = None
    monthly_base: MoneyIn | None = None


class EmploymentOut(Schema):
    id: int
    person_id: RecordId
    person_name: str = Field(alias="person.name")
    person_id_masked: str = Field(alias="person.id_masked")
    employer_id: RecordId
    employer_name: str = Field(alias="employer.name")
    start: dt.date
    end: dt.date | None
    confirmed_by_employer: bool


class EmploymentPage(Schema):
    items: list[EmploymentOut]
    count: int
    limit: int
    offset: int


class StartEmploymentIn(Input):
    person_id: RecordId
    employer_id: RecordId
    start: dt.date


class EndEmploymentIn(Input):
    end: dt.date
    termination_proof: str


class MembershipOut(Schema):
    id: int
    household_id: int
    person_id: RecordId
    relationship: str
    start: dt.date
    end: dt.date | None


class MemberOut(Schema):
    person_name: str = Field(alias="person.name")
    relationship: str
    start: dt.date


class HouseholdOut(Schema):
    id: int
    region: int = Field(alias="region_id")
    members: list[MemberOut]


class CreateHouseholdIn(Input):
    region: RegionCode
    head_person_id: RecordId
    start: dt.date


class AddMemberIn(Input):
    person_id: RecordId
    relationship: str
    start: dt.date


class EndMembershipIn(Input):
    end: dt.date


class EventOut(Schema):
    kind: str
    at: dt.datetime
    data: dict[str, Any]


class RecordsOut(Schema):
    hukou: list[HukouOut]
    permits: list[PermitOut]
    employments: list[EmploymentOut]
    insurance: list[InsuranceOut]
    memberships: list[MembershipOut]
    events: list[EventOut]


class EmployerOut(Schema):
    id: int
    credit_code: str
    name: str
    region: int = Field(alias="region_id")


class EmployerPage(Schema):
    items: list[EmployerOut]
    count: int
    limit: int
    offset: int


class RegisterEmployerIn(Input):
    credit_code: str
    name: str
    region: RegionCode


class RegionOut(Schema):
    code: int
    name: str
    level: str
    parent: int | None = Field(alias="parent_id")
    current: bool
    size_class: str


class RegionPage(Schema):
    items: list[RegionOut]
    count: int
    limit: int
    offset: int


class RegionQuery(PageQuery):
    parent: RegionCode | None = None


class LoadedOut(Schema):
    divisions: int


class AgencyOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    region: int = Field(alias="region_id")


class AgencyPage(Schema):
    items: list[AgencyOut]
    count: int
    limit: int
    offset: int


class CreateAgencyIn(Input):
    code: str
    name: str
    kind: str
    region: RegionCode
    parent_code: str = ""


class NameQuery(PageQuery):
    name: str = ""


# ---------------------------------------------------------------------------------------------
# Persons.


@router.post("/persons", response={201: PersonOut, **ERRORS})
def register_person(request: HttpRequest, payload: RegisterPersonIn) -> Status[Person]:
    """Register a person and her first hukou record (caseworkers, within their jurisdiction)."""
    return Status(201, actions.do_register_person(caller(request), **payload.model_dump()))


@router.get("/persons", response={200: PersonPage, **ERRORS})
def list_persons(request: HttpRequest, query: Query[NameQuery]) -> dict[str, Any]:
    """The persons the caller may see (a citizen: herself), optionally with an exact name."""
    user = caller(request)
    access.require(access.can_list_persons, user, "people.list_persons", "此角色不能查看人员名单")
    persons = access.persons_for(user).defer("id_number", "phone").order_by("name", "pk")
    if query.name:
        persons = persons.filter(name=" ".join(query.name.split()))
    page = paginate(persons, query)
    if not access.is_citizen.test(user):
        record(user, "people.list_persons", detail={"count": len(page["items"])})
    return page


@router.post("/persons/lookup", response={200: PersonOut, **ERRORS})
def lookup_person(request: HttpRequest, payload: LookupIn) -> Person:
    """Find a person in the caller's scope by her exact ID number (sent in the body, never
    in a URL)."""
    return selectors.lookup_person(caller(request), payload.id_number)


@router.get("/persons/{person_id}", response={200: PersonOut, **ERRORS})
def get_person(request: HttpRequest, person_id: int) -> Person:
    """One person, ID number masked."""
    return selectors.read_person(caller(request), person_id)


@router.get("/persons/{person_id}/id-number", response={200: IdNumberOut, **ERRORS})
def reveal_id_number(request: HttpRequest, person_id: int) -> dict[str, str]:
    """The full ID number, for the person herself or a caseworker of her jurisdiction (audited)."""
    user = caller(request)
    person = access.access_person(user, person_id, action="people.read_id_number")
    return {"id_number": selectors.reveal_id_number(user, person)}


@router.get("/persons/{person_id}/records", response={200: RecordsOut, **ERRORS})
def person_records(request: HttpRequest, person_id: int) -> selectors.History:
    """Hukou history, residence permits, employment, insurance, households and events."""
    return selectors.person_history(selectors.read_person(caller(request), person_id))


@router.post("/persons/{person_id}/hukou", response={201: HukouOut, **ERRORS})
def change_hukou(
    request: HttpRequest, person_id: int, payload: ChangeHukouIn
) -> Status[HukouRecord]:
    """Move the person's hukou: the current record ends, a new one starts."""
    return Status(201, actions.do_change_hukou(caller(request), person_id, **payload.model_dump()))


@router.post("/persons/{person_id}/insurance", response={201: InsuranceOut, **ERRORS})
def record_insurance_spell(
    request: HttpRequest, person_id: int, payload: InsuranceIn
) -> Status[Any]:
    """Record a spell of social-insurance participation; amounts are strings ("8000.00")."""
    return Status(
        201, actions.do_record_insurance_spell(caller(request), person_id, **payload.model_dump())
    )


@router.post("/residence-permits", response={201: PermitOut, **ERRORS})
def issue_residence_permit(request: HttpRequest, payload: IssuePermitIn) -> Status[Any]:
    """Issue a residence permit to a registered person found by her ID number."""
    return Status(201, actions.do_issue_residence_permit(caller(request), **payload.model_dump()))


# ---------------------------------------------------------------------------------------------
# Households.


def _household_out(household: Household) -> dict[str, Any]:
    members = household.memberships.filter(end__isnull=True).select_related("person")
    return {
        "id": household.pk,
        "region_id": household.region_id,
        "members": list(
            members.only("relationship", "start", "person__name").order_by("start", "pk")
        ),
    }


@router.get("/households/{household_id}", response={200: HouseholdOut, **ERRORS})
def get_household(request: HttpRequest, household_id: int) -> dict[str, Any]:
    """A household and its current members (a citizen: her own household)."""
    household = access.access_household(caller(request), household_id)
    return _household_out(household)


@router.post("/households", response={201: HouseholdOut, **ERRORS})
def create_household(request: HttpRequest, payload: CreateHouseholdIn) -> Status[dict[str, Any]]:
    household = actions.do_create_household(caller(request), **payload.model_dump())
    return Status(201, _household_out(household))


@router.post("/households/{household_id}/members", response={201: MembershipOut, **ERRORS})
def add_member(request: HttpRequest, household_id: int, payload: AddMemberIn) -> Status[Membership]:
    return Status(201, actions.do_add_member(caller(request), household_id, **payload.model_dump()))


@router.post("/memberships/{membership_id}/end", response={200: MembershipOut, **ERRORS})
def end_membership(
    request: HttpRequest, membership_id: int, payload: EndMembershipIn
) -> Membership:
    return actions.do_end_membership(caller(request), membership_id, **payload.model_dump())


# ---------------------------------------------------------------------------------------------
# Employers and employment.


@router.get("/employers", response={200: EmployerPage, **ERRORS})
def list_employers(request: HttpRequest, query: Query[NameQuery]) -> dict[str, Any]:
    """Registered employers (public reference data)."""
    employers = Employer.objects.order_by("name", "pk")
    if query.name:
        employers = employers.filter(name__contains=query.name.strip())
    return paginate(employers, query)


@router.get("/employers/{employer_id}", response={200: EmployerOut, **ERRORS})
def get_employer(request: HttpRequest, employer_id: int) -> Employer:
    employer = Employer.objects.filter(pk=employer_id).first()
    if employer is None:
        raise NotFoundError("没有这个用人单位")
    return employer


@router.post("/employers", response={201: EmployerOut, **ERRORS})
def register_employer(request: HttpRequest, payload: RegisterEmployerIn) -> Status[Employer]:
    """Register an employer by its unified social credit code."""
    return Status(201, actions.do_register_employer(caller(request), **payload.model_dump()))


def _employments(request: HttpRequest) -> Any:
    return (
        access.employments_for(caller(request))
        .select_related("person", "employer")
        .defer("person__id_number", "person__phone")
        .order_by("-start", "pk")
    )


@router.get("/employments", response={200: EmploymentPage, **ERRORS})
def list_employments(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Employment records in the caller's scope (an employer representative: her employer's)."""
    user = caller(request)
    access.require(
        access.can_list_employments, user, "people.list_employments", "此角色不能查看就业记录"
    )
    return paginate(_employments(request), query)


@router.post("/employments", response={201: EmploymentOut, **ERRORS})
def start_employment(request: HttpRequest, payload: StartEmploymentIn) -> Status[Employment]:
    """Record the start of a job (the person herself or a caseworker); unconfirmed until the
    employer confirms."""
    return Status(201, actions.do_start_employment(caller(request), **payload.model_dump()))


@router.post("/employments/{employment_id}/confirm", response={200: EmploymentOut, **ERRORS})
def confirm_employment(request: HttpRequest, employment_id: int) -> Employment:
    """The employer's representative confirms the job."""
    return actions.do_confirm_employment(caller(request), employment_id)


@router.post("/employments/{employment_id}/end", response={200: EmploymentOut, **ERRORS})
def end_employment(
    request: HttpRequest, employment_id: int, payload: EndEmploymentIn
) -> Employment:
    """End a job, with the termination proof."""
    return actions.do_end_employment(caller(request), employment_id, **payload.model_dump())


# ---------------------------------------------------------------------------------------------
# Regions and agencies (reference data).


@router.get("/regions", response={200: RegionPage, **ERRORS})
def list_regions(request: HttpRequest, query: Query[RegionQuery]) -> dict[str, Any]:
    """GB/T 2260 divisions, optionally the children of ``parent``."""
    found = Region.objects.order_by("code")
    if query.parent is not None:
        found = found.filter(parent_id=query.parent)
    return paginate(found, query)


@router.post("/regions/load", response={200: LoadedOut, **ERRORS})
def load_regions(request: HttpRequest) -> dict[str, int]:
    """Load or refresh the divisions from the vendored table (administrators)."""
    return {"divisions": actions.do_load_regions(caller(request))}


@router.get("/agencies", response={200: AgencyPage, **ERRORS})
def list_agencies(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    return paginate(Agency.objects.order_by("code"), query)


@router.post("/agencies", response={201: AgencyOut, **ERRORS})
def create_agency(request: HttpRequest, payload: CreateAgencyIn) -> Status[Agency]:
    """Create a service agency (administrators)."""
    return Status(201, actions.do_create_agency(caller(request), **payload.model_dump()))


# ---------------------------------------------------------------------------------------------
# Imports of persons and households (liudong.people.imports).


class ImportProblemOut(Schema):
    row: int
    column: str
    field: str
    code: str
    problem: str
    expected: str


class ImportReportOut(Schema):
    rows: int
    new: int
    updated: int
    unchanged: int
    duplicates: int
    errors: int
    new_households: int
    household_changes: int
    problems: list[ImportProblemOut]
    duplicate_rows: list[ImportProblemOut]


class ImportBatchOut(Schema):
    id: int
    filename: str
    file_format: str
    size: int
    sm3: str
    status: str = Field(
        description="dry_run, applying (confirmed; a background task writes it), applied or failed"
    )
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    applied_at: dt.datetime | None
    report: ImportReportOut
    task_id: str = Field(description="the background task writing the batch ('' if none)")
    task_url: str | None = Field(
        description="GET it for the task's state and progress (done, total, percent)"
    )
    written: dict[str, int] = Field(
        description="what was written so far: persons_created, persons_updated, hukou_changed, "
        "memberships_ended, memberships_started, households_created"
    )
    failure: str = Field(description="why the batch failed (status failed)")

    @staticmethod
    def resolve_task_url(obj: ImportBatch) -> str | None:
        return f"/api/tasks/{obj.task_id}" if obj.task_id else None

    @staticmethod
    def resolve_written(obj: ImportBatch) -> dict[str, int]:
        return {str(k): int(v) for k, v in (obj.applied or {}).items()}


class ConfirmImportIn(Input):
    sm3: str = Field("", description="the SM3 digest the dry run reported, to be sure")


IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["filename", "content_base64"],
                    "additionalProperties": False,
                    "properties": {
                        "filename": {"type": "string"},
                        "content_base64": {"type": "string", "format": "byte"},
                    },
                }
            },
        },
    }
}


IMPORT_URL_NAME = "people_import_upload"


def import_body_limit() -> int:
    """The largest body the import upload takes: a file of ``LIUDONG_IMPORT_MAX_BYTES`` as
    base64 in JSON (4/3 of it) with room for the JSON or multipart framing."""
    return imports.max_bytes() * 4 // 3 + 64 * 1024


# Only this operation takes bodies beyond DATA_UPLOAD_MAX_MEMORY_SIZE (the platform's 2 MiB).
idempotency.allow_large_body(IMPORT_URL_NAME, import_body_limit)


@router.post(
    "/imports",
    response={201: ImportBatchOut, **ERRORS},
    openapi_extra=IMPORT_BODY,
    url_name=IMPORT_URL_NAME,
)
def dry_run_import(request: HttpRequest) -> Status[Any]:
    """Check a CSV (UTF-8) or xlsx file of persons and households and store it with its
    report (a dry run: the registry does not change). Send it as multipart ``file``, or as
    JSON ``{"filename", "content_base64"}``. Files up to ``LIUDONG_IMPORT_MAX_BYTES``
    (10 MiB) are taken either way (this operation alone takes bodies beyond the platform's
    2 MiB request limit: up to 4/3 of the file limit plus 64 KiB, for base64); a larger file
    is 413 ``import_too_large`` (or ``body_too_large`` for a body past that), to be split."""
    filename, data = _import_upload(request)
    return Status(201, imports.do_dry_run_import(caller(request), filename=filename, data=data))


def _import_upload(request: HttpRequest) -> tuple[str, bytes]:
    if request.content_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInputError(
                "required", "send the file in the multipart field 'file'", "file"
            )
        return upload.name or "", upload.read(imports.max_bytes() + 1)
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInputError(
            "invalid_json",
            'send multipart/form-data with a field "file", or JSON '
            '{"filename": ..., "content_base64": ...}',
            "body",
        ) from None
    if not isinstance(body, dict) or set(body) - {"filename", "content_base64"}:
        raise InvalidInputError(
            "unknown_field", 'the JSON body has only "filename" and "content_base64"', "body"
        )
    try:
        data = base64.b64decode(str(body.get("content_base64", "")), validate=True)
    except ValueError:
        raise InvalidInputError(
            "invalid_base64", "content_base64 is not valid base64", "content_base64"
        ) from None
    return str(body.get("filename", "")), data


@router.get("/imports/{import_id}", response={200: ImportBatchOut, **ERRORS})
def get_import(request: HttpRequest, import_id: int) -> ImportBatch:
    """An import batch and its report (every bad row with its row, column and problem)."""
    return imports.access_batch(caller(request), import_id, action="people.read_import")


@router.post("/imports/{import_id}/confirm", response={202: ImportBatchOut, **ERRORS})
def confirm_import(
    request: HttpRequest, import_id: int, payload: ConfirmImportIn
) -> Status[ImportBatch]:
    """Confirm a dry-run batch: the checks run now, the writing in a background task.
    202 with ``status`` ``applying`` and ``task_url`` (``GET /api/tasks/{id}``: state and
    progress); poll ``GET /api/people/imports/{id}`` until ``status`` is ``applied`` (with the
    counts in ``written``) or ``failed`` (with ``failure``). Refused with nothing written:
    422 ``import_has_errors`` if the report has errors; 409 ``import_file_changed`` /
    ``import_integrity`` (another or a changed file), ``import_registry_changed`` (the result
    would differ from the report), ``import_already_applied``, ``import_in_progress``,
    ``import_failed``."""
    return Status(202, imports.do_confirm_import(caller(request), import_id, sm3=payload.sm3))
