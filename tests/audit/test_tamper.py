"""The tamper matrix (reliability.md T8): every edit, deletion, reordering, insertion and tail
truncation of sealed audit rows is found, at the first bad sequence number.

Each attack is made with raw SQL by :class:`~tests.audit.tamper.Attacker` (triggers off) and
rolled back afterwards, so one sealed log serves a whole loop of attacks.
"""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING

import pytest

from liudong.audit import chain
from liudong.audit.canonical import EVENT_FIELDS, chain_key, link
from liudong.audit.models import AuditCheckpoint, AuditEvent, AuditSeal
from tests.audit.conftest import GAPS, LOG
from tests.audit.tamper import EVENT_COLUMNS, Attacker, undone

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.django_db

ALL_COLUMNS = ("seq", *EVENT_COLUMNS)
SEED = 20191225  # the day the Opinions were published


@pytest.fixture
def attacker() -> Attacker:
    return Attacker()


def seeded() -> random.Random:
    return random.Random(SEED)  # noqa: S311  # reproducible attacks, not secrets


def first_bad(checkpoint_file: Path | None = None) -> int | None:
    report = chain.verify(checkpoint_file)
    assert not report.ok or report.first_bad_seq is None
    return report.first_bad_seq


def run_edits(attacker: Attacker, rounds: int) -> None:
    rng = seeded()
    for _ in range(rounds):
        with undone():
            edit = attacker.edit_byte(rng, rng.choice(LOG), ALL_COLUMNS)
            report = chain.verify()
            assert not report.ok, edit
            assert report.first_bad_seq == edit.first_bad_seq, (edit, report.reason)


def test_random_single_byte_edits_are_found_at_their_seq(
    sealed_log: list[int], attacker: Attacker
) -> None:
    run_edits(attacker, 200)


@pytest.mark.slow
def test_a_thousand_random_single_byte_edits_are_found_at_their_seq(
    sealed_log: list[int], attacker: Attacker
) -> None:
    run_edits(attacker, 1000)


def test_every_column_edit_is_found(sealed_log: list[int], attacker: Attacker) -> None:
    rng = seeded()
    for column in ALL_COLUMNS:
        seq = 3 if column == "actor_id" else 150  # event 3 has an actor
        with undone():
            edit = attacker.edit_byte(rng, seq, [column])
            assert first_bad() == edit.first_bad_seq, edit


def test_an_edit_of_chinese_text_is_found(sealed_log: list[int], attacker: Attacker) -> None:
    with undone():
        attacker.execute("UPDATE audit_auditevent SET actor = %s WHERE seq = %s", ["李娜", 77])
        assert first_bad() == 77


def test_deleting_any_event_is_found_at_its_seq(sealed_log: list[int], attacker: Attacker) -> None:
    for seq in LOG:
        with undone():
            attacker.delete_event(seq)
            assert first_bad() == seq


def test_an_event_deleted_with_its_seal_is_found_where_the_chain_breaks(
    sealed_log: list[int], attacker: Attacker
) -> None:
    """A careful attacker removes the seal too: found at the event (first or last of its
    checkpoint) or at the next surviving one, whose seal chained over the removed event."""
    cases = [(1, 1), (55, 56), (150, 151), (LOG[99], LOG[99]), (LOG[100], LOG[100]), (240, 240)]
    for seq, expected in cases:
        with undone():
            attacker.delete_event(seq)
            attacker.execute("DELETE FROM audit_auditseal WHERE seq = %s", [seq])
            assert first_bad() == expected, seq


def test_swapping_two_events_is_found_at_the_earlier(
    sealed_log: list[int], attacker: Attacker
) -> None:
    rng = seeded()
    for _ in range(60):
        first, second = sorted(rng.sample(LOG, 2))
        with undone():
            attacker.swap_events(first, second)
            assert first_bad() == first


def test_inserting_an_event_between_sealed_ones_is_found_at_its_seq(
    sealed_log: list[int], attacker: Attacker
) -> None:
    for seq in (0, *GAPS):
        with undone():
            attacker.insert_event(seq, like=seq + 1)
            assert first_bad() == seq


def test_truncating_the_tail_is_found_against_the_checkpoint_file(
    sealed_log: list[int], attacker: Attacker
) -> None:
    for count in (1, 2, 28, 29, 30, 57, 99, 128, 129, 130):
        with undone():
            first = attacker.truncate_tail(count)
            report = chain.verify()
            assert report.first_bad_seq == first, (count, report.reason)
            assert "truncated" in report.reason


def test_a_clean_truncation_is_invisible_without_the_off_database_copy(
    sealed_log: list[int], attacker: Attacker, checkpoint_file: Path, tmp_path: Path
) -> None:
    """Why the checkpoint file must be copied somewhere the attacker cannot write."""
    rewritten = tmp_path / "rewritten.jsonl"
    rewritten.write_text("".join(checkpoint_file.read_text().splitlines(keepends=True)[:2]))
    with undone():
        first = attacker.truncate_tail(29)  # exactly the last checkpoint
        assert chain.verify(rewritten).ok
        assert chain.verify(checkpoint_file).first_bad_seq == first == LOG[200]


