import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit import (
    ValidationError,
    ValidationTypeError,
    capacity_threshold,
    lift_table,
    log_odds_weights,
    precision_at_k,
    roc_auc,
)
from tests import reference


def test_auc_hand_worked_with_ties() -> None:
    assert roc_auc([0.9, 0.8, 0.4, 0.4, 0.1], [1, 0, 1, 0, 0]) == 0.75
    assert roc_auc([1, 2, 3], [False, True, True]) == 1.0
    assert roc_auc([5, 5, 5, 5], [0, 1, 0, 1]) == 0.5


@pytest.mark.parametrize("seed", range(15))
def test_auc_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 200))
    scores = rng.integers(0, 20, n).astype(float)  # many ties
    outcomes = rng.random(n) < 0.4
    outcomes[0], outcomes[1] = True, False
    assert roc_auc(scores, outcomes) == pytest.approx(
        reference.auc(scores.tolist(), outcomes.tolist()), abs=1e-12
    )


@pytest.mark.parametrize("seed", range(5))
def test_auc_equals_scikit_learn(seed: int) -> None:
    metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn not installed")
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=500).round(1)
    outcomes = rng.random(500) < 1 / (1 + np.exp(-scores))
    assert roc_auc(scores, outcomes) == pytest.approx(
        metrics.roc_auc_score(outcomes, scores), abs=1e-12
    )


def test_lift_table_hand_worked() -> None:
    table = lift_table(list(range(9, -1, -1)), [1, 1, 0, 1, 0, 0, 0, 0, 1, 0], bins=5)
    assert table["n"].tolist() == [2] * 5
    assert table["positives"].tolist() == [2, 1, 0, 0, 1]
    assert table["lift"].tolist() == [2.5, 1.25, 0.0, 0.0, 1.25]
    assert table["cumulative_lift"].iloc[-1] == pytest.approx(1.0)
    assert table["max_score"].tolist() == [9, 7, 5, 3, 1]
    uneven = lift_table(np.arange(7.0), np.arange(7) % 2 == 0, bins=3)
    assert uneven["n"].tolist() == [3, 2, 2]


def test_precision_and_capacity() -> None:
    scores = [90, 80, 70, 60, 50, 40]
    won = [1, 1, 0, 1, 0, 0]
    assert precision_at_k(scores, won, 3) == pytest.approx(2 / 3)
    r = capacity_threshold(scores, won, capacity=3)
    assert (r.threshold, r.handovers_per_period) == (70.0, 3.0)
    assert r.conversion == pytest.approx(2 / 3)
    assert r.wins_per_period == pytest.approx(2.0)
    two = capacity_threshold(scores, won, capacity=2, periods=2)  # 6 leads over 2 periods
    assert (two.threshold, two.handovers_per_period) == (60.0, 2.0)
    labelled = capacity_threshold(
        scores, won, capacity=1, periods=["q1", "q2", "q1", "q2", "q1", "q2"]
    )
    assert labelled.threshold == 80.0
    assert capacity_threshold([5, 5, 5, 1], capacity=3).threshold == 5.0  # ties go together
    assert capacity_threshold([5, 5, 5, 1], capacity=4).threshold == 1.0
    with pytest.raises(ValidationError, match="capacity 1 per period is below the 3"):
        capacity_threshold([5, 5, 5, 1], capacity=1)
    assert np.isnan(capacity_threshold(scores, capacity=2).conversion)


