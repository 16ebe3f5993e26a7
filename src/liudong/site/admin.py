"""Reference data in the Django admin: regions, agencies, employers. Administrators only.

No model holding personal data (persons, households, accounts, audit events) is registered:
administrators manage the system, not the people in it (GB/T 22239 8.1.5; PIPL art. 51).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin

from liudong.accounts.access import is_admin
from liudong.audit.events import record
from liudong.people.models import Agency, Employer, Region

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from django.http import HttpRequest


class ReferenceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in the stubs
    """Read and write for the administrator role (with TOTP), nothing for anyone else. Every
    change is audited in the admin's own transaction (GB/T 22239 8.1.4.3 a)."""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        verb = "change" if change else "add"
        record(
            request.user,
            f"admin.{verb}_{obj._meta.model_name}",
            obj,
            detail={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        record(request.user, f"admin.delete_{obj._meta.model_name}", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            record(request.user, f"admin.delete_{obj._meta.model_name}", obj)
        super().delete_queryset(request, queryset)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin.test(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_admin.test(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_admin.test(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_admin.test(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_admin.test(request.user)


@admin.register(Region)
class RegionAdmin(ReferenceAdmin):
    list_display = ("code", "name", "level", "parent", "size_class", "current")
    list_filter = ("level", "current", "size_class")
    search_fields = ("=code", "name", "pinyin")
    raw_id_fields = ("parent",)
    ordering: ClassVar = ["code"]


@admin.register(Agency)
class AgencyAdmin(ReferenceAdmin):
    list_display = ("code", "name", "kind", "region")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    raw_id_fields = ("region", "parent")


@admin.register(Employer)
class EmployerAdmin(ReferenceAdmin):
    list_display = ("credit_code", "name", "region")
    search_fields = ("credit_code", "name")
    raw_id_fields = ("region",)
