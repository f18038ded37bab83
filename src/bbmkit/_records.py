"""A few records as plain Python data: the real-time path of a service scoring one lead.

Building a DataFrame and running the array kernels costs most of a
millisecond however small the log is; a lead with ten events needs a few
microseconds of arithmetic. This module reads records (mappings) with the
same rules as the DataFrame boundary and computes the plain formula in
Python. Models with marketing-automation rules run the same rule engine as
:meth:`ScoringModel.score`, on small arrays built without pandas.
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
                if zone != tz:
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


def as_of_days(as_of: object, data: Records) -> float | None:
    """Float days of an ``as_of`` datetime or ISO date-time for datetime records; None: ask pandas.

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
    return float(_datetime_us(value)) / float(_US_PER_DAY)


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
