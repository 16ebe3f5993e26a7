"""Cases and their history. Only the actions in ``actions.py`` write them: a case's state
changes by a compare-and-set on its version, and every step leaves a ``CaseTransition`` row."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


class Case(models.Model):
    """One case of a registered case type (``liudong.workflows.case_type(case_type)``).

    ``deadline`` is the last day (Asia/Shanghai) the case may stay in its current state; it is
    ``deadline_provisional`` when counted through a year whose holiday arrangement was not yet
    published. ``escalated_at`` is set by the sweep once the deadline has passed, and cleared
    by the next transition. ``version`` grows with every transition."""

    case_type = models.CharField(max_length=64)
    state = models.CharField(max_length=64)
    jurisdiction = models.ForeignKey("people.Region", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField(null=True, blank=True)
    deadline_provisional = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["case_type", "state"]),
            models.Index(fields=["deadline"], name="workflows_case_deadline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_type} case {self.pk} ({self.state})"


class CaseTransition(models.Model):
    """One step of a case's history: its opening (``name`` "open", ``source`` ""), each
    transition, and each escalation by the sweep (``name`` "escalate", no actor). ``maker`` marks
    the steps a later checking step must not be made by the same user. A system step (made by
    the platform on an event, ``do_system_transition``) has no actor and names its cause in
    ``caused_by`` (``"<app>.<model>:<pk>"`` of the record that made it happen, e.g.
    ``"settlement.objection:12"``)."""

    OPEN = "open"
    ESCALATE = "escalate"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transitions")
    name = models.CharField(max_length=64)
    source = models.CharField(max_length=64, blank=True)
    target = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    reason = models.TextField(blank=True)
    maker = models.BooleanField(default=False)
    caused_by = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} of case {self.case_id}: {self.source or '-'} → {self.target}"
