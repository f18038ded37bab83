"""Elementwise passes over long arrays, in row chunks on the thread pool."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bbmkit._kernels.parallel import elementwise_slices, run_chunks

__all__ = ["any_equal", "divided", "minmax"]


def divided(values: npt.NDArray[np.int64], by: float) -> npt.NDArray[np.float64]:
    """``values / by`` as float64 (the same rounding as one numpy division)."""
    out = np.empty(values.shape[0], dtype=np.float64)

    def chunk(s: slice) -> None:
        np.divide(values[s], by, out=out[s])

    run_chunks(chunk, elementwise_slices(out.shape[0]))
    return out


def any_equal(values: npt.NDArray[np.int64], target: int) -> bool:
    """Whether any of ``values`` equals ``target`` (e.g. the NaT sentinel)."""
    found = run_chunks(lambda s: bool((values[s] == target).any()), elementwise_slices(values.size))
    return any(found)


def minmax(values: npt.NDArray[np.integer]) -> tuple[int, int]:
    """Smallest and largest of a non-empty integer array, in one threaded call."""
    parts = run_chunks(
        lambda s: (int(values[s].min()), int(values[s].max())), elementwise_slices(values.size)
    )
    return min(p[0] for p in parts), max(p[1] for p in parts)
