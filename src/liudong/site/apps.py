from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "liudong.site"
    label = "site_core"
    verbose_name = "liudong"
