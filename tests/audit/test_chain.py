"""Sealing and verifying an untampered trail: batches, checkpoints, the exported file."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

import pytest

from liudong import crypto
from liudong.audit import chain, export
from liudong.audit.canonical import (
    CHECKPOINT_FIELDS,
    EVENT_FIELDS,
    GENESIS,
    canonical,
    chain_key,
    link,
    statement,
)
from liudong.audit.events import record
from liudong.audit.models import AuditCheckpoint, AuditEvent, AuditSeal
from tests.audit.conftest import make_events, with_gaps

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db


def test_untampered_trail_verifies(sealed_log: list[int], checkpoint_file: Path) -> None:
    report = chain.verify()
    assert report.ok, report.reason
    assert report.first_bad_seq is None
    assert (report.sealed, report.pending) == (229, 0)
    assert report.last_checkpoint is not None
    assert report.last_checkpoint.number == 3
    assert report.last_checkpoint.last_seq == sealed_log[-1]
    assert report.checkpoint_file == checkpoint_file


def test_batches_make_one_checkpoint_each(sealed_log: list[int]) -> None:
    checkpoints = list(AuditCheckpoint.objects.order_by("number"))
    assert [c.count for c in checkpoints] == [100, 100, 29]
    assert checkpoints[0].previous_head == GENESIS
    assert checkpoints[1].previous_head == checkpoints[0].head
    assert checkpoints[1].first_seq == sealed_log[100]
    assert AuditSeal.objects.count() == 229


def test_the_chain_is_hmac_sm3_over_the_previous_link_and_the_event(
    sealed_log: list[int],
) -> None:
    first, second = AuditEvent.objects.order_by("seq").values(*EVENT_FIELDS)[:2]
    h1 = crypto.hmac_sm3(crypto.subkey("audit-chain"), bytes(32) + canonical(first))
    assert AuditSeal.objects.get(seq=first["seq"]).chain == h1.hex()
    assert AuditSeal.objects.get(seq=second["seq"]).chain == link(h1.hex(), second, chain_key())


def test_checkpoints_are_signed_with_sm2(sealed_log: list[int], settings: Settings) -> None:
    checkpoint = AuditCheckpoint.objects.values().get(number=2)
    signature = bytes.fromhex(checkpoint["signature"])
    public = settings.LIUDONG_KEYS.sm2_public
    assert crypto.sm2_verify(public, statement(checkpoint), signature)
    assert statement(checkpoint).startswith(b"liudong-audit-checkpoint/1|2|")


def test_every_checkpoint_is_exported_as_one_json_line(
    sealed_log: list[int], checkpoint_file: Path
) -> None:
    lines = checkpoint_file.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["number"] for line in lines] == [1, 2, 3]
    database = AuditCheckpoint.objects.order_by("number").values(*CHECKPOINT_FIELDS)
    assert lines == [export.as_line(row).rstrip("\n") for row in database]


def test_new_events_are_pending_until_the_next_seal(sealed_log: list[int]) -> None:
    for _ in range(3):
        record(None, "accounts.login_failed", detail={"username": "li.na"})
    report = chain.verify()
    assert report.ok
    assert (report.sealed, report.pending) == (229, 3)
    sealed = chain.seal()
    assert (sealed.sealed, sealed.checkpoints, sealed.pending) == (3, (4,), 0)
    assert chain.verify().pending == 0


def test_sealing_nothing_makes_no_checkpoint(sealed_log: list[int]) -> None:
    report = chain.seal()
    assert (report.sealed, report.checkpoints, report.exported) == (0, (), 0)
    assert AuditCheckpoint.objects.count() == 3


def test_an_empty_trail_verifies(db: None) -> None:
    report = chain.verify()
    assert report.ok
    assert (report.sealed, report.pending, report.last_checkpoint) == (0, 0, None)


def test_a_lost_export_is_caught_up_by_the_next_seal(
    sealed_log: list[int], checkpoint_file: Path
) -> None:
    lines = checkpoint_file.read_text().splitlines(keepends=True)
    checkpoint_file.write_text("".join(lines[:1]))  # as if the sealer died after committing
    report = chain.verify()
    assert report.ok
    assert "2 checkpoints are not yet in the checkpoint file" in report.notes[0]
    assert chain.seal().exported == 2
    assert checkpoint_file.read_text().splitlines(keepends=True) == lines


def test_a_torn_last_line_stops_export_with_advice(
    sealed_log: list[int], checkpoint_file: Path
) -> None:
    with checkpoint_file.open("a") as handle:
        handle.write('{"number": 4')
    record(None, "accounts.logout")
    with pytest.raises(export.CheckpointFileError, match="incomplete line"):
        chain.seal()


def test_without_the_checkpoint_file_verification_fails_closed(
    sealed_log: list[int], checkpoint_file: Path
) -> None:
    checkpoint_file.unlink()
    report = chain.verify()
    assert not report.ok
    assert report.first_bad_seq is None
    assert "does not exist" in report.reason


def test_gaps_in_sequence_numbers_are_not_tampering(db: None) -> None:
    make_events([1, 2, 5, 9, 10, 11, 40])
    assert chain.seal(batch_size=3).checkpoints == (1, 2, 3)
    assert chain.verify().ok


@pytest.mark.django_db(transaction=True)
def test_the_periodic_sealer_seals_in_its_thread_and_once_more_at_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_events(range(1, 6))
    first_round = threading.Event()
    real_seal = chain.seal

    def seal_and_tell() -> chain.SealReport:
        report = real_seal()
        first_round.set()
        return report

    monkeypatch.setattr(chain, "seal", seal_and_tell)
    stop = threading.Event()
    sealer = threading.Thread(target=chain.seal_forever, args=(3600, stop))
    sealer.start()
    assert first_round.wait(30)
    assert chain.verify().pending == 0
    record(None, "accounts.logout")  # the sealer sleeps: the next round is the one at stop
    stop.set()
    sealer.join(30)
    assert not sealer.is_alive()
    report = chain.verify()
    assert report.ok
    assert (report.sealed, report.pending) == (6, 0)


def test_the_periodic_sealer_survives_a_failure(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> chain.SealReport:
        raise OSError("disk full")

    monkeypatch.setattr(chain, "seal", broken)
    stop = threading.Event()
    stop.set()
    sealer = threading.Thread(target=chain.seal_forever, args=(0.01, stop))
    sealer.start()
    sealer.join(30)
    assert caplog.text.count("audit sealing failed") == 2  # at start and at stop


def test_batch_size_must_be_positive(db: None) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        chain.seal(batch_size=0)


def test_with_gaps_skips_multiples() -> None:
    assert with_gaps(5, every=3) == [1, 2, 4, 5, 7]
