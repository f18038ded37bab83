"""Balance-Based Marketing: the ICP rate and the quantity/quality diagnosis.

BBM measures every marketing measure and funnel stage by its **ICP count**
(leads or customers matching the ICP) and **ICP rate** (ICP count / total).
A rate below the organisation's target band is a *quantity bias* (sales
works leads that will never be good customers), above it a *quality bias*
(too few leads to scale, dependence on a few accounts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeAlias, overload

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._convert import factorize
from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._kernels import group_count, group_median, group_sum
from bbmkit._repr import TablesRepr
from bbmkit._validation import (
    as_bool_array,
    as_series,
    check_band,
    check_frame,
    check_in_choices,
    check_int,
    check_no_missing,
    check_number,
    check_rate,
    datetime_days,
    fmt,
    numeric_values,
    paired,
    require_columns,
)
from bbmkit.stats import proportion_ci

__all__ = [
    "Concentration",
    "Diagnosis",
    "RebalancePlan",
    "concentration",
    "diagnose_balance",
    "icp_rate",
    "icp_trend",
    "ltv",
    "ltv_comparison",
    "portfolio",
    "rebalance",
]

#: What :func:`diagnose_balance` finds for a group: too much volume of the wrong
#: leads, balanced, too few leads of the right kind, or too few leads to say.
Diagnosis: TypeAlias = Literal["quantity_bias", "balanced", "quality_bias", "insufficient_data"]

_ALL = "all"


def _labels(by: object, n: int, is_icp: object, name: str) -> pd.Series:
    if isinstance(by, str):
        raise ValidationTypeError(
            f"{name} must be labels aligned with is_icp (a Series, array or list), got the "
            f"string {fmt(by)}; a column name works where a frame is passed, so pass "
            f"frame[{by!r}] here"
        )
    labels = as_series(by, name=name)
    if len(labels) != n:
        raise ValidationError(
            f"{name} must have one label per row of is_icp ({n}), got {len(labels)}"
        )
    _, labels = paired(is_icp, labels, names=("is_icp", name))
    return labels


def icp_rate(
    is_icp: pd.Series | npt.ArrayLike,
    *,
    by: pd.Series | npt.ArrayLike | None = None,
    ci: float | None = None,
    method: str = "wilson",
) -> pd.DataFrame:
    """ICP count, non-ICP count, total and ICP rate, overall and per group.

    Parameters
    ----------
    is_icp : Series or array of bool
        Whether each lead/customer matches the ICP (e.g.
        :meth:`ICPProfile.is_icp`); 0/1 integers are accepted, missing values
        are an error.
    by : Series or array, optional
        Group labels aligned with ``is_icp`` (funnel stage, measure, channel).
        Series are paired by label (the same labels in another order are
        aligned). Rows whose label is missing form a group of their own
        (labelled NaN).
    ci : float, optional
        A confidence level such as 0.95: adds ``lower`` and ``upper``, the
        interval of each ICP rate, so a group of 3 leads is not read like one
        of 3,000.
    method : str, default "wilson"
        The interval's method, as for :func:`proportion_ci`.

    Returns
    -------
    pandas.DataFrame
        Columns ``icp``, ``non_icp``, ``total`` (int) and ``icp_rate``
        (float), with ``ci`` also ``lower`` and ``upper``. Without ``by`` one
        row, ``"all"``; with ``by`` one row per group (sorted labels,
        categorical order for a categorical, missing last) and the ``"all"``
        row last. The group rows always add up to ``"all"``; groups with zero
        ICP are kept.

    Raises
    ------
    ValidationError
        Empty input (the rate of nothing is undefined), missing or non-boolean
        values, misaligned ``by``, or a group labelled ``"all"``.

    Examples
    --------
    400 leads of which 150 match the ICP: an ICP rate of 37.5 %.

    >>> import pandas as pd
    >>> from bbmkit import icp_rate
    >>> icp_rate(pd.Series([True] * 150 + [False] * 250))
         icp  non_icp  total  icp_rate
    all  150      250    400     0.375

    Per programme:

    >>> is_icp = pd.Series([True, False, False, True, True, False])
    >>> programme = pd.Series(["seo", "seo", "seo", "seminar", "seminar", None])
    >>> icp_rate(is_icp, by=programme)
             icp  non_icp  total  icp_rate
    seminar    2        0      2  1.000000
    seo        1        2      3  0.333333
    NaN        0        1      1  0.000000
    all        3        3      6  0.500000
    """
    level = None
    if ci is not None:
        level = check_number(
            ci, name="ci", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
        )
    table = _icp_rate(is_icp, by, "by")
    if level is not None:
        bounds = proportion_ci(table["icp"], table["total"], method=method, confidence=level)  # type: ignore[arg-type]
        table["lower"] = bounds["lower"].to_numpy()
        table["upper"] = bounds["upper"].to_numpy()
    return table


def _icp_rate(is_icp: object, by: object, by_name: str) -> pd.DataFrame:
    """:func:`icp_rate`, with the labels' parameter named ``by_name`` in errors."""
    flags = as_bool_array(is_icp, name="is_icp")
    n = flags.shape[0]
    if n == 0:
        raise ValidationError("is_icp is empty; the ICP rate of no leads is undefined")

    if by is None:
        codes = np.zeros(n, dtype=np.intp)
        uniques: list[object] = []
        index_name = None
    else:
        labels = _labels(by, n, is_icp, by_name)
        codes, found = factorize(labels)
        uniques = list(found)
        index_name = labels.name
        clash = [u for u in uniques if isinstance(u, str) and u == _ALL]
        if clash:
            raise ValidationError(
                f"by contains the label {_ALL!r}, which names the total row; rename that group"
            )

    n_groups = max(len(uniques), 1)
    total = group_count(codes, n_groups)
    icp = group_count(codes, n_groups, flags)
    if uniques:
        total = np.append(total, n)
        icp = np.append(icp, int(flags.sum()))
    index = pd.Index([*uniques, _ALL], dtype=object, name=index_name)
    return pd.DataFrame(
        {
            "icp": icp,
            "non_icp": total - icp,
            "total": total,
            "icp_rate": icp / total,
        },
        index=index,
    )


