"""Resident ID numbers: every way one can be wrong gets its own reason."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liudong.people.idnumber import IDNumberError, check_digit, parse

TODAY = dt.date(2026, 11, 28)
VALID = "11010519491231002X"


def test_a_valid_number_is_parsed() -> None:
    number = parse(VALID, today=TODAY)
    assert number.region == 110105
    assert number.birth_date == dt.date(1949, 12, 31)
    assert number.sex == "F"
    assert number.masked == "110105********002X"


def test_full_width_digits_and_lower_x_are_normalised() -> None:
    assert parse("１１０１０５１９４９１２３１００２x", today=TODAY).value == VALID


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("11010519491231002", "id_length"),
        ("11010519491231002Y", "id_characters"),
        ("110105194912310021", "id_check_digit"),
        ("110105" + "19990230" + "002", "id_birth_date"),
        ("110105" + "20270101" + "002", "id_birth_future"),
        ("990105" + "19491231" + "002", "id_region"),
    ],
)
def test_each_defect_has_its_code(raw: str, code: str) -> None:
    if len(raw) == 17 and code != "id_length":
        raw += check_digit(raw)
    with pytest.raises(IDNumberError) as info:
        parse(raw, today=TODAY)
    assert info.value.code == code


def test_county_missing_from_stdnum_is_checked_against_our_table() -> None:
    first = "330113" + "19900101" + "123"  # 临平区 (2021), unknown to python-stdnum 2.2
    assert parse(first + check_digit(first), today=TODAY).region == 330113


@pytest.mark.property
@given(st.integers(0, 16), st.integers(1, 9))
def test_check_digit_catches_every_single_digit_substitution(position: int, shift: int) -> None:
    digits = list(VALID[:17])
    digits[position] = str((int(digits[position]) + shift) % 10)
    assert check_digit("".join(digits)) != VALID[17]


@pytest.mark.property
@given(st.integers(0, 15))
def test_check_digit_catches_adjacent_transpositions(position: int) -> None:
    digits = list(VALID[:17])
    if digits[position] == digits[position + 1]:
        return
    digits[position], digits[position + 1] = digits[position + 1], digits[position]
    assert check_digit("".join(digits)) != VALID[17]
