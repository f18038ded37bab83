"""A few records as plain Python data: the real-time path of a service scoring one lead.

Building a DataFrame and running the array kernels costs most of a
millisecond however small the log is; a lead with ten events needs a few
microseconds of arithmetic. This module reads records (mappings) with the
same rules as the DataFrame boundary and computes the plain formula in
Python. Models with marketing-automation rules run them contact by contact,
in the array engine's order and with its calendar arithmetic; calendars in
named zones with daylight saving are left to the array engine, on small
arrays built without pandas.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._validation import fmt

if TYPE_CHECKING:
    from bbmkit.scoring import ScoringModel

_EPOCH = _dt.datetime(1970, 1, 1)
_EPOCH_UTC = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_DAY = _dt.timedelta(days=1)
_US_PER_DAY = 86_400 * 10**6
_US = _dt.timedelta(microseconds=1)
_from_iso = _dt.datetime.fromisoformat


class RecordScores(dict[Any, float]):
    """Scores by contact id from :meth:`ScoringModel.score_records`: a plain ``dict``.

    Keys are in sorted order of the contact ids (as :meth:`ScoringModel.score`
    sorts its index); ``json.dumps`` takes it as it is, and
    ``pandas.Series(result, name="score")`` makes it the Series ``score``
    returns.

    Attributes
    ----------
    unknown_events : int
        Records of event types the model has no points for that were left
        out (``unknown="ignore"``); 0 otherwise.

    Examples
    --------
    >>> from bbmkit import ScoringModel
    >>> result = ScoringModel({"visit": 5}).score_records(
    ...     [{"contact_id": "a", "event_type": "visit", "timestamp": 3.0},
    ...      {"contact_id": "a", "event_type": "chat", "timestamp": 4.0}],
    ...     unknown="ignore")
    >>> result, result.unknown_events
    ({'a': 5.0}, 1)
    """

    unknown_events: int = 0


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def _field(record: object, key: str, i: int) -> Any:
    """``record[key]``, or the error saying what is wrong with the record."""
    if not isinstance(record, Mapping):
        raise ValidationTypeError(
            f"records[{i}] must be a mapping of field names to values, got {fmt(record)}"
        )
    try:
        return record[key]
    except KeyError:
        raise ValidationError(
            f"records[{i}] has no field {key!r} (it has: {', '.join(map(str, list(record)[:8]))})"
        ) from None


def _datetime_us(value: _dt.datetime) -> int:
    """Microseconds since the epoch (UTC for an aware time), exactly (a datetime's precision)."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime(warn=False)  # nanoseconds are floored away
    return (value - (_EPOCH if value.tzinfo is None else _EPOCH_UTC)) // _US


def _same_zone(a: object, b: object) -> bool:
    """Whether two tzinfos are one named zone (pytz gives each UTC offset of a zone its own)."""
    name = getattr(a, "zone", None) or getattr(a, "key", None)
    return name is not None and name == (getattr(b, "zone", None) or getattr(b, "key", None))


def _parse_time(value: object, i: int, name: str) -> tuple[float | int, bool, Any]:
    """A record's time: (us since the epoch, True, tzinfo) or (days, False, None)."""
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value)
        except ValueError:
            try:  # what fromisoformat does not read (nanoseconds, ...), pandas may
                stamp = pd.Timestamp(value)
            except (ValueError, TypeError, OverflowError):
                raise ValidationError(
                    f"records[{i}][{name!r}] must be an ISO 8601 time, a datetime or a number of "
                    f"days, got {fmt(value)}",
                    code="wrong_type",
                    parameter="records",
                    column=name,
                    value=value,
                ) from None
            if _is_missing(stamp):
                raise ValidationError(f"records[{i}][{name!r}] is missing") from None
            value = stamp
    if isinstance(value, _dt.datetime):
        try:
            us = _datetime_us(value)
        except (OverflowError, ValueError):
            raise ValidationError(
                f"records[{i}][{name!r}] is outside the times bbmkit can hold: {fmt(value)}"
            ) from None
        return us, True, value.tzinfo
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    ):
        days = float(value)
        if not math.isfinite(days):
            raise ValidationError(
                f"records[{i}][{name!r}] must be a finite number of days, got {fmt(value)}"
            )
        return days, False, None
    if _is_missing(value):
        raise ValidationError(f"records[{i}][{name!r}] is missing")
    raise ValidationTypeError(
        f"records[{i}][{name!r}] must be an ISO 8601 time, a datetime or a number of days, got "
        f"{fmt(value)}"
    )


