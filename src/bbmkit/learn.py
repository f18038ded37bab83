"""Points learned from won and lost outcomes: a scorecard a marketer can read and edit.

:func:`learn_points` fits an L2-regularised logistic regression of the
outcome on the attributes of leads or accounts, every column cut into
levels (the values of a categorical column, quantile bands of a numeric
one, and "missing" as a level of its own), and turns the coefficients into
whole points the credit-scorecard way: ``pdo`` points double the odds, and
``base_score`` points are odds of ``base_odds``. The result is an ordinary
:class:`~bbmkit.PointsTable`: readable, editable, savable as JSON, and it
turns points back into a probability.

With ``z = b + sum_j beta[j, level_j]`` the fitted log-odds, the score is
``base + sum_j points[j, level_j]`` with ``points = round(beta * pdo /
ln 2)`` and ``base = round(base_score + (b - ln base_odds) * pdo / ln 2)``.

The fit is Newton's method on the exact objective ``sum(log(1 + e^z) - y z)
+ l2 / 2 * |beta|^2`` (the intercept is not penalised: scikit-learn's
``LogisticRegression(C=1 / l2)``), with the one-hot design kept as level
codes, so memory stays at a few arrays per column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._validation import (
    as_bool_array,
    check_frame,
    check_int,
    check_list,
    check_number,
    fmt,
    numeric_values,
    outcome_flags,
    require_columns,
)
from bbmkit.points import OddsScale, PointsBetween, PointsFor, PointsTable
from bbmkit.scoring import ScoringModel

__all__ = ["learn_event_points", "learn_points"]

_MAX_LEVELS = 200  # per column: more distinct kept values is an id, not an attribute


@attrs.frozen
class _Column:
    """One column as level codes, and how to turn level points back into an item."""

    name: str
    codes: npt.NDArray[np.intp]
    n_levels: int
    numeric: bool
    levels: tuple[Any, ...]  # kept categories, or band edges of a numeric column
    missing_level: int  # -1: no missing value seen
    other_level: int  # -1: no rare category


def _categorical(name: str, column: pd.Series, min_count: int) -> _Column:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.intp)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    kept = np.flatnonzero(counts >= min_count)
    # in a canonical order (not first appearance), so the table does not depend on row order
    kept = kept[np.argsort([f"{type(uniques[int(i)]).__name__}:{uniques[int(i)]}" for i in kept])]
    if kept.size > _MAX_LEVELS:
        raise ValidationError(
            f"column {name!r} has {kept.size} values with at least min_count rows each; "
            f"at most {_MAX_LEVELS} make sense as points (is it an id?)"
        )
    values = tuple(_plain(uniques[int(i)], name) for i in kept)
    level = np.full(len(uniques) + 1, -1, dtype=np.intp)
    level[kept] = np.arange(kept.size)
    n_levels = kept.size
    other = -1
    if kept.size < len(uniques):  # rare values share one level
        other = n_levels
        level[:-1][level[:-1] < 0] = other
        n_levels += 1
    missing = -1
    if (codes < 0).any():
        missing = n_levels
        level[-1] = missing
        n_levels += 1
    return _Column(name, level[codes], n_levels, False, values, missing, other)


def _plain(value: object, name: str) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str | bool | int | float):
        return value
    raise ValidationTypeError(
        f"column {name!r} holds {type(value).__name__} values; points need text, numbers or "
        "booleans (convert dates to ages or numbers first)"
    )


def _numeric(name: str, column: pd.Series, bins: int) -> _Column:
    x = numeric_values(column, name)
    known = x[~np.isnan(x)]
    if np.isinf(known).any():
        raise ValidationError(f"column {name!r} has infinite values")
    inner = np.quantile(known, np.arange(1, bins) / bins) if known.size else np.zeros(0)
    # distinct edges strictly inside the data: a constant column is one band
    edges = (
        np.unique(inner[(inner > known.min()) & (inner <= known.max())]) if known.size else inner
    )
    codes = np.searchsorted(edges, x, side="right").astype(np.intp)
    n_levels = edges.size + 1
    missing = -1
    if known.size < x.size:
        missing = n_levels
        codes[np.isnan(x)] = missing
        n_levels += 1
    return _Column(name, codes, n_levels, True, tuple(float(e) for e in edges), missing, -1)


def _newton(
    theta: npt.NDArray[np.float64],
    linear: Any,
    derivatives: Any,
    y: npt.NDArray[np.float64],
    penalty: npt.NDArray[np.float64],
    *,
    max_iter: int = 100,
) -> npt.NDArray[np.float64]:
    """Minimise ``sum(log(1 + e^z) - y z) + sum(penalty * theta**2) / 2``, ``z = linear(theta)``.

    ``derivatives(residual, weight)`` gives the data term's gradient and
    Hessian from ``p - y`` and ``p (1 - p)``. Newton steps, each halved until
    the objective does not increase.
    """

    def objective(z: npt.NDArray[np.float64], t: npt.NDArray[np.float64]) -> float:
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.dot(penalty * t, t))

    z = linear(theta)
    value = objective(z, theta)
    for _ in range(max_iter):
        prob = 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function without overflow
        grad, hess = derivatives(prob - y, prob * (1.0 - prob))
        grad = grad + penalty * theta
        hess = hess + np.diag(penalty) + 1e-12 * np.eye(theta.size)
        step = np.linalg.solve(hess, grad)
        scale = 1.0
        while True:
            trial = theta - scale * step
            z_trial = linear(trial)
            trial_value = objective(z_trial, trial)
            if trial_value <= value or scale < 1e-10:
                break
            scale *= 0.5
        theta, z, previous, value = trial, z_trial, value, trial_value
        if np.max(np.abs(scale * step)) < 1e-12 or previous - value < 1e-15 * max(1.0, abs(value)):
            break
    return theta


def _start(y: npt.NDArray[np.float64], p: int) -> npt.NDArray[np.float64]:
    """Coefficients 0 and the intercept at the overall log-odds (the last entry)."""
    theta = np.zeros(p + 1)
    rate = min(max(float(y.mean()), 1e-12), 1 - 1e-12)
    theta[p] = math.log(rate / (1 - rate))
    return theta


def _fit(
    columns: Sequence[_Column], y: npt.NDArray[np.float64], l2: float
) -> tuple[float, list[npt.NDArray[np.float64]]]:
    """Intercept and per-column level coefficients of the penalised logistic regression."""
    offsets = np.cumsum([0] + [c.n_levels for c in columns])
    p = int(offsets[-1])

    def linear(t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        z = np.full(y.shape[0], t[p])
        for j, c in enumerate(columns):  # a loop over columns, not rows
            z += t[offsets[j] : offsets[j + 1]][c.codes]
        return z

    def derivatives(
        residual: npt.NDArray[np.float64], weight: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        # the one-hot design as level codes: X^T r and X^T W X by (pairwise) bincounts
        grad = np.empty(p + 1)
        hess = np.zeros((p + 1, p + 1))
        for j, c in enumerate(columns):
            sj = slice(offsets[j], offsets[j + 1])
            grad[sj] = np.bincount(c.codes, weights=residual, minlength=c.n_levels)
            wj = np.bincount(c.codes, weights=weight, minlength=c.n_levels)
            hess[sj, sj] = np.diag(wj)
            hess[sj, p] = hess[p, sj] = wj
            for k in range(j + 1, len(columns)):
                ck = columns[k]
                sk = slice(offsets[k], offsets[k + 1])
                pair = np.bincount(
                    c.codes * ck.n_levels + ck.codes,
                    weights=weight,
                    minlength=c.n_levels * ck.n_levels,
                ).reshape(c.n_levels, ck.n_levels)
                hess[sj, sk] = pair
                hess[sk, sj] = pair.T
        grad[p] = residual.sum()
        hess[p, p] = weight.sum()
        return grad, hess

    penalty = np.full(p + 1, l2)
    penalty[p] = 0.0  # the intercept is not penalised
    theta = _newton(_start(y, p), linear, derivatives, y, penalty)
    return float(theta[p]), [theta[offsets[j] : offsets[j + 1]] for j in range(len(columns))]


def learn_points(
    frame: pd.DataFrame,
    outcome: pd.Series | npt.ArrayLike,
    *,
    columns: Sequence[str] | None = None,
    bins: int = 5,
    min_count: int = 30,
    pdo: float = 20.0,
    base_score: float = 100.0,
    base_odds: float = 1.0,
    l2: float = 1.0,
) -> PointsTable:
    """Learn whole attribute points from won/lost (or converted) outcomes.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per lead or account with its attributes.
    outcome : Series or array-like of bool
        Won (converted) or not, per row; a Series is matched by label.
    columns : list of str, optional
        The columns to learn from (default: every column). Leave out
        columns known only after the outcome (a stage reached, an order
        date): they predict perfectly in history and never in use.
    bins : int, default 5
        Quantile bands per numeric column (fewer when values repeat);
        missing values are a level of their own.
    min_count : int, default 30
        Categories with fewer rows share one "other" level (their points
        become the item's ``default``): one lead is no evidence.
    pdo : float, default 20
        Points that double the odds of a won outcome.
    base_score, base_odds : float, default 100 and 1
        ``base_score`` points are odds of ``base_odds`` (1: even odds).
    l2 : float, default 1
        Ridge penalty on the level coefficients (scikit-learn's ``1 / C``);
        larger keeps points of thin levels nearer 0.

    Returns
    -------
    PointsTable
        One item per column (``points_for`` or ``points_between``), a
        ``base``, and an :class:`OddsScale` so that
        :meth:`PointsTable.probability` gives calibrated probabilities (to
        the rounding of the points).

    Raises
    ------
    ValidationError
        Missing columns, outcomes that are missing or all one value, an
        id-like column, bad options.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from bbmkit import learn_points
    >>> rng = np.random.default_rng(0)
    >>> leads = pd.DataFrame({"title": rng.choice(["CEO", "Manager", "Student"], 3000),
    ...                       "visits": rng.poisson(3, 3000)})
    >>> logit = -2 + 1.5 * (leads["title"] == "CEO") - 1.5 * (leads["title"] == "Student")
    >>> won = rng.random(3000) < 1 / (1 + np.exp(-logit - 0.3 * leads["visits"]))
    >>> table = learn_points(leads, won, pdo=20, base_score=100)
    >>> title = table.items[0]
    >>> dict(title.points)["CEO"] - dict(title.points)["Student"]  # true: 3 / ln 2 * 20 = 86.6
    89.0
    >>> table.probability(leads.head(2)).round(2).tolist()  # true: 0.03 and 0.15
    [0.04, 0.16]
    """
    data = check_frame(frame, name="frame")
    if len(data) == 0:
        raise ValidationError("frame is empty: there is nothing to learn from")
    won = outcome_flags(data, outcome, name="frame", purpose="to learn points")
    names = list(data.columns) if columns is None else check_list(columns, name="columns")
    if not names:
        raise ValidationError("columns must not be empty")
    for name in names:
        if not isinstance(name, str):
            raise ValidationTypeError(f"columns must be column names (str), got {fmt(name)}")
    require_columns(data, names, name="frame")
    k = check_int(bins, name="bins", low=1, high=100)
    least = check_int(min_count, name="min_count", low=1)
    scale = OddsScale(pdo, base_score, base_odds)  # validates the three numbers
    penalty = check_number(l2, name="l2", low=0.0, low_inclusive=False)

    parts = []
    for name in names:  # a loop over columns
        column = data[name]
        if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
            column.dtype
        ):
            parts.append(_numeric(name, column, k))
        else:
            parts.append(_categorical(name, column, least))
    intercept, coefficients = _fit(parts, won.astype(np.float64), penalty)
    factor = scale.pdo / math.log(2.0)
    items: list[PointsFor | PointsBetween] = []
    for part, beta in zip(parts, coefficients, strict=True):
        points = np.round(beta * factor) + 0.0  # + 0.0: no negative zeros
        missing = float(points[part.missing_level]) if part.missing_level >= 0 else 0.0
        if part.numeric:
            edges = [None, *part.levels, None]
            bands = [(edges[i], edges[i + 1], float(points[i])) for i in range(len(edges) - 1)]
            items.append(PointsBetween(part.name, bands, missing=missing))
        else:
            default = float(points[part.other_level]) if part.other_level >= 0 else 0.0
            pairs = [(value, float(points[i])) for i, value in enumerate(part.levels)]
            if not pairs:
                raise ValidationError(
                    f"column {part.name!r} has no value with at least min_count={least} rows"
                )
            items.append(PointsFor(part.name, pairs, default=default, missing=missing))
    base = round(scale.base_score + (intercept - math.log(scale.base_odds)) * factor)
    return PointsTable(items, base=float(base), odds=scale)


def _fit_dense(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], l2: float
) -> tuple[float, npt.NDArray[np.float64]]:
    """Intercept and coefficients of the penalised logistic regression on a small dense design."""
    n, p = x.shape
    design = np.hstack([x, np.ones((n, 1))])

    def derivatives(
        residual: npt.NDArray[np.float64], weight: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        return design.T @ residual, (design * weight[:, None]).T @ design

    penalty = np.full(p + 1, l2)
    penalty[p] = 0.0
    theta = _newton(_start(y, p), lambda t: design @ t, derivatives, y, penalty)
    return float(theta[p]), theta[:p]


def learn_event_points(
    events: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    half_life: float | pd.Timedelta | None = None,
    horizon: float | pd.Timedelta = 0.0,
    contact: str = "contact_id",
    event: str = "event_type",
    time: str = "timestamp",
    outcome: str = "won",
    outcome_time: str = "closed_at",
    pdo: float = 20.0,
    l2: float = 1.0,
) -> ScoringModel:
    """Learn behavioural points per event type from outcomes, without looking at the future.

    Each entity with an outcome is seen at a *snapshot* ``horizon`` before
    its outcome time: its events up to the snapshot, each decayed by
    ``half_life`` to the snapshot, summed per event type. Events after the
    snapshot never enter, so a point cannot come from what happened on the
    way to the outcome (the demo request of a deal already won). A
    penalised logistic regression of the outcome on those decayed counts
    gives a log-odds per occurrence, and ``pdo`` points double the odds.

    Parameters
    ----------
    events : pandas.DataFrame
        The event log (contact id, event type, time).
    outcomes : pandas.DataFrame
        One row per entity: its id (column ``contact``), ``outcome``
        (won/converted, bool) and ``outcome_time``. Rows with a missing
        outcome or time (still open) are left out, as are entities with no
        row here.
    half_life : float or pandas.Timedelta, optional
        Decay of events to the snapshot (days); the learned model uses it
        too. ``None``: events count fully.
    horizon : float or pandas.Timedelta, default 0
        How long before the outcome the snapshot is taken (days): the lead
        time the score is meant to give.
    contact, event, time, outcome, outcome_time : str
        Column names.
    pdo : float, default 20
        Points that double the odds.
    l2 : float, default 1
        Ridge penalty on the per-type coefficients.

    Returns
    -------
    ScoringModel
        Whole points per event type seen in the log before the snapshots
        (negative where an event type lowers the odds), with ``half_life``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from bbmkit import learn_event_points
    >>> rng = np.random.default_rng(1)
    >>> n = 2000
    >>> demo = rng.random(n) < 0.3
    >>> won = rng.random(n) < np.where(demo, 0.6, 0.1)
    >>> events = pd.DataFrame({"contact_id": np.r_[np.arange(n), np.flatnonzero(demo)],
    ...                        "event_type": ["visit"] * n + ["demo"] * int(demo.sum()),
    ...                        "timestamp": 10.0})
    >>> outcomes = pd.DataFrame({"contact_id": np.arange(n), "won": won, "closed_at": 40.0})
    >>> model = learn_event_points(events, outcomes, horizon=20)
    >>> model.points["demo"] > 50 > model.points["visit"]
    True
    """
    from bbmkit.scoring import EventLog

    table = check_frame(outcomes, name="outcomes")
    for name, value in (("outcome", outcome), ("outcome_time", outcome_time)):
        if not isinstance(value, str):
            raise ValidationTypeError(f"{name} must be a column name (str), got {fmt(value)}")
    log = EventLog.from_frame(events, contact=contact, event=event, time=time)
    require_columns(table, [contact, outcome, outcome_time], name="outcomes")
    ends_raw = table[outcome_time]
    known = table[outcome].notna().to_numpy() & ends_raw.notna().to_numpy()
    table = table[known]
    if len(table) == 0:
        raise ValidationError("outcomes has no row with both an outcome and its time")
    won = as_bool_array(table[outcome], name=outcome)
    if won.all() or not won.any():
        raise ValidationError("outcomes must hold both won and lost rows to learn points")
    ids = pd.Index(table[contact])
    if not ids.is_unique:
        raise ValidationError(f"outcomes lists an entity more than once (column {contact!r})")
    clock = log._log.clock
    ends_days = _outcome_days(table[outcome_time], outcome_time, clock)
    lead = _days_of(horizon, "horizon", low=0.0)
    life = None if half_life is None else _days_of(half_life, "half_life", low=0.0, strict=True)
    penalty = check_number(l2, name="l2", low=0.0, low_inclusive=False)
    scale = check_number(pdo, name="pdo", low=0.0, low_inclusive=False)

    # every event of an entity with an outcome, decayed to that entity's snapshot
    base = log._log
    position = ids.get_indexer(base.contacts)  # contact code -> outcome row (-1: none)
    row = position[base.contact_codes]
    with_outcome = row >= 0
    days = base.time_days
    snapshot = ends_days - lead
    age = snapshot[np.maximum(row, 0)] - days
    used = with_outcome & (age >= 0)
    types = log._event_types
    with np.errstate(over="ignore"):  # a tiny half-life: every past event worth 0
        weight = np.ones(int(used.sum())) if life is None else np.exp2(-age[used] / life)
    n_types = len(types)
    features = (
        np.bincount(
            row[used].astype(np.int64) * n_types + base.type_codes[used].astype(np.int64),
            weights=weight,
            minlength=len(ids) * n_types,
        )
        .reshape(len(ids), n_types)
        .astype(np.float64)
    )
    seen = np.flatnonzero(features.any(axis=0))
    if seen.size == 0:
        raise ValidationError(
            "no event counts at the snapshots (outcome time minus horizon): none happened "
            "before them, or half_life decayed them all to 0",
            code="empty",
            parameter="outcomes",
        )
    _, beta = _fit_dense(features[:, seen], won.astype(np.float64), penalty)
    points = np.round(beta * scale / math.log(2.0)) + 0.0
    names = [str(t) for t in types[seen]]
    return ScoringModel(dict(zip(names, points.tolist(), strict=True)), half_life=life)


def _days_of(value: object, name: str, *, low: float, strict: bool = False) -> float:
    if isinstance(value, pd.Timedelta | np.timedelta64):
        value = pd.Timedelta(value) / pd.Timedelta(days=1)
    return check_number(value, name=name, low=low, low_inclusive=not strict)


def _outcome_days(column: pd.Series, name: str, clock: Any) -> npt.NDArray[np.float64]:
    """Outcome times as the log's float days (datetimes in its zone, or days)."""
    from bbmkit._validation import times_as_days

    days, tz = times_as_days(column, name)
    if clock.is_datetime != (tz is not False):
        raise ValidationTypeError(
            f"column {name!r} must hold the same kind of times as the event log "
            f"({'datetimes' if clock.is_datetime else 'numbers of days'})"
        )
    if clock.is_datetime and (tz is None) != (clock.tz is None):
        raise ValidationError(
            f"column {name!r} and the event log's times must both be time-zone aware or both naive"
        )
    return days
