"""Declared access of the site's own pages and the API's documents."""

from __future__ import annotations

from tests.authz import NONE, Endpoint, allow, everyone

ENDPOINTS: dict[str, Endpoint] = {
    "home": Endpoint(everyone(signed_in=False), public=True),
    "favicon": Endpoint(
        everyone(signed_in=False), public=True, note="redirects to the static SVG icon"
    ),
    "staff_home": Endpoint(
        allow(staff=NONE, supervisor=NONE, auditor=NONE, admin=NONE, analyst=NONE)
    ),
    "set_language": Endpoint(everyone(signed_in=False), methods=("GET", "POST"), public=True),
    "api:openapi-json": Endpoint(everyone(signed_in=False), public=True),
    "api:openapi-view": Endpoint(everyone(signed_in=False), public=True),
    "api:api-root": Endpoint(
        everyone(signed_in=False), public=True, note="answers 404 (in the API's error shape)"
    ),
}
