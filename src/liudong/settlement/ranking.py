"""Ranking applicants to a points round and cutting the list at the quota (pure: numpy only).

Competition ranking ("1224"): an applicant's rank is one plus the number of eligible applicants
with a strictly higher score. Equal scores therefore share a rank, the next rank skips, a higher
score never ranks lower, and the input order cannot matter: the rank is a function of the score
multiset alone, not of positions. Scores are whole centi-points (``int64``, score × 100 exact):
no float can flip an order at the cut-off.

Applicants who do not meet the preconditions are never ranked: their rank is ``0`` (so ``rank >=
1`` means ranked) and they are never admitted.

The cut at the quota follows the city's rule for a tie group that straddles the last place
(its ``tie_rule`` parameter, passed in):

* ``"admit_all_tied"``: everyone sharing the score of the last place within the quota is admitted,
  so the admitted count may exceed the quota (Beijing: policy.md §2a, all 30 applicants tied at
  the 2018 cut-off of 90.75 settled);
* ``"exclude_tied"``: when admitting the whole tie group would exceed the quota, only applicants
  strictly above it are admitted, so the count may fall short of the quota.

Either way the admitted set is exactly the applicants whose rank is at most ``cutoff_rank``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

__all__ = [
    "NOT_RANKED",
    "TIE_RULES",
    "Cut",
    "TieRule",
    "competition_ranks",
    "cut",
    "publication_order",
]

TieRule = Literal["admit_all_tied", "exclude_tied"]
TIE_RULES: tuple[str, ...] = get_args(TieRule)
NOT_RANKED = 0  # the rank of an applicant who does not meet the preconditions


@dataclass(frozen=True)
class Cut:
    """The outcome of a round: ranks, who is admitted and the figures a notice publishes.

    ``ranks`` and ``admitted`` are aligned with the input arrays. ``cutoff_centi`` is the lowest
    admitted score and ``cutoff_rank`` its rank (``None`` when nobody is admitted);
    ``tied_at_cutoff`` counts the applicants sharing ``cutoff_centi`` (all admitted);
    ``excluded_tied`` counts the applicants of a tie group at the last place left out under
    ``"exclude_tied"`` (0 otherwise).
    """

    ranks: npt.NDArray[np.int64]
    admitted: npt.NDArray[np.bool_]
    cutoff_centi: int | None
    cutoff_rank: int | None
    tied_at_cutoff: int
    excluded_tied: int
    admitted_count: int
    eligible_count: int
    quota: int
    tie_rule: TieRule


def competition_ranks(score_centi: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Rank every score: 1 + the number of strictly higher scores (equal scores share a rank).

    >>> competition_ranks([9075, 9100, 9075, 8000]).tolist()
    [2, 1, 2, 4]
    """
    scores = _scores(score_centi)
    groups = _ScoreGroups.of(scores)
    return groups.ranks()


def cut(
    score_centi: npt.ArrayLike,
    eligible: npt.ArrayLike,
    quota: int,
    tie_rule: TieRule = "admit_all_tied",
) -> Cut:
    """Rank the eligible applicants and admit the best ``quota`` under the city's tie rule.

    >>> result = cut([9100, 9075, 9075, 8000, 9900], [True, True, True, True, False], quota=2)
    >>> result.ranks.tolist(), result.admitted.tolist(), result.cutoff_centi, result.admitted_count
    ([1, 2, 2, 4, 0], [True, True, True, False, False], 9075, 3)
    >>> cut([9100, 9075, 9075, 8000], [True] * 4, 2, "exclude_tied").admitted.tolist()
    [True, False, False, False]
    """
    scores = _scores(score_centi)
    mask = _eligible(eligible, scores.shape)
    places = _quota(quota)
    rule = _tie_rule(tie_rule)
    groups = _ScoreGroups.of(scores[mask])
    ranks = np.zeros(scores.shape, dtype=np.int64)
    ranks[mask] = groups.ranks()
    last, excluded = groups.last_admitted(places, rule)
    if last is None:
        admitted = np.zeros(scores.shape, dtype=np.bool_)
        cutoff = cutoff_rank = None
        tied = 0
    else:
        cutoff = int(groups.distinct[last])
        cutoff_rank = int(groups.at_or_above[last] - groups.counts[last] + 1)
        tied = int(groups.counts[last])
        admitted = mask & (scores >= cutoff)
    return Cut(
        ranks=ranks,
        admitted=admitted,
        cutoff_centi=cutoff,
        cutoff_rank=cutoff_rank,
        tied_at_cutoff=tied,
        excluded_tied=excluded,
        admitted_count=int(np.count_nonzero(admitted)),
        eligible_count=int(np.count_nonzero(mask)),
        quota=places,
        tie_rule=rule,
    )


