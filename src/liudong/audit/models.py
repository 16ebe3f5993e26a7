"""Audit events (append-only) and their seals.

An action writes an :class:`AuditEvent` in its own transaction (``liudong.audit.record``).
A sealer later chains events in batches: ``h_n = HMAC-SM3(k, h_{n-1} || canonical(event_n))``,
one :class:`AuditSeal` row per event and one :class:`AuditCheckpoint` per batch whose head is
SM2-signed and exported to a file off the database (``liudong.audit.chain``). Rows are never
updated or deleted: database triggers refuse it (migration 0002).
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    OK = "ok", _("成功")
    DENIED = "denied", _("拒绝访问")
    REJECTED = "rejected", _("拒绝请求")
    ERROR = "error", _("出错")


class AuditEvent(models.Model):
    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()  # UTC
    actor_id = models.BigIntegerField(null=True)
    actor = models.CharField(max_length=150, blank=True)  # username at the time
    role = models.CharField(max_length=16, blank=True)
    agency = models.CharField(max_length=64, blank=True)  # agency code at the time
    action = models.CharField(max_length=64)  # e.g. people.register_person, people.read_id_number
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.OK)
    detail = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering: ClassVar = ["seq"]
        indexes: ClassVar = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_id", "at"]),
            models.Index(fields=["action", "at"]),
            models.Index(fields=["actor", "at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome}"


class AuditSeal(models.Model):
    """The chained hash of one event, written when its batch is sealed."""

    seq = models.BigIntegerField(primary_key=True)
    checkpoint = models.ForeignKey(
        "AuditCheckpoint", on_delete=models.PROTECT, related_name="seals"
    )
    chain = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"seal #{self.seq}"


class AuditCheckpoint(models.Model):
    """A sealed batch: its last sequence number, chain head and SM2 signature."""

    number = models.BigIntegerField(primary_key=True)
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    count = models.IntegerField()
    previous_head = models.CharField(max_length=64)
    head = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()
    signature = models.CharField(max_length=256)

    def __str__(self) -> str:
        return f"checkpoint {self.number} (to #{self.last_seq})"


class DecisionRecord(models.Model):
    """What a rule decided, kept so the decision can be shown as it was made and replayed.

    Written by :func:`liudong.audit.decisions.decide` in the action's transaction, next to the
    audit event that records who asked: the rule-set version (package version + content hash of
    every rule and parameter file), the evaluation date, the inputs exactly as given to the
    rules, every output and the explanations (schema ``liudong.explain/1``).
    """

    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="decision")
    at = models.DateTimeField()
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    rule_set = models.CharField(max_length=64)
    as_of = models.DateField()
    inputs = models.JSONField()
    outputs = models.JSONField()
    explanations = models.JSONField(default=dict)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"decision {self.pk}: {self.action} ({self.rule_set}, as of {self.as_of})"
