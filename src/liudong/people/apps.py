from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "liudong.people"
    label = "people"
    verbose_name = "人员登记 Registry"