def test_a_changed_seal_is_found_at_its_seq(sealed_log: list[int], attacker: Attacker) -> None:
    with undone():
        attacker.execute("UPDATE audit_auditseal SET chain = %s WHERE seq = %s", ["0" * 64, 123])
        assert first_bad() == 123
    with undone():
        attacker.execute("UPDATE audit_auditseal SET checkpoint_id = 1 WHERE seq = %s", [205])
        assert first_bad() == 205


def test_a_seal_without_a_checkpoint_is_found(sealed_log: list[int], attacker: Attacker) -> None:
    with undone():
        attacker.insert_event(300, like=240)
        attacker.execute(
            "INSERT INTO audit_auditseal (seq, checkpoint_id, chain) VALUES (%s, %s, %s)",
            [300, 9, "0" * 64],
        )
        assert first_bad() == 300


def test_signature_check_fails_if_a_checkpoint_head_is_changed(
    sealed_log: list[int], attacker: Attacker, checkpoint_file: Path, tmp_path: Path
) -> None:
    """Even when the attacker rewrites the exported file to match the database."""
    forged = tmp_path / "forged.jsonl"
    lines = [json.loads(line) for line in checkpoint_file.read_text().splitlines()]
    lines[1]["head"] = "f" * 64
    forged.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with undone():
        attacker.execute("UPDATE audit_auditcheckpoint SET head = %s WHERE number = 2", ["f" * 64])
        report = chain.verify(forged)
        assert not report.ok
        assert "SM2 signature" in report.reason
        assert "differs from the checkpoint file (head)" in chain.verify().reason


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("first_seq", 2),
        ("last_seq", 199),
        ("count", 99),
        ("previous_head", "0" * 64),
        ("sealed_at", "2030-01-01 00:00:00"),
        ("signature", "00"),
    ],
)
def test_any_change_to_a_checkpoint_row_is_found(
    sealed_log: list[int], attacker: Attacker, column: str, value: object
) -> None:
    with undone():
        attacker.execute(
            f"UPDATE audit_auditcheckpoint SET {column} = %s WHERE number = 2",  # noqa: S608
            [value],
        )
        report = chain.verify()
        assert not report.ok, column
        assert report.first_bad_seq is not None
        assert report.first_bad_seq <= AuditCheckpoint.objects.get(number=2).last_seq


def test_a_damaged_checkpoint_file_line_fails_verification(
    sealed_log: list[int], checkpoint_file: Path
) -> None:
    text = checkpoint_file.read_text()
    checkpoint_file.write_text(text.replace('"count":100', '"count":10', 1))
    report = chain.verify()
    assert not report.ok
    assert report.first_bad_seq == LOG[99]  # the last sequence number of checkpoint 1
    assert "SM2 signature of checkpoint 1" in report.reason


# ---------------------------------------------------------------- the mixed matrix


def attacks(attacker: Attacker) -> list[Callable[[random.Random], int]]:
    """Each attack does its damage and returns the sequence number verification must name."""

    def edit(rng: random.Random) -> int:
        return attacker.edit_byte(rng, rng.choice(LOG), ALL_COLUMNS).first_bad_seq

    def delete(rng: random.Random) -> int:
        seq = rng.choice(LOG)
        attacker.delete_event(seq)
        return seq

    def swap(rng: random.Random) -> int:
        first, second = sorted(rng.sample(LOG, 2))
        attacker.swap_events(first, second)
        return first

    def insert(rng: random.Random) -> int:
        seq = rng.choice((0, *GAPS))
        attacker.insert_event(seq, like=rng.choice(LOG))
        return seq

    def truncate(rng: random.Random) -> int:
        return attacker.truncate_tail(rng.randint(1, 120))  # the contiguous tail

    return [edit, edit, delete, swap, insert, truncate]


def run_matrix(attacker: Attacker, rounds: int) -> None:
    rng = seeded()
    kinds = attacks(attacker)
    for round_ in range(rounds):
        attack = rng.choice(kinds)
        with undone():
            expected = attack(rng)
            report = chain.verify()
            assert report.first_bad_seq == expected, (round_, attack.__name__, report.reason)


def test_tamper_matrix(sealed_log: list[int], attacker: Attacker) -> None:
    run_matrix(attacker, 200)


@pytest.mark.slow
def test_tamper_matrix_a_thousand_rounds(sealed_log: list[int], attacker: Attacker) -> None:
    run_matrix(attacker, 1000)


def test_an_attacker_with_the_chain_key_is_stopped_by_the_signed_head(
    sealed_log: list[int], attacker: Attacker
) -> None:
    """Edit event 150 and recompute every later seal of its checkpoint with k_audit: the seals
    agree again, but the events no longer hash to the SM2-signed head of checkpoint 2."""
    second = AuditCheckpoint.objects.get(number=2)
    with undone():
        attacker.execute("UPDATE audit_auditevent SET outcome = %s WHERE seq = %s", ["error", 150])
        head = AuditSeal.objects.get(seq=149).chain
        for event in AuditEvent.objects.filter(seq__gte=150, seq__lte=second.last_seq).values(
            *EVENT_FIELDS
        ):
            head = link(head, event, chain_key())
            attacker.execute(
                "UPDATE audit_auditseal SET chain = %s WHERE seq = %s", [head, event["seq"]]
            )
        report = chain.verify()
        assert report.first_bad_seq == second.first_seq
        assert "do not hash to its signed head" in report.reason
