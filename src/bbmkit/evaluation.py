"""Judging scores against won/lost outcomes: AUC, lift, precision, capacity, calibration aids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._convert import factorize
from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._kernels import group_count
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
    fmt,
    paired,
    require_columns,
)

__all__ = [
    "CapacityThreshold",
    "ScoreReport",
    "TimeSplit",
    "capacity_threshold",
    "lift_table",
    "log_odds_weights",
    "precision_at_k",
    "roc_auc",
    "score_report",
    "time_split",
]


def _scored(
    score: object, outcome: object, *, need_both: bool = True
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Validated (score, outcome) arrays: same length, aligned, finite, binary."""
    if isinstance(score, pd.DataFrame) or isinstance(outcome, pd.DataFrame):
        raise ValidationTypeError("score and outcome must be one-dimensional (Series or arrays)")
    score, outcome = paired(score, outcome, names=("score", "outcome"))
    s = as_series(score, name="score")
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise ValidationTypeError(f"score must hold numbers, got dtype {s.dtype}")
    values = s.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValidationError(f"score has {int(bad.sum())} missing or infinite value(s)")
    if values.size == 0:
        raise ValidationError("score is empty")
    won = as_bool_array(outcome, name="outcome")
    if won.shape[0] != values.shape[0]:
        raise ValidationError(
            f"score and outcome must have the same length, got {values.shape[0]} and {won.shape[0]}"
        )
    if need_both and (won.all() or not won.any()):
        raise ValidationError(
            f"outcome must contain both classes (won and lost), got only {'won' if won.all() else 'lost'}"
        )
    return values, won


