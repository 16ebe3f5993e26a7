"""One uploaded file, attached to any record by ``object_type`` + ``object_id`` (the shape of
the audit trail's references, e.g. ``settlement.application`` / ``42``)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Evidence(models.Model):
    object_type = models.CharField(_("所属对象类型"), max_length=64)
    object_id = models.CharField(_("所属对象编号"), max_length=64)
    filename = models.CharField(_("文件名"), max_length=255)  # sanitised (files.clean_filename)
    content_type = models.CharField(_("文件类型"), max_length=64)  # from the bytes' signature
    size = models.PositiveIntegerField(_("大小（字节）"))
    sm3 = models.CharField(_("SM3 摘要"), max_length=64)  # hex, of the plaintext
    blob = models.BinaryField()  # SM4-GCM ciphertext (files.seal), the SM3 as associated data
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("证明材料")
        verbose_name_plural = _("证明材料")
        ordering: ClassVar = ["uploaded_at", "pk"]
        indexes: ClassVar = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.object_type}:{self.object_id})"
