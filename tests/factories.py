"""factory-boy factories for the registry and accounts, shared by every domain's tests.

Rows are built directly (fast, no audit events); anything a test checks about behaviour goes
through the actions instead. Generated ID numbers and credit codes are valid (check digits
computed), regions are created on demand with their ancestors from the vendored GB/T 2260
table, so a test only names the codes it cares about::

    person = PersonFactory(hukou=110105, birth_date=dt.date(1990, 5, 1), sex="F")
    person.id_number            # the full number, e.g. "110105199005010022"
    PermitFactory(person=person, district=110108)
    caseworker = StaffFactory(agency=AgencyFactory(region=110105))
"""

# factory-boy's declarations (Sequence, LazyAttribute, ...) and its _create are untyped:
# mypy: disable-error-code="no-untyped-call"
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any, ClassVar, TypeVar, cast

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from factory.declarations import LazyAttribute, LazyFunction, SelfAttribute, Sequence, SubFactory
from factory.django import DjangoModelFactory
from stdnum.cn import uscc

from liudong import crypto, regions
from liudong.accounts.models import Role, User
from liudong.people.idnumber import check_digit
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
    Region,
    Relationship,
    ResidencePermit,
    RetirementGroup,
    Scheme,
)

TODAY = dt.date(2026, 11, 28)
_sequence = itertools.count(1)


def region(code: int) -> Region:
    """The Region row for ``code``, created (with its ancestors) from the vendored table."""
    found = Region.objects.filter(pk=code).first()
    if found is not None:
        return found
    parent_code = regions.parent(code)
    parent = region(parent_code) if parent_code is not None else None
    return Region.objects.create(
        code=code,
        name=regions.name(code),
        level=regions.level(code),
        parent=parent,
        current=regions.exists(code, TODAY.year),
        size_class=regions.size_class_of(code) or "",
    )


T = TypeVar("T")


class ModelFactory(DjangoModelFactory[T]):
    """Typed code creates with ``PersonFactory.create(...)`` (typed: returns a Person);
    ``PersonFactory(...)`` does the same but mypy cannot see it (factory-boy's metaclass)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type[T], *args: Any, **kwargs: Any) -> T:
        return cast("T", super()._create(model_class, *args, **kwargs))


def _as_region(value: Region | int) -> Region:
    return value if isinstance(value, Region) else region(value)


def id_number(area: int, birth: dt.date, sex: str, serial: int | None = None) -> str:
    """A valid 18-character ID number; the serial's parity encodes the sex."""
    serial = next(_sequence) if serial is None else serial
    order = (serial % 499) * 2 + (1 if sex == "M" else 2)  # 001..998: odd for men, even for women
    first17 = f"{area:06d}{birth:%Y%m%d}{order:03d}"
    return first17 + check_digit(first17)


def credit_code(area: int = 110105) -> str:
    """A valid unified social credit code (统一社会信用代码) registered in ``area``."""
    first17 = f"91{area:06d}MA{next(_sequence):07d}"
    return first17 + uscc.calc_check_digit(first17)


class AgencyFactory(ModelFactory[Agency]):
    class Meta:
        model = Agency
        django_get_or_create: ClassVar = ("code",)

    code = Sequence(lambda n: f"agency-{n}")
    name = Sequence(lambda n: f"公共就业服务中心{n}")
    kind = AgencyKind.EMPLOYMENT
    region = 110105

    @classmethod
    def _create(cls, model_class: type[Agency], *args: Any, **kwargs: Any) -> Agency:
        kwargs["region"] = _as_region(kwargs["region"])
        return super()._create(model_class, *args, **kwargs)


class EmployerFactory(ModelFactory[Employer]):
    class Meta:
        model = Employer

    credit_code = LazyFunction(credit_code)
    name = Sequence(lambda n: f"北京流动科技有限公司{n}")
    region = 110105

    @classmethod
    def _create(cls, model_class: type[Employer], *args: Any, **kwargs: Any) -> Employer:
        kwargs["region"] = _as_region(kwargs["region"])
        return super()._create(model_class, *args, **kwargs)


