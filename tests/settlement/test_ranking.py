"""Ranking and the cut at the quota (issue 5 item 3): competition ranks and the city's tie rule.

Properties over generated rounds: ranks ignore input order, a higher score never ranks lower,
equal scores share a rank and the next rank skips; the admitted set is exactly the ranks up to
the cut-off rank; under "admit_all_tied" at least min(quota, eligible) are admitted, under
"exclude_tied" at most the quota; ineligible applicants are never ranked nor admitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liudong.settlement.ranking import (
    NOT_RANKED,
    TieRule,
    competition_ranks,
    cut,
    publication_order,
)

if TYPE_CHECKING:
    from random import Random

pytestmark = pytest.mark.property

# Few distinct scores so that ties, also at the cut-off, are common (the counting path), and
# scores spread over the whole int64 range, with ties repeated (the sorting path).
narrow = st.lists(st.integers(8000, 8010), min_size=0, max_size=60)
wide = st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=20).flatmap(
    lambda s: st.lists(st.sampled_from(s), min_size=0, max_size=60)
)
scores = st.one_of(narrow, wide)
rounds = scores.flatmap(
    lambda s: st.tuples(
        st.just(np.array(s, dtype=np.int64)),
        st.lists(st.booleans(), min_size=len(s), max_size=len(s)).map(
            lambda b: np.array(b, dtype=np.bool_)
        ),
        st.integers(1, 70),
        st.sampled_from(get_args(TieRule)),
    )
)


@given(scores, st.randoms(use_true_random=False))
def test_ranks_ignore_input_order(values: list[int], random: Random) -> None:
    array = np.array(values, dtype=np.int64)
    order = np.array(random.sample(range(array.size), array.size), dtype=np.intp)
    np.testing.assert_array_equal(competition_ranks(array[order]), competition_ranks(array)[order])


@given(scores)
def test_higher_score_never_ranks_lower_and_equal_scores_share_a_rank(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    ranks = competition_ranks(array)
    higher = array[:, None] > array[None, :]
    assert not np.any(higher & (ranks[:, None] >= ranks[None, :]))
    equal = array[:, None] == array[None, :]
    assert np.all((ranks[:, None] == ranks[None, :]) == equal)


@given(scores)
def test_rank_is_one_plus_the_number_strictly_higher(values: list[int]) -> None:
    ranks = competition_ranks(np.array(values, dtype=np.int64))
    assert ranks.tolist() == [1 + sum(o > v for o in values) for v in values]


def test_competition_ranking_skips_after_a_tie() -> None:
    assert competition_ranks(np.array([100, 90, 90, 80])).tolist() == [1, 2, 2, 4]


@given(rounds)
def test_admitted_are_exactly_the_ranks_up_to_the_cutoff_rank(
    round_: tuple[np.ndarray, np.ndarray, int, TieRule],
) -> None:
    values, eligible, quota, rule = round_
    result = cut(values, eligible, quota, rule)
    ranked = result.ranks >= 1
    assert np.array_equal(ranked, eligible)
    assert np.all(result.ranks[~eligible] == NOT_RANKED)
    if result.cutoff_rank is None:
        assert not result.admitted.any()
    else:
        assert np.array_equal(result.admitted, ranked & (result.ranks <= result.cutoff_rank))
        assert result.cutoff_centi == values[result.admitted].min()
        assert result.tied_at_cutoff == np.count_nonzero(eligible & (values == result.cutoff_centi))
    assert result.admitted_count == np.count_nonzero(result.admitted)


@given(rounds)
def test_admission_respects_the_quota_and_the_tie_rule(
    round_: tuple[np.ndarray, np.ndarray, int, TieRule],
) -> None:
    values, eligible, quota, rule = round_
    result = cut(values, eligible, quota, rule)
    n_eligible = int(eligible.sum())
    if rule == "admit_all_tied":
        assert result.admitted_count >= min(quota, n_eligible)
        assert result.excluded_tied == 0
    else:
        assert result.admitted_count <= quota
        assert result.admitted_count + result.excluded_tied >= min(quota, n_eligible)
    left_out = values[eligible & ~result.admitted]
    if left_out.size and result.admitted.any():
        assert left_out.max() < values[result.admitted].min()


@given(rounds, st.randoms(use_true_random=False))
def test_cut_ignores_input_order(
    round_: tuple[np.ndarray, np.ndarray, int, TieRule], random: Random
) -> None:
    values, eligible, quota, rule = round_
    order = np.array(random.sample(range(values.size), values.size), dtype=np.intp)
    whole, shuffled = (
        cut(values, eligible, quota, rule),
        cut(values[order], eligible[order], quota, rule),
    )
    assert np.array_equal(shuffled.ranks, whole.ranks[order])
    assert np.array_equal(shuffled.admitted, whole.admitted[order])
    assert (shuffled.cutoff_centi, shuffled.tied_at_cutoff) == (
        whole.cutoff_centi,
        whole.tied_at_cutoff,
    )


def test_beijing_rule_admits_everyone_tied_at_the_cutoff() -> None:
    # Four places; three applicants share 90.75 at places 3-5 (policy.md §2a: all admitted).
    values = np.array([9500, 9300, 9075, 9075, 9075, 9000, 9900])
    eligible = np.array([True] * 6 + [False])
    result = cut(values, eligible, quota=4, tie_rule="admit_all_tied")
    assert result.ranks.tolist() == [1, 2, 3, 3, 3, 6, 0]
    assert result.admitted.tolist() == [True] * 5 + [False, False]
    assert (result.cutoff_centi, result.cutoff_rank, result.tied_at_cutoff) == (9075, 3, 3)
    assert result.admitted_count == 5  # one more than the quota


def test_exclude_tied_admits_only_those_strictly_above_a_straddling_tie() -> None:
    values = np.array([9500, 9300, 9075, 9075, 9075, 9000])
    result = cut(values, np.ones(6, dtype=bool), quota=4, tie_rule="exclude_tied")
    assert result.admitted.tolist() == [True, True, False, False, False, False]
    assert (result.cutoff_centi, result.cutoff_rank, result.admitted_count) == (9300, 2, 2)
    assert (result.tied_at_cutoff, result.excluded_tied) == (1, 3)


def test_exclude_tied_admits_nobody_when_everyone_ties_beyond_the_quota() -> None:
    result = cut(np.array([8000, 8000, 8000]), np.ones(3, dtype=bool), 2, "exclude_tied")
    assert not result.admitted.any()
    assert (result.cutoff_centi, result.cutoff_rank, result.excluded_tied) == (None, None, 3)


def test_a_tie_that_fits_the_quota_is_admitted_under_either_rule() -> None:
    for rule in get_args(TieRule):
        result = cut(np.array([9000, 8000, 8000, 7000]), np.ones(4, dtype=bool), 3, rule)
        assert result.admitted.tolist() == [True, True, True, False]
        assert result.excluded_tied == 0


def test_fewer_eligible_than_places_admits_every_eligible_applicant() -> None:
    result = cut(np.array([5000, 9000, 7000]), np.array([True, False, True]), 10)
    assert result.admitted.tolist() == [True, False, True]
    assert (result.cutoff_centi, result.eligible_count, result.admitted_count) == (5000, 2, 2)


def test_no_eligible_applicant_admits_nobody() -> None:
    result = cut(np.array([9000, 8000]), np.array([False, False]), 1)
    assert result.ranks.tolist() == [0, 0]
    assert (result.cutoff_centi, result.admitted_count, result.tied_at_cutoff) == (None, 0, 0)


@pytest.mark.parametrize("quota", [0, -5])
def test_a_round_without_places_is_refused(quota: int) -> None:
    with pytest.raises(ValueError, match="quota must be at least 1 place"):
        cut(np.array([9000]), np.array([True]), quota)


@pytest.mark.parametrize(
    ("scores_", "eligible", "quota", "rule", "message"),
    [
        (np.array([90.75]), np.array([True]), 1, "admit_all_tied", "whole centi-points"),
        (np.array([9075]), np.array([1]), 1, "admit_all_tied", "boolean array"),
        (np.array([9075]), np.array([True, False]), 1, "admit_all_tied", "one flag per score"),
        (np.array([9075]), np.array([True]), 1.5, "admit_all_tied", "whole number of places"),
        (np.array([9075]), np.array([True]), True, "admit_all_tied", "whole number of places"),
        (np.array([9075]), np.array([True]), 1, "lottery", "tie_rule must be one of"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    scores_: np.ndarray, eligible: np.ndarray, quota: object, rule: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cut(scores_, eligible, quota, rule)  # type: ignore[arg-type]  # deliberately bad input


def test_publication_order_is_by_rank_then_reference_unranked_last() -> None:
    order = publication_order(np.array([2, 0, 1, 2]), np.array(["b", "a", "z", "c"]))
    assert order.tolist() == [2, 0, 3, 1]
    with pytest.raises(ValueError, match="unique"):
        publication_order(np.array([1, 1]), np.array(["a", "a"]))
