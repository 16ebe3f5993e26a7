"""Verifying the audit trail: recompute the chain and compare it with every stored trace.

The trusted checkpoints are the lines of the checkpoint file (signed, kept off the database),
followed by any newer checkpoints of the database (not yet exported). Against them:

1. every checkpoint must carry a valid SM2 signature, be numbered 1, 2, 3, ... and link to the
   head of the one before (the first to :data:`GENESIS`);
2. every checkpoint row of the database must equal its line in the file (a line missing from
   the database is truncation, a different one is a rewrite);
3. walking the events and seals in sequence order up to the last trusted checkpoint, every
   event must have a seal and every seal an event, each seal must name the checkpoint whose
   range holds it, the recomputed ``h_n`` must equal the seal's, and at each checkpoint's last
   sequence number the chain must equal its head, over exactly ``count`` events.

The problem with the lowest position names the first bad sequence number: an event-level
problem at the event's number; events missing at the first number that must be there (or, in a
range with gaps, the earliest that can be); a checkpoint row that is missing, altered or badly
signed at the checkpoint's last number; events that no longer hash to a validly signed head
(rewritten with their seals, by someone holding the chain key) at the checkpoint's first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError

from liudong.audit import export
from liudong.audit.canonical import (
    CHECKPOINT_FIELDS,
    EVENT_FIELDS,
    GENESIS,
    chain_key,
    link,
    signature_valid,
)
from liudong.audit.models import AuditCheckpoint, AuditEvent, AuditSeal
from liudong.audit.reports import CheckpointInfo, VerifyReport

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from django.db.models import QuerySet

PAGE = 5000
# What reading a row an attacker filled with rubbish can raise (SQLite stores anything).
UNREADABLE = (ValueError, TypeError, OverflowError, DatabaseError)

Row = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """One problem; ``seq`` is None when it has no position (a damaged file line)."""

    seq: int | None
    reason: str


def verify(checkpoint_file: Path | None = None) -> VerifyReport:
    """Verify the whole trail against the checkpoint file (by default the exported one)."""
    path = checkpoint_file or export.default_path()
    file_lines = export.read(path) if path.exists() else None  # the file first: see _Reference
    reference = _Reference(file_lines, _database_checkpoints(), path)
    findings = reference.findings
    positioned = [f.seq for f in findings if f.seq is not None]
    walked = _walk(reference, min(positioned, default=None))
    if walked is not None:
        findings.append(walked)
    if not findings:
        findings += _orphan_seals(reference.horizon)
    return _report(reference, path if file_lines is not None else None)


def _report(reference: _Reference, path: Path | None) -> VerifyReport:
    first = _first(reference.findings)
    trusted, horizon = reference.trusted, reference.horizon
    pending = AuditEvent.objects.all()
    if horizon is not None:
        pending = pending.filter(seq__gt=horizon)
    others = [f.reason for f in reference.findings if f is not first]
    return VerifyReport(
        ok=first is None,
        first_bad_seq=first.seq if first else None,
        reason=first.reason if first else "every sealed event matches its seal and checkpoint",
        sealed=sum(cp["count"] for cp in trusted),
        pending=pending.count(),
        last_checkpoint=CheckpointInfo.of(trusted[-1]) if trusted else None,
        checkpoint_file=path,
        notes=tuple(reference.notes + others),
    )


def _first(findings: list[Finding]) -> Finding | None:
    """The finding with the lowest sequence number (the earliest listed among equals), else
    the first without one."""
    positioned = [f for f in findings if f.seq is not None]
    if positioned:
        return min(positioned, key=lambda f: f.seq or 0)
    return findings[0] if findings else None


# ---------------------------------------------------------------- checkpoints


def _database_checkpoints() -> list[Row]:
    rows = AuditCheckpoint.objects.order_by("number").values(*CHECKPOINT_FIELDS)
    return [export.plain(row) for row in rows]


class _Reference:
    """The checkpoints to verify against, and what is wrong with them.

    For each checkpoint number the file's line is preferred (it is off the database), unless
    its signature fails and the database row's holds. The file is read before the database:
    a checkpoint reaches the file only after it committed, so each line must be in the
    database. ``unsigned`` holds the numbers whose chosen copy has a bad signature: their
    heads are not compared (the bad signature is the finding)."""

    def __init__(
        self, file_lines: list[export.FileCheckpoint] | None, database: list[Row], path: Path
    ) -> None:
        self.path = path
        self.findings: list[Finding] = []
        self.notes: list[str] = []
        self.trusted: list[Row] = []
        self.unsigned: set[int] = set()
        stored = self._stored(database)
        exported = self._exported(file_lines or [])
        if file_lines is None and stored:
            self.findings.append(Finding(None, _NO_FILE.format(path=path)))
        last_exported = max(exported, default=0)
        for number in sorted(exported.keys() | stored.keys()):
            line, row = exported.get(number), stored.get(number)
            if line is not None:
                self._choose_exported(line, row)
            elif row is not None:
                self._choose_stored(row, newer=number > last_exported)
        self._check_sequence()
        newer = len([number for number in stored if number > last_exported])
        if file_lines is not None and newer:
            self.notes.append(_NOT_EXPORTED.format(count=newer))

    @property
    def horizon(self) -> int | None:
        """The last sealed sequence number, by the reference."""
        return self.trusted[-1]["last_seq"] if self.trusted else None

    def _stored(self, database: list[Row]) -> dict[int, Row]:
        for row in database:
            if not export.well_typed(row):
                reason = f"checkpoint row {row['number']!r} in the database is malformed"
                self.findings.append(Finding(None, reason))
        return {row["number"]: row for row in database if export.well_typed(row)}

    def _exported(self, lines: list[export.FileCheckpoint]) -> dict[int, Row]:
        exported: dict[int, Row] = {}
        for line in lines:
            if line.fields is None:
                self._add(None, f"line {line.line} of {self.path}: {line.problem}")
            elif line.fields["number"] in exported:
                reason = f"checkpoint {line.fields['number']} appears twice in {self.path}"
                self._add(line.fields["last_seq"], reason)
            else:
                exported[line.fields["number"]] = line.fields
        return exported

    def _choose_stored(self, row: Row, newer: bool) -> None:
        """A checkpoint only the database has: not exported yet, or missing from the file."""
        if not newer:
            self._add(row["last_seq"], _NOT_IN_FILE.format(path=self.path, **row))
        self._use(row, signed=signature_valid(row))

    def _choose_exported(self, line: Row, row: Row | None) -> None:
        """A checkpoint of the file, compared with the database's copy."""
        line_signed = signature_valid(line)
        if not line_signed:
            self._add(line["last_seq"], _FILE_SIGNATURE.format(path=self.path, **line))
        if row is None:
            self._add(line["last_seq"], _TRUNCATED.format(**line))
        elif row != line:
            fields = ", ".join(name for name in CHECKPOINT_FIELDS if row[name] != line[name])
            at = min(line["last_seq"], row["last_seq"])
            self._add(at, _REWRITTEN.format(fields=fields, **line))
            if not line_signed and signature_valid(row):
                self._use(row, signed=True)
                return
        self._use(line, signed=line_signed)

    def _use(self, checkpoint: Row, *, signed: bool) -> None:
        if not signed:
            self.unsigned.add(checkpoint["number"])
            reason = f"checkpoint {checkpoint['number']}: {_SIGNATURE}"
            if not any(reason in f.reason for f in self.findings):
                self._add(checkpoint["last_seq"], reason)
        self.trusted.append(checkpoint)

    def _check_sequence(self) -> None:
        previous: Row | None = None
        for index, cp in enumerate(self.trusted, start=1):
            problem = _sequence_problem(cp, index, previous)
            if problem:
                self._add(cp["last_seq"], f"checkpoint {cp['number']}: {problem}")
            previous = cp

    def _add(self, seq: int | None, reason: str) -> None:
        self.findings.append(Finding(seq, reason))