class Records:
    """Validated records as lists: contact ids, type codes, times, quantities."""

    __slots__ = ("contacts", "is_datetime", "quantities", "times", "types", "tz", "unknown")

    def __init__(
        self,
        records: object,
        types: Mapping[str, int],
        *,
        contact: str,
        event: str,
        time: str,
        quantity: str | None,
        ignore_unknown: bool,
    ) -> None:
        if isinstance(records, Mapping):
            records = [records]  # one record: a service's single event
        elif isinstance(records, str | bytes | pd.DataFrame) or not isinstance(records, Iterable):
            raise ValidationTypeError(
                "records must be a list of mappings (one per event), got "
                f"{fmt(records)}; score a DataFrame with score()"
            )
        contacts: list[Any] = []
        codes: list[int] = []
        times: list[Any] = []
        quantities: list[float] | None = None if quantity is None else []
        unknown: dict[str, int] = {}
        kind: bool | None = None  # datetimes or days, fixed by the first record
        tz: Any = None
        for i, record in enumerate(records):
            if type(record) is dict:  # the JSON case: three lookups, no checks
                try:
                    who, what, when = record[contact], record[event], record[time]
                except KeyError:
                    who, what, when = (_field(record, k, i) for k in (contact, event, time))
            else:
                who, what, when = (_field(record, k, i) for k in (contact, event, time))
            if who is None or (type(who) is not str and _is_missing(who)):
                raise ValidationError(f"records[{i}][{contact!r}] is missing")
            code = types.get(what) if type(what) is str else None
            if code is None:
                if _is_missing(what):
                    raise ValidationError(f"records[{i}][{event!r}] is missing")
                if isinstance(what, str):  # a str subclass
                    code = types.get(str(what))
                if code is None:
                    key = str(what)
                    unknown[key] = unknown.get(key, 0) + 1
                    continue
            if type(when) is str:  # ISO text, the common case: parsed inline
                with contextlib.suppress(ValueError):  # _parse_time tries pandas, then explains
                    when = _from_iso(when)
            if type(when) is _dt.datetime:  # inline: the per-record cost of a real-time call
                zone = when.tzinfo
                t: Any = (when - (_EPOCH if zone is None else _EPOCH_UTC)) // _US
                is_datetime = True
            else:
                t, is_datetime, zone = _parse_time(when, i, time)
            if kind is None:
                kind, tz = is_datetime, zone
            elif is_datetime is not kind:
                raise ValidationError(
                    f"records[{i}][{time!r}] is {'a datetime' if is_datetime else 'a number'} but "
                    f"earlier records have {'datetimes' if kind else 'numbers of days'}; use one kind"
                )
            elif zone is not tz:
                if (zone is None) != (tz is None):
                    raise ValidationError(
                        f"records[{i}][{time!r}] is {'naive' if zone is None else 'tz-aware'} but "
                        f"earlier records' times are {'naive' if tz is None else 'tz-aware'}; "
                        "use one kind"
                    )
                if zone != tz and not _same_zone(zone, tz):
                    tz = _dt.UTC  # several zones: instants compare, calendars are UTC's
            if quantities is not None:
                q = _field(record, quantity, i)  # type: ignore[arg-type]
                if (
                    isinstance(q, bool | np.bool_)
                    or not isinstance(q, int | float | np.integer | np.floating)
                    or not (q >= 0 and float(q).is_integer())
                ):
                    raise ValidationError(
                        f"records[{i}][{quantity!r}] must be a whole number of occurrences >= 0, "
                        f"got {fmt(q)}",
                        code="out_of_range",
                        parameter="records",
                        column=quantity,
                        value=q,
                    )
                quantities.append(float(q))
            contacts.append(who)
            codes.append(code)
            times.append(t)
        if unknown and not ignore_unknown:
            names = sorted(unknown)
            shown = ", ".join(map(repr, names[:8])) + (
                f", ... ({len(names)} in all)" if len(names) > 8 else ""
            )
            raise ValidationError(
                f"records field {event!r} has event type(s) with no points: {shown} (points are "
                f"given for: {', '.join(map(repr, list(types)[:8]))}"
                f"{', ...' if len(types) > 8 else ''}); unknown='ignore' leaves them out"
            )
        self.contacts = contacts
        self.types = codes
        self.times = times
        self.quantities = quantities
        self.is_datetime = bool(kind)
        self.tz = tz
        self.unknown = sum(unknown.values())


