"""The thread-pool layer: chunked kernels give the same results as one piece."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import bbmkit as bk
from bbmkit._kernels import (
    decayed_points,
    gather,
    gather_values,
    group_count,
    group_max,
    group_presence,
    group_sum,
    group_top_k_sum,
    parallel,
    weighted_fit,
)


@pytest.fixture
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every pass of more than a few rows split into chunks on the pool, and in blocks."""
    monkeypatch.setattr(parallel, "MIN_ROWS", 8)
    monkeypatch.setattr(parallel, "BLOCK_ROWS", 7)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("1", 1), ("3", 3), ("0", 1), ("-2", 1), ("many", 1)],
)
def test_num_threads_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, setting: str, expected: int
) -> None:
    monkeypatch.setenv("BBMKIT_NUM_THREADS", setting)
    assert parallel.num_threads() == expected


def test_num_threads_defaults_to_the_usable_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BBMKIT_NUM_THREADS", raising=False)
    assert parallel.num_threads() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("n", [0, 1, 5, 17, 1000])
@pytest.mark.parametrize("chunks", [1, 2, 3, 7])
def test_split_covers_every_row_once_in_order(n: int, chunks: int) -> None:
    slices = parallel.split(n, chunks)
    covered = np.concatenate([np.arange(n)[s] for s in slices])
    np.testing.assert_array_equal(covered, np.arange(n))
    assert len(slices) == max(1, min(chunks, n))


def test_run_chunks_keeps_slice_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BBMKIT_NUM_THREADS", "4")
    slices = parallel.split(100, 10)
    assert parallel.run_chunks(lambda s: s.start, slices) == [s.start for s in slices]


def test_run_chunks_propagates_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BBMKIT_NUM_THREADS", "2")

    def boom(s: slice) -> int:
        raise RuntimeError(f"chunk {s.start}")

    with pytest.raises(RuntimeError, match="chunk"):
        parallel.run_chunks(boom, parallel.split(10, 2))


def test_small_passes_stay_in_one_piece() -> None:
    assert parallel.elementwise_slices(1000) == [slice(0, 1000)]
    assert parallel.reduce_slices(1000, 10) == [slice(0, 1000)]


def test_float_reductions_split_by_size_not_by_cores(
    monkeypatch: pytest.MonkeyPatch, tiny_chunks: None
) -> None:
    monkeypatch.setenv("BBMKIT_NUM_THREADS", "1")
    one = parallel.reduce_slices(1000, 10)
    monkeypatch.setenv("BBMKIT_NUM_THREADS", "7")
    assert parallel.reduce_slices(1000, 10) == one
    # more groups than rows: a split would only add partial tables
    assert parallel.reduce_slices(1000, 600) == [slice(0, 1000)]


@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_chunked_kernels_equal_numpy(
    monkeypatch: pytest.MonkeyPatch, tiny_chunks: None, threads: str
) -> None:
    monkeypatch.setenv("BBMKIT_NUM_THREADS", threads)
    rng = np.random.default_rng(8)
    n, groups = 10_001, 97
    codes = rng.integers(0, groups, n)
    values = rng.normal(size=n)
    np.testing.assert_array_equal(group_count(codes, groups), np.bincount(codes, minlength=groups))
    mask = values > 0
    np.testing.assert_array_equal(
        group_count(codes, groups, mask), np.bincount(codes[mask], minlength=groups)
    )
    np.testing.assert_allclose(
        group_sum(codes, values, groups),
        np.bincount(codes, weights=values, minlength=groups),
        rtol=1e-12,
        atol=1e-12,
    )
    np.testing.assert_array_equal(
        group_presence(codes[:50], groups), np.isin(np.arange(groups), codes[:50])
    )
    np.testing.assert_array_equal(
        group_max(codes, values, groups),
        pd.Series(values).groupby(codes).max().reindex(range(groups)).to_numpy(),
    )
    ties = np.round(values)  # many ties: one maximal row removed per group and round
    expected_top3 = [np.sort(ties[codes == g])[::-1][:3].sum() for g in range(groups)]
    np.testing.assert_allclose(group_top_k_sum(codes, ties, groups, 3), expected_top3)
    matches = rng.random((n, 3)) < 0.5
    weights = np.array([3.0, 2.0, 1.0])
    np.testing.assert_array_equal(
        weighted_fit(matches, weights), np.minimum((matches * (weights / 6.0)).sum(axis=1), 1.0)
    )
    ages = rng.uniform(0, 9, n)
    for kind, factor in (("none", np.ones(n)), ("linear", np.maximum(0.0, 1.0 - ages / 5.0))):
        got = decayed_points(10.0 - ages, codes % 4, np.arange(4.0), 10.0, kind, 5.0)
        np.testing.assert_allclose(got, (codes % 4) * factor, rtol=1e-12, atol=1e-12)
    table = rng.permutation(groups).astype(np.intp)
    np.testing.assert_array_equal(gather(table, codes), table[codes])
    np.testing.assert_array_equal(gather_values(values, codes), values[codes])
    times = rng.uniform(0, 180, n)
    types = rng.integers(0, 4, n)
    points = np.array([5.0, -10.0, 20.0, 1.0])
    expected = points[types] * 0.5 ** ((200.0 - times) / 30.0)
    np.testing.assert_allclose(
        decayed_points(times, types, points, 200.0, "exponential", 30.0), expected, rtol=1e-14
    )
    ns = rng.integers(0, 200 * 86_400 * 10**9, n)
    as_of = 200.0
    per_day = 86_400.0 * 10**9
    np.testing.assert_array_equal(  # nanoseconds divided in blocks: the very same numbers
        decayed_points(ns, types, points, as_of, "exponential", 30.0, per_day),
        decayed_points(ns / per_day, types, points, as_of, "exponential", 30.0),
    )


def test_float_sums_are_identical_on_any_number_of_threads(
    monkeypatch: pytest.MonkeyPatch, tiny_chunks: None
) -> None:
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 50, 20_000)
    values = rng.normal(size=20_000) * 1e6
    results = []
    for threads in ("1", "2", "5"):
        monkeypatch.setenv("BBMKIT_NUM_THREADS", threads)
        results.append(group_sum(codes, values, 50))
    for other in results[1:]:
        np.testing.assert_array_equal(other, results[0])


def test_public_scores_do_not_depend_on_threads(
    monkeypatch: pytest.MonkeyPatch, tiny_chunks: None
) -> None:
    rng = np.random.default_rng(11)
    n = 5_000

    log = pd.DataFrame(
        {
            "contact_id": rng.integers(0, 700, n),
            "event_type": rng.choice(["a", "b", "c"], n),
            "timestamp": rng.uniform(0, 90, n),
        }
    )
    model = bk.ScoringModel({"a": 10, "b": -5, "c": 30}, half_life=14, event_caps={"c": 60})
    runs = []
    for threads in ("1", "2"):
        monkeypatch.setenv("BBMKIT_NUM_THREADS", threads)
        runs.append(model.score(log, as_of=80))
    pd.testing.assert_series_equal(runs[0], runs[1], check_exact=True)
