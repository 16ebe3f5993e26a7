"""URL map. Each app adds its own ``urls.py`` under a prefix here; the API lives at /api/."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from liudong.site import views
from liudong.site.api import api
from liudong.site.favicon import favicon

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("staff/", views.staff_home, name="staff_home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("liudong.accounts.urls")),
    path("people/", include("liudong.people.urls")),
    path("audit/", include("liudong.audit.urls")),
    path("workdays/", include("liudong.workdays.urls")),
    path("evidence/", include("liudong.evidence.urls")),
    path("notifications/", include("liudong.notifications.urls")),
    path("tasks/", include("liudong.tasks.urls")),
    path("certificates/", include("liudong.certificates.urls")),
    path("settlement/", include("liudong.settlement.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

# Unknown /api/ URLs and errors outside ninja's operations answer in the API's error shape.
handler404 = "liudong.site.api.not_found"
handler500 = "liudong.site.api.server_error"
