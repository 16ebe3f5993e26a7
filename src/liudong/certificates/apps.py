from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "liudong.certificates"
    label = "certificates"
    verbose_name = "证明 Certificates"

    def ready(self) -> None:
        from liudong.certificates import checks, tasks  # noqa: F401  # registers them
