"""The parts a :class:`~bbmkit.ScoringModel` is made of, and the one order they run in.

A model's keyword arguments (``half_life``, ``step_decay``, ``limits``,
``floor``, ...) are its public spelling; here they become small frozen parts
(a decay kind, calendar periods, the rule set) that the score, the ledger,
the history, the time to threshold and the partial aggregates all read, so
a rule is written once.

For every event (contact ``c``, type ``e``, ``q`` occurrences) at
``as_of``, in this order:

1. **points** ``points[e] * q``;
2. **limits**: of type ``e``'s occurrences in one calendar period, only the
   earliest ``n`` score (decided when they happen, whatever comes later);
3. **decay** of the limited points by age: exponential, linear or step;
   the **window** zeroes events older than it;
4. **resets** (types in ``resets``) set the running score to a value: the
   events before no longer count;
5. **inactivity**: each whole period after the contact's latest scoring
   event (or reset) subtracts points;
6. **floor**: after each event and each period of inactivity, a running
   score below the floor is lifted to it;
7. **caps**: the sum of each capped type (``event_caps``), then each
   group's sum of its types (``group_caps``), then the total (``cap``).

Floors, inactivity steps and resets are *adjustments* at their moment; they
decay like events and belong to no event type (the total cap includes them,
the type and group caps do not). The running score of steps 4-6 is the
score the model would give at that moment, caps included.

Where the running score is not a running sum, rules do not combine:
inactivity is a decay of its own (no ``half_life``, ``lifespan`` or
``step_decay`` with it), and a floor or resets need exponential decay or
none and no window (the others change each event's worth at every moment,
not the running total).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._frozen import FrozenMap
from bbmkit._kernels.groupby import group_sum
from bbmkit._kernels.rules import (
    add_months,
    calendar_periods,
    contact_time_order,
    floor_scan,
    limited_quantity,
    segment_firsts,
    whole_months,
)
from bbmkit._kernels.scoring import capped_total
from bbmkit._validation import check_int, check_number, fmt, real_to_float

__all__ = [
    "LIMIT_PERIODS",
    "Decay",
    "Entries",
    "Period",
    "Rules",
    "Times",
    "build_rules",
    "evaluate",
    "score_of",
]

LIMIT_PERIODS = ("D", "W", "M", "Q", "Y")
_MONTHS = re.compile(r"^(\d{0,3})M$")

# kinds of adjustment entries
FLOOR, INACTIVITY, RESET = 0, 1, 2
ADJUSTMENT_KINDS = ("floor", "inactivity", "reset")

# --------------------------------------------------------------------------
# periods and decay kinds


@attrs.frozen
class Period:
    """A span of ``days`` or of calendar ``months`` (exactly one is set)."""

    days: float | None = None
    months: int | None = None

    @classmethod
    def parse(cls, value: object, *, name: str) -> Period:
        """``"M"``, ``"3M"``, ... (calendar months), a number of days or a Timedelta."""
        if isinstance(value, str):
            found = _MONTHS.match(value)
            months = int(found.group(1) or 1) if found else 0
            if not found or not 1 <= months <= 120:
                raise ValidationError(
                    f"{name} period must be calendar months ('M', '3M', '6M', '12M', ...) or a "
                    f"number of days, got {fmt(value)}"
                )
            return cls(months=months)
        days = _days(value)
        check_number(days, name=f"{name} period (days)", low=0.0, low_inclusive=False)
        return cls(days=float(days))  # type: ignore[arg-type]

    def spelling(self) -> str | float:
        """The public spelling: ``"3M"`` or days."""
        if self.months is not None:
            return "M" if self.months == 1 else f"{self.months}M"
        return float(self.days)  # type: ignore[arg-type]

    def count(
        self, times: Times, start: npt.NDArray[np.intp], end_days: Any, end_ticks: Any
    ) -> npt.NDArray[np.int64]:
        """Whole periods from the events ``start`` to the given ends (days and local ticks)."""
        if self.months is None:
            span = np.asarray(end_days, dtype=np.float64) - times.days[start]
            whole: npt.NDArray[np.int64] = np.floor(span / float(self.days)).astype(np.int64)  # type: ignore[arg-type]
            return whole
        ticks = times.local_ticks("calendar months")
        months = whole_months(ticks[start], np.asarray(end_ticks, dtype=np.int64), times.unit)
        return np.floor_divide(months, self.months)


def _days(value: object) -> object:
    if isinstance(value, pd.Timedelta | _dt.timedelta | np.timedelta64):
        return pd.Timedelta(value) / pd.Timedelta(days=1)
    return real_to_float(value)


@attrs.frozen
class Decay:
    """How an event's worth falls with age: ``kind`` and its parameters."""

    kind: Literal["none", "exponential", "linear", "step"] = "none"
    scale: float = 1.0  # half-life or lifespan in days
    rate: float = 0.0  # step decay: share lost per period
    period: Period | None = None  # step decay

    @property
    def running(self) -> bool:
        """Whether a running score can be decayed as a whole (none or exponential)."""
        return self.kind in ("none", "exponential")

    def factors(
        self, times: Times, rows: npt.NDArray[np.intp] | slice, as_of_days: float
    ) -> npt.NDArray[np.float64]:
        """Share of its points each event of ``rows`` keeps at ``as_of``."""
        ages = as_of_days - times.days[rows]
        if self.kind == "none":
            return np.ones_like(ages)
        if self.kind == "exponential":
            return np.exp2(ages * (-1.0 / self.scale))
        if self.kind == "linear":
            return np.maximum(ages * (-1.0 / self.scale) + 1.0, 0.0)
        assert self.period is not None
        idx = np.arange(times.days.shape[0])[rows]
        k = self.period.count(times, idx, as_of_days, times.as_of_local)
        return np.power(1.0 - self.rate, k.astype(np.float64))