def test_log_odds_weights_hand_worked() -> None:
    features = pd.DataFrame(
        {
            "seminar": [True, True, True, False, False, False],
            "industry": ["it", "it", "retail", "retail", "retail", "it"],
            "id": [f"x{i}" for i in range(6)],
        }
    )
    table = log_odds_weights(features, [1, 1, 0, 0, 0, 1], max_categories=3)
    assert table.loc[("seminar", True), "weight"] == pytest.approx(np.log(3 / 2))
    assert table.loc[("industry", "it"), ["won", "lost"]].tolist() == [3, 0]
    # it: log((3+1)/(0+1)) - log(4/4)
    assert table.loc[("industry", "it"), "weight"] == pytest.approx(np.log(4))
    assert "id" not in table.index.get_level_values(0)  # too many values: skipped
    assert table["weight"].is_monotonic_decreasing


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: roc_auc([1, 2], [1, 1]), ValidationError, "both classes"),
        (lambda: roc_auc([1, 2], [1, 2]), ValidationError, "must be boolean"),
        (lambda: roc_auc([1, np.nan], [1, 0]), ValidationError, "missing or infinite"),
        (lambda: roc_auc([1, 2, 3], [1, 0]), ValidationError, "same length"),
        (lambda: roc_auc(["a", "b"], [1, 0]), ValidationTypeError, "score must hold numbers"),
        (lambda: roc_auc([], []), ValidationError, "empty"),
        (
            lambda: roc_auc(pd.Series([1, 2], index=[0, 1]), pd.Series([1, 0], index=[1, 2])),
            ValidationError,
            "different indexes",
        ),
        (
            lambda: lift_table([1, 2], [1, 0], bins=3),
            ValidationError,
            "bins must be at most the number of rows",
        ),
        (
            lambda: lift_table([1, 2], [1, 0], bins=0),
            ValidationError,
            "bins must be an integer >= 1",
        ),
        (lambda: precision_at_k([1, 2], [1, 0], 3), ValidationError, "k must be at most"),
        (
            lambda: capacity_threshold([1, 2], [1, 0], capacity=0),
            ValidationError,
            "capacity must be",
        ),
        (
            lambda: capacity_threshold([1, 2], [1, 0], capacity=1, periods=[1]),
            ValidationError,
            "one label per score",
        ),
        (
            lambda: log_odds_weights(pd.DataFrame({"a": [1]}), [1, 0]),
            ValidationError,
            "same length",
        ),
        (
            lambda: log_odds_weights(pd.DataFrame({"a": [1, 2]}), [1, 0], smoothing=0),
            ValidationError,
            "smoothing",
        ),
    ],
)
def test_invalid(call: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]


cases = st.lists(st.tuples(st.integers(0, 10), st.booleans()), min_size=2, max_size=60).filter(
    lambda rows: 0 < sum(r[1] for r in rows) < len(rows)
)


@given(cases)
def test_property_reversed_score_gives_one_minus_auc(rows: list[tuple[int, bool]]) -> None:
    scores = np.array([r[0] for r in rows], dtype=float)
    won = np.array([r[1] for r in rows])
    assert roc_auc(-scores, won) == pytest.approx(1 - roc_auc(scores, won), abs=1e-12)
    assert 0 <= roc_auc(scores, won) <= 1


@given(cases, st.integers(1, 10))
def test_property_lift_bins_cover_every_row_once(rows: list[tuple[int, bool]], bins: int) -> None:
    bins = min(bins, len(rows))
    scores = [r[0] for r in rows]
    won = [r[1] for r in rows]
    split = lift_table(scores, won, bins=bins, ties="split")
    assert split["n"].max() - split["n"].min() <= 1
    table = lift_table(scores, won, bins=bins)
    for frame in (split, table):
        assert frame["n"].sum() == len(rows)
        assert frame["positives"].sum() == sum(won)
        filled = frame[frame["n"] > 0]
        assert (np.diff(filled["max_score"].to_numpy()) <= 0).all()
    # together: no score in two bins, and the same table for any order of the rows
    filled = table[table["n"] > 0]
    assert (filled["min_score"].to_numpy()[:-1] > filled["max_score"].to_numpy()[1:]).all()
    reversed_rows = lift_table(scores[::-1], won[::-1], bins=bins)
    pd.testing.assert_frame_equal(reversed_rows, table)


def test_lift_table_keeps_tied_scores_together() -> None:
    # 4 rows tied at 5 with two converters: one order put both in bin 1, another split them
    scores = [9, 5, 5, 5, 5, 1]
    first = lift_table(scores, [0, 1, 1, 0, 0, 0], bins=3)
    second = lift_table(scores, [0, 0, 0, 1, 1, 0], bins=3)
    pd.testing.assert_frame_equal(first, second)
    assert first["n"].tolist() == [1, 4, 1]
    assert first["positives"].tolist() == [0, 2, 0]
    assert lift_table(scores, [0, 1, 1, 0, 0, 0], bins=3, ties="split")["n"].tolist() == [2, 2, 2]
    everything_tied = lift_table([1, 1, 1, 1], [1, 0, 0, 0], bins=2)
    assert everything_tied["n"].tolist() == [4, 0]
    assert np.isnan(everything_tied.loc[2, "rate"])
    with pytest.raises(ValidationError, match="ties must be one of"):
        lift_table(scores, [0] * 6, bins=2, ties="first")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# time split and score report


