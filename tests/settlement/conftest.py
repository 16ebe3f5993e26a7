"""Fixtures of the settlement tests: the clock stopped on :data:`rounds_helpers.TODAY` (China
time) and a Beijing round opened that day."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import time_machine

from tests.settlement.rounds_helpers import TODAY, at, open_round

if TYPE_CHECKING:
    from collections.abc import Iterator

    from liudong.settlement.models import Round
    from tests.personas import World


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(at(TODAY), tick=False) as moved:
        yield moved


@pytest.fixture
def bj(traveller: time_machine.Traveller, world: World) -> Round:
    return open_round(world, TODAY)
