from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class SiteConfig(AppConfig):
    name = "liudong.site"
    label = "site_core"
    verbose_name = "liudong"

    def ready(self) -> None:
        from liudong.site import checks  # noqa: F401  # registers the custom deploy checks


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin, with the admin site that only administrators (role, TOTP) enter."""

    default_site = "liudong.site.admin_site.LiudongAdminSite"
