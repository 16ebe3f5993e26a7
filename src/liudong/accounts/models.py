"""Users and their roles. A user has exactly one role; staff belong to an agency; a citizen is
bound to one Person after real-name verification; an employer representative to one employer;
a policy analyst belongs to no agency and works on synthetic populations only."""

from __future__ import annotations

from typing import ClassVar

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
    ANALYST = "analyst", _("政策分析人员")


# Staff-type roles: they sign in with a second factor (TOTP) and their passwords expire
# (GB/T 22239 8.1.4.1). Being staff-type grants no page and no record by itself: every staff
# page checks its own roles (caseworkers, auditors, administrators, analysts: see
# ``liudong.accounts.access``), so a role added here reaches nothing it is not named for.
STAFF_ROLES = frozenset({Role.STAFF, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN, Role.ANALYST})
# Caseworkers: the roles that handle persons' cases within an agency's jurisdiction.
CASEWORKER_ROLES = frozenset({Role.STAFF, Role.SUPERVISOR})


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
    # When the password was last set: staff must change theirs periodically (GB/T 22239
    # 8.1.4.1 a); see liudong.accounts.access.password_expired.
    password_changed_at = models.DateTimeField(null=True, blank=True)

    @property
    def needs_second_factor(self) -> bool:
        """Staff-type roles (staff, supervisors, auditors, administrators, analysts) sign in
        with TOTP as well."""
        return self.role in STAFF_ROLES


class RealNameChallenge(models.Model):
    """One attempt to bind an account to a registered person: the person matched by ID number
    and name, and the one-time code sent to the person's registered mobile number.

    Only a keyed hash of the code is stored. A challenge is used at most once, expires after
    ``LIUDONG_REALNAME_CODE_SECONDS`` and dies after ``LIUDONG_REALNAME_MAX_ATTEMPTS`` wrong
    codes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="realname_challenges")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    code_hash = models.CharField(max_length=64)
    phone_masked = models.CharField(max_length=16)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"real-name challenge {self.pk} of user {self.user_id}"