@dataclass(frozen=True)
class _ScoreGroups:
    """The distinct scores, highest first, how many applicants have each, how many have it or
    more, and the group of every applicant."""

    distinct: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]
    at_or_above: npt.NDArray[np.int64]
    group: npt.NDArray[np.intp]

    @classmethod
    def of(cls, scores: npt.NDArray[np.int64]) -> _ScoreGroups:
        if scores.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty, np.zeros(0, dtype=np.intp))
        low = int(scores.min())
        span = int(scores.max()) - low + 1
        if span > max(4 * scores.size, 1 << 16):  # sparse scores: sort them
            distinct, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
            group = distinct.size - 1 - inverse
            distinct, counts = distinct[::-1], counts[::-1]
        else:  # centi-points span a narrow range: count them, no sort (O(n + span))
            counts = np.bincount(scores - low, minlength=span)[::-1]
            present = counts > 0
            position = np.cumsum(present) - 1  # the group of each value, highest value first
            group = position[span - 1 - (scores - low)]
            distinct = (low + span - 1 - np.arange(span, dtype=np.int64))[present]
            counts = counts[present]
        counts = counts.astype(np.int64)
        return cls(distinct, counts, np.cumsum(counts), group.astype(np.intp))

    def ranks(self) -> npt.NDArray[np.int64]:
        return (self.at_or_above - self.counts + 1)[self.group]

    def last_admitted(self, quota: int, rule: TieRule) -> tuple[int | None, int]:
        """(The group of the lowest admitted score or None, how many of a tie group at the last
        place are left out)."""
        if self.distinct.size == 0:
            return None, 0
        reaching = int(np.searchsorted(self.at_or_above, quota))  # first group filling the quota
        if reaching == self.distinct.size:  # fewer eligible applicants than places
            return reaching - 1, 0
        if int(self.at_or_above[reaching]) == quota or rule == "admit_all_tied":
            return reaching, 0
        return (reaching - 1 if reaching else None), int(self.counts[reaching])


def publication_order(ranks: npt.ArrayLike, entry_refs: npt.ArrayLike) -> npt.NDArray[np.intp]:
    """The order in which a list is published (and its Merkle leaves laid out): by rank, then by
    entry reference within a rank; unranked entries (rank 0) last, by reference.

    >>> publication_order([2, 0, 1, 2], ["b", "a", "z", "c"]).tolist()
    [2, 0, 3, 1]
    """
    rank_arr = np.asarray(ranks)
    refs = np.asarray(entry_refs)
    if rank_arr.ndim != 1 or refs.shape != rank_arr.shape:
        raise ValueError(
            f"one entry reference per rank: got {refs.shape} references for {rank_arr.shape} ranks"
        )
    if refs.size and np.unique(refs).size != refs.size:
        raise ValueError("entry references must be unique within a list")
    unranked_last = np.where(rank_arr == NOT_RANKED, np.iinfo(np.int64).max, rank_arr)
    return np.lexsort((refs, unranked_last))


def _scores(score_centi: npt.ArrayLike) -> npt.NDArray[np.int64]:
    scores = np.asarray(score_centi)
    if scores.ndim != 1:
        raise ValueError(f"score_centi must be one score per applicant (1-D); got {scores.ndim}-D")
    if scores.size and (scores.dtype.kind not in "iu" or scores.dtype == np.uint64):
        raise ValueError(
            "score_centi must be whole centi-points (score × 100 as an integer array); "
            f"got dtype {scores.dtype}"
        )
    return scores.astype(np.int64, copy=False)


def _eligible(eligible: npt.ArrayLike, shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    mask = np.asarray(eligible)
    if mask.shape != shape:
        raise ValueError(
            f"eligible must have one flag per score ({shape[0]}); got shape {mask.shape}"
        )
    if mask.size and mask.dtype != np.bool_:
        raise ValueError(f"eligible must be a boolean array; got dtype {mask.dtype}")
    return mask.astype(np.bool_, copy=False)


def _quota(quota: int) -> int:
    if isinstance(quota, bool | np.bool_):
        raise ValueError(f"quota must be a whole number of places; got {quota!r}")
    try:
        places = operator.index(quota)
    except TypeError:
        raise ValueError(f"quota must be a whole number of places; got {quota!r}") from None
    if places <= 0:
        raise ValueError(
            "quota must be at least 1 place: a round without places cannot admit anyone; "
            f"got {places}"
        )
    return places


def _tie_rule(tie_rule: str) -> TieRule:
    if tie_rule == "admit_all_tied":
        return "admit_all_tied"
    if tie_rule == "exclude_tied":
        return "exclude_tied"
    raise ValueError(f"tie_rule must be one of {', '.join(TIE_RULES)}; got {tie_rule!r}")
