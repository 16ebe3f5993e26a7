"""Shared set-up for the round tests: a Beijing round opened today (China time), applicants
with accounts, and the steps of a case from application to confirmation."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from liudong.accounts.models import Role
from liudong.settlement import actions
from liudong.settlement.actions import Upload
from liudong.workdays import add_working_days
from tests.evidence.samples import PDF
from tests.factories import InsuranceFactory, PermitFactory, PersonFactory, UserFactory

if TYPE_CHECKING:
    import time_machine

    from liudong.accounts.models import User
    from liudong.settlement.models import Application, Round
    from tests.personas import World

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 30)  # a Monday; the world's permits are valid from 2026-10-29


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def facts(
    person_birth: dt.date, *, si_months: int = 96, education: str = "bachelor"
) -> dict[str, Any]:
    """Declared facts of a Beijing applicant (men's retirement group, no record)."""
    return {
        "holds_residence_permit": True,
        "birth_date": person_birth.isoformat(),
        "retirement_group": "men",
        "si_months_beijing": si_months,
        "has_criminal_record": False,
        "education": education,
        "education_matched": True,
    }


def open_round(world: World, today: dt.date, *, quota: int = 2) -> Round:
    return actions.do_open_round(
        world.beijing_caseworker,
        scheme="beijing",
        year=today.year,
        quota=quota,
        opens_on=today,
        closes_on=today + dt.timedelta(days=7),
    )


def citizen(name: str, birth: dt.date) -> User:
    """A migrant with a Chaoyang residence permit, Beijing insurance and an account."""
    person = PersonFactory.create(name=name, sex="M", birth_date=birth, hukou=411502)
    PermitFactory.create(person=person, district=110105)
    InsuranceFactory.create(person=person, city=110000, start=dt.date(2016, 1, 1))
    user: User = UserFactory.create(
        username=f"applicant-{person.pk}", role=Role.CITIZEN, person=person
    )
    return user


def verify_all(caseworker: User, application: Application) -> None:
    """Verify what the registry does not confirm, with a PDF each, and finish."""
    for indicator in sorted(application.declared):
        if application.registry.get(indicator) != application.declared[indicator]:
            actions.do_verify_indicator(
                caseworker,
                application,
                indicator=indicator,
                value=application.declared[indicator],
                uploads=[Upload("proof.pdf", PDF, "application/pdf")],
            )
            application.refresh_from_db()
    actions.do_finish_verification(caseworker, application)


def after_review_window(traveller: time_machine.Traveller, rnd: Round, day: dt.date) -> dt.date:
    """Move past the review window counted from ``day`` and past the round's close."""
    later = max(add_working_days(day, rnd.review_window_days).date, rnd.closes_on)
    later += dt.timedelta(days=1)
    traveller.move_to(at(later))
    return later
