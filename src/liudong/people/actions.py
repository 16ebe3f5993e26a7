"""Every write to the registry. Each ``do_<verb>_<noun>(actor, ...)`` runs in one transaction
(``@action``), checks access, validates its input with designed errors, writes the change, its
history (``PersonEvent``; hukou, memberships and employments keep their ended rows) and its
audit event, all together. A refusal is audited once, after the rollback.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

import polars as pl
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc

from liudong import crypto, regions
from liudong.audit.events import record
from liudong.people import access, idnumber
from liudong.people.models import (
    Agency,
    AgencyKind,
    Employer,
    Employment,
    Household,
    HukouRecord,
    HukouType,
    InsuranceSpell,
    Membership,
    Person,
    PersonEvent,
    Region,
    Relationship,
    ResidencePermit,
    RetirementGroup,
    Scheme,
    Sex,
)
from liudong.site.actions import action
from liudong.site.errors import AccessDeniedError, ConflictError, InvalidInputError, NotFoundError
from liudong.site.money import parse_money

if TYPE_CHECKING:
    import datetime as dt
    from decimal import Decimal

    from liudong.accounts.models import User

ID_NUMBER_MESSAGES = {
    "id_length": "身份号码应为18位",
    "id_characters": "身份号码由17位数字和最后一位数字或X组成",
    "id_check_digit": "身份号码的校验码不符：可能有一位输错了，请对照证件核对",
    "id_birth_date": "身份号码中的出生日期不是真实的日期",
    "id_birth_future": "身份号码中的出生日期在今天之后",
    "id_region": "身份号码的前六位不是有效的行政区划代码",
    "id_invalid": "身份号码无效，请对照证件核对",
}


# ---------------------------------------------------------------------------------------------
# Shared checks.


def _today() -> dt.date:
    return timezone.localdate()


def _event(person: Person, kind: str, actor: User | None, **data: Any) -> PersonEvent:
    return PersonEvent.objects.create(
        person=person, kind=kind, at=timezone.now(), actor_id=actor.pk if actor else None, data=data
    )


def parse_id_number(raw: str, today: dt.date) -> idnumber.IDNumber:
    """The parsed ID number, or an error naming the field ``id_number``."""
    try:
        return idnumber.parse(raw, today=today)
    except idnumber.IDNumberError as exc:
        message = _(ID_NUMBER_MESSAGES.get(exc.code, ID_NUMBER_MESSAGES["id_invalid"]))
        raise InvalidInputError(exc.code, message, "id_number") from None


def id_number_index(raw: str) -> str:
    """The blind index a (normalised) ID number is found by."""
    return crypto.blind_index(idnumber.normalise(raw), "id_number")


def _text(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    cleaned = " ".join(value.split())
    if any(unicodedata.category(c) in {"Cc", "Cs"} for c in cleaned):
        raise InvalidInputError("control_character", _("不能包含控制字符"), field)
    if required and not cleaned:
        raise InvalidInputError("required", _("这一项必须填写"), field)
    if len(cleaned) > max_length:
        raise InvalidInputError("too_long", _("最多%(n)d个字符") % {"n": max_length}, field)
    return cleaned


def _choice(value: str, choices: type[Any], field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise InvalidInputError("invalid_choice", _("可选的值为：%(v)s") % {"v": allowed}, field)
    return value


def _region(code: int, field: str) -> Region:
    region = Region.objects.filter(pk=code).first()
    if region is None:
        raise InvalidInputError(
            "unknown_region", _("%(c)s 不是有效的行政区划代码") % {"c": code}, field
        )
    return region


def _caseworker(actor: User | None) -> tuple[int, int]:
    scope = access.jurisdiction(actor)
    if scope is None:
        raise AccessDeniedError(_("只有经办或审核人员可以办理登记"))
    return scope


def _in_jurisdiction(actor: User | None, code: int, field: str) -> None:
    low, high = _caseworker(actor)
    if not low <= code < high:
        refused = AccessDeniedError(
            _("%(c)s 不在您所在机构的管辖范围内") % {"c": code}, code="outside_jurisdiction"
        )
        refused.field = field
        raise refused


PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")


def _phone(value: str) -> str:
    cleaned = value.strip()
    if cleaned and not PHONE.match(cleaned):
        raise InvalidInputError("invalid_phone", _("电话号码只能包含数字、空格和-"), "phone")
    return cleaned


def _not_before(later: dt.date | None, earlier: dt.date, field: str) -> None:
    if later is not None and later < earlier:
        raise InvalidInputError(
            "date_order", _("这个日期不能早于 %(d)s") % {"d": earlier.isoformat()}, field
        )


def _not_future(day: dt.date, field: str) -> None:
    if day > _today():
        raise InvalidInputError("date_in_future", _("这个日期不能晚于今天"), field)


def _lock_person(actor: User | None, person_id: int, name: str) -> Person:
    """The person, locked for this transaction, if ``actor`` may change her record."""
    person = access.access_person_for_edit(actor, person_id, action=name)
    locked = Person.objects.select_for_update().get(pk=person.pk)
    Person.objects.filter(pk=locked.pk).update(version=locked.version + 1)
    return locked


# ---------------------------------------------------------------------------------------------
# Persons and hukou.


@action("people.register_person")
def do_register_person(
    actor: User | None,
    *,
    id_number: str,
    name: str,
    hukou_region: int,
    hukou_type: str,
    birth_date: dt.date | None = None,
    retirement_group: str = "",
    phone: str = "",
    education: str = "",
    hukou_since: dt.date | None = None,
) -> Person:
    """Register a person with her first hukou record. Birth date and sex come from the ID
    number; a declared birth date must agree with it."""
    _caseworker(actor)
    parsed = parse_id_number(id_number, _today())
    if birth_date is not None and birth_date != parsed.birth_date:
        raise InvalidInputError(
            "birth_date_mismatch",
            _("出生日期与身份号码不一致：号码中的出生日期是 %(d)s")
            % {"d": parsed.birth_date.isoformat()},
            "birth_date",
        )
    name = _text(name, "name", max_length=64)
    region = _region(hukou_region, "hukou_region")
    _in_jurisdiction(actor, region.code, "hukou_region")
    hukou_type = _choice(hukou_type, HukouType, "hukou_type")
    group = _retirement_group(parsed.sex, retirement_group)
    since = hukou_since or _today()
    _not_before(since, parsed.birth_date, "hukou_since")
    _not_future(since, "hukou_since")
    person = _create_person(
        parsed,
        name=name,
        retirement_group=group,
        phone=_phone(phone),
        education=_text(education, "education", max_length=32, required=False),
    )
    HukouRecord.objects.create(person=person, region=region, hukou_type=hukou_type, start=since)
    _event(person, "registered", actor, hukou_region=region.code, hukou_type=hukou_type)
    record(actor, "people.register_person", person, detail={"hukou_region": region.code})
    return person


def _retirement_group(sex: str, declared: str) -> str:
    if sex == Sex.MALE:
        if declared not in {"", RetirementGroup.MEN}:
            raise InvalidInputError(
                "invalid_choice", _("男性的退休年龄组只能是“男职工”"), "retirement_group"
            )
        return RetirementGroup.MEN
    if declared == RetirementGroup.MEN:
        raise InvalidInputError(
            "invalid_choice", _("女性请选择原法定退休年龄为五十或五十五周岁"), "retirement_group"
        )
    return _choice(declared or RetirementGroup.WOMEN_50, RetirementGroup, "retirement_group")


def _create_person(parsed: idnumber.IDNumber, **fields: str) -> Person:
    index = crypto.blind_index(parsed.value, "id_number")
    duplicate = ConflictError("duplicate_id_number", _("这个身份号码已经登记过了"), "id_number")
    if Person.objects.filter(id_bi=index).exists():
        raise duplicate
    try:
        with transaction.atomic():  # a concurrent registration of the same number loses here
            return Person.objects.create(
                id_number=parsed.value,
                id_bi=index,
                id_masked=parsed.masked,
                sex=parsed.sex,
                birth_date=parsed.birth_date,
                **fields,
            )
    except IntegrityError:
        raise duplicate from None


@action("people.change_hukou")
def do_change_hukou(
    actor: User | None, person_id: int, *, region: int, hukou_type: str, on: dt.date
) -> HukouRecord:
    """Move a person's hukou: the current record ends on ``on``, the new one starts then."""
    person = _lock_person(actor, person_id, "people.change_hukou")
    target = _region(region, "region")
    _in_jurisdiction(actor, target.code, "region")
    hukou_type = _choice(hukou_type, HukouType, "hukou_type")
    _not_future(on, "on")
    current = HukouRecord.objects.filter(person=person, end__isnull=True).first()
    if current is not None:
        if current.region_id == target.code and current.hukou_type == hukou_type:
            raise ConflictError("hukou_unchanged", _("户籍地和户口性质都没有变化"), "region")
        _not_before(on, current.start, "on")
        current.end = on
        current.save(update_fields=["end"])
    new = HukouRecord.objects.create(person=person, region=target, hukou_type=hukou_type, start=on)
    previous = current.region_id if current else None
    _event(person, "hukou_changed", actor, region=target.code, previous=previous, on=on.isoformat())
    record(actor, "people.change_hukou", new, detail={"from": previous, "to": target.code})
    return new


