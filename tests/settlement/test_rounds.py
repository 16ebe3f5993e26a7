"""Annual rounds through their actions: the happy path from opening to permits, the workflow
invariants (no confirmation before the round closes, maker is not checker, steps out of order,
one live application per person per round) and bad inputs that must change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from liudong.audit.models import AuditEvent
from liudong.certificates.models import Certificate
from liudong.notifications.models import Notification
from liudong.settlement import actions, commitments, selectors
from liudong.settlement.actions import Upload
from liudong.settlement.models import (
    Application,
    IndicatorVerification,
    Objection,
    Permit,
    RankingList,
    Round,
    RoundStatus,
)
from liudong.site.errors import AccessDeniedError, ConflictError, InvalidInputError
from liudong.tasks import run_pending
from liudong.workdays import add_working_days
from tests.certificates.conftest import needs_renderer
from tests.evidence.samples import GIF, PDF
from tests.settlement.rounds_helpers import (
    TODAY,
    after_review_window,
    at,
    citizen,
    facts,
    open_round,
    verify_all,
)

if TYPE_CHECKING:
    import time_machine

    from liudong.accounts.models import User
    from tests.personas import World


def _apply(user: User, rnd: Round, **kw: object) -> actions.Filed:
    assert user.person is not None
    return actions.do_apply(user, rnd, facts=facts(user.person.birth_date, **kw))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Opening a round.


def test_open_round_freezes_ruleset_and_windows(bj: Round) -> None:
    assert bj.status == RoundStatus.OPEN
    assert bj.ruleset.startswith("beijing/")
    assert bj.review_window_days >= 1
    assert bj.objection_window_days >= 1
    assert bj.review_window_cite
    assert bj.objection_window_confidence
    assert bj.tie_rule == "admit_all_tied"
    assert AuditEvent.objects.filter(action="settlement.open_round", outcome="ok").count() == 1


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"quota": None}, "required", "quota"),
        ({"quota": 0}, "quota_not_positive", "quota"),
        ({"quota": -5}, "quota_not_positive", "quota"),
        ({"closes_on": TODAY - dt.timedelta(days=1)}, "date_order", "closes_on"),
        ({"opens_on": None}, "required", "opens_on"),
        ({"scheme": "atlantis"}, "unknown_scheme", "scheme"),
        ({"scheme": "shanghai"}, "scheme_has_no_rounds", "scheme"),
        ({"year": 1999}, "invalid_year", "year"),
    ],
)
def test_open_round_refuses_bad_input_and_changes_nothing(
    traveller: time_machine.Traveller,
    world: World,
    change: dict[str, object],
    code: str,
    field: str,
) -> None:
    arguments: dict[str, Any] = {
        "scheme": "beijing",
        "year": 2026,
        "quota": 6000,
        "opens_on": TODAY,
        "closes_on": TODAY + dt.timedelta(days=7),
        **change,
    }
    with pytest.raises(InvalidInputError) as refused:
        actions.do_open_round(world.beijing_caseworker, **arguments)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message
    assert not Round.objects.exists()
    assert (
        AuditEvent.objects.filter(action="settlement.open_round", outcome="rejected").count() == 1
    )


def test_only_staff_of_the_city_open_its_rounds(
    traveller: time_machine.Traveller, world: World
) -> None:
    for user in (world.shanghai_officer, world.henan_migrant, world.admin):
        with pytest.raises(AccessDeniedError):
            open_round_as(user)
    assert not Round.objects.exists()


def open_round_as(user: User) -> Round:
    return actions.do_open_round(
        user, scheme="beijing", year=2026, quota=10, opens_on=TODAY, closes_on=TODAY
    )


def test_a_second_round_for_the_same_year_is_a_conflict(bj: Round, world: World) -> None:
    with pytest.raises(ConflictError) as refused:
        open_round(world, TODAY)
    assert refused.value.code == "round_exists"


# ---------------------------------------------------------------------------------------------
# Applying.


def test_apply_stores_key_not_secret_flags_differences_and_assesses(
    bj: Round, world: World
) -> None:
    filed = _apply(world.henan_migrant, bj)
    application = filed.application
    assert filed.secret is not None
    assert application.receipt_key == commitments.receipt_key(filed.secret).hex()
    assert filed.secret not in str(Application.objects.filter(pk=application.pk).values().get())
    assert application.case is not None
    assert application.case.state == "submitted"
    assert application.case.jurisdiction_id == 110105  # her permit's district
    # the registry knows her Beijing insurance since 2022-03: fewer months than declared
    fields = {d["field"] for d in application.differences}
    assert "si_months_beijing" in fields
    assert application.registry["holds_residence_permit"] is True
    assert application.score > 0
    assert application.assessment["items"]
    assert application.assessment["explanation"]
    assert application.employer == world.employer  # her employer must confirm SI months
    assert Notification.objects.filter(
        recipient=world.henan_migrant, kind="settlement.applied"
    ).exists()


def test_a_second_live_application_is_refused(bj: Round, world: World) -> None:
    _apply(world.henan_migrant, bj)
    with pytest.raises(ConflictError) as refused:
        _apply(world.henan_migrant, bj)
    assert refused.value.code == "already_applied"
    assert Application.objects.filter(round=bj).count() == 1


def test_the_database_also_refuses_a_second_live_application(bj: Round, world: World) -> None:
    first = _apply(world.henan_migrant, bj).application
    first.pk = None
    first.case = None
    first.entry_ref = "another"
    with pytest.raises(IntegrityError), transaction.atomic():
        first.save(force_insert=True)


def test_after_withdrawing_she_may_apply_again(bj: Round, world: World) -> None:
    first = _apply(world.henan_migrant, bj).application
    actions.do_withdraw(world.henan_migrant, first)
    second = _apply(world.henan_migrant, bj).application
    assert Application.objects.filter(round=bj, live=True).get() == second
    first.refresh_from_db()
    assert first.state == "withdrawn"


def test_application_outside_the_window_is_refused(
    bj: Round, world: World, traveller: time_machine.Traveller
) -> None:
    traveller.move_to(at(bj.closes_on + dt.timedelta(days=1)))
    with pytest.raises(InvalidInputError) as refused:
        _apply(world.henan_migrant, bj)
    assert (refused.value.code, refused.value.field) == ("outside_window", "round")
    assert not Application.objects.exists()
    assert not Notification.objects.filter(kind__startswith="settlement.").exists()


def test_bad_facts_name_the_field(bj: Round, world: World) -> None:
    assert world.migrant.birth_date
    bad = {**facts(world.migrant.birth_date), "si_months_beijing": "many"}
    with pytest.raises(InvalidInputError) as refused:
        actions.do_apply(world.henan_migrant, bj, facts=bad)
    assert refused.value.field == "facts.si_months_beijing"
    with pytest.raises(InvalidInputError) as unknown:
        actions.do_apply(world.henan_migrant, bj, facts={**bad, "si_months_beijing": 90, "pets": 2})
    assert (unknown.value.code, unknown.value.field) == ("unknown_field", "facts.pets")
    assert not Application.objects.exists()


def test_citizens_apply_only_for_themselves(bj: Round, world: World) -> None:
    with pytest.raises(AccessDeniedError):
        actions.do_apply(
            world.other_citizen, bj, facts=facts(world.migrant.birth_date), person=world.migrant
        )
    for user in (world.beijing_caseworker, world.auditor):
        with pytest.raises(AccessDeniedError):
            actions.do_apply(user, bj, facts=facts(world.migrant.birth_date), person=world.migrant)
    assert not Application.objects.exists()


def test_employer_files_and_the_applicant_confirms(bj: Round, world: World) -> None:
    filed = actions.do_apply(
        world.employer_rep, bj, facts=facts(world.migrant.birth_date), person=world.migrant
    )
    assert filed.secret is None  # only the applicant ever holds it
    application = filed.application
    assert application.case is None
    assert application.state == "awaiting_applicant"
    assert application.employment_confirmed_at is not None
    assert Notification.objects.filter(
        recipient=world.henan_migrant, kind="settlement.filed_for_you"
    ).exists()
    confirmed = actions.do_confirm_filing(world.henan_migrant, application)
    assert confirmed.secret is not None
    assert confirmed.application.case is not None
    assert confirmed.application.receipt_key == commitments.receipt_key(confirmed.secret).hex()


def test_employer_cannot_file_for_someone_not_employed_there(bj: Round, world: World) -> None:
    with pytest.raises(AccessDeniedError):
        actions.do_apply(
            world.employer_rep,
            bj,
            facts=facts(world.haidian_resident.birth_date),
            person=world.haidian_resident,
        )
    assert not Application.objects.exists()


# ---------------------------------------------------------------------------------------------
# Verification, review, confirmation.


def test_evidence_of_the_wrong_type_is_refused_and_nothing_is_stored(
    bj: Round, world: World
) -> None:
    application = _apply(world.henan_migrant, bj).application
    with pytest.raises(InvalidInputError) as refused:
        actions.do_verify_indicator(
            world.beijing_caseworker,
            application,
            indicator="si_months_beijing",
            value=96,
            uploads=[Upload("proof.gif", GIF, "image/gif")],
        )
    assert (refused.value.code, refused.value.field) == ("evidence_type_not_allowed", "file")
    assert not IndicatorVerification.objects.exists()
    application.refresh_from_db()
    assert application.case is not None
    assert application.case.state == "submitted"


def test_verification_needs_evidence_unless_the_registry_agrees(bj: Round, world: World) -> None:
    application = _apply(world.henan_migrant, bj).application
    with pytest.raises(InvalidInputError) as refused:
        actions.do_verify_indicator(
            world.beijing_caseworker, application, indicator="si_months_beijing", value=96
        )
    assert (refused.value.code, refused.value.field) == ("evidence_required", "file")
    done = actions.do_verify_indicator(
        world.beijing_caseworker, application, indicator="holds_residence_permit", value=True
    )
    assert done.source == "registry"


def test_finish_needs_every_indicator_and_the_employer(bj: Round, world: World) -> None:
    application = _apply(world.henan_migrant, bj).application
    with pytest.raises(InvalidInputError) as missing:
        actions.do_finish_verification(world.beijing_caseworker, application)
    assert missing.value.code == "indicators_unverified"
    for indicator in ("si_months_beijing", "has_criminal_record", "education", "education_matched"):
        actions.do_verify_indicator(
            world.beijing_caseworker,
            application,
            indicator=indicator,
            value=application.declared[indicator],
            uploads=[Upload("p.pdf", PDF, "application/pdf")],
        )
        application.refresh_from_db()
    with pytest.raises(InvalidInputError) as employer:
        actions.do_finish_verification(world.beijing_caseworker, application)
    assert employer.value.code == "employer_not_confirmed"
    actions.do_confirm_employment(world.employer_rep, application)
    application.refresh_from_db()
    actions.do_finish_verification(world.beijing_caseworker, application)
    application.refresh_from_db()
    assert application.case is not None
    assert application.case.state == "verified"
    assert application.verified_score is not None
    assert application.review_until is not None


def _verified(world: World, rnd: Round, user: User | None = None) -> Application:
    application = _apply(user or world.henan_migrant, rnd).application
    if application.employer_id is not None:
        actions.do_confirm_employment(world.employer_rep, application)
        application.refresh_from_db()
    verify_all(world.beijing_caseworker, application)
    application.refresh_from_db()
    return application


def _ranked(world: World, rnd: Round, traveller: time_machine.Traveller) -> None:
    """One verified application; the round closed after the review window, the application
    confirmed and the round ranked (its task run)."""
    application = _verified(world, rnd)
    after_review_window(traveller, rnd, TODAY)
    actions.do_close_round(world.beijing_caseworker, rnd)
    actions.do_confirm_application(world.beijing_supervisor, application)
    actions.do_rank_round(world.beijing_caseworker, rnd)
    run_pending()
    rnd.refresh_from_db()


def test_no_confirmation_before_the_round_closes(bj: Round, world: World) -> None:
    application = _verified(world, bj)
    with pytest.raises(InvalidInputError) as refused:
        actions.do_confirm_application(world.beijing_supervisor, application)
    assert refused.value.code == "round_not_closed"
    application.refresh_from_db()
    assert application.case is not None
    assert application.case.state == "verified"


def test_maker_is_not_checker(bj: Round, world: World, traveller: time_machine.Traveller) -> None:
    application = _apply(world.henan_migrant, bj).application
    actions.do_confirm_employment(world.employer_rep, application)
    application.refresh_from_db()
    verify_all(world.beijing_supervisor, application)  # the supervisor verified it herself
    application.refresh_from_db()
    after_review_window(traveller, bj, TODAY)
    actions.do_close_round(world.beijing_caseworker, bj)
    with pytest.raises(AccessDeniedError) as refused:
        actions.do_confirm_application(world.beijing_supervisor, application)
    assert refused.value.code == "maker_is_checker"
    application.refresh_from_db()
    assert application.case is not None
    assert application.case.state == "verified"


def test_steps_out_of_order_are_refused(bj: Round, world: World) -> None:
    application = _apply(world.henan_migrant, bj).application
    with pytest.raises(InvalidInputError) as review:
        actions.do_request_review(world.henan_migrant, application, grounds="分数不对")
    assert review.value.code == "transition_not_allowed"
    with pytest.raises(InvalidInputError):
        actions.do_confirm_application(world.beijing_supervisor, application)
    with pytest.raises(InvalidInputError) as rank:
        actions.do_rank_round(world.beijing_caseworker, bj)
    assert rank.value.code == "round_status"
    with pytest.raises(InvalidInputError) as notice:
        actions.do_publish_notice(world.beijing_caseworker, bj)
    assert notice.value.code == "round_status"
    application.refresh_from_db()
    assert application.case is not None
    assert application.case.state == "submitted"


def test_review_only_within_the_window(
    bj: Round, world: World, traveller: time_machine.Traveller
) -> None:
    application = _verified(world, bj)
    assert application.review_until is not None
    traveller.move_to(at(application.review_until + dt.timedelta(days=1)))
    with pytest.raises(InvalidInputError) as late:
        actions.do_request_review(world.henan_migrant, application, grounds="学历未计分")
    assert late.value.code == "review_window_closed"
    traveller.move_to(at(application.review_until))
    actions.do_request_review(world.henan_migrant, application, grounds="学历未计分")
    application.refresh_from_db()
    assert application.case is not None
    assert application.case.state == "review_requested"


def test_close_round_only_after_the_window(
    bj: Round, world: World, traveller: time_machine.Traveller
) -> None:
    with pytest.raises(InvalidInputError) as early:
        actions.do_close_round(world.beijing_caseworker, bj)
    assert early.value.code == "window_still_open"
    traveller.move_to(at(bj.closes_on + dt.timedelta(days=1)))
    closed = actions.do_close_round(world.beijing_caseworker, bj)
    assert closed.status == RoundStatus.CLOSED


# ---------------------------------------------------------------------------------------------
# The whole round.


def test_full_round_from_opening_to_permits(
    bj: Round, world: World, traveller: time_machine.Traveller
) -> None:
    applicants = [
        world.henan_migrant,
        citizen("周大海", dt.date(1985, 4, 2)),
        citizen("吴小川", dt.date(1990, 8, 9)),
        citizen("郑一鸣", dt.date(1993, 1, 15)),
    ]
    secrets = {}
    months = {
        applicants[0].pk: 120,
        applicants[1].pk: 100,
        applicants[2].pk: 100,
        applicants[3].pk: 96,
    }
    for user in applicants:
        filed = _apply(user, bj, si_months=months[user.pk])
        secrets[user.pk] = filed.secret
        application = filed.application
        if application.employer_id is not None:
            actions.do_confirm_employment(world.employer_rep, application)
            application.refresh_from_db()
        verify_all(world.beijing_caseworker, application)
    after_review_window(traveller, bj, TODAY)
    actions.do_close_round(world.beijing_caseworker, bj)
    bj.refresh_from_db()
    for application in Application.objects.filter(round=bj):
        actions.do_confirm_application(world.beijing_supervisor, application)

    actions.do_rank_round(world.beijing_caseworker, bj)
    bj.refresh_from_db()
    assert bj.ranking_task_id
    assert run_pending() >= 1
    bj.refresh_from_db()
    assert bj.status == RoundStatus.RANKED
    v1 = RankingList.objects.get(round=bj, version=1)
    assert v1.entry_count == 4
    assert len(v1.root) == 64
    assert len(v1.snapshot) == 64
    entries = list(v1.entries.order_by("index"))
    ranks = [e.rank for e in entries]
    assert ranks == sorted(ranks)
    assert all(e.name_masked.endswith("*") for e in entries)

    # nothing published before the notice
    assert not selectors.published_lists(bj).exists()
    actions.do_publish_notice(world.beijing_caseworker, bj)
    bj.refresh_from_db()
    assert bj.status == RoundStatus.NOTICE
    assert bj.notice_until is not None

    # her receipt verifies with her secret, and fails with another
    mine = Application.objects.get(round=bj, person=world.migrant)
    receipt = selectors.receipt_for(mine)
    secret = secrets[world.henan_migrant.pk]
    assert secret is not None
    assert selectors.verify_receipt(receipt, secret).ok
    wrong = commitments.new_receipt_secret()
    assert not selectors.verify_receipt(receipt, wrong).ok

    # a real-name objection to the last entry reopens its case
    target = entries[-1]
    objection = actions.do_object(
        world.other_citizen, v1, entry=target, grounds="该申请人的社保月数应为84个月"
    )
    target.application.refresh_from_db()
    assert target.application.case is not None
    assert target.application.case.state == "reopened"
    public = selectors.public_entries(v1)
    assert world.neighbour.name not in str(public)

    # upheld: version 2 with its own root, version 1 still published
    actions.do_decide_objection(
        world.beijing_supervisor,
        objection,
        upheld=True,
        decision="经核实社保月数为84个月，更正积分",
        corrections={"si_months_beijing": 84},
    )
    v2 = RankingList.objects.get(round=bj, version=2)
    assert v2.root != v1.root
    assert v2.supersedes == v1
    assert v2.reason
    assert list(selectors.published_lists(bj)) == [v1, v2]
    assert [c.entry_ref for c in selectors.list_changes(v2)] == [target.entry_ref]
    objection.refresh_from_db()
    assert objection.status == "upheld"
    assert objection.correction == v2
    target.application.refresh_from_db()
    assert target.application.case is not None
    assert target.application.case.state == "confirmed"
    # her v1 receipt still checks against v1; her entry is unchanged in v2
    assert selectors.verify_receipt(receipt, secret).ok
    assert selectors.verify_receipt(receipt, secret, version=2).ok == (
        target.application.pk != mine.pk
    )

    # permits only after the objection window
    with pytest.raises(InvalidInputError) as early:
        actions.do_issue_permits(world.beijing_supervisor, bj)
    assert early.value.code == "notice_not_over"
    assert bj.notice_until is not None
    traveller.move_to(at(bj.notice_until + dt.timedelta(days=1)))
    permits = actions.do_issue_permits(world.beijing_supervisor, bj)
    admitted = v2.entries.filter(admitted=True).count()
    assert len(permits) == admitted == Permit.objects.count() >= 2
    assert Certificate.objects.filter(kind="settlement.permit").count() == admitted
    bj.refresh_from_db()
    assert bj.status == RoundStatus.FINAL
    run_pending()
    states = set(Application.objects.filter(round=bj).values_list("case__state", flat=True))
    assert states <= {"settled", "not_admitted"}


def test_objections_only_during_the_notice(
    bj: Round, world: World, traveller: time_machine.Traveller
) -> None:
    _ranked(world, bj, traveller)
    listing = RankingList.objects.get(round=bj)
    with pytest.raises(InvalidInputError) as before:
        actions.do_object(world.other_citizen, listing, grounds="不符合条件")
    assert before.value.code == "round_status"
    actions.do_publish_notice(world.beijing_caseworker, bj)
    bj.refresh_from_db()
    assert bj.notice_until is not None
    traveller.move_to(at(bj.notice_until + dt.timedelta(days=1)))
    with pytest.raises(InvalidInputError) as late:
        actions.do_object(world.other_citizen, listing, grounds="不符合条件")
    assert late.value.code == "objection_window_closed"
    assert not Objection.objects.exists()
    with pytest.raises(AccessDeniedError):
        actions.do_object(world.beijing_caseworker, listing, grounds="x")


def test_review_window_counts_working_days(bj: Round, world: World) -> None:
    application = _verified(world, bj)
    expected = add_working_days(timezone.localdate(), bj.review_window_days).date
    assert application.review_until == expected
    assert Decimal(application.assessment["score"]) == application.score


@needs_renderer
def test_permit_pdf_is_generated(
    bj: Round, world: World, traveller: time_machine.Traveller
) -> None:
    _ranked(world, bj, traveller)
    actions.do_publish_notice(world.beijing_caseworker, bj)
    bj.refresh_from_db()
    assert bj.notice_until is not None
    traveller.move_to(at(bj.notice_until + dt.timedelta(days=1)))
    (permit,) = actions.do_issue_permits(world.beijing_supervisor, bj)
    run_pending()
    certificate = Certificate.objects.get(code=permit.certificate_code)
    assert certificate.status == "ready", certificate.failure_reason
    assert certificate.pdf_size
    assert certificate.template == "settlement/permit_certificate.html"


def test_rank_from_the_command_line(
    bj: Round, world: World, traveller: time_machine.Traveller
) -> None:
    from typer.testing import CliRunner

    from liudong.cli import app

    application = _verified(world, bj)
    after_review_window(traveller, bj, TODAY)
    actions.do_close_round(world.beijing_caseworker, bj)
    actions.do_confirm_application(world.beijing_supervisor, application)
    result = CliRunner().invoke(app, ["settlement", "rank", "--round", str(bj.pk)])
    assert result.exit_code == 0, result.output
    listing = RankingList.objects.get(round=bj)
    assert f"root {listing.root}" in result.output
    assert "1 entries, 1 admitted" in result.output
    again = CliRunner().invoke(app, ["settlement", "rank", "--round", str(bj.pk)])
    assert again.exit_code == 2
    assert "error" in again.output
    missing = CliRunner().invoke(app, ["settlement", "rank", "--round", "99999"])
    assert missing.exit_code == 2
