"""Registry models. Every change goes through an action in ``actions.py``, which writes the
change, its history row and its audit event in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from liudong import crypto

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from liudong.accounts.models import User

_M = TypeVar("_M", bound=models.Model)


class ScopedManager(models.Manager[_M]):
    """``Model.objects.for_user(user)``: the rows ``user`` may see, as decided in
    ``liudong.people.access`` (the one place for registry access rules)."""

    def for_user(self, user: User | AnonymousUser | None) -> models.QuerySet[_M]:
        from liudong.people import access  # access imports these models

        return access.for_user(user, self.model)


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]  # TextField is generic only in stubs
    """A text column stored SM4-GCM encrypted; the purpose binds it to one model field."""

    def __init__(self, *args: Any, purpose: str = "", **kwargs: Any) -> None:
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else crypto.decrypt(value, self.purpose)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return None if value is None else crypto.encrypt(str(value), self.purpose)


class Region(models.Model):
    """A GB/T 2260 division, loaded from liudong.regions (one source of truth)."""

    code = models.IntegerField(primary_key=True)
    name = models.CharField(max_length=64)
    level = models.CharField(max_length=16)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)
    pinyin = models.CharField(max_length=128, blank=True)
    current = models.BooleanField(default=True)
    urban_population = models.BigIntegerField(null=True, blank=True)
    size_class = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering: ClassVar = ["code"]

    def __str__(self) -> str:
        return f"{self.name} {self.code}"

    @staticmethod
    def code_range(code: int) -> tuple[int, int]:
        """The codes a division contains, as ``[low, high)``: 110000 → [110000, 120000),
        411500 → [411500, 411600), 110105 → [110105, 110106). Queries filter on it."""
        unit = 10000 if code % 10000 == 0 else 100 if code % 100 == 0 else 1
        return code, code + unit

    def covers(self, code: int) -> bool:
        """Whether a code lies in this division (prefix match on the GB/T 2260 hierarchy)."""
        low, high = self.code_range(self.code)
        return low <= code < high


class AgencyKind(models.TextChoices):
    EMPLOYMENT = "employment", _("公共就业服务机构")
    TALENT = "talent", _("公共人才服务机构")
    SOCIAL_INSURANCE = "social_insurance", _("社会保险经办机构")
    CIVIL_AFFAIRS = "civil_affairs", _("民政部门")
    HUKOU = "hukou", _("户籍管理机关")


class Agency(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Employer(models.Model):
    credit_code = models.CharField(max_length=18, unique=True)  # 统一社会信用代码, validated
    name = models.CharField(max_length=128)
    region = models.ForeignKey(Region, on_delete=models.PROTECT)

    def __str__(self) -> str:
        return self.name


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class RetirementGroup(models.TextChoices):
    MEN = "men", _("男职工")
    WOMEN_55 = "women_55", _("原法定退休年龄为五十五周岁的女职工")
    WOMEN_50 = "women_50", _("原法定退休年龄为五十周岁的女职工")


class Person(models.Model):
    """A registered person. The ID number is stored encrypted; ``id_bi`` (HMAC-SM3 blind index)
    finds and keeps it unique; ``id_masked`` is what most users see."""

    id_number = EncryptedTextField(purpose="people.Person.id_number")
    id_bi = models.CharField(max_length=64, unique=True)
    id_masked = models.CharField(max_length=18)
    name = models.CharField(max_length=64)
    sex = models.CharField(max_length=1, choices=Sex.choices)
    birth_date = models.DateField()
    retirement_group = models.CharField(max_length=16, choices=RetirementGroup.choices)
    phone = EncryptedTextField(purpose="people.Person.phone", blank=True, default="")
    education = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager["Person"]()

    class Meta:
        indexes: ClassVar = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name} {self.id_masked}"


class Household(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["Household"]()

    def __str__(self) -> str:
        return f"household {self.pk}"


class Relationship(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    OTHER = "other", _("其他")


class Membership(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    relationship = models.CharField(max_length=16, choices=Relationship.choices)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    objects = ScopedManager["Membership"]()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(end__isnull=True),
                name="one_current_household",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in household {self.household_id} ({self.relationship})"


class HukouType(models.TextChoices):
    RURAL = "rural", _("农业户口")
    URBAN = "urban", _("非农业户口")
    UNIFIED = "unified", _("居民户口")


class HukouRecord(models.Model):
    """Household registration: place and type, with history (``end`` set when it changes)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="hukou")
    region = models.ForeignKey(Region, on_delete=models.PROTECT)
    hukou_type = models.CharField(max_length=16, choices=HukouType.choices)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    objects = ScopedManager["HukouRecord"]()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(end__isnull=True), name="one_current_hukou"
            )
        ]

    def __str__(self) -> str:
        return f"hukou of {self.person_id} at {self.region_id} from {self.start}"


