"""Matplotlib figures for bbmkit's results (optional: ``pip install "bbmkit[plot]"``).

Importing :mod:`bbmkit` never imports matplotlib; this module does, when it
is imported. Every function takes a result of bbmkit, draws on ``ax`` (a new
figure when omitted) and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._validation import (
    check_band,
    check_frame,
    check_int,
    check_list,
    check_number,
    fmt,
    numeric_values,
    require_columns,
)

try:
    import matplotlib.pyplot as plt
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError('bbmkit.plot needs matplotlib: pip install "bbmkit[plot]"') from err

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["funnel", "grade_grid", "icp_rates", "priority_bars", "score_history"]

_ICP = "#2a7ab9"
_OTHER = "#c9c9c9"


def _table(
    table: object,
    name: str,
    counts: list[Any],
    rates: list[str],
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A result table to draw: present, unique rows, finite counts >= 0, rates in [0, 1] or NaN."""
    frame = check_frame(table, name=name)
    require_columns(frame, [*counts, *rates], name=name)
    if frame.empty:
        raise ValidationError(f"{name} is empty: nothing to draw")
    if not frame.index.is_unique:
        twice = frame.index[frame.index.duplicated()][0]
        raise ValidationError(f"{name} has row {fmt(twice)} more than once")
    values: dict[str, np.ndarray] = {}
    for column in counts:
        x = numeric_values(frame[column], column)
        if not (np.isfinite(x) & (x >= 0)).all():
            raise ValidationError(f"column {column!r} of {name} must hold finite counts >= 0")
        values[column] = x
    for column in rates:
        x = numeric_values(frame[column], column)
        if ((x < 0) | (x > 1)).any() or np.isinf(x).any():
            raise ValidationError(f"column {column!r} of {name} must hold rates in [0, 1]")
        values[column] = x
    return frame, values


def _columns(table: object) -> list[Any]:
    return list(table.columns) if isinstance(table, pd.DataFrame) else []


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
    return ax


def funnel(
    table: pd.DataFrame, *, split: pd.DataFrame | None = None, ax: Axes | None = None
) -> Axes:
    """Funnel chart: entities per stage, with each stage's conversion rate and interval.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`~bbmkit.funnel_from_events` output (``reached``, ``rate``,
        ``lower``, ``upper`` by stage).
    split : pandas.DataFrame, optional
        :func:`~bbmkit.icp_funnel` output: bars are split into ICP and
        non-ICP entities.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from bbmkit import funnel_from_events
    >>> from bbmkit.plot import funnel
    >>> log = pd.DataFrame({"entity_id": list("abcd"), "stage": ["MQL", "SQL", "SQL", "MQL"],
    ...                     "timestamp": [1.0, 2.0, 3.0, 4.0]})
    >>> ax = funnel(funnel_from_events(log, ["MQL", "SQL"]))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['MQL', 'SQL']
    """
    frame, checked = _table(table, "table", ["reached"], ["rate", "lower", "upper"])
    ax = _axes(ax)
    stages = [str(s) for s in frame.index]
    y = np.arange(len(stages))[::-1]
    if split is not None:
        parts, _ = _table(split, "split", ["reached_icp", "reached_non_icp"], [])
        if not frame.index.isin(parts.index).all():
            raise ValidationError(
                "split has no row for some stages of table; pass the same funnel", parameter="split"
            )
        icp = numeric_values(parts["reached_icp"].reindex(frame.index), "reached_icp")
        other = numeric_values(parts["reached_non_icp"].reindex(frame.index), "reached_non_icp")
        ax.barh(y, icp, color=_ICP, label="ICP")
        ax.barh(y, other, left=icp, color=_OTHER, label="non-ICP")
        ax.legend(loc="lower right")
    else:
        ax.barh(y, checked["reached"], color=_ICP)
    reached = checked["reached"]
    for yi, count, rate, low, high in zip(
        y, reached, checked["rate"], checked["lower"], checked["upper"], strict=True
    ):
        text = f"{count:,.0f}"
        if pd.notna(rate):
            text += f"  {rate:.0%}" + (f" [{low:.0%}-{high:.0%}]" if pd.notna(low) else "")
        ax.text(count, yi, " " + text, va="center", fontsize=8)
    ax.set_yticks(y, stages)
    ax.set_xlabel("entities reaching the stage (rate from the previous stage, interval)")
    ax.set_xlim(0, max(reached.max(), 1) * 1.45)
    # conversion rates with their interval whiskers, on their own axis at the top
    rates = checked["rate"]
    known = ~np.isnan(rates)
    if known.any():
        top = ax.twiny()
        low = np.nan_to_num(checked["lower"], nan=0.0)
        high = np.nan_to_num(checked["upper"], nan=0.0)
        whiskers = np.vstack([rates - low, high - rates])[:, known]
        top.errorbar(
            rates[known],
            y[known],
            xerr=np.maximum(whiskers, 0.0),
            fmt="D",
            color="#d9822b",
            capsize=3,
            markersize=4,
            label="conversion rate",
        )
        top.set_xlim(0, 1)
        top.set_xlabel("conversion rate from the previous stage")
    return ax


