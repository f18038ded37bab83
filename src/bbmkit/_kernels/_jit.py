"""The numba loops behind :mod:`bbmkit._kernels.compiled` (imported only when numba is).

Each loop visits rows in order and does what its numpy counterpart does per
row, so a result is bit for bit the numpy one. ``nogil``: they run on
bbmkit's thread pool, one row chunk each.
"""

from __future__ import annotations

import numba
import numpy as np

from bbmkit._kernels.groupby import FloatArray, IntArray


@numba.njit(nogil=True, cache=True, boundscheck=False)
def scatter_add(out: FloatArray, codes: IntArray, values: FloatArray) -> None:
    """``out[codes[i]] += values[i]`` in row order: ``np.bincount``'s loop, into a given table."""
    for i in range(codes.shape[0]):
        out[codes[i]] += values[i]


@numba.njit(nogil=True, cache=True, boundscheck=False)
def scatter_max(out: FloatArray, codes: IntArray, values: FloatArray) -> None:
    """``out[codes[i]] = max(out[codes[i]], values[i])``: ``np.maximum.at`` for finite values."""
    for i in range(codes.shape[0]):
        c = codes[i]
        if values[i] > out[c]:
            out[c] = values[i]


@numba.njit(nogil=True, cache=True, boundscheck=False)
def floor_scan(
    first: np.ndarray,
    slot: np.ndarray,
    value: FloatArray,
    factor: FloatArray,
    slot_caps: FloatArray,
    slot_group: np.ndarray,
    group_caps: FloatArray,
    total_cap: float,
    floor: float,
    lift: FloatArray,
) -> None:
    """:func:`bbmkit._kernels.rules.floor_scan`, moment by moment (same operations, same order)."""
    n_slots = slot_caps.shape[0]
    sums = np.zeros(n_slots)
    free = 0.0
    adjust = 0.0
    for i in range(value.shape[0]):
        if first[i]:
            sums[:] = 0.0
            free = 0.0
            adjust = 0.0
        f = factor[i]
        for j in range(n_slots):
            sums[j] *= f
        free *= f
        adjust *= f
        kind = slot[i]
        if kind == -3:
            sums[:] = 0.0
            free = 0.0
            adjust = value[i]
        elif kind >= 0:
            sums[kind] += value[i]
        elif kind == -1:
            free += value[i]
        else:
            adjust += value[i]
        x = free
        for j in range(n_slots):
            if slot_group[j] < 0:
                x += min(sums[j], slot_caps[j])
        for g in range(group_caps.shape[0]):
            g_sum = 0.0
            for j in range(n_slots):
                if slot_group[j] == g:
                    g_sum += min(sums[j], slot_caps[j])
            x += min(g_sum, group_caps[g])
        x += adjust
        x = min(x, total_cap)
        if x < floor:
            lift[i] = floor - x
            adjust += lift[i]


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernels for the usual code type."""
    table, codes, values = np.zeros(1), np.zeros(1, dtype=np.intp), np.ones(1)
    scatter_add(table, codes, values)
    scatter_max(table, codes, values)