class PersonFactory(ModelFactory[Person]):
    """A registered person. ``hukou=<code>`` (default 110105) also opens her current hukou
    record; ``hukou=None`` registers her without one."""

    class Meta:
        model = Person

    class Params:
        area = 110105  # the ID number's region when there is no hukou
        number = LazyAttribute(lambda p: id_number(p.hukou or p.area, p.birth_date, p.sex))

    hukou = 110105
    hukou_type = HukouType.URBAN
    sex = "F"
    birth_date = dt.date(1990, 5, 1)
    name = Sequence(lambda n: f"居民{n:04d}")
    id_number = SelfAttribute("number")
    id_bi = LazyAttribute(lambda p: crypto.blind_index(p.number, "id_number"))
    id_masked = LazyAttribute(lambda p: p.number[:6] + "*" * 8 + p.number[14:])
    retirement_group = LazyAttribute(
        lambda p: RetirementGroup.MEN if p.sex == "M" else RetirementGroup.WOMEN_50
    )
    phone = "13800138000"

    @classmethod
    def _create(cls, model_class: type[Person], *args: Any, **kwargs: Any) -> Person:
        hukou = kwargs.pop("hukou", None)
        hukou_type = kwargs.pop("hukou_type", HukouType.URBAN)
        person = super()._create(model_class, *args, **kwargs)
        if hukou is not None:
            HukouRecord.objects.create(
                person=person,
                region=region(hukou),
                hukou_type=hukou_type,
                start=max(person.birth_date, dt.date(2000, 1, 1)),
            )
        return person


class HukouFactory(ModelFactory[HukouRecord]):
    class Meta:
        model = HukouRecord

    person = SubFactory(PersonFactory, hukou=None)
    region = 110105
    hukou_type = HukouType.URBAN
    start = dt.date(2010, 1, 1)

    @classmethod
    def _create(cls, model_class: type[HukouRecord], *args: Any, **kwargs: Any) -> HukouRecord:
        kwargs["region"] = _as_region(kwargs["region"])
        return super()._create(model_class, *args, **kwargs)


class PermitFactory(ModelFactory[ResidencePermit]):
    """A residence permit valid today for a district (default 朝阳区 110105)."""

    class Meta:
        model = ResidencePermit

    person = SubFactory(PersonFactory, hukou=411502)
    district = 110105
    issued_on = LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    valid_until = LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=335))

    @classmethod
    def _create(
        cls, model_class: type[ResidencePermit], *args: Any, **kwargs: Any
    ) -> ResidencePermit:
        district = _as_region(kwargs["district"])
        city = regions.prefecture_of(district.code) or regions.province_of(district.code)
        kwargs.update(district=district, city=region(city))
        return super()._create(model_class, *args, **kwargs)


class HouseholdFactory(ModelFactory[Household]):
    """A household; ``head=<Person>`` makes her its head from 2010."""

    class Meta:
        model = Household

    region = 110105
    head = None

    @classmethod
    def _create(cls, model_class: type[Household], *args: Any, **kwargs: Any) -> Household:
        head = kwargs.pop("head", None)
        kwargs["region"] = _as_region(kwargs["region"])
        household = super()._create(model_class, *args, **kwargs)
        if head is not None:
            MembershipFactory(household=household, person=head, relationship=Relationship.HEAD)
        return household


class MembershipFactory(ModelFactory[Membership]):
    class Meta:
        model = Membership

    household = SubFactory(HouseholdFactory)
    person = SubFactory(PersonFactory)
    relationship = Relationship.CHILD
    start = dt.date(2010, 1, 1)


class EmploymentFactory(ModelFactory[Employment]):
    class Meta:
        model = Employment

    person = SubFactory(PersonFactory)
    employer = SubFactory(EmployerFactory)
    start = dt.date(2022, 3, 1)


class InsuranceFactory(ModelFactory[InsuranceSpell]):
    class Meta:
        model = InsuranceSpell

    person = SubFactory(PersonFactory)
    city = 110000
    scheme = Scheme.ENTERPRISE_PENSION
    start = dt.date(2022, 3, 1)
    monthly_base = Decimal("8000.00")

    @classmethod
    def _create(
        cls, model_class: type[InsuranceSpell], *args: Any, **kwargs: Any
    ) -> InsuranceSpell:
        kwargs["city"] = _as_region(kwargs["city"])
        return super()._create(model_class, *args, **kwargs)


PASSWORD = "correct horse battery staple"  # noqa: S105  # the test users' password


class UserFactory(ModelFactory[User]):
    """A user with a role; the password is ``PASSWORD``, set just now (not expired)."""

    class Meta:
        model = User
        django_get_or_create: ClassVar = ("username",)

    username = Sequence(lambda n: f"user{n}")
    role = Role.CITIZEN
    password = LazyFunction(lambda: make_password(PASSWORD))
    password_changed_at = LazyFunction(timezone.now)


class CitizenFactory(UserFactory):
    role = Role.CITIZEN
    person = SubFactory(PersonFactory)


class StaffFactory(UserFactory):
    role = Role.STAFF
    agency = SubFactory(AgencyFactory)
