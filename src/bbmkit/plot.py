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

    from bbmkit.funnel import Funnel

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


def _funnel_table(table: object) -> tuple[pd.DataFrame, dict[str, np.ndarray], bool]:
    """Counts, rates and intervals by stage from any funnel bbmkit gives; True for a projection."""
    from bbmkit.funnel import Funnel

    if isinstance(table, Funnel):
        table = table.project(1000)
    if isinstance(table, pd.Series):  # Funnel.project: expected entities per stage
        counts = numeric_values(table, "table")
        if table.empty or not (np.isfinite(counts) & (counts >= 0)).all():
            raise ValidationError(
                "table must hold finite expected counts >= 0 per stage", parameter="table"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.append(np.nan, counts[1:] / counts[:-1])
        frame = pd.DataFrame({"reached": counts, "rate": rate}, index=table.index)
        frame["lower"] = frame["upper"] = np.nan
        table, projected = frame, True
    else:
        projected = False
    if isinstance(table, pd.DataFrame) and isinstance(table.index, pd.MultiIndex):
        levels = [str(n) for n in table.index.names[:-1]]
        raise ValidationError(
            f"table holds one funnel per {', '.join(levels)} (a {table.index.nlevels}-level "
            "index); draw one of them, e.g. table.loc[cohort]",
            parameter="table",
        )
    frame, checked = _table(table, "table", ["reached"], ["rate", "lower", "upper"])
    return frame, checked, projected


def _pct(x: float) -> str:
    return "-" if np.isnan(x) else f"{x:.0%}"


def funnel(
    table: pd.DataFrame | pd.Series | Funnel,
    *,
    split: pd.DataFrame | None = None,
    entity: str = "entities",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Funnel chart: how many reach each stage, and the conversion into it.

    Bars count the ``entity`` reaching each stage on one axis; a column of
    text beside them gives each stage's conversion rate from the previous
    one with its interval. With ``split``, the bars are divided into ICP and
    non-ICP, and the text gives the ICP rate of each stage and the two
    groups' conversion rates (the comparison that view exists for).

    Parameters
    ----------
    table : pandas.DataFrame, pandas.Series or Funnel
        :func:`~bbmkit.funnel_from_events` output (``reached``, ``rate``,
        ``lower``, ``upper`` by stage), :meth:`~bbmkit.Funnel.project`
        output, or a :class:`~bbmkit.Funnel` (drawn per 1,000 entering).
        Per-cohort output (a two-level index) is an error: draw one cohort.
    split : pandas.DataFrame, optional
        :func:`~bbmkit.icp_funnel` output for the same stages.
    entity : str, default "entities"
        The noun for what is counted ("leads", "accounts").
    title : str, optional
        Defaults to "Funnel:" and ``entity`` per stage.
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
    >>> from bbmkit import Funnel, funnel_from_events
    >>> from bbmkit.plot import funnel
    >>> log = pd.DataFrame({"entity_id": list("abcd"), "stage": ["MQL", "SQL", "SQL", "MQL"],
    ...                     "timestamp": [1.0, 2.0, 3.0, 4.0]})
    >>> ax = funnel(funnel_from_events(log, ["MQL", "SQL"]), entity="leads")
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()
    (['MQL', 'SQL'], 'leads reaching the stage')
    >>> funnel(Funnel(["lead", "sql", "won"], [0.2, 0.3])).get_xlabel()
    'entities per 1,000 entering'
    """
    frame, checked, projected = _funnel_table(table)
    if not isinstance(entity, str) or not entity:
        raise ValidationTypeError(
            f"entity must be a non-empty noun, got {fmt(entity)}", value=entity
        )
    heading = _title(title, f"Funnel: {entity} per stage")
    parts = None
    if split is not None:
        parts, _ = _table(
            split,
            "split",
            ["reached_icp", "reached_non_icp"],
            ["icp_rate", "rate_icp", "rate_non_icp"],
        )
        if not frame.index.isin(parts.index).all():
            raise ValidationError(
                "split has no row for some stages of table; pass the same funnel", parameter="split"
            )
    ax = _axes(ax)
    stages = [str(s) for s in frame.index]
    y = np.arange(len(stages))[::-1].astype(float)
    reached = checked["reached"]
    if parts is not None:
        icp = numeric_values(parts["reached_icp"].reindex(frame.index), "reached_icp")
        other = numeric_values(parts["reached_non_icp"].reindex(frame.index), "reached_non_icp")
        ax.barh(y, icp, color=_ICP, label=f"ICP {entity}")
        ax.barh(y, other, left=icp, color=_OTHER, label=f"non-ICP {entity}")
    else:
        ax.barh(y, reached, color=_ICP)
    peak = max(float(reached.max()), 1.0)
    # bars use the left 55% of the axes; counts follow each bar, rates sit in their own column
    ax.set_xlim(0, peak / 0.55)
    for yi, count in zip(y, reached, strict=True):
        ax.text(count, yi, f" {count:,.0f}", va="center", fontsize=8)
    column = ax.get_yaxis_transform()  # x in axes fraction, y in data
    header = y[0] + 0.75
    if parts is None:
        ax.text(0.72, header, "conversion [interval]", transform=column, fontsize=8, weight="bold")
        for yi, rate, low, high in zip(
            y, checked["rate"], checked["lower"], checked["upper"], strict=True
        ):
            interval = "" if np.isnan(low) else f" [{_pct(low)}-{_pct(high)}]"
            ax.text(0.72, yi, _pct(rate) + interval, transform=column, va="center", fontsize=8)
    else:
        aligned = {
            k: parts[k].reindex(frame.index) for k in ("icp_rate", "rate_icp", "rate_non_icp")
        }
        values = {k: numeric_values(v, k) for k, v in aligned.items()}
        ax.text(0.66, header, "ICP rate", transform=column, fontsize=8, weight="bold")
        ax.text(0.80, header, "conv. ICP / non", transform=column, fontsize=8, weight="bold")
        for i, yi in enumerate(y):
            ax.text(
                0.66, yi, _pct(values["icp_rate"][i]), transform=column, va="center", fontsize=8
            )
            both = f"{_pct(values['rate_icp'][i])} / {_pct(values['rate_non_icp'][i])}"
            ax.text(0.80, yi, both, transform=column, va="center", fontsize=8)
        ax.legend(loc="lower right", fontsize=7, ncol=2, frameon=False)
    ax.set_ylim(-1.3 if parts is not None else -0.6, y[0] + 1.2)
    ax.set_yticks(y, stages)
    ticks = [t for t in ax.get_xticks() if 0 <= t <= peak]  # no scale under the text column
    ax.set_xticks(ticks, [f"{t:,.0f}" for t in ticks])
    ax.set_xlabel(f"{entity} per 1,000 entering" if projected else f"{entity} reaching the stage")
    ax.set_title(heading)
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
    ax.axhspan(
        low, high, color="#9bd3ae", alpha=0.3, zorder=0, label=f"target band {low:.0%}-{high:.0%}"
    )  # behind the bars: their colours stay true
    if "all" in frame.index:
        ax.axhline(
            float(frame["icp_rate"].to_numpy(dtype=float)[list(frame.index).index("all")]),
            color="black",
            linestyle="--",
            linewidth=1,
            label="all groups",
        )
    # each rate above its bar and above its whisker, so the two never cross
    tops = np.where(np.isnan(upper), rates, np.fmax(rates, upper))
    for xi, rate, height in zip(x, rates, tops, strict=True):
        if not np.isnan(rate):
            ax.text(float(xi), height + 0.01, f"{rate:.0%}", ha="center", va="bottom", fontsize=7)
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


def priority_bars(
    contributions: pd.DataFrame,
    *,
    top: int = 15,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """ABM priority of the top accounts, each bar split into its items' contributions.

    Parameters
    ----------
    contributions : pandas.DataFrame
        :func:`~bbmkit.priority_contributions` output.
    top : int, default 15
        How many accounts, highest priority first.
    title : str, optional
        Defaults to "ABM priority of the top" and the number of accounts.
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
    heading = _title(title, f"ABM priority of the top {len(shown)} accounts")
    ax = _axes(ax)
    y = np.arange(len(shown))[::-1]
    left = np.zeros(len(shown))
    for column in shown.columns:
        values = shown[column].to_numpy(dtype=float)
        ax.barh(y, values, left=left, label=str(column))
        left += values
    ax.set_yticks(y, [str(i) for i in shown.index])
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(shown) + 0.6)  # a row of headroom holds the legend clear of the bars
    ax.set_xlabel("priority (contribution of each item)")
    ax.legend(loc="upper right", fontsize=7, ncol=min(len(shown.columns), 4), frameon=False)
    ax.set_title(heading)
    return ax


def score_history(
    history: pd.DataFrame,
    *,
    threshold: float | None = None,
    rows: list[Any] | None = None,
    top: int = 10,
    title: str | None = None,
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
        Which rows to draw; by default the ``top`` rows with the highest
        latest score (the contacts closest to, or past, handover).
    top : int, default 10
        How many rows to draw when ``rows`` is not given.
    title : str, optional
        Defaults to "Score over time".
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
    n_top = check_int(top, name="top", low=1, high=1_000)
    heading = _title(title, "Score over time")
    if rows is None:  # the highest scores now; ties in the history's order
        latest = numeric_values(frame.iloc[:, -1], str(frame.columns[-1]))
        chosen = list(frame.index[np.argsort(-latest, kind="stable")[:n_top]])
    else:
        chosen = check_list(rows, name="rows")
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
    ax.set_xlabel(str(frame.columns.name or "date"))
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(heading)
    return ax
