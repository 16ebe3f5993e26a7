"""Users and their roles. A user has exactly one role; staff belong to an agency; a citizen is
bound to one Person after real-name verification; an employer representative to one employer."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITIZEN = "citizen", _("公民")
    EMPLOYER = "employer", _("用人单位经办人")
    STAFF = "staff", _("经办人员")
    SUPERVISOR = "supervisor", _("审核人员")
    AUDITOR = "auditor", _("审计人员")
    ADMIN = "admin", _("系统管理员")


STAFF_ROLES = frozenset({Role.STAFF, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN})


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CITIZEN)
    agency = models.ForeignKey(
        "people.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    person = models.OneToOneField(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    employer = models.ForeignKey(
        "people.Employer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="representatives",
    )

    @property
    def needs_second_factor(self) -> bool:
        """Staff, supervisors, auditors and administrators sign in with TOTP as well."""
        return self.role in STAFF_ROLES
