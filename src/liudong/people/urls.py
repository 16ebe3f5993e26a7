"""URLs of the people app (namespace ``people``)."""

from __future__ import annotations

from django.urls import path

from liudong.people import views

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
]
