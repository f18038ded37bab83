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

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.extensions import ExtensionArray

from bbmkit._convert import factorize
from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._kernels import group_count
from bbmkit._validation import as_bool_array, check_band, check_rate, fmt

__all__ = ["Diagnosis", "diagnose_balance", "icp_rate"]

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
