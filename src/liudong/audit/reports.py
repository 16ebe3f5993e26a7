"""What sealing and verification report, as values and as the text the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from liudong.audit.canonical import utc_text

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


@dataclass(frozen=True)
class CheckpointInfo:
    """A checkpoint as reports show it."""

    number: int
    first_seq: int
    last_seq: int
    count: int
    head: str
    sealed_at: str

    @classmethod
    def of(cls, checkpoint: Mapping[str, Any]) -> CheckpointInfo:
        return cls(
            number=int(checkpoint["number"]),
            first_seq=int(checkpoint["first_seq"]),
            last_seq=int(checkpoint["last_seq"]),
            count=int(checkpoint["count"]),
            head=str(checkpoint["head"]),
            sealed_at=str(utc_text(checkpoint["sealed_at"])),
        )

    def describe(self) -> str:
        return (
            f"#{self.number}: events #{self.first_seq}–#{self.last_seq} ({self.count}), "
            f"head {self.head[:16]}…, sealed {self.sealed_at}"
        )


@dataclass(frozen=True)
class SealReport:
    """One run of the sealer."""

    sealed: int
    checkpoints: tuple[int, ...]
    exported: int
    pending: int
    last_checkpoint: CheckpointInfo | None

    def lines(self) -> list[str]:
        first, last = (self.checkpoints[0], self.checkpoints[-1]) if self.checkpoints else (0, 0)
        made = {0: "", 1: f" in checkpoint #{first}"}.get(
            len(self.checkpoints), f" in checkpoints #{first}–#{last}"
        )
        return [
            f"sealed {self.sealed} events{made}",
            f"exported {self.exported} checkpoint(s) to the checkpoint file",
            f"pending {self.pending}",
            "last checkpoint "
            + (self.last_checkpoint.describe() if self.last_checkpoint else "none yet"),
        ]


@dataclass(frozen=True)
class VerifyReport:
    """The verdict on the audit trail up to its last checkpoint.

    ``first_bad_seq`` is the first sequence number at which the stored trail differs from what
    was sealed (None when ``ok``, or when the problem has no position, such as a missing
    checkpoint file)."""

    ok: bool
    first_bad_seq: int | None
    reason: str
    sealed: int
    pending: int
    last_checkpoint: CheckpointInfo | None
    checkpoint_file: Path | None
    notes: tuple[str, ...] = field(default=())

    def lines(self) -> list[str]:
        if self.ok:
            verdict = "OK"
        elif self.first_bad_seq is None:
            verdict = f"FAILED: {self.reason}"
        else:
            verdict = f"FIRST BAD SEQ {self.first_bad_seq}: {self.reason}"
        where = str(self.checkpoint_file) if self.checkpoint_file else "none (database only)"
        return [
            verdict,
            f"sealed {self.sealed}",
            f"pending {self.pending}",
            "last checkpoint "
            + (self.last_checkpoint.describe() if self.last_checkpoint else "none yet"),
            f"checkpoint file {where}",
            *(f"note: {note}" for note in self.notes),
        ]
