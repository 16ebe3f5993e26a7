"""Fixtures of the audit tests: a checkpoint directory per test, a varied audit log, personas.

The log is built with explicit sequence numbers so tests can leave gaps (numbers a rolled-back
transaction took on PostgreSQL) and insert forged events into them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong.accounts.models import Role, User
from liudong.audit import chain
from liudong.audit.models import AuditEvent, Outcome

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from django.test import Client
    from pytest_django.fixtures import Settings

START = dt.datetime(2026, 3, 2, 1, 30, 0, 120_001, tzinfo=dt.UTC)
ACTORS = [
    # (user id, username, role, agency code)
    (11, "li.na", "staff", "bj-chaoyang-rsj"),
    (12, "wang.fang", "supervisor", "bj-chaoyang-rsj"),
    (13, "zhang.wei", "citizen", ""),
    (14, "chen.jie", "auditor", "bj-rsj"),
    (None, "", "", ""),
]
ACTIONS = [
    ("people.register_person", "people.person"),
    ("people.read_id_number", "people.person"),
    ("dossiers.transfer_dossier", "dossiers.dossier"),
    ("accounts.login", ""),
    ("accounts.logout", ""),
]
OUTCOMES = [Outcome.OK, Outcome.OK, Outcome.OK, Outcome.DENIED, Outcome.REJECTED]


def event_fields(seq: int) -> dict[str, Any]:
    """Event number ``seq`` of the test log: varied, deterministic, some text in Chinese."""
    actor_id, actor, role, agency = ACTORS[seq % len(ACTORS)]
    action, object_type = ACTIONS[seq % len(ACTIONS)]
    return {
        "seq": seq,
        "at": START + dt.timedelta(seconds=seq * 1.25, microseconds=seq * 7),
        "actor_id": actor_id,
        "actor": actor,
        "role": role,
        "agency": agency,
        "action": action,
        "object_type": object_type,
        "object_id": str(1000 + seq * 3) if object_type else "",
        "outcome": OUTCOMES[seq % len(OUTCOMES)],
        "detail": {
            "reason": ["核对身份证号", "转出档案", "登录成功"][seq % 3],
            "fields": ["name", "id_number"][: seq % 3],
            "amount": round(seq * 10.25, 2),
            "count": seq,
            "urgent": seq % 2 == 0,
            "note": None,
        },
        "request_id": f"req{seq:06d}x",
    }


def make_events(seqs: Iterable[int]) -> list[int]:
    """Write events with these sequence numbers; later ``record()`` calls continue after
    the highest."""
    events = [AuditEvent(**event_fields(seq)) for seq in seqs]
    AuditEvent.objects.bulk_create(events)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [AuditEvent]):
            cursor.execute(sql)
    return [event.seq for event in events]


def with_gaps(count: int, every: int = 10) -> list[int]:
    """``count`` sequence numbers from 1, skipping each multiple of ``every``."""
    return [seq for seq in range(1, count * 2) if seq % every][:count]


# The standard log: gaps at 10, 20, ..., 110 (numbers rolled-back transactions took), then
# contiguous from 119 to 240. 229 events, sealed in checkpoints of 100, 100 and 29.
GAPS = tuple(range(10, 120, 10))
LOG = tuple(seq for seq in range(1, 241) if seq not in GAPS)


@pytest.fixture(autouse=True)
def checkpoint_dir(settings: Settings, tmp_path: Path) -> Path:
    directory = tmp_path / "checkpoints"
    settings.LIUDONG_CHECKPOINT_DIR = directory
    return directory


@pytest.fixture
def checkpoint_file(checkpoint_dir: Path) -> Path:
    return checkpoint_dir / "checkpoints.jsonl"


@pytest.fixture
def sealed_log(db: None) -> list[int]:
    """The standard log (:data:`LOG`), sealed in batches of 100 and exported."""
    seqs = make_events(LOG)
    chain.seal(batch_size=100)
    return seqs


# ---------------------------------------------------------------- personas


def persona(username: str, role: Role) -> User:
    user = User.objects.create_user(username=username)  # signs in with force_login
    user.role = role
    user.password_changed_at = timezone.now()
    user.save()
    return user


def sign_in(client: Client, user: User) -> None:
    """Signed in with password and TOTP (django-otp's verified session)."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def auditor_chen(db: None) -> User:
    """An auditor of the provincial human resources department."""
    return persona("chen.jie", Role.AUDITOR)


@pytest.fixture
def caseworker_li(db: None) -> User:
    """A caseworker in Beijing: staff, but not allowed to read the audit trail."""
    return persona("li.na", Role.STAFF)


@pytest.fixture
def admin_zhao(db: None) -> User:
    """A system administrator: runs the system, must not read the audit trail."""
    return persona("zhao.min", Role.ADMIN)


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    def sign(user: User) -> Client:
        sign_in(client, user)
        return client

    return sign
