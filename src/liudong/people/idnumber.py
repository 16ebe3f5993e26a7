"""Resident identity numbers (GB 11643-1999): parse and validate with reasons a person can act on.

python-stdnum is the oracle for single values; it raises a bare ``KeyError('county')`` for
county codes missing from its table (330113 临平区, 330114 钱塘区), so its verdict is only
taken when it has the county, and the region is otherwise checked against liudong's own
vendored GB/T 2260 table.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from stdnum.cn import ric

from liudong import regions

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


class IDNumberError(ValueError):
    """Why an ID number is not valid; ``code`` is stable for the API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class IDNumber:
    value: str
    region: int
    birth_date: dt.date
    sex: str  # "M" or "F"

    @property
    def masked(self) -> str:
        """110105********002X: region kept, birth date and sequence hidden."""
        return self.value[:6] + "*" * 8 + self.value[14:]


def check_digit(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().upper()


def parse(raw: str, *, today: dt.date) -> IDNumber:
    """Validate an 18-character ID number; ``today`` bounds the birth date (no clock read)."""
    value = normalise(raw)
    if len(value) != 18:
        raise IDNumberError(
            "id_length", f"an ID number has 18 characters; this one has {len(value)}"
        )
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise IDNumberError("id_characters", "an ID number is 17 digits followed by a digit or X")
    if check_digit(value[:17]) != value[17]:
        raise IDNumberError(
            "id_check_digit",
            f"the check digit should be {check_digit(value[:17])}, not {value[17]}: "
            "a digit was probably mistyped",
        )
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IDNumberError("id_birth_date", f"{value[6:14]} is not a real date of birth") from None
    if birth > today:
        raise IDNumberError("id_birth_future", f"the date of birth {birth} is in the future")
    if birth.year < 1890:
        raise IDNumberError("id_birth_date", f"the date of birth {birth} is not plausible")
    region = int(value[:6])
    if not regions.exists(region):
        raise IDNumberError("id_region", f"{value[:6]} is not a GB/T 2260 region code")
    _check_with_stdnum(value)
    return IDNumber(value, region, birth, "M" if int(value[16]) % 2 else "F")


def _check_with_stdnum(value: str) -> None:
    try:
        ric.validate(value)
    except KeyError:
        return  # a county stdnum does not know: our own table has already accepted it
    except Exception as exc:  # stdnum raises its own ValidationError subclasses
        raise IDNumberError("id_invalid", f"not a valid ID number: {exc}") from None
