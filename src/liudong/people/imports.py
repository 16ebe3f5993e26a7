"""Import of persons and households from a CSV (UTF-8) or Excel (xlsx) file.

Two steps. :func:`do_dry_run_import` reads the file (its format from the bytes, not the name),
checks every row with the same checks as a single registration (``liudong.people.actions``)
and stores the file, sealed, in an :class:`~liudong.people.models.ImportBatch` with its report:
how many persons would be new, updated or unchanged, and every bad row with its row number,
column, problem and what would be right. Nothing in the registry changes.
:func:`do_confirm_import` then applies exactly that file: it unseals it, checks its SM3 digest,
validates it again against the registry as it is now, and refuses if anything is wrong or if the
result would differ from the dry run; nothing is written then. It marks the batch ``applying``
and enqueues the background task :func:`apply_import`, which writes the rows in chunks of
:data:`APPLY_CHUNK` (each chunk one transaction, with the checks, history rows and one audit
event per change of the registry's actions, done for the whole chunk at once), reporting its
progress; the batch ends ``applied`` with the counts written, or ``failed`` with the reason.
The import is keyed on the ID number: importing a file again updates what changed and never
creates a second person, so a task resumed after its worker died writes only what is left; a
batch is confirmed at most once.

The columns (headings in the first row; English aliases accepted) are :data:`COLUMNS`, and
documented in ``docs/workflows.md`` ("Importing persons and households").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import re
import socket
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liudong import crypto, regions
from liudong.audit.events import record, record_many
from liudong.audit.models import Outcome
from liudong.people import access, idnumber
from liudong.people.actions import (
    _caseworker,
    _phone,
    _retirement_group,
    _text,
    parse_id_number,
)
from liudong.people.models import (
    Household,
    HouseholdNumber,
    HukouRecord,
    HukouType,
    ImportBatch,
    ImportStatus,
    Membership,
    Person,
    PersonEvent,
    Region,
    Relationship,
    RetirementGroup,
    Sex,
)
from liudong.site.actions import action, refuse
from liudong.site.errors import (
    AccessDeniedError,
    ActionError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
)
from liudong.site.text import join_list
from liudong.tasks import report_progress, task
from liudong.tasks import status as task_status

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet
    from django_tasks import TaskContext

    from liudong.accounts.models import User

    AnyUser = User | AnonymousUser
    ProgressFn = Callable[[int, int, str], None]  # (done, total, what is being done)

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 50_000
XLSX_MAX_UNPACKED = 200 * 1024 * 1024  # a zip bomb is refused before openpyxl opens it
FILENAME_MAX = 255
CHUNK = 500  # ID-number indexes per query


def max_bytes() -> int:
    """``LIUDONG_IMPORT_MAX_BYTES`` (default 10 MiB)."""
    return int(getattr(settings, "LIUDONG_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_rows() -> int:
    """``LIUDONG_IMPORT_MAX_ROWS`` (default 50,000 data rows)."""
    return int(getattr(settings, "LIUDONG_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


# ---------------------------------------------------------------------------------------------
# The columns.


@dataclass(frozen=True)
class Column:
    field: str
    heading: str  # the Chinese heading of the template
    aliases: tuple[str, ...]
    required: bool
    expected: Any  # what a right value looks like (lazy zh-Hans text)


COLUMNS: tuple[Column, ...] = (
    Column(
        "id_number",
        "公民身份号码",
        ("身份证号码", "身份证号", "居民身份证号码", "身份号码", "id_number", "id number"),
        True,
        gettext_lazy("18位：17位数字加一位校验码（数字或X），与身份证一致"),
    ),
    Column("name", "姓名", ("name",), True, gettext_lazy("姓名，1至64个字符")),
    Column(
        "sex",
        "性别",
        ("sex", "gender"),
        False,
        gettext_lazy("男或女（可不填），且与身份号码第17位一致：奇数为男，偶数为女"),
    ),
    Column(
        "birth_date",
        "出生日期",
        ("birth_date", "date of birth", "生日"),
        False,
        gettext_lazy("日期如 1990-07-01（可不填），且与身份号码第7至14位一致"),
    ),
    Column(
        "hukou_region",
        "户籍地行政区划代码",
        ("户籍地代码", "户籍地区划代码", "hukou_region"),
        True,
        gettext_lazy("本机构管辖范围内的6位行政区划代码，例如朝阳区 110105"),
    ),
    Column(
        "hukou_type",
        "户口性质",
        ("户口类型", "hukou_type"),
        True,
        gettext_lazy("农业户口、非农业户口或居民户口（或 rural、urban、unified）"),
    ),
    Column(
        "hukou_since",
        "户籍登记日期",
        ("hukou_since",),
        False,
        gettext_lazy("日期如 2020-05-01（可不填，默认为导入当天），不早于出生日期、不晚于今天"),
    ),
    Column(
        "retirement_group",
        "退休年龄组",
        ("退休类别", "retirement_group"),
        False,
        gettext_lazy("男性填“男职工”或不填；女性填“女50”或“女55”（原法定退休年龄）或不填"),
    ),
    Column(
        "phone",
        "手机号码",
        ("联系电话", "电话", "phone"),
        False,
        gettext_lazy("电话号码，只含数字、空格和-（可不填）"),
    ),
    Column("education", "学历", ("education",), False, gettext_lazy("最多32个字符（可不填）")),
    Column(
        "household",
        "户号",
        ("户口簿户号", "household", "household_number"),
        False,
        gettext_lazy("户口簿上的户号，最多32个字符；同一户的成员填同一户号（可不填）"),
    ),
    Column(
        "relationship",
        "与户主关系",
        ("relationship",),
        False,
        gettext_lazy("户主、配偶、子女、父母或其他（填了户号时必填）"),
    ),
    Column(
        "member_since",
        "入户日期",
        ("member_since",),
        False,
        gettext_lazy("日期如 2020-05-01（可不填，默认为导入当天），不早于出生日期、不晚于今天"),
    ),
)
BY_FIELD = {column.field: column for column in COLUMNS}
IGNORED_HEADINGS = frozenset({"序号", "备注", "no", "remarks"})


def _heading_key(text: str) -> str:
    value = unicodedata.normalize("NFKC", text).replace("\ufeff", "")
    value = re.sub(r"\((必填|选填|可选)\)$", "", "".join(value.split()))
    return value.strip("*").lower().replace("_", "").replace(" ", "")


HEADINGS: dict[str, str] = {
    _heading_key(name): column.field
    for column in COLUMNS
    for name in (column.heading, column.field, *column.aliases)
}

CHOICE_WORDS: dict[str, dict[str, str]] = {
    "sex": {
        "男": Sex.MALE,
        "女": Sex.FEMALE,
        "m": Sex.MALE,
        "f": Sex.FEMALE,
        "male": Sex.MALE,
        "female": Sex.FEMALE,
    },
    "hukou_type": {
        "农业户口": HukouType.RURAL,
        "农业": HukouType.RURAL,
        "非农业户口": HukouType.URBAN,
        "非农业": HukouType.URBAN,
        "居民户口": HukouType.UNIFIED,
        "居民": HukouType.UNIFIED,
    },
    "retirement_group": {
        "男职工": RetirementGroup.MEN,
        "男": RetirementGroup.MEN,
        "原法定退休年龄为五十五周岁的女职工": RetirementGroup.WOMEN_55,
        "原法定退休年龄为五十周岁的女职工": RetirementGroup.WOMEN_50,
        "女55": RetirementGroup.WOMEN_55,
        "女职工55": RetirementGroup.WOMEN_55,
        "55": RetirementGroup.WOMEN_55,
        "女50": RetirementGroup.WOMEN_50,
        "女职工50": RetirementGroup.WOMEN_50,
        "50": RetirementGroup.WOMEN_50,
    },
    "relationship": {
        "户主": Relationship.HEAD,
        "本人": Relationship.HEAD,
        "配偶": Relationship.SPOUSE,
        "妻": Relationship.SPOUSE,
        "夫": Relationship.SPOUSE,
        "子女": Relationship.CHILD,
        "子": Relationship.CHILD,
        "女": Relationship.CHILD,
        "父母": Relationship.PARENT,
        "父": Relationship.PARENT,
        "母": Relationship.PARENT,
        "其他": Relationship.OTHER,
    },
}
CHOICE_VALUES = {
    "sex": Sex,
    "hukou_type": HukouType,
    "retirement_group": RetirementGroup,
    "relationship": Relationship,
}


def template_csv() -> bytes:
    """The headings of every column, as a UTF-8 CSV with a BOM (Excel opens it correctly)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.heading for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode()


