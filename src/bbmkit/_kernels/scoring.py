"""Behavioural scoring: decayed event points summed per contact, with caps."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from bbmkit._kernels.groupby import FloatArray, IntArray, group_sum

__all__ = ["DecayKind", "decay_factor", "pair_sums", "scores_from_values"]

DecayKind = Literal["none", "exponential", "linear"]


def decay_factor(age_days: FloatArray, kind: DecayKind, scale: float) -> FloatArray:
    """Share of its points an event of the given age (>= 0 days) is still worth.

    ``exponential``: ``0.5 ** (age / scale)`` (``scale`` = half-life);
    ``linear``: ``max(0, 1 - age / scale)`` (``scale`` = lifespan);
    ``none``: 1.
    """
    if kind == "exponential":
        return np.exp2(-age_days / scale)
    if kind == "linear":
        return np.clip(1.0 - age_days / scale, 0.0, None)
    return np.ones_like(age_days)


def scores_from_values(
    contact_codes: IntArray,
    type_codes: IntArray,
    values: FloatArray,
    n_contacts: int,
    type_caps: FloatArray,
    total_cap: float,
) -> FloatArray:
    """Per-contact score: event values summed, per-type caps, then the total cap.

    ``type_caps[t]`` is the most a contact gets from type ``t`` (``inf`` for
    none); a capped type's sum is ``min(sum, cap)``. ``total_cap`` (``inf``
    for none) caps the final sum.
    """
    score = group_sum(contact_codes, values, n_contacts)
    for t in np.flatnonzero(np.isfinite(type_caps)):  # a loop over capped types
        mask = type_codes == t
        per_type = group_sum(contact_codes[mask], values[mask], n_contacts)
        score += np.minimum(per_type, type_caps[t]) - per_type
    if np.isfinite(total_cap):
        np.minimum(score, total_cap, out=score)
    return score


def pair_sums(
    contact_codes: IntArray, type_codes: IntArray, values: FloatArray, n_types: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray]:
    """Sum of values per observed (contact, type) pair, sorted by contact then type."""
    pair = contact_codes.astype(np.int64) * n_types + type_codes
    unique, inverse = np.unique(pair, return_inverse=True)
    sums = group_sum(inverse.ravel(), values, unique.shape[0])
    return (unique // n_types).astype(np.intp), (unique % n_types).astype(np.intp), sums