# --------------------------------------------------------------------------
# the times of a log, as the rules need them


@attrs.frozen
class Times:
    """Event times as float days, and (lazily) as local wall-clock ticks for calendars."""

    days: npt.NDArray[np.float64]
    raw: npt.NDArray[np.int64] | npt.NDArray[np.float64]
    per_day: float | None
    unit: str
    tz: Any
    as_of_raw: int | float
    _cache: dict[str, Any] = attrs.field(factory=dict, eq=False)

    def local_ticks(self, what: str) -> npt.NDArray[np.int64]:
        if self.per_day is None:
            raise ValidationError(
                f"{what} need a log of datetimes (the times are plain days); give the period in days"
            )
        if "local" not in self._cache:
            self._cache["local"] = _local(np.asarray(self.raw, dtype=np.int64), self.unit, self.tz)
        return self._cache["local"]  # type: ignore[no-any-return]

    @property
    def as_of_local(self) -> int:
        if "as_of" not in self._cache:
            self._cache["as_of"] = int(
                _local(np.array([int(self.as_of_raw)], dtype=np.int64), self.unit, self.tz)[0]
            )
        return self._cache["as_of"]  # type: ignore[no-any-return]

    def utc_days(
        self, local: npt.NDArray[np.int64], like: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.float64]:
        """Float UTC days of local ticks, with the zone offset of the events ``like``."""
        offset = (
            self.local_ticks("calendar periods")[like] - np.asarray(self.raw, dtype=np.int64)[like]
        )
        days: npt.NDArray[np.float64] = (local - offset) / float(self.per_day)  # type: ignore[arg-type]
        return days


def _local(ticks: npt.NDArray[np.int64], unit: str, tz: Any) -> npt.NDArray[np.int64]:
    if tz is None:
        return ticks
    stamps = pd.DatetimeIndex(ticks.view(f"M8[{unit}]")).tz_localize("UTC").tz_convert(tz)
    return np.asarray(stamps.tz_localize(None).as_unit(unit).asi8)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# the rule set of a model


@attrs.frozen
class Rules:
    """Everything a model asks of a log, over the model's type codes."""

    types: tuple[str, ...]  # the points' types, then reset types without points
    points: npt.NDArray[np.float64] = attrs.field(eq=False)
    decay: Decay
    window: float | None
    type_caps: npt.NDArray[np.float64] = attrs.field(eq=False)
    group_of_type: npt.NDArray[np.int64] = attrs.field(eq=False)  # -1: in no group
    group_caps: npt.NDArray[np.float64] = attrs.field(eq=False)
    total_cap: float
    limit_count: npt.NDArray[np.float64] = attrs.field(eq=False)  # inf: no limit
    limit_period: tuple[str | None, ...]  # per type, for limited types
    inactivity: tuple[float, Period] | None
    floor: float | None
    reset_value: npt.NDArray[np.float64] = attrs.field(eq=False)  # nan: not a reset type

    @property
    def is_reset(self) -> npt.NDArray[np.bool_]:
        return ~np.isnan(self.reset_value)

    @property
    def has_limits(self) -> bool:
        return bool(np.isfinite(self.limit_count).any())

    @property
    def per_contact(self) -> bool:
        """Whether a contact's events must be read together, in time order."""
        return (
            self.has_limits
            or self.floor is not None
            or self.inactivity is not None
            or bool(self.is_reset.any())
        )


