"""The Django admin site: reference data only, for the administrator role only.

Administrators are not superusers: a superuser passes every permission check, including the
registry's, and administrators must read no personal data (GB/T 22239 8.1.5, separated
duties). So the site admits ``role == admin`` with a verified second factor, and the model
admins in ``liudong.site.admin`` grant their permissions by role. Signing in and out goes
through liudong's own two-step sign-in, never the admin's password-only form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liudong.accounts.access import forbidden, has_admin_role, is_admin
from liudong.audit.events import record
from liudong.audit.models import Outcome

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


class LiudongAdminSite(admin.AdminSite):
    site_header = _("流动 · 参考数据管理")
    site_title = _("流动 管理")
    index_title = _("参考数据")

    def has_permission(self, request: HttpRequest) -> bool:
        return is_admin.test(request.user)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        target = request.GET.get("next", "/admin/")
        if has_admin_role.test(request.user):  # signed in, second factor still to come
            return redirect_to_login(target, "accounts:verify")
        if request.user.is_authenticated:
            record(
                request.user, "admin.index", outcome=Outcome.DENIED, detail={"code": "forbidden"}
            )
            return forbidden(request, gettext("参考数据管理只对系统管理员开放。"))
        return redirect_to_login(target, "accounts:login")

    def logout(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        return redirect("accounts:logout")

    def password_change(  # type: ignore[override]  # a redirect, not the admin's own form
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return redirect("accounts:password_change")
