"""URLs of the workdays app (namespace ``workdays``): the administrators' page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import path

from liudong.workdays import views

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver

app_name = "workdays"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
]
