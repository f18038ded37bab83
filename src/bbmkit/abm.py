"""ABM target-account prioritisation: weighted items, tiers, and how stable the ranking is.

Each account is described by items on their own scales (ICP fit in %,
opportunity, purchase history and relationship on 0-10); each item is divided
by its scale and the priority is the weighted mean,

    priority = sum(weight_i * value_i / scale_i) / sum(weight_i),   in [0, 1].
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._validation import check_frame, check_int, check_number, fmt, require_columns
from bbmkit.accounts import rollup
from bbmkit.icp import ICPProfile

__all__ = [
    "RankStability",
    "account_table",
    "assign_tiers",
    "prioritize",
    "priority_contributions",
    "rank_stability",
    "swap_weights",
]


@attrs.frozen
class _Items:
    """Validated prioritisation inputs: normalised values and raw weights."""

    frame: pd.DataFrame
    columns: list[Hashable]
    normalised: npt.NDArray[np.float64]  # (n_accounts, n_items), each in [0, 1]
    weights: npt.NDArray[np.float64]  # (n_items,), >= 0, not all 0


def _items(accounts: object, weights: object, scales: object) -> _Items:
    frame = check_frame(accounts, name="accounts")
    if not frame.index.is_unique:
        dup = frame.index[frame.index.duplicated()][0]
        raise ValidationError(f"accounts has duplicated account id {fmt(dup)} in its index")
    if not isinstance(weights, Mapping) or not weights:
        raise ValidationTypeError(
            f"weights must be a non-empty mapping of column to weight, got {fmt(weights)}"
        )
    columns = list(weights)
    require_columns(frame, columns, name="accounts")
    raw = np.array(
        [check_number(weights[c], name=f"weights[{c!r}]", low=0.0) for c in columns],
        dtype=np.float64,
    )
    if raw.sum() == 0:
        raise ValidationError("weights are all zero; at least one item must count")
    scale_map: Mapping[Hashable, object] = {} if scales is None else scales  # type: ignore[assignment]
    if not isinstance(scale_map, Mapping):
        raise ValidationTypeError(
            f"scales must be a mapping of column to the maximum of its scale, got {fmt(scales)}"
        )
    extra = [c for c in scale_map if c not in weights]
    if extra:
        raise ValidationError(
            f"scales names column(s) with no weight: {', '.join(map(fmt, extra))}"
        )
    values = np.empty((len(frame), len(columns)), dtype=np.float64)
    for j, column in enumerate(columns):
        scale = check_number(
            scale_map.get(column, 1.0), name=f"scales[{column!r}]", low=0.0, low_inclusive=False
        )
        series = frame[column]
        if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            raise ValidationTypeError(
                f"column {column!r} must be numeric, has dtype {series.dtype}"
            )
        x = series.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~((x >= 0) & (x <= scale))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValidationError(
                f"column {column!r} must be in [0, {scale:g}] (its scale), got {fmt(x[i])} "
                f"for account {fmt(frame.index[i])}"
            )
        values[:, j] = x / scale
    return _Items(frame=frame, columns=columns, normalised=values, weights=raw)


def _priority(
    values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Weighted mean per row; ``weights`` may be a matrix of many weight sets (columns)."""
    w = weights / weights.sum(axis=0)
    out: npt.NDArray[np.float64] = np.clip(values @ w, 0.0, 1.0)
    return out


