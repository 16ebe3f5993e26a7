"""URLs of the tasks app (namespace ``tasks``): the staff pages of background tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import path

from liudong.tasks import views

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver

app_name = "tasks"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.task_list, name="list"),
    path("<uuid:result_id>/", views.task_detail, name="detail"),
]