# ---------------------------------------------------------------------------------------------
# Reading the file.


@dataclass(frozen=True)
class Row:
    number: int  # the row in the spreadsheet (the heading row is 1)
    values: dict[str, str]
    numeric: frozenset[str] = frozenset()  # fields whose xlsx cell held a number
    overflow: bool = False  # more non-empty cells than headings


@dataclass(frozen=True)
class Table:
    file_format: str  # csv or xlsx
    headings: dict[str, str]  # field → the heading as written in the file
    rows: list[Row]


def _file_error(code: str, message: str) -> InvalidInputError:
    return InvalidInputError(code, message, "file")


def detect_format(data: bytes) -> str:
    """``xlsx`` or ``csv`` from the bytes; other formats get an error saying what to send."""
    if not data:
        raise _file_error("import_empty", _("文件是空的：请上传填好的 CSV 或 xlsx 文件"))
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _file_error(
            "import_xls",
            _(
                "这是旧版 Excel 97-2003（.xls）或加了密码的文件，无法读取：请在 Excel 中"
                "“另存为”“Excel 工作簿（*.xlsx）”或“CSV UTF-8（逗号分隔）”，不要设置密码"
            ),
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_error(
            "import_encoding",
            _(
                "文件是 UTF-16 编码（Excel 的“Unicode 文本”），不是 UTF-8：请在 Excel 中"
                "“另存为”“CSV UTF-8（逗号分隔）”，或上传 xlsx 文件"
            ),
        )
    if b"\x00" in data[:8192]:
        raise _file_error(
            "import_format", _("这不是 CSV 或 xlsx 文件：请下载模板，填好后以 CSV 或 xlsx 上传")
        )
    return "csv"


def read_table(data: bytes) -> Table:
    """The heading map and the data rows of a CSV or xlsx file (empty rows skipped).

    Refuses files over :func:`max_bytes` or :func:`max_rows`, non-UTF-8 CSV (naming the
    row and byte), unknown, missing or repeated headings."""
    if len(data) > max_bytes():
        raise PayloadTooLargeError(
            "import_too_large",
            _("文件有 %(size)s 字节，超过了上限 %(limit)s 字节：请分成几个文件分别导入")
            % {"size": f"{len(data):,}", "limit": f"{max_bytes():,}"},
            "file",
        )
    file_format = detect_format(data)
    cells = _xlsx_rows(data) if file_format == "xlsx" else _csv_rows(data)
    heading_row: list[str] | None = None
    rows: list[Row] = []
    fields: list[str | None] = []
    for number, values, numeric in cells:
        texts = [v.strip() for v in values]
        if not any(texts):
            continue
        if heading_row is None:
            heading_row = texts
            fields = _fields(texts, number)
            continue
        if len(rows) >= max_rows():
            raise PayloadTooLargeError(
                "import_too_many_rows",
                _("文件超过 %(limit)s 行数据：请分成几个文件分别导入")
                % {"limit": f"{max_rows():,}"},
                "file",
            )
        mapped = {f: texts[i] for i, f in enumerate(fields) if f and i < len(texts)}
        flagged = frozenset(f for i, f in enumerate(fields) if f and i in numeric)
        overflow = any(texts[len(fields) :])
        rows.append(Row(number, mapped, flagged, overflow))
    if heading_row is None:
        raise _file_error("import_empty", _("文件中没有内容：第一行应为标题，请下载模板填写"))
    headings = {f: heading_row[i] for i, f in enumerate(fields) if f}
    if not rows:
        raise _file_error("import_no_rows", _("文件只有标题行，没有要导入的数据"))
    return Table(file_format, headings, rows)


def _fields(headings: list[str], number: int) -> list[str | None]:
    fields: list[str | None] = []
    seen: dict[str, str] = {}
    for text in headings:
        key = _heading_key(text)
        if not key or key in IGNORED_HEADINGS:
            fields.append(None)
            continue
        found = HEADINGS.get(key)
        if found is None:
            raise _file_error(
                "import_unknown_column",
                _("第%(row)d行的标题“%(h)s”不是可导入的列。可用的标题：%(all)s")
                % {"row": number, "h": text[:40], "all": join_list(c.heading for c in COLUMNS)},
            )
        if found in seen:
            raise _file_error(
                "import_duplicate_column",
                _("标题“%(a)s”和“%(b)s”是同一列，只能出现一次")
                % {"a": seen[found], "b": text[:40]},
            )
        seen[found] = text
        fields.append(found)
    missing = [c.heading for c in COLUMNS if c.required and c.field not in seen]
    if missing:
        raise _file_error(
            "import_missing_column",
            _("第%(row)d行（标题行）缺少必填的列：%(cols)s。请下载模板，按模板的标题填写")
            % {"row": number, "cols": join_list(missing)},
        )
    return fields


Cells = tuple[int, list[str], frozenset[int]]


def _csv_rows(data: bytes) -> Iterator[Cells]:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _encoding_error(data, exc.start + len(data) - len(body)) from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for values in reader:
            yield start, values, frozenset()
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _file_error(
            "import_csv",
            _("第%(row)d行不是有效的 CSV：%(why)s。请用 Excel 或 WPS 重新保存为“CSV UTF-8”")
            % {"row": reader.line_num, "why": str(exc)[:100]},
        ) from None


def _encoding_error(data: bytes, offset: int) -> InvalidInputError:
    row = data.count(b"\n", 0, offset) + 1
    try:
        data.decode("gb18030")
        guess = _("看起来是 GBK/GB18030 编码（中文 Windows 上 Excel“CSV（逗号分隔）”的默认编码）")
    except UnicodeDecodeError:
        guess = _("编码无法识别")
    return _file_error(
        "import_encoding",
        _(
            "文件不是 UTF-8 编码：第%(row)d行、第%(byte)d个字节（0x%(hex)s）不能按 UTF-8 读取，"
            "%(guess)s。请在 Excel 中“另存为”，文件类型选“CSV UTF-8（逗号分隔）(*.csv)”"
            "（WPS：另存为“CSV”并选择 UTF-8 编码），或直接上传 xlsx 文件"
        )
        % {
            "row": row,
            "byte": offset + 1,
            "hex": data[offset : offset + 2].hex(" ").upper(),
            "guess": guess,
        },
    )


def _xlsx_rows(data: bytes) -> Iterator[Cells]:
    import openpyxl  # type: ignore[import-untyped]  # no stubs; only xlsx imports load it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise _file_error(
            "import_xlsx", _("xlsx 文件已损坏，无法打开：请用 Excel 重新保存后上传")
        ) from None
    if "xl/workbook.xml" not in names:
        raise _file_error(
            "import_format",
            _("这是 ZIP 压缩文件，不是 Excel 工作簿（xlsx）：请上传 xlsx 或 CSV 文件"),
        )
    if unpacked > XLSX_MAX_UNPACKED:
        raise PayloadTooLargeError(
            "import_too_large",
            _("这个 xlsx 文件解压后超过 %(limit)s 字节：请分成几个文件分别导入")
            % {"limit": f"{XLSX_MAX_UNPACKED:,}"},
            "file",
        )
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for damaged workbooks
        raise _file_error(
            "import_xlsx", _("xlsx 文件已损坏，无法打开：请用 Excel 重新保存后上传")
        ) from None
    try:
        sheet = book.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            numeric = frozenset(
                i
                for i, v in enumerate(cells)
                if isinstance(v, int | float) and not isinstance(v, bool)
            )
            yield number, [_cell_text(v) for v in cells], numeric
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------------------------
# Checking the rows.


@dataclass(frozen=True)
class Problem:
    row: int
    column: str  # the heading as written in the file
    field: str
    code: str
    problem: str
    expected: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "code": self.code,
            "problem": self.problem,
            "expected": self.expected,
        }