def _ranks(priority: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """1 = highest priority; ties keep input order. Works column-wise on a matrix.

    Priorities equal to 12 decimals count as tied, so rounding noise (weights
    scaled by a constant, summed in another order) never reorders accounts.
    """
    order = np.argsort(-np.round(priority, 12), axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(
        ranks,
        order,
        np.arange(1, priority.shape[0] + 1).reshape(-1, *([1] * (priority.ndim - 1))),
        axis=0,
    )
    return ranks.astype(np.int64)


def prioritize(
    accounts: pd.DataFrame,
    weights: Mapping[Any, float],
    *,
    scales: Mapping[Any, float] | None = None,
) -> pd.DataFrame:
    """Rank target accounts by the weighted mean of their normalised items.

    Parameters
    ----------
    accounts : pandas.DataFrame
        One row per account, indexed by account id (unique).
    weights : mapping of column to float
        Weight per item (>= 0, not all zero). Only these columns count.
    scales : mapping of column to float, optional
        Maximum of each item's scale (``{"icp_fit": 100, "opportunity":
        10}``); an item without a scale must already lie in [0, 1]. Values
        outside [0, scale] are an error.

    Returns
    -------
    pandas.DataFrame
        The input's columns plus ``priority`` (in [0, 1]) and ``rank``
        (1 = first), sorted by rank; ties keep input order.

    Examples
    --------
    DOMAIN.md section 5:

    >>> import pandas as pd
    >>> from bbmkit import prioritize
    >>> accounts = pd.DataFrame(
    ...     {"icp_fit": [60, 80, 90], "opportunity": [5, 4, 8],
    ...      "history": [8, 2, 6], "relationship": [3, 6, 7]},
    ...     index=pd.Index(["A", "B", "C"], name="account"))
    >>> prioritize(
    ...     accounts,
    ...     {"icp_fit": 0.4, "opportunity": 0.3, "history": 0.2, "relationship": 0.1},
    ...     scales={"icp_fit": 100, "opportunity": 10, "history": 10, "relationship": 10},
    ... ).round(2)
             icp_fit  opportunity  history  relationship  priority  rank
    account
    C             90            8        6             7      0.79     1
    A             60            5        8             3      0.58     2
    B             80            4        2             6      0.54     3
    """
    items = _items(accounts, weights, scales)
    priority = _priority(items.normalised, items.weights)
    rank = _ranks(priority)
    out = items.frame.assign(priority=priority, rank=rank)
    return out.iloc[np.argsort(rank, kind="stable")]


def priority_contributions(
    accounts: pd.DataFrame,
    weights: Mapping[Any, float],
    *,
    scales: Mapping[Any, float] | None = None,
) -> pd.DataFrame:
    """Each item's share of each account's priority: why an account is first.

    Returns
    -------
    pandas.DataFrame
        Same index and order as ``accounts``, one column per weighted item
        with ``weight_i * value_i / scale_i / sum(weight)``; rows sum to the
        priority.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import priority_contributions
    >>> accounts = pd.DataFrame({"icp_fit": [90], "opportunity": [8]}, index=["C"])
    >>> priority_contributions(accounts, {"icp_fit": 0.4, "opportunity": 0.6},
    ...                        scales={"icp_fit": 100, "opportunity": 10}).round(2)
       icp_fit  opportunity
    C     0.36         0.48
    """
    items = _items(accounts, weights, scales)
    share = items.weights / items.weights.sum()
    return pd.DataFrame(
        items.normalised * share, index=items.frame.index, columns=pd.Index(items.columns)
    )


def assign_tiers(
    priority: pd.Series,
    *,
    cutoffs: tuple[float, ...] | None = None,
    top: tuple[int, ...] | None = None,
) -> pd.Series:
    """Tier 1, 2, 3, ... by priority cut-offs or by top-N counts.

    Parameters
    ----------
    priority : pandas.Series
        Priority per account (e.g. the ``priority`` column of
        :func:`prioritize`), in [0, 1].
    cutoffs : tuple of float, optional
        Strictly decreasing lower bounds: ``(0.7, 0.4)`` puts priority >= 0.7
        in tier 1, >= 0.4 in tier 2, the rest in tier 3.
    top : tuple of int, optional
        Increasing cumulative counts by rank: ``(10, 50)`` puts the first 10
        accounts in tier 1, the next 40 in tier 2, the rest in tier 3. Ties
        keep input order. Give ``cutoffs`` or ``top``.

    Returns
    -------
    pandas.Series
        ``"tier"`` (int, 1 = first), indexed like ``priority``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import assign_tiers
    >>> p = pd.Series({"A": 0.58, "B": 0.54, "C": 0.79})
    >>> assign_tiers(p, cutoffs=(0.7, 0.55)).to_dict()
    {'A': 2, 'B': 3, 'C': 1}
    >>> assign_tiers(p, top=(1,)).to_dict()
    {'A': 2, 'B': 2, 'C': 1}
    """
    if not isinstance(priority, pd.Series):
        raise ValidationTypeError(
            f"priority must be a pandas Series, got {type(priority).__name__}"
        )
    values = priority.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~((values >= 0) & (values <= 1))
    if bad.any():
        raise ValidationError(f"priority must be in [0, 1], got {fmt(values[bad][0])}")
    if (cutoffs is None) == (top is None):
        raise ValidationError("give cutoffs or top (one of them)")
    if cutoffs is not None:
        bounds = np.array(
            [check_number(c, name="cutoffs", low=0.0, high=1.0) for c in cutoffs], dtype=np.float64
        )
        if bounds.size == 0 or np.any(np.diff(bounds) >= 0):
            raise ValidationError(
                f"cutoffs must be non-empty and strictly decreasing, got {fmt(cutoffs)}"
            )
        tier = 1 + (values[:, None] < bounds[None, :]).sum(axis=1)
    else:
        assert top is not None
        counts = np.array([check_int(t, name="top", low=1) for t in top], dtype=np.int64)
        if counts.size == 0 or np.any(np.diff(counts) <= 0):
            raise ValidationError(f"top must be non-empty and strictly increasing, got {fmt(top)}")
        rank = _ranks(values)
        tier = 1 + (rank[:, None] > counts[None, :]).sum(axis=1)
    return pd.Series(tier.astype(np.int64), index=priority.index, name="tier")


# --------------------------------------------------------------------------
# weight sensitivity


@attrs.frozen
class RankStability:
    """Result of :func:`rank_stability`.

    Attributes
    ----------
    table : pandas.DataFrame
        Per account, in rank order: ``rank`` (with the given weights),
        ``best_rank``, ``worst_rank``, ``mean_rank`` over the perturbed
        weights, and ``share_top`` (share of weight sets in which the account
        is within the first ``top`` ranks).
    weights : pandas.DataFrame
        The weight sets tried (one row each, normalised to sum to 1).

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import rank_stability
    >>> accounts = pd.DataFrame({"fit": [0.9, 0.2]}, index=["A", "B"])
    >>> result = rank_stability(accounts, {"fit": 1.0})
    >>> result.table["worst_rank"].to_dict(), len(result.weights)
    ({'A': 1, 'B': 2}, 3)
    """

    table: pd.DataFrame = attrs.field(eq=False)
    weights: pd.DataFrame = attrs.field(eq=False)


def rank_stability(
    accounts: pd.DataFrame,
    weights: Mapping[Any, float],
    *,
    scales: Mapping[Any, float] | None = None,
    method: Literal["grid", "dirichlet"] = "grid",
    spread: float = 0.2,
    n_samples: int = 1000,
    concentration: float = 100.0,
    top: int = 10,
    seed: int = 0,
) -> RankStability:
    """How stable the ranking is when the weights move.

    ``"grid"`` tries every combination of each weight at ``1 - spread``,
    ``1`` and ``1 + spread`` times its value (3**k sets for k items, k <= 8);
    ``"dirichlet"`` samples ``n_samples`` weight sets from a Dirichlet
    distribution centred on the normalised weights, with ``concentration``
    (higher = closer to the given weights), seeded. All weight sets are
    scored in one matrix product, no loop over accounts.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import rank_stability
    >>> accounts = pd.DataFrame({"fit": [60, 80, 90], "opp": [6.2, 4, 8]}, index=["A", "B", "C"])
    >>> r = rank_stability(accounts, {"fit": 0.5, "opp": 0.5},
    ...                    scales={"fit": 100, "opp": 10}, top=1)
    >>> r.table[["rank", "best_rank", "worst_rank", "share_top"]]
       rank  best_rank  worst_rank  share_top
    C     1          1           1        1.0
    A     2          2           3        0.0
    B     3          2           3        0.0
    """
    items = _items(accounts, weights, scales)
    k = len(items.columns)
    if method == "grid":
        amount = check_number(spread, name="spread", low=0.0, high=1.0, high_inclusive=False)
        if k > 8:
            raise ValidationError(
                f"method='grid' tries 3**k weight sets; with {k} items use method='dirichlet'"
            )
        factors = np.array(list(itertools.product((1 - amount, 1.0, 1 + amount), repeat=k)))
        sets = factors * items.weights[None, :]
    elif method == "dirichlet":
        n = check_int(n_samples, name="n_samples", low=1)
        conc = check_number(concentration, name="concentration", low=0.0, low_inclusive=False)
        seed_ = check_int(seed, name="seed", low=0)
        centre = items.weights / items.weights.sum()
        alpha = np.maximum(conc * centre, 1e-9)
        sets = np.random.default_rng(seed_).dirichlet(alpha, size=n)
        sets[:, centre == 0] = 0.0  # an item with weight 0 stays out
    else:
        raise ValidationError(f"method must be one of 'grid', 'dirichlet', got {fmt(method)}")
    cut = check_int(top, name="top", low=1)
    sets = sets[sets.sum(axis=1) > 0]
    sets = sets / sets.sum(axis=1, keepdims=True)
    ranks = _ranks(_priority(items.normalised, sets.T))
    base = _ranks(_priority(items.normalised, items.weights))
    table = pd.DataFrame(
        {
            "rank": base,
            "best_rank": ranks.min(axis=1),
            "worst_rank": ranks.max(axis=1),
            "mean_rank": ranks.mean(axis=1),
            "share_top": (ranks <= cut).mean(axis=1),
        },
        index=items.frame.index,
    )
    return RankStability(
        table=table.iloc[np.argsort(base, kind="stable")],
        weights=pd.DataFrame(sets, columns=pd.Index(items.columns)),
    )


def swap_weights(
    accounts: pd.DataFrame,
    weights: Mapping[Any, float],
    first: Hashable,
    second: Hashable,
    *,
    scales: Mapping[Any, float] | None = None,
) -> pd.DataFrame:
    """The change of each single weight at which two accounts swap places.

    Two accounts have equal priority when ``sum_j w_j (v_first,j -
    v_second,j) = 0`` (the denominators are the same), so changing weight
    ``i`` alone by ``-sum_j w_j d_j / d_i`` ties them; any larger change in
    that direction swaps them.

    Returns
    -------
    pandas.DataFrame
        One row per item, sorted by the size of the change: ``weight``,
        ``change`` (NaN when changing that weight alone cannot tie them, or
        would need a negative weight), ``new_weight`` and ``relative_change``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import swap_weights
    >>> accounts = pd.DataFrame({"fit": [60, 80], "opp": [5, 4]}, index=["A", "B"])
    >>> swap_weights(accounts, {"fit": 0.5, "opp": 0.5}, "A", "B", scales={"fit": 100, "opp": 10})
         weight  change  new_weight  relative_change
    fit     0.5   -0.25        0.25             -0.5
    opp     0.5    0.50        1.00              1.0
    """
    items = _items(accounts, weights, scales)
    index = items.frame.index
    for name, label in (("first", first), ("second", second)):
        if label not in index:
            raise ValidationError(f"{name} account {fmt(label)} is not in accounts")
    if first == second:
        raise ValidationError("first and second must be different accounts")
    d = items.normalised[index.get_loc(first)] - items.normalised[index.get_loc(second)]
    gap = float(items.weights @ d)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(d != 0, -gap / d, np.nan)
    new = items.weights + change
    change = np.where(new >= 0, change, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(items.weights > 0, change / items.weights, np.nan)
    table = pd.DataFrame(
        {
            "weight": items.weights,
            "change": change,
            "new_weight": items.weights + change,
            "relative_change": relative,
        },
        index=pd.Index(items.columns),
    )
    order = np.argsort(np.where(np.isnan(change), np.inf, np.abs(change)), kind="stable")
    return table.iloc[order]


def account_table(
    accounts: pd.DataFrame,
    *,
    profile: ICPProfile | None = None,
    scores: pd.Series | None = None,
    contacts: pd.Series | None = None,
    fit_scale: Literal["percent", "unit"] = "percent",
) -> pd.DataFrame:
    """Assemble a prioritisation table from account attributes, an ICP profile and contact scores.

    Parameters
    ----------
    accounts : pandas.DataFrame
        One row per account, indexed by account id, with the firmographic
        columns the profile reads.
    profile : ICPProfile, optional
        Adds ``icp_fit``: the account's ICP fit, in % (``fit_scale="percent"``,
        scale 100, as in DOMAIN.md) or in [0, 1] (``"unit"``).
    scores, contacts : pandas.Series, optional
        Contact scores (indexed by contact id) and the contact -> account map;
        add ``engagement`` (the ABM account score: the sum of its contacts'
        scores, :func:`rollup`'s ``total``) and ``engaged_contacts`` (contacts
        with a score). Accounts without contacts get 0; a contact mapped to an
        account that is not in ``accounts`` is an error.

    Returns
    -------
    pandas.DataFrame
        ``accounts`` with the added columns, same index and order.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import ICPProfile, account_table, one_of
    >>> accounts = pd.DataFrame({"industry": ["software", "retail"]}, index=["A", "B"])
    >>> profile = ICPProfile([one_of("industry", ["software"])])
    >>> scores = pd.Series({"c1": 80.0, "c2": 30.0})
    >>> contacts = pd.Series({"c1": "A", "c2": "A", "c3": "B"})
    >>> account_table(accounts, profile=profile, scores=scores, contacts=contacts)
       industry  icp_fit  engagement  engaged_contacts
    A  software    100.0       110.0                 2
    B    retail      0.0         0.0                 0
    """
    frame = check_frame(accounts, name="accounts")
    if not frame.index.is_unique:
        raise ValidationError(
            f"accounts has duplicated account id {fmt(frame.index[frame.index.duplicated()][0])}"
        )
    if fit_scale not in ("percent", "unit"):
        raise ValidationError(f"fit_scale must be 'percent' or 'unit', got {fmt(fit_scale)}")
    out = frame.copy()
    if profile is not None:
        fit = profile.fit(frame)
        out["icp_fit"] = fit * 100.0 if fit_scale == "percent" else fit
    if (scores is None) != (contacts is None):
        raise ValidationError("scores and contacts go together: give both or neither")
    if scores is not None and contacts is not None:
        rolled = rollup(scores, contacts)
        outside = rolled.index.difference(frame.index)
        if len(outside):
            raise ValidationError(
                f"contacts maps contacts to {len(outside)} account(s) not in accounts (first: {fmt(outside[0])})"
            )
        out["engagement"] = rolled["total"].reindex(frame.index, fill_value=0.0).to_numpy()
        out["engaged_contacts"] = rolled["n_scored"].reindex(frame.index, fill_value=0).to_numpy()
    return out
