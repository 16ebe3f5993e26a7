"""Audit rows are append-only: the database refuses UPDATE, DELETE and TRUNCATE on them.

PostgreSQL: one PL/pgSQL function raising ``insufficient_privilege``, a row trigger
(UPDATE, DELETE) and a statement trigger (TRUNCATE) per table. SQLite: a BEFORE UPDATE and a
BEFORE DELETE trigger per table that abort the statement. A table owner can still disable or
drop them, so production also runs the application under a role granted only SELECT and
INSERT on these tables (docs/security.md, "Audit").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import migrations

if TYPE_CHECKING:
    from django.apps.registry import Apps
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TABLES = ("audit_auditevent", "audit_auditseal", "audit_auditcheckpoint")
MESSAGE = "audit rows are append-only"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def postgres_install(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
    ]


def postgres_remove(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
    ]


def sqlite_install(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        for verb in ("UPDATE", "DELETE")
    ]


def sqlite_remove(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("update", "delete")]


def statements(vendor: str, install: bool) -> list[str]:
    if vendor == "postgresql":
        build = postgres_install if install else postgres_remove
        head = [POSTGRES_FUNCTION] if install else []
        tail = [] if install else ["DROP FUNCTION IF EXISTS audit_append_only()"]
        return head + [sql for table in TABLES for sql in build(table)] + tail
    if vendor == "sqlite":
        build = sqlite_install if install else sqlite_remove
        return [sql for table in TABLES for sql in build(table)]
    return []


def install(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for sql in statements(schema_editor.connection.vendor, install=True):
        schema_editor.execute(sql, params=None)  # no placeholders: RAISE uses %


def remove(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for sql in statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql, params=None)  # no placeholders: RAISE uses %


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
