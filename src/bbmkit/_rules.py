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
    calendar_periods,
    contact_time_order,
    floor_scan,
    limit_scan,
    limited_quantity,
    month_parts,
    months_between,
    segment_firsts,
    shifted,
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
        self,
        times: Times,
        start: npt.NDArray[np.intp],
        end_days: Any,
        end_ticks: Any,
        end_parts: npt.NDArray[np.int64] | None = None,
    ) -> npt.NDArray[np.int64]:
        """Whole periods from the events ``start`` to the given ends (days and local ticks)."""
        if self.months is None:
            span = np.asarray(end_days, dtype=np.float64) - times.days[start]
            whole: npt.NDArray[np.int64] = np.floor(span / float(self.days)).astype(np.int64)  # type: ignore[arg-type]
            return whole
        s_month, s_offset = times.month_parts()
        end = np.asarray(end_ticks, dtype=np.int64)
        if end_parts is None:
            e_month = month_parts(np.atleast_1d(end), times.unit)[0]
            if end.ndim == 0:
                e_month = e_month[0]
        else:
            e_month = end_parts
        months = months_between(
            s_month[start], s_offset[start], np.asarray(e_month, dtype=np.int64), end, times.unit
        )
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

    def take(self, rows: npt.NDArray[np.intp]) -> Times:
        """The times of ``rows``, in that order."""
        taken = Times(
            self.days[rows], self.raw[rows], self.per_day, self.unit, self.tz, self.as_of_raw
        )
        if "as_of" in self._cache:
            taken._cache["as_of"] = self._cache["as_of"]
        for key in ("local", "months"):
            if key in self._cache:
                value = self._cache[key]
                taken._cache[key] = (
                    value[rows] if key == "local" else (value[0][rows], value[1][rows])
                )
        return taken

    def month_parts(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Each event's local month (since 1970-01) and ticks into it, computed once."""
        if "months" not in self._cache:
            self._cache["months"] = month_parts(self.local_ticks("calendar months"), self.unit)
        return self._cache["months"]  # type: ignore[no-any-return]

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
    adj_row: npt.NDArray[np.intp]  # the entry it happened at, -1 for inactivity
    adj_epoch: npt.NDArray[np.int64]
    # what the event entries are aligned with (sorted by contact and time for some rules)
    contact: npt.NDArray[np.intp]
    types: npt.NDArray[np.integer[Any]]
    days: npt.NDArray[np.float64]
    quantity: npt.NDArray[np.float64] | None
    rows: npt.NDArray[np.intp] | None  # the log row of each entry (None: the same)

    @property
    def live_values(self) -> npt.NDArray[np.float64]:
        """Event values that still count (0 before the contact's last reset)."""
        if self.live is None:
            return self.value
        values: npt.NDArray[np.float64] = np.where(self.live, self.value, 0.0)
        return values

    def in_log_order(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Per-entry values put back in the log's row order."""
        if self.rows is None:
            return values
        out = np.empty_like(values)
        out[self.rows] = values
        return out


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
    """The entries of every score: rules 1-6 of the module docstring (caps come after).

    A model whose rules read each contact's events in time order gets its
    log sorted once (contact, time, row); the entries are then in that
    order, and ``Entries.rows`` maps them back to the log's rows.
    """
    rows = None
    if rules.per_contact:
        rows = contact_time_order(contact, times.days, n_contacts)
    if rows is not None:  # one gather per column, then every pass reads memory in order
        contact, types = contact[rows], types[rows]
        quantity = None if quantity is None else quantity[rows]
        times = times.take(rows)
    base = np.take(rules.points, types)
    if quantity is not None:
        base = base * quantity
    limited = base
    if rules.has_limits:
        q = np.ones(contact.shape[0]) if quantity is None else quantity
        limited = _limited(rules, contact, types, times, q, base)
    factor = rules.decay.factors(times, slice(None), as_of_days)
    if rules.window is not None:
        factor[as_of_days - times.days > rules.window] = 0.0
    value = limited * factor
    aligned: dict[str, Any] = {
        "contact": contact,
        "types": types,
        "days": times.days,
        "quantity": quantity,
        "rows": rows,
    }
    if not (rules.floor is not None or rules.inactivity is not None or rules.is_reset.any()):
        return Entries(base, limited, factor, value, None, None, **aligned, **_no_adjustments())
    adjusted = _adjusted(rules, contact, types, times, limited, as_of_days)
    return Entries(base, limited, factor, value, **adjusted, **aligned)


def _limited(
    rules: Rules,
    contact: npt.NDArray[np.intp],
    types: npt.NDArray[np.integer[Any]],
    times: Times,
    quantity: npt.NDArray[np.float64],
    base: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Points after frequency limits: the earliest occurrences of each period score.

    Rows are in (contact, time) order.
    """
    allowed = rules.limit_count[types]
    rows = np.flatnonzero(np.isfinite(allowed))
    period = np.zeros(rows.shape[0], dtype=np.int64)
    sub_types = types[rows].astype(np.int64)
    for t in np.unique(sub_types):  # a loop over limited types: each has its own period
        freq = rules.limit_period[int(t)]
        mask = sub_types == t
        if freq is not None:
            period[mask] = calendar_periods(
                times.local_ticks("calendar limits")[rows[mask]], times.unit, freq
            )
    out = base.copy()  # unlimited rows keep their points times quantity
    scored = limit_scan(
        contact[rows], sub_types, period, quantity[rows], allowed[rows], len(rules.types)
    )
    if scored is None:  # no compiled kernel (or periods out of time order): group by sorting
        # group (contact, type, period) in time order: a stable sort of rows in time order
        key = np.lexsort((period, sub_types, contact[rows]))
        grouped = rows[key]
        first = (
            segment_firsts(contact[grouped])
            | segment_firsts(sub_types[key])
            | segment_firsts(period[key])
        )
        scored = np.empty(rows.shape[0])
        scored[key] = limited_quantity(quantity[grouped], first, allowed[grouped])
    out[rows] = rules.points[types[rows]] * scored
    return out


def _adjusted(
    rules: Rules,
    contact: npt.NDArray[np.intp],
    types: npt.NDArray[np.integer[Any]],
    times: Times,
    limited: npt.NDArray[np.float64],
    as_of_days: float,
) -> dict[str, Any]:
    """Resets, inactivity steps and floor lifts, from rows in (contact, time) order."""
    n = contact.shape[0]
    first = segment_firsts(contact)
    reset = rules.is_reset[types]
    # epoch: resets so far within the contact (a reset starts its own epoch)
    counted = np.cumsum(reset)
    starts = np.flatnonzero(first)
    lengths = np.diff(np.append(starts, n))
    epoch = counted - np.repeat(counted[starts] - reset[starts], lengths)
    last_epoch = np.repeat(epoch[np.append(starts[1:], n) - 1], lengths) if n else epoch
    live = epoch == last_epoch

    kinds: list[npt.NDArray[np.int8]] = []
    parts: dict[str, list[Any]] = {
        k: [] for k in ("contact", "days", "amount", "steps", "row", "epoch", "live")
    }

    def add(
        kind: int, at: npt.NDArray[np.intp], days: Any, amount: Any, steps: Any, row: Any
    ) -> None:
        """Adjustments of one kind, each at (or after) the event row ``at``."""
        kinds.append(np.full(len(amount), kind, dtype=np.int8))
        values = (contact[at], days, amount, steps, row, epoch[at], live[at])
        for key, value in zip(parts, values, strict=True):
            parts[key].append(np.asarray(value))

    reset_rows = np.flatnonzero(reset)
    if reset_rows.size:
        add(
            RESET,
            reset_rows,
            times.days[reset_rows],
            rules.reset_value[types[reset_rows]],
            np.zeros(reset_rows.size, dtype=np.int64),
            reset_rows,
        )
    gaps = None
    if rules.inactivity is not None:
        gaps = _inactivity(rules, first, reset, limited, times, as_of_days)
        g_rows, _, g_days, g_steps = gaps
        add(
            INACTIVITY,
            g_rows,
            g_days,
            -rules.inactivity[0] * g_steps.astype(np.float64),
            g_steps,
            np.full(g_rows.size, -1, dtype=np.intp),
        )
    if rules.floor is not None:
        lift, at, days, row = _floor_lifts(rules, first, reset, types, limited, times, gaps)
        add(FLOOR, at, days, lift, np.zeros(lift.size, np.int64), row)

    dtypes = {
        "contact": np.intp,
        "days": np.float64,
        "amount": np.float64,
        "steps": np.int64,
        "row": np.intp,
        "epoch": np.int64,
        "live": bool,
    }
    adj = {k: (np.concatenate(v) if v else np.zeros(0)).astype(dtypes[k]) for k, v in parts.items()}
    adj_kind = np.concatenate(kinds) if kinds else np.zeros(0, dtype=np.int8)
    if rules.decay.kind == "exponential":
        adj_factor = np.exp2((as_of_days - adj["days"]) * (-1.0 / rules.decay.scale))
    else:
        adj_factor = np.ones(adj["days"].shape[0])
    return {
        "live": live,
        "epoch": epoch,
        "adj_contact": adj["contact"],
        "adj_kind": adj_kind,
        "adj_days": adj["days"],
        "adj_amount": adj["amount"],
        "adj_value": adj["amount"] * adj_factor,
        "adj_factor": adj_factor,
        "adj_steps": adj["steps"],
        "adj_live": adj["live"],
        "adj_row": adj["row"],
        "adj_epoch": adj["epoch"],
    }


def _inactivity(
    rules: Rules,
    first: npt.NDArray[np.bool_],
    reset: npt.NDArray[np.bool_],
    limited: npt.NDArray[np.float64],
    times: Times,
    as_of_days: float,
) -> tuple[
    npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.int64]
]:
    """One entry per gap after a scoring event (or reset) with whole periods in it.

    Returns the event starting each gap, the position the gap's steps come
    before (the next activity, or the contact's end), the time of the gap's
    last step (float days) and its number of steps.
    """
    assert rules.inactivity is not None
    period = rules.inactivity[1]
    n = first.shape[0]
    active = np.flatnonzero((limited != 0) | reset)
    if active.size == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, np.zeros(0), np.zeros(0, dtype=np.int64)
    segment = np.cumsum(first) - 1
    seg_of = segment[active]
    # the gap ends at the next activity of the same contact, or at as_of
    ends_at_as_of = np.append(seg_of[1:] != seg_of[:-1], True)
    next_pos = np.append(active[1:], n)
    following = np.minimum(next_pos, n - 1)
    end_days = np.where(ends_at_as_of, as_of_days, times.days[following])
    end_ticks = end_months = None
    if period.months is not None:
        local = times.local_ticks("inactivity in calendar months")
        end_ticks = np.where(ends_at_as_of, times.as_of_local, local[following])
        as_of_month = month_parts(np.array([times.as_of_local], dtype=np.int64), times.unit)[0]
        end_months = np.where(ends_at_as_of, as_of_month[0], times.month_parts()[0][following])
    steps = period.count(times, active, end_days, end_ticks, end_months)
    keep = steps > 0
    start_rows, steps = active[keep], steps[keep]
    # the steps of a gap come before its ending activity, or after the contact's last event
    contact_end = np.append(np.flatnonzero(first)[1:], n)[seg_of[keep]]
    before = np.where(ends_at_as_of[keep], contact_end, next_pos[keep]).astype(np.intp)
    if period.months is None:
        last_step = times.days[start_rows] + steps * float(period.days)  # type: ignore[arg-type]
    else:
        s_month, s_offset = times.month_parts()
        local_last = shifted(
            s_month[start_rows] + steps * period.months, s_offset[start_rows], times.unit
        )
        last_step = times.utc_days(local_last, start_rows)
    return start_rows, before, last_step, steps


def _floor_lifts(
    rules: Rules,
    first: npt.NDArray[np.bool_],
    reset: npt.NDArray[np.bool_],
    types: npt.NDArray[np.integer[Any]],
    limited: npt.NDArray[np.float64],
    times: Times,
    gaps: tuple[Any, ...] | None,
) -> tuple[npt.NDArray[Any], ...]:
    """Floor lifts per moment, with each moment's event row, time and own row (-1: a gap)."""
    assert rules.floor is not None
    n_types = len(rules.types)
    slotted = np.flatnonzero(np.isfinite(rules.type_caps) | (rules.group_of_type >= 0))
    slot_of_type = np.full(n_types, -1, dtype=np.int64)
    slot_of_type[slotted] = np.arange(slotted.size)
    slot = slot_of_type[types]
    value = limited
    if reset.any():
        slot[reset] = -3
        value = limited.copy()
        value[reset] = rules.reset_value[types[reset]]
    days = times.days
    n = first.shape[0]
    moment_first = first
    gap_to = np.zeros(0, dtype=np.intp)
    if gaps is not None and gaps[0].size:
        _, before, _, g_steps = gaps
        assert rules.inactivity is not None
        # each gap's moment goes right before the position it precedes (gaps are in order):
        # one scatter per column instead of np.insert's copies
        g = before.shape[0]
        shift = np.cumsum(np.bincount(before, minlength=n + 1)[:n])
        event_to = np.arange(n) + shift
        gap_to = before + np.arange(g)

        def merged(events: npt.NDArray[Any], gaps_: Any) -> npt.NDArray[Any]:
            out = np.empty(n + g, dtype=events.dtype)
            out[event_to] = events
            out[gap_to] = gaps_
            return out

        slot = merged(slot, -2)
        value = merged(value, -rules.inactivity[0] * g_steps.astype(np.float64))
        moment_first = merged(first, False)  # a gap follows its starting event
    if rules.decay.kind == "exponential":  # (no gaps: inactivity takes no other decay)
        factor = np.empty_like(days)
        factor[:1] = 1.0
        np.subtract(days[:-1], days[1:], out=factor[1:])
        factor[1:] *= 1.0 / rules.decay.scale
        np.exp2(factor, out=factor)
        factor[moment_first] = 1.0
    else:
        factor = np.ones(slot.shape[0])
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
    # only the moments the floor lifted: which event (or gap after which event), and when
    lifted = np.flatnonzero(lift != 0)
    if gap_to.size:
        gap_index = np.searchsorted(gap_to, lifted)
        is_gap = (gap_index < gap_to.size) & (
            gap_to[np.minimum(gap_index, gap_to.size - 1)] == lifted
        )
        event_index = lifted - gap_index  # gaps before a moment shift it along
        assert gaps is not None
        at = np.where(is_gap, gaps[0][np.minimum(gap_index, gaps[0].size - 1)], event_index)
        when = np.where(
            is_gap,
            gaps[2][np.minimum(gap_index, gaps[0].size - 1)],
            days[np.minimum(event_index, n - 1)],
        )
        row = np.where(is_gap, -1, event_index)
    else:
        at, when, row = lifted, days[lifted], lifted
    return lift[lifted], at.astype(np.intp), when, row.astype(np.intp)


def score_of(entries: Entries, rules: Rules, n_contacts: int) -> npt.NDArray[np.float64]:
    """Scores from entries: live events capped by type and group, adjustments, the total cap."""
    total = capped_total(
        entries.contact,
        entries.types,
        entries.live_values,
        n_contacts,
        rules.type_caps,
        rules.group_of_type,
        rules.group_caps,
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


def adjustment_points(entries: Entries) -> npt.NDArray[np.float64]:
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
            entries.contact.astype(np.int64) * n_epochs + entries.epoch,
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
