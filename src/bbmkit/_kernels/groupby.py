"""Reductions of values by integer group codes (the one group-by of bbmkit)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["group_count", "group_sum"]

IntArray = npt.NDArray[np.intp] | npt.NDArray[np.int64]


def group_count(
    codes: IntArray, n_groups: int, mask: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.int64]:
    """Rows per group code in ``range(n_groups)``, optionally only where ``mask``.

    ``codes`` must be non-negative integers below ``n_groups``.
    """
    selected = codes if mask is None else codes[mask]
    return np.bincount(selected, minlength=n_groups).astype(np.int64, copy=False)


def group_sum(
    codes: IntArray, values: npt.NDArray[np.float64], n_groups: int
) -> npt.NDArray[np.float64]:
    """Sum of ``values`` per group code in ``range(n_groups)`` (0.0 for empty)."""
    # bincount with weights already gives float64; astype only informs the type checker
    return np.bincount(codes, weights=values, minlength=n_groups).astype(np.float64, copy=False)