def _sequence_problem(cp: Row, index: int, previous: Row | None) -> str:
    if cp["number"] != index:
        return f"checkpoints are not numbered consecutively (expected {index})"
    if cp["previous_head"] != (previous["head"] if previous else GENESIS):
        return "its previous head is not the head of the checkpoint before it"
    if previous is not None and cp["first_seq"] <= previous["last_seq"]:
        return "its range overlaps the checkpoint before it"
    if not 1 <= cp["count"] <= cp["last_seq"] - cp["first_seq"] + 1:
        return "its count does not fit its range"
    return ""


_NO_FILE = (
    "the checkpoint file {path} does not exist, so truncation and rewriting cannot be checked; "
    "give the off-database copy with --checkpoints FILE"
)
_NOT_EXPORTED = "{count} checkpoints are not yet in the checkpoint file (the next seal adds them)"
_NOT_IN_FILE = "checkpoint {number} is in the database but missing from {path}"
_TRUNCATED = (
    "checkpoint {number} (events #{first_seq}–#{last_seq}) is in the checkpoint file but not "
    "in the database: the trail was truncated"
)
_REWRITTEN = "checkpoint {number} in the database differs from the checkpoint file ({fields})"
_SIGNATURE = "its SM2 signature does not verify (altered, or signed by another key)"
_FILE_SIGNATURE = "the SM2 signature of checkpoint {number} in {path} does not verify"


