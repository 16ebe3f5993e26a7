"""What the settlement pages and the API read: rounds, a citizen's applications, the review
queue, public lists (names and ID numbers masked, nobody's objections shown), receipts.

Access: applications through ``applications_for`` (a citizen her own, an employer
representative her employer's filings and employees, caseworkers their jurisdiction); rounds
and published lists are public; a refused fetch is a 404 with one ``denied`` audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from liudong.accounts.models import Role, User
from liudong.settlement import commitments
from liudong.settlement.actions import applications_for, may_run_round
from liudong.settlement.models import (
    Application,
    Objection,
    RankingEntry,
    RankingList,
    Round,
    RoundStatus,
)
from liudong.site.actions import refuse
from liudong.site.errors import NotFoundError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    AnyUser = User | AnonymousUser | None

PUBLISHED = (RoundStatus.NOTICE, RoundStatus.FINAL)


def _user(user: AnyUser) -> User | None:
    return user if isinstance(user, User) and user.is_authenticated else None


# ---------------------------------------------------------------------------------------------
# Rounds.


def rounds() -> QuerySet[Round]:
    """Every round, newest year first (public: the set-up of a round is published)."""
    return Round.objects.select_related("region").order_by("-year", "scheme")


def round_detail(round_id: object) -> Round:
    """One round (public), or 404."""
    found = rounds().filter(pk=round_id).first() if isinstance(round_id, int) else None
    if found is None:
        raise NotFoundError(_("没有这一轮积分落户"))
    return found


def may_manage_round(user: AnyUser, rnd: Round) -> bool:
    """Whether ``user`` runs this round (staff or supervisors of an agency in its city)."""
    return may_run_round(_user(user), rnd.region_id)


@dataclass(frozen=True)
class RoundSummary:
    """Counts a staff page shows for a round: applications by state, open objections."""

    total: int
    live: int
    by_state: dict[str, int]
    pending: int
    open_objections: int


def round_summary(rnd: Round) -> RoundSummary:
    counts = (
        Application.objects.filter(round=rnd)
        .values("case__state", "pre_state")
        .annotate(n=Count("pk"))
    )
    by_state: dict[str, int] = {}
    for row in counts:
        state = row["case__state"] or row["pre_state"]
        by_state[state] = by_state.get(state, 0) + row["n"]
    live = Application.objects.filter(round=rnd, live=True)
    return RoundSummary(
        total=sum(by_state.values()),
        live=live.count(),
        by_state=by_state,
        pending=live.exclude(case__state="confirmed").count(),
        open_objections=Objection.objects.filter(list__round=rnd, status="open").count(),
    )


# ---------------------------------------------------------------------------------------------
# Applications.


def my_applications(user: AnyUser) -> QuerySet[Application]:
    """A citizen's own applications (every round), newest first; none for other roles."""
    found = _user(user)
    if found is None or found.role != Role.CITIZEN or found.person_id is None:
        return Application.objects.none()
    return applications_for(found).order_by("-created_at", "-pk")


def employer_filings(user: AnyUser) -> QuerySet[Application]:
    """An employer representative's filings and her employees' applications."""
    found = _user(user)
    if found is None or found.role != Role.EMPLOYER:
        return Application.objects.none()
    return applications_for(found).order_by("-created_at", "-pk")


def review_queue(user: AnyUser, rnd: Round | None = None, state: str = "") -> QuerySet[Application]:
    """Applications in a caseworker's jurisdiction still to be worked on (submitted, being
    verified, review requested, verified awaiting confirmation, reopened), oldest first;
    optionally of one round and in one state."""
    found = _user(user)
    if found is None or found.role not in {Role.STAFF, Role.SUPERVISOR}:
        return Application.objects.none()
    queue = applications_for(found).filter(
        case__state__in=("submitted", "verifying", "review_requested", "verified", "reopened")
    )
    if rnd is not None:
        queue = queue.filter(round=rnd)
    if state:
        queue = queue.filter(case__state=state)
    return queue.order_by("case__deadline", "created_at", "pk")


def application_detail(user: AnyUser, application_id: object, *, action: str) -> Application:
    """One application ``user`` may see, or an audited 404 (existence not confirmed)."""
    found = (
        applications_for(_user(user)).filter(pk=application_id).first()
        if isinstance(application_id, int)
        else None
    )
    if found is None:
        raise refuse(
            user,
            action,
            NotFoundError(_("没有找到这份申请，或者您无权查看")).about(
                "settlement.application", application_id
            ),
        )
    return found


def entries_of(application: Application) -> QuerySet[RankingEntry]:
    """The application's lines in every list version (oldest version first)."""
    return application.entries.select_related("list").order_by("list__version")


# ---------------------------------------------------------------------------------------------
# Public lists.


def published_lists(rnd: Round) -> QuerySet[RankingList]:
    """Every version of the round's list, once the notice is published (else none)."""
    if rnd.status not in PUBLISHED:
        return RankingList.objects.none()
    return RankingList.objects.filter(round=rnd).order_by("version")


def published_list(rnd: Round, version: object) -> RankingList:
    found = (
        published_lists(rnd).filter(version=version).first() if isinstance(version, int) else None
    )
    if found is None:
        raise NotFoundError(_("这一轮没有公示这一版名单"))
    return found


@dataclass(frozen=True)
class PublicEntry:
    """One line of a public list: masked name and ID number, never the applicant's id."""

    index: int
    entry_ref: str
    name_masked: str
    id_masked: str
    score: Decimal
    rank: int
    admitted: bool
    commitment: str


