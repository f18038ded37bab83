"""The numpy kernels against their pure-Python references on seeded data."""

import numpy as np
import pytest

from bbmkit._kernels import (
    first_crossing,
    group_count,
    group_median,
    pair_sums,
    weighted_contributions,
    weighted_fit,
)
from tests import reference


@pytest.mark.parametrize("seed", range(20))
def test_group_count_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_groups = int(rng.integers(1, 30))
    codes = rng.integers(0, n_groups, int(rng.integers(0, 2000)))
    mask = rng.random(codes.size) < 0.3
    assert group_count(codes, n_groups).tolist() == reference.group_count(codes.tolist(), n_groups)
    assert group_count(codes, n_groups, mask).tolist() == reference.group_count(
        codes.tolist(), n_groups, mask.tolist()
    )
    assert group_count(codes, n_groups).dtype == np.int64


@pytest.mark.parametrize("seed", range(20))
def test_weighted_fit_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(0, 500)), int(rng.integers(1, 12))
    matches = rng.random((n, k)) < rng.random(k)
    weights = rng.uniform(0.01, 10, k)
    expected = [
        sum(w for w, m in zip(weights.tolist(), row, strict=True) if m) / sum(weights.tolist())
        for row in matches.tolist()
    ]
    fit = weighted_fit(np.asfortranarray(matches), weights)
    np.testing.assert_allclose(fit, expected, rtol=1e-12, atol=1e-15)
    contributions = weighted_contributions(matches, weights)
    assert contributions.shape == (n, k)
    np.testing.assert_allclose(contributions.sum(axis=1), fit, rtol=1e-12, atol=1e-15)


def test_weighted_fit_full_match_is_exactly_one() -> None:
    weights = np.full(10, 0.1)  # shares add up to 0.9999999999999999 or 1 + ulp
    assert weighted_fit(np.ones((1, 10), dtype=bool), weights)[0] <= 1.0
    weights = np.array([0.1, 0.2, 0.3, 0.4, 1 / 3])
    assert weighted_fit(np.ones((1, 5), dtype=bool), weights)[0] <= 1.0


@pytest.mark.parametrize("seed", range(10))
def test_factorize_paths_agree(seed: int) -> None:
    import pandas as pd

    from bbmkit._convert import factorize

    rng = np.random.default_rng(seed)
    low = int(rng.integers(-1000, 1000))
    dense = rng.integers(low, low + 50, 300)
    sparse = rng.integers(0, 2**40, 300)
    for values in (dense, sparse, dense.astype(np.uint32) if low >= 0 else dense.astype(np.int32)):
        codes, uniques = factorize(pd.Series(values))
        assert list(uniques) == sorted(set(values.tolist()))
        assert (np.asarray(uniques)[codes] == values).all()


def test_first_crossing_flat_and_falling_segments() -> None:

    # group 0 starts below (flat): 0; group 1 falls from 10 at slope -2: crosses 4 at 3;
    # group 2 is flat at 10 until a kink at 5 starts a fall of -1: crosses 4 at 11;
    # group 3 is flat above the threshold throughout: inf
    got = first_crossing(
        value0=np.array([1.0, 10.0, 10.0, 9.0]),
        slope0=np.array([0.0, -2.0, 0.0, 0.0]),
        threshold=np.array([4.0, 4.0, 4.0, 4.0]),
        kink_group=np.array([2]),
        kink_x=np.array([5.0]),
        kink_slope=np.array([-1.0]),
        x_end=100.0,
    )
    np.testing.assert_allclose(got, [0.0, 3.0, 11.0, np.inf])


@pytest.mark.parametrize("seed", range(12))
def test_pair_sums_matches_reference(seed: int) -> None:
    # dense contact codes take the presence-table path, sparse ones the sorting path
    rng = np.random.default_rng(seed)
    n, n_types = int(rng.integers(1, 400)), int(rng.integers(1, 9))
    high = int(rng.integers(1, 50)) if seed % 2 else int(rng.integers(10**4, 10**6))
    contacts = rng.integers(0, high, n)
    types = rng.integers(0, n_types, n)
    values = rng.normal(size=n)
    expected: dict[tuple[int, int], float] = {}
    for c, t, v in zip(contacts.tolist(), types.tolist(), values.tolist(), strict=True):
        expected[(c, t)] = expected.get((c, t), 0.0) + v
    pc, pt, sums = pair_sums(contacts, types, values, n_types)
    assert list(zip(pc.tolist(), pt.tolist(), strict=True)) == sorted(expected)
    np.testing.assert_allclose(
        sums, [expected[k] for k in sorted(expected)], rtol=1e-12, atol=1e-12
    )


def test_pair_sums_of_nothing_is_empty() -> None:
    pc, pt, sums = pair_sums(
        np.array([], dtype=np.intp), np.array([], dtype=np.intp), np.array([]), 3
    )
    assert pc.size == pt.size == sums.size == 0


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("n_groups", [1, 3, 16, 17, 40_000])
def test_group_median_matches_reference(seed: int, n_groups: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3000))
    codes = rng.integers(0, n_groups, n)
    # few distinct values: many ties inside a group
    values = rng.integers(0, 20, n) / 4.0 if seed % 2 else rng.exponential(12.0, n)
    expected = reference.group_median(codes.tolist(), values.tolist(), n_groups)
    np.testing.assert_allclose(group_median(codes, values, n_groups), expected, rtol=0, atol=0)
