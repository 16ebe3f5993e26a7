"""A JSON client for API tests: a persona signed in, JSON bodies, a fresh Idempotency-Key per
unsafe request unless one is given."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from django.test import Client

from tests.personas import login

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

    from liudong.accounts.models import User


class Api:
    def __init__(self, user: User | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        if user is not None:
            login(self.client, user)

    def get(self, path: str, **params: Any) -> Response:
        return self.client.get(f"/api{path}", params)

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        key: str | None = "",
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        **headers: str,
    ) -> Response:
        """POST ``body`` as JSON (or ``raw`` bytes); ``key=None`` sends no Idempotency-Key."""
        if key == "":
            key = str(uuid.uuid4())
        if key is not None:
            headers["Idempotency-Key"] = key
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(f"/api{path}", data, content_type=content_type, headers=headers)


def error_of(response: Response) -> dict[str, Any]:
    """The ``error`` object of an error response (and a check of the one error shape)."""
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field"}, body
    assert body["error"]["message"], body
    return body["error"]  # type: ignore[no-any-return]  # JSON
