from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "liudong.settlement"
    label = "settlement"
    verbose_name = "落户 Settlement"

    def ready(self) -> None:
        from liudong.settlement.workflows import POINTS_APPLICATION
        from liudong.workflows import register

        register(POINTS_APPLICATION)
