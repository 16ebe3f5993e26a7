"""Declared access of the working-days pages (/workdays/): administrators only. A refusal
is a 403 page with one ``denied`` audit event; anonymous callers are sent to sign in."""

from __future__ import annotations

from tests.authz import NONE, Endpoint, allow
from tests.workdays.arrangements import TEST_2027, upload

ADMIN_ONLY = allow(admin=NONE)

ENDPOINTS: dict[str, Endpoint] = {
    "workdays:index": Endpoint(ADMIN_ONLY),
    "workdays:upload": Endpoint(
        ADMIN_ONLY, methods=("POST",), body=lambda call: {"file": upload(TEST_2027)}
    ),
}
