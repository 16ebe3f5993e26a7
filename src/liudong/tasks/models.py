"""What django-tasks-db's ``DBTaskResult`` lacks: progress, worker heartbeats and the
scheduler's rows.

- :class:`TaskProgress`: done/total/message of one task result (same primary key), and how
  often it was recovered from a dead worker.
- :class:`Worker`: one row per worker process (``liudong worker``, the worker of
  ``liudong serve``, or a process calling ``run_pending``), with ``last_seen`` renewed by its
  heartbeat. A RUNNING task whose worker was not seen for the lease is recovered.
- :class:`ScheduledJob`: one row per periodic job with its next run; enqueueing is a
  compare-and-set on ``next_run``, so exactly one scheduler enqueues a due run.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from liudong.tasks.progress import MESSAGE_LENGTH
from liudong.tasks.schedule import NAME_LENGTH


class TaskProgress(models.Model):
    result = models.OneToOneField(
        DBTaskResult,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="progress",
        verbose_name=_("任务"),
    )
    done = models.BigIntegerField(_("已完成"), default=0)
    total = models.BigIntegerField(_("总量"), default=0)
    message = models.CharField(_("说明"), max_length=MESSAGE_LENGTH, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), null=True)
    recoveries = models.PositiveIntegerField(_("恢复次数"), default=0)
    recovery_note = models.TextField(_("恢复记录"), blank=True)

    class Meta:
        verbose_name = _("任务进度")
        verbose_name_plural = _("任务进度")

    def __str__(self) -> str:
        return f"{self.result_id}: {self.done}/{self.total}"

    @property
    def percent(self) -> int | None:
        if self.total <= 0:
            return None
        return min(100, self.done * 100 // self.total)


class Worker(models.Model):
    worker_id = models.CharField(_("工作进程"), max_length=64, primary_key=True)
    hostname = models.CharField(_("主机"), max_length=255)
    pid = models.PositiveIntegerField(_("进程号"))
    queues = models.JSONField(_("队列"), default=list)
    started_at = models.DateTimeField(_("启动时间"))
    last_seen = models.DateTimeField(_("最近心跳"))
    stopped_at = models.DateTimeField(_("停止时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作进程")
        verbose_name_plural = _("工作进程")
        indexes = (models.Index(fields=["last_seen"]),)

    def __str__(self) -> str:
        return self.worker_id


class ScheduledJob(models.Model):
    name = models.CharField(_("名称"), max_length=NAME_LENGTH, primary_key=True)
    next_run = models.DateTimeField(_("下次运行"))
    last_enqueued_at = models.DateTimeField(_("最近排队"), null=True, blank=True)
    last_result = models.ForeignKey(
        DBTaskResult,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("最近任务"),
    )

    class Meta:
        verbose_name = _("定期任务")
        verbose_name_plural = _("定期任务")

    def __str__(self) -> str:
        return self.name
