"""Behavioural scoring: decayed event points summed per contact, with caps."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from bbmkit._kernels.compiled import jit_kernels
from bbmkit._kernels.elementwise import minmax
from bbmkit._kernels.groupby import (
    FloatArray,
    IntArray,
    add_parts,
    gather,
    group_presence,
    group_sum,
)
from bbmkit._kernels.parallel import blocks, elementwise_slices, reduce_slices, run_chunks

__all__ = [
    "DecayKind",
    "capped_total",
    "decay_factor",
    "decayed_points",
    "decayed_sums",
    "first_crossing",
    "pair_sums",
    "scores_from_log",
    "scores_from_values",
]

DecayKind = Literal["none", "exponential", "linear"]


def decay_factor(age_days: FloatArray, kind: DecayKind, scale: float) -> FloatArray:
    """Share of its points an event of the given age (>= 0 days) is still worth.

    ``exponential``: ``0.5 ** (age / scale)`` (``scale`` = half-life);
    ``linear``: ``max(0, 1 - age / scale)`` (``scale`` = lifespan);
    ``none``: 1.
    """
    if kind == "none":
        return np.ones_like(age_days)
    # one temporary, updated in place: these run over every event of the log
    out = age_days * (-1.0 / scale)
    if kind == "exponential":
        np.exp2(out, out=out)
    else:
        out += 1.0
        np.maximum(out, 0.0, out=out)
    return out


def decayed_points(
    times: npt.NDArray[np.int64] | FloatArray,
    type_codes: IntArray,
    points: FloatArray,
    as_of_days: float,
    kind: DecayKind,
    scale: float,
    per_day: float | None = None,
) -> FloatArray:
    """Points of every event, decayed to ``as_of_days``: ``points[type] * decay(as_of - day)``.

    ``times`` are days, or ``per_day`` units a day (nanoseconds of
    datetimes), divided block by block: the same numbers as dividing the
    whole array first, without a log-sized array of days. The pass over
    every event of the log, so it runs in row chunks on the thread pool.
    """
    out = np.empty(times.shape[0], dtype=np.float64)

    def chunk(rows: slice) -> None:
        # cache-sized blocks written in place: no log-sized temporaries to allocate and fault in
        for s in blocks(rows):
            _decay_block(out[s], s, times, type_codes, points, as_of_days, kind, scale, per_day)

    run_chunks(chunk, elementwise_slices(out.shape[0]))
    return out


def _decay_block(
    block: FloatArray,
    s: slice,
    times: npt.NDArray[np.int64] | FloatArray,
    type_codes: IntArray,
    points: FloatArray,
    as_of_days: float,
    kind: DecayKind,
    scale: float,
    per_day: float | None,
) -> None:
    """:func:`decayed_points` of the rows ``s``, written into ``block``."""
    if kind == "none":
        np.take(points, type_codes[s], out=block)
        return
    if per_day is None:
        np.subtract(as_of_days, times[s], out=block)
    else:
        np.divide(times[s], per_day, out=block)
        np.subtract(as_of_days, block, out=block)
    block *= -1.0 / scale  # the same operations, in the same order, as decay_factor
    if kind == "exponential":
        np.exp2(block, out=block)
    else:
        block += 1.0
        np.maximum(block, 0.0, out=block)
    block *= np.take(points, type_codes[s])


def decayed_sums(
    times: npt.NDArray[np.int64] | FloatArray,
    type_codes: IntArray,
    points: FloatArray,
    as_of_days: float,
    kind: DecayKind,
    scale: float,
    per_day: float | None,
    contact_codes: IntArray,
    n_contacts: int,
) -> FloatArray:
    """``group_sum(contact_codes, decayed_points(...), n_contacts)``, the same numbers.

    With the compiled kernels, each cache-sized block of decayed points is
    added into its chunk's table as it is made, in the row order and chunks
    of :func:`group_sum`, so the log-sized array of values is never written.
    """
    n = times.shape[0]
    jit = jit_kernels(n)
    if jit is None:
        values = decayed_points(times, type_codes, points, as_of_days, kind, scale, per_day)
        return group_sum(contact_codes, values, n_contacts)

    def chunk(rows: slice) -> FloatArray:
        table = np.zeros(n_contacts)
        parts = blocks(rows)
        buffer = np.empty(parts[0].stop - parts[0].start if parts else 0)  # the largest block
        for s in parts:
            block = buffer[: s.stop - s.start]
            _decay_block(block, s, times, type_codes, points, as_of_days, kind, scale, per_day)
            jit.scatter_add(table, contact_codes[s], block)
        return table

    return add_parts(run_chunks(chunk, reduce_slices(n, n_contacts)))


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


def capped_total(
    contact_codes: IntArray,
    type_codes: IntArray,
    values: FloatArray,
    n_contacts: int,
    type_caps: FloatArray,
    group_of_type: npt.NDArray[np.int64],
    group_caps: FloatArray,
) -> FloatArray:
    """Per contact: each type's sum capped, each group's sum of capped types capped, added up.

    ``group_of_type[t]`` is type ``t``'s group (-1 for none), ``group_caps[g]``
    group ``g``'s cap (``inf`` for none). No total cap: the caller adds what
    belongs to no type first.
    """
    if not (group_of_type >= 0).any() or not np.isfinite(group_caps).any():
        return scores_from_values(contact_codes, type_codes, values, n_contacts, type_caps, np.inf)
    n_types = type_caps.shape[0]
    pc, pt, sums = pair_sums(contact_codes, type_codes, values, n_types)
    capped = np.minimum(sums, type_caps[pt])
    group = group_of_type[pt]
    # a group without a cap adds its types as they are
    free = (group < 0) | ~np.isfinite(group_caps[np.maximum(group, 0)])
    total = group_sum(pc[free], capped[free], n_contacts)
    held = ~free
    gc, gg, g_sums = pair_sums(pc[held], group[held], capped[held], group_caps.shape[0])
    total += group_sum(gc, np.minimum(g_sums, group_caps[gg]), n_contacts)
    return total


def scores_from_log(
    times: npt.NDArray[np.int64] | FloatArray,
    type_codes: IntArray,
    points: FloatArray,
    as_of_days: float,
    kind: DecayKind,
    scale: float,
    per_day: float | None,
    contact_codes: IntArray,
    n_contacts: int,
    type_caps: FloatArray,
    total_cap: float,
) -> FloatArray:
    """:func:`scores_from_values` of the :func:`decayed_points` of a log, the same numbers.

    Without per-type caps the values are only ever summed, so they go
    straight into the sums (:func:`decayed_sums`).
    """
    if np.isfinite(type_caps).any():
        values = decayed_points(times, type_codes, points, as_of_days, kind, scale, per_day)
        return scores_from_values(
            contact_codes, type_codes, values, n_contacts, type_caps, total_cap
        )
    score = decayed_sums(
        times, type_codes, points, as_of_days, kind, scale, per_day, contact_codes, n_contacts
    )
    if np.isfinite(total_cap):
        np.minimum(score, total_cap, out=score)
    return score


def pair_sums(
    contact_codes: IntArray, type_codes: IntArray, values: FloatArray, n_types: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray]:
    """Sum of values per observed (contact, type) pair, sorted by contact then type."""
    pair = contact_codes.astype(np.int64) * n_types + type_codes
    span = minmax(pair)[1] + 1 if pair.size else 0
    if 0 < span <= 8 * pair.size + 1024:
        # dense pair keys (contact codes are dense): rank by a presence table, no sort
        present = group_presence(pair, span)
        rank = np.cumsum(present, dtype=np.intp) - 1
        unique = np.flatnonzero(present)
        inverse = gather(rank, pair)
    else:
        unique, inverse = np.unique(pair, return_inverse=True)
    sums = group_sum(inverse.ravel(), values, unique.shape[0])
    return (unique // n_types).astype(np.intp), (unique % n_types).astype(np.intp), sums


def first_crossing(
    value0: FloatArray,
    slope0: FloatArray,
    threshold: FloatArray,
    kink_group: IntArray,
    kink_x: FloatArray,
    kink_slope: FloatArray,
    x_end: float,
) -> FloatArray:
    """First ``x >= 0`` at which a continuous piecewise-linear function drops below a threshold.

    Group ``g``'s function starts at ``value0[g]`` with slope ``slope0[g]``
    at ``x = 0``; at each kink ``(kink_group, kink_x)`` its slope changes by
    ``kink_slope``; it is followed up to ``x_end``. Returns, per group, 0
    when ``value0 < threshold``, the crossing point when the function
    falls below ``threshold`` by ``x_end``, and ``inf`` otherwise.
    """
    n_groups = value0.shape[0]
    # a sentinel kink at x_end closes every group's last segment
    groups = np.concatenate([kink_group, np.arange(n_groups)]).astype(np.intp)
    xs = np.concatenate([kink_x, np.full(n_groups, x_end)])
    ds = np.concatenate([kink_slope, np.zeros(n_groups)])
    order = np.lexsort((xs, groups))
    groups, xs, ds = groups[order], xs[order], ds[order]

    first_of_group = np.ones(groups.shape[0], dtype=bool)
    first_of_group[1:] = groups[1:] != groups[:-1]
    starts = np.flatnonzero(first_of_group)
    start_of_row = starts[np.cumsum(first_of_group) - 1]

    # slope on the segment that ends at each kink: slope0 + changes of earlier kinks
    cum_ds = np.cumsum(ds)
    before = cum_ds - ds - (cum_ds[start_of_row] - ds[start_of_row])
    slope = slope0[groups] + before
    prev_x = np.where(first_of_group, 0.0, np.roll(xs, 1))
    step = slope * (xs - prev_x)
    cum_step = np.cumsum(step)
    value_at = value0[groups] + cum_step - (cum_step[start_of_row] - step[start_of_row])
    value_before = value_at - step

    out = np.full(n_groups, np.inf)
    below = np.flatnonzero(value_at < threshold[groups])
    if below.size:
        first = below[np.r_[True, groups[below][1:] != groups[below][:-1]]]
        g = groups[first]
        start, falling = prev_x[first], slope[first] < 0
        # the function is linear on the segment, so interpolation is exact; a flat segment
        # that ends below the threshold began below it (only the first can: value0 < threshold)
        gap = np.where(falling, threshold[g] - value_before[first], 0.0)
        with np.errstate(over="ignore"):  # thresholds near 1e308: the clip bounds the crossing
            cross = start + gap / np.where(falling, slope[first], 1.0)
        out[g] = np.clip(cross, start, xs[first])
    out[value0 < threshold] = 0.0
    return out