class ResidencePermit(models.Model):
    """居住证: issued for a city (the municipality or prefecture) to a resident of one of its
    districts; the district decides which agencies' jurisdiction the holder falls in."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="permits")
    city = models.ForeignKey(Region, on_delete=models.PROTECT)
    district = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    issued_on = models.DateField()
    valid_until = models.DateField()

    objects = ScopedManager["ResidencePermit"]()

    def __str__(self) -> str:
        return f"permit of {self.person_id} in {self.city_id} until {self.valid_until}"


class Employment(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="employments")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="employments")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    termination_proof = models.CharField(max_length=256, blank=True)
    confirmed_by_employer = models.BooleanField(default=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager["Employment"]()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["person", "employer"],
                condition=models.Q(end__isnull=True),
                name="one_open_employment_per_employer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} at {self.employer_id} from {self.start}"


class Scheme(models.TextChoices):
    ENTERPRISE_PENSION = "enterprise_pension", _("城镇企业职工基本养老保险")
    INSTITUTION_PENSION = "institution_pension", _("机关事业单位基本养老保险")
    RESIDENT_PENSION = "resident_pension", _("城乡居民基本养老保险")
    MEDICAL = "medical", _("基本医疗保险")
    UNEMPLOYMENT = "unemployment", _("失业保险")


class InsuranceSpell(models.Model):
    """Participation in a social-insurance scheme in one city over a period."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="insurance")
    city = models.ForeignKey(Region, on_delete=models.PROTECT)
    scheme = models.CharField(max_length=32, choices=Scheme.choices)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    # 月缴费基数 in yuan; null for schemes without a wage base (resident pension, medical)
    monthly_base = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    objects = ScopedManager["InsuranceSpell"]()

    def __str__(self) -> str:
        return f"{self.scheme} of {self.person_id} in {self.city_id} from {self.start}"


class PersonEvent(models.Model):
    """History of a person's record, written by the actions (never by signals)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=64)
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} of {self.person_id} at {self.at:%Y-%m-%d %H:%M}"


class HouseholdNumber(models.Model):
    """户号: the number of a household's registration booklet, unique within its region; an
    import finds the household it names by it (``liudong.people.imports``)."""

    household = models.OneToOneField(Household, on_delete=models.PROTECT, related_name="number")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=32)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["region", "number"], name="one_household_per_number")
        ]

    def __str__(self) -> str:
        return f"{self.region_id}/{self.number}"


class ImportStatus(models.TextChoices):
    DRY_RUN = "dry_run", _("已校验，待确认")
    APPLYING = "applying", _("正在导入")
    APPLIED = "applied", _("已导入")
    FAILED = "failed", _("导入失败")


class ImportBatch(models.Model):
    """One uploaded import file: its bytes sealed (SM4-GCM, the SM3 digest as associated
    data), the dry-run report, and whether it was applied. Confirming applies exactly these
    bytes (``liudong.people.imports``)."""

    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8)  # csv or xlsx, from the bytes
    size = models.PositiveIntegerField()
    sm3 = models.CharField(max_length=64)
    blob = models.BinaryField()
    status = models.CharField(max_length=16, choices=ImportStatus.choices)
    report = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Confirmation applies the batch in chunks, in a background task (or in the CLI's process).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)  # the task applying it, if any
    applier = models.CharField(max_length=128, blank=True)  # who holds it while applying
    applier_seen = models.DateTimeField(null=True, blank=True)  # renewed after every chunk
    applied = models.JSONField(default=dict)  # what was written so far (survives resumption)
    failure = models.TextField(blank=True)  # why it failed (status failed)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"
