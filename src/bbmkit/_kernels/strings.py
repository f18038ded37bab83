"""Exact, order-preserving integer keys for short strings: factorising without hashing.

Ids exported from a CRM are short and regular ("C00012345", "ACC-981"):
few distinct byte values occur at each position. Reading each string as a
number in a mixed radix (position ``j`` has as many digits as it has
distinct bytes) gives an integer key that is unique per string and sorts
like the strings (UTF-8 byte order is code-point order). When the keys span
a range close to the number of values they are direct addresses, so ids
are factorised by offsets instead of hashing strings (several times faster).

Inputs are the Arrow buffers of string arrays without nulls: ``offsets``
(n + 1 positions into ``data``) and ``data`` (UTF-8 bytes).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bbmkit._kernels.parallel import elementwise_slices, run_chunks

__all__ = ["string_keys"]

_BLOCK = 1 << 15  # rows per block: a block's bytes and keys stay in cache
_SMALL_RANGE = 16  # byte ranges up to this wide are used as they are (no bincount)
_MAX_SPAN = 1 << 62


def byte_matrix(
    offsets: npt.NDArray[np.integer], data: npt.NDArray[np.uint8], width: int
) -> npt.NDArray[np.uint8]:
    """Strings as rows of ``width`` bytes, right-padded with 0 (a view when all have that width)."""
    n = offsets.size - 1
    start = int(offsets[0])
    lengths = np.diff(offsets)
    if n and int(lengths.min()) == width:
        return data[start : start + n * width].reshape(n, width)
    matrix = np.zeros((n, width), dtype=np.uint8)
    total = int(offsets[-1]) - start
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(total) - np.repeat(offsets[:-1] - start, lengths)
    matrix[rows, cols] = data[start : start + total]
    return matrix


def string_keys(
    matrices: list[npt.NDArray[np.uint8]],
) -> tuple[list[npt.NDArray[np.int64]], int] | None:
    """Mixed-radix keys of the rows of several byte matrices, in one key space.

    Returns the keys per matrix and the span (keys lie in ``[0, span)``), or
    ``None`` when the span would not fit in an int64.
    """
    width = matrices[0].shape[1]
    ranges = [_column_ranges(m) for m in matrices if m.shape[0]]
    tables: list[npt.NDArray[np.int64]] = []
    positions: list[int] = []
    radices: list[int] = []
    span = 1
    for j in range(width):
        low = min(int(r[0][j]) for r in ranges)
        high = max(int(r[1][j]) for r in ranges)
        if low == high:  # a constant position (a prefix, padding) adds nothing
            continue
        table = np.arange(256, dtype=np.int64) - low  # small ranges: the byte's offset
        if high - low < _SMALL_RANGE:
            radix = high - low + 1
        else:  # wide byte range (letters, padding next to digits): rank the bytes seen
            seen = np.zeros(256, dtype=np.int64)
            for m in matrices:
                seen += np.bincount(m[:, j], minlength=256)
            present = seen > 0
            table = np.cumsum(present) - 1
            radix = int(present.sum())
        span *= radix
        if span > _MAX_SPAN:
            return None
        tables.append(table)
        positions.append(j)
        radices.append(radix)
    return [_keys(m, tables, positions, radices) for m in matrices], span


def _column_ranges(
    matrix: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Smallest and largest byte of every column, from row chunks on threads."""

    def chunk(s: slice) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
        part = matrix[s]
        lows = np.array([part[:, j].min() for j in range(part.shape[1])], dtype=np.uint8)
        highs = np.array([part[:, j].max() for j in range(part.shape[1])], dtype=np.uint8)
        return lows, highs

    parts = run_chunks(chunk, elementwise_slices(matrix.shape[0]))
    return (
        np.minimum.reduce([p[0] for p in parts]),
        np.maximum.reduce([p[1] for p in parts]),
    )


def _keys(
    matrix: npt.NDArray[np.uint8],
    tables: list[npt.NDArray[np.int64]],
    positions: list[int],
    radices: list[int],
) -> npt.NDArray[np.int64]:
    n = matrix.shape[0]
    out = np.zeros(n, dtype=np.int64)
    if not positions:
        return out
    # a position whose table is an offset (low .. low + radix - 1) needs no lookup
    lows = [-int(t[0]) if bool((np.diff(t) == 1).all()) else None for t in tables]

    def chunk(rows: slice) -> None:
        for s in _blocks(rows, n):
            block = matrix[s]
            key = out[s]
            for table, j, radix, low in zip(tables, positions, radices, lows, strict=True):
                key *= radix
                if low is None:
                    key += table[block[:, j]]
                else:
                    key += block[:, j]
                    key -= low

    run_chunks(chunk, elementwise_slices(n))
    return out


def _blocks(rows: slice, n: int) -> list[slice]:
    start, stop = rows.start or 0, n if rows.stop is None else rows.stop
    return [slice(i, min(i + _BLOCK, stop)) for i in range(start, stop, _BLOCK)]
