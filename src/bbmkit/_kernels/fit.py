"""Weighted criterion matching: the ICP fit kernel."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bbmkit._kernels.parallel import blocks, elementwise_slices, run_chunks

__all__ = ["weighted_contributions", "weighted_fit"]


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
    share = weights / weights.sum()
    fit = np.empty(matches.shape[0], dtype=np.float64)

    def chunk(rows: slice) -> None:
        # cache-sized blocks: the per-criterion temporaries never leave the cache
        for s in blocks(rows):
            block = fit[s]
            block[:] = 0.0
            for k in range(matches.shape[1]):
                # bool * share is share or exactly 0.0, so the order of additions never changes
                block += matches[s, k] * share[k]
            # shares that sum to 1 + ulp must not push a full match above 1
            np.minimum(block, 1.0, out=block)

    run_chunks(chunk, elementwise_slices(fit.shape[0]))
    return fit
