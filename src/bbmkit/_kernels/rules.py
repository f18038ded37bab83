"""Kernels of the per-contact scoring rules: calendars, frequency limits, the floor scan.

Times here are integer ticks of wall-clock time (``unit`` a day: the log's
datetime unit, local time for a zoned log) or float days. The pure-Python
reference of every rule is ``tests/reference.py::rule_score``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from bbmkit._kernels.compiled import jit_kernels
from bbmkit._kernels.groupby import FloatArray, IntArray

__all__ = [
    "add_months",
    "calendar_periods",
    "contact_time_order",
    "floor_scan",
    "limited_quantity",
    "segment_firsts",
    "whole_months",
]

# days from 1970-01-05 (a Monday) back to the epoch: pandas' "W" weeks run Monday to Sunday
_MONDAY_SHIFT = 3


def calendar_periods(
    ticks: npt.NDArray[np.int64], unit: str, freq: str | None
) -> npt.NDArray[np.int64]:
    """Calendar period number of every time, as ``Series.dt.to_period(freq)`` numbers them.

    ``freq``: ``"D"``, ``"W"`` (Monday to Sunday), ``"M"``, ``"Q"``, ``"Y"``,
    or ``None`` (one period for all time).
    """
    if freq is None:
        return np.zeros(ticks.shape[0], dtype=np.int64)
    stamps = ticks.view(f"M8[{unit}]")
    if freq == "D":
        return stamps.astype("M8[D]").view(np.int64)
    if freq == "W":
        return np.floor_divide(stamps.astype("M8[D]").view(np.int64) + _MONDAY_SHIFT, 7)
    months = stamps.astype("M8[M]").view(np.int64)
    if freq == "M":
        return months
    if freq == "Q":
        return np.floor_divide(months, 3)
    return np.floor_divide(months, 12)  # "Y"


def whole_months(
    start: npt.NDArray[np.int64], end: npt.NDArray[np.int64], unit: str
) -> npt.NDArray[np.int64]:
    """Whole calendar months from ``start`` to ``end`` (``end >= start``), elementwise.

    Months are added as pandas' ``DateOffset(months=m)`` adds them (the day
    clipped to the end of a shorter month: Jan 31 + 1 month = Feb 28), and
    ``m`` months are whole when ``end`` is at or after ``start + m months``.
    """
    start, end = np.broadcast_arrays(
        np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64)
    )
    s_month = start.view(f"M8[{unit}]").astype("M8[M]").view(np.int64)
    e_month = end.view(f"M8[{unit}]").astype("M8[M]").view(np.int64)
    months = (e_month - s_month).astype(np.int64)
    months -= (end < add_months(start, months, unit)).astype(np.int64)
    return np.maximum(months, 0)


def add_months(
    ticks: npt.NDArray[np.int64], months: npt.NDArray[np.int64], unit: str
) -> npt.NDArray[np.int64]:
    """``ticks`` moved ``months`` calendar months on, the day clipped to the month's end."""
    stamps = ticks.view(f"M8[{unit}]")
    month = stamps.astype("M8[M]")
    offset = ticks - month.astype(f"M8[{unit}]").view(np.int64)
    target = (month.view(np.int64) + months).view("M8[M]")
    start = target.astype(f"M8[{unit}]").view(np.int64)
    following = (target.view(np.int64) + 1).view("M8[M]").astype(f"M8[{unit}]").view(np.int64)
    out: npt.NDArray[np.int64] = start + np.minimum(offset, following - start - 1)
    # a start on a later day than the target month has: its last day, at the start's time of day
    day = np.int64(_ticks_per_day(unit))
    clipped = offset >= following - start
    if clipped.any():
        time_of_day = offset % day
        out[clipped] = following[clipped] - day + time_of_day[clipped]
    return out


