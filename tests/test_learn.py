"""Points learned from outcomes: scorecard scaling, the fit against scikit-learn, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bbmkit import (
    OddsScale,
    PointsTable,
    ScoringModel,
    ValidationError,
    ValidationTypeError,
    learn_event_points,
    learn_points,
    points_for,
)
from bbmkit.learn import _categorical, _fit, _numeric
from bbmkit.serialize import from_json, to_json


def synthetic(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    titles = rng.choice(["CEO", "Manager", "Engineer", "Student"], n, p=[0.1, 0.3, 0.4, 0.2])
    titles[:5] = "Astronaut"  # a category of five leads
    seconds = rng.exponential(200, n)
    seconds[rng.random(n) < 0.1] = np.nan
    frame = pd.DataFrame(
        {"title": titles, "seconds_on_site": seconds, "country": rng.choice(["JP", "US"], n)},
        index=pd.Index([f"L{i}" for i in range(n)], name="lead_id"),
    )
    logit = (
        -2.5
        + 1.2 * (frame["title"] == "CEO")
        - 1.0 * (frame["title"] == "Student")
        + 1.5 * (np.nan_to_num(seconds, nan=0.0) >= 500)  # one-sided
    )
    won = pd.Series(rng.random(n) < 1 / (1 + np.exp(-logit)), index=frame.index, name="won")
    return frame, won


def test_odds_scale_doubles_the_odds_every_pdo_points() -> None:
    scale = OddsScale(pdo=20, base_score=600, base_odds=50)
    p600, p620 = scale.probability(600.0), scale.probability(620.0)
    assert p600 / (1 - p600) == pytest.approx(50.0)
    assert p620 / (1 - p620) == pytest.approx(100.0)
    assert scale.points(p620) == pytest.approx(620.0)
    np.testing.assert_allclose(scale.probability(np.array([580.0])), [25 / 26])
    with pytest.raises(ValidationError, match="pdo"):
        OddsScale(pdo=0, base_score=1, base_odds=1)
    with pytest.raises(ValidationError, match="base_odds"):
        OddsScale(pdo=20, base_score=1, base_odds=-1)


def test_hand_worked_points_of_a_two_level_column() -> None:
    # 100 leads each; A converts 2/3 of the time, B 1/3: log-odds ln 2 and -ln 2
    frame = pd.DataFrame({"segment": ["A"] * 300 + ["B"] * 300})
    won = np.array(([True] * 200 + [False] * 100) + ([True] * 100 + [False] * 200))
    table = learn_points(frame, won, pdo=20, base_score=100, base_odds=1, l2=1e-9, min_count=1)
    points = dict(table.items[0].points)
    # with no penalty the odds of A are 4 times those of B: two doublings, 40 points
    assert points["A"] - points["B"] == 40.0
    assert table.base + points["A"] == 120.0  # odds 2 : 1 is one doubling above even odds
    np.testing.assert_allclose(
        table.probability(pd.DataFrame({"segment": ["A", "B"]})), [2 / 3, 1 / 3], atol=1e-9
    )


def _one_hot(columns: list) -> np.ndarray:  # type: ignore[type-arg]
    blocks = []
    for c in columns:
        block = np.zeros((c.codes.size, c.n_levels))
        block[np.arange(c.codes.size), c.codes] = 1.0
        blocks.append(block)
    return np.hstack(blocks)


@pytest.mark.parametrize("l2", [0.1, 1.0, 10.0])
def test_fit_equals_scikit_learn(l2: float) -> None:
    sklearn = pytest.importorskip("sklearn.linear_model")
    frame, won = synthetic(3000, seed=int(l2 * 10))
    columns = [
        _categorical("title", frame["title"], 30),
        _numeric("seconds_on_site", frame["seconds_on_site"], 5),
        _categorical("country", frame["country"], 30),
    ]
    intercept, coefficients = _fit(columns, won.to_numpy(dtype=float), l2)
    reference = sklearn.LogisticRegression(C=1 / l2, tol=1e-12, max_iter=10_000)
    reference.fit(_one_hot(columns), won.to_numpy())
    np.testing.assert_allclose(np.concatenate(coefficients), reference.coef_[0], atol=1e-5)
    assert intercept == pytest.approx(reference.intercept_[0], abs=1e-5)


def test_learned_table_reads_like_the_truth() -> None:
    frame, won = synthetic(20_000)
    table = learn_points(frame, won)
    title, seconds, country = table.items
    points = dict(title.points)
    assert "Astronaut" not in points  # five leads are no evidence: they score the default
    assert points["CEO"] > points["Manager"] > points["Student"]
    assert title.default == dict(title.points).get("Astronaut", title.default)  # the rare level
    assert seconds.missing < max(b[2] for b in seconds.bands)
    # the top band of time on site carries the one-sided effect
    assert seconds.bands[-1][2] == max(b[2] for b in seconds.bands)
    assert abs(dict(country.points)["JP"] - dict(country.points)["US"]) <= 4  # no effect
    # calibrated to the rounding of the points: mean probability near the observed rate
    probability = table.probability(frame)
    assert probability.index.equals(frame.index)
    assert probability.mean() == pytest.approx(won.mean(), abs=0.01)


def test_rare_categories_share_the_default_and_missing_is_a_level() -> None:
    frame = pd.DataFrame({"t": ["a"] * 50 + ["b"] * 50 + ["c"] * 3 + [None] * 40})
    won = np.r_[np.ones(40), np.zeros(10), np.ones(10), np.zeros(40), [1, 1, 1], np.zeros(40)]
    table = learn_points(frame, won.astype(bool), min_count=10)
    item = table.items[0]
    assert dict(item.points).keys() == {"a", "b"}
    assert item.default != 0.0  # the "other" level (c) learned its own points
    assert item.missing < 0.0  # no one with a missing value converted


def test_learned_tables_round_trip_and_do_not_depend_on_row_order() -> None:
    frame, won = synthetic(3000, seed=5)
    table = learn_points(frame, won)
    back = from_json(to_json(table))
    assert back == table
    pd.testing.assert_series_equal(back.probability(frame), table.probability(frame))
    order = np.random.default_rng(1).permutation(len(frame))
    shuffled = learn_points(frame.iloc[order], won.iloc[order])
    assert shuffled == table


def test_outcome_is_matched_by_label() -> None:
    frame, won = synthetic(2000, seed=2)
    reversed_won = won.iloc[::-1]
    assert learn_points(frame, reversed_won) == learn_points(frame, won)
    with pytest.raises(ValidationError, match="different indexes"):
        learn_points(frame, won.rename(index=lambda i: i + "x"))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"outcome": np.ones(10, dtype=bool)}, ValidationError, "both won and lost"),
        ({"outcome": [1, 0, None, 1, 0, 1, 0, 1, 0, 1]}, ValidationError, "missing"),
        ({"outcome": [1, 0]}, ValidationError, "one value per row"),
        ({"columns": ["nope"]}, ValidationError, "'nope'"),
        ({"columns": []}, ValidationError, "columns must not be empty"),
        ({"columns": "x"}, ValidationTypeError, "columns"),
        ({"bins": 0}, ValidationError, "bins"),
        ({"min_count": 0}, ValidationError, "min_count"),
        ({"pdo": -1}, ValidationError, "pdo"),
        ({"l2": 0}, ValidationError, "l2"),
        ({"base_odds": np.inf}, ValidationError, "base_odds"),
    ],
)
def test_invalid_input(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    frame = pd.DataFrame({"x": np.arange(10.0), "t": list("ababababab")})
    arguments = {"outcome": np.arange(10) % 2 == 0, **kwargs}
    with pytest.raises(error, match=message):
        learn_points(frame, **arguments)  # type: ignore[arg-type]


def test_columns_that_cannot_be_points() -> None:
    won = np.arange(400) % 2 == 0
    ids = pd.DataFrame({"id": [f"x{i}" for i in range(400)]})
    with pytest.raises(ValidationError, match="no value with at least min_count"):
        learn_points(ids, won)
    many = pd.DataFrame({"id": [f"x{i % 201}" for i in range(201 * 30)]})
    with pytest.raises(ValidationError, match="is it an id"):
        learn_points(many, np.arange(len(many)) % 2 == 0)
    dates = pd.DataFrame({"d": np.repeat(pd.date_range("2026-01-01", periods=10), 40)})
    with pytest.raises(ValidationTypeError, match="convert dates"):
        learn_points(dates, won, min_count=1)
    with pytest.raises(ValidationError, match="empty"):
        learn_points(ids.iloc[:0], won[:0])


def test_a_hand_made_table_without_odds_has_no_probability() -> None:
    table = PointsTable([points_for("t", {"a": 1})])
    with pytest.raises(ValidationError, match="no odds scale"):
        table.probability(pd.DataFrame({"t": ["a"]}))
    assert math.isclose(
        PointsTable([points_for("t", {"a": 20})], odds=OddsScale(20, 20, 1))
        .probability(pd.DataFrame({"t": ["a"]}))
        .iloc[0],
        0.5,
    )


# --------------------------------------------------------------------------
# behavioural points from outcomes


def _events_and_outcomes(n: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    demo = rng.random(n) < 0.3
    won = rng.random(n) < np.where(demo, 0.5, 0.2)
    events = pd.DataFrame(
        {
            "contact_id": np.r_[np.arange(n), np.flatnonzero(demo)],
            "event_type": ["visit"] * n + ["demo"] * int(demo.sum()),
            "timestamp": pd.Timestamp("2026-03-01"),
        }
    )
    outcomes = pd.DataFrame(
        {"contact_id": np.arange(n), "won": won, "closed_at": pd.Timestamp("2026-05-01")}
    )
    return events, outcomes


def test_event_points_are_the_log_odds_of_an_occurrence() -> None:
    events, outcomes = _events_and_outcomes()
    model = learn_event_points(events, outcomes, horizon=30, l2=1e-9)
    assert isinstance(model, ScoringModel)
    # one visit each (the intercept's twin) and a demo for some: the demo's points are the
    # log odds ratio of won with and without one, in 20-point doublings
    demo = outcomes["contact_id"].isin(events.loc[events.event_type == "demo", "contact_id"])
    won = outcomes["won"]
    odds = lambda w: w.mean() / (1 - w.mean())  # noqa: E731
    expected = round(math.log(odds(won[demo]) / odds(won[~demo])) * 20 / math.log(2))
    assert model.points["demo"] == expected


def test_event_points_never_see_events_after_the_snapshot() -> None:
    events, outcomes = _events_and_outcomes(seed=3)
    model = learn_event_points(events, outcomes, horizon=pd.Timedelta(days=30), half_life=14)
    # the won deals' sales calls, after the snapshot: leakage if they counted
    late = outcomes[outcomes["won"]].assign(
        event_type="sales_call", timestamp=pd.Timestamp("2026-04-20")
    )[["contact_id", "event_type", "timestamp"]]
    again = learn_event_points(
        pd.concat([events, late], ignore_index=True),
        outcomes,
        horizon=pd.Timedelta(days=30),
        half_life=14,
    )
    assert again == model
    assert "sales_call" not in again.points
    assert again.half_life == 14.0


def test_open_outcomes_and_entities_without_one_are_left_out() -> None:
    events, outcomes = _events_and_outcomes(seed=4)
    model = learn_event_points(events, outcomes, horizon=30)
    with_open = pd.DataFrame(
        {
            "contact_id": [*outcomes["contact_id"], 10_001, 10_002],
            "won": [*outcomes["won"], None, True],
            "closed_at": [*outcomes["closed_at"], pd.NaT, pd.NaT],
        }
    )
    stranger = pd.DataFrame(
        {
            "contact_id": [99_999],
            "event_type": ["demo"],
            "timestamp": pd.Series([pd.Timestamp("2026-01-01")]).astype(events["timestamp"].dtype),
        }
    )
    again = learn_event_points(
        pd.concat([events, stranger], ignore_index=True), with_open, horizon=30
    )
    assert again == model


def test_event_points_invalid_input() -> None:
    events, outcomes = _events_and_outcomes(200)
    with pytest.raises(ValidationError, match="'closed_at'"):
        learn_event_points(events, outcomes.drop(columns="closed_at"))
    with pytest.raises(ValidationError, match="both won and lost"):
        learn_event_points(events, outcomes.assign(won=True))
    with pytest.raises(ValidationError, match="more than once"):
        learn_event_points(events, pd.concat([outcomes, outcomes]))
    with pytest.raises(ValidationTypeError, match="same kind of times"):
        learn_event_points(events, outcomes.assign(closed_at=40.0))
    with pytest.raises(ValidationError, match="time-zone aware or both naive"):
        learn_event_points(
            events, outcomes.assign(closed_at=outcomes["closed_at"].dt.tz_localize("UTC"))
        )
    with pytest.raises(ValidationError, match="no event counts at the snapshots"):
        learn_event_points(events, outcomes, horizon=365)
    with pytest.raises(ValidationError, match="horizon"):
        learn_event_points(events, outcomes, horizon=-1)
    with pytest.raises(ValidationError, match="half_life"):
        learn_event_points(events, outcomes, half_life=0)
    with pytest.raises(ValidationError, match="no row with both"):
        learn_event_points(events, outcomes.assign(won=None))


def test_learned_event_model_round_trips_as_json() -> None:
    events, outcomes = _events_and_outcomes(seed=6)
    model = learn_event_points(events, outcomes, horizon=30, half_life=10)
    assert from_json(to_json(model)) == model
