"""Boundary conversions: labels to integer codes, times to float days.

These run once at the public boundary, after validation, so that the
kernels see plain numpy arrays only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._kernels import group_count

__all__ = ["NS_PER_DAY", "factorize"]

from bbmkit._validation import NS_PER_DAY


def factorize(labels: pd.Series) -> tuple[npt.NDArray[np.intp], pd.Index]:
    """Integer codes and the labels they stand for.

    Labels are sorted (category order for a categorical, first-seen order
    for unorderable mixtures); missing labels get a code of their own, last,
    so no row is dropped. Unobserved categories get no code.
    """
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return _factorize_categorical(labels)
    if labels.dtype.kind in "iu" and len(labels):
        dense = _factorize_dense_ints(labels.to_numpy())
        if dense is not None:
            return dense
    try:
        codes, uniques = pd.factorize(labels, sort=True, use_na_sentinel=False)
    except TypeError:  # labels of mixed, unorderable types
        codes, uniques = pd.factorize(labels, sort=False, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.intp), pd.Index(uniques)


def _factorize_dense_ints(
    values: npt.NDArray[np.integer],
) -> tuple[npt.NDArray[np.intp], pd.Index] | None:
    """Integer ids in a compact range: offsets instead of hashing (several times faster).

    Typical CRM integer keys are dense; ``None`` when the range is too sparse
    for an offset table to pay off.
    """
    low, high = int(values.min()), int(values.max())
    span = high - low + 1
    if span > max(4 * values.size, 1024):
        return None
    # ids already starting at 0 are their own offsets: no subtraction pass
    offsets = (
        values.astype(np.intp, copy=False)
        if low == 0
        else (values - low).astype(np.intp, copy=False)
    )
    present = group_count(offsets, span) > 0
    if present.all():  # every id in the range occurs: the offsets are the codes
        return offsets, pd.Index(np.arange(low, high + 1, dtype=values.dtype))
    remap = np.cumsum(present) - 1
    uniques = np.arange(low, high + 1, dtype=values.dtype)[present]
    return remap[offsets].astype(np.intp, copy=False), pd.Index(uniques)


def _factorize_categorical(labels: pd.Series) -> tuple[npt.NDArray[np.intp], pd.Index]:
    categories = labels.cat.categories
    n_cat = len(categories)
    raw = labels.cat.codes.to_numpy().astype(np.intp)
    raw[raw < 0] = n_cat
    present = group_count(raw, n_cat + 1) > 0
    remap = np.cumsum(present) - 1
    uniques = categories[present[:n_cat]]
    if present[n_cat]:
        uniques = uniques.append(pd.Index([np.nan], dtype=object))
    return remap[raw].astype(np.intp, copy=False), pd.Index(uniques)