@action("people.issue_residence_permit")
def do_issue_residence_permit(
    actor: User | None, *, id_number: str, district: int, issued_on: dt.date, valid_until: dt.date
) -> ResidencePermit:
    """Issue a residence permit (居住证) to a registered person living in ``district``.

    The applicant is found by her ID number (she shows her ID card): before the permit she is
    usually outside the agency's jurisdiction. The district must be in it, and her hukou
    must not already be in that city.
    """
    _caseworker(actor)
    place = _region(district, "district")
    _in_jurisdiction(actor, place.code, "district")
    _not_future(issued_on, "issued_on")
    if valid_until <= issued_on:
        raise InvalidInputError("date_order", _("有效期必须晚于签发日期"), "valid_until")
    person = _person_by_id_number(id_number)
    city = regions.prefecture_of(place.code) or regions.province_of(place.code)
    low, high = Region.code_range(city)
    hukou = HukouRecord.objects.filter(person=person, end__isnull=True).first()
    if hukou is not None and low <= hukou.region_id < high:
        raise InvalidInputError("hukou_in_city", _("户籍在本市的居民不需要办理居住证"), "id_number")
    permit = ResidencePermit.objects.create(
        person=person,
        city=_region(city, "district"),
        district=place,
        issued_by_id=actor.agency_id if actor else None,
        issued_on=issued_on,
        valid_until=valid_until,
    )
    _event(person, "permit_issued", actor, district=place.code, valid_until=valid_until.isoformat())
    record(actor, "people.issue_residence_permit", permit, detail={"district": place.code})
    return permit


