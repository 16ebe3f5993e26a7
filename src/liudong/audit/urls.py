"""URLs of the audit app: the auditors' search page and one event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import path

from liudong.audit import views

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver

app_name = "audit"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.search, name="search"),
    path("events/<int:seq>/", views.event_detail, name="event"),
]