def _diagnose(
    rates: npt.NDArray[np.float64],
    low: float,
    high: float,
    upper: npt.NDArray[np.float64] | None = None,
    lower: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.object_]:
    """Below / within / above the band, by the point rate or by the whole interval."""
    below = rates < low if upper is None else upper < low
    above = rates > high if lower is None else lower > high
    return np.select(
        [below, above],
        np.array(["quantity_bias", "quality_bias"], dtype=object),
        default="balanced",
    ).astype(object)


_RULES: tuple[str, ...] = ("point", "interval")


@overload
def diagnose_balance(
    icp_rate: float,
    *,
    band: tuple[float, float],
    min_n: int | None = None,
    rule: Literal["point", "interval"] = "point",
) -> Diagnosis: ...


@overload
def diagnose_balance(
    icp_rate: pd.Series | pd.DataFrame | npt.NDArray[np.floating] | Sequence[float],
    *,
    band: tuple[float, float],
    min_n: int | None = None,
    rule: Literal["point", "interval"] = "point",
) -> pd.Series: ...


def diagnose_balance(
    icp_rate: float | pd.Series | pd.DataFrame | npt.NDArray[np.floating] | Sequence[float],
    *,
    band: tuple[float, float],
    min_n: int | None = None,
    rule: Literal["point", "interval"] = "point",
) -> Diagnosis | pd.Series:
    """Classify ICP rates against the target band.

    Parameters
    ----------
    icp_rate : float, Series, array or DataFrame
        ICP rate(s) in [0, 1]. A DataFrame is read through its ``icp_rate``
        column, so the output of :func:`icp_rate` can be passed directly.
    band : (float, float)
        Target band ``(low, high)`` with ``0 <= low <= high <= 1``.
    min_n : int, optional
        Groups with fewer leads than this are ``"insufficient_data"``: one
        lead is no quality bias. Needs the counts, so a DataFrame with a
        ``total`` column (:func:`icp_rate`'s output).
    rule : {"point", "interval"}, default "point"
        ``"point"`` compares the rate itself with the band; ``"interval"``
        calls a bias only when the whole interval lies outside the band
        (needs ``lower`` and ``upper`` columns: ``icp_rate(..., ci=0.95)``).

    Returns
    -------
    str or pandas.Series
        ``"quantity_bias"`` when rate < low, ``"quality_bias"`` when
        rate > high, otherwise ``"balanced"`` (and ``"insufficient_data"``
        with ``min_n``). A scalar gives a str; anything else a Series
        ``"diagnosis"`` (same index as a Series/DataFrame input).

    Examples
    --------
    >>> from bbmkit import diagnose_balance
    >>> diagnose_balance(0.375, band=(0.4, 0.7))
    'quantity_bias'
    >>> import pandas as pd
    >>> rates = pd.Series({"seo": 0.2, "abm": 0.9, "seminar": 0.5})
    >>> diagnose_balance(rates, band=(0.4, 0.7)).to_dict()
    {'seo': 'quantity_bias', 'abm': 'quality_bias', 'seminar': 'balanced'}

    With the sample size: a source with 2 leads is no evidence, and a rate
    whose interval reaches into the band is not called a bias:

    >>> from bbmkit import icp_rate
    >>> leads = pd.DataFrame({"source": ["seo"] * 40 + ["event"] * 2,
    ...                       "is_icp": [True] * 6 + [False] * 34 + [True, True]})
    >>> table = icp_rate(leads["is_icp"], by=leads["source"], ci=0.95)
    >>> diagnose_balance(table, band=(0.2, 0.6), min_n=10, rule="interval").to_dict()
    {'event': 'insufficient_data', 'seo': 'balanced', 'all': 'balanced'}
    """
    low, high = check_band(band)
    check_in_choices(rule, name="rule", choices=_RULES)
    minimum = None if min_n is None else check_int(min_n, name="min_n", low=1)
    if (minimum is not None or rule == "interval") and not isinstance(icp_rate, pd.DataFrame):
        raise ValidationError(
            "min_n and rule='interval' need the counts and intervals: pass icp_rate's "
            "DataFrame (icp_rate(..., ci=0.95)), not bare rates"
        )
    if isinstance(icp_rate, pd.DataFrame):
        frame = icp_rate
        if "icp_rate" not in frame.columns:
            raise ValidationError(
                "column 'icp_rate' is missing from icp_rate "
                f"(have: {', '.join(map(str, frame.columns))})"
            )
        needed = (["total"] if minimum is not None else []) + (
            ["lower", "upper"] if rule == "interval" else []
        )
        require_columns(frame, needed, name="icp_rate (pass ci= to icp_rate for the interval)")
        icp_rate = frame["icp_rate"]
        if needed:
            out = diagnose_balance(icp_rate, band=band)
            if rule == "interval":
                lower = _rates_column(frame, "lower")
                upper = _rates_column(frame, "upper")
                out[:] = _diagnose(_rates_column(frame, "icp_rate"), low, high, upper, lower)
            if minimum is not None:
                few = numeric_values(frame["total"], "total") < minimum
                out[few] = "insufficient_data"
            return out
    if isinstance(icp_rate, pd.Series | np.ndarray | Sequence) and not isinstance(
        icp_rate, str | bytes
    ):
        series = as_series(icp_rate, name="icp_rate")
        if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            raise ValidationTypeError(f"icp_rate must hold numbers, got dtype {series.dtype}")
        rates = series.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~((rates >= 0.0) & (rates <= 1.0))  # NaN is bad too
        if bad.any():
            where = series.index[int(np.argmax(bad))]
            raise ValidationError(
                f"icp_rate must be in [0, 1], got {fmt(rates[bad][0])} at index {fmt(where)}"
            )
        return pd.Series(_diagnose(rates, low, high), index=series.index, name="diagnosis")
    rate = check_rate(icp_rate, name="icp_rate")
    diagnosis: Diagnosis = _diagnose(np.array([rate]), low, high)[0]
    return diagnosis


