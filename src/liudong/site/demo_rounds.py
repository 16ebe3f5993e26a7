"""Demo settlement data: Beijing points rounds with synthetic applicants, and a Shanghai example.

Everything goes through the domain actions, so the demo obeys the rules the pages enforce:
the caseworker of 朝阳区 (``bj-staff``) issues the applicants' residence permits and records
their social insurance and jobs in the registry (``liudong.people.actions``); the applicants
apply for themselves or their employer files for them; the caseworker verifies, the supervisor
(``bj-supervisor``) confirms, and the round is ranked, published and finalised
(``liudong.settlement.actions``).

- **Last year's round** (closed, ranked, list v1 published, permits issued: status final):
  six applicants, quota three; one is refused. The rules forbid confirming before a round
  closes and publishing before ranking, so these steps are replayed on their own dates of last
  year (:func:`history_at` sets the clock the actions read; the audit trail records each step at
  that date).
- **This year's round** (open, window around today): last year's unsuccessful applicants and
  two new ones, at the stages a live round has (verified, review requested, in verification,
  submitted, filed by the employer and awaiting the applicant). Confirmation waits for the
  round to close, as the rules say.
- **Shanghai**: Shanghai's points are a residence-permit score against the standard 120, with
  no annual round; ``sh-citizen`` lives in 浦东新区 with a permit and Shanghai social
  insurance in the registry, so her self-check (signed in, "use my records") shows her
  Shanghai score.

The receipt secret of one admitted applicant of last year is returned (shown once, never
stored: only its key is), so the receipt check can be tried.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from unittest import mock
from zoneinfo import ZoneInfo

import polars as pl
from django.utils import timezone

from liudong.accounts.models import User
from liudong.people import actions as registry
from liudong.people.models import Employer, Person
from liudong.settlement import actions as settlement
from liudong.settlement import schemes
from liudong.settlement.models import Application, RankingEntry, Round
from liudong.tasks import run_pending
from liudong.workdays import add_working_days

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

SHANGHAI_TZ: Final = ZoneInfo("Asia/Shanghai")
CHAOYANG: Final = 110105
PUDONG: Final = 310115
BEIJING: Final = 110000
SHANGHAI: Final = 310000
APPLICANTS: Final = 8  # bj-applicant1 ... bj-applicant8
LAST_YEAR_APPLICANTS: Final = 6
LAST_YEAR_QUOTA: Final = 3
THIS_YEAR_QUOTA: Final = 6000
# A minimal PDF: the evidence an applicant's file holds (the evidence store checks the type).
EVIDENCE_PDF: Final = (
    b"%PDF-1.7\n% liudong demo evidence\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
)


@dataclass(frozen=True)
class Rounds:
    last_year: Round
    this_year: Round
    receipt: tuple[str, str] | None  # (username, receipt secret) of an admitted applicant


@contextlib.contextmanager
def history_at(day: dt.date, hour: int = 10) -> Iterator[None]:
    """Run the enclosed actions as on ``day`` (China time): ``django.utils.timezone.now`` (and
    so ``localdate``, the workflows' ``today_local`` and every timestamp the actions write)
    answers that moment, a millisecond later on each call, so the order of events is kept."""
    start = dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI_TZ)
    ticks = itertools.count()

    def now() -> dt.datetime:
        return (start + dt.timedelta(milliseconds=next(ticks))).astimezone(dt.UTC)

    with mock.patch.object(timezone, "now", now):
        yield


def seed(
    person: pl.DataFrame,
    ids: dict[int, int],
    make_user: Callable[..., User],
    taken: set[int],
) -> Rounds:
    """Registry records, accounts, both Beijing rounds and the Shanghai example.

    ``person`` is the population's person table, ``ids`` maps its person ids to Person keys,
    ``make_user(username, role, **fields)`` creates a demo account and ``taken`` holds the
    population person ids already bound to accounts."""
    staff = User.objects.get(username="bj-staff")
    supervisor = User.objects.get(username="bj-supervisor")
    employer_rep = User.objects.get(username="employer")
    employer = employer_rep.employer
    assert employer is not None  # noqa: S101  # made by the demo just before
    today = timezone.localdate()
    rows = _migrants(person, taken, APPLICANTS + 1)
    applicants = []
    for number, row in enumerate(rows[:APPLICANTS], start=1):
        found = Person.objects.get(pk=ids[row["person_id"]])
        _registry_records(staff, employer_rep, employer, found, row, number, today)
        applicants.append(make_user(f"bj-applicant{number}", "citizen", person=found))
    last, receipt = _last_year(staff, supervisor, applicants[:LAST_YEAR_APPLICANTS], today)
    admitted = set(
        RankingEntry.objects.filter(list__round=last, admitted=True).values_list(
            "application__person_id", flat=True
        )
    )
    again = [a for a in applicants[:LAST_YEAR_APPLICANTS] if a.person_id not in admitted]
    current = _this_year(staff, employer_rep, [*again, *applicants[LAST_YEAR_APPLICANTS:]], today)
    if len(rows) > APPLICANTS:
        _shanghai_example(rows[APPLICANTS], ids, make_user, today)
    return Rounds(last, current, receipt)


def _migrants(person: pl.DataFrame, taken: set[int], count: int) -> list[dict[str, Any]]:
    """Adults of 32 to 45 whose hukou and residence are outside Beijing and Shanghai."""
    today = timezone.localdate()
    young = dt.date(today.year - 32, 1, 1)
    old = dt.date(today.year - 45, 1, 1)
    outside = ~(pl.col("hukou_region") // 10000).is_in([11, 31]) & ~(
        pl.col("residence_region") // 10000
    ).is_in([11, 31])
    found = person.filter(
        outside
        & (pl.col("birth_date") <= young)
        & (pl.col("birth_date") >= old)
        & ~pl.col("person_id").is_in(list(taken))
    ).sort("person_id")
    return list(found.head(count).iter_rows(named=True))


def _registry_records(
    staff: User,
    employer_rep: User,
    employer: Employer,
    person: Person,
    row: dict[str, Any],
    number: int,
    today: dt.date,
) -> None:
    """A Chaoyang residence permit, Beijing social insurance and a job at the demo employer
    (confirmed by it) since 16 - ``number`` years ago: 15 to 8 years, so every applicant meets
    the seven years the Beijing measures ask for."""
    since = dt.date(today.year - 16 + number, 3, 1)
    registry.do_issue_residence_permit(
        staff,
        id_number=row["id_number"],
        district=CHAOYANG,
        issued_on=dt.date(today.year - 3, 3, 1),
        valid_until=dt.date(today.year + 1, 12, 31),
    )
    registry.do_record_insurance_spell(
        staff,
        person.pk,
        scheme="enterprise_pension",
        city=BEIJING,
        start=since,
        monthly_base="9000.00",
    )
    job = registry.do_start_employment(
        staff, person_id=person.pk, employer_id=employer.pk, start=since
    )
    registry.do_confirm_employment(employer_rep, job.pk)


def _facts(rnd: Round, person: Person, number: int) -> dict[str, object]:
    """What the applicant declares: what the registry knows, and rent months and the facts
    only she can show (no criminal record, a matching degree)."""
    found = schemes.scheme(rnd.scheme)
    facts: dict[str, object] = {}
    for field in found.fields_on(rnd.assessed_on):
        if field.registry is None:
            continue
        value = settlement.registry_value(field, person, rnd.region_id, rnd.assessed_on)
        if value is not None:
            facts[field.name] = value
    facts.setdefault("education", "bachelor")
    facts.update(
        has_criminal_record=False,
        education_matched=True,
        bj_residence_rent_months=12 * (2 + number % 5),
    )
    return settlement.json_clean(facts)  # type: ignore[no-any-return]


def _verify(staff: User, application: Application, *, finish: bool = True) -> Application:
    """Verify what the registry does not confirm, each with a document; then finish."""
    for indicator in sorted(application.declared):
        if application.registry.get(indicator) != application.declared[indicator]:
            settlement.do_verify_indicator(
                staff,
                application,
                indicator=indicator,
                value=application.declared[indicator],
                uploads=[settlement.Upload(f"{indicator}.pdf", EVIDENCE_PDF, "application/pdf")],
            )
            application.refresh_from_db()
            if not finish:
                return application
    settlement.do_finish_verification(staff, application)
    application.refresh_from_db()
    return application


def _last_year(
    staff: User, supervisor: User, applicants: list[User], today: dt.date
) -> tuple[Round, tuple[str, str] | None]:
    """Open (1 April), apply, close (6 May), verify, confirm after the review window, rank,
    publish, issue permits after the objection window: last year's round, final."""
    year = today.year - 1
    opens = dt.date(year, 4, 1)
    with history_at(opens):
        rnd = settlement.do_open_round(
            staff,
            scheme="beijing",
            year=year,
            quota=LAST_YEAR_QUOTA,
            opens_on=opens,
            closes_on=dt.date(year, 4, 30),
        )
    receipts: dict[int, str] = {}
    applications = []
    for number, user in enumerate(applicants, start=1):
        with history_at(opens + dt.timedelta(days=number)):
            person = user.person
            assert person is not None  # noqa: S101  # bound just before
            filed = settlement.do_apply(user, rnd, facts=_facts(rnd, person, number))
            applications.append(filed.application)
            if filed.secret is not None:
                receipts[user.pk] = filed.secret
    with history_at(dt.date(year, 5, 6)):
        settlement.do_close_round(staff, rnd)
    verified_on = dt.date(year, 5, 12)
    with history_at(verified_on):
        for application in applications:
            settlement.do_confirm_employment(User.objects.get(username="employer"), application)
            _verify(staff, Application.objects.get(pk=application.pk))
    confirm_on = add_working_days(verified_on, rnd.review_window_days).date + dt.timedelta(days=1)
    with history_at(confirm_on):
        for application in applications[:-1]:
            settlement.do_confirm_application(
                supervisor, Application.objects.get(pk=application.pk)
            )
        settlement.do_refuse_application(
            supervisor,
            Application.objects.get(pk=applications[-1].pk),
            reason="在京连续缴纳社会保险记录与单位出具的证明不一致，不予受理；"
            "可在下一年度补齐证明后重新申请。",
        )
    ranked_on = confirm_on + dt.timedelta(days=7)
    with history_at(ranked_on):
        settlement.do_rank_round(staff, Round.objects.get(pk=rnd.pk))
        run_pending()  # the ranking task, as the worker would run it
    rnd.refresh_from_db()
    notice_on = ranked_on + dt.timedelta(days=3)
    with history_at(notice_on):
        settlement.do_publish_notice(staff, rnd)
    rnd.refresh_from_db()
    assert rnd.notice_until is not None  # noqa: S101  # set by the notice just above
    with history_at(rnd.notice_until + dt.timedelta(days=1)):
        settlement.do_issue_permits(supervisor, rnd)
    rnd.refresh_from_db()
    admitted = (
        RankingEntry.objects.filter(list__round=rnd, admitted=True)
        .order_by("rank", "index")
        .values_list("application__filed_by", flat=True)
        .first()
    )
    receipt = None
    if admitted is not None and admitted in receipts:
        receipt = (User.objects.get(pk=admitted).username, receipts[admitted])
    return rnd, receipt


def _this_year(staff: User, employer_rep: User, applicants: list[User], today: dt.date) -> Round:
    """This year's round, open from two weeks ago to a month from today, with applications at
    every stage a live round has."""
    opens = today - dt.timedelta(days=14)
    with history_at(opens):
        rnd = settlement.do_open_round(
            staff,
            scheme="beijing",
            year=today.year,
            quota=THIS_YEAR_QUOTA,
            opens_on=opens,
            closes_on=today + dt.timedelta(days=30),
        )
    stages = ("verified", "review_requested", "verifying", "submitted", "awaiting_applicant")
    for number, (user, stage) in enumerate(zip(applicants, stages, strict=False), start=1):
        person = user.person
        assert person is not None  # noqa: S101  # bound by the demo
        facts = _facts(rnd, person, number + 2)
        if stage == "awaiting_applicant":
            settlement.do_apply(employer_rep, rnd, facts=facts, person=person)
            continue
        application = settlement.do_apply(user, rnd, facts=facts).application
        settlement.do_confirm_employment(employer_rep, application)
        application.refresh_from_db()
        if stage == "submitted":
            continue
        application = _verify(staff, application, finish=stage != "verifying")
        if stage == "review_requested":
            settlement.do_request_review(
                user,
                application,
                grounds="我的租房合同还有一年没有计入居住年限，请复核。",
            )
    return rnd


def _shanghai_example(
    row: dict[str, Any],
    ids: dict[int, int],
    make_user: Callable[..., User],
    today: dt.date,
) -> None:
    """``sh-citizen``: a Pudong residence permit and Shanghai social insurance since six years
    ago, recorded by the Pudong caseworker; her self-check shows her Shanghai points."""
    officer = User.objects.get(username="sh-staff")
    person = Person.objects.get(pk=ids[row["person_id"]])
    registry.do_issue_residence_permit(
        officer,
        id_number=row["id_number"],
        district=PUDONG,
        issued_on=dt.date(today.year - 2, 9, 1),
        valid_until=dt.date(today.year + 1, 8, 31),
    )
    registry.do_record_insurance_spell(
        officer,
        person.pk,
        scheme="enterprise_pension",
        city=SHANGHAI,
        start=dt.date(today.year - 6, 7, 1),
        monthly_base="12000.00",
    )
    make_user("sh-citizen", "citizen", person=person)
