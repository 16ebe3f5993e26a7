"""Annual points-settlement rounds, applications, verification, ranking lists and objections.

Only the actions in ``liudong.settlement.actions`` write these rows (one transaction each, with
the audit event). A round freezes at opening what its decisions depend on: the rule-set version
(``schemes.ruleset_version``), the review and objection windows in working days (with their
citation and confidence) and the city's rule for ties at the cut-off. A ranking list is never
changed once stored: a correction after an objection stores the next version, which names the
one it supersedes and the reason; earlier versions stay published.

Receipts: an applicant holds a secret shown to her once; the server keeps only
``receipt_key`` (the SM3-derived key of ``commitments.receipt_key``), never the secret.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RoundStatus(models.TextChoices):
    OPEN = "open", _("受理申请")
    CLOSED = "closed", _("申请截止，审核中")
    RANKED = "ranked", _("已排名")
    NOTICE = "notice", _("公示中")
    FINAL = "final", _("已办结")


class Round(models.Model):
    """One annual round of a city's points scheme (``scheme`` is a key of ``schemes.SCHEMES``).

    Applications are accepted from ``opens_on`` to ``closes_on`` inclusive (dates in China);
    scores are assessed at ``assessed_on``. ``version`` grows with every change of status
    (compare-and-set: two staff closing the same round at once, one wins)."""

    scheme = models.CharField(_("积分办法"), max_length=32)
    region = models.ForeignKey("people.Region", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    quota = models.PositiveIntegerField(_("指标数"))
    opens_on = models.DateField(_("申报开始"))
    closes_on = models.DateField(_("申报截止"))
    assessed_on = models.DateField(_("积分计算日"))
    ruleset = models.CharField(_("规则版本"), max_length=128)
    tie_rule = models.CharField(_("同分规则"), max_length=32)
    review_window_days = models.PositiveSmallIntegerField(_("复核申请期限（工作日）"))
    review_window_cite = models.CharField(max_length=128)
    review_window_confidence = models.CharField(max_length=16)
    objection_window_days = models.PositiveSmallIntegerField(_("公示期（工作日）"))
    objection_window_cite = models.CharField(max_length=128)
    objection_window_confidence = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    ranking_requested_at = models.DateTimeField(null=True, blank=True)
    ranking_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ranking_task_id = models.CharField(max_length=64, blank=True)
    ranked_at = models.DateTimeField(null=True, blank=True)
    notice_from = models.DateField(null=True, blank=True)
    notice_until = models.DateField(null=True, blank=True)  # last day objections are taken
    notice_until_provisional = models.BooleanField(default=False)
    finalized_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering: ClassVar = ["-year", "scheme"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["scheme", "year"], name="one_round_per_scheme_year"),
            models.CheckConstraint(condition=models.Q(quota__gt=0), name="round_quota_positive"),
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="round_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.year} ({self.status})"


class ApplicationState(models.TextChoices):
    """Where an application stands before its case exists; afterwards, the case's state."""

    AWAITING_APPLICANT = "awaiting_applicant", _("单位已代为填报，待申请人确认")
    LAPSED = "lapsed", _("申请人未在申报期内确认，已失效")
    WITHDRAWN = "withdrawn", _("已撤回")


class Application(models.Model):
    """One person's application to one round.

    ``declared`` are the facts she entered (the scheme's field names); ``registry`` what the
    registry knew of them when she applied; ``differences`` the fields where both are known and
    disagree (``[{"field", "declared", "registry"}]``). The preliminary assessment
    (``score``, ``items``, ``explanation`` ...) is computed from the declared facts; the
    verified one (``verified_*``) from the declared facts overlaid with the verified values,
    when a supervisor confirms. ``live`` is false once withdrawn, refused or lapsed: at most one
    live application per person per round (a database constraint as well)."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="applications")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="settlement_applications"
    )
    case = models.OneToOneField(
        "workflows.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlement_application",
    )
    pre_state = models.CharField(
        max_length=32, choices=ApplicationState.choices, blank=True
    )  # only while there is no case
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_for_employer = models.ForeignKey(
        "people.Employer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    employer = models.ForeignKey(
        "people.Employer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlement_applications",
    )  # the employer that must confirm the employment indicators
    employment_confirmed_at = models.DateTimeField(null=True, blank=True)
    employment_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declared = models.JSONField(default=dict)
    registry = models.JSONField(default=dict)
    differences = models.JSONField(default=list)
    eligible = models.BooleanField(default=False)
    score = models.DecimalField(max_digits=8, decimal_places=2)
    assessment = models.JSONField(default=dict)  # preconditions, items, improvements, explanation
    verified_eligible = models.BooleanField(null=True, blank=True)
    verified_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    verified_assessment = models.JSONField(default=dict, blank=True)
    ruleset = models.CharField(max_length=128)
    receipt_key = models.CharField(max_length=64, blank=True)  # hex; never the secret
    entry_ref = models.CharField(max_length=32, unique=True)  # published in the lists
    live = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    review_until = models.DateField(null=True, blank=True)  # last day to ask for review
    review_until_provisional = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["round", "person"],
                condition=models.Q(live=True),
                name="one_live_application_per_round",
            )
        ]
        indexes: ClassVar = [models.Index(fields=["round", "live"])]

    def __str__(self) -> str:
        return f"application {self.pk} of {self.person_id} to round {self.round_id}"

    @property
    def state(self) -> str:
        """The case's state, or ``pre_state`` while the applicant has not confirmed a filing."""
        return self.case.state if self.case is not None else self.pre_state