@dataclass(frozen=True)
class PersonRow:
    """One valid row, cleaned. Optional values left empty are None ("leave as it is")."""

    row: int
    id: idnumber.IDNumber
    name: str
    hukou_region: int
    hukou_type: str
    hukou_since: dt.date | None
    retirement_group: str | None
    phone: str | None
    education: str | None
    household: str
    relationship: str
    member_since: dt.date | None

    def data(self) -> tuple[Any, ...]:
        """What the row says, without its row number (to compare two rows of one person)."""
        return (
            self.name,
            self.hukou_region,
            self.hukou_type,
            self.hukou_since,
            self.retirement_group,
            self.phone,
            self.education,
            self.household,
            self.relationship,
            self.member_since,
        )


DATE_FORMATS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)


def _date(text: str, field_name: str) -> dt.date:
    value = unicodedata.normalize("NFKC", text).strip()
    value = value.split("T", 1)[0].split(" ", 1)[0]
    for pattern in DATE_FORMATS:
        found = pattern.match(value)
        if found:
            try:
                return dt.date(*(int(part) for part in found.groups()))
            except ValueError:
                break
    raise InvalidInputError(
        "invalid_date", _("“%(v)s”不是有效的日期") % {"v": text[:20]}, field_name
    )


def _word(text: str, field_name: str) -> str:
    value = unicodedata.normalize("NFKC", text).strip()
    words = CHOICE_WORDS[field_name]
    choices = CHOICE_VALUES[field_name]
    if value in choices.values:
        return value
    for label_value, label in choices.choices:
        if value == str(label):
            return str(label_value)
    found = words.get(value) or words.get(value.lower())
    if found is None:
        raise InvalidInputError(
            "invalid_choice", _("“%(v)s”不是可选的值") % {"v": text[:20]}, field_name
        )
    return str(found)


class _RowChecker:
    """Checks one row column by column, collecting every problem instead of stopping."""

    def __init__(self, row: Row, headings: dict[str, str]) -> None:
        self.row, self.headings = row, headings
        self.problems: list[Problem] = []

    def add(self, field_name: str, code: str, message: str, expected: str = "") -> None:
        self.problems.append(
            Problem(
                self.row.number,
                self.headings.get(field_name, BY_FIELD[field_name].heading),
                field_name,
                code,
                message,
                expected or str(BY_FIELD[field_name].expected),
            )
        )

    def failed(self, field_name: str, exc: ActionError, expected: str = "") -> None:
        self.add(field_name, exc.code, exc.message, expected)

    def text(self, field_name: str) -> str:
        return self.row.values.get(field_name, "")


class Validator:
    """Validates a table for ``actor`` against the registry as of ``today``."""

    def __init__(self, actor: User | None, today: dt.date) -> None:
        self.actor, self.today = actor, today
        self.scope = _caseworker(actor)
        self.known_regions: dict[int, bool] = {}

    def region_ok(self, code: int) -> bool:
        if code not in self.known_regions:
            self.known_regions[code] = Region.objects.filter(pk=code).exists()
        return self.known_regions[code]

    def check(self, row: Row, headings: dict[str, str]) -> tuple[PersonRow | None, list[Problem]]:
        c = _RowChecker(row, headings)
        if row.overflow:
            c.add(
                "id_number",
                "import_extra_cells",
                _("这一行的单元格比标题行多：多出的内容没有标题，无法导入"),
                _("删除多余的单元格，或为它们加上模板中的标题"),
            )
        parsed = self._id_number(c)
        name = self._name(c)
        region = self._region(c)
        hukou_type = self._choice(c, "hukou_type", required=True)
        since = self._day(c, "hukou_since", parsed)
        group = self._group(c, parsed)
        phone = self._optional(c, "phone", lambda v: _phone(v))
        education = self._optional(
            c, "education", lambda v: _text(v, "education", max_length=32, required=False)
        )
        household, relationship = self._household(c)
        member_since = self._day(c, "member_since", parsed)
        if c.problems or parsed is None or region is None:
            return None, c.problems
        return (
            PersonRow(
                row.number,
                parsed,
                name,
                region,
                hukou_type,
                since,
                group,
                phone,
                education,
                household,
                relationship,
                member_since,
            ),
            [],
        )

    def _id_number(self, c: _RowChecker) -> idnumber.IDNumber | None:
        raw = c.text("id_number")
        if not raw:
            c.add("id_number", "required", _("这一项必须填写"))
            return None
        if "id_number" in c.row.numeric or SCIENTIFIC.match(raw):
            c.add(
                "id_number",
                "id_stored_as_number",
                _("身份号码被 Excel 存成了数字，后几位已经丢失"),
                _("把这一列的单元格格式设为“文本”，重新输入完整的18位号码"),
            )
            return None
        try:
            parsed = parse_id_number(raw, self.today)
        except InvalidInputError as exc:
            expected = ""
            value = idnumber.normalise(raw)
            if exc.code == "id_check_digit":
                expected = _("按前17位计算，最后一位校验码应为“%(d)s”；也可能是前17位有一位输错")
                expected %= {"d": idnumber.check_digit(value[:17])}
            c.failed("id_number", exc, expected)
            return None
        declared_sex = c.text("sex")
        if declared_sex:
            try:
                sex = _word(declared_sex, "sex")
                if sex != parsed.sex:
                    c.add(
                        "sex",
                        "sex_mismatch",
                        _("性别与身份号码不一致"),
                        _("按身份号码应为“%(s)s”") % {"s": Sex(parsed.sex).label},
                    )
            except InvalidInputError as exc:
                c.failed("sex", exc)
        declared_birth = c.text("birth_date")
        if declared_birth:
            try:
                if _date(declared_birth, "birth_date") != parsed.birth_date:
                    c.add(
                        "birth_date",
                        "birth_date_mismatch",
                        _("出生日期与身份号码不一致"),
                        _("按身份号码应为 %(d)s") % {"d": parsed.birth_date.isoformat()},
                    )
            except InvalidInputError as exc:
                c.failed("birth_date", exc)
        return parsed

    def _name(self, c: _RowChecker) -> str:
        try:
            return _text(c.text("name"), "name", max_length=64)
        except InvalidInputError as exc:
            c.failed("name", exc)
            return ""

    def _region(self, c: _RowChecker) -> int | None:
        raw = unicodedata.normalize("NFKC", c.text("hukou_region")).strip()
        if not raw:
            c.add("hukou_region", "required", _("这一项必须填写"))
            return None
        if not re.fullmatch(r"\d{6}", raw):
            c.add("hukou_region", "invalid_region", _("行政区划代码是6位数字"))
            return None
        code = int(raw)
        if not regions.exists(code) or not self.region_ok(code):
            c.add("hukou_region", "unknown_region", _("%(c)s 不是有效的行政区划代码") % {"c": code})
            return None
        low, high = self.scope
        if not low <= code < high:
            c.add(
                "hukou_region",
                "outside_jurisdiction",
                _("%(c)s 不在您所在机构的管辖范围内") % {"c": code},
            )
            return None
        return code

    def _choice(self, c: _RowChecker, field_name: str, *, required: bool) -> str:
        raw = c.text(field_name)
        if not raw:
            if required:
                c.add(field_name, "required", _("这一项必须填写"))
            return ""
        try:
            return _word(raw, field_name)
        except InvalidInputError as exc:
            c.failed(field_name, exc)
            return ""

    def _day(
        self, c: _RowChecker, field_name: str, parsed: idnumber.IDNumber | None
    ) -> dt.date | None:
        raw = c.text(field_name)
        if not raw:
            return None
        try:
            day = _date(raw, field_name)
        except InvalidInputError as exc:
            c.failed(field_name, exc)
            return None
        if day > self.today:
            c.add(field_name, "date_in_future", _("这个日期不能晚于今天"))
        elif parsed is not None and day < parsed.birth_date:
            c.add(
                field_name,
                "date_order",
                _("这个日期不能早于出生日期 %(d)s") % {"d": parsed.birth_date.isoformat()},
            )
        return day

    def _group(self, c: _RowChecker, parsed: idnumber.IDNumber | None) -> str | None:
        group = self._choice(c, "retirement_group", required=False)
        if not group or parsed is None:
            return None
        try:
            return _retirement_group(parsed.sex, group)
        except InvalidInputError as exc:
            c.failed("retirement_group", exc)
            return None

    def _optional(self, c: _RowChecker, field_name: str, clean: Any) -> str | None:
        raw = c.text(field_name)
        if not raw:
            return None
        try:
            return str(clean(raw))
        except InvalidInputError as exc:
            c.failed(field_name, exc)
            return None

    def _household(self, c: _RowChecker) -> tuple[str, str]:
        number = c.text("household")
        relationship = self._choice(c, "relationship", required=bool(number))
        if not number:
            if relationship:
                c.add("household", "required", _("填写了与户主关系，也要填写户号"))
            return "", ""
        try:
            number = _text(number, "household", max_length=32)
        except InvalidInputError as exc:
            c.failed("household", exc)
        return number, relationship


