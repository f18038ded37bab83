"""Weighted criterion matching: the ICP fit kernel."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from bbmkit._kernels import parallel
from bbmkit._kernels.parallel import blocks, elementwise_slices, run_chunks

__all__ = ["BlockMask", "weighted_contributions", "weighted_fit", "weighted_fit_blocks"]

BlockMask = Callable[[slice], npt.NDArray[np.bool_]]
"""A criterion's matches for any block of rows (the boolean array of those rows)."""


def weighted_contributions(
    matches: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Per-criterion contribution ``weight_k * match_k / sum(weight)``.

    ``matches`` has shape ``(n_rows, n_criteria)``; the result has the same
    shape. Its rows summed left to right give :func:`weighted_fit` exactly.
    """
    share = weights / weights.sum()
    contributions: npt.NDArray[np.float64] = matches * share
    return contributions


def weighted_fit(
    matches: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``sum_k weight_k * match_k / sum_k weight_k`` per row.

    Accumulates one criterion at a time (a loop over the few criteria, never
    over rows) so memory stays at one float column and the order of the
    additions equals a left-to-right row sum of
    :func:`weighted_contributions`.
    """
    columns = [_column_of(matches, k) for k in range(matches.shape[1])]
    return weighted_fit_blocks(columns, weights, matches.shape[0])


def _column_of(matches: npt.NDArray[np.bool_], k: int) -> BlockMask:
    return lambda rows: matches[rows, k]


def weighted_fit_blocks(
    masks: Sequence[BlockMask], weights: npt.NDArray[np.float64], n_rows: int
) -> npt.NDArray[np.float64]:
    """:func:`weighted_fit` of matches computed block by block: one fused pass.

    ``masks[k](rows)`` gives criterion ``k``'s matches of a block of rows.
    Each cache-sized block is matched and weighted while it is in cache, and
    the row chunks run on the thread pool, so no full-length match column is
    ever written. The additions are those of :func:`weighted_fit`, in the
    same order, so the fits are bit-for-bit the same.
    """
    share = weights / weights.sum()
    fit = np.empty(n_rows, dtype=np.float64)
    if not masks:  # pragma: no cover - profiles have at least one criterion
        fit[:] = 0.0
        return fit

    def chunk(rows: slice) -> None:
        scratch = np.empty(min(rows.stop - rows.start, parallel.BLOCK_ROWS), dtype=np.float64)
        for s in blocks(rows):
            block = fit[s]
            tmp = scratch[: block.shape[0]]
            # bool * share is share or exactly 0.0, and 0.0 + x == x: the first product
            # is the running sum, and the order of additions never changes
            np.multiply(masks[0](s), share[0], out=block)
            for k in range(1, len(masks)):
                np.multiply(masks[k](s), share[k], out=tmp)
                np.add(block, tmp, out=block)
            # shares that sum to 1 + ulp must not push a full match above 1
            np.minimum(block, 1.0, out=block)

    run_chunks(chunk, elementwise_slices(n_rows))
    return fit
