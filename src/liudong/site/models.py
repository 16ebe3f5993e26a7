"""Platform tables of the API: bearer tokens for machine clients and idempotency records."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token of one user. Only its HMAC-SM3 digest is stored; the token itself is
    shown once, when it is created (``liudong.site.apiauth.do_create_api_token``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)  # the first characters, to tell tokens apart
    created = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"


class IdempotencyState(models.TextChoices):
    IN_FLIGHT = "in_flight"
    DONE = "done"


class IdempotencyRecord(models.Model):
    """One unsafe API request by one user under one ``Idempotency-Key``.

    Inserted (``in_flight``) in its own transaction before the handler runs, so a second
    request with the key finds it; completed with the response afterwards, which is replayed
    to retries. The response body is stored SM4-encrypted (it may hold personal data).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SM3 of method, path and body
    state = models.CharField(max_length=16, choices=IdempotencyState.choices)
    started = models.DateTimeField()
    completed = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=128, blank=True)
    body = models.TextField(blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_record_per_key")
        ]
        indexes: ClassVar = [models.Index(fields=["started"])]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