def _rates_column(frame: pd.DataFrame, column: str) -> npt.NDArray[np.float64]:
    x = numeric_values(frame[column], column)
    if not ((x >= 0) & (x <= 1)).all():
        raise ValidationError(f"column {column!r} of icp_rate must hold rates in [0, 1]")
    return x


# --------------------------------------------------------------------------
# quality over time and concentration risk


def icp_trend(
    is_icp: pd.Series | npt.ArrayLike,
    period: pd.Series | npt.ArrayLike,
    *,
    band: tuple[float, float],
    max_change: float = 0.1,
) -> pd.DataFrame:
    """ICP rate and volume per period, with a flag when the mix shifts.

    A budget cut or a new head of sales can flip an organisation between
    quantity and quality; this shows when it happens.

    Parameters
    ----------
    is_icp : Series or array of bool
        ICP match per lead.
    period : Series or array
        Period label per lead (e.g. ``created_at.dt.to_period("M")``); sorted
        labels are taken to be in time order.
    band : (float, float)
        Target ICP-rate band.
    max_change : float, default 0.1
        Largest acceptable change of the ICP rate between consecutive
        periods (0.1 = ten percentage points).

    Returns
    -------
    pandas.DataFrame
        Per period: ``icp``, ``non_icp``, ``total``, ``icp_rate``,
        ``diagnosis``, ``change`` (ICP rate minus the previous period's) and
        ``flag`` (out of band, or a change larger than ``max_change``).

    Examples
    --------
    >>> from bbmkit import icp_trend
    >>> trend = icp_trend([1, 0, 1, 1, 0, 0, 0, 0], ["Q1"] * 4 + ["Q2"] * 4, band=(0.3, 0.8))
    >>> trend[["icp_rate", "diagnosis", "change", "flag"]]
        icp_rate      diagnosis  change   flag
    Q1      0.75       balanced     NaN  False
    Q2      0.00  quantity_bias   -0.75   True
    """
    low, high = check_band(band)
    step = check_number(max_change, name="max_change", low=0.0, high=1.0)
    if period is None:
        raise ValidationTypeError("period must be labels aligned with is_icp, got None")
    table = _icp_rate(is_icp, period, "period").iloc[:-1].copy()
    if table.index.hasnans:
        raise ValidationError("period has missing labels; every lead needs a period")
    rates = table["icp_rate"].to_numpy()
    table["diagnosis"] = _diagnose(rates, low, high)
    change = np.concatenate([[np.nan], np.diff(rates)])
    table["change"] = change
    table["flag"] = (rates < low) | (rates > high) | (np.abs(np.nan_to_num(change)) > step + 1e-12)
    return table