def roc_auc(score: pd.Series | npt.ArrayLike, outcome: pd.Series | npt.ArrayLike) -> float:
    """Area under the ROC curve: the chance a random won case scores above a random lost one.

    Tied scores count one half (the Mann-Whitney statistic), so it equals
    scikit-learn's ``roc_auc_score``.

    Parameters
    ----------
    score : Series or array of float
        Higher = more likely to win (ICP fit, engagement, priority).
    outcome : Series or array of bool or 0/1
        Won (True/1) or lost; both classes must be present.

    Examples
    --------
    >>> from bbmkit import roc_auc
    >>> roc_auc([0.9, 0.8, 0.4, 0.4, 0.1], [1, 0, 1, 0, 0])
    0.75
    """
    values, won = _scored(score, outcome)
    from scipy import stats  # here: importing bbmkit does not load scipy.stats

    ranks = stats.rankdata(values)  # average ranks: ties count one half
    n_pos = int(won.sum())
    n_neg = won.size - n_pos
    return float((ranks[won].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _order(values: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """Highest score first; ties keep input order."""
    return np.argsort(-values, kind="stable")


def _bins(
    values: npt.NDArray[np.float64], k: int, ties: str
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Rows by score (highest first) and the bin (0 = highest) of each sorted position."""
    n = values.size
    order = _order(values)
    bin_of_row = (np.arange(n) * k) // n  # position -> bin, equal sizes
    if ties == "together" and n:
        # a block of equal scores goes to the bin of its middle position
        sorted_values = values[order]
        first = np.ones(n, dtype=bool)
        first[1:] = sorted_values[1:] != sorted_values[:-1]
        starts = np.flatnonzero(first)
        ends = np.append(starts[1:], n) - 1
        middle_bin = (((starts + ends) // 2) * k) // n
        bin_of_row = np.repeat(middle_bin, ends - starts + 1)
    return order, bin_of_row.astype(np.intp)


def lift_table(
    score: pd.Series | npt.ArrayLike,
    outcome: pd.Series | npt.ArrayLike,
    *,
    bins: int = 10,
    ties: Literal["together", "split"] = "together",
) -> pd.DataFrame:
    """Conversion and lift by score bin, from the highest scores (bin 1) down.

    Rows are sorted by score and cut into ``bins`` groups of equal size
    (sizes differ by at most one); every row is in exactly one bin.

    Parameters
    ----------
    score, outcome : Series or array-like
        Scores and won/lost outcomes (paired by label for Series).
    bins : int, default 10
        Number of bins (at most the number of rows).
    ties : {"together", "split"}, default "together"
        ``"together"``: a block of equal scores is never split; it goes
        whole to the bin its middle row falls in, so bins can differ in
        size (or be empty, with ``n`` 0 and missing rates) when many scores
        tie, and the table does not depend on row order. ``"split"``: exact
        equal sizes, tied rows cut in input order (a shuffle of the same
        scores can move converters between bins).

    Returns
    -------
    pandas.DataFrame
        Indexed by bin: ``n``, ``positives``, ``rate``, ``lift`` (rate /
        overall rate), ``min_score``, ``max_score`` and ``cumulative_lift``.

    Examples
    --------
    >>> from bbmkit import lift_table
    >>> lift_table([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], [1, 1, 0, 1, 0, 0, 0, 0, 1, 0], bins=5)[["n", "positives", "lift"]]
         n  positives  lift
    bin
    1    2          2  2.50
    2    2          1  1.25
    3    2          0  0.00
    4    2          0  0.00
    5    2          1  1.25

    Three tied scores stay in one bin:

    >>> lift_table([5, 5, 5, 1], [1, 0, 0, 1], bins=2)["n"].tolist()
    [3, 1]
    """
    values, won = _scored(score, outcome, need_both=False)
    k = check_int(bins, name="bins", low=1)
    n = values.size
    if k > n:
        raise ValidationError(f"bins must be at most the number of rows ({n}), got {k}")
    mode = check_in_choices(ties, name="ties", choices=("together", "split"))
    order, codes = _bins(values, k, mode)
    size = group_count(codes, k)
    positives = group_count(codes, k, won[order])
    sorted_scores = values[order]
    overall = won.mean()
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty bin has no rate
        rate = positives / size
        lift = rate / overall if overall > 0 else np.full(k, np.nan)
        cumulative = (
            (np.cumsum(positives) / np.cumsum(size)) / overall
            if overall > 0
            else np.full(k, np.nan)
        )
    first_row = np.concatenate([[0], np.cumsum(size)[:-1]])
    last_row = first_row + size - 1
    empty = size == 0
    safe_first = np.minimum(first_row, n - 1)
    safe_last = np.clip(last_row, 0, n - 1)
    return pd.DataFrame(
        {
            "n": size,
            "positives": positives,
            "rate": rate,
            "lift": lift,
            "min_score": np.where(empty, np.nan, sorted_scores[safe_last]),
            "max_score": np.where(empty, np.nan, sorted_scores[safe_first]),
            "cumulative_lift": cumulative,
        },
        index=pd.RangeIndex(1, k + 1, name="bin"),
    )


def precision_at_k(
    score: pd.Series | npt.ArrayLike, outcome: pd.Series | npt.ArrayLike, k: int | Sequence[int]
) -> float | pd.Series:
    """Share of won cases among the ``k`` highest scores (ties in input order).

    Examples
    --------
    >>> from bbmkit import precision_at_k
    >>> precision_at_k([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 1], 2)
    0.5
    >>> precision_at_k([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 1], [1, 3]).tolist()
    [1.0, 0.6666666666666666]
    """
    values, won = _scored(score, outcome, need_both=False)
    hits = np.cumsum(won[_order(values)])
    ks = [k] if isinstance(k, int | np.integer) else check_list(k, name="k")
    checked = [check_int(x, name="k", low=1) for x in ks]
    for x in checked:
        if x > values.size:
            raise ValidationError(f"k must be at most the number of rows ({values.size}), got {x}")
    result = [float(hits[x - 1] / x) for x in checked]
    if isinstance(k, int | np.integer):
        return result[0]
    return pd.Series(result, index=pd.Index(checked, name="k"), name="precision")


@attrs.frozen
class CapacityThreshold:
    """Result of :func:`capacity_threshold`.

    Attributes
    ----------
    threshold : float
        Hand over when score >= threshold.
    handovers_per_period : float
        Expected handovers per period at that threshold (<= capacity).
    conversion : float
        Won share among historical cases at or above the threshold (NaN
        without outcomes).
    wins_per_period : float
        ``handovers_per_period * conversion``.

    Examples
    --------
    >>> from bbmkit import capacity_threshold
    >>> capacity_threshold([3, 2, 1], [1, 0, 0], capacity=1).threshold
    3.0
    """

    threshold: float
    handovers_per_period: float
    conversion: float
    wins_per_period: float


def capacity_threshold(
    score: pd.Series | npt.ArrayLike,
    outcome: pd.Series | npt.ArrayLike | None = None,
    *,
    capacity: float,
    periods: int | pd.Series | npt.ArrayLike = 1,
) -> CapacityThreshold:
    """The lowest score threshold that hands sales at most ``capacity`` per period.

    Parameters
    ----------
    score : Series or array
        Scores of the cases of ``periods`` periods (e.g. last quarter's
        leads).
    outcome : Series or array of bool, optional
        Their outcomes, to estimate the conversion above the threshold.
    capacity : float
        Cases sales can take per period (> 0).
    periods : int or labels, default 1
        Number of periods the scores cover, or a period label per case
        (the average over the labelled periods must stay within capacity).

    Examples
    --------
    >>> from bbmkit import capacity_threshold
    >>> r = capacity_threshold([90, 80, 70, 60, 50, 40], [1, 1, 0, 1, 0, 0], capacity=3)
    >>> r.threshold, r.handovers_per_period, round(r.conversion, 3)
    (70.0, 3.0, 0.667)
    """
    cap = check_number(capacity, name="capacity", low=0.0, low_inclusive=False)
    if outcome is None:
        values, _ = _scored(score, np.zeros(len(np.asarray(score)), dtype=bool), need_both=False)
        won = None
    else:
        values, won = _scored(score, outcome, need_both=False)
    if isinstance(periods, int | np.integer) and not isinstance(periods, bool):
        n_periods = check_int(periods, name="periods", low=1)
    else:
        _, periods = paired(score, periods, names=("score", "periods"))
        labels = as_series(periods, name="periods")
        if len(labels) != values.size:
            raise ValidationError(
                f"periods must have one label per score ({values.size}), got {len(labels)}"
            )
        if labels.isna().any():
            raise ValidationError("periods has missing labels")
        n_periods = len(factorize(labels)[1])
    # candidate thresholds are the distinct scores, highest first; counts at or above each
    distinct, counts = np.unique(values, return_counts=True)
    distinct, counts = distinct[::-1], counts[::-1]
    at_or_above = np.cumsum(counts) / n_periods
    ok = at_or_above <= cap + 1e-12
    if not ok.any():
        raise ValidationError(
            f"capacity {cap:g} per period is below the {at_or_above[0]:g} cases per period tied at the top score"
        )
    j = int(np.flatnonzero(ok)[-1])
    threshold = float(distinct[j])
    above = values >= threshold
    conversion = float(won[above].mean()) if won is not None else float("nan")
    per_period = float(at_or_above[j])
    return CapacityThreshold(
        threshold=threshold,
        handovers_per_period=per_period,
        conversion=conversion,
        wins_per_period=per_period * conversion,
    )


def log_odds_weights(
    features: pd.DataFrame,
    outcome: pd.Series | npt.ArrayLike,
    *,
    smoothing: float = 1.0,
    scale: float = 10.0,
    max_categories: int = 50,
) -> pd.DataFrame:
    """Suggested criterion weights or event points from won/lost history.

    A calibration aid for a human, not a fitted model. For every value of
    every column (a category, or True of a boolean column such as "attended a
    seminar") it computes the smoothed log-odds ratio

        log((won_with + a) / (lost_with + a)) - log((won + a) / (lost + a))

    with ``a = smoothing``: positive when the value is more common among won
    cases, 0 when it tells nothing. ``points`` is that weight times ``scale``,
    rounded. Features are read one at a time: correlated features are not
    discounted, so read the suggestions together.

    Parameters
    ----------
    features : pandas.DataFrame
        One row per case: categorical, text or boolean columns.
    outcome : Series or array of bool
        Won or lost, aligned with ``features``.
    smoothing : float, default 1.0
        Pseudo-count added to each cell (> 0), which keeps rare values from
        extreme weights.
    scale : float, default 10.0
        Points per unit of log-odds.
    max_categories : int, default 50
        Columns with more distinct values (ids) are skipped.

    Returns
    -------
    pandas.DataFrame
        One row per (column, value): ``cases``, ``won``, ``lost``,
        ``weight`` and ``points``, sorted by weight, highest first.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import log_odds_weights
    >>> features = pd.DataFrame({"seminar": [True, True, True, False, False, False]})
    >>> log_odds_weights(features, [1, 1, 0, 0, 0, 1])[["cases", "won", "lost", "points"]]
                   cases  won  lost  points
    column  value
    seminar True       3    2     1     4.0
            False      3    1     2    -4.0
    """
    frame = check_frame(features, name="features")
    frame, outcome = paired(frame, outcome, names=("features", "outcome"))
    won = as_bool_array(outcome, name="outcome")
    if won.shape[0] != len(frame):
        raise ValidationError(
            f"features and outcome must have the same length, got {len(frame)} and {won.shape[0]}"
        )
    if len(frame) == 0:
        raise ValidationError("features is empty")
    a = check_number(smoothing, name="smoothing", low=0.0, low_inclusive=False)
    points_per = check_number(scale, name="scale", low=0.0, low_inclusive=False)
    limit = check_int(max_categories, name="max_categories", low=1)
    base = np.log((won.sum() + a) / ((~won).sum() + a))
    rows: list[dict[str, Any]] = []
    for column in frame.columns:  # a loop over columns, not rows
        codes, values = factorize(frame[column])
        if len(values) > limit:
            continue
        cases = group_count(codes, len(values))
        wins = group_count(codes, len(values), won)
        weight = np.log((wins + a) / (cases - wins + a)) - base
        rows.extend(
            {
                "column": column,
                "value": value,
                "cases": int(c),
                "won": int(w),
                "lost": int(c - w),
                "weight": float(x),
            }
            for value, c, w, x in zip(values, cases, wins, weight, strict=True)
        )
    if not rows:
        raise ValidationError(
            "no column with at most max_categories values to learn from", parameter="max_categories"
        )
    table = pd.DataFrame(rows)
    table["points"] = np.round(table["weight"] * points_per)
    table = table.sort_values("weight", ascending=False, kind="stable")
    return table.set_index(["column", "value"])


# --------------------------------------------------------------------------
# honest evaluation: split by time, judge on the later rows


@attrs.frozen(repr=False)
class TimeSplit(TablesRepr):
    """Result of :func:`time_split`: the earlier rows to learn from, the later ones to judge on.

    Attributes
    ----------
    train, test : pandas.DataFrame
        Rows before ``at``, and rows at or after it (in the frame's order).
    at : Timestamp or float
        The cut.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import time_split
    >>> split = time_split(pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0]}), "t", at=3.0)
    >>> len(split.train), len(split.test)
    (2, 2)
    """

    train: pd.DataFrame
    test: pd.DataFrame
    at: Any


def time_split(
    frame: pd.DataFrame, time: str, *, at: object = None, test_share: float = 0.25
) -> TimeSplit:
    """Split rows by time: learn on the past, judge on what came after.

    A random split lets a model learn from leads newer than the ones it is
    judged on (and from campaigns, prices and markets of that time); a cut
    in time does not.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with a time column (datetimes or numbers).
    time : str
        The column (e.g. the lead's creation date). Missing times are an
        error: a row without a time belongs to neither side.
    at : timestamp-like or float, optional
        The cut: rows before it train, rows at or after it test. Default:
        the time with ``test_share`` of the rows at or after it.
    test_share : float, default 0.25
        Share of rows to judge on when ``at`` is not given (in (0, 1)).

    Returns
    -------
    TimeSplit

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import time_split
    >>> leads = pd.DataFrame({"created": pd.date_range("2026-01-01", periods=8, freq="MS")})
    >>> split = time_split(leads, "created")
    >>> split.at, len(split.train), len(split.test)
    (Timestamp('2026-07-01 00:00:00'), 6, 2)
    """
    data = check_frame(frame, name="frame")
    if not isinstance(time, str):
        raise ValidationTypeError(f"time must be a column name (str), got {fmt(time)}")
    require_columns(data, [time], name="frame")
    column = data[time]
    check_no_missing(column, time)
    is_datetime = pd.api.types.is_datetime64_any_dtype(column.dtype)
    if not is_datetime and (
        not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype)
    ):
        raise ValidationTypeError(
            f"column {time!r} must hold datetimes or numbers, got dtype {column.dtype}"
        )
    if len(data) < 2:
        raise ValidationError(f"frame needs at least 2 rows to split, got {len(data)}")
    if at is None:
        share = check_number(
            test_share,
            name="test_share",
            low=0.0,
            high=1.0,
            low_inclusive=False,
            high_inclusive=False,
        )
        ordered = column.sort_values(kind="stable")
        cut = ordered.iloc[min(len(data) - 1, int(np.floor(len(data) * (1.0 - share))))]
    elif is_datetime:
        cut = check_timestamp(at, name="at", tz=column.dt.tz, data=f"column {time!r}")
    else:
        cut = check_number(at, name="at")
    later = (column >= cut).to_numpy()
    if later.all() or not later.any():
        raise ValidationError(
            f"at={fmt(cut)} leaves one side empty: column {time!r} runs from "
            f"{fmt(column.min())} to {fmt(column.max())}"
        )
    return TimeSplit(data[~later], data[later], cut)


@attrs.frozen(repr=False)
class ScoreReport(TablesRepr):
    """Result of :func:`score_report`: how well scores separate won from lost.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per score: ``n``, ``positives``, ``auc``, ``top_lift``
        (the first bin's lift) and, with ``capacity``, the threshold and
        the conversion above it.
    lift : pandas.DataFrame
        :func:`lift_table` of every score, indexed by (score, bin).
    calibration : pandas.DataFrame
        For the scores given as ``probabilities``: per bin the mean
        predicted probability and the observed rate, indexed by (score, bin).

    Examples
    --------
    >>> from bbmkit import score_report
    >>> report = score_report({"fit": [0.9, 0.2, 0.8, 0.1]}, [1, 0, 1, 0], bins=2)
    >>> report.summary["auc"].tolist()
    [1.0]
    """

    summary: pd.DataFrame
    lift: pd.DataFrame
    calibration: pd.DataFrame


def score_report(
    scores: Any,
    outcome: pd.Series | npt.ArrayLike,
    *,
    bins: int = 10,
    capacity: float | None = None,
    probabilities: Sequence[str] = (),
) -> ScoreReport:
    """One report of several scores on the same held-out rows: AUC, lift, calibration, capacity.

    Parameters
    ----------
    scores : Series, array or mapping of name to Series/array
        The scores to compare (e.g. learned points and a hand-made
        profile's fit); each is paired with ``outcome`` by label.
    outcome : Series or array of bool
        Won or not, per row.
    bins : int, default 10
        Bins of the lift and calibration tables (tied scores stay together).
    capacity : float, optional
        Handovers sales can take (over the rows given): adds the threshold
        of each score and the conversion above it.
    probabilities : sequence of str
        Names of scores that are probabilities (e.g.
        :meth:`PointsTable.probability`): they get a calibration table.

    Returns
    -------
    ScoreReport

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import score_report
    >>> won = pd.Series([1, 0, 1, 0, 0, 1], index=list("abcdef")).astype(bool)
    >>> report = score_report({"points": pd.Series([90, 20, 70, 40, 10, 60], index=list("abcdef")),
    ...                        "coin": pd.Series([1, 2, 3, 4, 5, 6], index=list("abcdef"))},
    ...                       won, bins=2, capacity=3)
    >>> report.summary[["auc", "top_lift", "threshold"]].round(2)
             auc  top_lift  threshold
    score
    points  1.00      2.00       60.0
    coin    0.44      0.67        4.0
    """
    named = dict(scores) if isinstance(scores, dict) else {"score": scores}
    if not named:
        raise ValidationError("scores must not be empty")
    for name in named:
        if not isinstance(name, str):
            raise ValidationTypeError(f"scores names must be strings, got {fmt(name)}")
    wanted = check_list(probabilities, name="probabilities")
    for name in wanted:
        if not isinstance(name, str):
            raise ValidationTypeError(f"probabilities must be score names (str), got {fmt(name)}")
    unknown = [p for p in wanted if p not in named]
    if unknown:
        raise ValidationError(f"probabilities names {fmt(unknown[0])}, which is not in scores")
    k = check_int(bins, name="bins", low=1)
    rows, lifts, calibrations = [], [], []
    for name, score in named.items():  # a loop over scores
        table = lift_table(score, outcome, bins=k)
        values, won = _scored(score, outcome)
        row: dict[str, Any] = {
            "score": name,
            "n": values.size,
            "positives": int(won.sum()),
            "auc": roc_auc(score, outcome),
            "top_lift": float(table["lift"].iloc[0]),
        }
        if capacity is not None:
            result = capacity_threshold(score, outcome, capacity=capacity)
            row.update(threshold=result.threshold, conversion=result.conversion)
        rows.append(row)
        lifts.append(table.assign(score=name).set_index("score", append=True).swaplevel())
        if name in wanted:
            if ((values < 0) | (values > 1)).any():
                raise ValidationError(
                    f"scores[{name!r}] is named in probabilities but is not in [0, 1]"
                )
            order, codes = _bins(values, k, "together")
            size = group_count(codes, k)
            with np.errstate(invalid="ignore", divide="ignore"):
                predicted = np.bincount(codes, weights=values[order], minlength=k) / size
                observed = group_count(codes, k, won[order]) / size
            calibrations.append(
                pd.DataFrame(
                    {"n": size, "mean_predicted": predicted, "observed": observed},
                    index=pd.MultiIndex.from_product(
                        [[name], range(1, k + 1)], names=["score", "bin"]
                    ),
                )
            )
    summary = pd.DataFrame(rows).set_index("score")
    calibration = (
        pd.concat(calibrations)
        if calibrations
        else pd.DataFrame(
            {"n": [], "mean_predicted": [], "observed": []},
            index=pd.MultiIndex.from_arrays([[], []], names=["score", "bin"]),
        )
    )
    return ScoreReport(summary, pd.concat(lifts), calibration)
