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
    "limit_scan",
    "limited_quantity",
    "month_parts",
    "months_between",
    "segment_firsts",
    "shifted",
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
    days = np.floor_divide(ticks, _ticks_per_day(unit))
    if freq == "D":
        return days
    if freq == "W":
        weeks: npt.NDArray[np.int64] = np.floor_divide(days + _MONDAY_SHIFT, 7)
        return weeks
    months, _ = month_parts(ticks, unit)
    if freq == "M":
        return months
    if freq == "Q":
        return np.floor_divide(months, 3)
    return np.floor_divide(months, 12)  # "Y"


# Calendar arithmetic on integers (the proleptic Gregorian calendar of numpy and pandas):
# days since 1970-01-01 to year/month/day and back, H. Hinnant's algorithms. Much faster
# than casting datetime64 to months and back, and exact for every date the units hold.


def _civil(days: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], ...]:
    """Year, month (1-12) and day (1-31) of days since the epoch."""
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _days_from_civil(
    year: npt.NDArray[np.int64], month: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Days since the epoch of the first day of each (year, month)."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    out: npt.NDArray[np.int64] = era * 146_097 + doe - 719_468
    return out


def month_parts(
    ticks: npt.NDArray[np.int64], unit: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Months since 1970-01 and the ticks since the start of that month."""
    per_day = _ticks_per_day(unit)
    jit = jit_kernels(ticks.shape[0])
    if jit is not None:  # integer division by constants: compiled, several times faster
        months = np.empty(ticks.shape[0], dtype=np.int64)
        offset = np.empty(ticks.shape[0], dtype=np.int64)
        jit.month_parts(np.ascontiguousarray(ticks, dtype=np.int64), per_day, months, offset)
        return months, offset
    days = np.floor_divide(ticks, per_day)
    year, month, day = _civil(days)
    months = (year - 1970) * 12 + (month - 1)
    return months, ticks - (days - (day - 1)) * per_day


def _month_start(months: npt.NDArray[np.int64], unit: str) -> npt.NDArray[np.int64]:
    """Ticks at the start of months counted from 1970-01."""
    year = np.floor_divide(months, 12) + 1970
    month = months - (year - 1970) * 12 + 1
    return _days_from_civil(year, month) * _ticks_per_day(unit)


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
    s_month, s_offset = month_parts(start, unit)
    e_month, _ = month_parts(end, unit)
    return months_between(s_month, s_offset, e_month, end, unit)


def months_between(
    s_month: npt.NDArray[np.int64],
    s_offset: npt.NDArray[np.int64],
    e_month: npt.NDArray[np.int64],
    end: npt.NDArray[np.int64],
    unit: str,
) -> npt.NDArray[np.int64]:
    """:func:`whole_months` from the starts' month parts (:func:`month_parts`) and the ends."""
    months = e_month - s_month
    months -= (end < shifted(s_month + months, s_offset, unit)).astype(np.int64)
    whole: npt.NDArray[np.int64] = np.maximum(months, 0)
    return whole


def add_months(
    ticks: npt.NDArray[np.int64], months: npt.NDArray[np.int64], unit: str
) -> npt.NDArray[np.int64]:
    """``ticks`` moved ``months`` calendar months on, the day clipped to the month's end."""
    month, offset = month_parts(ticks, unit)
    return shifted(month + months, offset, unit)


def shifted(
    target: npt.NDArray[np.int64], offset: npt.NDArray[np.int64], unit: str
) -> npt.NDArray[np.int64]:
    """Ticks ``offset`` into month ``target``, a day past its end moved to its last day."""
    target, offset = np.broadcast_arrays(target, offset)
    jit = jit_kernels(target.shape[0])
    if jit is not None:
        shifted = np.empty(target.shape[0], dtype=np.int64)
        jit.shifted(
            np.ascontiguousarray(target, dtype=np.int64),
            np.ascontiguousarray(offset, dtype=np.int64),
            _ticks_per_day(unit),
            shifted,
        )
        return shifted
    begin = _month_start(target, unit)
    length = _month_start(target + 1, unit) - begin
    day = _ticks_per_day(unit)
    # a start on a later day than the target month has: its last day, at the same time of day
    out: npt.NDArray[np.int64] = begin + np.where(
        offset < length, offset, length - day + offset % day
    )
    return out


def _ticks_per_day(unit: str) -> int:
    return {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[unit]


def contact_time_order(
    contact_codes: IntArray, times: npt.NDArray[np.int64] | FloatArray, n_contacts: int
) -> npt.NDArray[np.intp] | None:
    """Row order by contact, then time, then row (stable); ``None`` when the rows already are.

    With the compiled kernels a counting sort by contact, then each
    contact's few rows by time; with numpy two stable sorts (one when the
    log is already in time order, as appended logs are).
    """
    n = contact_codes.shape[0]
    if n < 2:
        return None
    same = contact_codes[1:] == contact_codes[:-1]
    if bool(np.all(contact_codes[1:] >= contact_codes[:-1])) and bool(
        np.all(~same | (times[1:] >= times[:-1]))
    ):
        return None
    jit = jit_kernels(n)
    if jit is not None:
        order = np.empty(n, dtype=np.intp)
        jit.contact_time_order(contact_codes, times, n_contacts, order)
        return order
    by_time = None if bool(np.all(times[1:] >= times[:-1])) else np.argsort(times, kind="stable")
    if by_time is None:
        return np.argsort(contact_codes, kind="stable")
    ordered: npt.NDArray[np.intp] = by_time[np.argsort(contact_codes[by_time], kind="stable")]
    return ordered


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


def limit_scan(
    contact: IntArray,
    types: npt.NDArray[np.int64],
    period: npt.NDArray[np.int64],
    quantity: FloatArray,
    allowed: FloatArray,
    n_types: int,
) -> FloatArray | None:
    """:func:`limited_quantity` of limited rows in (contact, time) order, in one compiled pass.

    Within a contact and type, periods follow time, so a running count per
    type that restarts when the period changes is enough. ``None`` without
    the compiled kernels, or when a period goes back in time (a local clock
    set back across a period boundary): the caller then groups by sorting.
    """
    jit = jit_kernels(contact.shape[0])
    if jit is None:
        return None
    out = np.empty(contact.shape[0])
    if not jit.limit_scan(contact, types, period, quantity, allowed, n_types, out):
        return None
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
