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
    from matplotlib.patches import Patch
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


def _title(title: object, default: str) -> str:
    if title is None:
        return default
    if not isinstance(title, str):
        raise ValidationTypeError(f"title must be text or None, got {fmt(title)}", value=title)
    return title


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


# colour-blind-safe (Okabe-Ito): below the band, in it, above it
_BIAS_COLOURS = {
    "quantity bias (below the band)": "#E69F00",
    "balanced (in the band)": "#0072B2",
    "quality bias (above the band)": "#CC79A7",
}


def icp_rates(
    table: pd.DataFrame,
    *,
    band: tuple[float, float],
    top: int | None = 12,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """ICP rate per measure (or stage, channel) against the target band.

    Groups are drawn largest first; beyond ``top`` groups the rest are
    folded into one ``"other"`` bar. A bar's colour says whether the group
    is below the band (quantity bias: many leads, few of them ICP), in it,
    or above it (quality bias: few, well-chosen leads); each colour used has
    a legend entry.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`~bbmkit.icp_rate` output with ``by`` (the ``"all"`` row is
        drawn as a line); with ``ci=`` its intervals are drawn as whiskers.
    band : (float, float)
        The target band, shaded.
    top : int or None, default 12
        Groups drawn on their own, by number of leads; ``None`` draws all.
    title : str, optional
        Defaults to "ICP rate by" and the table's index name.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from bbmkit import icp_rate
    >>> from bbmkit.plot import icp_rates
    >>> ax = icp_rates(icp_rate([1, 0, 1, 1], by=["seo", "seo", "abm", "abm"]), band=(0.4, 0.7))
    >>> [t.get_text().split()[0] for t in ax.get_xticklabels()], ax.get_title()
    (['abm', 'seo'], 'ICP rate by group')
    """
    frame, _ = _table(table, "table", ["total"], ["icp_rate"])
    low, high = check_band(band)
    limit = None if top is None else check_int(top, name="top", low=1, high=200)
    heading = _title(title, f"ICP rate by {frame.index.name or 'group'}")
    ax = _axes(ax)
    groups = frame.drop(index="all", errors="ignore")
    totals = numeric_values(groups["total"], "total")
    rates = numeric_values(groups["icp_rate"], "icp_rate")
    intervals = {"lower", "upper"} <= set(frame.columns)
    lower = numeric_values(groups["lower"], "lower") if intervals else np.full(len(groups), np.nan)
    upper = numeric_values(groups["upper"], "upper") if intervals else np.full(len(groups), np.nan)
    order = np.argsort(-totals, kind="stable")  # largest first; ties keep the table's order
    labels = [str(g) for g in groups.index[order]]
    totals, rates, lower, upper = totals[order], rates[order], lower[order], upper[order]
    if limit is not None and len(labels) > limit:
        rest = slice(limit, None)
        icp = np.nan_to_num(rates[rest]) * totals[rest]  # ICP leads of the folded groups
        n_rest = totals[rest].sum()
        labels = [*labels[:limit], f"other ({len(totals) - limit})"]
        folded_rate = icp.sum() / n_rest if n_rest > 0 else np.nan
        rates = np.append(rates[:limit], folded_rate)
        totals = np.append(totals[:limit], n_rest)
        lower = np.append(lower[:limit], np.nan)  # no interval for a mixture of groups
        upper = np.append(upper[:limit], np.nan)
    names = list(_BIAS_COLOURS)
    kind = np.where(rates < low, 0, np.where(rates > high, 2, 1))
    x = np.arange(len(labels))
    ax.bar(x, np.nan_to_num(rates), color=[_BIAS_COLOURS[names[k]] for k in kind])
    known = ~np.isnan(lower) & ~np.isnan(upper)
    if known.any():
        ax.errorbar(
            x[known],
            rates[known],
            yerr=np.maximum(np.vstack([rates - lower, upper - rates])[:, known], 0.0),
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
            label="all groups",
        )
    for xi, rate in zip(x, rates, strict=True):
        if not np.isnan(rate):
            ax.text(float(xi), rate + 0.01, f"{rate:.0%}", ha="center", va="bottom", fontsize=7)
    # group and size under the bar; upright text for a few groups, vertical for many
    ticks = [f"{label}\n(n={total:,.0f})" for label, total in zip(labels, totals, strict=True)]
    ax.set_xticks(x, ticks, rotation=0 if len(labels) <= 6 else 90, fontsize=8)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylim(0, 1.4)  # headroom above 100% holds the legend clear of the bars
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_ylabel("ICP rate (ICP leads / leads)")
    ax.set_xlabel(str(frame.index.name or "group"))
    handles, legend_labels = ax.get_legend_handles_labels()
    for k in sorted(set(kind.tolist())):
        handles.append(Patch(color=_BIAS_COLOURS[names[k]]))
        legend_labels.append(names[k])
    ax.legend(handles, legend_labels, loc="upper center", ncol=3, fontsize=7, frameon=False)
    ax.set_title(heading)
    return ax


def grade_grid(grades: pd.Series, *, title: str | None = None, ax: Axes | None = None) -> Axes:
    """Heat map of leads per fit x engagement grade (A1 top left).

    Counts are written in white on dark cells and in black on light ones.

    Parameters
    ----------
    grades : pandas.Series
        :func:`~bbmkit.grade` output (``"A1"``, ``"B3"``, ...).
    title : str, optional
        Defaults to "Leads by ICP fit and engagement".
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

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
    heading = _title(title, "Leads by ICP fit and engagement")
    ax = _axes(ax)
    counts = grid.to_numpy()
    image = ax.imshow(counts, cmap="Blues")
    # the colour map's own lightness decides the text colour: readable on every cell
    shades = np.asarray(image.cmap(image.norm(counts)), dtype=float)
    lightness = shades[..., :3] @ np.array([0.299, 0.587, 0.114])
    for (i, j), count in np.ndenumerate(counts):
        colour = "white" if lightness[i, j] < 0.5 else "black"
        ax.text(j, i, f"{count:,}", ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [str(r) for r in grid.index])
    ax.set_xlabel("engagement (1 = most engaged)")
    ax.set_ylabel("ICP fit (A = best)")
    ax.figure.colorbar(image, ax=ax, label="leads")
    ax.set_title(heading)
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
