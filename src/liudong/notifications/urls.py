"""URLs of the notifications app (namespace ``notifications``): the inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import path

from liudong.notifications import views

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver

app_name = "notifications"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.mark_read, name="mark_read"),
]