# ---------------------------------------------------------------------------------------------
# The plan: what applying the file would do.


@dataclass
class Update:
    person_id: int
    row: PersonRow
    fields: dict[str, str]  # person fields that change, with their new values
    hukou: bool  # the current hukou (region or type) changes


@dataclass
class Move:
    """A person joins the household of ``key`` (ending her current membership, if any)."""

    row: PersonRow
    key: tuple[int, str]  # (region, 户号)
    household_id: int | None  # None: a household new to the registry
    ending: int | None  # the membership that ends


@dataclass
class Plan:
    rows: int
    problems: list[Problem] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    creates: list[PersonRow] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    unchanged: int = 0
    # persons already registered: ID number → primary key, and primary key → version (the
    # version each chunk checks, so that a record changed meanwhile is never overwritten)
    person_ids: dict[str, int] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)

    @property
    def error_rows(self) -> int:
        return len({p.row for p in self.problems})

    def digest(self) -> str:
        """SM3 over everything the plan would write: a confirmation applies this or nothing."""
        steps: list[Any] = [["create", r.id.value, *map(str, r.data())] for r in self.creates] + [
            ["update", u.person_id, sorted(u.fields.items()), u.hukou, *map(str, u.row.data())]
            for u in self.updates
        ]
        steps += [
            ["move", m.row.id.value, list(m.key), m.household_id, m.ending] for m in self.moves
        ]
        return crypto.sm3(json.dumps(steps, ensure_ascii=False).encode()).hex()

    def report(self) -> dict[str, Any]:
        touched = {u.row.id.value for u in self.updates}
        moved_existing = {m.row.id.value for m in self.moves} - {r.id.value for r in self.creates}
        households = {m.key for m in self.moves if m.household_id is None}
        return {
            "rows": self.rows,
            "new": len(self.creates),
            "updated": len(touched | moved_existing),
            "unchanged": self.unchanged - len(moved_existing - touched),
            "duplicates": len(self.duplicates),
            "errors": self.error_rows,
            "new_households": len(households),
            "household_changes": len(self.moves),
            "problems": [p.as_dict() for p in self.problems],
            "duplicate_rows": [p.as_dict() for p in self.duplicates],
            "plan": self.digest(),
        }


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def plan_import(actor: User | None, table: Table, today: dt.date) -> Plan:
    """Check every row of ``table`` and work out what importing it would change."""
    validator = Validator(actor, today)
    plan = Plan(rows=len(table.rows))
    valid: list[PersonRow] = []
    for row in table.rows:
        cleaned, problems = validator.check(row, table.headings)
        plan.problems += problems
        if cleaned is not None:
            valid.append(cleaned)
    valid = _one_row_per_person(valid, table.headings, plan)
    bad = {p.row for p in plan.problems}
    valid = [r for r in valid if r.row not in bad]
    _against_registry(actor, valid, table.headings, plan, today)
    plan.problems.sort(key=lambda p: (p.row, list(BY_FIELD).index(p.field), p.code))
    return plan


def _one_row_per_person(
    rows: list[PersonRow], headings: dict[str, str], plan: Plan
) -> list[PersonRow]:
    """The same ID number twice: identical rows are duplicates (reported, imported once);
    different rows are a conflict (every such row is an error)."""
    first: dict[str, PersonRow] = {}
    conflicted: set[str] = set()
    kept: list[PersonRow] = []
    heading = headings.get("id_number", BY_FIELD["id_number"].heading)
    for row in rows:
        earlier = first.get(row.id.value)
        if earlier is None:
            first[row.id.value] = row
            kept.append(row)
            continue
        if earlier.data() == row.data():
            plan.duplicates.append(
                Problem(
                    row.row,
                    heading,
                    "id_number",
                    "duplicate_row",
                    _("与第%(r)d行完全相同（同一身份号码 %(id)s），只导入一次")
                    % {"r": earlier.row, "id": row.id.masked},
                    _("可以删除这一行"),
                )
            )
            continue
        differing = [
            headings.get(name, BY_FIELD[name].heading)
            for name, a, b in zip(_DATA_FIELDS, earlier.data(), row.data(), strict=True)
            if a != b
        ]
        plan.problems.append(
            Problem(
                row.row,
                heading,
                "id_number",
                "conflicting_rows",
                _("身份号码 %(id)s 在第%(r)d行也出现了，但两行的%(cols)s不同")
                % {"id": row.id.masked, "r": earlier.row, "cols": join_list(differing)},
                _("同一个人只保留一行，或核对两行哪一行正确"),
            )
        )
        if row.id.value not in conflicted:
            conflicted.add(row.id.value)
            plan.problems.append(
                Problem(
                    earlier.row,
                    heading,
                    "id_number",
                    "conflicting_rows",
                    _("身份号码 %(id)s 在本文件中出现了不止一次，且数据不同（见第%(r)d行）")
                    % {"id": row.id.masked, "r": row.row},
                    _("同一个人只保留一行，或核对两行哪一行正确"),
                )
            )
    return [r for r in kept if r.id.value not in conflicted]


_DATA_FIELDS = (
    "name",
    "hukou_region",
    "hukou_type",
    "hukou_since",
    "retirement_group",
    "phone",
    "education",
    "household",
    "relationship",
    "member_since",
)


def _problem(
    row: PersonRow, headings: dict[str, str], name: str, code: str, message: str
) -> Problem:
    column = headings.get(name, BY_FIELD[name].heading)
    return Problem(row.row, column, name, code, message, str(BY_FIELD[name].expected))


def _against_registry(
    actor: User | None, rows: list[PersonRow], headings: dict[str, str], plan: Plan, today: dt.date
) -> None:
    indexes = {crypto.blind_index(r.id.value, "id_number"): r for r in rows}
    existing: dict[str, Person] = {}
    visible: set[int] = set()
    for chunk in _chunks(list(indexes)):
        existing.update({p.id_bi: p for p in Person.objects.filter(id_bi__in=chunk)})
        visible.update(
            access.persons_for(actor).filter(id_bi__in=chunk).values_list("pk", flat=True)
        )
    ids = [p.pk for p in existing.values()]
    plan.versions = {p.pk: p.version for p in existing.values()}
    plan.person_ids = {
        row.id.value: existing[index].pk for index, row in indexes.items() if index in existing
    }
    hukou = {
        h.person_id: h for h in HukouRecord.objects.filter(person_id__in=ids, end__isnull=True)
    }
    members = {
        m.person_id: m for m in Membership.objects.filter(person_id__in=ids, end__isnull=True)
    }
    accepted: list[tuple[PersonRow, Person | None]] = []
    for index, row in indexes.items():
        person = existing.get(index)
        if person is not None and person.pk not in visible:
            plan.problems.append(
                _problem(
                    row,
                    headings,
                    "id_number",
                    "outside_jurisdiction",
                    _(
                        "这个身份号码已经登记，但此人不在您的管辖范围内：请由其户籍地或居住地"
                        "的经办人员办理"
                    ),
                )
            )
            continue
        current = hukou.get(person.pk) if person is not None else None
        if (
            person is not None
            and row.hukou_since is not None
            and current is not None
            and (current.region_id, current.hukou_type) != (row.hukou_region, row.hukou_type)
            and row.hukou_since < current.start
        ):
            plan.problems.append(
                _problem(
                    row,
                    headings,
                    "hukou_since",
                    "date_order",
                    _("户籍变更日期不能早于现有户籍记录的开始日期 %(d)s")
                    % {"d": current.start.isoformat()},
                )
            )
            continue
        accepted.append((row, person))
    _households(accepted, members, headings, plan)
    bad = {p.row for p in plan.problems}
    for row, person in accepted:
        if row.row in bad:
            continue
        if person is None:
            plan.creates.append(row)
            continue
        changes = _changes(person, row)
        current = hukou.get(person.pk)
        moved = current is None or (current.region_id, current.hukou_type) != (
            row.hukou_region,
            row.hukou_type,
        )
        if changes or moved:
            plan.updates.append(Update(person.pk, row, changes, moved))
        else:
            plan.unchanged += 1
    plan.moves = [m for m in plan.moves if m.row.row not in bad]


