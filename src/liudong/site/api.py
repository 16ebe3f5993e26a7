"""The JSON API: one NinjaAPI at /api/ with a router per app (filled in by each app's api.py)."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="liudong API", version="1", urls_namespace="api")