def _person_by_id_number(raw: str) -> Person:
    parsed = parse_id_number(raw, _today())
    person = Person.objects.filter(id_bi=crypto.blind_index(parsed.value, "id_number")).first()
    if person is None:
        raise InvalidInputError(
            "not_registered", _("这个身份号码还没有登记，请先办理人员登记"), "id_number"
        )
    return person


# ---------------------------------------------------------------------------------------------
# Households.


@action("people.create_household")
def do_create_household(
    actor: User | None, *, region: int, head_person_id: int, start: dt.date
) -> Household:
    """Create a household in ``region`` with its head as the first member."""
    _caseworker(actor)
    place = _region(region, "region")
    _in_jurisdiction(actor, place.code, "region")
    head = _lock_person(actor, head_person_id, "people.create_household")
    _not_future(start, "start")
    household = Household.objects.create(region=place)
    _join(actor, household, head, Relationship.HEAD, start)
    record(actor, "people.create_household", household, detail={"region": place.code})
    return household


def _join(
    actor: User | None, household: Household, person: Person, relationship: str, start: dt.date
) -> Membership:
    if Membership.objects.filter(person=person, end__isnull=True).exists():
        raise ConflictError(
            "already_in_household", _("此人已经是另一户的成员，请先办理迁出"), "person_id"
        )
    _not_before(start, person.birth_date, "start")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                household=household, person=person, relationship=relationship, start=start
            )
    except IntegrityError:
        raise ConflictError(
            "already_in_household", _("此人已经是另一户的成员，请先办理迁出"), "person_id"
        ) from None
    _event(person, "household_joined", actor, household=household.pk, relationship=relationship)
    return membership