def _changes(person: Person, row: PersonRow) -> dict[str, str]:
    wanted = {
        "name": row.name,
        "retirement_group": row.retirement_group,
        "phone": row.phone,
        "education": row.education,
    }
    return {
        name: value
        for name, value in wanted.items()
        if value is not None and value != getattr(person, name)
    }


def _households(
    rows: list[tuple[PersonRow, Person | None]],
    members: dict[int, Membership],
    headings: dict[str, str],
    plan: Plan,
) -> None:
    """Memberships: each row with a 户号 joins that household (found by region and number),
    unless she is already in it with that relationship. A new household needs one head; an
    existing one keeps its head unless the file moves or changes that person."""
    grouped: dict[tuple[int, str], list[tuple[PersonRow, Person | None]]] = {}
    for row, person in rows:
        if row.household:
            grouped.setdefault((row.hukou_region, row.household), []).append((row, person))
    if not grouped:
        return
    numbers = {
        (n.region_id, n.number): n.household_id
        for n in HouseholdNumber.objects.filter(number__in={k[1] for k in grouped})
    }
    found = [numbers[k] for k in grouped if k in numbers]
    heads = {
        m.household_id: m.person_id
        for m in Membership.objects.filter(
            household_id__in=found, end__isnull=True, relationship=Relationship.HEAD
        )
    }
    in_file = {p.pk: r for r, p in rows if p is not None}
    for key, group in grouped.items():
        household_id = numbers.get(key)
        head_rows = [r for r, _p in group if r.relationship == Relationship.HEAD]
        for extra in head_rows[1:]:
            plan.problems.append(
                _problem(
                    extra,
                    headings,
                    "relationship",
                    "household_has_head",
                    _("户号 %(n)s 的户主已填在第%(r)d行：一户只能有一名户主")
                    % {"n": key[1], "r": head_rows[0].row},
                )
            )
        if household_id is None and not head_rows:
            for row, _p in group:
                plan.problems.append(
                    _problem(
                        row,
                        headings,
                        "relationship",
                        "household_without_head",
                        _("户号 %(n)s 是新的一户，但文件中没有这一户的户主：请在其中一行填写“户主”")
                        % {"n": key[1]},
                    )
                )
            continue
        head = heads.get(household_id) if household_id is not None else None
        group_ids = {p.pk for _r, p in group if p}
        if head_rows and head is not None and head not in group_ids and head not in in_file:
            # the current head stays head: a second one is refused
            plan.problems.append(
                _problem(
                    head_rows[0],
                    headings,
                    "relationship",
                    "household_has_head",
                    _("户号 %(n)s 已经有户主（不在本文件中变更）：一户只能有一名户主")
                    % {"n": key[1]},
                )
            )
        for row, person in group:
            current = members.get(person.pk) if person is not None else None
            if (
                current is not None
                and current.household_id == household_id
                and current.relationship == row.relationship
            ):
                continue
            if (
                current is not None
                and row.member_since is not None
                and row.member_since < current.start
            ):
                plan.problems.append(
                    _problem(
                        row,
                        headings,
                        "member_since",
                        "date_order",
                        _("入户日期不能早于此人在现有一户的入户日期 %(d)s")
                        % {"d": current.start.isoformat()},
                    )
                )
                continue
            plan.moves.append(
                Move(row, key, household_id, current.pk if current is not None else None)
            )


# ---------------------------------------------------------------------------------------------
# Sealing the stored file.

_PURPOSE = "people.ImportBatch.blob"


def seal(data: bytes, sm3_hex: str) -> bytes:
    """``crypto.seal_blob`` (SM4-GCM), the SM3 digest bound as associated data."""
    return crypto.seal_blob(data, f"sm4:{_PURPOSE}", sm3_hex)


def unseal(blob: bytes, sm3_hex: str) -> bytes:
    """The stored file; :class:`ConflictError` if a byte of it or its digest was changed."""
    try:
        data = crypto.unseal_blob(blob, f"sm4:{_PURPOSE}", sm3_hex)
    except crypto.DecryptionError:
        data = None
    if data is None or crypto.sm3(data).hex() != sm3_hex:
        raise ConflictError(
            "import_integrity",
            _("保存的导入文件已被改动，不能导入：请重新上传文件并试导入"),
            "file",
        )
    return data


# ---------------------------------------------------------------------------------------------
# Access to batches: caseworkers whose jurisdiction covers the uploading agency's region.


def batches_for(user: AnyUser | None) -> QuerySet[ImportBatch]:
    scope = access.jurisdiction(user)
    if scope is None:
        return ImportBatch.objects.none()
    return ImportBatch.objects.filter(region_id__gte=scope[0], region_id__lt=scope[1])


def access_batch(user: AnyUser | None, batch_id: object, *, action: str) -> ImportBatch:
    """The batch, if ``user`` may see it; else an audited 404."""
    found = batches_for(user).filter(pk=batch_id).first() if isinstance(batch_id, int) else None
    if found is None:
        raise refuse(
            user,
            action,
            NotFoundError(_("没有找到这批导入，或者您无权查看")).about(
                "people.importbatch", batch_id
            ),
        )
    return found


# ---------------------------------------------------------------------------------------------
# The actions.


def _clean_filename(name: str) -> str:
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    return " ".join(name.split())[:FILENAME_MAX] or "import"


@action("people.import_dry_run")
def do_dry_run_import(actor: User | None, *, filename: str, data: bytes) -> ImportBatch:
    """Check the file and store it with its report; the registry is not changed."""
    scope = _caseworker(actor)
    table = read_table(data)
    today = timezone.localdate()
    plan = plan_import(actor, table, today)
    digest = crypto.sm3(data).hex()
    batch = ImportBatch.objects.create(
        created_by=actor,
        region_id=actor.agency.region_id if actor is not None and actor.agency else scope[0],
        filename=_clean_filename(filename),
        file_format=table.file_format,
        size=len(data),
        sm3=digest,
        blob=seal(data, digest),
        status=ImportStatus.DRY_RUN,
        report=plan.report(),
        created_at=timezone.now(),
    )
    record(actor, "people.import_dry_run", batch, detail=_counts(batch.report))
    return batch


def _counts(report: dict[str, Any]) -> dict[str, Any]:
    keys = ("rows", "new", "updated", "unchanged", "duplicates", "errors", "new_households")
    return {key: report.get(key) for key in keys}


# ---------------------------------------------------------------------------------------------
# Confirming: every check now, in the request; the writing afterwards, in chunks.
#
# :func:`do_confirm_import` refuses or marks the batch ``applying`` and enqueues the task
# :func:`apply_import` (the CLI runs :func:`apply_batch` in its own process instead). The task
# plans the file again against the registry and writes it in chunks of :data:`APPLY_CHUNK`
# rows, each chunk one transaction with its history rows and audit events, reporting progress
# after each. A chunk that fails rolls back alone and the batch ends ``failed`` with the
# reason; the chunks before it stay (a new dry run of the file shows them as unchanged).
#
# Resuming. A task whose worker died is run again by the task layer (liudong.tasks.recovery).
# It plans the file again: because the import is keyed on the ID number and idempotent, the
# rows written before the crash come out unchanged and only the rest is written, so the end
# state is that of an import that never stopped, with no duplicates. Only one run writes at a
# time: a run first takes the batch (``applier``), and every chunk checks, under the batch's
# row lock, that it still holds it.

APPLY_CHUNK = 500  # rows per transaction


class _Superseded(Exception):  # noqa: N818  # a control-flow signal, not an error
    """Another run took over the batch (this one was thought dead): stop writing."""


def _lease() -> dt.timedelta:
    from liudong.tasks.recovery import lease

    return lease()