@attrs.frozen
class Concentration:
    """Result of :func:`concentration`.

    Attributes
    ----------
    hhi : float
        Herfindahl-Hirschman index: the sum of squared revenue shares, in
        [1/n, 1] (1 = one customer has everything).
    top_share : float
        Share of revenue of the ``top`` largest customers.
    effective_customers : float
        ``1 / hhi``: how many equal customers would give the same HHI.
    n : int
        Customers with revenue.

    Examples
    --------
    >>> from bbmkit import concentration
    >>> concentration([1, 1, 1, 1]).effective_customers
    4.0
    """

    hhi: float
    top_share: float
    effective_customers: float
    n: int


def concentration(revenue: pd.Series | npt.ArrayLike, *, top: int = 10) -> Concentration:
    """Revenue concentration: the risk side of a quality bias.

    Examples
    --------
    >>> from bbmkit import concentration
    >>> c = concentration([50, 30, 10, 10], top=1)
    >>> round(c.hhi, 4), c.top_share, round(c.effective_customers, 2)
    (0.36, 0.5, 2.78)
    """
    series = as_series(revenue, name="revenue")
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise ValidationTypeError(f"revenue must hold numbers, got dtype {series.dtype}")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        raise ValidationError(f"revenue must be finite and >= 0, got {fmt(values[bad][0])}")
    k = check_int(top, name="top", low=1)
    if values.size == 0 or not values.any():
        raise ValidationError("revenue must have at least one customer with revenue > 0")
    with np.errstate(over="ignore"):
        total_revenue = values.sum()
    if not np.isfinite(total_revenue):  # amounts near 1e308: shares are unchanged by scaling
        values = values / values.max()
        total_revenue = values.sum()
    share = values / total_revenue
    hhi = float(np.sum(share**2))
    top_share = float(np.sort(share)[::-1][:k].sum())
    return Concentration(
        hhi=hhi,
        top_share=min(top_share, 1.0),
        effective_customers=1.0 / hhi,
        n=int((values > 0).sum()),
    )


# --------------------------------------------------------------------------
# lifetime value


def ltv(
    orders: pd.DataFrame,
    *,
    customer: str = "account_id",
    value: str = "deal_value",
    time: str = "closed_at",
    lifetime_years: float | None = None,
    churn: float | None = None,
    margin: float = 1.0,
    observed_years: float | None = None,
) -> pd.DataFrame:
    """Customer lifetime value from purchase history.

    ``ltv = margin x average order value x orders per year x expected
    lifetime in years``, where the lifetime is ``lifetime_years`` or, from an
    annual ``churn`` rate, ``1 / churn``. Orders per year are counted over
    ``observed_years`` (default: from the first order in the data to the last,
    at least one year).

    Returns
    -------
    pandas.DataFrame
        Per customer: ``orders``, ``revenue``, ``average_order``,
        ``orders_per_year``, ``ltv``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import ltv
    >>> orders = pd.DataFrame({"account_id": ["A", "A", "B"], "deal_value": [100.0, 300.0, 50.0],
    ...                        "closed_at": pd.to_datetime(["2025-01-01", "2025-07-01", "2025-03-01"])})
    >>> ltv(orders, churn=0.25, observed_years=1)
                orders  revenue  average_order  orders_per_year    ltv
    account_id
    A                2    400.0          200.0              2.0  1600.0
    B                1     50.0           50.0              1.0   200.0
    """
    frame = check_frame(orders, name="orders")
    require_columns(frame, [customer, value, time], name="orders")
    if (lifetime_years is None) == (churn is None):
        raise ValidationError(
            "give lifetime_years or churn (one of them)", parameter="lifetime_years"
        )
    if lifetime_years is not None:
        life = check_number(lifetime_years, name="lifetime_years", low=0.0, low_inclusive=False)
    else:
        life = 1.0 / check_number(churn, name="churn", low=0.0, high=1.0, low_inclusive=False)
    m = check_number(margin, name="margin", low=0.0)
    amounts = numeric_values(frame[value], value)
    if not (np.isfinite(amounts) & (amounts >= 0)).all():
        raise ValidationError(f"column {value!r} must hold finite amounts >= 0")
    if frame[customer].isna().any():
        raise ValidationError(f"column {customer!r} has missing customer ids")
    days = datetime_days(frame[time], time)  # in the column's own unit: no overflow
    if len(frame) == 0:
        raise ValidationError("orders is empty")
    check_no_missing(frame[time], time)
    if observed_years is None:
        years = max(1.0, float(days.max() - days.min()) / 365.25)
    else:
        years = check_number(observed_years, name="observed_years", low=0.0, low_inclusive=False)
    codes, customers = factorize(frame[customer])
    n = len(customers)
    count = group_count(codes, n)
    revenue = group_sum(codes, amounts, n)
    average = revenue / count
    per_year = count / years
    with np.errstate(over="ignore"):
        value_ = m * average * per_year * life
        if not np.isfinite(revenue).all() or not np.isfinite(value_).all():
            raise ValidationError(
                f"the lifetime value overflows a float; check {value!r} and "
                f"{'lifetime_years' if lifetime_years is not None else 'churn'}",
                code="out_of_range",
                column=str(value),
            )
    return pd.DataFrame(
        {
            "orders": count,
            "revenue": revenue,
            "average_order": average,
            "orders_per_year": per_year,
            "ltv": value_,
        },
        index=customers.rename(customer),
    )


