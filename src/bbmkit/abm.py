"""ABM target-account prioritisation: weighted items, tiers, and how stable the ranking is.

Each account is described by items on their own scales (ICP fit in %,
opportunity, purchase history and relationship on 0-10); each item is divided
by its scale and the priority is the weighted mean,

    priority = sum(weight_i * value_i / scale_i) / sum(weight_i),   in [0, 1].
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._convert import factorize
from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._frozen import FrozenMap
from bbmkit._kernels import group_count, group_median, group_sum, take_rows
from bbmkit._repr import TablesRepr
from bbmkit._validation import (
    as_bool_array,
    as_series,
    check_frame,
    check_in_choices,
    check_int,
    check_list,
    check_no_missing,
    check_number,
    check_timestamp,
    datetime_array,
    datetime_days,
    finite_weights,
    fmt,
    numeric_values,
    paired,
    real_to_float,
    require_columns,
)
from bbmkit.accounts import rollup
from bbmkit.balance import icp_rate
from bbmkit.icp import ICPProfile
from bbmkit.scoring import ScoringModel

__all__ = [
    "SCALE_MODES",
    "PriorityModel",
    "RankStability",
    "abm_kpis",
    "account_table",
    "assign_tiers",
    "prioritize",
    "priority_contributions",
    "rank_stability",
    "scorecard",
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
    if not raw.any():
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
    # column-major: each item is written and checked as one contiguous column
    values = np.empty((len(frame), len(columns)), dtype=np.float64, order="F")
    for j, column in enumerate(columns):
        given = scale_map.get(column, 1.0)
        if isinstance(given, str):
            mode = check_in_choices(given, name=f"scales[{column!r}]", choices=SCALE_MODES)
            values[:, j] = _normalised_by(frame, column, mode)
            continue
        scale = check_number(given, name=f"scales[{column!r}]", low=0.0, low_inclusive=False)
        series = frame[column]
        if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            raise ValidationTypeError(
                f"column {column!r} must be numeric, has dtype {series.dtype}"
            )
        x = (
            series.to_numpy()  # a view: NaN is already the missing value
            if series.dtype == np.float64
            else series.to_numpy(dtype=np.float64, na_value=np.nan)
        )
        normalised = values[:, j]
        np.divide(x, scale, out=normalised)
        # x <= scale exactly when x / scale <= 1 (division rounds to nearest); the low end
        # is read off x, whose tiny negatives could divide to -0.0. NaN fails both; the
        # mask is built only to report
        if x.size and not (x.min() >= 0.0 and normalised.max() <= 1.0):
            bad = ~((x >= 0) & (x <= scale))
            if bad.any():
                i = int(np.argmax(bad))
                raise ValidationError(
                    f"column {column!r} must be in [0, {scale:g}] (its scale), got {fmt(x[i])} "
                    f"for account {fmt(frame.index[i])}"
                )
    return _Items(frame=frame, columns=columns, normalised=values, weights=finite_weights(raw))


#: Names of the normalisations of raw items (revenue, employees) onto [0, 1].
SCALE_MODES: tuple[str, ...] = ("max", "minmax", "rank", "log")


def _normalised_by(frame: pd.DataFrame, column: Hashable, mode: str) -> npt.NDArray[np.float64]:
    """An item on [0, 1] by one of :data:`SCALE_MODES`, read off the accounts themselves."""
    x = numeric_values(frame[column], str(column))
    bad = ~np.isfinite(x)
    if mode in ("max", "log"):
        bad |= x < 0
    if bad.any():
        i = int(np.argmax(bad))
        need = "finite and >= 0" if mode in ("max", "log") else "finite"
        raise ValidationError(
            f"column {column!r} must be {need} for scale {mode!r}, got {fmt(x[i])} for account "
            f"{fmt(frame.index[i])}"
        )
    if x.size == 0:
        return x
    if mode == "rank":  # percentile rank: lowest 0, highest 1, ties share their mean rank
        if x.size == 1:
            return np.ones(1)
        from scipy import stats  # only here: importing bbmkit stays light

        ranks: npt.NDArray[np.float64] = stats.rankdata(x, method="average")
        return (ranks - 1.0) / (x.size - 1.0)
    low, high = float(x.min()), float(x.max())
    if mode == "minmax":
        return (x - low) / (high - low) if high > low else np.zeros(x.size)
    if high == 0:  # every account at 0: the item tells them nothing apart
        return np.zeros(x.size)
    if mode == "log":  # heavy tails (revenue, employees) weigh less than by "max"
        out: npt.NDArray[np.float64] = np.log1p(x) / np.log1p(high)
        return np.minimum(out, 1.0)
    return np.minimum(x / high, 1.0)


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
    if priority.ndim == 1:
        order = _descending_order(priority)
    else:
        order = np.argsort(-np.round(priority, 12), axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(
        ranks,
        order,
        np.arange(1, priority.shape[0] + 1).reshape(-1, *([1] * (priority.ndim - 1))),
        axis=0,
    )
    return ranks.astype(np.int64)


_TIE_DECIMALS = 12
_KEY_BITS = 40  # round(p * 1e12) for p in [0, 1] is below 2**40


def _descending_order(priority: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """Rows by priority rounded to 12 decimals, highest first, ties in input order.

    The stable sort of ``-round(priority, 12)``, by one unstable sort of
    unique 64-bit keys instead: the rounded priority as an integer
    (``round(p * 1e12)``, which orders and ties exactly as ``round(p, 12)``)
    in the high bits, the row number in the low bits. About three times
    faster than a stable argsort; tables too long for the low bits take the
    stable argsort.
    """
    n = priority.shape[0]
    row_bits = max(1, int(n - 1).bit_length())
    if _KEY_BITS + row_bits > 64:
        return np.argsort(-np.round(priority, _TIE_DECIMALS), kind="stable")
    scale = 10.0**_TIE_DECIMALS
    # priorities lie in [0, 1]: scale - rint(p * scale) is in [0, 1e12], highest first
    keys = (scale - np.rint(priority * scale)).astype(np.uint64)
    keys <<= np.uint64(row_bits)
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort()
    keys &= np.uint64((1 << row_bits) - 1)
    return keys.astype(np.intp)


def _reordered(frame: pd.DataFrame, order: npt.NDArray[np.intp]) -> pd.DataFrame:
    """``frame.iloc[order]``, numpy columns gathered on threads (pandas takes them one core)."""
    if not frame.columns.is_unique or isinstance(frame.columns, pd.MultiIndex):
        return frame.iloc[order]
    columns: dict[Hashable, Any] = {}
    for name, column in frame.items():
        if isinstance(column.dtype, np.dtype):
            columns[name] = take_rows(column.to_numpy(), order)
        else:  # extension arrays (strings, categoricals, nullable) take their own way
            columns[name] = column.array.take(order)
    out = pd.DataFrame(columns, index=frame.index.take(order), copy=False)
    out.columns = frame.columns
    return out


def prioritize(
    accounts: pd.DataFrame,
    weights: Mapping[Any, float],
    *,
    scales: Mapping[Any, float | str] | None = None,
) -> pd.DataFrame:
    """Rank target accounts by the weighted mean of their normalised items.

    Parameters
    ----------
    accounts : pandas.DataFrame
        One row per account, indexed by account id (unique).
    weights : mapping of column to float
        Weight per item (>= 0, not all zero). Only these columns count.
    scales : mapping of column to float or str, optional
        How each item is brought onto [0, 1]. A number is the maximum of its
        scale (``{"icp_fit": 100, "opportunity": 10}``: values outside
        [0, scale] are an error). For raw amounts (revenue, employees) a
        name: ``"max"`` (x / the largest), ``"minmax"`` ((x - min) /
        (max - min)), ``"rank"`` (percentile rank, ties averaged: a heavy
        tail cannot dominate) or ``"log"`` (log1p(x) / log1p(max)); negative
        values are an error with "max" and "log". An item without a scale
        must already lie in [0, 1].

    Returns
    -------
    pandas.DataFrame
        The input's columns plus ``priority`` (in [0, 1]) and ``rank``
        (1 = first), sorted by rank; ties keep input order.

    Examples
    --------
    Three accounts weighted by ICP fit (%), opportunity, purchase history and relationship:

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
    # ranks are a permutation of 1..n: the row order is its inverse, no second sort
    order = np.empty_like(rank)
    order[rank - 1] = np.arange(rank.size)
    out = _reordered(items.frame, order)
    out["priority"] = take_rows(priority, order)
    out["rank"] = np.arange(1, rank.size + 1, dtype=np.int64)  # rank[order], in rank order
    return out