@action("people.confirm_import")
def do_confirm_import(
    actor: User | None, batch_id: int, *, sm3: str = "", background: bool = True
) -> ImportBatch:
    """Confirm a dry-run batch: if it still has no errors and would still do exactly what its
    report says, mark it ``applying`` and enqueue :func:`apply_import` (``background=False``:
    enqueue nothing, the caller runs :func:`apply_batch` itself, as the CLI does). Nothing is
    written to the registry here.

    Refused, changing nothing: bad rows (``import_has_errors``), another file or a changed
    stored file (``import_file_changed``, ``import_integrity``), a registry that changed since
    the dry run (``import_registry_changed``), a batch applied already
    (``import_already_applied``), being applied (``import_in_progress``) or failed
    (``import_failed``). A batch left ``applying`` by a run that stopped (no progress for the
    tasks' lease, its task no longer queued or running) is resumed instead."""
    _caseworker(actor)
    found = access_batch(actor, batch_id, action="people.confirm_import")
    batch = ImportBatch.objects.select_for_update().get(pk=found.pk)
    if batch.status == ImportStatus.APPLYING:
        if not abandoned(batch):
            raise ConflictError(
                "import_in_progress",
                _("这批数据正在导入，请在报告页查看进度，不必再次确认"),
            ).about("people.importbatch", batch.pk)
        return _resume(actor, batch, background=background)
    if batch.status == ImportStatus.APPLIED:
        raise ConflictError(
            "import_already_applied",
            _("这批数据已经在 %(at)s 导入过了，没有再次导入")
            % {"at": timezone.localtime(batch.applied_at).strftime("%Y-%m-%d %H:%M")},
        ).about("people.importbatch", batch.pk)
    if batch.status == ImportStatus.FAILED:
        raise ConflictError(
            "import_failed",
            _(
                "这批导入已经失败（%(why)s），不能再次确认：请重新上传文件试导入，"
                "已经导入的行会显示为“没有变化”"
            )
            % {"why": batch.failure[:300]},
        ).about("people.importbatch", batch.pk)
    if sm3 and sm3.strip().lower() != batch.sm3:
        raise ConflictError(
            "import_file_changed",
            _("确认的文件与试导入的文件不同（SM3 摘要不符），没有导入：请重新试导入"),
            "sm3",
        )
    data = unseal(bytes(batch.blob), batch.sm3)
    plan = plan_import(actor, read_table(data), timezone.localdate())
    _check_plan(plan, batch.report.get("plan"))
    batch.status = ImportStatus.APPLYING
    batch.confirmed_at = timezone.now()
    batch.applied_by = actor
    batch.applied = {}
    batch.failure = batch.applier = ""
    batch.applier_seen = None
    batch.task_id = str(apply_import.enqueue(batch.pk).id) if background else ""
    batch.save(
        update_fields=[
            "status",
            "confirmed_at",
            "applied_by",
            "applied",
            "failure",
            "applier",
            "applier_seen",
            "task_id",
        ]
    )
    record(
        actor,
        "people.confirm_import",
        batch,
        detail={**_counts(batch.report), "task": batch.task_id},
    )
    return batch


def _check_plan(plan: Plan, reported: str | None) -> None:
    if plan.problems:
        raise InvalidInputError(
            "import_has_errors",
            _("文件中有 %(n)d 行错误，没有导入任何数据：请按报告改正后重新上传")
            % {"n": plan.error_rows},
            "file",
        )
    if reported is not None and plan.digest() != reported:
        raise ConflictError(
            "import_registry_changed",
            _(
                "自试导入以来，登记数据已有变化，导入的结果会与报告不同，没有导入任何数据："
                "请重新上传文件试导入，核对新的报告后再确认"
            ),
        )


def task_state(batch: ImportBatch) -> dict[str, Any] | None:
    """The state of the batch's task (``liudong.tasks.status``), or None without one."""
    if not batch.task_id:
        return None
    try:
        return task_status(batch.task_id)
    except NotFoundError:
        return None


def abandoned(batch: ImportBatch) -> bool:
    """``applying``, but nobody is at it: no chunk for the tasks' lease and no task queued or
    running (a task whose worker died is put back in the queue by the task layer itself)."""
    now = timezone.now()
    last = batch.applier_seen or batch.confirmed_at
    if last is not None and now - last < _lease():
        return False
    return _task_finished(batch)


def _resume(actor: User | None, batch: ImportBatch, *, background: bool) -> ImportBatch:
    batch.task_id = str(apply_import.enqueue(batch.pk).id) if background else ""
    batch.applier = ""
    batch.applier_seen = None
    batch.confirmed_at = timezone.now()
    batch.save(update_fields=["task_id", "applier", "applier_seen", "confirmed_at"])
    record(
        actor,
        "people.confirm_import",
        batch,
        detail={"resumed": True, "task": batch.task_id, "written": batch.applied},
    )
    return batch


@task(takes_context=True, label=gettext_lazy("导入人员和户籍"))
def apply_import(context: TaskContext, batch_id: int) -> dict[str, Any]:
    """The background task of a confirmed batch: :func:`apply_batch` with progress."""
    return apply_batch(batch_id, progress=report_progress, task_id=str(context.task_result.id))


def apply_batch(
    batch_id: int, *, progress: ProgressFn | None = None, task_id: str = ""
) -> dict[str, Any]:
    """Write a confirmed (``applying``) batch in chunks; returns its final status, what was
    written (counts) and, if it failed, why. Safe to run again after a crash (see above). A
    batch that is not ``applying``, or that another live run holds, is left alone."""
    me = f"{task_id or 'process'}/{socket.gethostname()[:40]}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
    batch = _take(batch_id, me, task_id)
    if batch is None:
        current = ImportBatch.objects.filter(pk=batch_id).values_list("status", flat=True)
        return {"batch": batch_id, "status": current.first(), "ran": False}
    actor = batch.applied_by
    writer = _Writer(actor, batch, me, timezone.localdate())
    try:
        plan = plan_import(actor, read_table(unseal(bytes(batch.blob), batch.sm3)), writer.today)
        # The first run applies exactly what the report says; a resumed run, whatever remains.
        _check_plan(plan, None if batch.applied else batch.report.get("plan"))
        writer.write(plan, progress)
    except _Superseded:
        return {"batch": batch_id, "status": ImportStatus.APPLYING, "ran": False}
    except ActionError as exc:
        why = _("第%(row)d行：%(why)s") % {"row": _row_of(exc), "why": exc.message}
        if not _row_of(exc):
            why = exc.message
        _fail(batch_id, me, actor, why, exc.code, writer.applied)
        return _outcome(batch_id)
    except Exception as exc:
        try:
            why = f"{type(exc).__name__}: {exc}"[:500]
            _fail(batch_id, me, actor, why, "error", writer.applied)
        except Exception:  # the original error matters more
            logger.exception("import %s: could not record its failure", batch_id)
        raise  # the task shows the traceback
    _finish(batch_id, me, actor, writer.applied)
    return _outcome(batch_id)


def _outcome(batch_id: int) -> dict[str, Any]:
    batch = ImportBatch.objects.get(pk=batch_id)
    return {
        "batch": batch_id,
        "status": batch.status,
        "ran": True,
        "written": batch.applied,
        "failure": batch.failure,
    }


def _take(batch_id: int, me: str, task_id: str) -> ImportBatch | None:
    """Take the batch for this run: the run of its own task always may (the task layer runs
    a task once at a time); another run only if nobody wrote a chunk for the tasks' lease."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status != ImportStatus.APPLYING:
            return None
        now = timezone.now()
        own_task = bool(task_id) and task_id == batch.task_id
        idle = batch.applier_seen is None or now - batch.applier_seen >= _lease()
        if not own_task and batch.applier and not idle:
            return None
        if not own_task and batch.task_id and not batch.applier and not _task_finished(batch):
            return None  # its task will apply it
        batch.applier, batch.applier_seen = me, now
        batch.save(update_fields=["applier", "applier_seen"])
        return batch


def _task_finished(batch: ImportBatch) -> bool:
    task = task_state(batch)
    return task is None or bool(task["finished"])


def _hold(batch_id: int, me: str) -> None:
    """Inside a chunk's transaction: lock the batch and check this run still holds it."""
    row = ImportBatch.objects.select_for_update().filter(pk=batch_id).values("status", "applier")
    found = row.first()
    if found is None or found["status"] != ImportStatus.APPLYING or found["applier"] != me:
        raise _Superseded