# ---------------------------------------------------------------- events and seals


def _walk(reference: _Reference, stop_at: int | None) -> Finding | None:
    """Walk events and seals in sequence order up to the last trusted checkpoint (or
    ``stop_at``, where a problem is already known); the first problem, if any."""
    if reference.horizon is None:
        return None
    upto = reference.horizon if stop_at is None else min(stop_at, reference.horizon)
    walk = _Walk(reference.trusted, reference.unsigned)
    events = _rows(AuditEvent.objects.all(), EVENT_FIELDS, upto)
    seals = _rows(AuditSeal.objects.all(), ("seq", "checkpoint_id", "chain"), upto)
    for seq, event, seal in _merged(events, seals):
        finding = walk.step(seq, event, seal)
        if finding is not None:
            return finding
    return walk.finish(upto)


class _Walk:
    """The running state of the walk: which checkpoint we are in and the chain so far."""

    def __init__(self, trusted: list[Row], unsigned: set[int]) -> None:
        self.trusted = trusted
        self.unsigned = unsigned
        self.index = 0  # the checkpoint whose range we are in
        self.head = GENESIS
        self.count = 0  # events of that checkpoint seen so far
        self.last_intact = 0
        self.key = chain_key()

    def step(self, seq: int, event: Row | None, seal: Row | None) -> Finding | None:
        if self.index == len(self.trusted):
            return Finding(seq, f"#{seq} lies past the last checkpoint")
        cp = self.trusted[self.index]
        if seq > cp["last_seq"] or (self.count == 0 and seq > cp["first_seq"]):
            return self._missing()
        problem = self._mismatch(seq, event, seal, cp)
        if problem:
            return Finding(seq, problem)
        self.count += 1
        self.last_intact = seq
        return self._close(cp) if seq == cp["last_seq"] else None

    def finish(self, upto: int) -> Finding | None:
        """After the last row: every checkpoint ending by ``upto`` must have been reached."""
        if self.index < len(self.trusted) and self.trusted[self.index]["last_seq"] <= upto:
            return self._missing()
        return None

    def _missing(self) -> Finding:
        """Events of the current checkpoint are missing after the last intact one. Its first
        and last numbers are recorded, so: the first missing if none was seen; the last if
        exactly one is missing; the next number if as many are missing as numbers remain;
        otherwise (gaps) the earliest number that can be missing."""
        cp = self.trusted[self.index]
        missing = cp["count"] - self.count
        if self.count == 0:
            first = cp["first_seq"]
        elif missing == 1:
            first = cp["last_seq"]
        else:
            first = self.last_intact + 1
        return Finding(first, _MISSING.format(first=first, **cp))

    def _mismatch(self, seq: int, event: Row | None, seal: Row | None, cp: Row) -> str:
        if seal is None:
            return _NO_SEAL.format(seq=seq, **cp)
        if event is None:
            return f"event #{seq} is missing but its seal remains: the event was deleted"
        if seq < cp["first_seq"]:
            return f"event and seal #{seq} lie between two checkpoints: inserted"
        if seal["checkpoint_id"] != cp["number"]:
            return _WRONG_CHECKPOINT.format(seq=seq, named=seal["checkpoint_id"], **cp)
        if "unreadable" in event:
            return f"event #{seq} cannot be read ({event['unreadable']}): it was altered"
        self.head = link(self.head, event, self.key)
        if seal["chain"] != self.head:
            return _NO_MATCH.format(seq=seq)
        return ""

    def _close(self, cp: Row) -> Finding | None:
        self.index += 1
        self.count, count = 0, self.count
        if cp["number"] in self.unsigned:
            return None  # its head cannot be trusted; the bad signature is already reported
        if count != cp["count"]:
            return Finding(cp["first_seq"], _COUNT.format(held=count, **cp))
        if self.head != cp["head"]:
            return Finding(cp["first_seq"], _REHASHED.format(**cp))
        return None


