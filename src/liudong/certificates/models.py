"""A certificate: what it states (encrypted), its PDF (encrypted), and the SM2 signature that
binds the two to its verification code. Every change goes through ``actions.py``."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liudong.people.models import EncryptedTextField


class Status(models.TextChoices):
    PENDING = "pending", _("生成中")
    READY = "ready", _("有效")
    FAILED = "failed", _("生成失败")
    REVOKED = "revoked", _("已撤销")


class Certificate(models.Model):
    code = models.CharField(_("验证码"), max_length=19, unique=True)
    kind = models.CharField(_("证明类型"), max_length=64)
    subject = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="certificates",
        null=True,
        blank=True,
    )
    title = models.CharField(_("标题"), max_length=200)
    authority = models.CharField(_("出具机构"), max_length=128)
    # JSON text of {key: {"label", "value", "mask"}}, insertion order kept; SM4-GCM encrypted
    fields_json = EncryptedTextField(purpose="certificates.Certificate.fields")
    template = models.CharField(_("模板"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    failure_reason = models.TextField(_("失败原因"), blank=True, default="")
    issued_at = models.DateTimeField(_("出具时间"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    agency = models.ForeignKey(
        "people.Agency", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    task_id = models.CharField(max_length=64, blank=True, default="")
    generated_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(null=True)  # SM4-GCM ciphertext (storage.seal), SM3 as AAD
    pdf_sm3 = models.CharField(_("文件 SM3 摘要"), max_length=64, blank=True, db_index=True)
    pdf_size = models.PositiveIntegerField(null=True, blank=True)
    signature = models.CharField(max_length=200, blank=True, default="")  # SM2, hex (DER)
    key_id = models.CharField(max_length=32, blank=True, default="")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    revocation_reason = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("证明")
        verbose_name_plural = _("证明")
        ordering: ClassVar = ["-issued_at", "-pk"]
        indexes: ClassVar = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return f"{self.code} {self.kind} ({self.status})"

    @property
    def fields(self) -> dict[str, dict[str, str]]:
        parsed: dict[str, dict[str, str]] = json.loads(self.fields_json or "{}")
        return parsed

    @fields.setter
    def fields(self, value: dict[str, dict[str, Any]]) -> None:
        self.fields_json = json.dumps(value, ensure_ascii=False)