@action("people.add_member")
def do_add_member(
    actor: User | None, household_id: int, *, person_id: int, relationship: str, start: dt.date
) -> Membership:
    household = access.access_household(actor, household_id, action="people.add_member")
    _in_jurisdiction(actor, household.region_id, "household_id")
    relationship = _choice(relationship, Relationship, "relationship")
    if (
        relationship == Relationship.HEAD
        and household.memberships.filter(relationship=Relationship.HEAD, end__isnull=True).exists()
    ):
        raise ConflictError("household_has_head", _("这一户已经有户主"), "relationship")
    person = _lock_person(actor, person_id, "people.add_member")
    _not_future(start, "start")
    membership = _join(actor, household, person, relationship, start)
    record(actor, "people.add_member", membership, detail={"household": household.pk})
    return membership


@action("people.end_membership")
def do_end_membership(actor: User | None, membership_id: int, *, end: dt.date) -> Membership:
    membership = (
        access.memberships_for(actor)
        .select_related("household")
        .filter(pk=membership_id, end__isnull=True)
        .first()
    )
    if membership is None:
        raise NotFoundError(_("没有找到这条在册记录")).about("people.membership", membership_id)
    person = _lock_person(actor, membership.person_id, "people.end_membership")
    _in_jurisdiction(actor, membership.household.region_id, "membership_id")
    _not_before(end, membership.start, "end")
    _not_future(end, "end")
    membership.end = end
    membership.save(update_fields=["end"])
    _event(person, "household_left", actor, household=membership.household_id, on=end.isoformat())
    record(actor, "people.end_membership", membership)
    return membership


# ---------------------------------------------------------------------------------------------
# Employers and employment.


@action("people.register_employer")
def do_register_employer(
    actor: User | None, *, credit_code: str, name: str, region: int
) -> Employer:
    """Register an employer by its unified social credit code (统一社会信用代码): by an
    administrator, or a caseworker for an employer in her jurisdiction."""
    if not access.can_register_employer.test(actor):
        raise AccessDeniedError(_("只有系统管理员或经办人员可以登记用人单位"))
    place = _region(region, "region")
    if not access.is_administrator.test(actor):
        _in_jurisdiction(actor, place.code, "region")
    code = uscc.compact(credit_code)
    if not uscc.is_valid(code):
        raise InvalidInputError(
            "invalid_credit_code",
            _("统一社会信用代码无效：应为18位，且校验码正确，请对照营业执照核对"),
            "credit_code",
        )
    if Employer.objects.filter(credit_code=code).exists():
        raise ConflictError("duplicate_credit_code", _("这个用人单位已经登记过了"), "credit_code")
    employer = Employer.objects.create(
        credit_code=code, name=_text(name, "name", max_length=128), region=place
    )
    record(actor, "people.register_employer", employer, detail={"region": place.code})
    return employer