_MISSING = (
    "events are missing from #{first} (checkpoint {number} covers {count} events "
    "#{first_seq}–#{last_seq}): deleted with their seals, or the trail was truncated"
)
_NO_SEAL = (
    "event #{seq} has no seal, though checkpoint {number} covers #{first_seq}–#{last_seq}: "
    "inserted, or its seal deleted"
)
_WRONG_CHECKPOINT = (
    "seal #{seq} names checkpoint {named!r}, but #{seq} lies in checkpoint {number}: "
    "the seal was altered"
)
_NO_MATCH = (
    "event #{seq} does not match its seal: the event (or its seal) was altered, "
    "or events were reordered"
)
_COUNT = "checkpoint {number} covers {count} events, the database holds {held}"
_REHASHED = (
    "the events of checkpoint {number} (#{first_seq}–#{last_seq}) do not hash to its signed "
    "head: they were rewritten together with their seals"
)


def _rows(queryset: QuerySet[Any], fields: tuple[str, ...], upto: int) -> Iterator[Row]:
    """Rows in sequence order up to ``upto``, a page at a time (keyset pagination)."""
    after: int | None = None
    while True:
        page = queryset.filter(seq__lte=upto).order_by("seq")
        if after is not None:
            page = page.filter(seq__gt=after)
        rows = _fetch(page, fields)
        if not rows:
            return
        yield from rows
        after = rows[-1]["seq"]


def _fetch(page: QuerySet[Any], fields: tuple[str, ...]) -> list[Row]:
    try:
        return list(page.values(*fields)[:PAGE])
    except UNREADABLE:
        return [_fetch_one(page, fields, seq) for seq in page.values_list("seq", flat=True)[:PAGE]]


def _fetch_one(page: QuerySet[Any], fields: tuple[str, ...], seq: int) -> Row:
    try:
        return dict(page.filter(seq=seq).values(*fields).get())
    except UNREADABLE as exc:
        return {"seq": seq, "unreadable": str(exc) or type(exc).__name__}


def _merged(
    events: Iterator[Row], seals: Iterator[Row]
) -> Iterator[tuple[int, Row | None, Row | None]]:
    """Pairs (seq, event or None, seal or None) over the union of both sequences."""
    event, seal = next(events, None), next(seals, None)
    while event is not None or seal is not None:
        seq = min(row["seq"] for row in (event, seal) if row is not None)
        this_event = event if event is not None and event["seq"] == seq else None
        this_seal = seal if seal is not None and seal["seq"] == seq else None
        yield seq, this_event, this_seal
        if this_event is not None:
            event = next(events, None)
        if this_seal is not None:
            seal = next(seals, None)


def _orphan_seals(horizon: int | None) -> list[Finding]:
    """Seals past the last trusted checkpoint that no checkpoint of the database claims
    (read now, so a checkpoint committed during verification counts)."""
    seals = AuditSeal.objects.exclude(checkpoint_id__in=AuditCheckpoint.objects.values("number"))
    if horizon is not None:
        seals = seals.filter(seq__gt=horizon)
    seq = seals.order_by("seq").values_list("seq", flat=True).first()
    return [Finding(seq, f"seal #{seq} belongs to no checkpoint: inserted")] if seq else []
