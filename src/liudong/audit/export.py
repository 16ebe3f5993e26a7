"""The off-database copy of the signed checkpoints: ``<LIUDONG_CHECKPOINT_DIR>/checkpoints.jsonl``.

One JSON object per line, one line per checkpoint, in checkpoint order, each line ending in a
newline and fsynced before the sealer moves on. Someone with write access to the database can
rebuild the chain after rewriting or truncating it, but cannot make it agree with checkpoints
signed earlier and kept elsewhere: copy this file to write-once storage or another agency.

Export happens after a checkpoint has committed; a crash in between leaves the file a little
behind the database, and the next export appends what is missing (never a checkpoint that did
not commit).
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings

from liudong.audit.canonical import CHECKPOINT_FIELDS, utc_text
from liudong.audit.models import AuditCheckpoint

if TYPE_CHECKING:
    from collections.abc import Mapping

FILE_NAME = "checkpoints.jsonl"
_TAIL_BYTES = 8192


class CheckpointFileError(RuntimeError):
    """The checkpoint file cannot be appended to safely; the message says what to do."""


@dataclass(frozen=True)
class FileCheckpoint:
    """One line of the checkpoint file: its line number and its fields (or why it is bad)."""

    line: int
    fields: dict[str, Any] | None
    problem: str = ""


def default_path() -> Path:
    return Path(settings.LIUDONG_CHECKPOINT_DIR) / FILE_NAME


def as_line(checkpoint: Mapping[str, Any]) -> str:
    """A checkpoint as one JSON line (sorted keys, time in UTC), newline included."""
    return (
        json.dumps(plain(checkpoint), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        + "\n"
    )


def export(path: Path | None = None) -> int:
    """Append every committed checkpoint the file lacks; return how many lines were added."""
    path = path or default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    with path.open("a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another sealer process may be exporting too
        rows = AuditCheckpoint.objects.filter(number__gt=_last_number(handle, path))
        lines = [as_line(row) for row in rows.order_by("number").values(*CHECKPOINT_FIELDS)]
        if lines:
            handle.write("".join(lines).encode())
            handle.flush()
            os.fsync(handle.fileno())
    if created:
        _fsync_directory(path.parent)
    return len(lines)


def read(path: Path) -> list[FileCheckpoint]:
    """Every line of a checkpoint file, parsed; a bad line is kept with its problem."""
    result = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            result.append(_parse(number, text))
    return result


def _parse(line: int, text: str) -> FileCheckpoint:
    if not text.endswith("\n"):
        return FileCheckpoint(line, None, "the line is incomplete (no newline at its end)")
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as exc:
        return FileCheckpoint(line, None, f"the line is not valid JSON ({exc.msg})")
    if not isinstance(fields, dict) or set(fields) != set(CHECKPOINT_FIELDS):
        return FileCheckpoint(line, None, "the line does not have exactly the checkpoint fields")
    if not well_typed(fields):
        return FileCheckpoint(line, None, "a field of the line has the wrong type")
    return FileCheckpoint(line, fields)


def well_typed(checkpoint: Mapping[str, Any]) -> bool:
    """Numbers are integers and the rest strings (a JSON-ready checkpoint)."""
    numbers = ("number", "first_seq", "last_seq", "count")
    return all(
        type(checkpoint[name]) is int if name in numbers else isinstance(checkpoint[name], str)
        for name in CHECKPOINT_FIELDS
    )


def plain(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint row as the JSON values its file line holds (time as UTC text)."""
    fields = {name: checkpoint[name] for name in CHECKPOINT_FIELDS}
    fields["sealed_at"] = utc_text(fields["sealed_at"])
    return fields


def _last_number(handle: IO[bytes], path: Path) -> int:
    """The number of the file's last checkpoint (0 for an empty file)."""
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return 0
    handle.seek(max(0, size - _TAIL_BYTES))
    tail = handle.read()
    if not tail.endswith(b"\n"):
        raise CheckpointFileError(
            f"{path} ends in an incomplete line (a crash while exporting?). Keep a copy of the "
            f"file, remove the partial last line, and seal again: the missing checkpoints are "
            f"appended from the database."
        )
    last = _parse(0, tail.decode("utf-8", errors="replace").splitlines(keepends=True)[-1])
    if last.fields is None or not isinstance(last.fields["number"], int):
        raise CheckpointFileError(
            f"the last line of {path} is not a checkpoint ({last.problem or 'bad number'}); "
            f"run `liudong audit verify` and repair the file from a copy before sealing again"
        )
    return last.fields["number"]


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