def test_time_split_cuts_by_time_not_by_row() -> None:
    from bbmkit import time_split

    leads = pd.DataFrame(
        {"created": pd.to_datetime(["2026-03-01", "2026-01-01", "2026-04-01", "2026-02-01"])},
        index=list("abcd"),
    )
    split = time_split(leads, "created")  # a quarter of the rows at or after the cut
    assert split.at == pd.Timestamp("2026-04-01")
    assert split.test.index.tolist() == ["c"]
    assert split.train.index.tolist() == ["a", "b", "d"]
    half = time_split(leads, "created", at="2026-02-15")
    assert half.train.index.tolist() == ["b", "d"]
    assert len(half.train) + len(half.test) == len(leads)  # no row lost
    numeric = time_split(pd.DataFrame({"day": [5.0, 1.0, 3.0]}), "day", at=3)
    assert numeric.test["day"].tolist() == [5.0, 3.0]
    with pytest.raises(ValidationError, match="leaves one side empty"):
        time_split(leads, "created", at="2030-01-01")
    with pytest.raises(ValidationError, match="missing"):
        time_split(pd.DataFrame({"t": [1.0, None, 3.0]}), "t")
    with pytest.raises(ValidationError, match="test_share"):
        time_split(leads, "created", test_share=1.0)
    with pytest.raises(ValidationTypeError, match="datetimes or numbers"):
        time_split(pd.DataFrame({"t": ["x", "y"]}), "t")
    with pytest.raises(ValidationError, match="at least 2 rows"):
        time_split(leads.iloc[:1], "created")
    with pytest.raises(ValidationError, match="'nope'"):
        time_split(leads, "nope")


def test_score_report_compares_scores_on_the_same_rows() -> None:
    from bbmkit import score_report

    rng = np.random.default_rng(0)
    n = 2000
    won = pd.Series(rng.random(n) < 0.2, index=[f"r{i}" for i in range(n)])
    good = won * 1.0 + rng.normal(0, 0.8, n)
    probability = pd.Series(1 / (1 + np.exp(-(good - 0.5) * 2)), index=won.index)
    report = score_report(
        {"good": good, "noise": pd.Series(rng.random(n), index=won.index), "p": probability},
        won,
        bins=5,
        capacity=100,
        probabilities=["p"],
    )
    summary = report.summary
    assert summary.index.tolist() == ["good", "noise", "p"]
    assert summary.loc["good", "auc"] == pytest.approx(roc_auc(good, won))
    assert summary.loc["good", "auc"] > 0.7 > summary.loc["noise", "auc"]
    assert summary.loc["good", "positives"] == won.sum()
    assert report.lift.loc["good"]["n"].sum() == n
    assert report.calibration.index.get_level_values("score").unique().tolist() == ["p"]
    calibration = report.calibration.loc["p"]
    assert calibration["n"].sum() == n
    # the bins go from the highest predictions down, and observed rates follow them
    assert calibration["mean_predicted"].is_monotonic_decreasing
    assert calibration["observed"].iloc[0] > calibration["observed"].iloc[-1]
    one = score_report(good, won, bins=5)
    assert one.summary.index.tolist() == ["score"]
    assert one.calibration.empty


def test_score_report_invalid_input() -> None:
    from bbmkit import score_report

    won = [True, False, True, False]
    with pytest.raises(ValidationError, match="not in scores"):
        score_report({"a": [1, 2, 3, 4]}, won, probabilities=["b"], bins=2)
    with pytest.raises(ValidationError, match=r"not in \[0, 1\]"):
        score_report({"a": [1, 2, 3, 4]}, won, probabilities=["a"], bins=2)
    with pytest.raises(ValidationError, match="must not be empty"):
        score_report({}, won)
    with pytest.raises(ValidationError, match="bins"):
        score_report([1, 2, 3, 4], won, bins=9)