# --------------------------------------------------------------------------
# evaluation


@attrs.frozen
class Entries:
    """Every contribution to every score at ``as_of``: events and adjustments.

    Event arrays are in the log's row order. ``live`` marks events after
    their contact's last reset (the ones that still count).
    """

    base: npt.NDArray[np.float64]  # points * quantity
    limited: npt.NDArray[np.float64]  # after limits
    factor: npt.NDArray[np.float64]  # decay (and window) at as_of
    value: npt.NDArray[np.float64]  # limited * factor
    live: npt.NDArray[np.bool_] | None  # None: every event counts
    epoch: npt.NDArray[np.int64] | None  # resets before each event, per contact
    # adjustments
    adj_contact: npt.NDArray[np.intp]
    adj_kind: npt.NDArray[np.int8]
    adj_days: npt.NDArray[np.float64]
    adj_amount: npt.NDArray[np.float64]  # at its moment
    adj_value: npt.NDArray[np.float64]  # at as_of
    adj_factor: npt.NDArray[np.float64]  # its decay from its moment to as_of
    adj_steps: npt.NDArray[np.int64]
    adj_live: npt.NDArray[np.bool_]
    adj_row: npt.NDArray[np.intp]  # the event it happened at, -1 for inactivity
    adj_epoch: npt.NDArray[np.int64]


def _no_adjustments() -> dict[str, Any]:
    return {
        "adj_contact": np.zeros(0, dtype=np.intp),
        "adj_kind": np.zeros(0, dtype=np.int8),
        "adj_days": np.zeros(0),
        "adj_amount": np.zeros(0),
        "adj_value": np.zeros(0),
        "adj_factor": np.zeros(0),
        "adj_steps": np.zeros(0, dtype=np.int64),
        "adj_live": np.zeros(0, dtype=bool),
        "adj_row": np.zeros(0, dtype=np.intp),
        "adj_epoch": np.zeros(0, dtype=np.int64),
    }


def evaluate(
    rules: Rules,
    contact: npt.NDArray[np.intp],
    types: npt.NDArray[np.integer[Any]],
    times: Times,
    quantity: npt.NDArray[np.float64] | None,
    as_of_days: float,
    n_contacts: int,
) -> Entries:
    """The entries of every score: rules 1-6 of the module docstring (caps come after)."""
    n = contact.shape[0]
    q = np.ones(n) if quantity is None else quantity
    base = (
        np.take(rules.points, types) * q if quantity is not None else np.take(rules.points, types)
    )
    order = None
    if rules.per_contact:
        order = contact_time_order(contact, times.days)
    limited = base
    if rules.has_limits:
        limited = _limited(rules, contact, types, times, q, order)
    factor = rules.decay.factors(times, slice(None), as_of_days)
    if rules.window is not None:
        factor[as_of_days - times.days > rules.window] = 0.0
    value = limited * factor
    if not (rules.floor is not None or rules.inactivity is not None or rules.is_reset.any()):
        return Entries(base, limited, factor, value, None, None, **_no_adjustments())
    return _adjusted(rules, contact, types, times, base, limited, factor, value, order, as_of_days)


