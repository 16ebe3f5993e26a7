"""What an employer confirms in a points application: the employment indicators the applicant
claims (the scheme's fields marked ``needs_employer``), each beside what the registry held when
she applied.

The same test as ``actions.do_finish_verification`` (``employer_not_confirmed``): an
application waits for its employer while it names an employer, claims at least one employment
indicator, has not been confirmed, and is live with its case open (an employer's own filing
counts as confirmed). Read by the employer's pages and by the applicant's case page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from liudong.settlement import schemes
from liudong.settlement.actions import LIVE_STATES, applications_for
from liudong.settlement.views_display import fact_value, text

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from liudong.accounts.models import User
    from liudong.settlement.models import Application


@dataclass(frozen=True)
class IndicatorRow:
    """One employment indicator: what she declared, what the registry held, and whether the
    two disagree (flagged in ``Application.differences`` when she applied)."""

    name: str
    label: str
    declared: str
    registry: str
    differs: bool
    cite: str


def claimed(application: Application) -> list[schemes.Field]:
    """The employment indicators the application claims (declared and not empty)."""
    try:
        found = schemes.scheme(application.round.scheme)
    except KeyError:
        return []
    return [f for f in found.fields if f.needs_employer and application.declared.get(f.name)]


def indicator_rows(application: Application) -> list[IndicatorRow]:
    """The claimed employment indicators as the employer's page shows them."""
    flagged = {d.get("field") for d in application.differences if isinstance(d, dict)}
    rows = []
    for field in claimed(application):
        declared = application.declared.get(field.name)
        known = application.registry.get(field.name)
        rows.append(
            IndicatorRow(
                name=field.name,
                label=text(field.label),
                declared=fact_value(field, declared),
                registry=fact_value(field, known),
                differs=field.name in flagged,
                cite=field.cite,
            )
        )
    return rows


def employment_pending(application: Application) -> bool:
    """Whether the application waits for its employer's confirmation."""
    return (
        application.employer_id is not None
        and application.employment_confirmed_at is None
        and application.live
        and application.case is not None
        and application.case.state in LIVE_STATES
        and bool(claimed(application))
    )


def awaiting_employer(user: User) -> list[Application]:
    """The applications of ``user``'s employer's employees that wait for her confirmation,
    oldest first (none for anyone but an employer representative)."""
    if user.employer_id is None:
        return []
    candidates: QuerySet[Application] = (
        applications_for(user)
        .filter(
            employer_id=user.employer_id,
            live=True,
            employment_confirmed_at__isnull=True,
            case__state__in=LIVE_STATES,
        )
        .order_by("created_at", "pk")
    )
    return [a for a in candidates if employment_pending(a)]
