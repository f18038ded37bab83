"""Behavioural lead scoring from event logs.

A :class:`ScoringModel` gives points per event type (negative allowed),
optionally decays them with age, caps what one contact can get from one
event type (``event_caps``), from a group of types (``group_caps``) and in
total (``cap``), and runs the rules of marketing-automation tools
(frequency limits, step decay, windows, inactivity, floors, resets, in the
order the Notes of :class:`ScoringModel` give). The score is a pure
function of the event log and ``as_of``: events after ``as_of`` are
ignored, so re-scoring yesterday gives yesterday's answer.

For an event of type ``e`` and age ``a`` days at ``as_of``:

* no decay: ``points[e]``
* exponential (``half_life=h``): ``points[e] * 0.5 ** (a / h)``
* linear (``lifespan=L``): ``points[e] * max(0, 1 - a / L)``

A contact's score is ``min(cap, sum_e min(event_caps[e], sum of its
decayed points of type e)))`` with absent caps meaning "no cap".
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit import _rules
from bbmkit._convert import (
    factorize,
    factorize_slots,
    positions,
    repeated,
    small_codes,
    smallest_int,
)
from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._frozen import FrozenMap
from bbmkit._kernels import (
    DecayKind,
    capped_total,
    decay_factor,
    decayed_points,
    divided,
    first_crossing,
    group_presence,
    group_sum,
    pair_sums,
    scores_from_log,
    scores_from_values,
)
from bbmkit._records import (
    Records,
    RecordScores,
    plain_scores,
    rule_scores,
    rules_apply,
    sorted_ids,
)
from bbmkit._records import as_of_ticks as record_as_of_ticks
from bbmkit._validation import (
    TICKS_PER_DAY,
    check_frame,
    check_in_choices,
    check_iterable,
    check_list,
    check_no_missing,
    check_number,
    check_timestamp,
    days_to_datetimes,
    fmt,
    numeric_values,
    raw_times,
    real_to_float,
    require_columns,
    timestamp_days,
)

__all__ = ["EventLog", "RecordScores", "ScoringModel", "grade"]

_MAX_LISTED = 8


# --------------------------------------------------------------------------
# model fields: converters and validators


def _points_converter(points: object) -> object:
    if isinstance(points, Mapping):
        # read-only: assigning into model.points cannot bypass the validators
        return FrozenMap({k: real_to_float(v) for k, v in points.items()})
    return points


def _caps_converter(caps: object) -> object:
    # None is the documented spelling of "no event caps"
    return {} if caps is None else _points_converter(caps)


def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _validate_points(_: ScoringModel, attribute: attrs.Attribute[Any], points: object) -> None:
    name = attribute.name
    if not isinstance(points, Mapping):
        raise ValidationTypeError(
            f"{name} must be a mapping of event type to points, got {fmt(points)}"
        )
    if name == "points" and not points:
        raise ValidationError("points must not be empty: give at least one event type")
    for key, value in points.items():
        if not isinstance(key, str) or not key:
            raise ValidationTypeError(
                f"{name} keys must be non-empty event type strings, got {fmt(key)}"
            )
        if name == "points":
            check_number(value, name=f"points[{key!r}]")
        else:
            check_number(value, name=f"event_caps[{key!r}]", low=0.0, low_inclusive=False)


def _days_converter(value: object) -> object:
    """Durations as float days: Timedelta/timedelta/timedelta64 or numbers."""
    if isinstance(value, pd.Timedelta | _dt.timedelta | np.timedelta64):
        return pd.Timedelta(value) / pd.Timedelta(days=1)
    return real_to_float(value)


def _validate_duration(_: ScoringModel, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_number(value, name=f"{attribute.name} (days)", low=0.0, low_inclusive=False)


def _validate_cap(_: ScoringModel, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_number(value, name=attribute.name, low=0.0, low_inclusive=False)


def _step_decay_converter(value: object) -> object:
    return _rules.convert_span_rule(value, "step_decay")


def _inactivity_converter(value: object) -> object:
    return _rules.convert_span_rule(value, "inactivity")


# the hash is cached: every call looks the model's compiled rules up by it
@attrs.frozen(repr=False, cache_hash=True)
class ScoringModel:
    """Points per event type, decay, and caps: a behavioural scoring model.

    Parameters
    ----------
    points : mapping of str to float
        Points per event type; negative points (unsubscribe, competitor) are
        allowed.
    half_life : float or pandas.Timedelta, optional
        Exponential decay: an event ``a`` days old is worth
        ``points * 0.5 ** (a / half_life)``. Days as a number, or a
        Timedelta.
    lifespan : float or pandas.Timedelta, optional
        Linear decay: an event is worth ``points * max(0, 1 - a / lifespan)``,
        nothing once ``lifespan`` days old. Exclusive with ``half_life``;
        with neither, points do not decay.
    cap : float, optional
        Maximum total score of a contact (> 0).
    event_caps : mapping of str to float, optional
        Maximum points one contact gets from one event type, applied to the
        decayed sum of that type (> 0).
    groups : mapping of str to list of str, optional
        Named groups of event types (a type in at most one group), e.g.
        ``{"sales": ["meeting", "demo_form"]}``.
    group_caps : mapping of str to float, optional
        Maximum points of a group: applied to the sum of its types after
        their ``event_caps``, before ``cap``.
    limits : mapping of str to (int, str or None), optional
        At most ``n`` scored occurrences of a type per contact per calendar
        period: ``{"key_webpage": (1, "W"), "email_open": (1, None)}``.
        Periods as ``Series.dt.to_period`` forms them (``"D"``, ``"W"``
        Monday to Sunday, ``"M"``, ``"Q"``, ``"Y"``) in the log's time
        zone; ``None`` is once ever. The earliest occurrences score.
    step_decay : (float, str or float), optional
        ``(rate, period)``: points lose ``rate`` every whole period, i.e.
        are multiplied by ``(1 - rate) ** k``. Periods ``"M"``, ``"3M"``,
        ``"6M"``, ``"12M"`` (calendar months) or days. Exclusive with
        ``half_life`` and ``lifespan``.
    window : float or pandas.Timedelta, optional
        Only events at most this many days old at ``as_of`` count.
    inactivity : (float, str or float), optional
        ``(points, period)``: each whole period since the contact's latest
        scoring event (or reset) subtracts ``points``. Not with another
        decay.
    floor : float, optional
        The running score never goes below it, after each event and each
        period of inactivity.
    resets : mapping of str to float, optional
        Event types (without points of their own) that set the running
        score to a value; the events before no longer count.

    Notes
    -----
    The rules run in one order: points times quantity, frequency limits,
    decay and window, resets, inactivity, the floor, then event caps, group
    caps and the total cap. Floors, inactivity steps and resets are
    adjustments at their moment that decay like events; the running score
    they act on is the score the model would give at that moment, caps
    included. A floor or resets need ``half_life`` or no decay and no
    window.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import ScoringModel
    >>> model = ScoringModel(
    ...     {"web_visit": 5, "seminar": 30, "unsubscribe": -50},
    ...     event_caps={"web_visit": 20},
    ... )
    >>> events = pd.DataFrame({
    ...     "contact_id": ["a"] * 6 + ["b", "b"],
    ...     "event_type": ["web_visit"] * 5 + ["seminar", "seminar", "unsubscribe"],
    ...     "timestamp": pd.to_datetime(["2026-05-01"] * 8),
    ... })
    >>> model.score(events)
    contact_id
    a    50.0
    b   -20.0
    Name: score, dtype: float64

    A marketing-automation model: visits at most once a day, minus 10 a
    month of inactivity, never below 0:

    >>> marketo = ScoringModel({"web_visit": 5, "seminar": 30, "unsubscribe": -50},
    ...                        limits={"web_visit": (1, "D")}, inactivity=(10, "M"), floor=0)
    >>> marketo.score(events, as_of="2026-07-15").tolist()
    [15.0, 0.0]

    With a 30-day half-life, a seminar 30 days old is worth half:

    >>> decayed = ScoringModel({"seminar": 30}, half_life=pd.Timedelta(days=30))
    >>> decayed.score(events[events.event_type == "seminar"], as_of="2026-05-31 00:00")
    contact_id
    a    15.0
    b    15.0
    Name: score, dtype: float64
    """

    points: Mapping[str, float] = attrs.field(
        converter=_points_converter, validator=_validate_points
    )
    half_life: float | None = attrs.field(
        default=None, kw_only=True, converter=_days_converter, validator=_validate_duration
    )
    lifespan: float | None = attrs.field(
        default=None, kw_only=True, converter=_days_converter, validator=_validate_duration
    )
    cap: float | None = attrs.field(
        default=None, kw_only=True, converter=real_to_float, validator=_validate_cap
    )
    event_caps: Mapping[str, float] = attrs.field(
        factory=dict, kw_only=True, converter=_caps_converter, validator=_validate_points
    )
    groups: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=FrozenMap, kw_only=True, converter=_rules.convert_groups
    )
    group_caps: Mapping[str, float] = attrs.field(
        factory=FrozenMap, kw_only=True, converter=_rules.convert_float_map
    )
    limits: Mapping[str, tuple[int, str | None]] = attrs.field(
        factory=FrozenMap, kw_only=True, converter=_rules.convert_limits
    )
    step_decay: tuple[float, str | float] | None = attrs.field(
        default=None, kw_only=True, converter=_step_decay_converter
    )
    window: float | None = attrs.field(
        default=None, kw_only=True, converter=_days_converter, validator=_validate_duration
    )
    inactivity: tuple[float, str | float] | None = attrs.field(
        default=None, kw_only=True, converter=_inactivity_converter
    )
    floor: float | None = attrs.field(default=None, kw_only=True, converter=real_to_float)
    resets: Mapping[str, float] = attrs.field(
        factory=FrozenMap, kw_only=True, converter=_rules.convert_float_map
    )

    def __attrs_post_init__(self) -> None:
        decays = [
            name
            for name in ("half_life", "lifespan", "step_decay")
            if getattr(self, name) is not None
        ]
        if len(decays) > 1:
            raise ValidationError(
                "give one decay: half_life (exponential), lifespan (linear) or step_decay, "
                f"not {' and '.join(decays)}",
                parameter="half_life",
            )
        unknown = [k for k in self.event_caps if k not in self.points]
        if unknown:
            raise ValidationError(
                f"event_caps names event types that have no points: {_listed(unknown)}"
            )
        self._check_rules(decays)

    def _check_rules(self, decays: list[str]) -> None:
        """The rule options: names that exist, values in range, combinations that make sense."""
        groups = _rules.check_keys(self.groups, "groups")
        owner: dict[str, str] = {}
        for name, members in groups.items():
            if not members:
                raise ValidationError(f"groups[{name!r}] is empty: list its event types")
            for member in members:
                if member not in self.points:
                    raise ValidationError(
                        f"groups[{name!r}] names {fmt(member)}, an event type with no points"
                    )
                if member in owner:
                    raise ValidationError(
                        f"event type {member!r} is in two groups ({owner[member]!r} and "
                        f"{name!r}); a type belongs to at most one group",
                        code="duplicate",
                        parameter="groups",
                    )
                owner[member] = name
        for name, value in _rules.check_keys(self.group_caps, "group_caps").items():
            if name not in groups:
                raise ValidationError(
                    f"group_caps names {name!r}, which is not a group (groups: "
                    f"{_listed(list(groups)) or 'none'})"
                )
            check_number(value, name=f"group_caps[{name!r}]", low=0.0, low_inclusive=False)
        for name in _rules.check_keys(self.limits, "limits"):
            if name not in self.points:
                raise ValidationError(f"limits names {name!r}, an event type with no points")
        if self.step_decay is not None:
            check_number(
                self.step_decay[0], name="step_decay rate", low=0.0, high=1.0, low_inclusive=False
            )
        if self.inactivity is not None:
            check_number(self.inactivity[0], name="inactivity points", low=0.0, low_inclusive=False)
            if decays:
                raise ValidationError(
                    f"inactivity is a decay of its own: give it without {decays[0]}"
                )
        if self.floor is not None:
            check_number(self.floor, name="floor")
            if self.cap is not None and self.floor > self.cap:
                raise ValidationError(
                    f"floor must be <= cap, got floor={self.floor}, cap={self.cap}"
                )
        for name, value in _rules.check_keys(self.resets, "resets").items():
            check_number(value, name=f"resets[{name!r}]")
            if name in self.points:
                raise ValidationError(
                    f"resets names {name!r}, which has points; a reset sets the score, so its "
                    "event type has none of its own"
                )
        running = [
            n for n, v in (("floor", self.floor), ("resets", self.resets or None)) if v is not None
        ]
        if running and (
            self.lifespan is not None or self.step_decay is not None or self.window is not None
        ):
            other = (
                "lifespan"
                if self.lifespan is not None
                else "step_decay"
                if self.step_decay is not None
                else "window"
            )
            raise ValidationError(
                f"{running[0]} needs a score that decays as a whole (half_life or no decay) and "
                f"no window; {other} changes each event's worth on its own"
            )

    def _rules(self) -> _rules.Rules:
        return _model_rules(self)

    def __repr__(self) -> str:
        # the options in use only: a model has a dozen, most of them unset
        shown = [repr(dict(self.points))]
        for field in attrs.fields(type(self))[1:]:
            value = getattr(self, field.name)
            if value is None or (isinstance(value, Mapping) and not value):
                continue
            shown.append(f"{field.name}={dict(value) if isinstance(value, Mapping) else value!r}")
        return f"ScoringModel({', '.join(shown)})"

    @property
    def _plain(self) -> bool:
        """Points, one of the classic decays and caps only: the original fast path."""
        return not (
            self.limits
            or (self.groups and self.group_caps)
            or self.step_decay is not None
            or self.window is not None
            or self.inactivity is not None
            or self.floor is not None
            or self.resets
        )

    @property
    def decay(self) -> Literal["none", "exponential", "linear", "step"]:
        """``"exponential"``, ``"linear"``, ``"step"`` or ``"none"``.

        Examples
        --------
        >>> from bbmkit import ScoringModel
        >>> ScoringModel({"visit": 1}, lifespan=90).decay
        'linear'
        """
        if self.half_life is not None:
            return "exponential"
        if self.lifespan is not None:
            return "linear"
        if self.step_decay is not None:
            return "step"
        return "none"

    def _classic_decay(self) -> DecayKind:
        """The decay of the original fast path (a model without step decay)."""
        if self.half_life is not None:
            return "exponential"
        return "linear" if self.lifespan is not None else "none"

    def _scale(self) -> float:
        scale = self.half_life if self.half_life is not None else self.lifespan
        return 1.0 if scale is None else scale

    def _type_caps(self) -> npt.NDArray[np.float64]:
        return np.array([self.event_caps.get(t, np.inf) for t in self.points], dtype=np.float64)

    def _total_cap(self) -> float:
        return math.inf if self.cap is None else self.cap

    # ---- scoring ---------------------------------------------------------

    def score(
        self,
        events: pd.DataFrame,
        *,
        as_of: object = None,
        contact: str = "contact_id",
        event: str = "event_type",
        time: str = "timestamp",
        quantity: str | None = None,
        unknown: Literal["raise", "ignore"] = "raise",
    ) -> pd.Series:
        """Score of every contact with an event at or before ``as_of``.

        Parameters
        ----------
        events : pandas.DataFrame
            Event log with a contact id, an event type and a time column.
            Times are datetimes (naive or tz-aware) or numbers of days.
        as_of : timestamp-like or float, optional
            Scoring time; events after it are ignored. Defaults to the latest
            event time in the log. A string is parsed as a timestamp; a date
            without a time (``"2026-09-30"``, a ``datetime.date``) means the
            end of that day in the log's time zone, so every event of that
            day counts (``"2026-09-30 00:00"`` is midnight).
        contact, event, time : str
            Column names.
        quantity : str, optional
            Column of occurrences per row (an aggregated export's "12
            visits"): a row's points are multiplied by it, and ``limits``
            count occurrences. Whole numbers >= 0.
        unknown : {"raise", "ignore"}, default "raise"
            Events of types the model has no points for: an error listing
            them, or (``"ignore"``) left out, their number in the result's
            ``attrs["unknown_events"]``, so one odd row does not fail a batch.

        Returns
        -------
        pandas.Series
            ``"score"`` indexed by contact id (sorted), float. An empty log
            (or one with no event at or before ``as_of``) gives an empty
            Series.

        Raises
        ------
        ValidationError
            Missing columns, missing ids/types/times, event types not in
            ``points`` (all listed), times that are neither datetimes nor
            numbers, ``as_of`` of the wrong kind or time zone.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import ScoringModel
        >>> log = pd.DataFrame({"contact_id": [1, 1, 2], "event_type": ["a", "b", "a"],
        ...                     "timestamp": [0.0, 10.0, 20.0]})
        >>> ScoringModel({"a": 10, "b": 40}, lifespan=40).score(log, as_of=20).tolist()
        [35.0, 10.0]
        """
        mode = check_in_choices(unknown, name="unknown", choices=("raise", "ignore"))
        dropped = 0
        if mode == "ignore":
            events, dropped = self._known_events(events, event)
        log = self._prepare(
            events,
            as_of=as_of,
            contact=contact,
            event=event,
            time=time,
            slots=True,
            quantity=quantity,
        )
        score = log.scores(self)
        contacts = log.contacts
        if log.present is not None:
            kept = np.flatnonzero(log.present)
            score = score[kept]
            contacts = (
                # a range of ids: the kept offsets are the ids, no gather from the range
                pd.Index(kept + contacts.start if contacts.start else kept, name=contacts.name)
                if isinstance(contacts, pd.RangeIndex) and contacts.step == 1
                else contacts[kept]
            )
        # a fresh array: pandas 3 would copy it again
        result = pd.Series(score, index=contacts, name="score", copy=False)
        if mode == "ignore":
            result.attrs["unknown_events"] = dropped
        return result

    def score_records(
        self,
        records: Iterable[Mapping[str, Any]] | Mapping[str, Any],
        *,
        as_of: object = None,
        contact: str = "contact_id",
        event: str = "event_type",
        time: str = "timestamp",
        quantity: str | None = None,
        unknown: Literal["raise", "ignore"] = "raise",
    ) -> RecordScores:
        """:meth:`score` of a few events given as plain Python records: the real-time path.

        A service scoring one lead from the events in a request body pays
        most of a millisecond to build and score a DataFrame; this method
        reads the records directly and, for a model of points, decay and
        caps, computes the formula in Python (microseconds). A model with
        limits, group caps, step decay, a window, inactivity, a floor or
        resets runs its rules contact by contact in Python too (tens of
        microseconds); only calendar rules over times in a named zone with
        daylight saving (not naive times, not fixed offsets such as ISO
        text's ``+09:00``) go to the array engine of :meth:`score`.
        The numbers equal :meth:`score`'s on the same events (to 1e-12).
        For large batches use :meth:`score`: it is the fast path there.

        Parameters
        ----------
        records : iterable of mappings, or one mapping
            One mapping per event with the ``contact``, ``event`` and
            ``time`` fields (other fields are ignored), e.g. the JSON array
            of a request body. Times are datetimes (naive or tz-aware, all
            of one kind), ISO 8601 text (``"2026-05-01T09:30:00+02:00"``)
            or numbers of days. Aware times in several zones compare as
            instants; calendar periods of limits and monthly steps then use
            UTC (with one zone, that zone).
        as_of, contact, event, time, quantity, unknown
            As for :meth:`score`; ``as_of`` defaults to the latest event.

        Returns
        -------
        RecordScores
            A ``dict`` of score by contact id, in sorted id order, with the
            number of left-out events of unknown types in
            ``unknown_events``; contacts without an event at or before
            ``as_of`` are absent, as in :meth:`score`.

        Raises
        ------
        ValidationError
            A record that is not a mapping or lacks a field, a missing id,
            type or time, a time of the wrong kind, event types without
            points (all listed, unless ``unknown="ignore"``), a bad
            quantity or ``as_of``.

        See Also
        --------
        score : The same scores of an events DataFrame.

        Examples
        --------
        >>> from bbmkit import ScoringModel
        >>> model = ScoringModel({"web_visit": 5, "demo_request": 40}, half_life=30)
        >>> model.score_records([
        ...     {"contact_id": "lead-1", "event_type": "demo_request",
        ...      "timestamp": "2026-05-01T10:00:00"},
        ...     {"contact_id": "lead-1", "event_type": "web_visit",
        ...      "timestamp": "2026-05-31T10:00:00"},
        ... ])
        {'lead-1': 25.0}
        """
        mode = check_in_choices(unknown, name="unknown", choices=("raise", "ignore"))
        for name, value in (("contact", contact), ("event", event), ("time", time)):
            _check_column_name(value, name)
        _check_column_name(quantity, "quantity", optional=True)
        rules = self._rules()
        data = Records(
            records,
            _type_index(self),
            contact=contact,
            event=event,
            time=time,
            quantity=quantity,
            ignore_unknown=mode == "ignore",
        )
        result = RecordScores()
        result.unknown_events = data.unknown
        if not data.times:
            return result
        clock = _Clock(
            is_datetime=data.is_datetime,
            tz=data.tz,
            unit="us",  # a Python datetime's precision
            column=f"records field {time!r}",
        )
        per_day = float(TICKS_PER_DAY["us"]) if data.is_datetime else None
        plain = self._plain and data.quantities is None
        if plain or rules_apply(self, data):
            if as_of is None:  # the latest event, as a log of these times gives it
                ticks: float = max(data.times)
            else:
                fast = record_as_of_ticks(as_of, data)
                ticks = clock.to_raw(as_of) if fast is None else fast
            days = float(ticks) / per_day if per_day is not None else float(ticks)
            scores = (
                plain_scores(self, data, days) if plain else rule_scores(self, data, ticks, days)
            )
            result.update(scores)
            return result
        # named time zones with daylight saving and a calendar: the array engine reads them
        raw: npt.NDArray[np.int64] | npt.NDArray[np.float64] = (
            np.array(data.times, dtype=np.int64)
            if data.is_datetime
            else np.array(data.times, dtype=np.float64)
        )
        ids = sorted_ids(data.contacts)
        where = {who: k for k, who in enumerate(ids)}
        log = _Log(
            contact_codes=np.array([where[who] for who in data.contacts], dtype=np.intp),
            contacts=pd.Index(ids, dtype=object, name=contact),
            type_codes=np.array(data.types, dtype=smallest_int(len(rules.types))),
            times=raw,
            per_day=per_day,
            clock=clock,
            as_of_days=math.nan,
            quantity=None
            if data.quantities is None
            else np.array(data.quantities, dtype=np.float64),
        ).at(as_of)
        result.update(zip(log.contacts, log.scores(self).tolist(), strict=True))
        return result

    def _known_events(self, events: object, event: str) -> tuple[pd.DataFrame, int]:
        """The events whose type the model knows, and how many others were left out."""
        if isinstance(events, EventLog):
            raise ValidationError(
                "unknown='ignore' needs the events as a DataFrame; an EventLog is checked when built"
            )
        frame = check_frame(events, name="events")
        require_columns(frame, [event], name="events")
        check_no_missing(frame[event], event)
        codes, labels = small_codes(frame[event])
        known_label = pd.Index(list(self._rules().types), dtype=object).get_indexer(labels) >= 0
        known = known_label[codes.astype(np.intp)] if len(labels) else np.ones(len(frame), bool)
        n_unknown = int(len(frame) - np.count_nonzero(known))
        return (frame if n_unknown == 0 else frame[known]), n_unknown

    def ledger(
        self,
        events: pd.DataFrame,
        *,
        as_of: object = None,
        contact: str = "contact_id",
        event: str = "event_type",
        time: str = "timestamp",
        quantity: str | None = None,
        by: Literal["type", "event"] = "type",
    ) -> pd.DataFrame:
        """Every contribution to every score: the explanation of :meth:`score`.

        Parameters are those of :meth:`score`, and:

        by : {"type", "event"}, default "type"
            ``"type"``: one row per contact and event type (and per cut or
            adjustment). ``"event"``: one row per event, with its time, age,
            decay factor, quantity and points before and after limits, then
            the adjustment and cap rows.

        Returns
        -------
        pandas.DataFrame
            Columns ``<contact>``, ``<event>``, ``"kind"`` and ``"points"``
            (with ``by="event"`` also ``<time>``, ``"quantity"``,
            ``"age_days"``, ``"decay"``, ``"base_points"`` and
            ``"limited_points"``; with groups also ``"group"``). ``kind`` is
            ``"event"`` for decayed points of events (per type, or per
            event), ``"event_cap"`` for the cut an event cap made to a type,
            ``"group_cap"`` for the cut a group cap made to a group,
            ``"floor"``, ``"inactivity"`` and ``"reset"`` for adjustments
            (a reset's points cancel what came before it and add its value),
            and ``"cap"`` for the cut the total cap made. Per contact,
            ``points`` sums to the score (exactly for whole points without
            decay; up to floating-point rounding otherwise). Sorted by
            contact (then type, or time).

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import ScoringModel
        >>> log = pd.DataFrame({"contact_id": ["a"] * 4, "event_type": ["visit"] * 3 + ["demo"],
        ...                     "timestamp": [1.0, 2.0, 3.0, 4.0]})
        >>> model = ScoringModel({"visit": 10, "demo": 50}, event_caps={"visit": 25}, cap=60)
        >>> model.ledger(log)
          contact_id event_type       kind  points
        0          a      visit      event    30.0
        1          a      visit  event_cap    -5.0
        2          a       demo      event    50.0
        3          a        NaN        cap   -15.0
        >>> model.score(log).tolist()
        [60.0]

        One row per event, with a frequency limit and a floor:

        >>> limited = ScoringModel({"visit": 10, "demo": 50, "unsubscribe": -100},
        ...                        limits={"visit": (2, "D")}, floor=0)
        >>> log2 = pd.DataFrame({"contact_id": ["a"] * 4,
        ...                      "event_type": ["visit", "visit", "visit", "unsubscribe"],
        ...                      "timestamp": pd.to_datetime(["2026-05-01 09:00", "2026-05-01 10:00",
        ...                                                   "2026-05-01 11:00", "2026-05-02 08:00"])})
        >>> limited.ledger(log2, by="event")[["event_type", "kind", "limited_points", "points"]]
            event_type   kind  limited_points  points
        0        visit  event            10.0    10.0
        1        visit  event            10.0    10.0
        2        visit  event             0.0     0.0
        3  unsubscribe  event          -100.0  -100.0
        4          NaN  floor             NaN    80.0
        """
        rows = check_in_choices(by, name="by", choices=("type", "event"))
        log = self._prepare(
            events, as_of=as_of, contact=contact, event=event, time=time, quantity=quantity
        )
        if rows == "event" or not (self._plain and log.quantity is None):
            return self._rule_ledger(log, contact, event, time, rows)
        types = list(self.points)
        n_types = len(types)
        pc, pt, sums = pair_sums(log.contact_codes, log.type_codes, log.values(self), n_types)
        caps = self._type_caps()[pt]
        capped = np.minimum(sums, caps)
        cut = capped < sums
        totals = group_sum(pc, capped, len(log.contacts))
        over = np.flatnonzero(totals > self._total_cap())

        # rows: events, then event-cap cuts, then total-cap cuts; sort by contact, order
        contact_idx = np.concatenate([pc, pc[cut], over])
        type_idx = np.concatenate([pt, pt[cut], np.full(over.size, -1)])
        kind_idx = np.concatenate(
            [
                np.zeros(pc.size, np.int8),
                np.ones(int(cut.sum()), np.int8),
                np.full(over.size, 2, np.int8),
            ]
        )
        pts = np.concatenate([sums, (capped - sums)[cut], self._total_cap() - totals[over]])
        # within a contact: each type's event row, then its cap cut, then the total cap
        type_order = np.where(type_idx < 0, n_types, type_idx)
        order = np.lexsort((kind_idx, type_order, contact_idx))
        return pd.DataFrame(
            {
                contact: log.contacts.take(contact_idx[order]),
                event: pd.Categorical.from_codes(
                    type_idx[order], categories=pd.Index(types, dtype=object)
                ),
                "kind": np.array(["event", "event_cap", "cap"], dtype=object)[kind_idx[order]],
                "points": pts[order],
            }
        )

    def _rule_ledger(self, log: _Log, contact: str, event: str, time: str, by: str) -> pd.DataFrame:
        """The ledger of any model: events, cuts of caps and adjustments, from its entries."""
        rules, entries = log.entries(self)
        types = list(rules.types)
        n_types = len(types)
        n = len(log.contacts)
        codes, tcodes = entries.contact, entries.types
        live_values = (
            entries.value if entries.live is None else np.where(entries.live, entries.value, 0.0)
        )
        # cuts of the caps, from the live sums per (contact, type) and (contact, group)
        pc, pt, live_sums = pair_sums(codes, tcodes, live_values, n_types)
        capped = np.minimum(live_sums, rules.type_caps[pt])
        type_cut = capped < live_sums
        group = rules.group_of_type[pt]
        held = (group >= 0) & np.isfinite(
            rules.group_caps[np.maximum(group, 0)]
            if rules.group_caps.size
            else np.zeros(group.shape)
        )
        gc, gg, g_sums = pair_sums(
            pc[held], group[held], capped[held], max(rules.group_caps.size, 1)
        )
        g_capped = np.minimum(g_sums, rules.group_caps[gg]) if gg.size else g_sums
        group_cut = g_capped < g_sums
        adj_points = _rules.adjustment_points(entries)
        before_cap = group_sum(pc, capped, n) + group_sum(gc, g_capped - g_sums, n)
        if entries.adj_value.size:
            live = entries.adj_live
            before_cap += group_sum(entries.adj_contact[live], entries.adj_value[live], n)
        over = np.flatnonzero(before_cap > rules.total_cap)

        # kinds: 0 event, 1 event_cap, 2 group_cap, 3 floor, 4 inactivity, 5 reset, 6 cap
        adj_contact: npt.NDArray[np.intp] = entries.adj_contact
        adj_kind: npt.NDArray[np.integer[Any]] = entries.adj_kind
        if by == "type":  # one row per contact and type, and per contact and adjustment kind
            ec, et, e_points = pair_sums(codes, tcodes, entries.value, n_types)
            ev_parts: dict[str, Any] = {"contact": ec, "type": et, "points": e_points}
            adj_contact, adj_kind, adj_points = pair_sums(
                adj_contact, adj_kind, adj_points, len(_rules.ADJUSTMENT_KINDS)
            )
        else:
            ev_parts = {"contact": codes, "type": tcodes.astype(np.intp), "points": entries.value}
        n_adj = adj_points.size
        n_type_cuts, n_group_cuts = int(type_cut.sum()), int(group_cut.sum())
        # rows: events, adjustments, type cuts, group cuts, total-cap cuts
        contact_idx = np.concatenate(
            [ev_parts["contact"], adj_contact, pc[type_cut], gc[group_cut], over]
        )
        type_idx = np.concatenate(
            [
                ev_parts["type"],
                np.full(n_adj, -1),
                pt[type_cut],
                np.full(n_group_cuts + over.size, -1),
            ]
        )
        group_idx = np.concatenate(
            [
                rules.group_of_type[ev_parts["type"]],
                np.full(n_adj, -1),
                rules.group_of_type[pt[type_cut]],
                gg[group_cut],
                np.full(over.size, -1),
            ]
        )
        kind_idx = np.concatenate(
            [
                np.zeros(ev_parts["contact"].size, np.int8),
                (adj_kind + 3).astype(np.int8),
                np.ones(n_type_cuts, np.int8),
                np.full(n_group_cuts, 2, np.int8),
                np.full(over.size, 6, np.int8),
            ]
        )
        pts = np.concatenate(
            [
                ev_parts["points"],
                adj_points,
                (capped - live_sums)[type_cut],
                (g_capped - g_sums)[group_cut],
                rules.total_cap - before_cap[over],
            ]
        )
        kinds = np.array(
            ["event", "event_cap", "group_cap", *_rules.ADJUSTMENT_KINDS, "cap"], dtype=object
        )
        categories = pd.Index(types, dtype=object)
        n_rows = contact_idx.size
        if by == "type":
            # within a contact: each type's event row and its cut, then group cuts (by group),
            # adjustments and the total cap
            secondary = np.where(type_idx >= 0, type_idx, n_types + kind_idx)
            order = np.lexsort((group_idx, kind_idx, secondary, contact_idx))
            frame = {
                contact: log.contacts.take(contact_idx[order]),
                event: pd.Categorical.from_codes(type_idx[order], categories=categories),
                "kind": kinds[kind_idx[order]],
                "points": pts[order],
            }
        else:
            n_events = codes.size
            n_moments = n_events + n_adj
            days = np.full(n_rows, np.nan)
            days[:n_events] = entries.days
            days[n_events:n_moments] = entries.adj_days
            # an adjustment right after the event of its moment; cuts and the cap last
            # entries are in (contact, time) order when the rules sorted them; ties by row
            seq = np.full(n_rows, n_events, dtype=np.int64)
            seq[:n_events] = np.arange(n_events)
            seq[n_events:n_moments] = np.where(entries.adj_row >= 0, entries.adj_row, n_events)
            if entries.rows is not None:
                seq[:n_events] = entries.rows
                seq[n_events:n_moments] = np.where(
                    entries.adj_row >= 0, entries.rows[np.maximum(entries.adj_row, 0)], n_events
                )
            when = np.where(np.isnan(days), np.inf, days)
            # at one moment: the event, a reset, inactivity steps, then the floor's lift
            rank = np.array([0, 7, 8, 4, 3, 2, 9], dtype=np.int8)[kind_idx]
            order = np.lexsort((group_idx, rank, seq, when, contact_idx))
            quantity = np.full(n_rows, np.nan)
            quantity[:n_events] = 1.0 if entries.quantity is None else entries.quantity
            quantity[n_events:n_moments] = np.where(
                entries.adj_kind == _rules.INACTIVITY, entries.adj_steps, np.nan
            )
            age = np.full(n_rows, np.nan)
            age[:n_moments] = log.as_of_days - days[:n_moments]
            decay = np.full(n_rows, np.nan)
            decay[:n_events] = entries.factor
            decay[n_events:n_moments] = entries.adj_factor
            base = np.full(n_rows, np.nan)
            base[:n_events] = entries.base
            limited = np.full(n_rows, np.nan)
            limited[:n_events] = entries.limited
            at: Any = days[order]
            if log.clock.is_datetime:
                at = days_to_datetimes(days[order], log.unit, log.clock.tz)
            frame = {
                contact: log.contacts.take(contact_idx[order]),
                event: pd.Categorical.from_codes(type_idx[order], categories=categories),
                time: at,
                "kind": kinds[kind_idx[order]],
                "quantity": quantity[order],
                "age_days": age[order],
                "decay": decay[order],
                "base_points": base[order],
                "limited_points": limited[order],
                "points": pts[order],
            }
        if self.groups:
            names = pd.Index(list(self.groups), dtype=object)
            frame["group"] = pd.Categorical.from_codes(group_idx[order], categories=names)
        return pd.DataFrame(frame)

    def history(
        self,
        events: pd.DataFrame,
        dates: Iterable[object],
        *,
        contact: str = "contact_id",
        event: str = "event_type",
        time: str = "timestamp",
        quantity: str | None = None,
    ) -> pd.DataFrame:
        """Scores at each of ``dates``: one row per contact, one column per date.

        Each column equals :meth:`score` with that ``as_of``; a contact with no
        event yet scores 0. The log is validated and factorised once.

        Parameters
        ----------
        events : pandas.DataFrame
            The event log, as for :meth:`score`.
        dates : iterable of timestamp-like or float
            Scoring times, in any order (columns keep the given order).

        Returns
        -------
        pandas.DataFrame
            Indexed by every contact with an event at or before the latest
            date, columns the dates.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import ScoringModel
        >>> log = pd.DataFrame({"contact_id": ["a", "a", "b"], "event_type": ["x", "x", "x"],
        ...                     "timestamp": [0.0, 10.0, 20.0]})
        >>> ScoringModel({"x": 8}, half_life=10).history(log, [0, 10, 20])
                     0     10    20
        contact_id
        a           8.0  12.0  6.0
        b           0.0   0.0  8.0
        """
        marks = check_list(dates, name="dates")
        if not marks:
            raise ValidationError("dates must not be empty")
        base = self._prepare(
            events,
            as_of=None,
            contact=contact,
            event=event,
            time=time,
            keep_all=True,
            quantity=quantity,
        )
        resolved = [base.clock.to_days(d, f"dates[{i}]") for i, d in enumerate(marks)]
        last = max(resolved)
        days = base.time_days
        if base.keep_contacts:
            present = np.ones(len(base.contacts), dtype=bool)
        else:
            present = group_presence(base.contact_codes[days <= last], len(base.contacts))
        remap = np.cumsum(present) - 1
        columns = []
        if not (self._plain and base.quantity is None):
            # the rules read each contact's history up to the date: score the log at each
            whole = attrs.evolve(base, keep_contacts=True)
            for i, when in enumerate(resolved):  # a loop over dates, not rows
                at = whole.cut(
                    when, base.clock.to_raw(marks[i]) if base.clock.is_datetime else when
                )
                columns.append(at.scores(self)[present])
            data = np.column_stack(columns)
            return pd.DataFrame(
                data, index=base.contacts[present], columns=pd.Index(marks, dtype=object)
            )
        for when in resolved:  # a loop over dates, not rows
            keep = days <= when
            codes = remap[base.contact_codes[keep]]
            values = base.points_of(self)[keep] * decay_factor(
                when - days[keep], self._classic_decay(), self._scale()
            )
            columns.append(
                scores_from_values(
                    codes,
                    base.type_codes[keep],
                    values,
                    int(present.sum()),
                    self._type_caps(),
                    self._total_cap(),
                )
            )
        data = np.column_stack(columns) if columns else np.empty((int(present.sum()), 0))
        return pd.DataFrame(
            data, index=base.contacts[present], columns=pd.Index(marks, dtype=object)
        )

    def time_to_threshold(
        self,
        events: pd.DataFrame,
        threshold: float,
        *,
        as_of: object = None,
        contact: str = "contact_id",
        event: str = "event_type",
        time: str = "timestamp",
        quantity: str | None = None,
    ) -> pd.DataFrame:
        """When each contact's score will fall below ``threshold`` if nothing new happens.

        Closed form, for both decay kinds and with caps: between the moments a
        cap stops binding or an event expires, the score is linear in
        ``0.5 ** (t / half_life)`` (exponential) or in ``t`` (linear), so the
        first crossing is found segment by segment, vectorised over contacts.

        Parameters
        ----------
        events, as_of, contact, event, time, quantity
            As for :meth:`score`.
        threshold : float
            The score a contact must keep (e.g. the handover threshold).

        Returns
        -------
        pandas.DataFrame
            Indexed like :meth:`score`: ``score`` (now), ``days`` (0 if
            already below, ``inf`` if never: no decay, or a score that never
            drops below the threshold) and ``at`` (``as_of + days``: a
            Timestamp for a datetime log, NaT if never; a number of days
            otherwise).

        Notes
        -----
        Limits, quantities, resets and floors are taken into account (the
        floor is not checked again after ``as_of``: nothing happens then).
        A model with ``step_decay``, ``window``, ``inactivity`` or
        ``group_caps`` has no closed form here and raises; use
        :meth:`history` at future dates for those.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import ScoringModel
        >>> log = pd.DataFrame({"contact_id": ["a", "b"], "event_type": ["demo", "demo"],
        ...                     "timestamp": [0.0, 0.0]})
        >>> ScoringModel({"demo": 120}, half_life=30).time_to_threshold(log, 60)
                    score  days    at
        contact_id
        a           120.0  30.0  30.0
        b           120.0  30.0  30.0
        >>> ScoringModel({"demo": 120}, lifespan=90).time_to_threshold(log, 100)["days"].tolist()
        [15.0, 15.0]
        """
        theta = check_number(threshold, name="threshold")
        unsupported = [
            name
            for name, used in (
                ("step_decay", self.step_decay is not None),
                ("window", self.window is not None),
                ("inactivity", self.inactivity is not None),
                ("group_caps", bool(self.groups and self.group_caps)),
            )
            if used
        ]
        if unsupported:
            raise ValidationError(
                f"time_to_threshold has no closed form for a model with {unsupported[0]}: "
                "compute history() at future dates instead"
            )
        log = self._prepare(
            events, as_of=as_of, contact=contact, event=event, time=time, quantity=quantity
        )
        n = len(log.contacts)
        score = log.scores(self)
        if self.decay == "none" or n == 0:
            days = np.where(score < theta, 0.0, np.inf)
        else:
            days = self._days_to_threshold(log, theta)
        if self.cap is not None and theta > self.cap:
            days[:] = 0.0  # a capped score never reaches a threshold above the cap
        if log.clock.is_datetime:
            at: Any = days_to_datetimes(log.as_of_days + days, log.unit, log.clock.tz)
        else:
            at = log.as_of_days + days
        return pd.DataFrame({"score": score, "days": days, "at": at}, index=log.contacts)

    def _days_to_threshold(self, log: _Log, theta: float) -> npt.NDArray[np.float64]:
        n = len(log.contacts)
        rules, entries = log.entries(self)
        n_types = len(rules.types)
        caps = rules.type_caps
        contact_codes, type_codes = entries.contact, entries.types
        values = (
            entries.value if entries.live is None else np.where(entries.live, entries.value, 0.0)
        )
        if entries.adj_value.size:  # adjustments decay like events of an uncapped type of their own
            live = entries.adj_live
            contact_codes = np.concatenate([contact_codes, entries.adj_contact[live]])
            type_codes = np.concatenate([type_codes, np.full(int(live.sum()), n_types)])
            values = np.concatenate([values, entries.adj_value[live]])
            caps = np.append(caps, np.inf)
            n_types += 1
        pc, pt, sums = pair_sums(contact_codes, type_codes, values, n_types)
        binding = sums > caps[pt]
        value0 = group_sum(pc, np.minimum(sums, caps[pt]), n)
        if self.decay == "exponential":
            # in y = 1 - 0.5 ** (days / half_life): a type contributes min(s (1 - y), cap);
            # a binding cap holds it flat until y = 1 - cap / s, then it falls with slope -s
            slope0 = -group_sum(pc[~binding], sums[~binding], n)
            kink_y = 1.0 - caps[pt[binding]] / sums[binding]
            y = first_crossing(
                value0, slope0, np.full(n, theta), pc[binding], kink_y, -sums[binding], 1.0
            )
            with np.errstate(divide="ignore"):
                return np.where(y >= 1.0, np.inf, self._scale() * np.log2(1.0 / (1.0 - y)))
        # linear: each live event falls by points / lifespan a day until it expires
        life = self._scale()
        expiry = life - (log.as_of_days - entries.days)
        live = expiry > 0
        rate = entries.limited / life  # no adjustments here: they need a running decay
        pair_of_event = np.searchsorted(
            pc.astype(np.int64) * n_types + pt,
            entries.contact.astype(np.int64) * n_types + entries.types,
        )
        event_binds = binding[pair_of_event] & live
        # when does each binding (contact, type) sum fall to its cap?
        bind_pairs = np.flatnonzero(binding)
        pair_slot = np.full(sums.shape[0], -1, dtype=np.intp)
        pair_slot[bind_pairs] = np.arange(bind_pairs.size)
        slot = pair_slot[pair_of_event[event_binds]]
        release = first_crossing(
            sums[bind_pairs],
            -group_sum(slot, rate[event_binds], bind_pairs.size),
            caps[pt[bind_pairs]],
            slot,
            expiry[event_binds],
            rate[event_binds],
            life,
        )
        release_of_event = np.full(values.shape[0], np.nan)
        release_of_event[event_binds] = release[slot]
        # contact level: free events fall from the start; a binding type is flat until released,
        # then its events still alive fall until they expire
        free = live & ~event_binds
        after = event_binds & (expiry > release_of_event)
        slope0 = -group_sum(entries.contact[free], rate[free], n)
        release_drop = group_sum(slot[after[event_binds]], rate[after], bind_pairs.size)
        kink_group = np.concatenate([entries.contact[free], entries.contact[after], pc[bind_pairs]])
        kink_x = np.concatenate([expiry[free], expiry[after], release])
        kink_slope = np.concatenate([rate[free], rate[after], -release_drop])
        return first_crossing(
            value0, slope0, np.full(n, theta), kink_group, kink_x, kink_slope, life
        )

    # ---- mergeable partial aggregates (out of core, distributed) --------------

    def partial(
        self,
        events: pd.DataFrame,
        *,
        as_of: object,
        contact: str = "contact_id",
        event: str = "event_type",
        time: str = "timestamp",
        quantity: str | None = None,
    ) -> pd.DataFrame:
        """Decayed points per (contact, event type) of one chunk of the log.

        Partials of any split of a log add up (:meth:`combine`) to the
        partial of the whole log, because decay to a fixed ``as_of`` is a
        property of each event alone; :meth:`finalize` then applies the caps.
        So chunks, Parquet row groups or Dask/Spark partitions can be scored
        independently. ``as_of`` is required: the latest event of one chunk is
        not the latest of the log.

        A model with limits, a floor, inactivity or resets needs each
        contact's whole history in one chunk (split the log by contact);
        its partial holds the points of the events after each contact's
        last reset and one row with no event type for the contact's
        adjustments. :meth:`combine` checks that no contact is in two.

        Returns
        -------
        pandas.DataFrame
            Columns ``<contact>``, ``<event>`` (categorical of the model's
            event types; missing on adjustment rows) and ``points``.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import ScoringModel
        >>> model = ScoringModel({"visit": 5, "demo": 50}, event_caps={"visit": 12})
        >>> log = pd.DataFrame({"contact_id": ["a", "a", "a", "b"], "event_type": ["visit"] * 3 + ["demo"],
        ...                     "timestamp": [1.0, 2.0, 3.0, 4.0]})
        >>> parts = [model.partial(log.iloc[:2], as_of=4.0), model.partial(log.iloc[2:], as_of=4.0)]
        >>> model.finalize(model.combine(parts)).to_dict()
        {'a': 12.0, 'b': 50.0}
        """
        if as_of is None:
            raise ValidationError(
                "as_of is required for a partial score: a chunk does not know the latest event of the log"
            )
        log = self._prepare(
            events, as_of=as_of, contact=contact, event=event, time=time, quantity=quantity
        )
        return self._log_partial(log, None, contact, event)

    @property
    def _adjusts(self) -> bool:
        """Whether scores have adjustments (rows of no event type in partials)."""
        return self.floor is not None or self.inactivity is not None or bool(self.resets)

    def _log_partial(
        self, log: _Log, values: npt.NDArray[np.float64] | None, contact: str, event: str
    ) -> pd.DataFrame:
        types = self._rules().types
        if values is not None or (self._plain and log.quantity is None):
            values = log.values(self) if values is None else values
            pc, pt, sums = pair_sums(log.contact_codes, log.type_codes, values, len(types))
            return self._partial_frame(log.contacts.take(pc), pt, sums, contact, event)
        _, entries = log.entries(self)
        pc, pt, sums = pair_sums(entries.contact, entries.types, entries.live_values, len(types))
        if entries.adj_value.size:
            # a contact's live adjustments: one row with no event type
            keep = entries.adj_live
            ac, _, a_sums = pair_sums(
                entries.adj_contact[keep],
                np.zeros(int(keep.sum()), np.intp),
                entries.adj_value[keep],
                1,
            )
            pc = np.concatenate([pc, ac])
            pt = np.concatenate([pt, np.full(ac.size, -1, dtype=np.intp)])
            sums = np.concatenate([sums, a_sums])
            order = np.lexsort((np.where(pt < 0, len(types), pt), pc))
            pc, pt, sums = pc[order], pt[order], sums[order]
        return self._partial_frame(log.contacts.take(pc), pt, sums, contact, event)

    def _partial_frame(
        self,
        ids: pd.Index,
        type_codes: npt.NDArray[np.intp],
        sums: npt.NDArray[np.float64],
        contact: str,
        event: str,
    ) -> pd.DataFrame:
        types = pd.Index(list(self._rules().types), dtype=object)
        return pd.DataFrame(
            {
                contact: ids.to_numpy(),
                event: pd.Categorical.from_codes(type_codes, categories=types),
                "points": sums,
            }
        )

    def _partial_codes(
        self, partial: pd.DataFrame, contact: str, event: str
    ) -> tuple[
        npt.NDArray[np.intp], pd.Index, npt.NDArray[np.integer[Any]], npt.NDArray[np.float64]
    ]:
        """Contact codes, ids, type codes (``len(types)`` for an adjustment row) and points."""
        frame = check_frame(partial, name="partial")
        require_columns(frame, [contact, event, "points"], name="partial")
        check_no_missing(frame[contact], contact)
        codes, ids = factorize(frame[contact])
        types = list(self._rules().types)
        column = frame[event]
        adjustment = column.isna().to_numpy()
        if adjustment.any() and not self._adjusts:
            check_no_missing(column, event)  # only floors, inactivity and resets make such rows
        if adjustment.any():
            type_codes: npt.NDArray[np.integer[Any]] = np.full(
                len(frame), len(types), dtype=np.intp
            )
            type_codes[~adjustment] = _type_codes(column[~adjustment], event, types)
        else:
            type_codes = _type_codes(column, event, types)
        points = numeric_values(frame["points"], "points")
        if not np.isfinite(points).all():
            raise ValidationError("partial has missing or infinite points")
        return codes, ids, type_codes, points

    def combine(
        self,
        partials: Iterable[pd.DataFrame],
        *,
        contact: str = "contact_id",
        event: str = "event_type",
    ) -> pd.DataFrame:
        """Merge partial aggregates (from :meth:`partial`) by adding them up.

        A model with limits, a floor, inactivity or resets reads each
        contact's events together, so a contact must be in one partial only
        (chunks split by contact); a contact in two partials is an error.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import ScoringModel
        >>> model = ScoringModel({"visit": 5})
        >>> a = pd.DataFrame({"contact_id": ["x"], "event_type": ["visit"], "points": [5.0]})
        >>> model.combine([a, a])
          contact_id event_type  points
        0          x      visit    10.0
        """
        frames = [
            check_frame(p, name=f"partials[{i}]")
            for i, p in enumerate(check_iterable(partials, name="partials", what="partial frames"))
        ]
        if not frames:
            return self._partial_frame(
                pd.Index([]), np.array([], dtype=np.intp), np.array([]), contact, event
            )
        if self._rules().per_contact and len(frames) > 1:
            _check_whole_contacts(frames, contact)
        whole = pd.concat(frames, ignore_index=True)
        codes, ids, type_codes, points = self._partial_codes(whole, contact, event)
        n_types = len(self._rules().types)
        pc, pt, sums = pair_sums(codes, type_codes, points, n_types + 1)
        pt = np.where(pt == n_types, -1, pt)
        return self._partial_frame(ids.take(pc), pt, sums, contact, event)

    def finalize(
        self, partial: pd.DataFrame, *, contact: str = "contact_id", event: str = "event_type"
    ) -> pd.Series:
        """Scores from a (combined) partial aggregate: event caps, then the total cap.

        Equals :meth:`score` of the whole log at the same ``as_of``, up to
        floating-point rounding. See :meth:`partial`. Group caps apply to the
        capped sums of their types; rows with no event type (a model's
        adjustments) add to the total before the total cap.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import ScoringModel
        >>> partial = pd.DataFrame({"contact_id": ["x", "x"], "event_type": ["visit", "demo"],
        ...                         "points": [30.0, 50.0]})
        >>> ScoringModel({"visit": 5, "demo": 50}, event_caps={"visit": 20}).finalize(partial).tolist()
        [70.0]
        """
        codes, ids, type_codes, points = self._partial_codes(partial, contact, event)
        rules = self._rules()
        n_types = len(rules.types)
        pc, pt, sums = pair_sums(codes, type_codes, points, n_types + 1)
        typed = pt < n_types
        score = capped_total(
            pc[typed],
            pt[typed],
            sums[typed],
            len(ids),
            rules.type_caps,
            rules.group_of_type,
            rules.group_caps,
        )
        score += group_sum(pc[~typed], sums[~typed], len(ids))
        if math.isfinite(rules.total_cap):
            np.minimum(score, rules.total_cap, out=score)
        return pd.Series(score, index=ids.rename(contact), name="score")

    # ---- plain data ------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready plain data.

        Examples
        --------
        >>> from bbmkit import ScoringModel
        >>> ScoringModel({"visit": 5}, half_life=30).to_dict()["half_life"]
        30.0
        >>> ScoringModel({"visit": 5}, limits={"visit": (1, "W")}).to_dict()["limits"]
        {'visit': [1, 'W']}
        """
        return {
            "points": dict(self.points),
            "half_life": self.half_life,
            "lifespan": self.lifespan,
            "cap": self.cap,
            "event_caps": dict(self.event_caps),
            "groups": {name: list(members) for name, members in self.groups.items()},
            "group_caps": dict(self.group_caps),
            "limits": {name: list(limit) for name, limit in self.limits.items()},
            "step_decay": None if self.step_decay is None else list(self.step_decay),
            "window": self.window,
            "inactivity": None if self.inactivity is None else list(self.inactivity),
            "floor": self.floor,
            "resets": dict(self.resets),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoringModel:
        """Build a model from :meth:`to_dict`'s plain data, validating it.

        Examples
        --------
        >>> from bbmkit import ScoringModel
        >>> ScoringModel.from_dict({"points": {"visit": 5}, "cap": 100}).cap
        100.0
        """
        if not isinstance(data, Mapping):
            raise ValidationTypeError(
                f"scoring model must be a mapping, got {fmt(data)}", parameter="data"
            )
        allowed = {f.name for f in attrs.fields(cls)}
        unknown = sorted(map(str, set(data) - allowed))
        if unknown:
            raise ValidationError(
                f"scoring model has unknown field(s) {_listed(unknown)} (allowed: {', '.join(sorted(allowed))})",
                code="unknown_field",
                parameter=str(unknown[0]),
            )
        if "points" not in data:
            raise ValidationError(
                "scoring model is missing field(s) 'points'",
                code="missing_field",
                parameter="points",
            )
        kwargs = {k: v for k, v in data.items() if k != "points" and v is not None}
        return cls(data["points"], **kwargs)

    # ---- boundary --------------------------------------------------------

    def _prepare(
        self,
        events: object,
        *,
        as_of: object,
        contact: str,
        event: str,
        time: str,
        keep_all: bool = False,
        slots: bool = False,
        slot_span: int = 0,
        name: str = "events",
        quantity: str | None = None,
    ) -> _Log:
        if isinstance(events, EventLog):
            if quantity is not None:
                raise ValidationError(
                    "quantity is set when the EventLog is built: "
                    "EventLog.from_frame(events, quantity=...)"
                )
            log = events._for_model(self)
            if keep_all:
                return log
            return log.at(as_of)
        frame = check_frame(events, name=name)
        _check_column_name(quantity, "quantity", optional=True)
        require_columns(
            frame, [contact, event, time] + ([quantity] if quantity is not None else []), name=name
        )
        for column in (contact, event):
            check_no_missing(frame[column], column)
        times, per_day, clock = _times(frame[time], time)
        type_codes = _type_codes(frame[event], event, list(self._rules().types))
        present = None
        if slots:  # dense integer ids stay offsets; callers drop unused slots at the end
            contact_codes, contacts, present = factorize_slots(frame[contact], max_span=slot_span)
        else:
            contact_codes, contacts = factorize(frame[contact])
        contacts = contacts.rename(contact)
        log = _Log(
            contact_codes=contact_codes,
            contacts=contacts,
            type_codes=type_codes,
            times=times,
            per_day=per_day,
            clock=clock,
            as_of_days=math.nan,
            present=present,
            quantity=None if quantity is None else _quantities(frame[quantity], quantity),
        )
        if keep_all:
            return log
        return log.at(as_of)


def _check_whole_contacts(frames: list[pd.DataFrame], contact: str) -> None:
    """A contact in two partials of a model that reads each contact's events together is an error."""
    parts = []
    for i, frame in enumerate(frames):
        require_columns(frame, [contact], name=f"partials[{i}]")
        parts.append(pd.Index(frame[contact]).unique())
    twice = repeated(parts[0].append(parts[1:]))
    if twice is not None:
        first = parts[0].append(parts[1:])[int(np.argmax(twice))]
        raise ValidationError(
            f"contact {fmt(first)} is in two partials; a model with limits, a floor, inactivity "
            "or resets reads each contact's events together, so split the log by contact",
            code="duplicate",
            parameter="partials",
        )


def _check_column_name(value: object, name: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise ValidationTypeError(f"{name} must be a column name (str), got {fmt(value)}")


def _quantities(column: pd.Series, name: str) -> npt.NDArray[np.float64]:
    """Occurrences per row: whole numbers >= 0 (an aggregated export's counts)."""
    values = numeric_values(column, name)
    bad = ~np.isfinite(values) | (values < 0) | (values != np.floor(values))
    if bad.any():
        where = int(np.argmax(bad))
        raise ValidationError(
            f"column {name!r} must hold whole numbers of occurrences >= 0, got "
            f"{fmt(values[where])} at index {fmt(column.index[where])} ({int(bad.sum())} such row(s))"
        )
    return values


@functools.lru_cache(maxsize=128)
def _type_index(model: ScoringModel) -> dict[str, int]:
    """Code of every event type the model knows (points, then reset types)."""
    return {t: i for i, t in enumerate(_model_rules(model).types)}


@functools.lru_cache(maxsize=128)
def _model_rules(model: ScoringModel) -> _rules.Rules:
    return _rules.build_rules(model)


def _listed(items: Sequence[object]) -> str:
    shown = ", ".join(fmt(i) for i in items[:_MAX_LISTED])
    return shown + (f", ... ({len(items)} in all)" if len(items) > _MAX_LISTED else "")


@attrs.frozen
class _Clock:
    """How a log's times map to float days: datetimes (with zone) or plain days."""

    is_datetime: bool
    tz: Any = None
    unit: str = "ns"  # of the log's datetimes
    column: str = "timestamp"  # the log's time column, named in errors

    def to_days(self, value: object, name: str = "as_of") -> float:
        if not self.is_datetime:
            return check_number(value, name=name)
        if _is_real(value) or isinstance(value, bool):
            raise ValidationTypeError(
                f"{name} must be a timestamp for a log of datetimes, got {fmt(value)}"
            )
        stamp = check_timestamp(
            value, name=name, tz=self.tz, data=f"column {self.column!r}", end_of_day=True
        )
        return timestamp_days(stamp, self.unit)

    def to_raw(self, value: object) -> int | float:
        """``value`` as the log stores times: ticks of its unit (exact), or days."""
        if not self.is_datetime:
            return check_number(value, name="as_of")
        stamp = check_timestamp(
            value, name="as_of", tz=self.tz, data=f"column {self.column!r}", end_of_day=True
        )
        try:
            stamp = stamp.floor(self.unit).as_unit(self.unit)  # type: ignore[arg-type]
        except (OverflowError, ValueError):  # beyond the unit: no event to tie with
            return timestamp_days(stamp) * TICKS_PER_DAY[self.unit]
        return int(stamp.asm8.view(np.int64))


_UNIT_OF = {float(ticks): unit for unit, ticks in TICKS_PER_DAY.items()}


def _times(
    column: pd.Series, name: str
) -> tuple[npt.NDArray[np.int64] | npt.NDArray[np.float64], float | None, _Clock]:
    raw, per_day, tz = raw_times(column, name)
    if tz is False:
        return raw, per_day, _Clock(is_datetime=False, column=name)
    unit = _UNIT_OF[per_day]  # type: ignore[index]
    return raw, per_day, _Clock(is_datetime=True, tz=tz, unit=unit, column=name)


def _type_codes(column: pd.Series, name: str, types: list[str]) -> npt.NDArray[np.integer[Any]]:
    """Index into ``types`` of every event, in the smallest integer type that holds it."""
    codes, labels = small_codes(column)
    return _map_types(codes, labels, None, name, types)


def _map_types(
    codes: npt.NDArray[np.integer[Any]],
    labels: pd.Index,
    counts: npt.NDArray[np.int64] | None,
    name: str,
    types: list[str],
) -> npt.NDArray[np.integer[Any]]:
    """Event codes over ``labels`` as indexes into a model's ``types``; unused labels may be unknown."""
    lookup = pd.Index(types, dtype=object).get_indexer(labels)
    unknown: list[object] = []
    if (lookup < 0).any():  # only then find out whether an unknown label is used
        if counts is None:
            counts = np.bincount(codes.astype(np.intp), minlength=len(labels))
        unknown = list(labels[(counts > 0) & (lookup < 0)])
    if unknown:
        raise ValidationError(
            f"column {name!r} has event type(s) with no points: {_listed(sorted(map(str, unknown)))} "
            f"(points are given for: {_listed(types)})"
        )
    if np.array_equal(lookup, np.arange(len(lookup))):
        return codes  # labels in the order of the points: no pass at all
    # small code type: the mapped codes are read again by every later pass
    mapped: npt.NDArray[np.integer[Any]] = lookup.astype(smallest_int(len(types)))[codes]
    return mapped


@attrs.frozen
class _Log:
    """A validated, factorised event log (the boundary's output)."""

    contact_codes: npt.NDArray[np.intp]
    contacts: pd.Index
    type_codes: npt.NDArray[np.integer[Any]]
    # as stored: nanoseconds of datetimes (``per_day`` a day) or float days (``per_day`` None)
    times: npt.NDArray[np.int64] | npt.NDArray[np.float64]
    per_day: float | None
    clock: _Clock
    as_of_days: float
    # with slot codes: which of ``contacts`` have events (None: all of them)
    present: npt.NDArray[np.bool_] | None = None
    # a log mapped onto a given contact list keeps every contact, with or without events
    keep_contacts: bool = False
    # occurrences each row stands for (None: one)
    quantity: npt.NDArray[np.float64] | None = None
    # as_of as stored times are (ticks of the log's unit, or days): calendars need it exact
    as_of_raw: int | float = math.nan

    def resolve_as_of(self, as_of: object) -> float:
        return self.clock.to_days(as_of)

    def at(self, as_of: object) -> _Log:
        """The log cut at ``as_of`` (default: its latest event)."""
        if as_of is None:
            return self.cut(None)
        days = self.resolve_as_of(as_of)
        return self.cut(days, self.clock.to_raw(as_of))

    def times_for_rules(self) -> _rules.Times:
        return _rules.Times(
            days=self.time_days,
            raw=self.times,
            per_day=self.per_day,
            unit=self.unit,
            tz=self.clock.tz,
            as_of_raw=self.as_of_raw,
        )

    def entries(self, model: ScoringModel) -> tuple[_rules.Rules, _rules.Entries]:
        rules = model._rules()
        entries = _rules.evaluate(
            rules,
            self.contact_codes,
            self.type_codes,
            self.times_for_rules(),
            self.quantity,
            self.as_of_days,
            len(self.contacts),
        )
        return rules, entries

    @property
    def unit(self) -> str:
        """The datetime unit of the times (``"ns"`` for a log of plain days)."""
        return self.clock.unit

    @property
    def time_days(self) -> npt.NDArray[np.float64]:
        """Float days of every event (a new array for datetimes: bind it once)."""
        if self.per_day is None:
            return self.times  # type: ignore[return-value]
        return divided(self.times, self.per_day)  # type: ignore[arg-type]

    def _days(self, value: object) -> float:
        # the same rounding as numpy's elementwise int -> float, then division
        return float(value) if self.per_day is None else float(value) / self.per_day  # type: ignore[arg-type]

    def cut(self, as_of_days: float | None, as_of_raw: int | float | None = None) -> _Log:
        """Keep events at or before ``as_of`` (default: the latest) and their contacts."""
        latest_raw = self.times.max() if self.times.size else None
        latest = self._days(latest_raw) if latest_raw is not None else -math.inf
        if as_of_days is None:
            as_of_days = latest if self.times.size else 0.0
            as_of_raw = latest_raw.item() if latest_raw is not None else 0
        if as_of_raw is None:  # ticks of float days: exact enough for all but calendars
            as_of_raw = as_of_days if self.per_day is None else round(as_of_days * self.per_day)
        if latest <= as_of_days:  # the common case of scoring now: nothing to cut
            return attrs.evolve(self, as_of_days=as_of_days, as_of_raw=as_of_raw)
        keep = self.time_days <= as_of_days
        quantity = None if self.quantity is None else self.quantity[keep]
        if self.keep_contacts:
            return attrs.evolve(
                self,
                contact_codes=self.contact_codes[keep],
                type_codes=self.type_codes[keep],
                times=self.times[keep],
                as_of_days=as_of_days,
                quantity=quantity,
                as_of_raw=as_of_raw,
            )
        present = group_presence(self.contact_codes[keep], len(self.contacts))
        remap = np.cumsum(present) - 1
        return _Log(
            contact_codes=remap[self.contact_codes[keep]],
            contacts=self.contacts[present],
            type_codes=self.type_codes[keep],
            times=self.times[keep],
            per_day=self.per_day,
            clock=self.clock,
            as_of_days=as_of_days,
            quantity=quantity,
            as_of_raw=as_of_raw,
        )

    def points_of(self, model: ScoringModel) -> npt.NDArray[np.float64]:
        points = np.array(list(model.points.values()), dtype=np.float64)
        return np.take(points, self.type_codes)

    def _decay_inputs(
        self, model: ScoringModel
    ) -> tuple[
        npt.NDArray[np.int64] | npt.NDArray[np.float64],
        npt.NDArray[np.integer[Any]],
        npt.NDArray[np.float64],
        float,
        DecayKind,
        float,
        float | None,
    ]:
        """The arguments of :func:`decayed_points` for this log and ``model``."""
        points = np.array(list(model.points.values()), dtype=np.float64)
        return (
            self.times,
            self.type_codes,
            points,
            self.as_of_days,
            model._classic_decay(),
            model._scale(),
            self.per_day,
        )

    def scores(self, model: ScoringModel) -> npt.NDArray[np.float64]:
        """Capped score of every contact of the log (0.0 for a contact without events)."""
        if not (model._plain and self.quantity is None):
            rules, entries = self.entries(model)
            return _rules.score_of(entries, rules, len(self.contacts))
        return scores_from_log(
            *self._decay_inputs(model),
            self.contact_codes,
            len(self.contacts),
            model._type_caps(),
            model._total_cap(),
        )

    def values(self, model: ScoringModel) -> npt.NDArray[np.float64]:
        """Each event's points at ``as_of`` (after limits and resets, for a model with rules)."""
        if model._plain and self.quantity is None:
            return decayed_points(*self._decay_inputs(model))
        _, entries = self.entries(model)
        return entries.in_log_order(entries.live_values)


# --------------------------------------------------------------------------
# a log mapped once, scored many times


@attrs.frozen(repr=False, eq=False)
class EventLog:
    """An event log validated and mapped to integer codes once, to score many times.

    Every :class:`ScoringModel` method takes an ``EventLog`` wherever it
    takes an events DataFrame. Checking the columns, converting the times and
    mapping contact ids and event types to codes is most of the cost of
    scoring a large log; an ``EventLog`` pays it once for any number of
    models, ``as_of`` dates, histories or ledgers. Build it with
    :meth:`from_frame`; the column names given there name the outputs.

    With ``contacts`` (every contact id, e.g. the CRM's contact table), event
    ids are matched to that list instead of factorised, an event of an
    unknown contact is an error, and scores cover every listed contact in its
    order (0.0 for a contact without events), ready to align with the
    contact table.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import EventLog, ScoringModel
    >>> events = pd.DataFrame({"contact_id": ["a", "a", "b"],
    ...                        "event_type": ["visit", "demo", "visit"],
    ...                        "timestamp": [0.0, 10.0, 20.0]})
    >>> log = EventLog.from_frame(events)
    >>> log
    EventLog(3 events, 2 contacts, 2 event types, times in days)
    >>> ScoringModel({"visit": 5, "demo": 50}).score(log).tolist()
    [55.0, 5.0]
    >>> ScoringModel({"visit": 5, "demo": 50}, half_life=10).score(log, as_of=10).tolist()
    [52.5]
    >>> everyone = EventLog.from_frame(events, contacts=["c", "b", "a"])
    >>> ScoringModel({"visit": 5, "demo": 50}).score(everyone).to_dict()
    {'c': 0.0, 'b': 5.0, 'a': 55.0}
    """

    _log: _Log
    _event_types: pd.Index
    _type_counts: npt.NDArray[np.int64]
    contact: str
    event: str
    time: str

    @classmethod
    def from_frame(
        cls,
        events: pd.DataFrame,
        *,
        contact: str = "contact_id",
        event: str = "event_type",
        time: str = "timestamp",
        contacts: pd.Index | pd.Series | Sequence[Any] | npt.NDArray[Any] | None = None,
        quantity: str | None = None,
    ) -> EventLog:
        """Validate and map an events DataFrame (the checks of :meth:`ScoringModel.score`).

        Parameters
        ----------
        events : pandas.DataFrame
            Event log with a contact id, an event type and a time column.
        contact, event, time : str
            Column names; they also name the outputs of scoring the log.
        contacts : Index, Series, array or sequence, optional
            Every contact id (unique). Events are matched to it, and scores
            cover all of its contacts in this order.
        quantity : str, optional
            Column of occurrences per row (whole numbers >= 0), as in
            :meth:`ScoringModel.score`; every scoring of the log uses it.

        Returns
        -------
        EventLog

        Raises
        ------
        ValidationError
            Missing columns or values, bad times, duplicated ``contacts``, or
            an event whose contact is not in ``contacts``.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import EventLog
        >>> events = pd.DataFrame({"who": [7, 7, 9], "what": ["visit"] * 3,
        ...                        "when": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"])})
        >>> EventLog.from_frame(events, contact="who", event="what", time="when").n_events
        3
        """
        frame = check_frame(events, name="events")
        for name, value in (("contact", contact), ("event", event), ("time", time)):
            if not isinstance(value, str):
                raise ValidationTypeError(f"{name} must be a column name (str), got {fmt(value)}")
        _check_column_name(quantity, "quantity", optional=True)
        require_columns(
            frame,
            [contact, event, time] + ([quantity] if quantity is not None else []),
            name="events",
        )
        for column in (contact, event):
            check_no_missing(frame[column], column)
        times, per_day, clock = _times(frame[time], time)
        counts_of_rows = None if quantity is None else _quantities(frame[quantity], quantity)
        event_codes, event_types = small_codes(frame[event])
        counts = np.bincount(event_codes.astype(np.intp), minlength=len(event_types))
        if contacts is None:
            contact_codes, ids = factorize(frame[contact])
            keep_contacts = False
        else:
            ids = _contact_list(contacts)
            contact_codes = positions(ids, pd.Index(frame[contact]))
            unknown = contact_codes < 0
            if unknown.any():
                first = frame[contact].iloc[int(np.argmax(unknown))]
                raise ValidationError(
                    f"column {contact!r} has {int(unknown.sum())} event(s) of contacts that are not "
                    f"in contacts (first: {fmt(first)})"
                )
            keep_contacts = True
        log = _Log(
            contact_codes=contact_codes,
            contacts=ids.rename(contact),
            type_codes=event_codes,
            times=times,
            per_day=per_day,
            clock=clock,
            as_of_days=math.nan,
            keep_contacts=keep_contacts,
            quantity=counts_of_rows,
        )
        return cls(log, event_types, counts, contact, event, time)

    @property
    def n_events(self) -> int:
        """Number of events in the log.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import EventLog
        >>> EventLog.from_frame(pd.DataFrame({"contact_id": [1], "event_type": ["x"],
        ...                                   "timestamp": [0.0]})).n_events
        1
        """
        return int(self._log.times.shape[0])

    @property
    def contacts(self) -> pd.Index:
        """The contact ids of the log (sorted), or the ``contacts`` it was given.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import EventLog
        >>> EventLog.from_frame(pd.DataFrame({"contact_id": [2, 1, 2], "event_type": ["x"] * 3,
        ...                                   "timestamp": [0.0] * 3})).contacts.tolist()
        [1, 2]
        """
        return self._log.contacts

    @property
    def event_types(self) -> list[Any]:
        """The event types that occur in the log, sorted (category order for a categorical).

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import EventLog
        >>> EventLog.from_frame(pd.DataFrame({"contact_id": [1, 1], "event_type": ["b", "a"],
        ...                                   "timestamp": [0.0, 1.0]})).event_types
        ['a', 'b']
        """
        return list(self._event_types[self._type_counts > 0])

    def __repr__(self) -> str:
        clock = self._log.clock
        kind = "times in days" if not clock.is_datetime else f"datetimes ({clock.tz or 'naive'})"
        return (
            f"EventLog({self.n_events:,} events, {len(self.contacts):,} contacts, "
            f"{len(self.event_types)} event types, {kind})"
        )

    def _for_model(self, model: ScoringModel) -> _Log:
        """The log with event codes mapped to ``model``'s point table (a copy-free view if aligned)."""
        codes = _map_types(
            self._log.type_codes,
            self._event_types,
            self._type_counts,
            self.event,
            list(model._rules().types),
        )
        return attrs.evolve(self._log, type_codes=codes)


def _contact_list(contacts: object) -> pd.Index:
    if isinstance(contacts, pd.DataFrame | str | bytes):
        raise ValidationTypeError(
            f"contacts must be an Index, Series, array or sequence of ids, got {fmt(contacts)}"
        )
    try:
        ids: pd.Index = pd.Index(contacts)  # type: ignore[call-overload]
    except (TypeError, ValueError) as err:
        raise ValidationTypeError(
            f"contacts must be an Index, Series, array or sequence of ids, got {fmt(contacts)}"
        ) from err
    if ids.hasnans:
        raise ValidationError("contacts has missing ids")
    dup = repeated(ids)
    if dup is not None:
        raise ValidationError(
            f"contacts has {int(dup.sum())} repeated id(s) (first: {fmt(ids[int(np.argmax(dup))])})"
        )
    return ids


# --------------------------------------------------------------------------
# fit x engagement grade


def grade(
    fit: pd.Series,
    score: pd.Series,
    *,
    fit_bands: Sequence[float] = (0.75, 0.5, 0.25),
    score_bands: Sequence[float] = (100.0, 50.0, 25.0),
    letters: Sequence[str] | None = None,
    numbers: Sequence[str] | None = None,
) -> pd.Series:
    """Letter-number grade from ICP fit (letter) and behavioural score (number).

    ``A`` is the best fit and ``1`` the most engaged, as in the common
    marketing-automation grids: with the default bands a lead with fit
    >= 0.75 and score >= 100 is ``"A1"``, one with fit < 0.25 and score < 25
    is ``"D4"``.

    Parameters
    ----------
    fit : pandas.Series
        ICP fit in [0, 1] (e.g. :meth:`ICPProfile.fit`), indexed by contact.
    score : pandas.Series
        Behavioural score indexed by contact (e.g. :meth:`ScoringModel.score`).
        Contacts in ``fit`` without a score count as 0; a contact with a score
        but no fit is an error.
    fit_bands, score_bands : sequence of float
        Strictly decreasing lower bounds of the letters ``A, B, ...`` and the
        numbers ``1, 2, ...``; values below the last bound get the next letter
        or number. At most 25 fit bands.
    letters, numbers : sequence of str, optional
        Names of the fit and score bands, best first (one more than the
        bands); default ``A, B, ...`` and ``1, 2, ...``.

    Returns
    -------
    pandas.Series
        ``"grade"``, strings, indexed like ``fit``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import grade
    >>> fit = pd.Series({"a": 0.9, "b": 0.6, "c": 0.1})
    >>> score = pd.Series({"a": 120.0, "b": 30.0})
    >>> grade(fit, score).to_dict()
    {'a': 'A1', 'b': 'B3', 'c': 'D4'}

    HubSpot's three-by-three matrix (fit A to C, engagement 1 to 3), and
    labels of one's own:

    >>> grade(fit, score, fit_bands=(0.7, 0.4), score_bands=(70, 40)).to_dict()
    {'a': 'A1', 'b': 'B3', 'c': 'C3'}
    >>> grade(fit, score, fit_bands=(0.5,), score_bands=(50,),
    ...       letters=["fit-", "nofit-"], numbers=["hot", "cold"]).to_dict()
    {'a': 'fit-hot', 'b': 'fit-cold', 'c': 'nofit-cold'}
    """
    for name, series in (("fit", fit), ("score", score)):
        if not isinstance(series, pd.Series):
            raise ValidationTypeError(
                f"{name} must be a pandas Series, got {type(series).__name__}"
            )
        if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            raise ValidationTypeError(f"{name} must hold numbers, got dtype {series.dtype}")
        if not series.index.is_unique:
            raise ValidationError(f"{name} has duplicated index labels")
    fit_values = fit.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~((fit_values >= 0) & (fit_values <= 1))
    if bad.any():
        raise ValidationError(
            f"fit must be in [0, 1], got {fmt(fit_values[bad][0])} at index {fmt(fit.index[int(np.argmax(bad))])}"
        )
    extra = score.index.difference(fit.index)
    if len(extra):
        raise ValidationError(
            f"score has {len(extra)} contact(s) with no fit (first: {fmt(extra[0])})"
        )
    scores = score.reindex(fit.index, fill_value=0.0).to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(scores).any():
        raise ValidationError("score has missing values")
    letter = _band_index(fit_values, _bands(fit_bands, "fit_bands", limit=25))
    number = _band_index(scores, _bands(score_bands, "score_bands", limit=None))
    letter_names = _labels(
        letters, "letters", [chr(ord("A") + i) for i in range(len(fit_bands) + 1)]
    )
    number_names = _labels(numbers, "numbers", [str(i + 1) for i in range(len(score_bands) + 1)])
    return pd.Series(letter_names[letter] + number_names[number], index=fit.index, name="grade")


def _labels(labels: object, name: str, default: list[str]) -> npt.NDArray[np.object_]:
    """Band names: ``default`` or one string per band (their count is the bands' plus one)."""
    if labels is None:
        return np.array(default, dtype=object)
    names = check_list(labels, name=name)
    if len(names) != len(default) or not all(isinstance(n, str) for n in names):
        raise ValidationError(
            f"{name} must be {len(default)} strings (one per band, best first), got {fmt(labels)}"
        )
    return np.array(names, dtype=object)


def _bands(bands: Sequence[float], name: str, *, limit: int | None) -> npt.NDArray[np.float64]:
    if isinstance(bands, str | bytes) or not isinstance(bands, Sequence) or not bands:
        raise ValidationTypeError(
            f"{name} must be a non-empty sequence of numbers, got {fmt(bands)}"
        )
    values = np.array([check_number(b, name=name) for b in bands], dtype=np.float64)
    if np.any(np.diff(values) >= 0):
        raise ValidationError(f"{name} must be strictly decreasing, got {fmt(tuple(bands))}")
    if limit is not None and values.size > limit:
        raise ValidationError(f"{name} allows at most {limit} bands, got {values.size}")
    return values


def _band_index(
    values: npt.NDArray[np.float64], bands: npt.NDArray[np.float64]
) -> npt.NDArray[np.intp]:
    # number of bounds the value does not reach = its band (0 = best)
    band: npt.NDArray[np.intp] = (values[:, None] < bands[None, :]).sum(axis=1).astype(np.intp)
    return band