def _limited(
    rules: Rules,
    contact: npt.NDArray[np.intp],
    types: npt.NDArray[np.integer[Any]],
    times: Times,
    quantity: npt.NDArray[np.float64],
    order: npt.NDArray[np.intp] | None,
) -> npt.NDArray[np.float64]:
    """Points after frequency limits: the earliest occurrences of each period score."""
    allowed = rules.limit_count[types]
    rows = np.flatnonzero(np.isfinite(allowed))
    if order is not None:  # the limited rows in (contact, time) order
        rows = order[np.isfinite(allowed[order])]
    period = np.zeros(rows.shape[0], dtype=np.int64)
    sub_types = types[rows].astype(np.int64)
    for t in np.unique(sub_types):  # a loop over limited types: each has its own period
        freq = rules.limit_period[int(t)]
        mask = sub_types == t
        if freq is not None:
            period[mask] = calendar_periods(
                times.local_ticks("calendar limits")[rows[mask]], times.unit, freq
            )
    # group (contact, type, period) in time order: a stable sort of rows already in time order
    key = np.lexsort((period, sub_types, contact[rows]))
    rows = rows[key]
    keys = np.stack([contact[rows].astype(np.int64), types[rows].astype(np.int64), period[key]])
    first = segment_firsts(keys[0]) | segment_firsts(keys[1]) | segment_firsts(keys[2])
    scored = limited_quantity(quantity[rows], first, allowed[rows])
    out = np.take(rules.points, types) * quantity
    out[rows] = rules.points[types[rows]] * scored
    return out


def _adjusted(
    rules: Rules,
    contact: npt.NDArray[np.intp],
    types: npt.NDArray[np.integer[Any]],
    times: Times,
    base: npt.NDArray[np.float64],
    limited: npt.NDArray[np.float64],
    factor: npt.NDArray[np.float64],
    value: npt.NDArray[np.float64],
    order: npt.NDArray[np.intp] | None,
    as_of_days: float,
) -> Entries:
    """Resets, inactivity steps and floor lifts, from each contact's events in time order."""
    n = contact.shape[0]
    rows = np.arange(n) if order is None else order
    c = contact[rows]
    first = segment_firsts(c)
    reset = rules.is_reset[types[rows]]
    # epoch: resets so far within the contact (a reset starts its own epoch)
    counted = np.cumsum(reset)
    starts = np.flatnonzero(first)
    lengths = np.diff(np.append(starts, n))
    epoch_sorted = counted - np.repeat(counted[starts] - reset[starts], lengths)
    last_epoch = (
        np.repeat(epoch_sorted[np.append(starts[1:], n) - 1], lengths) if n else epoch_sorted
    )
    epoch = np.empty(n, dtype=np.int64)
    epoch[rows] = epoch_sorted
    live = np.empty(n, dtype=bool)
    live[rows] = epoch_sorted == last_epoch

    kinds: list[npt.NDArray[np.int8]] = []
    parts: dict[str, list[Any]] = {
        k: [] for k in ("contact", "days", "amount", "steps", "row", "epoch")
    }

    def add(
        kind: int, contact_: Any, days: Any, amount: Any, steps: Any, row: Any, epoch_: Any
    ) -> None:
        kinds.append(np.full(len(amount), kind, dtype=np.int8))
        for key, values in zip(parts, (contact_, days, amount, steps, row, epoch_), strict=True):
            parts[key].append(np.asarray(values))

    reset_rows = rows[reset]
    if reset_rows.size:
        add(
            RESET,
            contact[reset_rows],
            times.days[reset_rows],
            rules.reset_value[types[reset_rows]],
            np.zeros(reset_rows.size, dtype=np.int64),
            reset_rows,
            epoch[reset_rows],
        )

    gaps = None
    if rules.inactivity is not None:
        gaps = _inactivity(rules, rows, first, reset, limited, times, as_of_days)
        g_rows, _g_before, g_days, g_steps = gaps
        step_points = rules.inactivity[0]
        add(
            INACTIVITY,
            contact[g_rows],
            g_days,
            -step_points * g_steps.astype(np.float64),
            g_steps,
            np.full(g_rows.size, -1, dtype=np.intp),
            epoch[g_rows],
        )

    if rules.floor is not None:
        lifts = _floor_lifts(rules, rows, first, reset, contact, types, epoch, limited, times, gaps)
        f_pos = np.flatnonzero(lifts[0] != 0)
        amount, m_contact, m_days, m_row, m_epoch = (a[f_pos] for a in lifts)
        add(FLOOR, m_contact, m_days, amount, np.zeros(f_pos.size, dtype=np.int64), m_row, m_epoch)

    if kinds:
        adj_kind = np.concatenate(kinds)
        adj = {k: np.concatenate(v) for k, v in parts.items()}
    else:
        adj_kind = np.zeros(0, dtype=np.int8)
        adj = {
            "contact": np.zeros(0, dtype=np.intp),
            "days": np.zeros(0),
            "amount": np.zeros(0),
            "steps": np.zeros(0, dtype=np.int64),
            "row": np.zeros(0, dtype=np.intp),
            "epoch": np.zeros(0, dtype=np.int64),
        }
    adj_contact = adj["contact"].astype(np.intp)
    adj_days = adj["days"].astype(np.float64)
    decay = rules.decay
    if decay.kind == "exponential":
        adj_factor = np.exp2((as_of_days - adj_days) * (-1.0 / decay.scale))
    else:
        adj_factor = np.ones(adj_days.shape[0])
    adj_epoch = adj["epoch"].astype(np.int64)
    contact_last = np.zeros(int(contact.max()) + 1 if n else 0, dtype=np.int64)
    if n:
        np.maximum.at(contact_last, contact, epoch)
    return Entries(
        base=base,
        limited=limited,
        factor=factor,
        value=value,
        live=live,
        epoch=epoch,
        adj_contact=adj_contact,
        adj_kind=adj_kind,
        adj_days=adj_days,
        adj_amount=adj["amount"].astype(np.float64),
        adj_value=adj["amount"].astype(np.float64) * adj_factor,
        adj_factor=adj_factor,
        adj_steps=adj["steps"].astype(np.int64),
        adj_live=adj_epoch == contact_last[adj_contact],
        adj_row=adj["row"].astype(np.intp),
        adj_epoch=adj_epoch,
    )


