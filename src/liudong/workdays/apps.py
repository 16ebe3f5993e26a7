from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "liudong.workdays"
    label = "workdays"
    verbose_name = "工作日 Working days"
