"""The numba loops behind :mod:`bbmkit._kernels.compiled` (imported only when numba is).

Each loop visits rows in order and does what its numpy counterpart does per
row, so a result is bit for bit the numpy one. ``nogil``: they run on
bbmkit's thread pool, one row chunk each.
"""

from __future__ import annotations

import numba
import numpy as np

from bbmkit._kernels.groupby import FloatArray, IntArray


@numba.njit(nogil=True, cache=True, boundscheck=False)
def scatter_add(out: FloatArray, codes: IntArray, values: FloatArray) -> None:
    """``out[codes[i]] += values[i]`` in row order: ``np.bincount``'s loop, into a given table."""
    for i in range(codes.shape[0]):
        out[codes[i]] += values[i]


@numba.njit(nogil=True, cache=True, boundscheck=False)
def scatter_max(out: FloatArray, codes: IntArray, values: FloatArray) -> None:
    """``out[codes[i]] = max(out[codes[i]], values[i])``: ``np.maximum.at`` for finite values."""
    for i in range(codes.shape[0]):
        c = codes[i]
        if values[i] > out[c]:
            out[c] = values[i]


@numba.njit(nogil=True, cache=True, boundscheck=False)
def floor_scan(
    first: np.ndarray,
    slot: np.ndarray,
    value: FloatArray,
    factor: FloatArray,
    slot_caps: FloatArray,
    slot_group: np.ndarray,
    group_caps: FloatArray,
    total_cap: float,
    floor: float,
    lift: FloatArray,
) -> None:
    """:func:`bbmkit._kernels.rules.floor_scan`, moment by moment (same operations, same order)."""
    n_slots = slot_caps.shape[0]
    sums = np.zeros(n_slots)
    free = 0.0
    adjust = 0.0
    for i in range(value.shape[0]):
        if first[i]:
            sums[:] = 0.0
            free = 0.0
            adjust = 0.0
        f = factor[i]
        for j in range(n_slots):
            sums[j] *= f
        free *= f
        adjust *= f
        kind = slot[i]
        if kind == -3:
            sums[:] = 0.0
            free = 0.0
            adjust = value[i]
        elif kind >= 0:
            sums[kind] += value[i]
        elif kind == -1:
            free += value[i]
        else:
            adjust += value[i]
        x = free
        for j in range(n_slots):
            if slot_group[j] < 0:
                x += min(sums[j], slot_caps[j])
        for g in range(group_caps.shape[0]):
            g_sum = 0.0
            for j in range(n_slots):
                if slot_group[j] == g:
                    g_sum += min(sums[j], slot_caps[j])
            x += min(g_sum, group_caps[g])
        x += adjust
        x = min(x, total_cap)
        if x < floor:
            lift[i] = floor - x
            adjust += lift[i]


@numba.njit(nogil=True, cache=True, boundscheck=False)
def limit_scan(
    contact: np.ndarray,
    types: np.ndarray,
    period: np.ndarray,
    quantity: FloatArray,
    allowed: FloatArray,
    n_types: int,
    out: FloatArray,
) -> bool:
    """Occurrences that score, per (contact, type, period), rows in (contact, time) order.

    ``False`` (stop) when a period goes back within a contact and type.
    """
    current = np.zeros(n_types, dtype=np.int64)
    used = np.zeros(n_types)
    seen = np.zeros(n_types, dtype=np.bool_)
    for i in range(contact.shape[0]):
        if i == 0 or contact[i] != contact[i - 1]:
            seen[:] = False
        t = types[i]
        if not seen[t] or period[i] != current[t]:
            if seen[t] and period[i] < current[t]:
                return False
            seen[t] = True
            current[t] = period[i]
            used[t] = 0.0
        left = allowed[i] - used[t]
        out[i] = min(max(left, 0.0), quantity[i])
        used[t] += quantity[i]
    return True


@numba.njit(nogil=True, cache=True, boundscheck=False)
def month_parts(ticks: np.ndarray, per_day: int, months: np.ndarray, offset: np.ndarray) -> None:
    """:func:`bbmkit._kernels.rules.month_parts` (the same integer arithmetic), per element."""
    for i in range(ticks.shape[0]):
        days = ticks[i] // per_day
        z = days + 719_468
        era = z // 146_097
        doe = z - era * 146_097
        yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
        doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
        mp = (5 * doy + 2) // 153
        day = doy - (153 * mp + 2) // 5 + 1
        month = mp + 3 if mp < 10 else mp - 9
        year = yoe + era * 400 + (1 if month <= 2 else 0)
        months[i] = (year - 1970) * 12 + (month - 1)
        offset[i] = ticks[i] - (days - (day - 1)) * per_day


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _first_day(months: int) -> int:
    year = months // 12 + 1970
    month = months - (year - 1970) * 12 + 1
    y = year - (1 if month <= 2 else 0)
    era = y // 400
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


@numba.njit(nogil=True, cache=True, boundscheck=False)
def shifted(target: np.ndarray, offset: np.ndarray, per_day: int, out: np.ndarray) -> None:
    """:func:`bbmkit._kernels.rules.shifted`, per element."""
    for i in range(target.shape[0]):
        begin = _first_day(target[i]) * per_day
        length = _first_day(target[i] + 1) * per_day - begin
        o = offset[i]
        out[i] = begin + (o if o < length else length - per_day + o % per_day)


@numba.njit(nogil=True, cache=True, boundscheck=False)
def contact_time_order(codes: np.ndarray, times: np.ndarray, n_codes: int, out: np.ndarray) -> None:
    """Rows by contact, then time, then row: a counting sort by contact, then each
    contact's few rows sorted by time (insertion sort; a stable merge sort for long ones)."""
    start = np.zeros(n_codes + 1, dtype=np.int64)
    for i in range(codes.shape[0]):
        start[codes[i] + 1] += 1
    for c in range(n_codes):
        start[c + 1] += start[c]
    bounds = start.copy()
    held = np.empty(codes.shape[0], dtype=times.dtype)  # times in the output's order
    for r in range(codes.shape[0]):
        c = codes[r]
        out[start[c]] = r
        held[start[c]] = times[r]
        start[c] += 1
    for c in range(n_codes):
        lo, hi = bounds[c], bounds[c + 1]
        if hi - lo > 32:
            order = np.argsort(held[lo:hi], kind="mergesort")
            out[lo:hi] = out[lo:hi][order]
            continue
        for i in range(lo + 1, hi):  # stable: an equal time stays after the earlier row
            r = out[i]
            t = held[i]
            j = i - 1
            while j >= lo and held[j] > t:
                out[j + 1] = out[j]
                held[j + 1] = held[j]
                j -= 1
            out[j + 1] = r
            held[j + 1] = t


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernels for the usual code type."""
    table, codes, values = np.zeros(1), np.zeros(1, dtype=np.intp), np.ones(1)
    scatter_add(table, codes, values)
    scatter_max(table, codes, values)