def _inactivity(
    rules: Rules,
    rows: npt.NDArray[np.intp],
    first: npt.NDArray[np.bool_],
    reset: npt.NDArray[np.bool_],
    limited: npt.NDArray[np.float64],
    times: Times,
    as_of_days: float,
) -> tuple[
    npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.int64]
]:
    """One entry per gap after a scoring event (or reset) with whole periods in it.

    Returns the event starting each gap, the sorted position the gap's steps
    come before (the next activity, or the contact's end), the time of the
    gap's last step (float days) and its number of steps.
    """
    assert rules.inactivity is not None
    period = rules.inactivity[1]
    n = rows.shape[0]
    active = np.flatnonzero((limited[rows] != 0) | reset)  # sorted positions
    if active.size == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, np.zeros(0), np.zeros(0, dtype=np.int64)
    segment = np.cumsum(first) - 1
    seg_of = segment[active]
    last_in_contact = np.append(seg_of[1:] != seg_of[:-1], True)
    next_pos = np.append(active[1:], n)
    # the gap ends at the next activity of the same contact, or at as_of
    ends_at_as_of = last_in_contact
    end_days = np.where(ends_at_as_of, as_of_days, times.days[rows[np.minimum(next_pos, n - 1)]])
    start_rows = rows[active]
    if period.months is not None:
        local = times.local_ticks("inactivity in calendar months")
        end_ticks = np.where(
            ends_at_as_of, times.as_of_local, local[rows[np.minimum(next_pos, n - 1)]]
        )
    else:
        end_ticks = None
    steps = period.count(times, start_rows, end_days, end_ticks)
    keep = steps > 0
    start_rows, steps = start_rows[keep], steps[keep]
    # the steps of a gap come before its ending activity: after the contact's events at as_of
    contact_end = np.append(np.flatnonzero(first)[1:], n)[segment[active[keep]]]
    before = np.where(ends_at_as_of[keep], contact_end, next_pos[keep]).astype(np.intp)
    if period.months is None:
        last_step = times.days[start_rows] + steps * float(period.days)  # type: ignore[arg-type]
    else:
        local_last = add_months(
            times.local_ticks("inactivity")[start_rows], steps * period.months, times.unit
        )
        last_step = times.utc_days(local_last, start_rows)
    return start_rows, before, last_step, steps