@action("people.start_employment")
def do_start_employment(
    actor: User | None, *, person_id: int, employer_id: int, start: dt.date
) -> Employment:
    """Record the start of a job: by a caseworker of the person's jurisdiction or by the
    person herself. It stays unconfirmed until the employer confirms it."""
    person = access.access_person(actor, person_id, action="people.start_employment")
    employer = Employer.objects.filter(pk=employer_id).first()
    if employer is None:
        raise InvalidInputError("unknown_employer", _("没有这个用人单位"), "employer_id")
    _not_before(start, person.birth_date, "start")
    _not_future(start, "start")
    try:
        with transaction.atomic():
            employment = Employment.objects.create(person=person, employer=employer, start=start)
    except IntegrityError:
        raise ConflictError(
            "employment_open", _("此人在这个单位已有未结束的就业记录"), "employer_id"
        ) from None
    _event(person, "employment_started", actor, employer=employer.pk, start=start.isoformat())
    record(actor, "people.start_employment", employment, detail={"employer": employer.pk})
    return employment


@action("people.confirm_employment")
def do_confirm_employment(actor: User | None, employment_id: int) -> Employment:
    """The employer confirms a job: only a representative of that employer may."""
    employment = access.access_employment(actor, employment_id, action="people.confirm_employment")
    if not access.represents_employer.test(actor, employment):
        raise AccessDeniedError(_("只有该用人单位的经办人可以确认就业"))
    locked = Employment.objects.select_for_update().get(pk=employment.pk)
    if locked.confirmed_by_employer:
        raise ConflictError("already_confirmed", _("这条就业记录已经确认过了"))
    locked.confirmed_by_employer = True
    locked.confirmed_at = timezone.now()
    locked.save(update_fields=["confirmed_by_employer", "confirmed_at"])
    _event(employment.person, "employment_confirmed", actor, employer=locked.employer_id)
    record(actor, "people.confirm_employment", locked)
    return locked


@action("people.end_employment")
def do_end_employment(
    actor: User | None, employment_id: int, *, end: dt.date, termination_proof: str
) -> Employment:
    """End a job: by the employer's representative or a caseworker of the person's
    jurisdiction, always with the termination proof (解除或终止劳动合同证明)."""
    employment = access.access_employment(actor, employment_id, action="people.end_employment")
    if not (
        access.represents_employer.test(actor, employment)
        or access.person_in_jurisdiction.test(actor, employment.person)
    ):
        raise AccessDeniedError(_("只有用人单位经办人或管辖地经办人员可以办理离职"))
    proof = " ".join(termination_proof.split())
    if not proof:
        raise InvalidInputError(
            "termination_proof_required",
            _("请提供解除或终止劳动合同的证明（文书编号或说明）"),
            "termination_proof",
        )
    locked = Employment.objects.select_for_update().get(pk=employment.pk)
    if locked.end is not None:
        raise ConflictError("employment_ended", _("这条就业记录已经结束了"))
    _not_before(end, locked.start, "end")
    _not_future(end, "end")
    locked.end, locked.termination_proof = end, _text(proof, "termination_proof", max_length=256)
    locked.save(update_fields=["end", "termination_proof"])
    _event(
        employment.person,
        "employment_ended",
        actor,
        employer=locked.employer_id,
        end=end.isoformat(),
    )
    record(actor, "people.end_employment", locked)
    return locked


# ---------------------------------------------------------------------------------------------
# Social insurance.


@action("people.record_insurance_spell")
def do_record_insurance_spell(
    actor: User | None,
    person_id: int,
    *,
    scheme: str,
    city: int,
    start: dt.date,
    end: dt.date | None = None,
    monthly_base: str | Decimal | None = None,
) -> InsuranceSpell:
    """Record participation in a scheme in a city; wage-based schemes carry the monthly base."""
    person = _lock_person(actor, person_id, "people.record_insurance_spell")
    scheme = _choice(scheme, Scheme, "scheme")
    place = _region(city, "city")
    _not_before(start, person.birth_date, "start")
    _not_future(start, "start")
    _not_before(end, start, "end")
    base = None if monthly_base is None else parse_money(monthly_base, "monthly_base")
    if base is None and scheme in WAGE_BASED:
        raise InvalidInputError("required", _("这个险种需要填写月缴费基数"), "monthly_base")
    spell = InsuranceSpell.objects.create(
        person=person, city=place, scheme=scheme, start=start, end=end, monthly_base=base
    )
    _event(
        person, "insurance_recorded", actor, scheme=scheme, city=place.code, start=start.isoformat()
    )
    record(
        actor, "people.record_insurance_spell", spell, detail={"scheme": scheme, "city": place.code}
    )
    return spell