class IndicatorVerification(models.Model):
    """A caseworker's verified value for one indicator (a scheme field), with the evidence
    relied on. Rows are never changed: a later verification of the same indicator (after a
    review or an objection) is a new row, and the latest counts."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="verifications"
    )
    indicator = models.CharField(max_length=64)
    value = models.JSONField()
    declared = models.JSONField(null=True)
    source = models.CharField(max_length=16)  # "evidence" or "registry"
    note = models.TextField(blank=True)
    evidence = models.ManyToManyField("evidence.Evidence", blank=True, related_name="+")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["verified_at", "pk"]

    def __str__(self) -> str:
        return f"{self.indicator} of application {self.application_id}"


class RankingList(models.Model):
    """One published version of a round's ranking: its Merkle root over the entries'
    commitments and its snapshot hash (over the ordered list, the round's parameters and the
    rule-set version). Version 1 comes from the ranking run; each correction adds one."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="lists")
    version = models.PositiveIntegerField()
    root = models.CharField(max_length=64)  # hex
    snapshot = models.CharField(max_length=64)  # hex
    ruleset = models.CharField(max_length=128)
    tie_rule = models.CharField(max_length=32)
    quota = models.PositiveIntegerField()
    cutoff_centi = models.BigIntegerField(null=True)
    admitted_count = models.PositiveIntegerField()
    entry_count = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    reason = models.TextField(blank=True)  # why this version corrects the one it supersedes

    class Meta:
        ordering: ClassVar = ["round", "version"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["round", "version"], name="one_list_per_version")
        ]

    def __str__(self) -> str:
        return f"list v{self.version} of round {self.round_id}"


class RankingEntry(models.Model):
    """One applicant's line in a list version. ``commitment`` is HMAC-SM3 under her receipt
    key over (round, version, entry_ref, score, rank, admitted); ``index`` its leaf position.
    ``name_masked`` and ``id_masked`` are what the public notice shows."""

    list = models.ForeignKey(RankingList, on_delete=models.PROTECT, related_name="entries")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="entries")
    entry_ref = models.CharField(max_length=32)
    score_centi = models.BigIntegerField()
    eligible = models.BooleanField()
    rank = models.PositiveIntegerField()  # 0: not ranked (preconditions not met)
    admitted = models.BooleanField()
    commitment = models.CharField(max_length=64)  # hex
    index = models.PositiveIntegerField()
    name_masked = models.CharField(max_length=64)
    id_masked = models.CharField(max_length=18)

    class Meta:
        ordering: ClassVar = ["list", "index"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["list", "index"], name="one_entry_per_index"),
            models.UniqueConstraint(fields=["list", "application"], name="one_entry_per_app"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_ref} in list {self.list_id}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("异议成立，已更正")
    DISMISSED = "dismissed", _("异议不成立")


class Objection(models.Model):
    """A real-name objection to a published list (to one entry, or to the list as a whole).
    The objector's identity is kept from the public: only caseworkers and she see it."""

    list = models.ForeignKey(RankingList, on_delete=models.PROTECT, related_name="objections")
    entry = models.ForeignKey(
        RankingEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="objections"
    )
    objector = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    grounds = models.TextField()
    filed_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    decision = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    correction = models.ForeignKey(
        RankingList, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering: ClassVar = ["filed_at", "pk"]

    def __str__(self) -> str:
        return f"objection {self.pk} to list {self.list_id} ({self.status})"


class Permit(models.Model):
    """The settlement permit issued to an admitted applicant once the notice has ended: the
    certificate (``liudong.certificates``) is the document; this row ties it to the round."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="permit")
    certificate_code = models.CharField(max_length=64)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"permit {self.certificate_code} for application {self.application_id}"
