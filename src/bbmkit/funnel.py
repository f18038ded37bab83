"""Funnel maths: stage-to-stage conversion, projection, reverse planning, what-if.

A :class:`Funnel` is an ordered list of stages and the conversion rate of
each transition. With the customer-journey rates of DOMAIN.md (20 %, 40 %,
40 %, 10 %), 10,000 aware people become 2,000 leads, 800 prospects, 320
customers and 32 promoters; 5 customers need 156.25 aware people in
expectation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._validation import check_int, check_number, check_rate, fmt
from bbmkit.stats import min_trials

__all__ = ["CUSTOMER_JOURNEY", "DEMAND_WATERFALL", "Funnel", "retention"]

CUSTOMER_JOURNEY: tuple[str, ...] = ("awareness", "lead", "prospect", "customer", "promoter")
"""The customer journey of DOMAIN.md section 3."""

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
        raise ValidationError(f"a funnel needs at least 2 stages, got {len(stages)}")
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
    return tuple(
        float(r)
        if isinstance(r, int | float | np.integer | np.floating) and not isinstance(r, bool)
        else r
        for r in rates
    )


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
        """awareness -> lead -> prospect -> customer -> promoter (DOMAIN.md rates by default).

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
                    f"stage {stages[i - 1]!r} ({fmt(values[i - 1])}); counts must not grow along the funnel"
                )
            if values[i - 1] == 0:
                raise ValidationError(
                    f"count for {stages[i - 1]!r} is 0, so the rate to {stages[i]!r} is undefined"
                )
        return cls(stages, tuple((values[1:] / values[:-1]).tolist()))

    # ---- lookups ------------------------------------------------------------

    def _position(self, stage: object, name: str = "stage") -> int:
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
        rate = self.overall_rate(end=stage)
        if rate == 0:
            raise ValidationError(
                f"the funnel's rate to {stage or self.stages[-1]!r} is 0; no number of entrants reaches the target"
            )
        return min_trials(target, rate, probability=probability)

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
            raise ValidationTypeError(f"funnel must be a mapping, got {fmt(data)}")
        unknown = sorted(map(str, set(data) - {"stages", "rates"}))
        if unknown:
            raise ValidationError(
                f"funnel has unknown field(s) {', '.join(map(repr, unknown))} (allowed: rates, stages)"
            )
        missing = [k for k in ("stages", "rates") if k not in data]
        if missing:
            raise ValidationError(f"funnel is missing field(s) {', '.join(map(repr, missing))}")
        return cls(data["stages"], data["rates"])


def retention(customers: float, *, churn: float, periods: int = 1) -> pd.DataFrame:
    """Customers retained and lapsed period by period at a constant churn rate.

    Parameters
    ----------
    customers : float
        Customers at period 0 (>= 0).
    churn : float
        Share of customers that lapse each period, in [0, 1].
    periods : int, default 1
        Number of periods (>= 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by period 0..periods: ``retained`` (at the end of the period),
        ``lapsed`` (during it) and ``cumulative_lapsed``.

    Examples
    --------
    DOMAIN.md: of 320 customers, 30 % lapse: 96 lapse, 224 are retained.

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
    n = check_int(periods, name="periods", low=1)
    retained = start * (1.0 - rate) ** np.arange(n + 1)
    lapsed = np.concatenate([[0.0], -np.diff(retained)])
    return pd.DataFrame(
        {"retained": retained, "lapsed": lapsed, "cumulative_lapsed": start - retained},
        index=pd.RangeIndex(n + 1, name="period"),
    )