def icp_rates(table: pd.DataFrame, *, band: tuple[float, float], ax: Axes | None = None) -> Axes:
    """ICP rate per measure (or stage, channel) against the target band.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`~bbmkit.icp_rate` output with ``by`` (the ``"all"`` row is
        drawn as a line); with ``ci=`` its intervals are drawn as whiskers.
    band : (float, float)
        The target band, shaded.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from bbmkit import icp_rate
    >>> from bbmkit.plot import icp_rates
    >>> ax = icp_rates(icp_rate([1, 0, 1, 1], by=["seo", "seo", "abm", "abm"]), band=(0.4, 0.7))
    >>> len(ax.patches) >= 2
    True
    """
    frame, _ = _table(table, "table", ["total"], ["icp_rate"])
    low, high = check_band(band)
    ax = _axes(ax)
    groups = frame.drop(index="all", errors="ignore")
    rates = numeric_values(groups["icp_rate"], "icp_rate")
    totals = numeric_values(groups["total"], "total")
    colours = [_ICP if low <= r <= high else "#d9822b" for r in rates]
    x = np.arange(len(groups))
    ax.bar(x, rates, color=colours)
    if {"lower", "upper"} <= set(frame.columns):  # icp_rate(..., ci=0.95): the intervals
        _, bounds = _table(groups, "table", [], ["lower", "upper"])
        ax.errorbar(
            x,
            rates,
            yerr=np.maximum(np.vstack([rates - bounds["lower"], bounds["upper"] - rates]), 0.0),
            fmt="none",
            ecolor="black",
            capsize=3,
            linewidth=1,
            label="interval",
        )
    ax.axhspan(low, high, color="#9bd3ae", alpha=0.3, label=f"target band {low:.0%}-{high:.0%}")
    if "all" in frame.index:
        ax.axhline(
            float(frame["icp_rate"].to_numpy(dtype=float)[list(frame.index).index("all")]),
            color="black",
            linestyle="--",
            linewidth=1,
            label="all",
        )
    for xi, rate, total in zip(x, rates, totals, strict=True):
        ax.text(
            float(xi), rate, f"{rate:.0%}\nn={total:,.0f}", ha="center", va="bottom", fontsize=7
        )
    ax.set_xticks(x, [str(g) for g in groups.index], rotation=30, ha="right")
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("ICP rate")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def grade_grid(grades: pd.Series, *, ax: Axes | None = None) -> Axes:
    """Heat map of leads per fit x engagement grade (A1 top left).

    Parameters
    ----------
    grades : pandas.Series
        :func:`~bbmkit.grade` output (``"A1"``, ``"B3"``, ...).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from bbmkit.plot import grade_grid
    >>> ax = grade_grid(pd.Series(["A1", "A1", "B2", "D4"]))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['A', 'B', 'D']
    """
    if not isinstance(grades, pd.Series):
        raise ValidationTypeError(f"grades must be a pandas Series, got {type(grades).__name__}")
    text = grades.astype(str)
    if text.empty or not text.str.fullmatch(r"[A-Z]\d+").all():
        raise ValidationError("grades must be letter-number grades such as 'A1'")
    # plain arrays: pandas 2 cannot cross-tabulate Series with repeated index labels
    grid = pd.crosstab(
        text.str[0].to_numpy(),
        text.str[1:].astype(int).to_numpy(),
        rownames=["fit"],
        colnames=["engagement"],
    )
    ax = _axes(ax)
    image = ax.imshow(grid.to_numpy(), cmap="Blues")
    for (i, j), count in np.ndenumerate(grid.to_numpy()):
        ax.text(j, i, f"{count:,}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [str(r) for r in grid.index])
    ax.set_xlabel("engagement (1 = most engaged)")
    ax.set_ylabel("ICP fit (A = best)")
    ax.figure.colorbar(image, ax=ax, label="leads")
    return ax


def priority_bars(contributions: pd.DataFrame, *, top: int = 15, ax: Axes | None = None) -> Axes:
    """ABM priority of the top accounts, each bar split into its items' contributions.

    Parameters
    ----------
    contributions : pandas.DataFrame
        :func:`~bbmkit.priority_contributions` output.
    top : int, default 15
        How many accounts, highest priority first.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from bbmkit import priority_contributions
    >>> from bbmkit.plot import priority_bars
    >>> parts = priority_contributions(pd.DataFrame({"fit": [0.9, 0.4], "opp": [0.2, 0.8]}, index=["A", "B"]),
    ...                                {"fit": 0.5, "opp": 0.5})
    >>> ax = priority_bars(parts)
    >>> len(ax.patches)
    4
    """
    frame, _ = _table(contributions, "contributions", _columns(contributions), [])
    if frame.shape[1] == 0:
        raise ValidationError("contributions has no item columns")
    if (frame.sum(axis=1) > 1 + 1e-9).any():
        raise ValidationError("contributions must add up to a priority in [0, 1] per account")
    shown_n = check_int(top, name="top", low=1)
    order = frame.sum(axis=1).sort_values(ascending=False, kind="stable").index[:shown_n]
    shown = frame.loc[order]
    ax = _axes(ax)
    y = np.arange(len(shown))[::-1]
    left = np.zeros(len(shown))
    for column in shown.columns:
        values = shown[column].to_numpy(dtype=float)
        ax.barh(y, values, left=left, label=str(column))
        left += values
    ax.set_yticks(y, [str(i) for i in shown.index])
    ax.set_xlim(0, 1)
    ax.set_xlabel("priority (contribution of each item)")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def score_history(
    history: pd.DataFrame,
    *,
    threshold: float | None = None,
    rows: list[Any] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Score (or account score) over time, with the handover threshold.

    Parameters
    ----------
    history : pandas.DataFrame
        :meth:`~bbmkit.ScoringModel.history` output: rows are contacts (or
        accounts), columns dates.
    threshold : float, optional
        Drawn as a horizontal line.
    rows : list, optional
        Which rows to draw (default: the first 10).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from bbmkit.plot import score_history
    >>> ax = score_history(pd.DataFrame({0: [10.0, 0.0], 10: [60.0, 120.0]}, index=["a", "b"]), threshold=100)
    >>> len(ax.get_lines())
    3
    """
    frame, _ = _table(history, "history", [], [])
    for column in frame.columns:
        if not np.isfinite(numeric_values(frame[column], str(column))).all():
            raise ValidationError(f"history has a missing or infinite score at {fmt(column)}")
    if not frame.columns.is_unique:
        raise ValidationError("history has a date (column) more than once")
    level = None if threshold is None else check_number(threshold, name="threshold")
    chosen = list(frame.index[:10]) if rows is None else check_list(rows, name="rows")
    missing = [r for r in chosen if not isinstance(r, Hashable) or r not in frame.index]
    if missing:
        raise ValidationError(
            f"rows not in history: {', '.join(map(repr, missing[:5]))}",
            code="unknown_value",
            parameter="rows",
        )
    ax = _axes(ax)
    x = list(frame.columns)
    for row in chosen:
        ax.plot(x, frame.loc[row].to_numpy(dtype=float), marker="o", markersize=3, label=str(row))
    if level is not None:
        ax.axhline(level, color="black", linestyle="--", linewidth=1, label=f"threshold {level:g}")
    if pd.api.types.is_datetime64_any_dtype(frame.columns.dtype):
        ax.tick_params(axis="x", labelrotation=30)
    ax.set_ylabel("score")
    ax.legend(fontsize=7, ncol=2)
    return ax
