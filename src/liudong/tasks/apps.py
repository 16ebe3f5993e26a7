from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "liudong.tasks"
    label = "tasks"
    verbose_name = "后台任务 Background tasks"

    def ready(self) -> None:
        """Take django-tasks-db's model out of the admin: the admin holds reference data only
        (liudong.site.admin_site), and a task's arguments may name persons. Staff watch tasks
        on /tasks/ instead."""
        from django.contrib import admin
        from django_tasks_db.models import DBTaskResult

        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
