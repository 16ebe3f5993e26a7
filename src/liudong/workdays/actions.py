"""Loading a year's holiday arrangement: ``do_load_arrangement(actor, payload)``.

The payload is the content of an arrangement file (see ``data/example-2027.yaml``)::

    year: 2027
    source: 国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕…号）
    published_on: 2026-12-…
    holidays: [2027-01-01, …]   # every date off
    workdays: [2027-02-…, …]    # every weekend date worked (调休上班)

It is checked field by field (designed errors with a stable code and the field at fault),
then against the rules every arrangement obeys (``calendar.Arrangement``), and stored in
place of any earlier version of the same year, with its audit event, in one transaction.
A year that ``chinese_calendar`` covers cannot be loaded: the built-in data is authoritative.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from liudong.audit.events import record
from liudong.site.actions import action
from liudong.site.errors import InvalidInputError
from liudong.workdays.access import check_may_load
from liudong.workdays.calendar import Arrangement, ArrangementError, built_in_arrangement
from liudong.workdays.models import HolidayArrangement
from liudong.workdays.selectors import forget_calendar

if TYPE_CHECKING:
    from liudong.accounts.models import User

REQUIRED = ("year", "source", "published_on", "holidays")
OPTIONAL = ("workdays",)
SOURCE_MAX_LENGTH = 255  # HolidayArrangement.source
RULE_MESSAGES = {  # the rules of calendar.Arrangement
    "holidays_empty": gettext_noop(
        "放假日期为空：每年的安排至少有元旦和春节等法定节假日，请按通知原文填写"
    ),
    "date_outside_year": gettext_noop(
        "%(dates)s 不在 %(year)d 年内：一份文件只放当年的日期，跨年的日期请放入那一年的文件"
    ),
    "date_off_and_worked": gettext_noop(
        "%(dates)s 同时列为放假和调休上班：一天只能是其中之一，请对照通知原文更正"
    ),
    "workday_not_weekend": gettext_noop(
        "%(dates)s 不是星期六或星期日：调休上班日都在周末，周一至周五本来就上班，不必列出"
    ),
}


@action("workdays.load_arrangement")
def do_load_arrangement(actor: User | None, payload: object) -> HolidayArrangement:
    """Check and store one year's arrangement (administrators, or the system if ``actor`` is
    None); the cached calendar is rebuilt with it."""
    check_may_load(actor)
    arrangement = _arrangement(_fields(payload))
    row, replaced = _store(actor, arrangement)
    record(actor, "workdays.load_arrangement", row, detail=_summary(arrangement, replaced))
    forget_calendar()
    transaction.on_commit(forget_calendar)  # and again once the row is visible to all
    return row


# ---------------------------------------------------------------------------------------------
# The payload, field by field.


def _fields(payload: object) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInputError(
            "not_an_arrangement",
            _("文件内容应是一组字段：year、source、published_on、holidays、workdays"),
        )
    if payload.get("example"):
        message = _(
            "这是格式示例，不是国务院发布的安排：请按通知原文另写一份文件，并去掉 example 一项"
        )
        raise InvalidInputError("example_not_an_arrangement", message, "example")
    for key in payload:
        if key not in REQUIRED + OPTIONAL + ("example",):
            message = _("不认识的字段 %(key)s：可用的字段为 %(known)s")
            known = ", ".join(REQUIRED + OPTIONAL)
            raise InvalidInputError(
                "unknown_field", message % {"key": key, "known": known}, str(key)
            )
    for key in REQUIRED:
        if payload.get(key) in (None, "", []):
            raise InvalidInputError("required", _("这一项必须填写"), key)
    return payload


def _arrangement(fields: dict[str, Any]) -> Arrangement:
    year = _year(fields["year"])
    try:
        return Arrangement(
            year=year,
            holidays=_dates(fields["holidays"], "holidays"),
            workdays=_dates(fields.get("workdays") or [], "workdays"),
            source=_source(fields["source"]),
            published_on=_published_on(fields["published_on"]),
        )
    except ArrangementError as exc:
        dates = "、".join(d.isoformat() for d in exc.dates)
        message = _(RULE_MESSAGES[exc.code]) % {"dates": dates, "year": year}
        raise InvalidInputError(exc.code, message, exc.field) from None


def _year(value: object) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not dt.MINYEAR <= value <= dt.MAXYEAR
    ):
        raise InvalidInputError("year_invalid", _("年份应是四位数字，例如 2027"), "year")
    if built_in_arrangement(value) is not None:
        message = _("%(year)d 年的安排已内置（chinese-calendar），以内置数据为准，不必载入")
        raise InvalidInputError("year_built_in", message % {"year": value}, "year")
    return value


def _date(value: object, field: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        message = _("%(value)s 不是日期：请写成 YYYY-MM-DD，例如 2027-01-01") % {"value": value}
        raise InvalidInputError("date_invalid", message, field) from None


def _dates(value: object, field: str) -> frozenset[dt.date]:
    if not isinstance(value, list):
        message = _("应是日期的列表，例如 [2027-01-01, 2027-01-02]")
        raise InvalidInputError("date_list_invalid", message, field)
    dates = [_date(item, field) for item in value]
    if repeated := sorted({d for d in dates if dates.count(d) > 1}):
        message = _("%(dates)s 重复列出：每个日期只写一次") % {
            "dates": "、".join(d.isoformat() for d in repeated)
        }
        raise InvalidInputError("date_repeated", message, field)
    return frozenset(dates)


def _source(value: object) -> str:
    text = " ".join(str(value).split())
    if len(text) > SOURCE_MAX_LENGTH:
        raise InvalidInputError("too_long", _("最多255个字符：写通知的标题和文号即可"), "source")
    return text


def _published_on(value: object) -> dt.date:
    published = _date(value, "published_on")
    if published > timezone.localdate():
        message = _("发布日期 %(date)s 在今天之后：只能载入已经发布的安排") % {"date": published}
        raise InvalidInputError("published_in_future", message, "published_on")
    return published


# ---------------------------------------------------------------------------------------------
# Storing.


def _store(actor: User | None, arrangement: Arrangement) -> tuple[HolidayArrangement, bool]:
    row, created = HolidayArrangement.objects.update_or_create(
        year=arrangement.year,
        defaults={
            "holidays": sorted(d.isoformat() for d in arrangement.holidays),
            "workdays": sorted(d.isoformat() for d in arrangement.workdays),
            "source": arrangement.source,
            "published_on": arrangement.published_on,
            "loaded_at": timezone.now(),
            "loaded_by": actor,
        },
    )
    return row, not created


def _summary(arrangement: Arrangement, replaced: bool) -> dict[str, Any]:
    return {
        "year": arrangement.year,
        "source": arrangement.source,
        "published_on": str(arrangement.published_on),
        "holidays": len(arrangement.holidays),
        "workdays": len(arrangement.workdays),
        "replaced": replaced,
    }
