"""SMS behind an interface: a fake that keeps messages (demo and tests) and a generic HTTP
gateway adapter configured by URL (no provider assumed)."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings


class SMSGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


@dataclass
class FakeSMSGateway:
    """Keeps every message in memory; the demo prints codes to the console and shows them."""

    outbox: list[tuple[str, str]] = field(default_factory=list)

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))

    def last_to(self, phone: str) -> str | None:
        return next((t for p, t in reversed(self.outbox) if p == phone), None)


@dataclass
class HTTPSMSGateway:
    """POSTs {"phone", "text"} as JSON to a configured URL; any 2xx is success."""

    url: str
    timeout: float = 10.0

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"phone": phone, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310  # the URL is the operator's own setting
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  # same
            if not 200 <= response.status < 300:
                raise OSError(f"SMS gateway answered {response.status}")


_fake = FakeSMSGateway()


def gateway() -> SMSGateway:
    if settings.LIUDONG_SMS_GATEWAY == "fake":
        return _fake
    if settings.LIUDONG_SMS_GATEWAY == "http" and settings.LIUDONG_SMS_GATEWAY_URL:
        return HTTPSMSGateway(settings.LIUDONG_SMS_GATEWAY_URL)
    raise RuntimeError("set LIUDONG_SMS_GATEWAY=http and LIUDONG_SMS_GATEWAY_URL, or fake")


def fake_gateway() -> FakeSMSGateway:
    return _fake
