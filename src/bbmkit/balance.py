"""Balance-Based Marketing: the ICP rate and the quantity/quality diagnosis.

BBM measures every marketing measure and funnel stage by its **ICP count**
(leads or customers matching the ICP) and **ICP rate** (ICP count / total).
A rate below the organisation's target band is a *quantity bias* (sales
works leads that will never be good customers), above it a *quality bias*
(too few leads to scale, dependence on a few accounts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias, overload

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.extensions import ExtensionArray

from bbmkit._convert import factorize
from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._kernels import group_count, group_sum
from bbmkit._validation import (
    as_bool_array,
    check_band,
    check_frame,
    check_int,
    check_number,
    check_rate,
    fmt,
    require_columns,
)

__all__ = [
    "Concentration",
    "Diagnosis",
    "concentration",
    "diagnose_balance",
    "icp_rate",
    "icp_trend",
    "ltv",
]

Diagnosis: TypeAlias = Literal["quantity_bias", "balanced", "quality_bias"]

_ALL = "all"


def _labels(by: object, n: int, is_icp: object) -> pd.Series:
    if isinstance(by, pd.DataFrame):
        raise ValidationTypeError(
            "by must be one-dimensional labels (a Series or array), got a DataFrame"
        )
    if isinstance(by, str | bytes) or not (
        isinstance(by, pd.Series | pd.Index | np.ndarray | ExtensionArray | Sequence)
    ):
        raise ValidationTypeError(
            f"by must be labels aligned with is_icp (a Series or array), got {fmt(by)}"
        )
    labels = by if isinstance(by, pd.Series) else pd.Series(by)
    if labels.ndim != 1 or len(labels) != n:
        raise ValidationError(f"by must have one label per row of is_icp ({n}), got {len(labels)}")
    if (
        isinstance(by, pd.Series)
        and isinstance(is_icp, pd.Series)
        and not by.index.equals(is_icp.index)
    ):
        raise ValidationError(
            "by's index does not match is_icp's index; align them first "
            "(e.g. by.reindex(is_icp.index)) so no row is matched to the wrong group"
        )
    return labels


def icp_rate(
    is_icp: pd.Series | npt.ArrayLike, *, by: pd.Series | npt.ArrayLike | None = None
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
        A Series must have the same index as a Series ``is_icp``. Rows whose
        label is missing form a group of their own (labelled NaN).

    Returns
    -------
    pandas.DataFrame
        Columns ``icp``, ``non_icp``, ``total`` (int) and ``icp_rate``
        (float). Without ``by`` one row, ``"all"``; with ``by`` one row per
        group (sorted labels, categorical order for a categorical, missing
        last) and the ``"all"`` row last. The group rows always add up to
        ``"all"``; groups with zero ICP are kept.

    Raises
    ------
    ValidationError
        Empty input (the rate of nothing is undefined), missing or non-boolean
        values, misaligned ``by``, or a group labelled ``"all"``.

    Examples
    --------
    The DOMAIN.md example: 400 leads of which 150 match the ICP.

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
    flags = as_bool_array(is_icp, name="is_icp")
    n = flags.shape[0]
    if n == 0:
        raise ValidationError("is_icp is empty; the ICP rate of no leads is undefined")

    if by is None:
        codes = np.zeros(n, dtype=np.intp)
        uniques: list[object] = []
        index_name = None
    else:
        labels = _labels(by, n, is_icp)
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


def _diagnose(rates: npt.NDArray[np.float64], low: float, high: float) -> npt.NDArray[np.object_]:
    return np.select(
        [rates < low, rates > high],
        np.array(["quantity_bias", "quality_bias"], dtype=object),
        default="balanced",
    ).astype(object)


@overload
def diagnose_balance(icp_rate: float, *, band: tuple[float, float]) -> Diagnosis: ...


@overload
def diagnose_balance(
    icp_rate: pd.Series | pd.DataFrame | npt.NDArray[np.floating] | Sequence[float],
    *,
    band: tuple[float, float],
) -> pd.Series: ...


def diagnose_balance(
    icp_rate: float | pd.Series | pd.DataFrame | npt.NDArray[np.floating] | Sequence[float],
    *,
    band: tuple[float, float],
) -> Diagnosis | pd.Series:
    """Classify ICP rates against the target band.

    Parameters
    ----------
    icp_rate : float, Series, array or DataFrame
        ICP rate(s) in [0, 1]. A DataFrame is read through its ``icp_rate``
        column, so the output of :func:`icp_rate` can be passed directly.
    band : (float, float)
        Target band ``(low, high)`` with ``0 <= low <= high <= 1``.

    Returns
    -------
    str or pandas.Series
        ``"quantity_bias"`` when rate < low, ``"quality_bias"`` when
        rate > high, otherwise ``"balanced"``. A scalar gives a str; anything
        else a Series ``"diagnosis"`` (same index as a Series/DataFrame
        input).

    Examples
    --------
    >>> from bbmkit import diagnose_balance
    >>> diagnose_balance(0.375, band=(0.4, 0.7))
    'quantity_bias'
    >>> import pandas as pd
    >>> rates = pd.Series({"seo": 0.2, "abm": 0.9, "seminar": 0.5})
    >>> diagnose_balance(rates, band=(0.4, 0.7)).to_dict()
    {'seo': 'quantity_bias', 'abm': 'quality_bias', 'seminar': 'balanced'}
    """
    low, high = check_band(band)
    if isinstance(icp_rate, pd.DataFrame):
        if "icp_rate" not in icp_rate.columns:
            raise ValidationError(
                "column 'icp_rate' is missing from icp_rate "
                f"(have: {', '.join(map(str, icp_rate.columns))})"
            )
        icp_rate = icp_rate["icp_rate"]
    if isinstance(icp_rate, pd.Series | np.ndarray | Sequence) and not isinstance(
        icp_rate, str | bytes
    ):
        series = icp_rate if isinstance(icp_rate, pd.Series) else pd.Series(icp_rate)
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
    table = icp_rate(is_icp, by=period).iloc[:-1].copy()
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
    series = revenue if isinstance(revenue, pd.Series) else pd.Series(np.asarray(revenue))
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise ValidationTypeError(f"revenue must hold numbers, got dtype {series.dtype}")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        raise ValidationError(f"revenue must be finite and >= 0, got {fmt(values[bad][0])}")
    k = check_int(top, name="top", low=1)
    total_revenue = values.sum()
    if values.size == 0 or total_revenue <= 0:
        raise ValidationError("revenue must have at least one customer with revenue > 0")
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
        raise ValidationError("give lifetime_years or churn (one of them)")
    if lifetime_years is not None:
        life = check_number(lifetime_years, name="lifetime_years", low=0.0, low_inclusive=False)
    else:
        life = 1.0 / check_number(churn, name="churn", low=0.0, high=1.0, low_inclusive=False)
    m = check_number(margin, name="margin", low=0.0)
    amounts = frame[value].to_numpy(dtype=np.float64, na_value=np.nan)
    if not (np.isfinite(amounts) & (amounts >= 0)).all():
        raise ValidationError(f"column {value!r} must hold finite amounts >= 0")
    if frame[customer].isna().any():
        raise ValidationError(f"column {customer!r} has missing customer ids")
    if not pd.api.types.is_datetime64_any_dtype(frame[time].dtype):
        raise ValidationTypeError(
            f"column {time!r} must hold datetimes, got dtype {frame[time].dtype}"
        )
    if len(frame) == 0:
        raise ValidationError("orders is empty")
    if observed_years is None:
        span = (frame[time].max() - frame[time].min()) / pd.Timedelta(days=365.25)
        years = max(1.0, float(span))
    else:
        years = check_number(observed_years, name="observed_years", low=0.0, low_inclusive=False)
    codes, customers = factorize(frame[customer])
    n = len(customers)
    count = group_count(codes, n)
    revenue = group_sum(codes, amounts, n)
    average = revenue / count
    per_year = count / years
    return pd.DataFrame(
        {
            "orders": count,
            "revenue": revenue,
            "average_order": average,
            "orders_per_year": per_year,
            "ltv": m * average * per_year * life,
        },
        index=customers.rename(customer),
    )