def public_entries(
    listing: RankingList, *, admitted_only: bool = False, query: str = ""
) -> list[PublicEntry]:
    """The list's lines in publication order (optionally only the admitted ones, or those
    whose entry reference starts with ``query``)."""
    entries = listing.entries.order_by("index")
    if admitted_only:
        entries = entries.filter(admitted=True)
    if query:
        entries = entries.filter(Q(entry_ref__startswith=query.strip().lower()))
    return [
        PublicEntry(
            index=e.index,
            entry_ref=e.entry_ref,
            name_masked=e.name_masked,
            id_masked=e.id_masked,
            score=Decimal(e.score_centi) / 100,
            rank=e.rank,
            admitted=e.admitted,
            commitment=e.commitment,
        )
        for e in entries
    ]


def list_changes(listing: RankingList) -> list[commitments.Change]:
    """What this version changed against the one it supersedes (entry references only)."""
    if listing.supersedes is None:
        return []
    return commitments.changes(_entries(listing.supersedes), _entries(listing))


def _entries(listing: RankingList) -> list[commitments.Entry]:
    return [
        commitments.Entry(
            round_id=listing.round_id,
            list_version=listing.version,
            entry_ref=e.entry_ref,
            score_centi=e.score_centi,
            rank=e.rank,
            admitted=e.admitted,
        )
        for e in listing.entries.order_by("index")
    ]


# ---------------------------------------------------------------------------------------------
# Receipts.


def receipt_for(application: Application, listing: RankingList | None = None) -> dict[str, Any]:
    """The applicant's receipt for her entry in ``listing`` (default: the newest published
    version): her entry, its commitment, its inclusion proof, the root, the snapshot hash
    and the rule-set version. The caller has checked that she may see the application."""
    if listing is None:
        listing = published_lists(application.round).filter(entries__application=application).last()
    entry = (
        RankingEntry.objects.filter(list=listing, application=application).first()
        if listing is not None and listing.round.status in PUBLISHED
        else None
    )
    if listing is None or entry is None:
        raise NotFoundError(_("名单公示后才能取得回执"))
    leaves = [
        bytes.fromhex(c)
        for c in listing.entries.order_by("index").values_list("commitment", flat=True)
    ]
    tree = commitments.MerkleTree.from_leaves(leaves)
    return commitments.receipt(
        bytes.fromhex(application.receipt_key),
        commitments.Entry(
            round_id=listing.round_id,
            list_version=listing.version,
            entry_ref=entry.entry_ref,
            score_centi=entry.score_centi,
            rank=entry.rank,
            admitted=entry.admitted,
        ),
        entry.index,
        tree.proof(entry.index),
        bytes.fromhex(listing.root),
        bytes.fromhex(listing.snapshot),
        listing.ruleset,
    )


@dataclass(frozen=True)
class ReceiptCheck:
    ok: bool
    code: str
    reason: str
    round_id: int | None
    list_version: int | None
    root: str


def verify_receipt(
    receipt: dict[str, Any], secret: str, version: int | None = None
) -> ReceiptCheck:
    """Check a receipt with its secret against the root this site publishes for the round and
    list version it names (or for ``version``, e.g. a later correction): anyone may ask."""
    entry = receipt.get("entry") if isinstance(receipt, dict) else None
    try:
        round_id = int(entry["round_id"]) if isinstance(entry, dict) else None
        named = int(entry["list_version"]) if isinstance(entry, dict) else None
    except (KeyError, TypeError, ValueError):
        round_id = named = None
    wanted = version if version is not None else named
    if not (_in_range(round_id) and _in_range(wanted)):
        round_id = wanted = None
    listing = (
        RankingList.objects.filter(
            round_id=round_id, version=wanted, round__status__in=PUBLISHED
        ).first()
        if round_id is not None and wanted is not None
        else None
    )
    if listing is None:
        return ReceiptCheck(
            False,
            "unknown_list",
            _("本站没有公示这份回执所指的名单版本"),
            round_id,
            wanted,
            "",
        )
    index = proof = None
    if listing.version != named:
        found = listing.entries.filter(entry_ref=str(entry.get("entry_ref", ""))).first()  # type: ignore[union-attr]
        if found is not None:
            leaves = [
                bytes.fromhex(c)
                for c in listing.entries.order_by("index").values_list("commitment", flat=True)
            ]
            index, proof = (
                found.index,
                commitments.MerkleTree.from_leaves(leaves).proof(found.index),
            )
    result = commitments.verify_receipt(receipt, secret, listing.root, index=index, proof=proof)
    return ReceiptCheck(
        result.ok, result.code, result.reason, listing.round_id, listing.version, listing.root
    )


def _in_range(number: int | None) -> bool:
    return number is not None and 0 < number < 2**31


# ---------------------------------------------------------------------------------------------
# Objections.


def objections_for(user: AnyUser, rnd: Round) -> QuerySet[Objection]:
    """The round's objections: all of them for the staff who run the round, her own for a
    citizen, none for anyone else (the objector's identity is kept from the public)."""
    found = _user(user)
    objections = Objection.objects.filter(list__round=rnd).select_related(
        "list", "entry", "objector"
    )
    if found is None:
        return objections.none()
    if found.role == Role.CITIZEN:
        return objections.filter(objector_id=found.person_id or 0)
    if may_manage_round(found, rnd):
        return objections
    return objections.none()
