"""URLs of the certificates app (namespace ``certificates``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import path, register_converter

from liudong.certificates import views

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver


class CodeConverter:
    """A verification code in its printed form, ``7KQ2-M9XD-4TNB-HW3C``."""

    regex = (
        "[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}"
    )

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "certcode")

app_name = "certificates"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.staff_list, name="list"),
    path("verify/", views.verify, name="verify"),
    path("mine/", views.mine, name="mine"),
    path("issue/registry-extract/", views.issue_extract, name="issue_extract"),
    path("<certcode:code>/", views.detail, name="detail"),
    path("<certcode:code>/download/", views.download, name="download"),
    path("<certcode:code>/revoke/", views.revoke, name="revoke"),
    path("<certcode:code>/retry/", views.retry, name="retry"),
]
