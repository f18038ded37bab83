"""Proportion intervals and binomial planning for funnel rates."""

from __future__ import annotations

import math
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._validation import check_in_choices, check_int, check_number, fmt, paired

__all__ = ["CIMethod", "min_trials", "proportion_ci"]

CIMethod: TypeAlias = Literal["wilson", "agresti_coull", "clopper_pearson", "normal"]
_METHODS: tuple[str, ...] = ("wilson", "agresti_coull", "clopper_pearson", "normal")
# statsmodels' names where they differ from ours
_ALIASES = {"beta": "clopper_pearson"}
# beyond this many trials float counts are no longer exact: a rate that needs more is too small
_MAX_TRIALS = 2**53


def _counts(values: object, name: str) -> tuple[npt.NDArray[np.float64], pd.Index | None]:
    index = values.index if isinstance(values, pd.Series) else None
    if isinstance(values, pd.Series):
        if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
            values.dtype
        ):
            raise ValidationTypeError(f"{name} must hold counts, got dtype {values.dtype}")
        arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        if isinstance(values, bool | str | bytes):
            raise ValidationTypeError(
                f"{name} must be a count or array of counts, got {fmt(values)}"
            )
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as err:
            raise ValidationTypeError(
                f"{name} must be a count or array of counts, got {fmt(values)}"
            ) from err
    # counts past 2**53 are no longer exact whole numbers in float64
    bad = ~(np.isfinite(arr) & (arr >= 0) & (arr == np.round(arr)) & (arr <= _MAX_TRIALS))
    if bad.any():
        raise ValidationError(
            f"{name} must be whole numbers from 0 to 2**53, got {fmt(arr[bad].ravel()[0])}"
        )
    return arr, index