def _floor_lifts(
    rules: Rules,
    rows: npt.NDArray[np.intp],
    first: npt.NDArray[np.bool_],
    reset: npt.NDArray[np.bool_],
    contact: npt.NDArray[np.intp],
    types: npt.NDArray[np.integer[Any]],
    epoch: npt.NDArray[np.int64],
    limited: npt.NDArray[np.float64],
    times: Times,
    gaps: tuple[Any, ...] | None,
) -> tuple[npt.NDArray[Any], ...]:
    """Floor lifts per moment, with each moment's contact, time, event row and epoch."""
    assert rules.floor is not None
    n_types = len(rules.types)
    slotted = np.flatnonzero(np.isfinite(rules.type_caps) | (rules.group_of_type >= 0))
    slot_of_type = np.full(n_types, -1, dtype=np.int64)
    slot_of_type[slotted] = np.arange(slotted.size)
    t = types[rows].astype(np.int64)
    slot = np.where(reset, -3, slot_of_type[t])
    value = np.where(reset, rules.reset_value[t], limited[rows])
    days = times.days[rows]
    row = rows.astype(np.intp)
    moment_first = first
    if gaps is not None and gaps[0].size:
        g_rows, before, g_days, g_steps = gaps
        assert rules.inactivity is not None
        g_value = -rules.inactivity[0] * g_steps.astype(np.float64)
        # insert each gap's moment before the position it precedes
        slot = np.insert(slot, before, -2)
        value = np.insert(value, before, g_value)
        days = np.insert(days, before, g_days)
        row = np.insert(row, before, -1 - g_rows)  # -1 - row: the gap's starting event
        # a gap never starts a contact: its starting event comes first
        moment_first = np.insert(first, before, False)
    event_row = np.where(row >= 0, row, -1 - row)  # the event a moment happens at or after
    if rules.decay.kind == "exponential":
        prev = np.empty_like(days)
        prev[0:1] = days[0:1]
        prev[1:] = days[:-1]
        factor = np.exp2((prev - days) * (1.0 / rules.decay.scale))
        factor[moment_first] = 1.0
    else:
        factor = np.ones(days.shape[0])
    lift = floor_scan(
        moment_first,
        slot,
        value,
        factor,
        rules.type_caps[slotted],
        rules.group_of_type[slotted],
        rules.group_caps,
        rules.total_cap,
        rules.floor,
    )
    return lift, contact[event_row], days, np.where(row >= 0, row, -1), epoch[event_row]


def score_of(
    entries: Entries,
    rules: Rules,
    contact: npt.NDArray[np.intp],
    types: npt.NDArray[np.integer[Any]],
    n_contacts: int,
) -> npt.NDArray[np.float64]:
    """Scores from entries: live events capped by type and group, adjustments, the total cap."""
    values = entries.value if entries.live is None else np.where(entries.live, entries.value, 0.0)
    total = capped_total(
        contact, types, values, n_contacts, rules.type_caps, rules.group_of_type, rules.group_caps
    )
    if entries.adj_value.size:
        live = entries.adj_live
        total += group_sum(entries.adj_contact[live], entries.adj_value[live], n_contacts)
    if math.isfinite(rules.total_cap):
        np.minimum(total, rules.total_cap, out=total)
    return total


# --------------------------------------------------------------------------
# model field converters and validators (the public spelling)


def convert_limits(value: object) -> object:
    if value is None:
        return FrozenMap({})
    if not isinstance(value, Mapping):
        return value
    out = {}
    for key, limit in value.items():
        if isinstance(limit, str | bytes) or not isinstance(limit, Sequence) or len(limit) != 2:
            raise ValidationError(
                f"limits[{key!r}] must be a (count, period) pair such as (1, 'W'), got {fmt(limit)}"
            )
        count, period = limit
        check_int(count, name=f"limits[{key!r}] count", low=1)
        if period is not None and (not isinstance(period, str) or period not in LIMIT_PERIODS):
            raise ValidationError(
                f"limits[{key!r}] period must be one of {', '.join(map(repr, LIMIT_PERIODS))} or "
                f"None (once ever), got {fmt(period)}"
            )
        out[key] = (int(count), period)
    return FrozenMap(out)


def convert_span_rule(value: object, name: str) -> object:
    """``(amount, period)`` of step decay or inactivity, canonical: period "M"/"3M" or days."""
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValidationError(
            f"{name} must be an (amount, period) pair such as (0.5, 'M') or (10, 30), got {fmt(value)}"
        )
    amount, period = value
    return (real_to_float(amount), Period.parse(period, name=name).spelling())


def convert_groups(value: object) -> object:
    if value is None:
        return FrozenMap({})
    if not isinstance(value, Mapping):
        return value
    out = {}
    for key, members in value.items():
        if isinstance(members, str | bytes) or not isinstance(members, Sequence | set | frozenset):
            raise ValidationTypeError(
                f"groups[{key!r}] must be a list of event types, got {fmt(members)}"
            )
        out[key] = tuple(members)
    return FrozenMap(out)


