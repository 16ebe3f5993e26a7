"""Every test starts and ends with no cached calendar: a year loaded inside a test's
(rolled-back) transaction must not leak into the next test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from liudong.workdays.selectors import forget_calendar

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    forget_calendar()
    yield
    forget_calendar()
