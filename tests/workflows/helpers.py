"""Shared steps for the workflow tests: open the example case and move it along."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from liudong.accounts.models import Role
from liudong.workflows.actions import do_open_case, do_transition
from tests.factories import UserFactory
from tests.personas import CHAOYANG

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from liudong.workflows.models import Case
    from tests.personas import World

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXAMPLE = "example.document_request"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """``hour`` o'clock in China on ``day``."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def open_case(world: World) -> Case:
    """The migrant's request, opened by herself in 朝阳区."""
    return do_open_case(world.henan_migrant, EXAMPLE, CHAOYANG, world.migrant)


def under_review(world: World) -> Case:
    """The migrant's request, taken up by the Beijing caseworker (the maker)."""
    return do_transition(world.beijing_caseworker, open_case(world), "start_review")


def second_supervisor(world: World) -> User:
    return UserFactory.create(
        username="beijing_supervisor_2", role=Role.SUPERVISOR, agency=world.chaoyang_agency
    )
