"""The audit chain: sealing events in batches, signed checkpoints, and verification.

``seal()`` takes the events after the last checkpoint in sequence order, chains them with
HMAC-SM3 (``liudong.audit.canonical``), writes one :class:`AuditSeal` per event and one
SM2-signed :class:`AuditCheckpoint` per batch, and appends each checkpoint to the checkpoint
file (``liudong.audit.export``). ``verify()`` (``liudong.audit.verification``) recomputes it
all. ``seal_forever()`` is the periodic sealer that ``liudong serve`` runs in a thread.

Sequence numbers may have gaps (rolled-back transactions on PostgreSQL): the chain follows the
order of ``seq``, never its arithmetic.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import close_old_connections, connection, connections, transaction
from django.db.models import Max
from django.utils import timezone

from liudong.audit import export, sequencer
from liudong.audit.canonical import (
    CHECKPOINT_FIELDS,
    EVENT_FIELDS,
    GENESIS,
    chain_key,
    link,
    sign,
)
from liudong.audit.models import AuditCheckpoint, AuditEvent, AuditSeal
from liudong.audit.reports import CheckpointInfo, SealReport, VerifyReport
from liudong.audit.verification import verify

if TYPE_CHECKING:
    import threading
    from pathlib import Path

__all__ = ["SealReport", "VerifyReport", "last_checkpoint", "seal", "seal_forever", "verify"]

logger = logging.getLogger("liudong.audit")


def seal(batch_size: int = 1000, checkpoint_file: Path | None = None) -> SealReport:
    """Seal every event committed before this call, ``batch_size`` events per checkpoint, each
    batch in its own short transaction; export the checkpoints after each commit."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    upto = AuditEvent.objects.aggregate(top=Max("seq"))["top"]
    made: list[CheckpointInfo] = []
    exported = 0
    while upto is not None and (checkpoint := _seal_batch(batch_size, upto)) is not None:
        made.append(checkpoint)
        exported += export.export(checkpoint_file)
    if not made:
        exported += export.export(checkpoint_file)  # catch up after a crash before export
    return SealReport(
        sealed=sum(c.count for c in made),
        checkpoints=tuple(c.number for c in made),
        exported=exported,
        pending=pending_count(),
        last_checkpoint=last_checkpoint(),
    )


def _seal_batch(batch_size: int, upto: int) -> CheckpointInfo | None:
    with transaction.atomic():
        sequencer.hold_for_sealing()
        previous = _last_checkpoint_fields()
        events = AuditEvent.objects.filter(seq__lte=upto).order_by("seq")
        if previous is not None:
            events = events.filter(seq__gt=previous["last_seq"])
        rows = list(events.values(*EVENT_FIELDS)[:batch_size])
        if not rows:
            return None
        return _write_checkpoint(previous, rows)


def _write_checkpoint(
    previous: dict[str, Any] | None, rows: list[dict[str, Any]]
) -> CheckpointInfo:
    number = previous["number"] + 1 if previous else 1
    head = previous["head"] if previous else GENESIS
    fields: dict[str, Any] = {
        "number": number,
        "first_seq": rows[0]["seq"],
        "last_seq": rows[-1]["seq"],
        "count": len(rows),
        "previous_head": head,
    }
    key = chain_key()
    seals = []
    for row in rows:
        head = link(head, row, key)
        seals.append((row["seq"], number, head))
    fields |= {"head": head, "sealed_at": timezone.now()}
    fields["signature"] = sign(fields)
    AuditCheckpoint.objects.create(**fields)
    _insert_seals(seals)
    return CheckpointInfo.of(fields)


def _insert_seals(seals: list[tuple[int, int, str]]) -> None:
    """One INSERT executed for all the batch's seals (the ORM's bulk_create costs more here
    than the hashing does)."""
    table = connection.ops.quote_name(AuditSeal._meta.db_table)
    sql = f"INSERT INTO {table} (seq, checkpoint_id, chain) VALUES (%s, %s, %s)"  # noqa: S608  # the table name is ours
    with connection.cursor() as cursor:
        cursor.executemany(sql, seals)


def _last_checkpoint_fields() -> dict[str, Any] | None:
    fields: dict[str, Any] | None
    fields = AuditCheckpoint.objects.order_by("-number").values(*CHECKPOINT_FIELDS).first()
    return fields


def last_checkpoint() -> CheckpointInfo | None:
    """The newest checkpoint in the database, if any."""
    fields = _last_checkpoint_fields()
    return CheckpointInfo.of(fields) if fields else None


def pending_count(after_seq: int | None = None) -> int:
    """Events after the last checkpoint (or after ``after_seq``): written, not yet sealed."""
    if after_seq is None:
        last = _last_checkpoint_fields()
        after_seq = last["last_seq"] if last else None
    events = AuditEvent.objects.all()
    return events.filter(seq__gt=after_seq).count() if after_seq is not None else events.count()


def seal_forever(interval_seconds: float, stop_event: threading.Event) -> None:
    """Seal now, then every ``interval_seconds`` until ``stop_event`` is set, then once more so
    nothing is left pending at shutdown. Failures are logged and retried at the next interval:
    the sealer never stops by itself (GB/T 22239 8.1.4.3 d). Run it in its own thread."""
    try:
        _seal_and_log()
        while not stop_event.wait(interval_seconds):
            _seal_and_log()
        _seal_and_log()
    finally:
        connections.close_all()  # this thread's connections


def _seal_and_log() -> None:
    close_old_connections()
    try:
        report = seal()
    except Exception:  # the sealer must survive a database or disk hiccup and try again
        logger.exception("audit sealing failed; retrying at the next interval")
        return
    if report.sealed:
        logger.info("audit: %s", "; ".join(report.lines()))
