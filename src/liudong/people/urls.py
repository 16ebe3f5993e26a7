"""URLs of the people app (namespace ``people``)."""

from __future__ import annotations

from django.urls import path

from liudong.people import import_views, views

app_name = "people"
urlpatterns = [
    path("me/", views.me, name="me"),
    path("me/id-number/", views.reveal_my_id, name="reveal_my_id"),
    path("me/household/", views.my_household, name="my_household"),
    path("me/records/", views.my_records, name="my_records"),
    path("search/", views.search, name="search"),
    path("register/", views.register, name="register"),
    path("persons/<int:person_id>/", views.person, name="person"),
    path("persons/<int:person_id>/id-number/", views.reveal_id, name="reveal_id"),
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/template.csv", import_views.import_template, name="import_template"),
    path("import/<int:batch_id>/", import_views.import_report, name="import_report"),
    path(
        "import/<int:batch_id>/problems.csv", import_views.import_problems, name="import_problems"
    ),
    path("import/<int:batch_id>/confirm/", import_views.import_confirm, name="import_confirm"),
]
