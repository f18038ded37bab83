"""Reductions of values by integer group codes (the one group-by of bbmkit).

``codes`` are non-negative integers below ``n_groups``; values are finite.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from bbmkit._kernels.compiled import jit_kernels
from bbmkit._kernels.parallel import elementwise_slices, reduce_slices, run_chunks

__all__ = [
    "add_parts",
    "gather",
    "gather_values",
    "group_count",
    "group_max",
    "group_median",
    "group_presence",
    "group_sum",
    "group_top_k",
    "group_top_k_sum",
    "take_rows",
    "top_k_total",
]

T = TypeVar("T", bound=np.generic)

IntArray = npt.NDArray[np.integer[Any]]
FloatArray = npt.NDArray[np.float64]


def group_count(
    codes: IntArray, n_groups: int, mask: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.int64]:
    """Rows per group code in ``range(n_groups)``, optionally only where ``mask``."""
    # counts are exact in any split: one chunk per thread, each selecting its own rows
    slices = _exact_slices(codes.shape[0], n_groups)

    def chunk(s: slice) -> npt.NDArray[np.intp]:
        selected = codes[s] if mask is None else codes[s][mask[s]]
        return np.bincount(selected, minlength=n_groups)

    return add_parts(run_chunks(chunk, slices)).astype(np.int64, copy=False)


def group_sum(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Sum of ``values`` per group (0.0 for an empty group)."""
    slices = reduce_slices(codes.size, n_groups)
    parts = run_chunks(
        lambda s: np.bincount(codes[s], weights=values[s], minlength=n_groups), slices
    )
    # bincount with weights already gives float64; astype only informs the type checker
    return add_parts(parts).astype(np.float64, copy=False)


def group_presence(codes: IntArray, n_groups: int) -> npt.NDArray[np.bool_]:
    """Whether each group has a row: a scatter of ``True``, cheaper than counting."""
    present = np.zeros(n_groups, dtype=bool)

    def chunk(s: slice) -> None:
        # threads may store True into the same byte: no read-modify-write, so no race
        present[codes[s]] = True

    run_chunks(chunk, elementwise_slices(codes.shape[0]))
    return present


def gather(table: npt.NDArray[np.intp], codes: IntArray) -> npt.NDArray[np.intp]:
    """``table[codes]`` for a long ``codes`` (a random-access pass: in row chunks on threads)."""
    out = np.empty(codes.shape[0], dtype=np.intp)

    def chunk(s: slice) -> None:
        np.take(table, codes[s], out=out[s])

    run_chunks(chunk, elementwise_slices(out.shape[0]))
    return out


def gather_values(values: FloatArray, codes: IntArray) -> FloatArray:
    """``values.take(codes)`` for a long ``codes``, in row chunks on threads."""
    return take_rows(values, codes)


def take_rows(values: npt.NDArray[T], codes: IntArray) -> npt.NDArray[T]:
    """``values.take(codes)`` of a 1-d array of any numpy dtype, in row chunks on threads."""
    out = np.empty(codes.shape[0], dtype=values.dtype)

    def chunk(s: slice) -> None:
        np.take(values, codes[s], out=out[s])

    run_chunks(chunk, elementwise_slices(out.shape[0]))
    return out


def _exact_slices(n: int, n_groups: int) -> list[slice]:
    """Chunks for a reduction that is exact in any split (counts, maxima).

    One per thread, but only when the rows outnumber the groups: each chunk
    makes a table of ``n_groups`` entries.
    """
    return elementwise_slices(n) if n >= 2 * n_groups else [slice(0, n)]


def add_parts(parts: list[npt.NDArray[T]]) -> npt.NDArray[T]:
    """Partial results added in chunk order (so the sum never depends on thread timing)."""
    out = parts[0]
    for part in parts[1:]:
        np.add(out, part, out=out)
    return out