def _weights_converter(value: object) -> object:
    if isinstance(value, Mapping):
        return FrozenMap({k: real_to_float(v) for k, v in value.items()})
    return value


def _scales_converter(value: object) -> object:
    if value is None:
        return FrozenMap({})
    if isinstance(value, Mapping):
        return FrozenMap(
            {k: v if isinstance(v, str) else real_to_float(v) for k, v in value.items()}
        )
    return value


def _tiers_converter(value: object) -> object:
    if value is None or isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return value
    return tuple(real_to_float(v) for v in value)


def _validate_model_weights(_: PriorityModel, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping) or not value:
        raise ValidationTypeError(
            f"weights must be a non-empty mapping of column to weight, got {fmt(value)}"
        )
    for key, weight in value.items():
        if not isinstance(key, str) or not key:
            raise ValidationTypeError(f"weights keys must be column names (str), got {fmt(key)}")
        check_number(weight, name=f"weights[{key!r}]", low=0.0)
    if not any(value.values()):
        raise ValidationError("weights are all zero; at least one item must count")


def _validate_model_scales(instance: PriorityModel, _: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise ValidationTypeError(f"scales must be a mapping of column to scale, got {fmt(value)}")
    for key, scale in value.items():
        if key not in instance.weights:
            raise ValidationError(f"scales names column {fmt(key)}, which has no weight")
        if isinstance(scale, str):
            check_in_choices(scale, name=f"scales[{key!r}]", choices=SCALE_MODES)
        else:
            check_number(scale, name=f"scales[{key!r}]", low=0.0, low_inclusive=False)


def _validate_tiers(_: PriorityModel, __: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, tuple) or not value:
        raise ValidationTypeError(
            f"tiers must be a list of priority cut-offs such as [0.7, 0.5], got {fmt(value)}"
        )
    cuts = [check_number(c, name="tiers", low=0.0, high=1.0) for c in value]
    if any(b >= a for a, b in itertools.pairwise(cuts)):
        raise ValidationError(f"tiers must be strictly decreasing cut-offs, got {fmt(list(cuts))}")


@attrs.frozen
class PriorityModel:
    """ABM prioritisation settings as one frozen, savable model.

    The weights, the scale of each item and, optionally, the tier cut-offs
    that :func:`prioritize` and :func:`assign_tiers` take, kept together so
    a team can store them (``to_dict`` / :mod:`bbmkit.serialize`) and apply
    the same settings every quarter.

    Parameters
    ----------
    weights : mapping of str to float
        Weight per item column (>= 0, not all zero).
    scales : mapping of str to float or str, optional
        As for :func:`prioritize`: a number (the maximum of the scale) or
        ``"max"``, ``"minmax"``, ``"rank"``, ``"log"``.
    tiers : sequence of float, optional
        Priority cut-offs, strictly decreasing (``[0.7, 0.5]``: tier 1 from
        0.7, tier 2 from 0.5, tier 3 below); :meth:`prioritize` then adds a
        ``tier`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import PriorityModel
    >>> model = PriorityModel({"icp_fit": 0.6, "revenue": 0.4},
    ...                       scales={"icp_fit": 100, "revenue": "rank"}, tiers=[0.7, 0.4])
    >>> accounts = pd.DataFrame({"icp_fit": [90, 40, 70], "revenue": [2e6, 5e4, 3e5]},
    ...                         index=["A", "B", "C"])
    >>> model.prioritize(accounts)[["priority", "rank", "tier"]]
       priority  rank  tier
    A      0.94     1     1
    C      0.62     2     2
    B      0.24     3     3
    >>> PriorityModel.from_dict(model.to_dict()) == model
    True
    """

    weights: Mapping[str, float] = attrs.field(
        converter=_weights_converter, validator=_validate_model_weights
    )
    scales: Mapping[str, float | str] = attrs.field(
        factory=dict, kw_only=True, converter=_scales_converter, validator=_validate_model_scales
    )
    tiers: tuple[float, ...] | None = attrs.field(
        default=None, kw_only=True, converter=_tiers_converter, validator=_validate_tiers
    )

    def prioritize(self, accounts: pd.DataFrame) -> pd.DataFrame:
        """:func:`prioritize` with these settings, plus ``tier`` when the model has cut-offs.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import PriorityModel
        >>> PriorityModel({"fit": 1.0}).prioritize(pd.DataFrame({"fit": [0.2, 0.9]}))["rank"].tolist()
        [1, 2]
        """
        ranked = prioritize(accounts, dict(self.weights), scales=dict(self.scales) or None)
        if self.tiers is not None:
            ranked["tier"] = assign_tiers(ranked["priority"], cutoffs=self.tiers).to_numpy()
        return ranked

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data (see :meth:`from_dict`).

        Examples
        --------
        >>> from bbmkit import PriorityModel
        >>> PriorityModel({"fit": 1}, scales={"fit": "max"}).to_dict()
        {'weights': {'fit': 1.0}, 'scales': {'fit': 'max'}, 'tiers': None}
        """
        return {
            "weights": dict(self.weights),
            "scales": dict(self.scales),
            "tiers": None if self.tiers is None else list(self.tiers),
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> PriorityModel:
        """Build and validate a model from :meth:`to_dict` data.

        Examples
        --------
        >>> from bbmkit import PriorityModel
        >>> PriorityModel.from_dict({"weights": {"fit": 2}, "tiers": [0.5]}).tiers
        (0.5,)
        """
        if not isinstance(data, Mapping):
            raise ValidationTypeError(
                f"priority model must be a mapping, got {fmt(data)}", parameter="data"
            )
        allowed = {"weights", "scales", "tiers"}
        unknown = sorted(map(str, set(data) - allowed))
        if unknown:
            raise ValidationError(
                f"priority model has unknown field(s) {', '.join(map(repr, unknown))} "
                f"(allowed: {', '.join(sorted(allowed))})",
                code="unknown_field",
                parameter=str(unknown[0]),
            )
        if "weights" not in data:
            raise ValidationError("priority model is missing field(s) 'weights'")
        return PriorityModel(data["weights"], scales=data.get("scales"), tiers=data.get("tiers"))


def priority_contributions(
    accounts: pd.DataFrame,
    weights: Mapping[Any, float],
    *,
    scales: Mapping[Any, float | str] | None = None,
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
    values = numeric_values(priority, "priority")
    bad = ~((values >= 0) & (values <= 1))
    if bad.any():
        raise ValidationError(f"priority must be in [0, 1], got {fmt(values[bad][0])}")
    if (cutoffs is None) == (top is None):
        raise ValidationError("give cutoffs or top (one of them)", parameter="cutoffs")
    if cutoffs is not None:
        bounds = np.array(
            [
                check_number(c, name="cutoffs", low=0.0, high=1.0)
                for c in check_list(cutoffs, name="cutoffs")
            ],
            dtype=np.float64,
        )
        if bounds.size == 0 or np.any(np.diff(bounds) >= 0):
            raise ValidationError(
                f"cutoffs must be non-empty and strictly decreasing, got {fmt(cutoffs)}"
            )
        tier = 1 + (values[:, None] < bounds[None, :]).sum(axis=1)
    else:
        assert top is not None
        counts = np.array(
            [check_int(t, name="top", low=1) for t in check_list(top, name="top")], dtype=np.int64
        )
        if counts.size == 0 or np.any(np.diff(counts) <= 0):
            raise ValidationError(f"top must be non-empty and strictly increasing, got {fmt(top)}")
        rank = _ranks(values)
        tier = 1 + (rank[:, None] > counts[None, :]).sum(axis=1)
    return pd.Series(tier.astype(np.int64), index=priority.index, name="tier")


# --------------------------------------------------------------------------
# weight sensitivity


@attrs.frozen(repr=False)
class RankStability(TablesRepr):
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
    effects : pandas.DataFrame
        What moves the top of the list: one row for the weight sets
        (``("weights", method)``) and, with ``scale_options``, one per item
        and alternative scale (``(item, scale)``): ``top_kept`` (share of
        the first ``top`` accounts still among the first ``top``; for the
        weights, the mean over the sets), ``mean_rank_change`` and
        ``max_rank_change`` (absolute rank changes of all accounts).

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
    effects: pd.DataFrame = attrs.field(eq=False, factory=pd.DataFrame)


# every sample ranks every account: an accounts x samples matrix
_MAX_SAMPLES = 100_000


def rank_stability(
    accounts: pd.DataFrame,
    weights: Mapping[Any, float],
    *,
    scales: Mapping[Any, float | str] | None = None,
    method: Literal["grid", "dirichlet"] = "grid",
    spread: float = 0.2,
    n_samples: int = 1000,
    concentration: float = 100.0,
    top: int = 10,
    seed: int = 0,
    scale_options: Sequence[str] | None = None,
) -> RankStability:
    """How stable the ranking is when the weights (or the scales) move.

    ``"grid"`` tries every combination of each weight at ``1 - spread``,
    ``1`` and ``1 + spread`` times its value (3**k sets for k items, k <= 8);
    ``"dirichlet"`` samples ``n_samples`` weight sets from a Dirichlet
    distribution centred on the normalised weights, with ``concentration``
    (higher = closer to the given weights), seeded. All weight sets are
    scored in one matrix product, no loop over accounts.

    How an item is normalised often changes the top of the list more than
    its weight does; ``scale_options`` (names from :data:`SCALE_MODES`, e.g.
    ``["max", "rank", "log"]``) re-ranks with each item's scale replaced by
    each option in turn, and ``effects`` compares those changes with the
    weights'.

    Parameters
    ----------
    accounts, weights, scales
        As for :func:`prioritize`.
    method : {"grid", "dirichlet"}, default "grid"
        How weight sets are drawn.
    spread : float, default 0.2
        With "grid": each weight at (1 - spread), 1 and (1 + spread) times.
    n_samples : int, default 1000
        With "dirichlet": the number of weight sets (at most 100,000).
    concentration : float, default 100
        With "dirichlet": how close the sets stay to the given weights.
    top : int, default 10
        The length of the list whose membership ``share_top`` and
        ``top_kept`` follow.
    seed : int, default 0
        Seed of the Dirichlet draws.
    scale_options : sequence of str, optional
        Alternative scales to try for every item.

    Returns
    -------
    RankStability
        ``table`` per account, ``weights`` (the sets tried) and ``effects``.

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
    if len(items.frame) == 0:
        raise ValidationError("accounts is empty: there is no ranking to test")
    check_in_choices(method, name="method", choices=("grid", "dirichlet"))
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
        n = check_int(n_samples, name="n_samples", low=1, high=_MAX_SAMPLES)
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
    effects: dict[tuple[Hashable, str], dict[str, float]] = {
        ("weights", method): _effects(base, ranks, cut, mean=True)
    }
    if scale_options is not None:
        options = [
            check_in_choices(o, name="scale_options", choices=SCALE_MODES)
            for o in check_list(scale_options, name="scale_options", empty=False)
        ]
        for j, column in enumerate(items.columns):  # a loop over items and options, not rows
            for option in options:
                values = items.normalised.copy(order="F")
                values[:, j] = _normalised_by(items.frame, column, option)
                moved = _ranks(_priority(values, items.weights))
                effects[(column, option)] = _effects(base, moved[:, None], cut, mean=False)
    return RankStability(
        table=table.iloc[np.argsort(base, kind="stable")],
        weights=pd.DataFrame(sets, columns=pd.Index(items.columns)),
        effects=pd.DataFrame.from_dict(effects, orient="index").rename_axis(["item", "scale"]),
    )


def _effects(
    base: npt.NDArray[np.int64], ranks: npt.NDArray[np.int64], top: int, *, mean: bool
) -> dict[str, float]:
    """How far rankings (columns of ``ranks``) move from ``base``: top-list overlap, rank changes."""
    in_top = base <= top
    kept = (ranks[in_top] <= top).sum(axis=0) / max(int(in_top.sum()), 1)
    change = np.abs(ranks - base[:, None])
    return {
        "top_kept": float(kept.mean() if mean else kept[0]),
        "mean_rank_change": float(change.mean()),
        "max_rank_change": float(change.max(initial=0)),
    }


def swap_weights(
    accounts: pd.DataFrame,
    weights: Mapping[Any, float],
    first: Hashable,
    second: Hashable,
    *,
    scales: Mapping[Any, float | str] | None = None,
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
        if not isinstance(label, Hashable) or label not in index:
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
    model: ScoringModel | None = None,
    events: pd.DataFrame | None = None,
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
        scale 100, as ABM teams usually score it) or in [0, 1] (``"unit"``).
    scores, contacts : pandas.Series, optional
        Contact scores (indexed by contact id) and the contact -> account map;
        add ``engagement`` (the ABM account score: the sum of its contacts'
        scores, :func:`rollup`'s ``total``) and ``engaged_contacts`` (contacts
        with a score). Accounts without contacts get 0; a contact mapped to an
        account that is not in ``accounts`` is an error.
    model, events : ScoringModel and pandas.DataFrame, optional
        Instead of ``scores``: score the event log with the model first
        (``model.score(events)``).

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
    for name, value, kind in (("profile", profile, ICPProfile), ("model", model, ScoringModel)):
        if value is not None and not isinstance(value, kind):
            raise ValidationTypeError(
                f"{name} must be a {kind.__name__} or None, got {type(value).__name__}"
            )
    out = frame.copy()
    if profile is not None:
        fit = profile.fit(frame)
        out["icp_fit"] = fit * 100.0 if fit_scale == "percent" else fit
    if (model is None) != (events is None):
        raise ValidationError("model and events go together: give both or neither")
    if model is not None:
        if scores is not None:
            raise ValidationError("give scores or model and events, not both", parameter="scores")
        scores = model.score(events)  # type: ignore[arg-type]
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


# --------------------------------------------------------------------------
# the ABM scorecard


def scorecard(
    contacts: pd.DataFrame,
    events: pd.DataFrame,
    *,
    target_contacts: int | pd.Series = 5,
    required_roles: Sequence[str] | None = None,
    channels: Sequence[str] | None = None,
    content: Sequence[Hashable] | None = None,
    start: object = None,
    end: object = None,
    contact: str = "contact_id",
    account: str = "account_id",
    time: str = "timestamp",
    channel: str = "channel",
    minutes: str | None = "minutes",
    content_column: str | None = "content_id",
    role: str = "role",
    referred_by: str | None = "referred_by",
) -> pd.DataFrame:
    """The ABM scorecard: coverage, awareness, engagement, reach and influence per account.

    Parameters
    ----------
    contacts : pandas.DataFrame
        One row per contact: ``contact`` id (unique), ``account`` id, and
        optionally ``role`` and ``referred_by`` (the contact who introduced
        this one).
    events : pandas.DataFrame
        Behavioural events: ``contact`` id, ``time``, ``channel``, and
        optionally ``minutes`` and ``content_column``. Every event's contact
        must be in ``contacts``.
    target_contacts : int or pandas.Series
        Contacts an account should have engaged (per account as a Series
        indexed by account id).
    required_roles : sequence of str, optional
        Buying-committee roles; when given, coverage is the share of these
        roles with an engaged contact (needs the ``role`` column).
    channels : sequence of str, optional
        Channels in use (default: all channels in ``events``).
    content : sequence, optional
        Content catalogue (default: all content ids in ``events``).
    start, end : timestamp-like, optional
        Only events with ``start <= time <= end`` count.

    Returns
    -------
    pandas.DataFrame
        Indexed by account id (sorted), one row per account in ``contacts``:

        - ``n_contacts``; ``engaged_contacts``: contacts with at least one
          event in the window;
        - ``coverage``: ``min(1, engaged_contacts / target_contacts)``, or the
          share of ``required_roles`` with an engaged contact;
        - ``awareness``: distinct content items consumed by the account's
          contacts / size of the catalogue;
        - ``touches`` (events) and ``engagement_minutes`` (total time spent);
        - ``reach``: channels that touched the account / channels in use, and
          ``touches_<channel>`` per channel;
        - ``referrals``: contacts introduced by another contact of the same
          account; ``influence``: referrals / n_contacts.

        Shares are in [0, 1]. Columns whose input is switched off
        (``minutes=None``, ``content_column=None``, ``referred_by=None``) are
        left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import scorecard
    >>> contacts = pd.DataFrame({"contact_id": ["a1", "a2", "b1"], "account_id": ["A", "A", "B"],
    ...                          "referred_by": [None, "a1", None]})
    >>> events = pd.DataFrame({"contact_id": ["a1", "a2", "a2", "b1"],
    ...                        "timestamp": pd.to_datetime(["2026-05-01"] * 4),
    ...                        "channel": ["web", "email", "web", "web"],
    ...                        "minutes": [3.0, 0.5, 2.0, 1.0],
    ...                        "content_id": ["wp1", None, "wp2", None]})
    >>> scorecard(contacts, events, target_contacts=2)[["coverage", "awareness", "reach", "influence"]]
                coverage  awareness  reach  influence
    account_id
    A                1.0        1.0    1.0        0.5
    B                0.5        0.0    0.5        0.0
    """
    people = check_frame(contacts, name="contacts")
    log = check_frame(events, name="events")
    require_columns(people, [contact, account], name="contacts")
    require_columns(log, [contact, time, channel], name="events")
    for optional, frame, name in (
        (minutes, log, "events"),
        (content_column, log, "events"),
        (referred_by, people, "contacts"),
    ):
        if optional is not None:
            require_columns(frame, [optional], name=name)
    ids = people[contact]
    if ids.isna().any() or people[account].isna().any():
        raise ValidationError("contacts has missing contact or account ids")
    if not ids.is_unique:
        raise ValidationError(
            f"contacts lists contact {fmt(ids[ids.duplicated()].iloc[0])} more than once"
        )
    acc_codes, acc_ids = factorize(people[account])
    acc_ids = acc_ids.rename(account)
    n_acc = len(acc_ids)
    n_contacts = group_count(acc_codes, n_acc)

    # events -> the account of their contact
    pos = pd.Index(ids).get_indexer(pd.Index(log[contact]))
    if (pos < 0).any():
        raise ValidationError(
            f"events has contact {fmt(log[contact].iloc[int(np.argmax(pos < 0))])} that is not in contacts"
        )
    keep = np.ones(len(log), dtype=bool)
    times = log[time]
    if not pd.api.types.is_datetime64_any_dtype(times.dtype):
        raise ValidationTypeError(f"column {time!r} must hold datetimes, got dtype {times.dtype}")
    check_no_missing(times, time)
    check_no_missing(log[channel], channel)
    zone = times.dt.tz
    if start is not None:
        keep &= (
            times >= check_timestamp(start, name="start", tz=zone, data=f"column {time!r}")
        ).to_numpy()
    if end is not None:
        # a date-only end means the end of that day: its events count
        stop = check_timestamp(end, name="end", tz=zone, data=f"column {time!r}", end_of_day=True)
        keep &= (times <= stop).to_numpy()
    event_contact = pos[keep]
    event_account = acc_codes[event_contact]

    engaged = np.zeros(len(ids), dtype=bool)
    engaged[event_contact] = True
    engaged_n = group_count(acc_codes, n_acc, engaged)
    out: dict[str, npt.ArrayLike] = {"n_contacts": n_contacts, "engaged_contacts": engaged_n}

    if required_roles is None:
        target = _per_account(target_contacts, acc_ids, "target_contacts")
        out["coverage"] = np.minimum(1.0, engaged_n / target)
    else:
        require_columns(people, [role], name="contacts")
        roles = check_list(required_roles, name="required_roles", empty=False)
        role_pos = pd.Index(roles).get_indexer(pd.Index(people[role].astype(object)))
        has_role = engaged & (role_pos >= 0)
        covered = np.zeros((n_acc, len(roles)), dtype=bool)
        covered[acc_codes[has_role], role_pos[has_role]] = True
        out["coverage"] = covered.mean(axis=1)

    if content_column is not None:
        items = log[content_column][keep]
        catalogue = pd.Index(
            check_list(content, name="content")
            if content is not None
            else pd.unique(items.dropna()),
            dtype=object,
        )
        if len(catalogue) == 0:
            raise ValidationError(
                "the content catalogue is empty: pass content= or events with content ids",
                code="empty",
                parameter="content",
            )
        item_pos = catalogue.get_indexer(pd.Index(items.astype(object)))
        seen = item_pos >= 0
        pairs = np.unique(event_account[seen].astype(np.int64) * len(catalogue) + item_pos[seen])
        out["awareness"] = group_count((pairs // len(catalogue)).astype(np.intp), n_acc) / len(
            catalogue
        )

    out["touches"] = group_count(event_account, n_acc)
    if minutes is not None:
        spent = numeric_values(log[minutes], minutes)[keep]
        if np.isnan(spent).any() or (spent < 0).any():
            raise ValidationError(
                f"column {minutes!r} must hold non-negative numbers with no missing values"
            )
        out["engagement_minutes"] = group_sum(event_account, spent, n_acc)

    in_use = pd.Index(
        check_list(channels, name="channels")
        if channels is not None
        else sorted(pd.unique(log[channel].astype(object)), key=str),
        dtype=object,
    )
    ch_pos = in_use.get_indexer(pd.Index(log[channel][keep].astype(object)))
    counted = ch_pos >= 0
    touches = group_count(
        (event_account[counted].astype(np.int64) * len(in_use) + ch_pos[counted]).astype(np.intp),
        n_acc * len(in_use),
    ).reshape(n_acc, len(in_use))
    out["reach"] = (touches > 0).mean(axis=1) if len(in_use) else np.zeros(n_acc)

    if referred_by is not None:
        referrer = pd.Index(ids).get_indexer(pd.Index(people[referred_by]))
        # a contact who names itself as its referrer was introduced by nobody
        self_referred = referrer == np.arange(len(referrer))
        internal = (
            (referrer >= 0) & ~self_referred & (acc_codes[np.maximum(referrer, 0)] == acc_codes)
        )
        referrals = group_count(acc_codes, n_acc, internal)
        out["referrals"] = referrals
        out["influence"] = referrals / n_contacts

    table = pd.DataFrame(out, index=acc_ids)
    for j, name in enumerate(in_use):
        table[f"touches_{name}"] = touches[:, j]
    return table


def _per_account(value: object, accounts: pd.Index, name: str) -> npt.NDArray[np.float64]:
    if isinstance(value, pd.Series):
        aligned = value.reindex(accounts)
        if aligned.isna().any():
            missing = accounts[aligned.isna().to_numpy()][0]
            raise ValidationError(f"{name} has no value for account {fmt(missing)}")
        values = aligned.to_numpy(dtype=np.float64)
        if (values <= 0).any():
            raise ValidationError(f"{name} must be > 0 for every account")
        return values
    return np.full(len(accounts), float(check_int(value, name=name, low=1, high=2**53)))


# --------------------------------------------------------------------------
# target-account KGIs and KPIs


def nps(
    scores: pd.Series | npt.ArrayLike, *, by: pd.Series | npt.ArrayLike | None = None
) -> pd.DataFrame:
    """Net Promoter Score from 0-10 survey answers, overall and per group.

    Promoters answer 9-10, passives 7-8, detractors 0-6; NPS = (promoters -
    detractors) / answers, in percentage points (-100 to 100).

    Parameters
    ----------
    scores : Series or array of int
        Answers, whole numbers 0-10 (missing answers are an error: drop
        unanswered surveys first).
    by : Series or array, optional
        Group labels aligned with ``scores`` (period, segment); the ``"all"``
        row comes last.

    Returns
    -------
    pandas.DataFrame
        ``answers``, ``promoters``, ``passives``, ``detractors``, ``nps``.

    Examples
    --------
    >>> from bbmkit import nps
    >>> nps([10, 9, 8, 7, 6, 0, 10, 9, 9, 3])
         answers  promoters  passives  detractors   nps
    all       10          5         2           3  20.0
    """
    series = as_series(scores, name="scores")
    if by is not None:
        series, by = paired(series, by, names=("scores", "by"))
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise ValidationTypeError(f"scores must hold numbers 0-10, got dtype {series.dtype}")
    x = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~((x >= 0) & (x <= 10) & (x == np.round(x)))
    if bad.any():
        raise ValidationError(
            f"scores (NPS answers) must be whole numbers from 0 to 10, got {fmt(x[bad][0])}"
        )
    if x.size == 0:
        raise ValidationError("scores is empty; the NPS of no answers is undefined")
    promoter = x >= 9
    detractor = x <= 6
    table = icp_rate(promoter, by=by)  # counts per group, with "all" last and missing labels kept
    detractors = icp_rate(detractor, by=by)["icp"].to_numpy()
    answers = table["total"].to_numpy()
    promoters = table["icp"].to_numpy()
    return pd.DataFrame(
        {
            "answers": answers,
            "promoters": promoters,
            "passives": answers - promoters - detractors,
            "detractors": detractors,
            "nps": 100.0 * (promoters - detractors) / answers,
        },
        index=table.index,
    )


def _periods(times: pd.Series, period: str, name: str) -> pd.Series:
    if not pd.api.types.is_datetime64_any_dtype(times.dtype):
        raise ValidationTypeError(f"column {name!r} must hold datetimes, got dtype {times.dtype}")
    values = datetime_array(times)  # Arrow timestamps too, in their own unit
    if values.tz is not None:
        values = values.tz_localize(None)  # periods of the local calendar
    naive = pd.Series(values, index=times.index)
    try:
        labels: pd.Series = naive.dt.to_period(period).astype(str).astype(object)
    except ValueError as err:
        raise ValidationError(f"period {period!r} is not a pandas period alias") from err
    return labels.where(naive.notna(), None)


def _metric(
    labels: pd.Series, values: npt.NDArray[np.float64], name: str, how: str
) -> pd.DataFrame:
    keep = labels.notna().to_numpy()
    codes, periods = factorize(labels[keep].reset_index(drop=True))
    v = values[keep]
    n = len(periods)
    if how == "count":
        result = group_count(codes, n).astype(np.float64)
    elif how == "sum":
        result = group_sum(codes, v, n)
    else:
        result = group_median(codes, v, n)
    return pd.DataFrame({"period": list(periods), "metric": name, "value": result})


def _won(deals: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """The ``won`` outcome of deals; missing only for open deals (no ``closed_at``), not won."""
    flags = deals["won"]
    missing = flags.isna().to_numpy()
    if missing.any():
        closed = deals["closed_at"].notna().to_numpy() & missing
        if closed.any():
            raise ValidationError(
                f"column 'won' is missing for {int(closed.sum())} closed deal(s) (first at index "
                f"{fmt(deals.index[int(np.argmax(closed))])}); only open deals may have no outcome"
            )
        flags = flags.astype(object).where(~missing, False)
    return as_bool_array(flags, name="column 'won'")


def abm_kpis(
    targets: Sequence[Hashable] | pd.Index,
    *,
    period: str = "M",
    contacts: pd.DataFrame | None = None,
    deals: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """KGIs and KPIs of the target accounts by period, as a tidy frame ready to plot.

    Each input is optional and adds its metrics; only rows of target accounts
    count. Columns follow the demo data (:mod:`bbmkit.datasets`).

    - ``contacts`` (``contact_id``, ``account_id``, ``created_at``):
      ``new_contacts`` (KGI) by period of creation.
    - ``deals`` (``account_id``, ``opened_at``, ``closed_at``, ``won``,
      ``deal_value``, optional ``kind``; ``won`` may be missing only for
      open deals, those without ``closed_at``): ``deals`` opened (KPI),
      ``contracts`` won (KGI) and ``sales_cycle_days`` (median days from
      opening to a won close, KPI) by period of closing, and
      ``cross_up_sell_amount`` (won value of ``cross_sell``/``up_sell``
      deals, KGI) when ``kind`` is there.
    - ``events`` (``contact_id``, ``timestamp``; needs ``contacts``):
      ``engagement_rate``, the share of target accounts with at least one
      event in the period (KPI).
    - ``surveys`` (``account_id``, ``answered_at``, ``score`` 0-10): ``nps``
      in percentage points (KPI).

    Parameters
    ----------
    targets : sequence of account ids
        The target account list.
    period : str, default "M"
        Pandas period alias: ``"W"``, ``"M"``, ``"Q"``, ...

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (str), ``metric``, ``value``; sorted by metric then
        period. Periods without a row for a metric had nothing to count.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import abm_kpis
    >>> deals = pd.DataFrame({"account_id": ["A", "A", "B"],
    ...     "opened_at": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-01"]),
    ...     "closed_at": pd.to_datetime(["2026-02-04", "2026-03-01", "2026-02-11"]),
    ...     "won": [True, False, True], "deal_value": [100.0, 50.0, 70.0]})
    >>> abm_kpis(["A", "B"], deals=deals)
        period            metric  value
    0  2026-02         contracts    2.0
    1  2026-01             deals    2.0
    2  2026-02             deals    1.0
    3  2026-02  sales_cycle_days   20.0
    """
    target_ids = pd.Index(check_list(targets, name="targets", empty=False), dtype=object)
    if not isinstance(period, str):
        raise ValidationTypeError(
            f"period must be a pandas period alias such as 'M', got {fmt(period)}"
        )
    parts: list[pd.DataFrame] = []

    def in_targets(frame: pd.DataFrame, name: str) -> pd.DataFrame:
        require_columns(frame, ["account_id"], name=name)
        return frame.loc[frame["account_id"].astype(object).isin(target_ids).to_numpy()]

    if contacts is not None:
        people = check_frame(contacts, name="contacts")
        require_columns(people, ["contact_id", "account_id", "created_at"], name="contacts")
        mine = in_targets(people, "contacts")
        labels = _periods(mine["created_at"], period, "created_at")
        parts.append(_metric(labels, np.ones(len(mine)), "new_contacts", "count"))
    if deals is not None:
        frame = check_frame(deals, name="deals")
        require_columns(
            frame, ["account_id", "opened_at", "closed_at", "won", "deal_value"], name="deals"
        )
        mine = in_targets(frame, "deals")
        won = _won(mine)
        opened = _periods(mine["opened_at"], period, "opened_at")
        closed = _periods(mine["closed_at"], period, "closed_at").where(won, None)
        parts.append(_metric(opened, np.ones(len(mine)), "deals", "count"))
        parts.append(_metric(closed, np.ones(len(mine)), "contracts", "count"))
        # days in each column's own unit: placeholder dates (9999-12-31) do not wrap
        cycle = datetime_days(mine["closed_at"], "closed_at") - datetime_days(
            mine["opened_at"], "opened_at"
        )
        parts.append(_metric(closed, cycle, "sales_cycle_days", "median"))
        if "kind" in mine.columns:
            extra = mine["kind"].astype(object).isin(["cross_sell", "up_sell"]).to_numpy()
            value = numeric_values(mine["deal_value"], "deal_value")
            parts.append(_metric(closed.where(extra, None), value, "cross_up_sell_amount", "sum"))
    if events is not None:
        if contacts is None:
            raise ValidationError("engagement_rate needs contacts to map events to accounts")
        log = check_frame(events, name="events")
        require_columns(log, ["contact_id", "timestamp"], name="events")
        if not people["contact_id"].is_unique:
            dup = people["contact_id"][people["contact_id"].duplicated()].iloc[0]
            raise ValidationError(f"contacts lists contact {fmt(dup)} more than once")
        account_of = pd.Series(
            people["account_id"].to_numpy(), index=pd.Index(people["contact_id"])
        )
        accounts_of_events = account_of.reindex(pd.Index(log["contact_id"])).to_numpy()
        mask = pd.Series(accounts_of_events).astype(object).isin(target_ids).to_numpy()
        labels = _periods(log["timestamp"].loc[mask], period, "timestamp").reset_index(drop=True)
        pairs = pd.DataFrame(
            {"period": labels, "account": accounts_of_events[mask]}
        ).drop_duplicates()
        engaged = _metric(pairs["period"], np.ones(len(pairs)), "engagement_rate", "count")
        engaged["value"] = engaged["value"] / len(target_ids)
        parts.append(engaged)
    if surveys is not None:
        answers = check_frame(surveys, name="surveys")
        require_columns(answers, ["account_id", "answered_at", "score"], name="surveys")
        mine = in_targets(answers, "surveys")
        if len(mine):
            labels = _periods(mine["answered_at"], period, "answered_at")
            table = nps(
                mine["score"].reset_index(drop=True), by=labels.reset_index(drop=True)
            ).iloc[:-1]
            parts.append(
                pd.DataFrame(
                    {"period": list(table.index), "metric": "nps", "value": table["nps"].to_numpy()}
                )
            )
    if not parts:
        raise ValidationError(
            "give at least one of contacts, deals, events, surveys", parameter="contacts"
        )
    result = pd.concat(parts, ignore_index=True)
    result = result.sort_values(["metric", "period"], kind="stable").reset_index(drop=True)
    return result
