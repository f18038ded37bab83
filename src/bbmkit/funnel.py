"""Funnel maths: stage-to-stage conversion, projection, reverse planning, what-if.

A :class:`Funnel` is an ordered list of stages and the conversion rate of
each transition. With typical customer-journey rates (20 %, 40 %,
40 %, 10 %), 10,000 aware people become 2,000 leads, 800 prospects, 320
customers and 32 promoters; 5 customers need 156.25 aware people in
expectation.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._convert import factorize, small_codes
from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._kernels import (
    aalen_johansen,
    group_count,
    group_median,
    group_presence,
    loglog_interval,
)
from bbmkit._validation import (
    as_bool_array,
    check_frame,
    check_in_choices,
    check_int,
    check_list,
    check_no_missing,
    check_number,
    check_rate,
    check_timestamp,
    datetime_array,
    fmt,
    optional_times,
    real_to_float,
    require_columns,
    timestamp_days,
)
from bbmkit.stats import check_probability, plan_trials, proportion_ci

__all__ = [
    "CUSTOMER_JOURNEY",
    "DEMAND_WATERFALL",
    "Funnel",
    "conversion_curve",
    "funnel_from_events",
    "icp_funnel",
    "retention",
    "stage_log",
]

CUSTOMER_JOURNEY: tuple[str, ...] = ("awareness", "lead", "prospect", "customer", "promoter")
"""The customer journey: awareness, lead, prospect, customer, promoter."""

DEMAND_WATERFALL: tuple[str, ...] = ("PL", "AL", "ML", "MAL", "MQL", "SAL", "SQL", "C")
"""Demand-waterfall statuses: potential, anonymous, marketing, marketing-accepted,
marketing-qualified, sales-accepted, sales-qualified lead, customer."""

_JOURNEY_RATES = (0.2, 0.4, 0.4, 0.1)


def _stages_converter(stages: object) -> object:
    if isinstance(stages, str | bytes) or not isinstance(stages, Sequence | pd.Index):
        return stages
    return tuple(stages)


def _validate_stages(_: Funnel, __: attrs.Attribute[Any], stages: object) -> None:
    if not isinstance(stages, tuple):
        raise ValidationTypeError(f"stages must be a list of stage names, got {fmt(stages)}")
    if len(stages) < 2:
        raise ValidationError(
            f"a funnel needs at least 2 stages, got {len(stages)}", code="empty", parameter="stages"
        )
    for stage in stages:
        if not isinstance(stage, str) or not stage:
            raise ValidationTypeError(f"stage names must be non-empty strings, got {fmt(stage)}")
    seen = set()
    for stage in stages:
        if stage in seen:
            raise ValidationError(f"stage names must be unique, {stage!r} appears twice")
        seen.add(stage)


def _rates_converter(rates: object) -> object:
    if isinstance(rates, pd.Series):
        rates = rates.tolist()
    if isinstance(rates, str | bytes) or not isinstance(rates, Sequence | np.ndarray):
        return rates
    return tuple(real_to_float(r) for r in rates)


def _validate_rates(instance: Funnel, _: attrs.Attribute[Any], rates: object) -> None:
    if not isinstance(rates, tuple):
        raise ValidationTypeError(f"rates must be a list of rates, got {fmt(rates)}")
    stages = instance.stages
    if len(rates) != len(stages) - 1:
        raise ValidationError(
            f"rates must have one rate per transition: {len(stages) - 1} for {len(stages)} "
            f"stages, got {len(rates)}"
        )
    for i, rate in enumerate(rates):
        check_rate(rate, name=f"rate {stages[i]} -> {stages[i + 1]}")


@attrs.frozen
class Funnel:
    """Ordered stages and the conversion rate of each transition.

    Parameters
    ----------
    stages : sequence of str
        Stage names in funnel order (at least 2, unique).
    rates : sequence of float
        ``rates[i]`` is the share of ``stages[i]`` that reaches
        ``stages[i + 1]``, in [0, 1]; one per transition.

    Examples
    --------
    >>> from bbmkit import Funnel
    >>> f = Funnel.customer_journey()
    >>> f.project(10_000)
    stage
    awareness    10000.0
    lead          2000.0
    prospect       800.0
    customer       320.0
    promoter        32.0
    Name: expected, dtype: float64
    >>> f.required(5, stage="customer")
    stage
    awareness    156.25
    lead          31.25
    prospect      12.50
    customer       5.00
    Name: required, dtype: float64
    """

    stages: tuple[str, ...] = attrs.field(converter=_stages_converter, validator=_validate_stages)
    rates: tuple[float, ...] = attrs.field(converter=_rates_converter, validator=_validate_rates)

    # ---- presets and constructors ------------------------------------------

    @classmethod
    def customer_journey(cls, rates: Sequence[float] = _JOURNEY_RATES) -> Funnel:
        """awareness -> lead -> prospect -> customer -> promoter (20 %, 40 %, 40 %, 10 % by default).

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> Funnel.customer_journey().rates
        (0.2, 0.4, 0.4, 0.1)
        """
        return cls(CUSTOMER_JOURNEY, rates)

    @classmethod
    def demand_waterfall(cls, rates: Sequence[float]) -> Funnel:
        """PL -> AL -> ML -> MAL -> MQL -> SAL -> SQL -> C with the given 7 rates.

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> f = Funnel.demand_waterfall([0.1, 0.3, 0.9, 0.4, 0.6, 0.5, 0.3])
        >>> f.stages[-1], round(f.overall_rate("MQL"), 3)
        ('C', 0.09)
        """
        return cls(DEMAND_WATERFALL, rates)

    @classmethod
    def from_counts(cls, counts: pd.Series) -> Funnel:
        """Rates from the counts reaching each stage: ``rate_i = counts[i+1] / counts[i]``.

        Parameters
        ----------
        counts : pandas.Series
            Whole, non-negative counts indexed by stage name, in funnel order;
            each at most the previous one, none zero before the last.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import Funnel
        >>> Funnel.from_counts(pd.Series({"lead": 400, "mql": 100, "sql": 40})).rates
        (0.25, 0.4)
        """
        if not isinstance(counts, pd.Series):
            raise ValidationTypeError(
                f"counts must be a pandas Series indexed by stage, got {type(counts).__name__}"
            )
        if not pd.api.types.is_numeric_dtype(counts.dtype) or pd.api.types.is_bool_dtype(
            counts.dtype
        ):
            raise ValidationTypeError(f"counts must hold numbers, got dtype {counts.dtype}")
        values = counts.to_numpy(dtype=np.float64, na_value=np.nan)
        stages = [str(s) if isinstance(s, str) else s for s in counts.index]
        for stage, value in zip(stages, values, strict=True):
            if not (np.isfinite(value) and value >= 0 and value == np.round(value)):
                raise ValidationError(
                    f"counts must be non-negative whole numbers, got {fmt(value)} for stage {fmt(stage)}"
                )
        for i in range(1, len(values)):
            if values[i] > values[i - 1]:
                raise ValidationError(
                    f"count for {stages[i]!r} ({fmt(values[i])}) is larger than for the previous "
                    f"stage {stages[i - 1]!r} ({fmt(values[i - 1])}); counts must not grow along the funnel",
                    parameter="counts",
                )
            if values[i - 1] == 0:
                raise ValidationError(
                    f"count for {stages[i - 1]!r} is 0, so the rate to {stages[i]!r} is undefined",
                    parameter="counts",
                )
        return cls(stages, tuple((values[1:] / values[:-1]).tolist()))

    # ---- lookups ------------------------------------------------------------

    def _position(self, stage: object, name: str = "stage") -> int:
        if not isinstance(stage, str):  # an array would be compared element by element
            raise ValidationTypeError(f"{name} must be a stage name (str), got {fmt(stage)}")
        try:
            return self.stages.index(stage)
        except ValueError:
            raise ValidationError(
                f"unknown {name} {fmt(stage)} (stages: {', '.join(self.stages)})"
            ) from None

    @property
    def transitions(self) -> pd.DataFrame:
        """One row per transition: ``from``, ``to``, ``rate``.

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> Funnel(["lead", "mql", "sql"], [0.25, 0.4]).transitions
           from   to  rate
        0  lead  mql  0.25
        1   mql  sql  0.40
        """
        return pd.DataFrame({"from": self.stages[:-1], "to": self.stages[1:], "rate": self.rates})

    # ---- forward, reverse, what-if ---------------------------------------------

    def project(self, top: float) -> pd.Series:
        """Expected counts at every stage from ``top`` entering the first stage.

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> Funnel.customer_journey().with_rate("awareness", 0.3).project(10_000)["customer"]
        np.float64(480.0)
        """
        start = check_number(top, name="top", low=0.0)
        # multiply stage by stage, as by hand: 10,000 x 0.2 x 0.4 gives exactly 800
        counts = np.cumprod(np.concatenate([[start], self.rates]))
        return pd.Series(counts, index=pd.Index(self.stages, name="stage"), name="expected")

    def required(self, target: float, *, stage: str | None = None) -> pd.Series:
        """Expected counts needed at every stage up to ``stage`` to end with ``target`` there.

        Expected values (5 customers need 156.25 aware people at 3.2 %):
        rounding up to whole people is the caller's choice, e.g.
        ``np.ceil(f.required(5))``. A zero rate on the way makes the target
        unreachable: the stages before it need ``inf``. For a count that
        reaches the target with a given probability, see :meth:`required_top`.

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> Funnel.customer_journey().required(32).tolist()
        [10000.0, 2000.0, 800.0, 320.0, 32.0]
        """
        goal = check_number(target, name="target", low=0.0)
        end = len(self.stages) - 1 if stage is None else self._position(stage)
        rates = np.asarray(self.rates[:end], dtype=np.float64)
        # divide stage by stage backwards, as by hand: 5 / 0.4 / 0.4 / 0.2 = 156.25 exactly
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            needed = np.divide.accumulate(np.concatenate([[goal], rates[::-1]]))[::-1]
        if goal == 0:
            needed = np.zeros_like(needed)
        return pd.Series(
            needed, index=pd.Index(self.stages[: end + 1], name="stage"), name="required"
        )

    def required_top(
        self, target: int, *, probability: float = 0.9, stage: str | None = None
    ) -> int:
        """Smallest number entering the funnel that reaches ``target`` at ``stage`` with ``probability``.

        Each entrant independently reaches ``stage`` with probability
        :meth:`overall_rate`, so the count there is binomial.

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> Funnel.customer_journey().required_top(5, probability=0.9, stage="customer")
        248
        """
        wanted = check_int(target, name="target", low=1, high=2**53)
        level = check_probability(probability)
        if stage is not None:
            self._position(stage, "stage")
        rate = self.overall_rate(end=stage)
        if rate == 0:
            raise ValidationError(
                f"the funnel's rate to {stage or self.stages[-1]!r} is 0; no number of entrants reaches the target",
                parameter="rates",
            )
        return plan_trials(wanted, rate, level, f"the rate to {stage or self.stages[-1]!r}")

    def with_rate(self, from_stage: str, rate: float) -> Funnel:
        """A what-if copy with the transition out of ``from_stage`` at ``rate``.

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> Funnel.customer_journey().with_rate("lead", 0.5).project(10_000)["customer"]
        np.float64(400.0)
        """
        i = self._position(from_stage, "from_stage")
        if i == len(self.stages) - 1:
            raise ValidationError(f"{from_stage!r} is the last stage; no transition leaves it")
        rates = list(self.rates)
        rates[i] = rate  # validated by the new Funnel
        return attrs.evolve(self, rates=tuple(rates))

    def overall_rate(self, start: str | None = None, end: str | None = None) -> float:
        """Share of ``start`` (default: first stage) that reaches ``end`` (default: last).

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> round(Funnel.customer_journey().overall_rate(end="customer"), 6)
        0.032
        """
        i = 0 if start is None else self._position(start, "start")
        j = len(self.stages) - 1 if end is None else self._position(end, "end")
        if j < i:
            raise ValidationError(f"end {self.stages[j]!r} comes before start {self.stages[i]!r}")
        return float(np.prod(self.rates[i:j]))

    # ---- sensitivity and bottleneck -----------------------------------------------

    def sensitivity(
        self,
        top: float,
        *,
        step: float = 0.01,
        benchmarks: Mapping[str, float] | None = None,
        stage: str | None = None,
    ) -> pd.DataFrame:
        """What each transition's improvement adds at ``stage`` (default: the last).

        Each transition is improved on its own, by ``step`` (one percentage
        point by default, capped at 1) or, for transitions named in
        ``benchmarks`` (by their from-stage), up to the benchmark rate (no
        change when already above it).

        Returns
        -------
        pandas.DataFrame
            One row per transition up to ``stage``: ``from``, ``to``, ``rate``,
            ``improved_rate``, ``outcome`` (expected count at ``stage`` now),
            ``improved_outcome``, ``gain`` and ``rank`` (1 = largest gain;
            the bottleneck).

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> s = Funnel.customer_journey().sensitivity(10_000, stage="customer")
        >>> s[["from", "rate", "gain", "rank"]]
                from  rate  gain  rank
        0  awareness   0.2  16.0     1
        1       lead   0.4   8.0     2
        2   prospect   0.4   8.0     3
        """
        base_top = check_number(top, name="top", low=0.0)
        delta = check_number(step, name="step", low=0.0, high=1.0, low_inclusive=False)
        end = len(self.stages) - 1 if stage is None else self._position(stage)
        if end == 0:
            raise ValidationError("stage must come after the first stage")
        rates = np.asarray(self.rates[:end], dtype=np.float64)
        improved = np.minimum(rates + delta, 1.0)
        for name, value in (benchmarks or {}).items():
            i = self._position(name, "benchmarks stage")
            rate = check_rate(value, name=f"benchmarks[{name!r}]")
            if i < end:  # transitions after `stage` cannot change the outcome there
                improved[i] = max(rates[i], rate)
        outcome = base_top * float(np.prod(rates))
        # one transition changed at a time: a loop over transitions, not rows
        new = np.array(
            [base_top * np.prod(np.where(np.arange(end) == i, improved, rates)) for i in range(end)]
        )
        gain = new - outcome
        order = np.argsort(-gain, kind="stable")
        rank = np.empty(end, dtype=np.int64)
        rank[order] = np.arange(1, end + 1)
        return pd.DataFrame(
            {
                "from": self.stages[:end],
                "to": self.stages[1 : end + 1],
                "rate": rates,
                "improved_rate": improved,
                "outcome": outcome,
                "improved_outcome": new,
                "gain": gain,
                "rank": rank,
            }
        )

    def bottleneck(
        self,
        top: float,
        *,
        step: float = 0.01,
        benchmarks: Mapping[str, float] | None = None,
        stage: str | None = None,
    ) -> str:
        """From-stage of the transition whose improvement adds most at the end.

        See :meth:`sensitivity` for the table behind it; ties go to the
        earlier transition.

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> f = Funnel.customer_journey()
        >>> f.bottleneck(10_000, benchmarks={"awareness": 0.2, "lead": 0.5, "prospect": 0.45})
        'lead'
        """
        table = self.sensitivity(top, step=step, benchmarks=benchmarks, stage=stage)
        return str(table.loc[table["rank"] == 1, "from"].iloc[0])

    # ---- plain data -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The funnel as JSON-ready plain data.

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> Funnel(["lead", "sql"], [0.1]).to_dict()
        {'stages': ['lead', 'sql'], 'rates': [0.1]}
        """
        return {"stages": list(self.stages), "rates": list(self.rates)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Funnel:
        """Build a funnel from :meth:`to_dict`'s plain data, validating it.

        Examples
        --------
        >>> from bbmkit import Funnel
        >>> Funnel.from_dict({"stages": ["lead", "sql"], "rates": [0.1]}).rates
        (0.1,)
        """
        if not isinstance(data, Mapping):
            raise ValidationTypeError(
                f"funnel must be a mapping, got {fmt(data)}", parameter="data"
            )
        unknown = sorted(map(str, set(data) - {"stages", "rates"}))
        if unknown:
            raise ValidationError(
                f"funnel has unknown field(s) {', '.join(map(repr, unknown))} (allowed: rates, stages)"
            )
        missing = [k for k in ("stages", "rates") if k not in data]
        if missing:
            raise ValidationError(f"funnel is missing field(s) {', '.join(map(repr, missing))}")
        return cls(data["stages"], data["rates"])


_MAX_PERIODS = 10_000  # a row per period: 800 years of months


def retention(customers: float, *, churn: float, periods: int = 1) -> pd.DataFrame:
    """Customers retained and lapsed period by period at a constant churn rate.

    Parameters
    ----------
    customers : float
        Customers at period 0 (>= 0).
    churn : float
        Share of customers that lapse each period, in [0, 1].
    periods : int, default 1
        Number of periods, from 1 to 10,000 (a row each).

    Returns
    -------
    pandas.DataFrame
        Indexed by period 0..periods: ``retained`` (at the end of the period),
        ``lapsed`` (during it) and ``cumulative_lapsed``.

    Examples
    --------
    Of 320 customers, 30 % lapse in a period: 96 lapse and 224 are retained.

    >>> from bbmkit import retention
    >>> retention(320, churn=0.3, periods=2)
            retained  lapsed  cumulative_lapsed
    period
    0          320.0     0.0                0.0
    1          224.0    96.0               96.0
    2          156.8    67.2              163.2
    """
    start = check_number(customers, name="customers", low=0.0)
    rate = check_rate(churn, name="churn")
    n = check_int(periods, name="periods", low=1, high=_MAX_PERIODS)
    retained = start * (1.0 - rate) ** np.arange(n + 1)
    lapsed = np.concatenate([[0.0], -np.diff(retained)])
    return pd.DataFrame(
        {"retained": retained, "lapsed": lapsed, "cumulative_lapsed": start - retained},
        index=pd.RangeIndex(n + 1, name="period"),
    )


# --------------------------------------------------------------------------
# funnels from stage-event logs


def _entity_labels(
    frame: pd.DataFrame, by: object, entity: str, codes: np.ndarray, n: int, entity_ids: pd.Index
) -> tuple[np.ndarray, pd.Index, object]:
    """One label per entity: a constant column of the log, or a Series by entity id."""
    if isinstance(by, str):
        require_columns(frame, [by], name="events")
        labels = frame[by]
        lab_codes, uniques = factorize(labels)
        first = np.full(n, -1, dtype=np.intp)
        np.maximum.at(first, codes, lab_codes)
        lowest = np.full(n, np.iinfo(np.intp).max, dtype=np.intp)
        np.minimum.at(lowest, codes, lab_codes)
        mixed = first != lowest
        if mixed.any():
            raise ValidationError(
                f"column {by!r} must be constant per entity; entity {fmt(entity_ids[int(np.argmax(mixed))])} has several values"
            )
        return first, uniques, by
    if isinstance(by, pd.Series):
        if not by.index.is_unique:
            raise ValidationError("by has duplicated entity ids")
        pos = by.index.get_indexer(entity_ids)
        if (pos < 0).any():
            raise ValidationError(
                f"by has no label for entity {fmt(entity_ids[int(np.argmax(pos < 0))])}"
            )
        lab_codes, uniques = factorize(by.iloc[pos].reset_index(drop=True))
        return lab_codes, uniques, by.name
    raise ValidationTypeError(
        f"by must be a column name of events or a Series of labels indexed by entity id, got "
        f"{fmt(by)}"
    )


_BASES: tuple[str, ...] = ("entered", "resolved")


def funnel_from_events(
    events: pd.DataFrame,
    stages: Sequence[str],
    *,
    entity: str = "entity_id",
    stage: str = "stage",
    time: str | None = "timestamp",
    by: str | pd.Series | None = None,
    entry_period: str | None = None,
    backfill: bool = True,
    lost: str | Sequence[str] | None = None,
    basis: Literal["entered", "resolved"] = "entered",
    method: str = "wilson",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Counts, conversion rates with intervals, and time in stage from a stage-event log.

    Parameters
    ----------
    events : pandas.DataFrame
        One row per (entity, stage reached, time); stage names from ``stages``
        (and ``lost``).
    stages : sequence of str
        The stages in funnel order (e.g. :data:`DEMAND_WATERFALL`).
    entity, stage : str
        Column names of the entity id and the stage reached (neither may be
        missing).
    time : str or None, default "timestamp"
        Column of the times (datetimes or numbers of days). Times may be
        missing on some rows (a CRM stage without a date), or the log may
        have no times at all (``time=None``): counts, rates and intervals use
        every row, and only ``median_days`` needs the times.
    by : str or pandas.Series, optional
        Cohorts: the name of a column of ``events`` that is constant per
        entity (programme, ICP yes/no, month of entry), or a Series of
        labels indexed by entity id. Missing labels form their own cohort.
    entry_period : str, optional
        Cohorts by the period of each entity's first event instead, as a
        pandas period alias (``"M"`` month, ``"Q"`` quarter, ``"W"`` week);
        datetime logs only. Exclusive with ``by``. Entities without any known
        time form a cohort of their own.
    backfill : bool, default True
        An entity that reached a stage also passed every earlier stage, even
        when that event is missing from the log (an SQL was an MQL). With
        False an entity counts only at stages it has an event for.
    lost : str or sequence of str, optional
        Terminal failure stage(s), e.g. ``"Lost"``: not part of ``stages``.
        An entity with such an event is lost at the furthest stage it
        reached (an entity with only a lost event entered the first stage);
        an entity that entered a stage, did not reach the next one and is
        not lost is **open** (a deal still in the pipeline). With ``lost``
        the result gains ``lost`` and ``open`` per transition.
    basis : {"entered", "resolved"}, default "entered"
        The denominator of ``rate``: every entity that entered the previous
        stage (``"entered"``), or only those whose outcome is known,
        converted or lost (``"resolved"``, needs ``lost``). Open entities
        bias the "entered" rate down while a pipeline is young; "resolved"
        is the win rate of closed deals.
    method, confidence
        Interval of each rate, as in :func:`proportion_ci`.

    Returns
    -------
    pandas.DataFrame
        Indexed by stage (by cohort and stage with ``by``): ``reached``
        (entities that reached the stage), ``rate`` (of the entities that
        reached the previous stage, the share that reached this one, over
        ``basis``; missing for the first stage), ``lower``, ``upper`` (its
        interval), with ``lost`` also ``lost`` and ``open`` (nullable
        integers, of the entities that reached the previous stage but not
        this one; missing for the first stage), and ``median_days`` (median
        time from entering this stage to entering the next, over entities
        with both entry times; entities still in the stage are not counted).

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import funnel_from_events
    >>> log = pd.DataFrame({
    ...     "entity_id": ["a", "a", "a", "b", "b", "c", "d"],
    ...     "stage": ["MQL", "SAL", "SQL", "MQL", "SAL", "MQL", "SQL"],
    ...     "timestamp": [0.0, 2.0, 10.0, 1.0, 5.0, 3.0, 4.0],
    ... })
    >>> result = funnel_from_events(log, ["MQL", "SAL", "SQL"])
    >>> result[["reached", "rate", "median_days"]].round(3)
           reached   rate  median_days
    stage
    MQL          4    NaN          3.0
    SAL          3  0.750          8.0
    SQL          2  0.667          NaN

    Deals of a CRM snapshot: three won, two lost, three still open. The
    rate over every deal that entered reads 3 / 8; over the resolved ones,
    the win rate of closed deals, 3 / 5:

    >>> deals = pd.DataFrame({
    ...     "deal": list("abcdefgh"),
    ...     "stage": ["Won", "Won", "Won", "Lost", "Lost", "Open", "Open", "Open"]})
    >>> deals["stage"] = deals["stage"].replace({"Open": "Engaging"})
    >>> log = pd.concat([deals.assign(stage="Engaging"), deals[deals.stage != "Engaging"]])
    >>> funnel_from_events(log, ["Engaging", "Won"], entity="deal", time=None, lost="Lost",
    ...                    basis="resolved")[["reached", "lost", "open", "rate"]]
              reached  lost  open  rate
    stage
    Engaging        8  <NA>  <NA>   NaN
    Won             3     2     3   0.6
    """
    frame = check_frame(events, name="events")
    names = _stages_converter(stages)
    _validate_stages(None, None, names)  # type: ignore[arg-type]
    stage_names: tuple[str, ...] = names  # type: ignore[assignment]
    lost_names = _lost_stages(lost, stage_names)
    check_in_choices(basis, name="basis", choices=_BASES)
    if basis == "resolved" and not lost_names:
        raise ValidationError(
            "basis='resolved' needs lost= (the stage(s) that end an entity's journey)"
        )
    if time is not None and not isinstance(time, str):
        raise ValidationTypeError(f"time must be a column name or None, got {fmt(time)}")
    require_columns(frame, [entity, stage], name="events")
    if time is not None and time not in frame.columns:
        require_columns(frame, [time], name="events (pass time=None for a log without times)")
    for column in (entity, stage):
        missing = frame[column].isna().to_numpy()
        if missing.any():
            raise ValidationError(f"column {column!r} has {int(missing.sum())} missing value(s)")
    if not isinstance(backfill, bool):
        raise ValidationTypeError(f"backfill must be True or False, got {fmt(backfill)}")
    times, complete = optional_times(frame[time], time) if time is not None else (None, False)
    raw_codes, labels = small_codes(frame[stage])
    s = len(stage_names)
    lookup = pd.Index([*stage_names, *lost_names], dtype=object).get_indexer(labels)
    # every lost stage is one more column of the entry table, after the funnel's stages
    lookup = np.where(lookup > s, s, lookup)
    stage_codes = lookup[raw_codes]
    if (stage_codes < 0).any():
        used = np.bincount(raw_codes.astype(np.intp), minlength=len(labels)) > 0
        unknown = sorted(map(str, labels[used & (lookup < 0)]))
        raise ValidationError(
            f"column {stage!r} has unknown stage(s) {', '.join(map(repr, unknown[:8]))} "
            f"(stages: {', '.join(stage_names)}"
            + (f"; lost: {', '.join(lost_names)})" if lost_names else ")")
        )
    codes, entity_ids = factorize(frame[entity])
    n = len(entity_ids)
    if entry_period is not None:
        if by is not None:
            raise ValidationError("give by or entry_period, not both", parameter="by")
        if time is None:
            raise ValidationError("entry_period needs the times: give time=")
        by = _entry_cohorts(frame[time], codes, n, entity_ids, entry_period, time)
    if by is None:
        group, groups, group_name = np.zeros(n, dtype=np.intp), pd.Index(["all"]), None
    else:
        group, groups, group_name = _entity_labels(frame, by, entity, codes, n, entity_ids)
    n_groups = len(groups)

    # first entry time per (entity, stage): inf where the entity has no such event or time
    width = s + 1 if lost_names else s
    flat = codes * width + stage_codes
    flat_entry = np.full(n * width, np.inf)
    if times is not None:
        known = slice(None) if complete else ~np.isnan(times)
        np.minimum.at(flat_entry, flat[known], times[known])
    entry = flat_entry.reshape(n, width)
    has = np.isfinite(entry) if complete else group_presence(flat, n * width).reshape(n, width)
    is_lost: npt.NDArray[np.bool_] | None = None
    timed = has if complete else np.isfinite(entry)  # both entry times known
    if lost_names:
        # the lost column is the last one of the table: views of the funnel's columns, no copies
        is_lost = has[:, s].copy()
        entry, has, timed = entry[:, :s], has[:, :s], timed[:, :s]
    if backfill:
        # the furthest stage is the last one with an entry
        furthest = (s - 1) - np.argmax(has[:, ::-1], axis=1)
        if is_lost is not None:
            # an entity with only a lost event (argmax found no entry) entered the funnel:
            # it was at the first stage, with no time there
            furthest[~has[np.arange(n), furthest]] = 0
        reached = np.arange(s)[None, :] <= furthest[:, None]
    else:
        reached = has
        if is_lost is not None:
            none = ~has.any(axis=1)
            if none.any():
                reached = has.copy()
                reached[none, 0] = True
    counts = np.zeros((n_groups, s), dtype=np.int64)
    for k in range(s):  # a loop over stages: entities reaching stage k, per group
        counts[:, k] = group_count(group, n_groups, reached[:, k])

    # time in stage k: entry(k+1) - entry(k) where both are known; medians by sorting
    rows, ks = np.nonzero(timed[:, 1:] & timed[:, :-1])
    key = group[rows] * s + ks
    values = entry[rows, ks + 1] - entry[rows, ks]
    medians = group_median(key, values, n_groups * s).reshape(n_groups, s)

    previous = np.concatenate([np.zeros((n_groups, 1), dtype=np.int64), counts[:, :-1]], axis=1)
    converted = counts
    columns: dict[str, Any] = {"reached": counts.ravel()}
    if is_lost is not None:
        lost_n = np.zeros((n_groups, s), dtype=np.int64)
        left_n = np.zeros((n_groups, s), dtype=np.int64)
        if backfill:
            # the entities that stayed after stage k-1 are those whose furthest stage it is
            at = group * s + furthest
            left_n[:, 1:] = group_count(at, n_groups * s).reshape(n_groups, s)[:, :-1]
            lost_n[:, 1:] = group_count(at, n_groups * s, is_lost).reshape(n_groups, s)[:, :-1]
        else:
            converted = np.zeros((n_groups, s), dtype=np.int64)
            for k in range(1, s):  # a loop over transitions
                entered = reached[:, k - 1]
                converted[:, k] = group_count(group, n_groups, entered & reached[:, k])
                stayed = entered & ~reached[:, k]
                left_n[:, k] = group_count(group, n_groups, stayed)
                lost_n[:, k] = group_count(group, n_groups, stayed & is_lost)
        first = np.zeros((n_groups, s), dtype=bool)
        first[:, 0] = True
        columns["lost"] = pd.array(np.where(first, 0, lost_n).ravel(), dtype="Int64")
        columns["open"] = pd.array(np.where(first, 0, left_n - lost_n).ravel(), dtype="Int64")
        columns["lost"][first.ravel()] = pd.NA
        columns["open"][first.ravel()] = pd.NA
        if basis == "resolved":
            previous = converted + lost_n
    rate, lower, upper = _rates(converted, previous, method, confidence)
    columns.update({"rate": rate.ravel(), "lower": lower.ravel(), "upper": upper.ravel()})
    if is_lost is not None:  # reached, lost, open, then the rate
        order = ["reached", "lost", "open", "rate", "lower", "upper"]
        columns = {c: columns[c] for c in order}
    columns["median_days"] = medians.ravel()
    result = pd.DataFrame(
        columns,
        index=pd.MultiIndex.from_product(
            [groups, pd.Index(stage_names, name="stage")], names=[group_name, "stage"]
        ),
    )
    return result.droplevel(0) if by is None else result


def _lost_stages(lost: object, stages: tuple[str, ...]) -> tuple[str, ...]:
    if lost is None:
        return ()
    names = [lost] if isinstance(lost, str) else check_list(lost, name="lost", empty=False)
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValidationTypeError(
                f"lost stage names must be non-empty strings, got {fmt(name)}"
            )
        if name in stages:
            raise ValidationError(
                f"lost stage {name!r} is also in stages; a lost stage ends the journey outside the funnel"
            )
    return tuple(dict.fromkeys(names))


def _rates(
    converted: npt.NDArray[np.int64],
    previous: npt.NDArray[np.int64],
    method: str,
    confidence: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Each stage's rate converted / previous with its interval; NaN for the first stage."""
    rate = np.full(converted.shape, np.nan)
    lower = np.full(converted.shape, np.nan)
    upper = np.full(converted.shape, np.nan)
    ok = previous > 0
    ok[:, 0] = False
    ok &= converted <= previous  # without backfill a later stage can outnumber an earlier one
    if ok.any():
        ci = proportion_ci(converted[ok], previous[ok], method=method, confidence=confidence)  # type: ignore[arg-type]
        rate[ok], lower[ok], upper[ok] = ci["rate"], ci["lower"], ci["upper"]
    without = (previous > 0) & ~ok
    without[:, 0] = False
    rate[without] = converted[without] / previous[without]
    return rate, lower, upper


def conversion_curve(
    events: pd.DataFrame,
    start: str,
    end: str,
    *,
    lost: str | Sequence[str] | None = None,
    as_of: object = None,
    by: str | pd.Series | None = None,
    entity: str = "entity_id",
    stage: str = "stage",
    time: str = "timestamp",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The chance of reaching ``end`` within t days of entering ``start``, open entities censored.

    A funnel rate read off a snapshot mixes entities that will still convert
    with those that will not. This follows each entity from its entry into
    ``start``: reaching ``end`` is the outcome, reaching a ``lost`` stage
    first is a competing outcome (a lost deal will never be won), and an
    entity with neither is censored at ``as_of`` (still open). The curve is
    the Aalen-Johansen cumulative incidence, the competing-risks form of
    Kaplan-Meier; with no lost stage it is one minus Kaplan-Meier.

    CRM dates are daily, so many entities share a time: all events at one
    time are counted together, and entities censored at that time are still
    at risk for them (no jitter).

    Parameters
    ----------
    events : pandas.DataFrame
        A stage-event log (as for :func:`funnel_from_events`, e.g. from
        :func:`stage_log`). Rows without a time are ignored; an entity needs
        a time at ``start`` to be followed.
    start, end : str
        The stage entered and the stage whose reaching is the outcome.
    lost : str or sequence of str, optional
        Stages that end an entity's journey without reaching ``end``.
    as_of : timestamp-like or float, optional
        When the log was taken: open entities are censored here, later
        events ignored. Defaults to the latest time in the log; a date means
        the end of that day.
    by : str or pandas.Series, optional
        Cohorts, as for :func:`funnel_from_events`: one curve each.
    entity, stage, time : str
        Column names.
    confidence : float, default 0.95
        Level of the pointwise intervals (log-log, so they stay in [0, 1]).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``days`` since entering ``start`` (with ``by``: by cohort
        and days), one row per distinct time at which an entity converted or
        was lost: ``probability`` (of having reached ``end`` by then),
        ``lower``, ``upper``, ``at_risk`` (entities still followed just
        before), ``converted`` and ``lost`` (the events at that time).

    Examples
    --------
    Five deals engaged on day 0: two won (days 10 and 20), one lost (day
    15), two still open when the log was taken on day 30:

    >>> import pandas as pd
    >>> from bbmkit import conversion_curve
    >>> log = pd.DataFrame({
    ...     "entity_id": ["a", "a", "b", "b", "c", "c", "d", "e"],
    ...     "stage": ["Engaging", "Won", "Engaging", "Won", "Engaging", "Lost",
    ...               "Engaging", "Engaging"],
    ...     "timestamp": [0.0, 10.0, 0.0, 20.0, 0.0, 15.0, 0.0, 0.0]})
    >>> curve = conversion_curve(log, "Engaging", "Won", lost="Lost", as_of=30.0)
    >>> curve[["probability", "at_risk", "converted", "lost"]]
          probability  at_risk  converted  lost
    days
    10.0          0.2        5          1     0
    15.0          0.2        4          0     1
    20.0          0.4        3          1     0
    """
    frame = check_frame(events, name="events")
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, str) or not value:
            raise ValidationTypeError(f"{name} must be a stage name, got {fmt(value)}")
    if start == end:
        raise ValidationError(f"start and end are both {start!r}; give two stages")
    lost_names = _lost_stages(lost, (start, end))
    level = check_number(
        confidence, name="confidence", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    require_columns(frame, [entity, stage, time], name="events")
    for column in (entity, stage):
        check_no_missing(frame[column], column)
    times, _ = optional_times(frame[time], time)
    raw_codes, labels = small_codes(frame[stage])
    lookup = pd.Index([start, end, *lost_names], dtype=object).get_indexer(labels)
    kinds = np.where(lookup > 2, 2, lookup)[raw_codes]  # 0 start, 1 end, 2 lost, -1 other
    codes, entity_ids = factorize(frame[entity])
    n = len(entity_ids)
    if as_of is None:
        known = times[~np.isnan(times)]
        if known.size == 0:
            raise ValidationError(f"column {time!r} has no time: nothing can be followed")
        cut = float(known.max())
    elif pd.api.types.is_datetime64_any_dtype(frame[time].dtype):
        values = datetime_array(frame[time])
        stamp = check_timestamp(
            as_of, name="as_of", tz=values.tz, data=f"column {time!r}", end_of_day=True
        )
        cut = timestamp_days(stamp, values.unit)
    else:
        cut = check_number(as_of, name="as_of")
    # first time of each kind per entity; events after as_of have not happened yet
    first = np.full((3, n), np.inf)
    usable = (kinds >= 0) & ~np.isnan(times) & (times <= cut)
    np.minimum.at(first, (kinds[usable], codes[usable]), times[usable])
    entered, reached, ended = first
    followed = np.isfinite(entered)
    if by is None:
        group, groups, group_name = np.zeros(n, dtype=np.intp), pd.Index(["all"]), None
    else:
        group, groups, group_name = _entity_labels(frame, by, entity, codes, n, entity_ids)
    outcome_time = np.minimum(reached, ended)
    outcome = np.where(np.isfinite(outcome_time), np.where(reached <= ended, 1, 2), 0).astype(
        np.int8
    )
    # an outcome dated before the entry (a CRM date typed late) counts at day 0
    duration = np.maximum(np.where(outcome > 0, outcome_time, cut) - entered, 0.0)
    from scipy import stats  # here: importing bbmkit does not load scipy.stats

    z = float(stats.norm.isf((1.0 - level) / 2.0))
    parts = []
    for g in range(len(groups)):  # a loop over cohorts, not entities
        mine = followed & (group == g)
        days, cif, variance, at_risk = aalen_johansen(duration[mine], outcome[mine])
        lower, upper = loglog_interval(cif, variance, z)
        slot = np.searchsorted(days, duration[mine])
        hit = outcome[mine] > 0
        converted = np.bincount(slot[hit], weights=outcome[mine][hit] == 1, minlength=days.size)
        lost_n = np.bincount(slot[hit], weights=outcome[mine][hit] == 2, minlength=days.size)
        parts.append(
            pd.DataFrame(
                {
                    "probability": cif,
                    "lower": lower,
                    "upper": upper,
                    "at_risk": at_risk,
                    "converted": converted.astype(np.int64),
                    "lost": lost_n.astype(np.int64),
                },
                index=pd.Index(days, name="days"),
            )
        )
    if by is None:
        return parts[0]
    return pd.concat(parts, keys=list(groups), names=[group_name, "days"])


def stage_log(
    table: pd.DataFrame,
    *,
    entity: str,
    stage: str,
    dates: Mapping[str, str] | None = None,
    order: Sequence[str],
) -> pd.DataFrame:
    """A stage-event log from a CRM snapshot: one row per entity with its current stage.

    CRMs export deals (or leads) as one row each, with the current stage and
    one date column per stage. This turns such a table into the long log
    :func:`funnel_from_events` takes: an entity at a stage of ``order`` also
    passed every earlier stage (a Won deal was Engaging and Prospecting); an
    entity whose current stage is not in ``order`` (Lost) keeps that stage,
    entered the first stage, and passed every stage up to the furthest one
    it has a date for (a date column shared with its own stage, such as a
    close date of both Won and Lost, does not count).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per entity: ``entity`` (unique, not missing), ``stage`` (the
        current stage, not missing) and the date columns.
    entity, stage : str
        Column names of the entity id and the current stage.
    dates : mapping of str to str, optional
        Stage -> the column holding the date the entity entered it
        (datetimes or numbers of days; missing dates are allowed and come out
        as missing times). Stages without a column get no time.
    order : sequence of str
        The funnel's stages in order.

    Returns
    -------
    pandas.DataFrame
        Columns ``entity`` (named as passed), ``stage`` and ``timestamp``;
        the stages of ``order`` first (stage by stage), then the other
        current stages. No row of ``table`` is dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import funnel_from_events, stage_log
    >>> deals = pd.DataFrame({
    ...     "deal": ["d1", "d2", "d3", "d4"],
    ...     "deal_stage": ["Won", "Engaging", "Lost", "Prospecting"],
    ...     "engage_date": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-04", None]),
    ...     "close_date": pd.to_datetime(["2026-01-20", None, "2026-01-15", None]),
    ... })
    >>> log = stage_log(deals, entity="deal", stage="deal_stage",
    ...                 dates={"Engaging": "engage_date", "Won": "close_date", "Lost": "close_date"},
    ...                 order=["Prospecting", "Engaging", "Won"])
    >>> log
      deal        stage  timestamp
    0   d1  Prospecting        NaT
    1   d2  Prospecting        NaT
    2   d3  Prospecting        NaT
    3   d4  Prospecting        NaT
    4   d1     Engaging 2026-01-05
    5   d2     Engaging 2026-01-12
    6   d3     Engaging 2026-01-04
    7   d1          Won 2026-01-20
    8   d3         Lost 2026-01-15
    >>> funnel_from_events(log, ["Prospecting", "Engaging", "Won"], entity="deal",
    ...                    lost="Lost")[["reached", "lost", "open"]]
                 reached  lost  open
    stage
    Prospecting        4  <NA>  <NA>
    Engaging           3     0     1
    Won                1     1     1
    """
    frame = check_frame(table, name="table")
    names = _stages_converter(order)
    try:
        _validate_stages(None, None, names)  # type: ignore[arg-type]
    except ValidationError as err:
        raise type(err)(f"order: {err}") from None
    stages: tuple[str, ...] = names  # type: ignore[assignment]
    date_of: Mapping[str, str] = {} if dates is None else dates
    if not isinstance(date_of, Mapping):
        raise ValidationTypeError(f"dates must be a mapping of stage to column, got {fmt(dates)}")
    require_columns(frame, [entity, stage, *date_of.values()], name="table")
    for column in (entity, stage):
        check_no_missing(frame[column], column)
    ids = frame[entity]
    if not ids.is_unique:
        raise ValidationError(
            f"table lists {entity} {fmt(ids[ids.duplicated()].iloc[0])} more than once; "
            "a snapshot has one row per entity"
        )
    current = frame[stage].astype(object).to_numpy()
    position = pd.Index(stages, dtype=object).get_indexer(pd.Index(current, dtype=object))
    times: dict[str, pd.Series] = {}
    for name, column in date_of.items():
        if not isinstance(name, str):
            raise ValidationTypeError(f"dates keys must be stage names, got {fmt(name)}")
        values = frame[column]
        if not (
            pd.api.types.is_datetime64_any_dtype(values.dtype)
            or (
                pd.api.types.is_numeric_dtype(values.dtype)
                and not pd.api.types.is_bool_dtype(values.dtype)
            )
        ):
            raise ValidationTypeError(
                f"column {column!r} must hold datetimes or numbers of days, got dtype "
                f"{values.dtype}; convert text with pandas.to_datetime"
            )
        times[name] = values.reset_index(drop=True)
    times = _one_unit(times)
    outside = position < 0
    if outside.any():
        # an entity outside the funnel (Lost) entered it, and passed every stage up to the
        # furthest one it has a date for; a date column it shares with its own stage (a
        # close date of both Won and Lost) says nothing about the funnel
        own = pd.Series(current, dtype=object).map(date_of).to_numpy()
        implied = np.zeros(len(frame), dtype=np.intp)
        for k, name in enumerate(stages):
            if name in times:
                dated = times[name].notna().to_numpy() & (own != date_of[name])
                implied[dated] = k
        position = np.where(outside, implied, position)
    empty = _missing_times(times, len(frame))
    parts = []
    for k, name in enumerate(stages):  # a loop over stages, not rows
        parts.append(_log_part(ids, name, times.get(name, empty), position >= k))
    other = pd.Series(current, dtype=object)
    for name in pd.unique(current[outside]):  # the few terminal stages (Lost, Disqualified)
        when = times.get(name, empty)
        parts.append(_log_part(ids, name, when, (other == name).to_numpy()))
    kept = [part for part in parts if len(part)] or parts[:1]
    with warnings.catch_warnings():
        # pandas 2 warns that all-missing time parts (a stage without dates) will count
        # towards the result's dtype: they already have the dtype of the other parts
        warnings.simplefilter("ignore", FutureWarning)
        log = pd.concat(kept, ignore_index=True)
    return log.rename(columns={"entity": entity})


def _one_unit(times: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """Date columns in one datetime unit, the finest that holds them all (9999-12-31 needs s or us)."""
    stamps = {k: v for k, v in times.items() if pd.api.types.is_datetime64_any_dtype(v.dtype)}
    if len({(v.dt.unit, str(v.dt.tz)) for v in stamps.values()}) <= 1:
        return times
    if len({str(v.dt.tz) for v in stamps.values()}) > 1:
        raise ValidationError(
            "the date columns mix time zones; convert them to one zone first", parameter="table"
        )
    for unit in ("ns", "us", "ms", "s"):
        try:
            return {**times, **{k: v.dt.as_unit(unit) for k, v in stamps.items()}}
        except (OverflowError, ValueError):  # OutOfBoundsDatetime: try a coarser unit
            continue
    return times  # seconds hold every date pandas can


def _missing_times(times: Mapping[str, pd.Series], n: int) -> pd.Series:
    """A column of missing times of the same kind as the date columns (NaT for datetimes)."""
    kinds = [t for t in times.values() if pd.api.types.is_datetime64_any_dtype(t.dtype)]
    if kinds:
        return pd.Series(pd.NaT, index=range(n), dtype=kinds[0].dtype)
    if not times:
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    return pd.Series(np.nan, index=range(n))


def _log_part(
    ids: pd.Series, name: str, when: pd.Series, rows: npt.NDArray[np.bool_]
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity": ids.to_numpy()[rows],
            "stage": name,
            "timestamp": when.to_numpy()[rows],
        }
    )


def _entry_cohorts(
    times: pd.Series, codes: np.ndarray, n: int, entity_ids: pd.Index, period: str, name: str
) -> pd.Series:
    if not pd.api.types.is_datetime64_any_dtype(times.dtype):
        raise ValidationTypeError(
            f"entry_period needs datetimes in column {name!r}, got dtype {times.dtype}"
        )
    if not isinstance(period, str):
        raise ValidationTypeError(
            f"entry_period must be a period alias such as 'M', got {fmt(period)}"
        )
    values = datetime_array(times)
    if values.tz is not None:
        values = values.tz_localize(None)  # periods of the local calendar
    # in the column's own unit: placeholder dates such as 9999-12-31 do not fit in nanoseconds
    ticks = np.asarray(values.asi8)
    never = np.iinfo(np.int64).max
    known = ticks != np.iinfo(np.int64).min  # NaT: a stage without a date
    first = np.full(n, never, dtype=np.int64)
    np.minimum.at(first, codes[known], ticks[known])
    undated = first == never
    first[undated] = np.iinfo(np.int64).min  # NaT, so the entity's cohort label is missing
    try:
        labels = (
            pd.DatetimeIndex(first.view(f"datetime64[{values.unit}]")).to_period(period).astype(str)
        )
    except ValueError as err:
        raise ValidationError(f"entry_period {period!r} is not a pandas period alias") from err
    out = np.asarray(labels, dtype=object)
    out[undated] = None
    return pd.Series(out, index=entity_ids, name=f"entry_{period}")


def icp_funnel(
    events: pd.DataFrame,
    stages: Sequence[str],
    is_icp: pd.Series,
    *,
    entity: str = "entity_id",
    stage: str = "stage",
    time: str | None = "timestamp",
    backfill: bool = True,
    lost: str | Sequence[str] | None = None,
    basis: Literal["entered", "resolved"] = "entered",
    method: str = "wilson",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The funnel split by ICP match: where does quality get lost?

    BBM's view of the funnel: the same stage counts and rates for ICP and
    non-ICP entities, and the ICP rate at every stage. A rising ICP rate
    down the funnel means ICP leads convert better.

    Parameters
    ----------
    events, stages, entity, stage, time, backfill, lost, basis, method, confidence
        As for :func:`funnel_from_events`.
    is_icp : pandas.Series of bool
        Whether each entity matches the ICP, indexed by entity id (e.g.
        :meth:`ICPProfile.is_icp` of the leads); every entity of the log needs
        a value.

    Returns
    -------
    pandas.DataFrame
        Indexed by stage: ``reached_icp``, ``reached_non_icp``, ``icp_rate``
        (ICP share of the entities reaching the stage), ``rate_icp`` and
        ``rate_non_icp`` (stage conversion rates of each group).

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import icp_funnel
    >>> log = pd.DataFrame({"entity_id": ["a", "b", "c", "d"], "stage": ["SQL", "MQL", "SQL", "MQL"],
    ...                     "timestamp": [1.0, 2.0, 3.0, 4.0]})
    >>> icp = pd.Series({"a": True, "b": True, "c": False, "d": False})
    >>> icp_funnel(log, ["MQL", "SQL"], icp)[["reached_icp", "reached_non_icp", "icp_rate"]]
           reached_icp  reached_non_icp  icp_rate
    stage
    MQL              2                2       0.5
    SQL              1                1       0.5
    """
    if not isinstance(is_icp, pd.Series):
        raise ValidationTypeError(
            f"is_icp must be a pandas Series indexed by entity id, got {type(is_icp).__name__}"
        )
    flags = pd.Series(as_bool_array(is_icp, name="is_icp"), index=is_icp.index, name="is_icp")
    if not flags.index.is_unique:
        raise ValidationError("is_icp lists an entity more than once")
    frame = check_frame(events, name="events")
    require_columns(frame, [entity], name="events")
    check_no_missing(frame[entity], entity)
    known = pd.Index(frame[entity]).isin(flags.index)
    if not known.all():
        raise ValidationError(
            f"is_icp has no value for entity {fmt(frame[entity].iloc[int(np.argmax(~known))])}"
        )
    table = funnel_from_events(
        events,
        stages,
        entity=entity,
        stage=stage,
        time=time,
        by=flags,
        backfill=backfill,
        lost=lost,
        basis=basis,
        method=method,
        confidence=confidence,
    )
    names: tuple[str, ...] = tuple(_stages_converter(stages))  # type: ignore[arg-type]
    levels = table.index.get_level_values(0)

    def part(flag: bool, column: str) -> np.ndarray:
        if flag not in set(levels):
            return np.zeros(len(names)) if column == "reached" else np.full(len(names), np.nan)
        return table.xs(flag, level=0)[column].reindex(list(names)).to_numpy()

    icp_reached = part(True, "reached").astype(np.int64)
    other_reached = part(False, "reached").astype(np.int64)
    total = icp_reached + other_reached
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, icp_reached / np.where(total > 0, total, 1), np.nan)
    return pd.DataFrame(
        {
            "reached_icp": icp_reached,
            "reached_non_icp": other_reached,
            "icp_rate": share,
            "rate_icp": part(True, "rate"),
            "rate_non_icp": part(False, "rate"),
        },
        index=pd.Index(names, name="stage"),
    )
