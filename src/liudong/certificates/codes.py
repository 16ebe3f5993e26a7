"""Verification codes: ``7KQ2-M9XD-4TNB-HW3C``, 16 Crockford base-32 symbols in four groups.

Fifteen symbols are random (75 bits: guessing one valid code among a billion certificates takes
about 2^45 tries) and the sixteenth is a check symbol, so that a mistyped code is reported as a
typo rather than as an unknown certificate. The check is ``sum((i + 1) * v_i) mod 31`` over the
fifteen values: 31 is prime and every weight is below it, so it catches every single wrong
symbol and every swap of two neighbours (except between ``0`` and ``Z``, whose values differ
by 31).

Crockford's alphabet has no I, L, O or U; a typed ``O`` is read as ``0`` and ``I``/``L`` as
``1``, case, spaces and hyphens are ignored.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
RANDOM_SYMBOLS = 15
LENGTH = RANDOM_SYMBOLS + 1
GROUP = 4
PATTERN = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}")
"""A formatted code anywhere in a text (upper case, with hyphens)."""


class CodeError(ValueError):
    """A text that cannot be a verification code; the message says what is wrong with it."""


def check_symbol(body: str) -> str:
    return ALPHABET[sum((i + 1) * _VALUES[s] for i, s in enumerate(body)) % 31]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return format_code(body + check_symbol(body))


def format_code(symbols: str) -> str:
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def normalise(text: str) -> str:
    """The code in its printed form; :class:`CodeError` if ``text`` cannot be one."""
    compact = unicodedata.normalize("NFKC", text or "").upper()
    compact = re.sub(r"[\s\-_.·]", "", compact).translate(_READ_AS)
    if not compact:
        raise CodeError(_("请输入证明上的验证码（16位，如 7KQ2-M9XD-4TNB-HW3C）"))
    wrong = sorted({ch for ch in compact if ch not in _VALUES})
    if wrong:
        raise CodeError(
            _("验证码只含数字和字母（不含 U）；这些字符不会出现在验证码中：%(chars)s")
            % {"chars": " ".join(wrong)}
        )
    if len(compact) != LENGTH:
        raise CodeError(
            _("验证码应有 %(expected)s 位，您输入了 %(got)s 位")
            % {"expected": LENGTH, "got": len(compact)}
        )
    if check_symbol(compact[:RANDOM_SYMBOLS]) != compact[RANDOM_SYMBOLS]:
        raise CodeError(_("验证码的校验位不符，可能有输入错误：请逐位核对证明上的验证码"))
    return format_code(compact)