def proportion_ci(
    successes: object,
    trials: object,
    *,
    method: CIMethod = "wilson",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Point estimate and confidence interval of a proportion, vectorised.

    Parameters
    ----------
    successes, trials : int, array or Series
        Counts (non-negative whole numbers, ``successes <= trials``,
        ``trials > 0``), broadcast against each other.
    method : {"wilson", "agresti_coull", "clopper_pearson", "normal"}
        Wilson score (default: good coverage at small counts and rates near 0
        or 1), Agresti-Coull, Clopper-Pearson (exact, conservative) or the
        normal (Wald) approximation. Wilson, Agresti-Coull and normal bounds
        are clipped to [0, 1]. Results equal statsmodels'
        ``proportion_confint``, whose name ``"beta"`` (Clopper-Pearson) is
        accepted too.
    confidence : float, default 0.95
        Two-sided confidence level in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Columns ``rate``, ``lower``, ``upper``; indexed like a Series input.

    Examples
    --------
    >>> from bbmkit import proportion_ci
    >>> proportion_ci(150, 400).round(4)
        rate  lower   upper
    0  0.375  0.329  0.4234
    >>> proportion_ci([0, 5], [10, 10], method="clopper_pearson").round(4)
       rate   lower   upper
    0   0.0  0.0000  0.3085
    1   0.5  0.1871  0.8129
    """
    if isinstance(method, str):
        method = _ALIASES.get(method, method)  # type: ignore[assignment]
    method = check_in_choices(method, name="method", choices=_METHODS)  # type: ignore[assignment]
    level = check_number(
        confidence, name="confidence", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    successes, trials = paired(successes, trials, names=("successes", "trials"))
    k, k_index = _counts(successes, "successes")
    n, n_index = _counts(trials, "trials")
    try:
        k, n = np.broadcast_arrays(k, n)
    except ValueError as err:
        raise ValidationError(
            f"successes and trials have shapes {k.shape} and {n.shape} that do not broadcast"
        ) from err
    if (n <= 0).any():
        raise ValidationError("trials must be > 0: the rate of no trials is undefined")
    if (k > n).any():
        i = int(np.argmax((k > n).ravel()))
        raise ValidationError(
            f"successes must be <= trials, got {fmt(k.ravel()[i])} of {fmt(n.ravel()[i])}"
        )
    lower, upper = _interval(k.astype(np.float64), n.astype(np.float64), method, level)
    index = k_index if k_index is not None else n_index
    return pd.DataFrame(
        {"rate": (k / n).ravel(), "lower": lower.ravel(), "upper": upper.ravel()},
        index=index if index is not None and len(index) == k.size else None,
    )


def _interval(
    k: npt.NDArray[np.float64], n: npt.NDArray[np.float64], method: str, level: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    alpha = (1.0 - level) / 2.0
    q = k / n
    from scipy import special, stats  # here: importing bbmkit does not load scipy.stats

    z = float(stats.norm.isf(alpha))
    if method == "clopper_pearson":
        with np.errstate(invalid="ignore"):
            lower = np.where(k == 0, 0.0, special.betaincinv(k, n - k + 1, alpha))
            upper = np.where(k == n, 1.0, special.betaincinv(k + 1, n - k, 1.0 - alpha))
        return lower, upper
    if method == "normal":
        half = z * np.sqrt(q * (1.0 - q) / n)
        centre = q
    elif method == "agresti_coull":
        n_c = n + z**2
        centre = (k + z**2 / 2.0) / n_c
        half = z * np.sqrt(centre * (1.0 - centre) / n_c)
    else:  # wilson
        denom = 1.0 + z**2 / n
        centre = (q + z**2 / (2.0 * n)) / denom
        half = z * np.sqrt(q * (1.0 - q) / n + z**2 / (4.0 * n**2)) / denom
    lower, upper = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    if method == "wilson":  # exact at the ends, where rounding leaves ~1e-17
        lower = np.where(k == 0, 0.0, lower)
        upper = np.where(k == n, 1.0, upper)
    return lower, upper


def min_trials(successes: int, rate: float, *, probability: float = 0.9) -> int:
    """Smallest number of trials ``n`` with ``P(Binomial(n, rate) >= successes) >= probability``.

    The planning question "how many leads so that we reach at least 5
    customers with 90 % probability", when each lead independently becomes
    a customer with probability ``rate``.

    Parameters
    ----------
    successes : int
        Target number of successes (>= 1).
    rate : float
        Success probability per trial, in (0, 1].
    probability : float, default 0.9
        Required probability of reaching the target, in (0, 1).

    Examples
    --------
    >>> from bbmkit import min_trials
    >>> min_trials(5, 0.032, probability=0.9)  # awareness -> customer at 3.2 %
    248
    >>> 5 / 0.032  # the expected-value answer, reached only about half the time
    156.25
    """
    target = check_int(successes, name="successes", low=1, high=_MAX_TRIALS)
    p = check_number(rate, name="rate", low=0.0, high=1.0, low_inclusive=False)
    return plan_trials(target, p, check_probability(probability), "rate")


def check_probability(probability: object) -> float:
    """A required probability of reaching a target, in (0, 1)."""
    return check_number(
        probability,
        name="probability",
        low=0.0,
        high=1.0,
        low_inclusive=False,
        high_inclusive=False,
    )


def plan_trials(target: int, p: float, level: float, rate_name: str) -> int:
    """:func:`min_trials` of checked inputs; ``rate_name`` names ``p`` in the error for tiny rates."""
    if p == 1.0:
        return target
    if target / p > _MAX_TRIALS:
        raise ValidationError(
            f"{rate_name} {fmt(p)} is too small to plan for successes={target}: it needs "
            "more than 2**53 trials"
        )
    # P(X >= target) grows with n: double to a bound, then bisect to the smallest n

    def enough(n: int) -> bool:
        from scipy import stats

        return bool(stats.binom.sf(target - 1, n, p) >= level)

    low, high = target - 1, max(target, math.ceil(target / p))
    while not enough(high):
        low, high = high, 2 * high
    while high - low > 1:
        mid = (low + high) // 2
        if enough(mid):
            high = mid
        else:
            low = mid
    return high
