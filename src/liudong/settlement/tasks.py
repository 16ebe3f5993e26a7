"""Background tasks of the settlement domain: ``rank_round``, enqueued by ``do_rank_round``.

The work itself is ``liudong.settlement.actions.rank`` (also run in the foreground by
``liudong settlement rank --round ID``); the task reports its progress to the task page."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy

from liudong.tasks import report_progress, task


@task(label=gettext_lazy("积分排名"))
def rank_round(round_id: int) -> dict[str, object]:
    """Rank round ``round_id`` and store list version 1 (one transaction)."""
    from liudong.settlement.actions import rank
    from liudong.settlement.models import Round

    with transaction.atomic():
        listing = rank(Round.objects.get(pk=round_id), report_progress)
    return {
        "round": round_id,
        "list": listing.pk,
        "version": listing.version,
        "root": listing.root,
        "entries": listing.entry_count,
        "admitted": listing.admitted_count,
    }
