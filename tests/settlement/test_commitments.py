"""Verifiable lists (issue 5 item 3): receipt secrets, commitments, Merkle proofs, receipts,
snapshot hashes and list versions.

Properties: every inclusion proof verifies; any changed leaf, proof step, index, secret or root
fails; the tree equals RFC 9162's recursive definition; the batch paths equal the one-entry
paths; gmssl-pyx's SM3 equals liudong.crypto's; a receipt from version 1 verifies against
version 2's root (with version 2's inclusion path) exactly when its entry did not change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liudong.crypto import hmac_sm3, sm3
from liudong.settlement.commitments import (
    KEY_TAG,
    Change,
    Entry,
    MerkleTree,
    Proof,
    SecretError,
    changes,
    commit,
    commit_columns,
    commit_many,
    entry_bytes,
    new_receipt_secret,
    parse_secret,
    publish,
    receipt,
    receipt_key,
    snapshot_hash,
    verify_proof,
    verify_receipt,
)

pytestmark = pytest.mark.property

ROUND = {"city": "beijing", "year": 2025, "quota": 6000, "opened": dt.date(2025, 4, 1)}
RULESET = "beijing/BJ20@0123456789ab"

digests = st.binary(min_size=32, max_size=32)
# Distinct, as commitments are (each binds its own entry reference): two equal leaves at
# different positions would have interchangeable proofs.
leaves = st.lists(digests, min_size=1, max_size=40, unique=True)
tree_and_index = leaves.flatmap(lambda ls: st.tuples(st.just(ls), st.integers(0, len(ls) - 1)))


def mth(commitments: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, recursively, with liudong.crypto's SM3 (an independent reference)."""
    if len(commitments) == 1:
        return sm3(b"\x00" + commitments[0])
    split = 1
    while split * 2 < len(commitments):
        split *= 2
    return sm3(b"\x01" + mth(commitments[:split]) + mth(commitments[split:]))


def make_list(n: int, version: int = 1) -> tuple[list[str], list[Entry]]:
    secrets_ = [new_receipt_secret() for _ in range(n)]
    entries = [
        Entry(7, version, f"e{i:04d}", 9000 - 25 * (i // 2), 1 + 2 * (i // 2), i < n // 2)
        for i in range(n)
    ]
    return secrets_, entries


# -- secrets and keys ---------------------------------------------------------------------------


def test_secret_is_256_random_bits_shown_as_base32_groups() -> None:
    secret = new_receipt_secret()
    assert len(parse_secret(secret)) == 32
    assert len(secret.replace("-", "")) == 52
    assert secret != new_receipt_secret()


def test_secret_survives_how_people_type_it() -> None:
    secret = new_receipt_secret()
    typed = secret.lower().replace("-", " ").replace("O", "0")
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in secret)
    assert receipt_key(typed) == receipt_key(secret) == receipt_key(full_width)


@pytest.mark.parametrize("bad", ["", "ABCD-EFGH", "9" * 52, "A" * 53])
def test_malformed_secret_is_refused(bad: str) -> None:
    with pytest.raises(SecretError, match="receipt secret"):
        receipt_key(bad)


def test_key_is_sm3_of_tag_and_secret_bytes() -> None:
    secret = new_receipt_secret()
    assert receipt_key(secret) == sm3(KEY_TAG + parse_secret(secret))


# -- commitments --------------------------------------------------------------------------------


@given(st.binary(max_size=200), st.binary(min_size=1, max_size=64))
def test_gmssl_sm3_equals_liudong_crypto(data: bytes, key: bytes) -> None:
    from liudong.settlement import commitments

    assert commitments._sm3(data) == sm3(data)
    assert commitments._hmac_sm3(key, data) == hmac_sm3(key, data)


def test_commitment_is_hmac_sm3_of_the_canonical_entry() -> None:
    key = receipt_key(new_receipt_secret())
    entry = Entry(7, 1, "e0001", 9075, 12, True)
    assert commit(key, entry) == hmac_sm3(key, entry_bytes(entry))
    assert b"e0001" in entry_bytes(entry)


def test_commitment_binds_every_field_but_the_list_version() -> None:
    key = receipt_key(new_receipt_secret())
    entry = Entry(7, 1, "e0001", 9075, 12, True)
    for other in [
        dataclasses.replace(entry, round_id=8),
        dataclasses.replace(entry, entry_ref="e0002"),
        dataclasses.replace(entry, score_centi=9076),
        dataclasses.replace(entry, rank=13),
        dataclasses.replace(entry, admitted=False),
    ]:
        assert commit(key, other) != commit(key, entry)
    assert commit(key, dataclasses.replace(entry, list_version=2)) == commit(key, entry)


def test_columns_path_equals_entry_path() -> None:
    secrets_, entries = make_list(9)
    keys = [receipt_key(s) for s in secrets_]
    by_columns = commit_columns(
        7,
        keys,
        [e.entry_ref for e in entries],
        np.array([e.score_centi for e in entries]),
        np.array([e.rank for e in entries]),
        np.array([e.admitted for e in entries]),
    )
    assert by_columns == commit_many(keys, entries)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"entry_ref": ""}, "entry_ref must be non-empty"),
        ({"rank": -1}, "rank must lie in"),
        ({"rank": 0}, "an admitted entry must be ranked"),
        ({"score_centi": 90.75}, "score_centi must be a whole number"),
        ({"list_version": 0}, "list_version must lie in"),
    ],
)
def test_bad_entry_is_refused(change: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "round_id": 7,
        "list_version": 1,
        "entry_ref": "e1",
        "score_centi": 9075,
        "rank": 1,
        "admitted": True,
    } | change
    with pytest.raises(ValueError, match=message):
        Entry(**fields)  # type: ignore[arg-type]  # deliberately bad input