def group_max(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Maximum of ``values`` per group (-inf for an empty group)."""
    jit = jit_kernels(codes.shape[0])
    if jit is None:
        # single-threaded: ufunc.at holds the GIL, so partial tables on threads would not help
        out = np.full(n_groups, -np.inf)
        np.maximum.at(out, codes, values)
        return out

    # a maximum is exact in any split: one chunk per thread, partial tables merged
    def chunk(s: slice) -> FloatArray:
        table = np.full(n_groups, -np.inf)
        jit.scatter_max(table, codes[s], values[s])
        return table

    parts = run_chunks(chunk, _exact_slices(codes.shape[0], n_groups))
    for part in parts[1:]:
        np.maximum(parts[0], part, out=parts[0])
    return parts[0]


def group_top_k_sum(
    codes: IntArray,
    values: FloatArray,
    n_groups: int,
    k: int,
    *,
    best: FloatArray | None = None,
) -> FloatArray:
    """Sum of the ``k`` largest values per group (all of them if fewer).

    The values of :func:`group_top_k` added from the largest down, so a sum
    of top values merged from partial results (out of core) is the same
    number. ``best``, the :func:`group_max` of the same values when the
    caller has it, saves the first pass.
    """
    return top_k_total(group_top_k(codes, values, n_groups, k, best=best))


def top_k_total(top: FloatArray) -> FloatArray:
    """Row sums of :func:`group_top_k`'s table, largest first, the ``-inf`` padding left out."""
    total = np.zeros(top.shape[0])
    for j in range(top.shape[1]):  # a loop over k, never over rows
        column = top[:, j]
        found = column > -np.inf
        total[found] += column[found]
    return total


def group_top_k(
    codes: IntArray,
    values: FloatArray,
    n_groups: int,
    k: int,
    *,
    best: FloatArray | None = None,
) -> FloatArray:
    """The ``k`` largest values per group, largest first, padded with ``-inf``: shape ``(n_groups, k)``.

    Takes the group maximum ``k`` times, removing one maximal row per group
    each round: ``k`` passes of ``O(n)`` instead of an ``O(n log n)`` sort,
    which is faster for the small ``k`` a handover rule needs.
    """
    n = values.shape[0]
    work = values
    top = np.full((n_groups, k), -np.inf)
    for round_ in range(k):  # a loop over k, never over rows
        if best is None:
            best = group_max(codes, work, n_groups)
        top[:, round_] = best
        if round_ == k - 1 or not (best > -np.inf).any():
            break
        candidates = _rows_at_max(codes, work, best)
        first = np.full(n_groups, n, dtype=np.intp)
        np.minimum.at(first, codes[candidates], candidates)
        if work is values:  # copy on first write: the caller's values stay as they are
            work = values.copy()
        work[first[first < n]] = -np.inf
        best = None
    return top


def _rows_at_max(codes: IntArray, values: FloatArray, best: FloatArray) -> npt.NDArray[np.intp]:
    """Rows whose value equals their group's ``best`` (ascending)."""

    def chunk(s: slice) -> npt.NDArray[np.intp]:
        hits = np.flatnonzero(values[s] == best[codes[s]])
        return hits + (s.start or 0)

    return np.concatenate(run_chunks(chunk, elementwise_slices(values.shape[0])))


_FEW_GROUPS = 16  # up to this many groups, a selection per group beats one sort of all rows


def _few_group_medians(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Medians by selecting the middle values of each group (``np.partition``), no full sort."""
    out = np.full(n_groups, np.nan)
    for g in range(n_groups):  # a loop over a few groups, never over rows
        x = values[codes == g]
        if x.size == 0:
            continue
        lo, hi = (x.size - 1) // 2, x.size // 2
        x = np.partition(x, [lo, hi])
        out[g] = (x[lo] + x[hi]) / 2.0
    return out


def group_median(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Median of ``values`` per group (NaN for an empty group), by sorting.

    Rows sorted by value, then stably by group: the order of a two-key
    ``lexsort``, about twice as fast because the second sort is over small
    integers (a radix sort when the group codes fit in 16 bits).
    """
    out = np.full(n_groups, np.nan)
    if codes.size == 0:
        return out
    if n_groups <= _FEW_GROUPS:
        return _few_group_medians(codes, values, n_groups)
    by_value = np.argsort(values)
    small = np.int16 if n_groups <= np.iinfo(np.int16).max else np.int64
    order = by_value[np.argsort(codes[by_value].astype(small), kind="stable")]
    codes, values = codes[order], values[order]
    counts = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    present = counts > 0
    lo = starts[present] + (counts[present] - 1) // 2
    hi = starts[present] + counts[present] // 2
    out[present] = (values[lo] + values[hi]) / 2.0
    return out