def _finish(batch_id: int, me: str, actor: User | None, written: dict[str, int]) -> None:
    with transaction.atomic():
        _hold(batch_id, me)
        now = timezone.now()
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportStatus.APPLIED,
            applied_at=now,
            applier="",
            applier_seen=now,
            applied=written,
        )
        batch = ImportBatch.objects.get(pk=batch_id)
        record(actor, "people.apply_import", batch, detail={**_counts(batch.report), **written})


def _fail(
    batch_id: int, me: str, actor: User | None, why: str, code: str, written: dict[str, int]
) -> None:
    """End the batch ``failed`` with the reason (unless another run holds it)."""
    with transaction.atomic():
        try:
            _hold(batch_id, me)
        except _Superseded:
            return
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportStatus.FAILED, failure=why, applier="", applied=written
        )
        batch = ImportBatch.objects.get(pk=batch_id)
        record(
            actor,
            "people.apply_import",
            batch,
            outcome=Outcome.ERROR if code == "error" else Outcome.REJECTED,
            detail={"code": code, **written},
        )


def _row_of(exc: ActionError) -> int:
    return getattr(exc, "import_row", 0)


def _at(row: PersonRow, exc: ActionError) -> ActionError:
    exc.import_row = row.row  # type: ignore[attr-defined]  # read by apply_batch's message
    return exc


def _chunked(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Writer:
    """Writes a plan chunk by chunk. Each chunk checks what the registry's actions check for
    one record (access, the person unchanged since the plan by her ``version``, jurisdiction
    of the household, no second head, dates) for all its rows at once, then writes the rows,
    their ``PersonEvent`` history and one audit event per change, each kind in one INSERT."""

    def __init__(self, actor: User | None, batch: ImportBatch, me: str, today: dt.date) -> None:
        self.actor, self.batch_id, self.me, self.today = actor, batch.pk, me, today
        self.applied: dict[str, int] = {k: int(v) for k, v in (batch.applied or {}).items()}
        self.ids: dict[str, int] = {}
        self.versions: dict[int, int] = {}
        self.households: dict[tuple[int, str], int] = {}

    # -- the loop ------------------------------------------------------------------------

    def write(self, plan: Plan, progress: ProgressFn | None) -> None:
        self.ids, self.versions = dict(plan.person_ids), dict(plan.versions)
        leaving = [m for m in plan.moves if m.ending is not None]
        joining = sorted(plan.moves, key=lambda m: m.row.relationship != Relationship.HEAD)
        people: list[PersonRow | Update] = [*plan.creates, *plan.updates]
        phases: list[tuple[str, list[Any], Callable[[list[Any]], dict[str, int]]]] = [
            (_("登记和更新人员"), people, self.persons),
            (_("迁出原户"), leaving, self.leave),
            (_("入户"), joining, self.join),
        ]
        total = sum(len(items) for _label, items, _run in phases)
        done = 0
        if progress is not None:
            progress(0, total, _("开始导入"))
        for label, items, run in phases:
            for chunk in _chunked(items, APPLY_CHUNK):
                with transaction.atomic():
                    _hold(self.batch_id, self.me)
                    written = run(chunk)
                    counts = dict(self.applied)
                    for key, value in written.items():
                        counts[key] = counts.get(key, 0) + value
                    ImportBatch.objects.filter(pk=self.batch_id).update(
                        applied=counts, applier_seen=timezone.now()
                    )
                self.applied = counts  # only once the chunk committed
                done += len(chunk)
                if progress is not None:
                    progress(done, total, f"{label} {done}/{total}")

    # -- checks --------------------------------------------------------------------------

    def _lock(self, rows: list[tuple[int, PersonRow]]) -> dict[int, Person]:
        """Lock these persons; check the caseworker may still change each and nobody changed
        her since the plan; count the change in her ``version`` (as every action does)."""
        wanted = {pk for pk, _row in rows}
        if not wanted:
            return {}
        locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=wanted)}
        visible = set(
            access.persons_for(self.actor).filter(pk__in=wanted).values_list("pk", flat=True)
        )
        for pk, row in rows:
            person = locked.get(pk)
            if person is None or pk not in visible:
                raise _at(
                    row,
                    AccessDeniedError(_("此人已不在您的管辖范围内"), code="outside_jurisdiction"),
                )
            if person.version != self.versions.get(pk):
                raise _at(row, _changed_meanwhile())
        Person.objects.filter(pk__in=wanted).update(version=F("version") + 1)
        for pk in wanted:
            self.versions[pk] = locked[pk].version = locked[pk].version + 1
        return locked

    def _event(self, person_id: int, kind: str, **data: Any) -> PersonEvent:
        return PersonEvent(
            person_id=person_id,
            kind=kind,
            at=timezone.now(),
            actor_id=self.actor.pk if self.actor else None,
            data={**data, "import": self.batch_id},
        )

    # -- persons -------------------------------------------------------------------------

    def persons(self, chunk: list[PersonRow | Update]) -> dict[str, int]:
        creates = [item for item in chunk if isinstance(item, PersonRow)]
        updates = [item for item in chunk if isinstance(item, Update)]
        written = self._create(creates)
        for key, value in self._update(updates).items():
            written[key] = written.get(key, 0) + value
        return written

    def _create(self, rows: list[PersonRow]) -> dict[str, int]:
        if not rows:
            return {}
        index = {r.id.value: crypto.blind_index(r.id.value, "id_number") for r in rows}
        taken = set(Person.objects.filter(id_bi__in=index.values()).values_list("id_bi", flat=True))
        for row in rows:
            if index[row.id.value] in taken:
                raise _at(row, _duplicate())
        people = [
            Person(
                id_number=r.id.value,
                id_bi=index[r.id.value],
                id_masked=r.id.masked,
                sex=r.id.sex,
                birth_date=r.id.birth_date,
                name=r.name,
                retirement_group=_retirement_group(r.id.sex, r.retirement_group or ""),
                phone=r.phone or "",
                education=r.education or "",
            )
            for r in rows
        ]
        try:
            with transaction.atomic():  # a concurrent registration of one of them loses here
                Person.objects.bulk_create(people)
        except IntegrityError:
            raise _duplicate() from None
        for row, person in zip(rows, people, strict=True):
            self.ids[row.id.value] = person.pk
            self.versions[person.pk] = person.version
        HukouRecord.objects.bulk_create(
            HukouRecord(
                person_id=p.pk,
                region_id=r.hukou_region,
                hukou_type=r.hukou_type,
                start=r.hukou_since or self.today,
            )
            for r, p in zip(rows, people, strict=True)
        )
        PersonEvent.objects.bulk_create(
            self._event(p.pk, "registered", hukou_region=r.hukou_region, hukou_type=r.hukou_type)
            for r, p in zip(rows, people, strict=True)
        )
        _audit(
            self.actor,
            [
                ("people.register_person", p, {"hukou_region": r.hukou_region})
                for r, p in zip(rows, people, strict=True)
            ],
            self.batch_id,
        )
        return {"persons_created": len(people)}

    def _update(self, updates: list[Update]) -> dict[str, int]:
        if not updates:
            return {}
        locked = self._lock([(u.person_id, u.row) for u in updates])
        changed = [u for u in updates if u.fields]
        by_fields: dict[tuple[str, ...], list[Person]] = {}
        for update in changed:
            person = locked[update.person_id]
            for name, value in update.fields.items():
                setattr(person, name, value)
            by_fields.setdefault(tuple(sorted(update.fields)), []).append(person)
        for names, group in by_fields.items():
            Person.objects.bulk_update(group, list(names))
        events = [self._event(u.person_id, "updated", fields=sorted(u.fields)) for u in changed]
        audits: list[tuple[str, models.Model, dict[str, Any]]] = [
            ("people.update_person", locked[u.person_id], {"fields": sorted(u.fields)})
            for u in changed
        ]
        moving = [u for u in updates if u.hukou]
        current = {
            h.person_id: h
            for h in HukouRecord.objects.filter(
                person_id__in=[u.person_id for u in moving], end__isnull=True
            )
        }
        ended: list[HukouRecord] = []
        started: list[tuple[Update, HukouRecord, int | None]] = []
        for update in moving:
            on = update.row.hukou_since or self.today
            previous = current.get(update.person_id)
            if previous is not None:
                if on < previous.start:
                    raise _at(
                        update.row,
                        InvalidInputError(
                            "date_order",
                            _("户籍变更日期不能早于现有户籍记录的开始日期 %(d)s")
                            % {"d": previous.start.isoformat()},
                            "hukou_since",
                        ),
                    )
                previous.end = on
                ended.append(previous)
            new = HukouRecord(
                person_id=update.person_id,
                region_id=update.row.hukou_region,
                hukou_type=update.row.hukou_type,
                start=on,
            )
            started.append((update, new, previous.region_id if previous else None))
        HukouRecord.objects.bulk_update(ended, ["end"])
        HukouRecord.objects.bulk_create([new for _u, new, _p in started])
        for update, new, previous_region in started:
            events.append(
                self._event(
                    update.person_id,
                    "hukou_changed",
                    region=new.region_id,
                    previous=previous_region,
                    on=new.start.isoformat(),
                )
            )
            audits.append(
                ("people.change_hukou", new, {"from": previous_region, "to": new.region_id})
            )
        PersonEvent.objects.bulk_create(events)
        _audit(self.actor, audits, self.batch_id)
        return {"persons_updated": len(changed), "hukou_changed": len(started)}

    # -- households ----------------------------------------------------------------------

    def _person(self, row: PersonRow) -> int:
        found = self.ids.get(row.id.value)
        if found is None:
            found = _person_id(row)
            self.ids[row.id.value] = found
        return found

    def leave(self, moves: list[Move]) -> dict[str, int]:
        """End the current memberships of persons who move to another household."""
        self._lock([(self._person(m.row), m.row) for m in moves])
        current = {
            m.pk: m
            for m in Membership.objects.select_related("household").filter(
                pk__in=[m.ending for m in moves], end__isnull=True
            )
        }
        low, high = _caseworker(self.actor)
        ended: list[Membership] = []
        for move in moves:
            membership = current.get(move.ending or 0)
            if membership is None or membership.person_id != self._person(move.row):
                raise _at(move.row, _changed_meanwhile())
            if not low <= membership.household.region_id < high:
                raise _at(
                    move.row,
                    AccessDeniedError(
                        _("此人现在所在的户不在您的管辖范围内，不能办理迁出"),
                        code="outside_jurisdiction",
                    ),
                )
            end = move.row.member_since or self.today
            if end < membership.start:
                raise _at(
                    move.row,
                    InvalidInputError(
                        "date_order",
                        _("入户日期不能早于此人在现有一户的入户日期 %(d)s")
                        % {"d": membership.start.isoformat()},
                        "member_since",
                    ),
                )
            membership.end = end
            ended.append(membership)
        Membership.objects.bulk_update(ended, ["end"])
        PersonEvent.objects.bulk_create(
            self._event(
                m.person_id, "household_left", household=m.household_id, on=m.end.isoformat()
            )
            for m in ended
            if m.end is not None
        )
        _audit(self.actor, [("people.end_membership", m, {}) for m in ended], self.batch_id)
        return {"memberships_ended": len(ended)}

    def join(self, moves: list[Move]) -> dict[str, int]:
        """Create the new households (their heads first) and add the other members."""
        persons = self._lock([(self._person(m.row), m.row) for m in moves])
        audits: list[tuple[str, models.Model, dict[str, Any]]] = []
        new_keys = [
            m.key
            for m in moves
            if m.household_id is None
            and m.key not in self.households
            and m.row.relationship == Relationship.HEAD
        ]
        created = self._new_households(new_keys, audits) if new_keys else set()
        targets = {m.row.row: m.household_id or self.households.get(m.key) for m in moves}
        for move in moves:
            if targets[move.row.row] is None:  # a member before her new household's head
                raise _at(move.row, _changed_meanwhile())
        ids = {t for t in targets.values() if t is not None}
        allowed = set(
            access.households_for(self.actor).filter(pk__in=ids).values_list("pk", flat=True)
        )
        heads = set(
            Membership.objects.filter(
                household_id__in=ids, relationship=Relationship.HEAD, end__isnull=True
            ).values_list("household_id", flat=True)
        )
        inside = set(
            Membership.objects.filter(person_id__in=list(persons), end__isnull=True).values_list(
                "person_id", flat=True
            )
        )
        members: list[Membership] = []
        for move in moves:
            household_id = targets[move.row.row]
            person_id = self._person(move.row)
            start = move.row.member_since or self.today
            if household_id not in allowed:
                raise _at(
                    move.row,
                    AccessDeniedError(_("这一户不在您的管辖范围内"), code="outside_jurisdiction"),
                )
            if move.row.relationship == Relationship.HEAD:
                if household_id in heads:
                    raise _at(
                        move.row,
                        ConflictError("household_has_head", _("这一户已经有户主"), "relationship"),
                    )
                heads.add(household_id)
            if person_id in inside:
                raise _at(
                    move.row,
                    ConflictError(
                        "already_in_household",
                        _("此人已经是另一户的成员，请先办理迁出"),
                        "household",
                    ),
                )
            inside.add(person_id)
            if start < persons[person_id].birth_date:
                raise _at(
                    move.row,
                    InvalidInputError("date_order", _("入户日期不能早于出生日期"), "member_since"),
                )
            members.append(
                Membership(
                    household_id=household_id,
                    person_id=person_id,
                    relationship=move.row.relationship,
                    start=start,
                )
            )
        try:
            with transaction.atomic():  # a concurrent change of one of them loses here
                Membership.objects.bulk_create(members)
        except IntegrityError:
            raise _changed_meanwhile() from None
        PersonEvent.objects.bulk_create(
            self._event(
                m.person_id,
                "household_joined",
                household=m.household_id,
                relationship=m.relationship,
            )
            for m in members
        )
        audits += [
            ("people.add_member", m, {"household": m.household_id})
            for m in members
            if not (m.household_id in created and m.relationship == Relationship.HEAD)
        ]
        _audit(self.actor, audits, self.batch_id)
        return {"memberships_started": len(members), "households_created": len(created)}

    def _new_households(
        self, keys: list[tuple[int, str]], audits: list[tuple[str, models.Model, dict[str, Any]]]
    ) -> set[int]:
        """Create the households new to the registry, with their 户号; their ids."""
        keys = list(dict.fromkeys(keys))
        low, high = _caseworker(self.actor)
        for region, _number in keys:
            if not low <= region < high:
                raise AccessDeniedError(
                    _("%(c)s 不在您所在机构的管辖范围内") % {"c": region},
                    code="outside_jurisdiction",
                )
        households = [Household(region_id=region) for region, _number in keys]
        Household.objects.bulk_create(households)
        try:
            with transaction.atomic():  # the same 户号 created meanwhile loses here
                HouseholdNumber.objects.bulk_create(
                    HouseholdNumber(household_id=h.pk, region_id=key[0], number=key[1])
                    for key, h in zip(keys, households, strict=True)
                )
        except IntegrityError:
            raise _changed_meanwhile() from None
        for key, household in zip(keys, households, strict=True):
            self.households[key] = household.pk
            audits.append(("people.create_household", household, {"region": key[0]}))
        return {h.pk for h in households}