def test_columns_refuse_admitted_unranked_and_wrong_lengths() -> None:
    key = receipt_key(new_receipt_secret())
    with pytest.raises(ValueError, match="admitted entry must be ranked"):
        commit_columns(7, [key], ["e1"], np.array([9000]), np.array([0]), np.array([True]))
    with pytest.raises(ValueError, match="one value per key"):
        commit_columns(7, [key], ["e1"], np.array([9000, 1]), np.array([1]), np.array([True]))


# -- Merkle tree --------------------------------------------------------------------------------


@given(leaves)
def test_root_equals_rfc9162_recursive_definition(commitments: list[bytes]) -> None:
    assert MerkleTree.from_leaves(commitments).root == mth(commitments)


@given(tree_and_index)
def test_every_proof_verifies(case: tuple[list[bytes], int]) -> None:
    commitments, index = case
    tree = MerkleTree.from_leaves(commitments)
    assert verify_proof(commitments[index], index, tree.proof(index), tree.root)


@given(tree_and_index, digests)
def test_changed_leaf_fails(case: tuple[list[bytes], int], other: bytes) -> None:
    commitments, index = case
    tree = MerkleTree.from_leaves(commitments)
    if other != commitments[index]:
        assert not verify_proof(other, index, tree.proof(index), tree.root)


