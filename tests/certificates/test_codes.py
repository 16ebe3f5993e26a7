"""Verification codes: random, human-typable, and a typo is caught by the check symbol."""

from __future__ import annotations

import pytest

from liudong.certificates import codes


def test_a_new_code_is_four_groups_of_crockford_symbols_and_reads_back() -> None:
    made = {codes.new_code() for _ in range(200)}
    assert len(made) == 200
    for code in made:
        assert codes.PATTERN.fullmatch(code)
        assert codes.normalise(code) == code


def test_typing_is_forgiving_case_spaces_hyphens_and_look_alike_letters() -> None:
    body = "0110ABCDEFGHJKM"
    code = codes.format_code(body + codes.check_symbol(body))
    typed = " o1L0 abcd efgh-jkm" + code[-1].lower() + " "
    assert codes.normalise(typed) == code
    assert codes.normalise("ＯＩ１０" + code[4:]) == code  # full-width, as phones type them


def test_every_single_wrong_symbol_is_caught() -> None:
    code = codes.new_code().replace("-", "")
    for position in range(codes.LENGTH):
        for symbol in codes.ALPHABET:
            if symbol == code[position]:
                continue
            wrong = code[:position] + symbol + code[position + 1 :]
            pair = {code[position], symbol}
            if position < codes.RANDOM_SYMBOLS and pair == {"0", "Z"}:
                continue  # values 0 and 31: the one substitution mod 31 cannot see
            with pytest.raises(codes.CodeError):
                codes.normalise(wrong)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "请输入"),
        ("ABCD-EFGH-JKMN-PQU0", "不含 U"),
        ("ABCD-EFGH", "应有 16 位"),
    ],
)
def test_malformed_codes_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(codes.CodeError, match=says):
        codes.normalise(text)
