"""Declared access of the accounts pages (sign-in, sign-up, password, real-name binding)."""

from __future__ import annotations

from tests.authz import NONE, Endpoint, allow, everyone

ENDPOINTS: dict[str, Endpoint] = {
    "accounts:login": Endpoint(everyone(signed_in=False), methods=("GET",), public=True),
    "accounts:verify": Endpoint(everyone(signed_in=False), methods=("GET",), public=True),
    "accounts:logout": Endpoint(everyone(signed_in=False), methods=("GET",), public=True),
    "accounts:signup": Endpoint(everyone(signed_in=False), methods=("GET",), public=True),
    "accounts:password_change": Endpoint(everyone(NONE)),
    "accounts:realname": Endpoint(allow(citizen=NONE)),
    "accounts:realname_confirm": Endpoint(allow(citizen=NONE)),
}
