"""Holiday arrangements loaded by an administrator for the years ``chinese_calendar`` does not
cover. Rows are written only by ``actions.do_load_arrangement``."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models

from liudong.workdays.calendar import Arrangement


class HolidayArrangement(models.Model):
    """One year's State Council arrangement (国务院办公厅关于××年部分节假日安排的通知): the dates
    off and the weekend dates worked, as sorted lists of ISO dates."""

    year = models.PositiveSmallIntegerField(unique=True)
    holidays = models.JSONField(default=list)
    workdays = models.JSONField(default=list)
    source = models.CharField(max_length=255)
    published_on = models.DateField()
    loaded_at = models.DateTimeField()
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering: ClassVar = ["year"]

    def __str__(self) -> str:
        return f"holiday arrangement {self.year}"

    def arrangement(self) -> Arrangement:
        """The row as the pure calendar's :class:`Arrangement`."""
        return Arrangement(
            year=self.year,
            holidays=frozenset(map(dt.date.fromisoformat, self.holidays)),
            workdays=frozenset(map(dt.date.fromisoformat, self.workdays)),
            source=self.source,
            published_on=self.published_on,
        )