WAGE_BASED = frozenset({Scheme.ENTERPRISE_PENSION, Scheme.INSTITUTION_PENSION, Scheme.UNEMPLOYMENT})


# ---------------------------------------------------------------------------------------------
# Reference data.


@action("people.load_regions")
def do_load_regions(actor: User | None) -> int:
    """Load (or refresh) every GB/T 2260 division from ``liudong.regions``, the one source.

    Idempotent: a second run changes nothing. Abolished codes are kept (old ID numbers and
    records refer to them) with ``current`` false. Returns the number of divisions.
    """
    if actor is not None and not access.is_administrator.test(actor):
        raise AccessDeniedError(_("只有系统管理员可以载入行政区划"))
    rows = _division_rows()
    stored = {
        values[0]: values[1:] for values in Region.objects.values_list("code", *REGION_COLUMNS)
    }
    new = [row for row in rows if row.code not in stored]
    changed = [
        row
        for row in rows
        if row.code in stored and stored[row.code] != tuple(getattr(row, c) for c in REGION_COLUMNS)
    ]
    Region.objects.bulk_create(new, batch_size=500)
    Region.objects.bulk_update(changed, REGION_FIELDS, batch_size=500)
    detail = {"divisions": len(rows), "new": len(new), "changed": len(changed)}
    record(actor, "people.load_regions", detail=detail)
    return len(rows)


REGION_FIELDS = ["name", "level", "parent", "pinyin", "current", "urban_population", "size_class"]
REGION_COLUMNS = [f"{name}_id" if name == "parent" else name for name in REGION_FIELDS]


def _division_rows() -> list[Region]:
    latest = (
        regions.divisions()
        .sort(["code", "valid_to"], nulls_last=True)
        .group_by("code", maintain_order=True)
        .agg(pl.all().last(), pl.col("valid_to").is_null().any().alias("current"))
    )
    census = regions.urban_population()
    sizes = dict(zip(census["code"], census["urban_population"], strict=True))
    classes = dict(zip(census["code"], census["size_class"], strict=True))
    return [
        Region(
            code=row["code"],
            name=row["name"],
            level=row["level"],
            parent_id=row["parent"],
            pinyin=row["pinyin"] or "",
            current=row["current"],
            urban_population=sizes.get(row["code"]),
            size_class=classes.get(row["code"]) or "",
        )
        for row in latest.iter_rows(named=True)
    ]


@action("people.create_agency")
def do_create_agency(
    actor: User | None, *, code: str, name: str, kind: str, region: int, parent_code: str = ""
) -> Agency:
    """Create a public service agency; its region is its jurisdiction."""
    if actor is not None and not access.is_administrator.test(actor):
        raise AccessDeniedError(_("只有系统管理员可以设立机构"))
    code = _text(code, "code", max_length=64).lower()
    if not code.replace("-", "").replace("_", "").isalnum() or not code.isascii():
        raise InvalidInputError("invalid_code", _("机构代码只能由字母、数字、-和_组成"), "code")
    if Agency.objects.filter(code=code).exists():
        raise ConflictError("duplicate_agency", _("这个机构代码已经使用了"), "code")
    parent = None
    if parent_code:
        parent = Agency.objects.filter(code=parent_code).first()
        if parent is None:
            raise InvalidInputError("unknown_agency", _("没有这个上级机构"), "parent_code")
    agency = Agency.objects.create(
        code=code,
        name=_text(name, "name", max_length=128),
        kind=_choice(kind, AgencyKind, "kind"),
        region=_region(region, "region"),
        parent=parent,
    )
    record(actor, "people.create_agency", agency, detail={"region": region})
    return agency
