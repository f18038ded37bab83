"""Reductions of values by integer group codes (the one group-by of bbmkit).

``codes`` are non-negative integers below ``n_groups``; values are finite.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

from bbmkit._kernels.parallel import elementwise_slices, reduce_slices, run_chunks

__all__ = [
    "gather",
    "group_count",
    "group_max",
    "group_median",
    "group_presence",
    "group_sum",
    "group_top_k_sum",
]

T = TypeVar("T", bound=np.generic)

IntArray = npt.NDArray[np.intp] | npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def group_count(
    codes: IntArray, n_groups: int, mask: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.int64]:
    """Rows per group code in ``range(n_groups)``, optionally only where ``mask``."""
    selected = codes if mask is None else codes[mask]
    # counts are exact in any split: one chunk per thread
    slices = elementwise_slices(selected.size) if selected.size >= 2 * n_groups else [slice(None)]
    parts = run_chunks(lambda s: np.bincount(selected[s], minlength=n_groups), slices)
    return _add(parts).astype(np.int64, copy=False)


def group_sum(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Sum of ``values`` per group (0.0 for an empty group)."""
    slices = reduce_slices(codes.size, n_groups)
    parts = run_chunks(
        lambda s: np.bincount(codes[s], weights=values[s], minlength=n_groups), slices
    )
    # bincount with weights already gives float64; astype only informs the type checker
    return _add(parts).astype(np.float64, copy=False)


def group_presence(codes: IntArray, n_groups: int) -> npt.NDArray[np.bool_]:
    """Whether each group has a row: a scatter of ``True``, cheaper than counting."""
    present = np.zeros(n_groups, dtype=bool)
    present[codes] = True
    return present


def gather(table: npt.NDArray[np.intp], codes: IntArray) -> npt.NDArray[np.intp]:
    """``table[codes]`` for a long ``codes`` (a random-access pass: in row chunks on threads)."""
    out = np.empty(codes.shape[0], dtype=np.intp)

    def chunk(s: slice) -> None:
        np.take(table, codes[s], out=out[s])

    run_chunks(chunk, elementwise_slices(out.shape[0]))
    return out


def _add(parts: list[npt.NDArray[T]]) -> npt.NDArray[T]:
    """Partial results added in chunk order (so the sum never depends on thread timing)."""
    out = parts[0]
    for part in parts[1:]:
        np.add(out, part, out=out)
    return out


def group_max(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Maximum of ``values`` per group (-inf for an empty group)."""
    out = np.full(n_groups, -np.inf)
    np.maximum.at(out, codes, values)
    return out


def group_top_k_sum(codes: IntArray, values: FloatArray, n_groups: int, k: int) -> FloatArray:
    """Sum of the ``k`` largest values per group (all of them if fewer).

    Takes the group maximum ``k`` times, removing one maximal row per group
    each round: ``k`` passes of ``O(n)`` instead of an ``O(n log n)`` sort,
    which is faster for the small ``k`` a handover rule needs.
    """
    n = values.shape[0]
    work = values.astype(np.float64, copy=True)
    total = np.zeros(n_groups)
    for round_ in range(k):  # a loop over k, never over rows
        best = group_max(codes, work, n_groups)
        found = best > -np.inf
        total[found] += best[found]
        if round_ == k - 1 or not found.any():
            break
        candidates = np.flatnonzero(work == best[codes])
        first = np.full(n_groups, n, dtype=np.intp)
        np.minimum.at(first, codes[candidates], candidates)
        work[first[first < n]] = -np.inf
    return total


def group_median(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Median of ``values`` per group (NaN for an empty group), by one sort."""
    out = np.full(n_groups, np.nan)
    if codes.size == 0:
        return out
    order = np.lexsort((values, codes))
    codes, values = codes[order], values[order]
    counts = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    present = counts > 0
    lo = starts[present] + (counts[present] - 1) // 2
    hi = starts[present] + counts[present] // 2
    out[present] = (values[lo] + values[hi]) / 2.0
    return out