def _changed_meanwhile() -> ConflictError:
    return ConflictError(
        "import_registry_changed",
        _("这一行涉及的登记数据在导入期间被改动了，这一批中尚未导入的行没有导入"),
    )


def _duplicate() -> ConflictError:
    return ConflictError("duplicate_id_number", _("这个身份号码已经登记过了"), "id_number")


def _person_id(row: PersonRow) -> int:
    return Person.objects.only("pk").get(id_bi=crypto.blind_index(row.id.value, "id_number")).pk


def _audit(
    actor: User | None,
    entries: list[tuple[str, models.Model, dict[str, Any]]],
    batch_id: int,
) -> None:
    """One audit event per change, naming the batch, inside the chunk's transaction: if the
    audit write fails, the chunk fails with it (fail closed, ``AuditWriteError``)."""
    record_many(
        actor, [(name, target, {**detail, "import": batch_id}) for name, target, detail in entries]
    )


def report_lines(batch: ImportBatch) -> Iterable[list[str]]:
    """The report's problems as CSV rows (heading first), for the download."""
    yield [_("行号"), _("列"), _("问题"), _("正确的写法"), _("代码")]
    for problem in [*batch.report.get("problems", []), *batch.report.get("duplicate_rows", [])]:
        yield [
            str(problem["row"]),
            problem["column"],
            problem["problem"],
            problem["expected"],
            problem["code"],
        ]
