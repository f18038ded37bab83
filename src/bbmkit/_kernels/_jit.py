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


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernels for the usual code type."""
    table, codes, values = np.zeros(1), np.zeros(1, dtype=np.intp), np.ones(1)
    scatter_add(table, codes, values)
    scatter_max(table, codes, values)
