from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "liudong.evidence"
    label = "evidence"
    verbose_name = "证明材料 Evidence"