def as_of_ticks(as_of: object, data: Records) -> int | None:
    """Microseconds of an ``as_of`` datetime or ISO date-time for datetime records; None: ask pandas.

    The cheap cases of the real-time path; dates (end of that day), other
    types and every error go through the DataFrame boundary's own check.
    """
    if not data.is_datetime:
        return None
    value = as_of
    if type(value) is str and ":" in value:  # a date and a clock time: no end-of-day rule
        try:
            value = _from_iso(value)
        except ValueError:
            return None
    if type(value) is not _dt.datetime or (value.tzinfo is None) != (data.tz is None):
        return None
    return _datetime_us(value)


def sorted_ids(ids: Iterable[Any]) -> list[Any]:
    """Distinct ids in sorted order (first-seen order when they do not compare)."""
    distinct = list(dict.fromkeys(ids))
    try:
        return sorted(distinct)
    except TypeError:
        return distinct


@functools.lru_cache(maxsize=128)
def _plain_terms(
    model: ScoringModel,
) -> tuple[list[float], str, float, dict[int, float] | None, float | None]:
    """A plain model's points by type code, decay kind, -1/scale, type caps and cap."""
    names = list(model.points)
    caps = {names.index(k): float(v) for k, v in model.event_caps.items()} or None
    return (
        list(model.points.values()),
        model._classic_decay(),
        -1.0 / model._scale(),
        caps,
        model.cap,
    )


def plain_scores(model: ScoringModel, data: Records, as_of_days: float) -> dict[Any, float]:
    """The plain formula (points, one classic decay, caps) per contact, in Python.

    The operations are those of the array kernels in the same order, so the
    numbers agree with :meth:`ScoringModel.score` to the last bits.
    """
    points, kind, factor, type_caps, cap = _plain_terms(model)
    quantities = data.quantities
    per_day = float(_US_PER_DAY) if data.is_datetime else None
    # contact -> type -> sum when types have caps, else contact -> sum
    sums: dict[Any, Any] = {}
    for j, t in enumerate(data.times):
        # int -> float, then divide: the rounding numpy applies to a column of ticks
        days = float(t) / per_day if per_day is not None else t
        if days > as_of_days:
            continue
        code = data.types[j]
        value = points[code]
        if quantities is not None:
            value *= quantities[j]
        if kind == "exponential":
            value = 2.0 ** ((as_of_days - days) * factor) * value
        elif kind == "linear":
            value = max((as_of_days - days) * factor + 1.0, 0.0) * value
        who = data.contacts[j]
        if type_caps is None:
            sums[who] = sums.get(who, 0.0) + value
        else:
            per_type = sums.setdefault(who, {})
            per_type[code] = per_type.get(code, 0.0) + value
    out: dict[Any, float] = {}
    for who in sorted_ids(sums):
        total = sums[who]
        if type_caps is not None:
            total = 0.0
            for code, value in sorted(sums[who].items()):
                limit = type_caps.get(code)
                total += value if limit is None or value <= limit else limit
        out[who] = total if cap is None or total <= cap else cap
    return out


# --------------------------------------------------------------------------
# the marketing-automation rules, for a few records


def _calendar(model: ScoringModel) -> bool:
    """Whether the model reads a calendar (limit periods, month steps of decay or inactivity)."""
    months = [
        rule[1]
        for rule in (model.step_decay, model.inactivity)
        if rule is not None and isinstance(rule[1], str)
    ]
    return bool(months) or any(period is not None for _, period in model.limits.values())


def rules_apply(model: ScoringModel, data: Records) -> bool:
    """Whether :func:`rule_scores` computes this case (else the array engine does, or refuses).

    Calendars need datetimes; they are read in the records' zone, which this
    path handles for naive times and fixed offsets (ISO text with ``Z`` or
    ``+09:00``); named zones with daylight saving go to the array engine.
    """
    if not _calendar(model):
        return True
    return data.is_datetime and (data.tz is None or isinstance(data.tz, _dt.timezone))