# --------------------------------------------------------------------------
# the portfolio of measures and its rebalancing

_SPLIT = ("opportunities", "wins", "revenue")


def _measures(
    measures: object, leads: str, icp_leads: str, cost: str
) -> tuple[pd.DataFrame, npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    frame = check_frame(measures, name="measures")
    if len(frame) == 0:
        raise ValidationError("measures is empty")
    if not frame.index.is_unique:
        raise ValidationError(
            f"measures has duplicated measure {fmt(frame.index[frame.index.duplicated()][0])}"
        )
    if _ALL in frame.index:
        raise ValidationError(
            f"measures has a measure named {_ALL!r}, which names the total row; rename it"
        )
    require_columns(frame, [leads, cost], name="measures")
    if icp_leads not in frame.columns and "icp_rate" not in frame.columns:
        raise ValidationError(f"measures needs column {icp_leads!r} or 'icp_rate'")

    def numbers(column: str) -> npt.NDArray[np.float64]:
        x = numeric_values(frame[column], column)
        bad = ~(np.isfinite(x) & (x >= 0))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValidationError(
                f"column {column!r} must be finite and >= 0, got {fmt(x[i])} for measure {fmt(frame.index[i])}"
            )
        return x

    n_leads = numbers(leads)
    if icp_leads in frame.columns:
        n_icp = numbers(icp_leads)
    else:
        rate = numbers("icp_rate")
        if (rate > 1).any():
            raise ValidationError(
                f"column 'icp_rate' must be in [0, 1], got {fmt(rate[rate > 1][0])}"
            )
        n_icp = rate * n_leads
    over = n_icp > n_leads + 1e-9
    if over.any():
        i = int(np.argmax(over))
        raise ValidationError(
            f"ICP leads ({fmt(n_icp[i])}) exceed leads ({fmt(n_leads[i])}) for measure {fmt(frame.index[i])}",
            parameter="measures",
        )
    return frame, n_leads, n_icp, numbers(cost)


def portfolio(
    measures: pd.DataFrame,
    *,
    band: tuple[float, float],
    leads: str = "leads",
    icp_leads: str = "icp_leads",
    cost: str = "cost",
) -> pd.DataFrame:
    """BBM summary of a portfolio of marketing measures, per measure and overall.

    Parameters
    ----------
    measures : pandas.DataFrame
        One row per measure (SEO, white papers, ads, trade shows, ABM plays),
        indexed by name: ``leads``, ``icp_leads`` (or ``icp_rate``),
        ``cost``, and optionally the ICP / non-ICP split of outcomes:
        ``opportunities_icp``, ``opportunities_non_icp``, ``wins_icp``,
        ``wins_non_icp``, ``revenue_icp``, ``revenue_non_icp``.
    band : (float, float)
        Target ICP-rate band for the diagnosis.

    Returns
    -------
    pandas.DataFrame
        Per measure and an ``"all"`` row: ``leads``, ``icp_leads``,
        ``non_icp_leads``, ``icp_rate``, ``diagnosis``, ``cost``,
        ``cost_per_lead``, ``cost_per_icp_lead``; with the split columns also
        ``win_rate_icp``, ``win_rate_non_icp`` (wins / opportunities),
        ``avg_deal_icp``, ``avg_deal_non_icp`` (revenue / wins), ``revenue``
        and ``romi`` ((revenue - cost) / cost).

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import portfolio
    >>> measures = pd.DataFrame({"leads": [400, 50], "icp_leads": [150, 40], "cost": [20000, 15000]},
    ...                         index=["white_paper", "abm_play"])
    >>> portfolio(measures, band=(0.4, 0.7))[["icp_rate", "diagnosis", "cost_per_icp_lead"]].round(3)
                 icp_rate      diagnosis  cost_per_icp_lead
    white_paper     0.375  quantity_bias            133.333
    abm_play        0.800   quality_bias            375.000
    all             0.422       balanced            184.211
    """
    low, high = check_band(band)
    frame, n_leads, n_icp, spend = _measures(measures, leads, icp_leads, cost)
    index = pd.Index([*frame.index, _ALL], dtype=object, name=frame.index.name)

    def with_total(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.append(x, x.sum())

    lead_t, icp_t, cost_t = with_total(n_leads), with_total(n_icp), with_total(spend)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(lead_t > 0, icp_t / np.where(lead_t > 0, lead_t, 1), np.nan)
        out = pd.DataFrame(
            {
                "leads": lead_t,
                "icp_leads": icp_t,
                "non_icp_leads": lead_t - icp_t,
                "icp_rate": rate,
                "diagnosis": np.where(
                    np.isnan(rate),
                    np.full(rate.size, None, dtype=object),
                    _diagnose(np.nan_to_num(rate), low, high),
                ),
                "cost": cost_t,
                "cost_per_lead": cost_t / lead_t,
                "cost_per_icp_lead": cost_t / icp_t,
            },
            index=index,
        )
        split = {f"{k}_{g}" for k in _SPLIT for g in ("icp", "non_icp")}
        if split <= set(frame.columns):
            values = {c: with_total(numeric_values(frame[c], c)) for c in sorted(split)}
            for c, x in values.items():
                if not (np.isfinite(x) & (x >= 0)).all():
                    raise ValidationError(f"column {c!r} must be finite and >= 0")
            for g in ("icp", "non_icp"):
                if (values[f"wins_{g}"] > values[f"opportunities_{g}"]).any():
                    raise ValidationError(
                        f"wins_{g} exceed opportunities_{g} for some measure", parameter="measures"
                    )
                out[f"win_rate_{g}"] = values[f"wins_{g}"] / values[f"opportunities_{g}"]
                out[f"avg_deal_{g}"] = values[f"revenue_{g}"] / values[f"wins_{g}"]
            revenue = values["revenue_icp"] + values["revenue_non_icp"]
            out["revenue"] = revenue
            out["romi"] = (revenue - cost_t) / cost_t
    return out


@attrs.frozen(repr=False)
class RebalancePlan(TablesRepr):
    """Result of :func:`rebalance`.

    Attributes
    ----------
    plan : pandas.DataFrame
        Per measure: ``current_spend``, ``spend``, ``change``, and the
        expected ``leads``, ``icp_leads`` (and ``revenue``) at the new spend.
    totals : pandas.Series
        Total spend, leads, ICP leads, ICP rate (and revenue) of the plan.
    binding : tuple of str
        The constraints that bind at the optimum (no slack left), e.g.
        ``"budget"``, ``"icp_rate >= 0.3"``, ``"max_spend[seo]"``.
    objective : str
        What was maximised.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import rebalance
    >>> measures = pd.DataFrame({"leads": [100], "icp_leads": [40], "cost": [1000.0]}, index=["seo"])
    >>> plan = rebalance(measures, budget=2000)
    >>> plan.plan.loc["seo", "spend"], plan.binding
    (np.float64(2000.0), ('budget',))
    """

    plan: pd.DataFrame = attrs.field(eq=False)
    totals: pd.Series = attrs.field(eq=False)
    binding: tuple[str, ...]
    objective: str


def _spend_bound(
    value: object, frame: pd.DataFrame, name: str, default: float
) -> npt.NDArray[np.float64]:
    if value is None:
        return np.full(len(frame), default)
    if isinstance(value, str):
        require_columns(frame, [value], name="measures")
        x = numeric_values(frame[value], value)
    elif isinstance(value, dict | pd.Series):
        mapping = dict(value)
        unknown = [k for k in mapping if k not in frame.index]
        if unknown:
            raise ValidationError(f"{name} names unknown measure(s) {', '.join(map(fmt, unknown))}")
        x = np.array([mapping.get(m, default) for m in frame.index], dtype=np.float64)
    else:
        x = np.full(len(frame), check_number(value, name=name, low=0.0))
    if not (np.isfinite(x) & (x >= 0)).all():
        raise ValidationError(f"{name} must be finite and >= 0")
    return x


def rebalance(
    measures: pd.DataFrame,
    *,
    budget: float,
    band: tuple[float, float] | None = None,
    min_leads: float | None = None,
    capacity: float | None = None,
    min_spend: float | str | dict[object, float] | pd.Series | None = None,
    max_spend: float | str | dict[object, float] | pd.Series | None = None,
    objective: Literal["icp_leads", "revenue"] = "icp_leads",
    leads: str = "leads",
    icp_leads: str = "icp_leads",
    cost: str = "cost",
) -> RebalancePlan:
    """The spend per measure that maximises expected ICP leads or revenue: a linear program.

    Each measure responds linearly to spend: at its current cost it brought
    its leads, ICP leads (and revenue), so a currency unit brings
    ``leads / cost`` leads. Constraints: total spend <= ``budget``; the
    overall ICP rate within ``band``; total leads >= ``min_leads``; total
    leads <= ``capacity`` (what sales can work); per-measure spend within
    ``min_spend`` and ``max_spend`` (numbers, mappings by measure or column
    names). Solved with ``scipy.optimize.linprog`` (HiGHS).

    Raises
    ------
    ValidationError
        An infeasible problem names the constraint(s) whose removal would make
        it feasible.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import rebalance
    >>> measures = pd.DataFrame({"leads": [1000, 200, 500], "icp_leads": [100, 120, 200],
    ...                          "cost": [10000.0, 10000.0, 10000.0]}, index=["ads", "seminar", "abm"])
    >>> plan = rebalance(measures, budget=30000, band=(0.3, 0.7), max_spend=15000)
    >>> plan.plan["spend"].round(2).to_dict()
    {'ads': 0.0, 'seminar': 15000.0, 'abm': 15000.0}
    >>> round(float(plan.totals["icp_leads"]), 6), plan.binding
    (480.0, ('budget', 'max_spend[seminar]', 'max_spend[abm]'))
    """
    frame, n_leads, n_icp, spend = _measures(measures, leads, icp_leads, cost)
    if (spend <= 0).any():
        raise ValidationError(
            f"cost must be > 0 to rebalance: measure {fmt(frame.index[int(np.argmax(spend <= 0))])} has no spend to scale"
        )
    total_budget = check_number(budget, name="budget", low=0.0)
    if objective not in ("icp_leads", "revenue"):
        raise ValidationError(f"objective must be 'icp_leads' or 'revenue', got {fmt(objective)}")
    a = n_leads / spend
    b = n_icp / spend
    per_unit = {"leads": a, "icp_leads": b}
    if objective == "revenue":
        if "revenue" in frame.columns:
            rev = numeric_values(frame["revenue"], "revenue")
        elif {"revenue_icp", "revenue_non_icp"} <= set(frame.columns):
            rev = numeric_values(frame["revenue_icp"], "revenue_icp") + numeric_values(
                frame["revenue_non_icp"], "revenue_non_icp"
            )
        else:
            raise ValidationError(
                "objective='revenue' needs a 'revenue' column (or revenue_icp and revenue_non_icp)"
            )
        per_unit["revenue"] = rev / spend
    lower = _spend_bound(min_spend, frame, "min_spend", 0.0)
    upper = _spend_bound(max_spend, frame, "max_spend", total_budget)
    if (lower > upper).any():
        i = int(np.argmax(lower > upper))
        raise ValidationError(f"min_spend exceeds max_spend for measure {fmt(frame.index[i])}")

    rows: list[tuple[str, npt.NDArray[np.float64], float]] = [
        ("budget", np.ones(len(frame)), total_budget)
    ]
    if band is not None:
        low, high = check_band(band)
        rows.append((f"icp_rate >= {low:g}", low * a - b, 0.0))
        rows.append((f"icp_rate <= {high:g}", b - high * a, 0.0))
    if min_leads is not None:
        rows.append(
            (f"leads >= {min_leads:g}", -a, -check_number(min_leads, name="min_leads", low=0.0))
        )
    if capacity is not None:
        rows.append((f"leads <= {capacity:g}", a, check_number(capacity, name="capacity", low=0.0)))

    c = -per_unit[objective]
    result = _solve(c, rows, lower, upper)
    if result is None:
        raise ValidationError(_explain_infeasible(c, rows, lower, upper, total_budget))
    # + 0.0 turns the solver's -0.0 into 0.0
    x = np.maximum(np.asarray(result.x, dtype=np.float64), lower) + 0.0
    binding = [
        name
        for (name, coef, rhs) in rows
        if abs(coef @ x - rhs) <= 1e-7 * max(1.0, abs(rhs), float(np.abs(coef).max() * x.sum()))
    ]
    tol = 1e-7 * max(1.0, total_budget)
    binding += [
        f"min_spend[{m}]"
        for m, lo, xi in zip(frame.index, lower, x, strict=True)
        if lo > 0 and xi - lo <= tol
    ]
    binding += [
        f"max_spend[{m}]"
        for m, hi, xi in zip(frame.index, upper, x, strict=True)
        if hi < total_budget and hi - xi <= tol
    ]
    plan = pd.DataFrame(
        {
            "current_spend": spend,
            "spend": x,
            "change": x - spend,
            **{k: v * x for k, v in per_unit.items()},
        },
        index=frame.index,
    )
    totals = {"spend": x.sum(), "leads": plan["leads"].sum(), "icp_leads": plan["icp_leads"].sum()}
    totals["icp_rate"] = (
        totals["icp_leads"] / totals["leads"] if totals["leads"] > 0 else float("nan")
    )
    if "revenue" in plan.columns:
        totals["revenue"] = plan["revenue"].sum()
    return RebalancePlan(
        plan=plan,
        totals=pd.Series(totals, name="plan"),
        binding=tuple(binding),
        objective=objective,
    )


def _solve(
    c: npt.NDArray[np.float64],
    rows: list[tuple[str, npt.NDArray[np.float64], float]],
    lower: npt.NDArray[np.float64],
    upper: npt.NDArray[np.float64],
) -> Any:
    from scipy.optimize import linprog

    # spend in units of the largest bound: every row is linear in spend, and HiGHS takes
    # bounds from 1e20 up as infinite, so a budget of 1e20 would read as unbounded
    sizes = np.abs(np.array([*upper, *(rhs for _, _, rhs in rows)], dtype=np.float64))
    scale = max(1.0, float(np.max(sizes[np.isfinite(sizes)], initial=0.0)))
    a_ub = np.array([coef for _, coef, _ in rows]) if rows else None
    b_ub = np.array([rhs / scale for _, _, rhs in rows]) if rows else None
    bounds = list(zip(lower / scale, upper / scale, strict=True))
    result = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if result.status == 0:
        result.x = result.x * scale
        return result
    if result.status == 2:
        return None
    raise ValidationError(
        f"the rebalancing problem could not be solved: {result.message}", parameter="measures"
    )


def _explain_infeasible(
    c: npt.NDArray[np.float64],
    rows: list[tuple[str, npt.NDArray[np.float64], float]],
    lower: npt.NDArray[np.float64],
    upper: npt.NDArray[np.float64],
    budget: float,
) -> str:
    culprits = [
        name
        for i, (name, _, _) in enumerate(rows)
        if _solve(c, rows[:i] + rows[i + 1 :], lower, upper) is not None
    ]
    if lower.sum() > budget:
        culprits.append("min_spend (the minimum spends add up to more than the budget)")
    if _solve(c, rows, np.zeros_like(lower), np.full_like(upper, np.inf)) is not None:
        culprits.append("min_spend/max_spend")
    if culprits:
        return f"the rebalancing problem is infeasible; it cannot meet: {'; '.join(culprits)}"
    return "the rebalancing problem is infeasible: no single constraint can be dropped to fix it"


def ltv_comparison(values: pd.Series, is_icp: pd.Series) -> pd.DataFrame:
    """LTV of ICP customers against non-ICP customers: is the ICP worth it?

    Parameters
    ----------
    values : pandas.Series
        LTV (or any value) per customer, e.g. ``ltv(orders, ...)["ltv"]``.
    is_icp : pandas.Series of bool
        ICP match per customer; every customer in ``values`` needs one.

    Returns
    -------
    pandas.DataFrame
        Rows ``icp`` and ``non_icp``: ``customers``, ``total``, ``mean`` and
        ``median``; plus ``ratio`` (mean ICP LTV / mean non-ICP LTV) on the
        ``icp`` row.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import ltv_comparison
    >>> values = pd.Series({"A": 1600.0, "B": 200.0, "C": 900.0})
    >>> icp = pd.Series({"A": True, "B": False, "C": True})
    >>> ltv_comparison(values, icp)
             customers   total    mean  median  ratio
    icp              2  2500.0  1250.0  1250.0   6.25
    non_icp          1   200.0   200.0   200.0    NaN
    """
    if not isinstance(values, pd.Series) or not isinstance(is_icp, pd.Series):
        raise ValidationTypeError("values and is_icp must be pandas Series indexed by customer")
    for name, series in (("values", values), ("is_icp", is_icp)):
        if not series.index.is_unique:
            twice = series.index[series.index.duplicated()][0]
            raise ValidationError(f"{name} lists customer {fmt(twice)} more than once")
    pos = is_icp.index.get_indexer(values.index)
    if (pos < 0).any():
        raise ValidationError(
            f"is_icp has no value for customer {fmt(values.index[int(np.argmax(pos < 0))])}"
        )
    flags = as_bool_array(is_icp.iloc[pos].reset_index(drop=True), name="is_icp")
    x = numeric_values(values, "values")
    if not np.isfinite(x).all():
        raise ValidationError("values has missing or infinite values")
    codes = np.where(flags, 0, 1).astype(np.intp)
    count = group_count(codes, 2)
    total = group_sum(codes, x, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    median = group_median(codes, x, 2)
    ratio = np.array([mean[0] / mean[1] if count[1] and mean[1] else np.nan, np.nan])
    return pd.DataFrame(
        {"customers": count, "total": total, "mean": mean, "median": median, "ratio": ratio},
        index=pd.Index(["icp", "non_icp"]),
    )
