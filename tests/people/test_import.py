"""Importing persons and households: dry-run reports with every bad row, confirmation of
exactly the checked file, idempotent re-imports keyed on the ID number, encodings, xlsx,
limits and access (through the actions, the API, the pages and the CLI)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import os
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

import openpyxl  # type: ignore[import-untyped]  # no stubs installed
import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from liudong.audit.models import AuditEvent
from liudong.cli import app
from liudong.people import actions, imports
from liudong.people.models import (
    HouseholdNumber,
    HukouRecord,
    ImportBatch,
    Membership,
    Person,
    PersonEvent,
)
from liudong.site.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
)
from liudong.tasks import run_pending
from liudong.tasks import status as task_status
from tests.factories import id_number
from tests.personas import login

if TYPE_CHECKING:
    from tests.personas import World

pytestmark = pytest.mark.django_db

HEADINGS = ["公民身份号码", "姓名", "性别", "户籍地行政区划代码", "户口性质", "手机号码"]
HEADINGS += ["户号", "与户主关系"]
ADA = id_number(110105, dt.date(1980, 5, 1), "F", 11)
BO = id_number(110105, dt.date(1978, 2, 3), "M", 12)
CY = id_number(110105, dt.date(2010, 9, 9), "M", 13)


def csv_bytes(
    rows: list[dict[str, str]], headings: list[str] = HEADINGS, bom: bool = True
) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, headings, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def person(number: str, name: str, **more: str) -> dict[str, str]:
    return {"公民身份号码": number, "姓名": name, "户籍地行政区划代码": "110105"} | {
        "户口性质": "居民户口",
        **more,
    }


def family() -> list[dict[str, str]]:
    return [
        person(ADA, "白艾达", 户号="110105001", 与户主关系="户主", 性别="女"),
        person(BO, "白博", 户号="110105001", 与户主关系="配偶", 手机号码="13800000000"),
        person(CY, "白小川", 户号="110105001", 与户主关系="子女"),
    ]


def dry_run(world: World, data: bytes, filename: str = "persons.csv") -> ImportBatch:
    return imports.do_dry_run_import(world.beijing_caseworker, filename=filename, data=data)


def confirm(world: World, batch: ImportBatch) -> ImportBatch:
    """Confirm (the checks, then a background task) and run the task; the batch after it."""
    confirmed = imports.do_confirm_import(world.beijing_caseworker, batch.pk, sm3=batch.sm3)
    assert confirmed.status == "applying"
    run_pending()
    confirmed.refresh_from_db()
    return confirmed


def problems(batch: ImportBatch) -> set[tuple[int, str, str]]:
    return {(p["row"], p["field"], p["code"]) for p in batch.report["problems"]}


def registry() -> dict[str, Any]:
    """The state an import may change, without database keys or timestamps."""
    persons = {
        p.pk: (p.id_number, p.name, p.sex, p.birth_date, p.retirement_group, p.phone, p.education)
        for p in Person.objects.all()
    }
    return {
        "persons": sorted(persons.values()),
        "hukou": sorted(
            (persons[h.person_id][0], h.region_id, h.hukou_type, h.end is None)
            for h in HukouRecord.objects.all()
        ),
        "members": sorted(
            (persons[m.person_id][0], m.household_id, m.relationship, m.end is None)
            for m in Membership.objects.all()
        ),
        "households": HouseholdNumber.objects.count(),
    }


def register_a_child_by_hand(world: World) -> None:
    """A caseworker registers the family's child (CY) at the counter: the registry changes
    under a dry run of :func:`family`."""
    actions.do_register_person(
        world.beijing_caseworker,
        id_number=CY,
        name="白小川",
        hukou_region=110105,
        hukou_type="unified",
    )


# ---------------------------------------------------------------------------------------------
# Dry run and confirmation.


def test_every_bad_row_is_reported_and_nothing_is_stored_until_confirmed(world: World) -> None:
    wrong_check = ADA[:17] + ("0" if ADA[17] != "0" else "1")
    rows = [
        person(wrong_check, "错校验"),  # row 2
        person(BO, ""),  # row 3: no name
        person(CY, "白小川", 户口性质="城市户口"),  # row 4: not a choice
        person(id_number(110105, dt.date(1990, 1, 1), "M", 14), "错性别", 性别="女"),  # row 5
        person(
            id_number(310115, dt.date(2000, 1, 1), "M", 15), "外地", 户籍地行政区划代码="310115"
        ),
        person(id_number(110105, dt.date(1991, 1, 1), "M", 16), "好人"),  # row 7: fine
        person("1101051990", "太短", 户籍地行政区划代码="999999"),  # row 8: two problems
    ]
    before = registry()
    batch = dry_run(world, csv_bytes(rows))
    assert problems(batch) == {
        (2, "id_number", "id_check_digit"),
        (3, "name", "required"),
        (4, "hukou_type", "invalid_choice"),
        (5, "sex", "sex_mismatch"),
        (6, "hukou_region", "outside_jurisdiction"),
        (8, "id_number", "id_length"),
        (8, "hukou_region", "unknown_region"),
    }
    report = batch.report
    assert (report["rows"], report["errors"], report["new"]) == (7, 6, 1)
    check = next(p for p in report["problems"] if p["code"] == "id_check_digit")
    assert check["column"] == "公民身份号码"
    assert f"校验码应为“{ADA[17]}”" in check["expected"]
    sex = next(p for p in report["problems"] if p["code"] == "sex_mismatch")
    assert "男" in sex["expected"]
    assert registry() == before  # the dry run stored no person
    assert batch.status == "dry_run"
    with pytest.raises(InvalidInputError) as refused:
        confirm(world, batch)
    assert refused.value.code == "import_has_errors"
    assert registry() == before
    assert AuditEvent.objects.filter(action="people.confirm_import", outcome="rejected").exists()


def test_confirm_imports_persons_and_household_once(world: World) -> None:
    batch = dry_run(world, csv_bytes(family()))
    report = batch.report
    assert (report["new"], report["updated"], report["unchanged"], report["errors"]) == (3, 0, 0, 0)
    assert report["new_households"] == 1
    assert not Person.objects.filter(name="白艾达").exists()
    applied = confirm(world, batch)
    assert applied.status == "applied"
    ada = Person.objects.get(name="白艾达")
    assert ada.id_number == ADA  # stored encrypted, read back
    assert ada.id_bi == actions.id_number_index(ADA)
    assert Person.objects.get(name="白博").phone == "13800000000"
    number = HouseholdNumber.objects.get(number="110105001")
    assert sorted(number.household.memberships.values_list("person__name", "relationship")) == [
        ("白博", "spouse"),
        ("白小川", "child"),
        ("白艾达", "head"),
    ]
    assert AuditEvent.objects.filter(action="people.register_person").count() == 3
    assert AuditEvent.objects.filter(action="people.confirm_import", outcome="ok").count() == 1

    with pytest.raises(ConflictError) as again:
        confirm(world, batch)
    assert again.value.code == "import_already_applied"
    assert Person.objects.filter(name__startswith="白").count() == 3


def test_reimport_updates_what_changed_and_never_duplicates(world: World) -> None:
    confirm(world, dry_run(world, csv_bytes(family())))
    state = registry()
    same = dry_run(world, csv_bytes(family()))
    assert (same.report["new"], same.report["updated"], same.report["unchanged"]) == (0, 0, 3)
    confirm(world, same)
    assert registry() == state

    changed = family()
    changed[0]["姓名"] = "白艾达华"
    changed[2]["户口性质"] = "非农业户口"
    changed[1]["手机号码"] = ""  # empty: leave the stored number as it is
    batch = dry_run(world, csv_bytes(changed))
    assert (batch.report["new"], batch.report["updated"], batch.report["unchanged"]) == (0, 2, 1)
    confirm(world, batch)
    assert Person.objects.filter(name__startswith="白").count() == 3
    assert Person.objects.get(name="白艾达华").events.filter(kind="updated").exists()
    assert Person.objects.get(name="白博").phone == "13800000000"
    child = Person.objects.get(name="白小川")
    assert list(child.hukou.order_by("pk").values_list("hukou_type", flat=True)) == [
        "unified",
        "urban",
    ]
    assert AuditEvent.objects.filter(action="people.update_person").count() == 1
    assert AuditEvent.objects.filter(action="people.change_hukou").count() == 1


def test_household_changes_keep_history(world: World) -> None:
    confirm(world, dry_run(world, csv_bytes(family())))
    moved = family()
    moved[2].update(户号="110105002", 与户主关系="户主")
    batch = dry_run(world, csv_bytes(moved))
    assert (batch.report["updated"], batch.report["new_households"]) == (1, 1)
    confirm(world, batch)
    child = Person.objects.get(name="白小川")
    assert list(child.memberships.order_by("pk").values_list("relationship", "end")) == [
        ("child", dt.date.today()),  # noqa: DTZ011  # the import ends it today
        ("head", None),
    ]


def test_household_rules_are_reported(world: World) -> None:
    no_head = [person(ADA, "白艾达", 户号="H1", 与户主关系="配偶")]
    two_heads = [
        person(BO, "白博", 户号="H2", 与户主关系="户主"),
        person(CY, "白小川", 户号="H2", 与户主关系="户主"),
    ]
    no_number = [
        person(id_number(110105, dt.date(1990, 1, 1), "M", 20), "无户号", 与户主关系="子女")
    ]
    batch = dry_run(world, csv_bytes(no_head + two_heads + no_number))
    assert problems(batch) == {
        (2, "relationship", "household_without_head"),
        (4, "relationship", "household_has_head"),
        (5, "household", "required"),
    }


def test_duplicate_and_conflicting_id_numbers_are_reported_never_a_crash(world: World) -> None:
    rows = [
        person(ADA, "白艾达"),
        person(ADA, "白艾达"),  # identical: a duplicate, imported once
        person(BO, "白博"),
        person(BO.lower(), "白博士"),  # the same number, other data: a conflict
    ]
    batch = dry_run(world, csv_bytes(rows))
    assert problems(batch) == {
        (4, "id_number", "conflicting_rows"),
        (5, "id_number", "conflicting_rows"),
    }
    conflict = next(p for p in batch.report["problems"] if p["row"] == 5)
    assert "第4行" in conflict["problem"]
    assert "姓名" in conflict["problem"]
    assert BO not in json.dumps(batch.report, ensure_ascii=False)  # masked, never in full
    assert [d["row"] for d in batch.report["duplicate_rows"]] == [3]
    assert batch.report["duplicates"] == 1

    fixed = dry_run(world, csv_bytes(rows[:3]))
    assert (fixed.report["new"], fixed.report["duplicates"], fixed.report["errors"]) == (2, 1, 0)
    confirm(world, fixed)
    assert Person.objects.filter(id_bi=actions.id_number_index(ADA)).count() == 1


def test_confirm_refuses_when_the_registry_changed_since_the_dry_run(world: World) -> None:
    batch = dry_run(world, csv_bytes(family()))
    register_a_child_by_hand(world)
    before = registry()
    with pytest.raises(ConflictError) as refused:
        confirm(world, batch)
    assert refused.value.code == "import_registry_changed"
    assert registry() == before


def test_confirm_refuses_a_changed_file(world: World) -> None:
    batch = dry_run(world, csv_bytes(family()))
    with pytest.raises(ConflictError) as other:
        imports.do_confirm_import(world.beijing_caseworker, batch.pk, sm3="0" * 64)
    assert other.value.code == "import_file_changed"
    blob = bytearray(batch.blob)
    blob[-20] ^= 1
    ImportBatch.objects.filter(pk=batch.pk).update(blob=bytes(blob))
    with pytest.raises(ConflictError) as tampered:
        confirm(world, batch)
    assert tampered.value.code == "import_integrity"
    assert not Person.objects.filter(name="白艾达").exists()


# ---------------------------------------------------------------------------------------------
# Confirmation as a background task: chunks, progress, failure, resumption after a crash.


def big_family() -> list[dict[str, str]]:
    """Seven persons: a new household of three, one of four (heads first in each)."""
    rows = family()
    for serial, relationship in ((40, "户主"), (41, "配偶"), (42, "子女"), (43, "子女")):
        sex = "M" if serial % 2 else "F"
        rows.append(
            person(
                id_number(110105, dt.date(1960 + serial, 3, 3), sex, serial),
                f"黄{serial}",
                户号="110105002",
                与户主关系=relationship,
            )
        )
    return rows


def snapshot() -> dict[str, Any]:
    """What an import leaves, without keys or times: persons (with their version), hukou,
    memberships by 户号, history rows and audit events by kind."""
    numbers = dict(HouseholdNumber.objects.values_list("household_id", "number"))
    ids = {p.pk: p.id_number for p in Person.objects.all()}
    return {
        "persons": sorted(
            (p.id_number, p.name, p.phone, p.retirement_group, p.version)
            for p in Person.objects.all()
        ),
        "hukou": sorted(
            (ids[h.person_id], h.region_id, h.hukou_type, str(h.end))
            for h in HukouRecord.objects.all()
        ),
        "members": sorted(
            (ids[m.person_id], str(numbers.get(m.household_id)), m.relationship, str(m.end))
            for m in Membership.objects.all()
        ),
        "events": sorted(Counter(PersonEvent.objects.values_list("kind", flat=True)).items()),
        "audit": sorted(
            Counter(
                AuditEvent.objects.filter(action__startswith="people.").values_list(
                    "action", "outcome"
                )
            ).items()
        ),
    }


class WorkerKilled(BaseException):  # stands for SIGKILL: nothing catches it
    """The worker process dies in the middle of the task."""


@pytest.mark.django_db(transaction=True)  # chunks commit, as in a worker: no test transaction
def test_a_task_whose_worker_died_resumes_and_ends_as_a_clean_import(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "APPLY_CHUNK", 2)
    data = csv_bytes(big_family())
    with transaction.atomic():  # the reference: the same file imported without a crash
        clean_batch = confirm(world, dry_run(world, data))
        assert clean_batch.status == "applied"
        clean = snapshot()
        transaction.set_rollback(True)

    batch = imports.do_confirm_import(world.beijing_caseworker, dry_run(world, data).pk)
    original = imports._Writer.persons
    chunks: list[int] = []

    def dies_at_the_second_chunk(self: Any, chunk: list[Any]) -> dict[str, int]:
        if chunks:
            raise WorkerKilled
        chunks.append(len(chunk))
        return original(self, chunk)

    monkeypatch.setattr(imports._Writer, "persons", dies_at_the_second_chunk)
    assert run_pending() == 1
    monkeypatch.setattr(imports._Writer, "persons", original)
    batch.refresh_from_db()
    assert batch.status == "applying"
    assert batch.applied == {"persons_created": 2}  # the first chunk committed
    assert Person.objects.filter(name__startswith="白").count() == 2
    # What a killed worker leaves: the task RUNNING under a worker that no longer beats.
    DBTaskResult.objects.filter(pk=batch.task_id).update(
        status=TaskResultStatus.RUNNING,
        worker_ids=["worker-that-died"],
        started_at=timezone.now() - dt.timedelta(hours=1),
        finished_at=None,
    )

    assert run_pending() == 1  # recovered (back in the queue) and run again
    batch.refresh_from_db()
    assert batch.status == "applied"
    assert snapshot() == clean  # no duplicate, nothing missing, the same history and audit
    assert Person.objects.count() == len(clean["persons"])
    assert batch.applied == {
        "persons_created": 7,
        "memberships_started": 7,
        "households_created": 2,
    }
    task = task_status(batch.task_id)
    assert (task["state"], task["attempts"], task["recoveries"]) == ("SUCCESSFUL", 2, 1)


def test_progress_is_reported_per_chunk(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "APPLY_CHUNK", 2)
    reported: list[tuple[int, int]] = []
    monkeypatch.setattr(
        imports, "report_progress", lambda done, total, message="": reported.append((done, total))
    )
    confirm(world, dry_run(world, csv_bytes(big_family())))
    # 7 persons in chunks of 2, then 7 memberships (heads first) in chunks of 2
    first_phase = [(0, 14), (2, 14), (4, 14), (6, 14), (7, 14)]
    assert reported == [*first_phase, (9, 14), (11, 14), (13, 14), (14, 14)]


def test_a_row_refused_in_a_later_chunk_fails_the_batch_and_keeps_earlier_chunks(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "APPLY_CHUNK", 2)
    rows = big_family()
    meanwhile = rows[2]  # row 4 of the file, in the second chunk

    def another_caseworker_registers_row_4(done: int, total: int, message: str = "") -> None:
        if done == 2:  # between the first and the second chunk
            actions.do_register_person(
                world.beijing_caseworker,
                id_number=meanwhile["公民身份号码"],
                name="别人先登记",
                hukou_region=110105,
                hukou_type="unified",
            )

    monkeypatch.setattr(imports, "report_progress", another_caseworker_registers_row_4)
    batch = confirm(world, dry_run(world, csv_bytes(rows)))
    assert batch.status == "failed"
    assert batch.failure.startswith("第4行")
    assert "已经登记过了" in batch.failure
    assert batch.applied == {"persons_created": 2}  # the first chunk stays
    assert Person.objects.filter(name__startswith="白").count() == 2
    assert AuditEvent.objects.filter(action="people.apply_import", outcome="rejected").exists()
    page = login(Client(), world.beijing_caseworker).get(f"/people/import/{batch.pk}/")
    shown = page.content.decode()
    assert "导入失败" in shown
    assert "这个身份号码已经登记过了" in shown
    assert "目前已写入" in shown  # what the first chunk wrote
    with pytest.raises(ConflictError) as again:
        imports.do_confirm_import(world.beijing_caseworker, batch.pk)
    assert again.value.code == "import_failed"
    rest = dry_run(world, csv_bytes(rows))  # a new dry run shows what is left
    assert (rest.report["new"], rest.report["errors"]) == (4, 0)  # rows 5 to 8: not yet


def test_a_registry_changed_before_the_task_ran_fails_it_with_nothing_written(
    world: World,
) -> None:
    batch = imports.do_confirm_import(
        world.beijing_caseworker, dry_run(world, csv_bytes(family())).pk
    )
    register_a_child_by_hand(world)
    before = registry()
    run_pending()
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert "登记数据已有变化" in batch.failure
    assert registry() == before


def test_a_confirmation_whose_runner_stopped_can_be_resumed(world: World) -> None:
    batch = dry_run(world, csv_bytes(family()))
    # the CLI confirms without a task and writes in its own process; say it was killed
    imports.do_confirm_import(world.beijing_caseworker, batch.pk, background=False)
    with pytest.raises(ConflictError) as busy:
        imports.do_confirm_import(world.beijing_caseworker, batch.pk)
    assert busy.value.code == "import_in_progress"
    ImportBatch.objects.filter(pk=batch.pk).update(
        confirmed_at=timezone.now() - dt.timedelta(hours=1)
    )
    resumed = imports.do_confirm_import(world.beijing_caseworker, batch.pk)
    assert resumed.status == "applying"
    assert resumed.task_id
    assert run_pending() == 1
    resumed.refresh_from_db()
    assert resumed.status == "applied"
    assert Person.objects.filter(name__startswith="白").count() == 3


def generated(rows: int, name: str = "人") -> bytes:
    """``rows`` new persons in households of three (each head first)."""
    table = []
    for n in range(rows):
        number = id_number(110105, dt.date(1950, 1, 1) + dt.timedelta(days=n // 400), "M", n % 400)
        relationship = "户主" if n % 3 == 0 else "子女"
        table.append(person(number, f"{name}{n}", 户号=f"G{n // 3}", 与户主关系=relationship))
    return csv_bytes(table)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # each chunk commits, as in a worker
def test_a_large_file_is_written_in_chunks_and_timed(world: World) -> None:
    """2,000 rows (4 chunks of persons, 4 of memberships), then a re-import changing every
    name; prints the milliseconds per row of confirmation plus task (run with ``-s``)."""
    rows = int(os.environ.get("LIUDONG_IMPORT_BENCH_ROWS", "2000"))
    for name, written in (("人", "persons_created"), ("新名", "persons_updated")):
        batch = dry_run(world, generated(rows, name))
        start = time.perf_counter()
        applied = confirm(world, batch)
        took = time.perf_counter() - start
        assert applied.status == "applied", applied.failure
        assert applied.applied[written] == rows
        print(f"\n{written}: {rows} rows, {took:.2f} s, {took * 1000 / rows:.2f} ms/row")
    assert Person.objects.filter(name__startswith="新名").count() == rows


# ---------------------------------------------------------------------------------------------
# Files: encodings, formats, limits.


def test_a_non_utf8_csv_gets_a_clear_error(world: World) -> None:
    gbk = csv_bytes(family(), bom=False).decode().encode("gbk")
    with pytest.raises(InvalidInputError) as refused:
        dry_run(world, gbk)
    message = refused.value.message
    assert refused.value.code == "import_encoding"
    assert "UTF-8" in message
    assert "第1行" in message  # the headings are the first non-ASCII bytes
    assert "GBK" in message
    assert "CSV UTF-8" in message
    assert not ImportBatch.objects.exists()

    late = ("\ufeff" + "公民身份号码,姓名,户籍地行政区划代码,户口性质\r\n").encode()
    late += f"{ADA},".encode() + "白艾达".encode("gbk") + b",110105,rural\r\n"
    with pytest.raises(InvalidInputError) as second_row:
        dry_run(world, late)
    assert "第2行" in second_row.value.message


def test_utf16_and_old_excel_files_are_named(world: World) -> None:
    with pytest.raises(InvalidInputError) as utf16:
        dry_run(world, csv_bytes(family(), bom=False).decode().encode("utf-16"))
    assert utf16.value.code == "import_encoding"
    with pytest.raises(InvalidInputError) as xls:
        dry_run(world, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert xls.value.code == "import_xls"


def test_english_headings_and_plain_utf8_are_accepted(world: World) -> None:
    rows = [{"id_number": ADA, "name": "Ada", "hukou_region": "110105", "hukou_type": "rural"}]
    batch = dry_run(
        world, csv_bytes(rows, ["id_number", "name", "hukou_region", "hukou_type"], False)
    )
    assert (batch.report["new"], batch.report["errors"]) == (1, 0)


def test_unknown_and_missing_headings_are_refused(world: World) -> None:
    with pytest.raises(InvalidInputError) as unknown:
        dry_run(
            world, csv_bytes([], ["公民身份号码", "姓名", "户籍地行政区划代码", "户口性质", "籍贯"])
        )
    assert unknown.value.code == "import_unknown_column"
    assert "籍贯" in unknown.value.message
    with pytest.raises(InvalidInputError) as missing:
        dry_run(world, csv_bytes([person(ADA, "白艾达")], ["公民身份号码", "姓名"]))
    assert missing.value.code == "import_missing_column"
    assert "户籍地行政区划代码" in missing.value.message


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_works_and_ids_stored_as_numbers_are_caught(world: World) -> None:
    data = xlsx_bytes(
        [
            ["公民身份号码", "姓名", "出生日期", "户籍地行政区划代码", "户口性质"],
            [ADA, "白艾达", dt.datetime(1980, 5, 1), 110105, "居民户口"],  # noqa: DTZ001
            [int(BO[:17] + "0") if BO[17] != "X" else 0, "白博", None, 110105, "居民户口"],
        ]
    )
    batch = dry_run(world, data, filename="名单.csv")  # the bytes decide, not the name
    assert batch.file_format == "xlsx"
    assert problems(batch) == {(3, "id_number", "id_stored_as_number")}
    good = dry_run(
        world,
        xlsx_bytes(
            [
                ["公民身份号码", "姓名", "户籍地行政区划代码", "户口性质"],
                [ADA, "白艾达", "110105", "农业户口"],
            ]
        ),
    )
    confirm(world, good)
    assert Person.objects.get(name="白艾达").hukou.get().hukou_type == "rural"


def test_oversize_files_are_refused(world: World, settings: Any) -> None:
    settings.LIUDONG_IMPORT_MAX_BYTES = 1000
    with pytest.raises(PayloadTooLargeError) as big:
        dry_run(world, csv_bytes(family()) + b" " * 1000)
    assert big.value.code == "import_too_large"
    settings.LIUDONG_IMPORT_MAX_BYTES = 10 * 1024 * 1024
    settings.LIUDONG_IMPORT_MAX_ROWS = 2
    with pytest.raises(PayloadTooLargeError) as many:
        dry_run(world, csv_bytes(family()))
    assert many.value.code == "import_too_many_rows"
    assert not ImportBatch.objects.exists()


def test_the_default_limits() -> None:
    assert imports.max_bytes() == 10 * 1024 * 1024
    assert imports.max_rows() == 50_000


# ---------------------------------------------------------------------------------------------
# API, pages, CLI, access.


def api_post(client: Client, path: str, **kwargs: Any) -> Any:
    return client.post(path, headers={"Idempotency-Key": str(uuid.uuid4())}, **kwargs)


def test_api_multipart_dry_run_then_confirm(world: World) -> None:
    client = login(Client(), world.beijing_caseworker)
    upload = io.BytesIO(csv_bytes(family()))
    upload.name = "persons.csv"
    created = api_post(client, "/api/people/imports", data={"file": upload})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["report"]["new"]) == ("dry_run", 3)
    assert client.get(f"/api/people/imports/{body['id']}").json()["sm3"] == body["sm3"]
    path = f"/api/people/imports/{body['id']}/confirm"
    done = api_post(
        client, path, data=json.dumps({"sm3": body["sm3"]}), content_type="application/json"
    )
    assert done.status_code == 202, done.content  # accepted: a background task writes it
    accepted = done.json()
    assert accepted["status"] == "applying"
    assert accepted["task_url"] == f"/api/tasks/{accepted['task_id']}"
    assert not Person.objects.filter(name__startswith="白").exists()
    busy = api_post(client, path, data="{}", content_type="application/json")
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "import_in_progress"
    assert run_pending() == 1
    task = client.get(accepted["task_url"]).json()
    assert (task["state"], task["progress"]["done"], task["progress"]["total"]) == (
        "SUCCESSFUL",
        6,  # 3 persons registered, 3 memberships started
        6,
    )
    applied = client.get(f"/api/people/imports/{body['id']}").json()
    assert applied["status"] == "applied"
    assert applied["written"] == {
        "persons_created": 3,
        "memberships_started": 3,
        "households_created": 1,
    }
    again = api_post(client, path, data="{}", content_type="application/json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "import_already_applied"
    assert Person.objects.filter(name__startswith="白").count() == 3


def test_the_api_takes_import_files_beyond_the_platform_request_limit(
    world: World, settings: Any
) -> None:
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024  # the platform's cap stays
    rows = [
        person(id_number(110105, dt.date(1985, 1, 1), "M", n), f"大文件{n}", 备注="备" * 40_000)
        for n in range(50, 80)
    ]
    data = csv_bytes(rows, [*HEADINGS, "备注"])
    assert 3 * 1024 * 1024 < len(data) < imports.max_bytes()
    client = login(Client(), world.beijing_caseworker)
    upload = io.BytesIO(data)
    upload.name = "big.csv"
    multipart = api_post(client, "/api/people/imports", data={"file": upload})
    assert multipart.status_code == 201, multipart.content[:300]
    assert multipart.json()["report"]["new"] == 30
    as_json = json.dumps({"filename": "big.csv", "content_base64": base64.b64encode(data).decode()})
    assert len(as_json) > 4 * 1024 * 1024
    sent = api_post(client, "/api/people/imports", data=as_json, content_type="application/json")
    assert sent.status_code == 201, sent.content[:300]
    # every other operation keeps the platform's limit
    other = api_post(client, "/api/people/persons", data=as_json, content_type="application/json")
    assert other.status_code == 413
    assert other.json()["error"]["code"] == "body_too_large"
    # past the import's own limit: 413 naming it
    settings.LIUDONG_IMPORT_MAX_BYTES = 1024 * 1024
    upload.seek(0)
    too_big = api_post(client, "/api/people/imports", data={"file": upload})
    assert too_big.status_code == 413
    error = too_big.json()["error"]
    assert (error["code"], error["field"]) == ("body_too_large", "body")
    assert str(1024 * 1024 * 4 // 3 + 64 * 1024) in error["message"]


def test_api_json_upload_and_clear_errors(world: World) -> None:
    client = login(Client(), world.beijing_caseworker)
    gbk = base64.b64encode(csv_bytes(family(), bom=False).decode().encode("gbk")).decode()
    refused = api_post(
        client,
        "/api/people/imports",
        data=json.dumps({"filename": "gbk.csv", "content_base64": gbk}),
        content_type="application/json",
    )
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("import_encoding", "file")
    assert "CSV UTF-8" in error["message"]


def test_citizens_may_not_import(world: World) -> None:
    client = login(Client(), world.henan_migrant)
    data = base64.b64encode(csv_bytes(family())).decode()
    refused = api_post(
        client,
        "/api/people/imports",
        data=json.dumps({"filename": "x.csv", "content_base64": data}),
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert client.get("/people/import/").status_code == 403
    batch = dry_run(world, csv_bytes(family()))
    assert client.get(f"/api/people/imports/{batch.pk}").status_code == 404
    denied = api_post(
        client,
        f"/api/people/imports/{batch.pk}/confirm",
        data="{}",
        content_type="application/json",
    )
    assert denied.status_code == 403  # only caseworkers confirm imports
    assert not Person.objects.filter(name="白艾达").exists()


def test_another_jurisdiction_cannot_see_or_confirm_a_batch(world: World) -> None:
    batch = dry_run(world, csv_bytes(family()))
    shanghai = world.persona("shanghai_officer")
    with pytest.raises(NotFoundError):
        imports.do_confirm_import(shanghai, batch.pk)
    rows = [
        person(
            id_number(310115, dt.date(2000, 1, 1), "M", 30), "浦东人", 户籍地行政区划代码="310115"
        )
    ]
    theirs = imports.do_dry_run_import(shanghai, filename="p.csv", data=csv_bytes(rows))
    assert theirs.report["new"] == 1
    outside = dry_run(world, csv_bytes(rows))
    assert problems(outside) == {(2, "hukou_region", "outside_jurisdiction")}


def test_the_pages_upload_report_and_confirm(world: World) -> None:
    client = login(Client(), world.beijing_caseworker)
    page = client.get("/people/import/").content.decode()
    assert "公民身份号码" in page
    template = client.get("/people/import/template.csv")
    assert template.content.startswith(b"\xef\xbb\xbf")
    assert "与户主关系" in template.content.decode("utf-8-sig")

    bad = family()
    bad[1]["姓名"] = ""
    upload = io.BytesIO(csv_bytes(bad))
    upload.name = "bad.csv"
    response = client.post("/people/import/", {"file": upload})
    assert response.status_code == 302
    report = client.get(response["Location"]).content.decode()
    assert "这一项必须填写" in report
    assert "确认导入" not in report
    batch = ImportBatch.objects.get()
    problems_csv = client.get(f"/people/import/{batch.pk}/problems.csv").content.decode("utf-8-sig")
    assert "这一项必须填写" in problems_csv

    gbk = io.BytesIO(csv_bytes(family(), bom=False).decode().encode("gbk"))
    gbk.name = "gbk.csv"
    refused = client.post("/people/import/", {"file": gbk})
    assert refused.status_code == 422
    assert "CSV UTF-8" in refused.content.decode()

    upload = io.BytesIO(csv_bytes(family()))
    upload.name = "good.csv"
    location = client.post("/people/import/", {"file": upload})["Location"]
    report = client.get(location).content.decode()
    assert "确认导入" in report
    good = ImportBatch.objects.filter(status="dry_run").order_by("-pk").first()
    assert good is not None
    token = report.split('name="form_token" value="', 1)[1].split('"', 1)[0]
    done = client.post(f"/people/import/{good.pk}/confirm/", {"form_token": token, "sm3": good.sm3})
    assert done.status_code == 302
    applying = client.get(done["Location"]).content.decode()
    assert "正在导入" in applying
    assert 'id="import-progress"' in applying
    assert 'hx-trigger="every 2s"' in applying  # the progress part reloads itself
    assert not Person.objects.filter(name__startswith="白").exists()
    poll = client.get(done["Location"], headers={"HX-Request": "true"})
    assert poll.status_code == 200
    assert poll.content.decode().startswith('<section id="import-progress"')
    assert run_pending() == 1
    assert Person.objects.filter(name__startswith="白").count() == 3
    finished = client.get(done["Location"], headers={"HX-Request": "true"})
    assert (finished.status_code, finished["HX-Refresh"]) == (204, "true")
    final = client.get(done["Location"]).content.decode()
    assert "已导入" in final
    assert "import-progress" not in final
    twice = client.post(
        f"/people/import/{good.pk}/confirm/", {"form_token": token, "sm3": good.sm3}
    )
    assert twice.status_code == 409
    assert Person.objects.filter(name__startswith="白").count() == 3


def test_cli_dry_run_and_confirm(world: World, tmp_path: Any) -> None:
    file = tmp_path / "persons.csv"
    file.write_bytes(csv_bytes(family()))
    runner = CliRunner()
    checked = runner.invoke(app, ["people", "import", str(file), "--as", "beijing_caseworker"])
    assert checked.exit_code == 0, checked.output
    assert "新增人员: 3" in checked.output
    assert not Person.objects.filter(name="白艾达").exists()
    applied = runner.invoke(
        app, ["people", "import", str(file), "--as", "beijing_caseworker", "--confirm"]
    )
    assert applied.exit_code == 0, applied.output
    assert Person.objects.filter(name__startswith="白").count() == 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([person(ADA[:17] + "Y", "错")]))
    failed = runner.invoke(app, ["people", "import", str(bad), "--as", "beijing_caseworker"])
    assert failed.exit_code == 1
    assert "第2行" in failed.output
    unknown = runner.invoke(app, ["people", "import", str(file), "--as", "nobody"])
    assert unknown.exit_code == 2


# ---------------------------------------------------------------------------------------------
# The invariant: importing a valid file twice leaves the state of importing it once.

NAMES = st.text(alphabet="王李张刘陈杨赵黄周吴", min_size=2, max_size=3)
ROWS = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=40),  # serial: repeats make duplicate rows
        NAMES,
        st.sampled_from(["农业户口", "非农业户口", "居民户口"]),
        st.sampled_from(["", "13912345678"]),
        st.sampled_from(["", "F1", "F2"]),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda r: r[0],
)


@pytest.mark.property
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=ROWS)
def test_importing_any_valid_file_twice_equals_importing_it_once(
    world: World, rows: list[tuple[int, str, str, str, str]]
) -> None:
    table = []
    heads: set[str] = set()
    for serial, name, kind, phone, household in rows:
        number = id_number(110105, dt.date(1970 + serial, 1, 1), "M", serial)
        relationship = ""
        if household:
            relationship = "户主" if household not in heads else "子女"
            heads.add(household)
        table.append(
            person(
                number, name, 户口性质=kind, 手机号码=phone, 户号=household, 与户主关系=relationship
            )
        )
    data = csv_bytes(table)
    with transaction.atomic():
        first = dry_run(world, data)
        assert first.report["errors"] == 0, first.report["problems"]
        confirm(world, first)
        once = registry()
        second = dry_run(world, data)
        assert second.report["new"] == second.report["updated"] == 0
        assert second.report["unchanged"] == len(rows)
        confirm(world, second)
        assert registry() == once
        assert PersonEvent.objects.filter(kind="updated").count() == 0
        transaction.set_rollback(True)
