"""The auditors' search page and event page: auditors only, every read audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liudong.audit import chain
from liudong.audit.models import AuditEvent, Outcome
from tests.audit.conftest import event_fields, make_events, sign_in

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.test import Client
    from pytest_django import DjangoAssertNumQueries

    from liudong.accounts.models import User

pytestmark = pytest.mark.django_db

SEARCH = reverse("audit:search")


def events_of(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.mark.parametrize("who", ["caseworker_li", "admin_zhao"])
def test_search_is_refused_to_other_staff_and_the_refusal_is_audited(
    who: str, request: pytest.FixtureRequest, signed_in: Callable[[User], Client]
) -> None:
    user: User = request.getfixturevalue(who)
    response = signed_in(user).get(SEARCH, {"actor": "chen.jie"})
    assert response.status_code == 403
    assert "审计记录只对审计人员开放" in response.content.decode()
    [denial] = events_of("audit.search")
    assert (denial.actor, denial.role, denial.outcome) == (user.username, user.role, "denied")
    assert denial.detail == {"code": "forbidden", "path": SEARCH}


def test_an_event_is_refused_to_a_caseworker_naming_the_event(
    caseworker_li: User, signed_in: Callable[[User], Client]
) -> None:
    make_events([7])
    response = signed_in(caseworker_li).get(reverse("audit:event", args=[7]))
    assert response.status_code == 403
    [denial] = events_of("audit.read_event")
    assert (denial.object_type, denial.object_id, denial.outcome) == (
        "audit.auditevent",
        "7",
        "denied",
    )


def test_a_visitor_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(SEARCH)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not AuditEvent.objects.exists()


def test_an_auditor_without_the_second_factor_is_sent_to_verify(
    auditor_chen: User, client: Client
) -> None:
    client.force_login(auditor_chen)
    response = client.get(SEARCH)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:verify"))


def test_an_auditor_searches_and_the_search_is_audited(
    auditor_chen: User, signed_in: Callable[[User], Client]
) -> None:
    make_events(range(1, 21))
    response = signed_in(auditor_chen).get(SEARCH, {"actor": "li.na"})
    assert response.status_code == 200
    assert [e.seq for e in response.context["events"]] == [20, 15, 10, 5]
    page = response.content.decode()
    assert "审计记录查询" in page
    assert "li.na" in page
    [search] = events_of("audit.search")
    assert (search.actor, search.role, search.outcome) == ("chen.jie", "auditor", "ok")
    assert search.detail == {"filters": {"actor": "li.na"}, "page": 1, "shown": 4}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"action": "people.read_id_number"}, [16, 11, 6, 1]),
        ({"object_type": "people.person", "object_id": str(1000 + 6 * 3)}, [6]),
        ({"outcome": "denied"}, [18, 13, 8, 3]),
        ({"date_from": "2026-03-02", "date_to": "2026-03-02"}, list(range(20, 0, -1))),
        ({"date_from": "2026-03-03"}, []),
        ({"actor": "li.na", "outcome": "ok"}, [20, 15, 10, 5]),
        ({"actor": "zhang.wei", "outcome": "denied"}, []),
    ],
)
def test_filters(
    auditor_chen: User,
    signed_in: Callable[[User], Client],
    filters: dict[str, str],
    expected: list[int],
) -> None:
    make_events(range(1, 21))
    response = signed_in(auditor_chen).get(SEARCH, filters)
    assert [e.seq for e in response.context["events"]] == expected


def test_dates_are_whole_utc_days(auditor_chen: User, signed_in: Callable[[User], Client]) -> None:
    make_events([1])  # 2026-03-02 01:30 UTC, 09:30 in Beijing
    client = signed_in(auditor_chen)
    assert len(client.get(SEARCH, {"date_to": "2026-03-01"}).context["events"]) == 0
    one_day = {"date_from": "2026-03-02", "date_to": "2026-03-02"}
    assert len(client.get(SEARCH, one_day).context["events"]) == 1


def test_a_reversed_date_range_is_explained_and_audited_as_rejected(
    auditor_chen: User, signed_in: Callable[[User], Client]
) -> None:
    make_events(range(1, 5))
    response = signed_in(auditor_chen).get(
        SEARCH, {"date_from": "2026-03-05", "date_to": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "截止日期不能早于起始日期" in response.content.decode()
    assert response.context["events"] == []
    assert events_of("audit.search")[0].outcome == Outcome.REJECTED


def test_results_come_fifty_to_a_page_newest_first(
    auditor_chen: User, signed_in: Callable[[User], Client]
) -> None:
    make_events(range(1, 301))
    client = signed_in(auditor_chen)
    first = client.get(SEARCH, {"outcome": "denied"})
    assert len(first.context["events"]) == 50
    assert first.context["events"][0].seq == 298
    assert first.context["page"].paginator.count == 60
    last = client.get(SEARCH, {"outcome": "denied", "page": "2"})
    assert [e.seq for e in last.context["events"]][-2:] == [8, 3]
    assert "outcome=denied&amp;page=1" in last.content.decode()


def test_the_query_count_does_not_grow_with_the_results(
    auditor_chen: User,
    signed_in: Callable[[User], Client],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    """Session, user, TOTP device, unread-notification count; count, page, audit insert (and
    its writer lock on PostgreSQL); session save (with savepoints)."""
    client = signed_in(auditor_chen)
    make_events(range(1, 4))
    with CaptureQueriesContext(connection) as few:
        client.get(SEARCH)
    make_events(range(100, 220))
    with django_assert_max_num_queries(13), CaptureQueriesContext(connection) as many:
        client.get(SEARCH)
    assert len(many) == len(few)


def test_an_auditor_reads_one_event_with_its_seal(
    auditor_chen: User, signed_in: Callable[[User], Client]
) -> None:
    make_events(range(1, 4))
    chain.seal()
    response = signed_in(auditor_chen).get(reverse("audit:event", args=[2]))
    assert response.status_code == 200
    page = response.content.decode()
    assert event_fields(2)["detail"]["reason"] in page
    assert "已封存于检查点 1" in page
    [read] = events_of("audit.read_event")
    assert (read.object_type, read.object_id, read.outcome) == ("audit.auditevent", "2", "ok")


def test_an_unsealed_event_says_so(auditor_chen: User, signed_in: Callable[[User], Client]) -> None:
    make_events([5])
    page = signed_in(auditor_chen).get(reverse("audit:event", args=[5])).content.decode()
    assert "尚未封存" in page


def test_a_missing_event_is_404_and_the_attempt_is_audited(
    auditor_chen: User, client: Client
) -> None:
    sign_in(client, auditor_chen)
    assert client.get(reverse("audit:event", args=[404])).status_code == 404
    [read] = events_of("audit.read_event")
    assert (read.object_id, read.outcome, read.detail) == ("404", "rejected", {"code": "not_found"})
