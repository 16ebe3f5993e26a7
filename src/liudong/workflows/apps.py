from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "liudong.workflows"
    label = "workflows"
    verbose_name = "案件流程 Workflows"
