"""The example case type is registered for every workflow test; each test starts and ends
with no cached working-day calendar (see tests/workdays/conftest.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from liudong.workdays.selectors import forget_calendar
from liudong.workflows import register
from tests.workflows.example import DOCUMENT_REQUEST

if TYPE_CHECKING:
    from collections.abc import Iterator

register(DOCUMENT_REQUEST)


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    forget_calendar()
    yield
    forget_calendar()
