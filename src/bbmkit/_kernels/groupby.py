"""Reductions of values by integer group codes (the one group-by of bbmkit)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["group_count"]

IntArray = npt.NDArray[np.intp] | npt.NDArray[np.int64]


def group_count(
    codes: IntArray, n_groups: int, mask: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.int64]:
    """Rows per group code in ``range(n_groups)``, optionally only where ``mask``.

    ``codes`` must be non-negative integers below ``n_groups``.
    """
    selected = codes if mask is None else codes[mask]
    return np.bincount(selected, minlength=n_groups).astype(np.int64, copy=False)