def _add_months(wall: _dt.datetime, months: int) -> _dt.datetime:
    """``wall`` moved ``months`` calendar months on, the day clipped to the month's end."""
    y, m = divmod(wall.month - 1 + months, 12)
    year, month = wall.year + y, m + 1
    last = (_dt.date(year + month // 12, month % 12 + 1, 1) - _dt.timedelta(days=1)).day
    return wall.replace(year=year, month=month, day=min(wall.day, last))


def _months_between(start: _dt.datetime, end: _dt.datetime) -> int:
    """Whole calendar months from ``start`` to ``end`` (0 when ``end`` comes first)."""
    m = (end.year - start.year) * 12 + (end.month - start.month)
    while m > 0 and _add_months(start, m) > end:
        m -= 1
    return max(m, 0)


def _period_key(wall: _dt.datetime, freq: str) -> object:
    if freq == "D":
        return wall.toordinal()
    if freq == "W":  # Monday to Sunday, as pandas' "W" periods run
        return wall.toordinal() - wall.weekday()
    if freq == "M":
        return (wall.year, wall.month)
    if freq == "Q":
        return (wall.year, (wall.month - 1) // 3)
    return wall.year


class _Rules:
    """A model's rules over a few records' times: decay, calendars and caps, in Python."""

    def __init__(self, model: ScoringModel, data: Records, as_of_raw: float, as_of_days: float):
        # plain dicts: the models' read-only mappings answer ``in`` through the slow ABC path
        self.points = dict(model.points)
        self.types = list(model.points) + [t for t in model.resets if t not in model.points]
        self.limits = dict(model.limits)
        self.resets = dict(model.resets)
        self.half_life, self.lifespan = model.half_life, model.lifespan
        self.step, self.window = model.step_decay, model.window
        self.inactivity, self.floor, self.cap = model.inactivity, model.floor, model.cap
        self.caps = dict(model.event_caps)
        self.group_of = {t: g for g, members in model.groups.items() for t in members}
        self.group_caps = dict(model.group_caps)
        self.per_day = float(_US_PER_DAY) if data.is_datetime else 1.0
        self.offset = 0  # microseconds from UTC to the records' wall clock
        if data.is_datetime and data.tz is not None:
            shift = data.tz.utcoffset(None)
            self.offset = 0 if shift is None else shift // _US
        self.as_of_raw, self.as_of_days = as_of_raw, as_of_days
        self.as_of_wall = self.wall(as_of_raw) if data.is_datetime else None

    def wall(self, ticks: float) -> _dt.datetime:
        return _EPOCH + _dt.timedelta(microseconds=int(ticks) + self.offset)

    def ticks_of(self, wall: _dt.datetime) -> int:
        return (wall - _EPOCH) // _US - self.offset

    def capped(self, sums: dict[str, float], adjust: float = 0.0) -> float:
        """Type caps, group caps, then the total cap, over per-type sums plus adjustments."""
        total, per_group = 0.0, dict[str, float]()
        for t, v in sums.items():
            if t in self.caps and v > self.caps[t]:
                v = self.caps[t]
            g = self.group_of.get(t)
            if g is not None and g in self.group_caps:
                per_group[g] = per_group.get(g, 0.0) + v
            else:
                total += v
        for g, v in per_group.items():
            total += min(v, self.group_caps[g])
        total += adjust
        return total if self.cap is None or total <= self.cap else self.cap

    def factor(self, t: float) -> float:
        """The share of its points an event at ``t`` keeps at ``as_of``."""
        age = self.as_of_days - float(t) / self.per_day
        if self.window is not None and age > self.window:
            return 0.0
        if self.half_life is not None:
            return float(2.0 ** (age * (-1.0 / self.half_life)))
        if self.lifespan is not None:
            return max(age * (-1.0 / self.lifespan) + 1.0, 0.0)
        if self.step is not None:
            rate, period = self.step
            if isinstance(period, str):
                assert self.as_of_wall is not None
                k = _months_between(self.wall(t), self.as_of_wall) // int(period[:-1] or 1)
            else:
                k = math.floor(age / period)
            return float((1.0 - rate) ** k)
        return 1.0

    def running(self, t0: float, t1: float) -> float:
        """How a running score decays as a whole from ``t0`` to ``t1``."""
        if self.half_life is None:
            return 1.0
        return float(2.0 ** ((float(t1) - float(t0)) / self.per_day * (-1.0 / self.half_life)))

    def after(self, start: float, k: int, period: str | float) -> float:
        if isinstance(period, str):
            return self.ticks_of(_add_months(self.wall(start), k * int(period[:-1] or 1)))
        return start + k * period * self.per_day


class _Running:
    """One contact's running score under floors, inactivity and resets."""

    def __init__(self, rules: _Rules) -> None:
        self.rules = rules
        self.entries: list[tuple[float, float, str | None]] = []  # (time, amount, type or None)
        self.epoch = 0  # entries before the latest reset no longer count
        self.sums: dict[str, float] = {}
        self.adjust = 0.0
        self.last: float | None = None
        self.active: float | None = None  # the latest scoring event or reset

    def move_to(self, t: float) -> None:
        if self.last is not None:
            f = self.rules.running(self.last, t)
            for k in self.sums:
                self.sums[k] *= f
            self.adjust *= f
        self.last = t

    def floor_at(self, t: float) -> None:
        floor = self.rules.floor
        if floor is not None:
            value = self.rules.capped(self.sums, self.adjust)
            if value < floor:
                self.adjust += floor - value
                self.entries.append((t, floor - value, None))

    def inactive_until(self, t: float) -> None:
        inactivity = self.rules.inactivity
        if inactivity is None or self.active is None:
            return
        k = 1
        while (when := self.rules.after(self.active, k, inactivity[1])) <= t:
            self.move_to(when)
            self.adjust -= inactivity[0]
            self.entries.append((when, -inactivity[0], None))
            self.floor_at(when)
            k += 1

    def add(self, t: float, event: str, pts: float) -> None:
        is_reset = event in self.rules.resets
        if pts != 0 or is_reset:
            self.inactive_until(t)
        self.move_to(t)
        if is_reset:
            self.sums.clear()
            self.adjust = self.rules.resets[event]
            self.epoch = len(self.entries)
            self.entries.append((t, self.adjust, None))
            self.active = t
        else:
            self.sums[event] = self.sums.get(event, 0.0) + pts
            self.entries.append((t, pts, event))
            if pts != 0:
                self.active = t
        self.floor_at(t)

    def score(self) -> float:
        """The score at ``as_of``: the live entries, each decayed on its own."""
        rules = self.rules
        self.inactive_until(rules.as_of_raw)
        live: dict[str, float] = {}
        adjustments = 0.0
        for t, amount, event in self.entries[self.epoch :]:
            worth = amount * rules.running(t, rules.as_of_raw)
            if event is None:
                adjustments += worth
            else:
                live[event] = live.get(event, 0.0) + worth
        return rules.capped(live, adjustments)


def rule_scores(
    model: ScoringModel, data: Records, as_of_raw: float, as_of_days: float
) -> dict[Any, float]:
    """Scores under every rule of the model, one contact's events at a time, in Python.

    The rules run in the order of the array engine (points times quantity,
    limits, decay and window, resets, inactivity, floor, caps); the running
    score a floor or an inactivity step acts on is the capped score at that
    moment. ``as_of_raw`` is in the records' ticks (microseconds, or days).
    """
    rules = _Rules(model, data, as_of_raw, as_of_days)
    path = model.floor is not None or model.inactivity is not None or bool(model.resets)
    by_contact: dict[Any, list[int]] = {}
    for j, t in enumerate(data.times):
        if t <= as_of_raw:
            by_contact.setdefault(data.contacts[j], []).append(j)
    quantities = data.quantities
    out: dict[Any, float] = {}
    for who in sorted_ids(by_contact):
        rows = sorted(by_contact[who], key=lambda j: data.times[j])  # stable: ties in order
        used: dict[tuple[str, object], float] = {}
        limited: list[tuple[float, str, float]] = []  # (time, type, points after limits)
        for j in rows:
            t, event = data.times[j], rules.types[data.types[j]]
            q = 1.0 if quantities is None else quantities[j]
            pts = rules.points.get(event, 0.0)
            if event in rules.limits:
                n, freq = rules.limits[event]
                key = (event, None if freq is None else _period_key(rules.wall(t), freq))
                before = used.get(key, 0.0)
                used[key] = before + q
                limited.append((t, event, pts * min(max(n - before, 0.0), q)))
            else:
                limited.append((t, event, pts * q))
        if path:
            state = _Running(rules)
            for t, event, pts in limited:
                state.add(t, event, pts)
            out[who] = state.score()
        else:
            sums: dict[str, float] = {}
            for t, event, pts in limited:
                sums[event] = sums.get(event, 0.0) + pts * rules.factor(t)
            out[who] = rules.capped(sums)
    return out
