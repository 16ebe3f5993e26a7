"""URLs of the evidence app (namespace ``evidence``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import path

from liudong.evidence import views

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver

app_name = "evidence"
urlpatterns: list[URLPattern | URLResolver] = [
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.download, name="download"),
]
