"""Field encryption and blind indexes (SM4-GCM, HMAC-SM3)."""

from __future__ import annotations

import pytest

from liudong import crypto


def test_encryption_round_trips_and_never_repeats() -> None:
    a = crypto.encrypt("11010519491231002X", "people.Person.id_number")
    b = crypto.encrypt("11010519491231002X", "people.Person.id_number")
    assert a != b
    assert a.startswith("k1:")
    assert crypto.decrypt(a, "people.Person.id_number") == "11010519491231002X"


def test_a_changed_byte_fails_the_integrity_check() -> None:
    token = crypto.encrypt("secret", "x")
    raw = bytearray(token.encode())
    raw[10] = ord("A") if raw[10] != ord("A") else ord("B")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(raw.decode(), "x")


def test_ciphertext_is_bound_to_its_field() -> None:
    token = crypto.encrypt("secret", "people.Person.id_number")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, "people.Person.phone")


def test_blind_index_is_stable_normalised_and_keyed() -> None:
    assert crypto.blind_index("11010519491231002x", "id") == crypto.blind_index(
        "１１０１０５１９４９１２３１００２X", "id"
    )
    assert crypto.blind_index("a", "id") != crypto.blind_index("a", "phone")


def test_sm2_signature_verifies_and_detects_changes() -> None:
    from django.conf import settings

    signature = crypto.sm2_sign(b"head")
    public = settings.LIUDONG_KEYS.sm2_public
    assert crypto.sm2_verify(public, b"head", signature)
    assert not crypto.sm2_verify(public, b"heae", signature)
