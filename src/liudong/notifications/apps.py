from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "liudong.notifications"
    label = "notifications"
    verbose_name = "消息 Notifications"