def _ticks_per_day(unit: str) -> int:
    return {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[unit]


def contact_time_order(
    contact_codes: IntArray, times: npt.NDArray[np.int64] | FloatArray
) -> npt.NDArray[np.intp] | None:
    """Row order by contact, then time, then row (stable); ``None`` when the rows already are."""
    n = contact_codes.shape[0]
    if n < 2:
        return None
    same = contact_codes[1:] == contact_codes[:-1]
    if bool(np.all(contact_codes[1:] >= contact_codes[:-1])) and bool(
        np.all(~same | (times[1:] >= times[:-1]))
    ):
        return None
    by_time = np.argsort(times, kind="stable")
    order: npt.NDArray[np.intp] = by_time[np.argsort(contact_codes[by_time], kind="stable")]
    return order


def segment_firsts(keys: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Whether each row of a sorted key array starts a new segment."""
    first = np.ones(keys.shape[0], dtype=bool)
    if keys.shape[0] > 1:
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return first


def limited_quantity(
    quantity: FloatArray, first: npt.NDArray[np.bool_], allowed: FloatArray
) -> FloatArray:
    """Occurrences that score, segment by segment: the earliest ``allowed`` of each segment.

    Rows are in time order within segments (``first`` marks their starts);
    ``allowed`` is the limit of each row's segment (``inf`` for none). A row
    of ``q`` occurrences scores ``clip(allowed - earlier occurrences, 0, q)``.
    """
    total = np.cumsum(quantity)
    starts = np.flatnonzero(first)
    lengths = np.diff(np.append(starts, quantity.shape[0]))
    before_segment = np.repeat(total[starts] - quantity[starts], lengths)
    earlier = total - quantity - before_segment
    out: FloatArray = np.clip(allowed - earlier, 0.0, quantity)
    return out


def floor_scan(
    first: npt.NDArray[np.bool_],
    slot: npt.NDArray[np.int64],
    value: FloatArray,
    factor: FloatArray,
    slot_caps: FloatArray,
    slot_group: npt.NDArray[np.int64],
    group_caps: FloatArray,
    total_cap: float,
    floor: float,
) -> FloatArray:
    """What the floor adds at each moment of each contact's running score.

    Moments are in time order within contacts (``first`` starts a contact).
    At a moment the running state is multiplied by ``factor`` (the decay
    since the contact's previous moment), then the moment applies: ``slot >=
    0`` adds ``value`` to that capped or grouped event type's sum, ``-1`` to
    the free points, ``-2`` to the adjustments (an inactivity step), ``-3``
    resets everything to ``value``. The running score is then evaluated as
    the final one is (type caps, group caps, free points, adjustments, total
    cap); below ``floor`` the difference is added to the adjustments and
    returned for that moment.

    With the compiled kernels a loop per moment; otherwise the moments are
    visited by position within contacts, vectorised across contacts, with the
    same operations in the same order, so both give the same bits.
    """
    n = value.shape[0]
    jit = jit_kernels(n)
    if jit is not None:
        lift = np.zeros(n)
        jit.floor_scan(
            first, slot, value, factor, slot_caps, slot_group, group_caps, total_cap, floor, lift
        )
        return lift
    return _floor_scan_numpy(
        first, slot, value, factor, slot_caps, slot_group, group_caps, total_cap, floor
    )


def _floor_scan_numpy(
    first: npt.NDArray[np.bool_],
    slot: npt.NDArray[np.int64],
    value: FloatArray,
    factor: FloatArray,
    slot_caps: FloatArray,
    slot_group: npt.NDArray[np.int64],
    group_caps: FloatArray,
    total_cap: float,
    floor: float,
) -> FloatArray:
    n = value.shape[0]
    lift = np.zeros(n)
    if n == 0:
        return lift
    starts = np.flatnonzero(first)
    lengths = np.diff(np.append(starts, n))
    # longest contacts first: the contacts still running at a position are a prefix
    by_length = np.argsort(-lengths, kind="stable")
    starts, lengths = starts[by_length], lengths[by_length]
    n_slots = slot_caps.shape[0]
    sums = np.zeros((starts.shape[0], n_slots))
    free = np.zeros(starts.shape[0])
    adjust = np.zeros(starts.shape[0])
    running = np.searchsorted(-lengths, -np.arange(int(lengths[0])), side="left")
    for position in range(int(lengths[0])):  # a loop over positions within contacts
        m = int(running[position])
        rows = starts[:m] + position
        f = factor[rows]
        s, fr, ad = sums[:m], free[:m], adjust[:m]
        s *= f[:, None]
        fr *= f
        ad *= f
        kind = slot[rows]
        v = value[rows]
        reset = kind == -3
        if reset.any():
            s[reset] = 0.0
            fr[reset] = 0.0
            ad[reset] = v[reset]
        typed = np.flatnonzero(kind >= 0)
        s[typed, kind[typed]] += v[typed]
        is_free = kind == -1
        fr[is_free] += v[is_free]
        step = kind == -2
        ad[step] += v[step]
        x = _running_score(s, fr, ad, slot_caps, slot_group, group_caps, total_cap)
        low = x < floor
        if low.any():
            amount = floor - x[low]
            ad[low] += amount
            lift[rows[low]] = amount
    return lift


def _running_score(
    sums: FloatArray,
    free: FloatArray,
    adjust: FloatArray,
    slot_caps: FloatArray,
    slot_group: npt.NDArray[np.int64],
    group_caps: FloatArray,
    total_cap: float,
) -> FloatArray:
    """The score of running states, in the operation order of the compiled loop."""
    x = free.copy()
    for j in range(slot_caps.shape[0]):
        if slot_group[j] < 0:
            x += np.minimum(sums[:, j], slot_caps[j])
    for g in range(group_caps.shape[0]):
        g_sum = np.zeros_like(x)
        for j in range(slot_caps.shape[0]):
            if slot_group[j] == g:
                g_sum += np.minimum(sums[:, j], slot_caps[j])
        x += np.minimum(g_sum, group_caps[g])
    x += adjust
    np.minimum(x, total_cap, out=x)
    return x
