"""URLs of the accounts app (namespace ``accounts``)."""

from __future__ import annotations

from django.urls import path

from liudong.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("logout/", views.logout_view, name="logout"),
    path("signup/", views.signup_view, name="signup"),
    path("password/", views.password_change_view, name="password_change"),
    path("realname/", views.realname_view, name="realname"),
    path("realname/confirm/", views.realname_confirm_view, name="realname_confirm"),
]
