"""Amounts of money: exact decimals in yuan with at most two places (fen), never floats.

The API carries amounts as JSON strings ("8000.00"); a JSON number is refused before it gets
here, because a binary float cannot hold most fen values exactly.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from liudong.site.errors import InvalidInputError

MAX_YUAN = Decimal("999999999999.99")


def parse_money(raw: str | Decimal, field: str) -> Decimal:
    """A non-negative amount with at most two decimal places, or a designed error."""
    try:
        amount = raw if isinstance(raw, Decimal) else Decimal(raw.strip())
    except InvalidOperation:
        raise InvalidInputError(
            "amount_format", f"金额应写成如 8000.00 的数字，而不是 {str(raw)[:20]!r}", field
        ) from None
    if not amount.is_finite():
        raise InvalidInputError(
            "amount_not_finite", "金额必须是有限的数字（不能是 NaN 或无穷）", field
        )
    if amount < 0:
        raise InvalidInputError("amount_negative", "金额不能为负数", field)
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]  # finite: exponent is an int
        raise InvalidInputError("amount_precision", "金额最多精确到分（两位小数）", field)
    if amount > MAX_YUAN:
        raise InvalidInputError("amount_too_large", "金额超出允许范围", field)
    return amount.quantize(Decimal("0.01"))