def convert_float_map(value: object) -> object:
    if value is None:
        return FrozenMap({})
    if isinstance(value, Mapping):
        return FrozenMap({k: real_to_float(v) for k, v in value.items()})
    return value


def check_keys(mapping: object, name: str) -> Mapping[str, Any]:
    if not isinstance(mapping, Mapping):
        raise ValidationTypeError(f"{name} must be a mapping, got {fmt(mapping)}")
    for key in mapping:
        if not isinstance(key, str) or not key:
            raise ValidationTypeError(f"{name} keys must be non-empty strings, got {fmt(key)}")
    return mapping


def period_of(spelling: str | float) -> Period:
    return (
        Period(months=int(spelling[:-1] or 1))
        if isinstance(spelling, str)
        else Period(days=spelling)
    )


def build_rules(model: Any) -> Rules:
    """The rule set of a validated model."""
    points = dict(model.points)
    reset_only = [k for k in model.resets if k not in points]
    types = tuple(points) + tuple(reset_only)
    index = {t: i for i, t in enumerate(types)}
    n = len(types)
    point_values = np.array([points.get(t, 0.0) for t in types], dtype=np.float64)
    type_caps = np.array([model.event_caps.get(t, np.inf) for t in types], dtype=np.float64)
    group_names = list(model.groups)
    group_of_type = np.full(n, -1, dtype=np.int64)
    for g, name in enumerate(group_names):
        for member in model.groups[name]:
            group_of_type[index[member]] = g
    group_caps = np.array([model.group_caps.get(g, np.inf) for g in group_names], dtype=np.float64)
    limit_count = np.full(n, np.inf)
    limit_period: list[str | None] = [None] * n
    for key, (count, period) in model.limits.items():
        limit_count[index[key]] = count
        limit_period[index[key]] = period
    reset_value = np.full(n, np.nan)
    for key, value in model.resets.items():
        reset_value[index[key]] = value
    if model.step_decay is not None:
        decay = Decay("step", rate=model.step_decay[0], period=period_of(model.step_decay[1]))
    elif model.half_life is not None:
        decay = Decay("exponential", scale=model.half_life)
    elif model.lifespan is not None:
        decay = Decay("linear", scale=model.lifespan)
    else:
        decay = Decay()
    inactivity = None
    if model.inactivity is not None:
        inactivity = (model.inactivity[0], period_of(model.inactivity[1]))
    return Rules(
        types=types,
        points=point_values,
        decay=decay,
        window=model.window,
        type_caps=type_caps,
        group_of_type=group_of_type,
        group_caps=group_caps,
        total_cap=math.inf if model.cap is None else model.cap,
        limit_count=limit_count,
        limit_period=tuple(limit_period),
        inactivity=inactivity,
        floor=model.floor,
        reset_value=reset_value,
    )


def adjustment_points(entries: Entries, contact: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
    """What each adjustment adds in a ledger that sums to the score.

    Floors and inactivity steps add their worth at ``as_of``. Reset ``r``
    adds its value's worth minus everything its contact's epoch ``r - 1``
    added (events, adjustments and that epoch's reset): everything before
    the last reset cancels out, telescoping, and the rows sum to the score.
    """
    out = entries.adj_value.copy()
    resets = np.flatnonzero(entries.adj_kind == RESET)
    if resets.size == 0 or entries.epoch is None:
        return out
    n_epochs = np.int64(max(int(entries.epoch.max(initial=0)), int(entries.adj_epoch.max())) + 1)
    keys = np.concatenate(
        [
            contact.astype(np.int64) * n_epochs + entries.epoch,
            entries.adj_contact.astype(np.int64) * n_epochs + entries.adj_epoch,
        ]
    )
    # an epoch's worth: its events, its floors and steps, and its own reset
    worth = np.concatenate([entries.value, entries.adj_value])
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse.ravel(), weights=worth, minlength=unique.size)
    previous = (
        entries.adj_contact[resets].astype(np.int64) * n_epochs + entries.adj_epoch[resets] - 1
    )
    where = np.minimum(np.searchsorted(unique, previous), unique.size - 1)
    before = np.where(unique[where] == previous, sums[where], 0.0)
    out[resets] = entries.adj_value[resets] - before
    return out