@given(tree_and_index, st.data())
def test_changed_proof_step_fails(case: tuple[list[bytes], int], data: st.DataObject) -> None:
    commitments, index = case
    tree = MerkleTree.from_leaves(commitments)
    proof = tree.proof(index)
    if not proof.path:
        return
    step = data.draw(st.integers(0, len(proof.path) - 1))
    bit = data.draw(st.integers(0, 255))
    flipped = bytearray(proof.path[step])
    flipped[bit // 8] ^= 1 << (bit % 8)
    path = (*proof.path[:step], bytes(flipped), *proof.path[step + 1 :])
    assert not verify_proof(commitments[index], index, Proof(proof.size, path), tree.root)
    assert not verify_proof(commitments[index], index, Proof(proof.size, path[:-1]), tree.root)
    assert not verify_proof(
        commitments[index], index, Proof(proof.size, (*proof.path, proof.path[0])), tree.root
    )


@given(tree_and_index, st.integers(-3, 45))
def test_changed_index_fails(case: tuple[list[bytes], int], other: int) -> None:
    commitments, index = case
    tree = MerkleTree.from_leaves(commitments)
    if other != index:
        assert not verify_proof(commitments[index], other, tree.proof(index), tree.root)


def test_size_outside_the_path_shape_fails() -> None:
    # The size is published with the root (and bound by the snapshot hash); as in RFC 9162 a
    # proof only fails for a size that its path cannot belong to.
    commitments = [bytes([i]) * 32 for i in range(5)]
    tree = MerkleTree.from_leaves(commitments)
    path = tree.proof(4).path
    for size in (0, 4, 8, 9):
        assert not verify_proof(commitments[4], 4, Proof(size, path), tree.root)


@given(tree_and_index, digests)
def test_changed_root_fails(case: tuple[list[bytes], int], other: bytes) -> None:
    commitments, index = case
    tree = MerkleTree.from_leaves(commitments)
    if other != tree.root:
        assert not verify_proof(commitments[index], index, tree.proof(index), other)


def test_odd_node_is_carried_up_not_duplicated() -> None:
    a, b, c = (bytes([i]) * 32 for i in range(3))
    assert MerkleTree.from_leaves([a, b, c]).root != MerkleTree.from_leaves([a, b, c, c]).root


def test_tree_refuses_empty_lists_and_odd_sized_commitments() -> None:
    with pytest.raises(ValueError, match="at least one commitment"):
        MerkleTree.from_leaves([])
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleTree.from_leaves([b"short"])
    with pytest.raises(IndexError, match="leaf index"):
        MerkleTree.from_leaves([bytes(32)]).proof(1)


# -- receipts -----------------------------------------------------------------------------------


def published(secrets_: list[str], entries: list[Entry]) -> tuple[list[bytes], MerkleTree, bytes]:
    commitments = commit_many([receipt_key(s) for s in secrets_], entries)
    pub = publish(ROUND, RULESET, entries[0].list_version, commitments)
    return commitments, pub.tree, pub.snapshot_hash


def issue(secret: str, entries: list[Entry], tree: MerkleTree, snap: bytes, i: int) -> dict:  # type: ignore[type-arg]  # the receipt is JSON
    return receipt(receipt_key(secret), entries[i], i, tree.proof(i), tree.root, snap, RULESET)


def test_receipt_verifies_with_the_secret_and_the_published_root() -> None:
    secrets_, entries = make_list(11)
    _, tree, snap = published(secrets_, entries)
    for i in (0, 5, 10):
        result = verify_receipt(
            issue(secrets_[i], entries, tree, snap, i), secrets_[i], tree.root.hex()
        )
        assert result.ok, result.reason
    doc = issue(secrets_[3], entries, tree, snap, 3)
    assert "secret" not in str(doc).lower()
    assert secrets_[3] not in str(doc)
    assert doc["snapshot_hash"] == snap.hex()


def test_receipt_fails_with_another_secret_altered_fields_or_another_root() -> None:
    secrets_, entries = make_list(6)
    _, tree, snap = published(secrets_, entries)
    doc = issue(secrets_[2], entries, tree, snap, 2)
    root = tree.root.hex()
    assert verify_receipt(doc, secrets_[3], root).code == "commitment_mismatch"
    assert verify_receipt(doc, "not a secret", root).code == "bad_secret"
    better = doc | {"entry": doc["entry"] | {"rank": 1}}
    assert verify_receipt(better, secrets_[2], root).code == "commitment_mismatch"
    moved = doc | {"index": 3}
    assert verify_receipt(moved, secrets_[2], root).code == "not_in_list"
    assert verify_receipt(doc, secrets_[2], bytes(32).hex()).code == "other_root"
    assert verify_receipt({"entry": {}}, secrets_[2], root).code == "malformed"
    assert verify_receipt(doc, secrets_[2], "zz").code == "malformed"


def test_server_refuses_to_issue_a_receipt_for_an_entry_not_in_the_tree() -> None:
    secrets_, entries = make_list(4)
    _, tree, snap = published(secrets_, entries)
    with pytest.raises(ValueError, match="not leaf 1"):
        receipt(receipt_key(secrets_[0]), entries[0], 1, tree.proof(1), tree.root, snap, RULESET)


@given(st.integers(2, 30), st.data())
def test_version_one_receipt_checks_against_version_two_exactly_when_unchanged(
    n: int, data: st.DataObject
) -> None:
    secrets_, v1 = make_list(n)
    _, tree1, snap1 = published(secrets_, v1)
    corrected = data.draw(st.integers(0, n - 1))
    v2 = [dataclasses.replace(e, list_version=2) for e in v1]
    v2[corrected] = dataclasses.replace(v2[corrected], score_centi=v2[corrected].score_centi + 50)
    _, tree2, snap2 = published(secrets_, v2)
    assert tree2.root != tree1.root
    assert snap2 != snap1
    who = data.draw(st.integers(0, n - 1))
    doc = issue(secrets_[who], v1, tree1, snap1, who)
    assert verify_receipt(doc, secrets_[who], tree1.root.hex()).ok
    assert verify_receipt(doc, secrets_[who], tree2.root.hex()).code == "other_root"
    against_v2 = verify_receipt(
        doc, secrets_[who], tree2.root.hex(), index=who, proof=tree2.proof(who)
    )
    assert against_v2.ok == (who != corrected)


# -- snapshots and versions ---------------------------------------------------------------------


def test_snapshot_hash_binds_round_ruleset_version_and_order() -> None:
    commitments = [bytes([i]) * 32 for i in range(4)]
    base = snapshot_hash(ROUND, RULESET, 1, commitments)
    assert base == snapshot_hash(dict(reversed(ROUND.items())), RULESET, 1, commitments)
    assert base != snapshot_hash(ROUND | {"quota": 6001}, RULESET, 1, commitments)
    assert base != snapshot_hash(ROUND, RULESET + "x", 1, commitments)
    assert base != snapshot_hash(ROUND, RULESET, 2, commitments)
    assert base != snapshot_hash(ROUND, RULESET, 1, commitments[::-1])
    assert base != snapshot_hash(ROUND, RULESET, 1, commitments[:3])
    assert snapshot_hash({"step": Decimal("0.25")}, RULESET, 1, commitments)
    with pytest.raises(ValueError, match="round parameters must be JSON values"):
        snapshot_hash({"x": object()}, RULESET, 1, commitments)


def test_changes_name_entries_and_fields_only() -> None:
    _, v1 = make_list(5)
    v2 = [dataclasses.replace(e, list_version=2) for e in v1[:4]]
    v2[1] = dataclasses.replace(v2[1], score_centi=1, rank=5, admitted=False)
    v2.append(Entry(7, 2, "late", 100, 6, False))
    assert changes(v1, v2) == [
        Change("e0001", "changed", ("score_centi", "rank", "admitted")),
        Change("e0004", "removed"),
        Change("late", "added"),
    ]
    assert changes(v1, [dataclasses.replace(e, list_version=2) for e in v1]) == []
    with pytest.raises(ValueError, match="later version"):
        changes(v2, v1)
    with pytest.raises(ValueError, match="unique"):
        changes(v1, [v2[0], v2[0]])
