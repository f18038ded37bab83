import json

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit import EventLog, ScoringModel, ValidationError, ValidationTypeError, grade
from tests import reference

POINTS = {"web_visit": 5.0, "download": 15.0, "seminar": 30.0, "unsubscribe": -50.0}


def log(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["contact_id", "event_type", "timestamp"])


# --------------------------------------------------------------------------
# hand-worked examples


def test_no_decay_sums_points_including_negative() -> None:
    events = log(
        [("a", "web_visit", 0), ("a", "seminar", 1), ("b", "download", 2), ("b", "unsubscribe", 3)]
    )
    score = ScoringModel(POINTS).score(events)
    assert score.name == "score"
    assert score.index.name == "contact_id"
    assert score.to_dict() == {"a": 35.0, "b": -35.0}


def test_exponential_half_life() -> None:
    events = log([("a", "seminar", 0.0), ("a", "download", 60.0)])
    model = ScoringModel(POINTS, half_life=30)
    # seminar 60 days old: 30 * 0.25; download today: 15
    assert model.score(events, as_of=60).to_dict() == {"a": 7.5 + 15.0}
    assert model.score(events, as_of=90).to_dict() == {"a": 30 * 0.125 + 15 * 0.5}


def test_linear_lifespan() -> None:
    events = log([("a", "seminar", 0.0), ("a", "download", 30.0)])
    model = ScoringModel(POINTS, lifespan=60)
    assert model.score(events, as_of=30).to_dict() == {"a": 15.0 + 15.0}
    assert model.score(events, as_of=60).to_dict() == {"a": 0.0 + 7.5}
    assert model.score(events, as_of=1000).to_dict() == {"a": 0.0}


def test_event_caps_apply_to_the_decayed_sum_per_type_then_cap() -> None:
    events = log([("a", "web_visit", float(t)) for t in range(10)] + [("a", "seminar", 9.0)])
    model = ScoringModel(POINTS, event_caps={"web_visit": 20}, cap=45)
    # 10 visits = 50, capped to 20; + seminar 30 = 50; total cap 45
    assert model.score(events).to_dict() == {"a": 45.0}
    uncapped = ScoringModel(POINTS, event_caps={"web_visit": 20})
    assert uncapped.score(events).to_dict() == {"a": 50.0}
    decayed = ScoringModel(POINTS, half_life=1, event_caps={"web_visit": 20})
    visits = sum(5 * 0.5 ** (9 - t) for t in range(10))  # 9.99..., under the cap
    assert decayed.score(events).iloc[0] == pytest.approx(visits + 30, rel=1e-12)


def test_as_of_ignores_later_events_and_defaults_to_latest() -> None:
    events = log([("a", "seminar", 0.0), ("a", "download", 10.0), ("b", "seminar", 20.0)])
    model = ScoringModel(POINTS)
    assert model.score(events).to_dict() == {"a": 45.0, "b": 30.0}
    yesterday = model.score(events, as_of=10)
    assert yesterday.to_dict() == {"a": 45.0}  # b did not exist yet
    assert model.score(events, as_of=9.999).to_dict() == {"a": 30.0}
    # re-scoring the same day with more events logged later gives the same answer
    later = pd.concat([events, log([("a", "seminar", 11.0)])], ignore_index=True)
    pd.testing.assert_series_equal(model.score(later, as_of=10), yesterday)


def test_datetimes_naive_and_tz_aware() -> None:
    naive = pd.DataFrame(
        {
            "contact_id": ["a", "a"],
            "event_type": ["seminar", "seminar"],
            "timestamp": pd.to_datetime(["2026-01-01", "2026-01-31"]),
        }
    )
    model = ScoringModel(POINTS, half_life=pd.Timedelta(days=30))
    assert model.score(naive).iloc[0] == pytest.approx(45.0)
    assert model.score(naive, as_of="2026-03-02 00:00").iloc[0] == pytest.approx(22.5)
    aware = naive.assign(timestamp=naive["timestamp"].dt.tz_localize("Asia/Tokyo"))
    at = pd.Timestamp("2026-03-02", tz="Asia/Tokyo")
    assert model.score(aware, as_of=at).iloc[0] == pytest.approx(22.5)
    # the same instant in another zone is the same as_of
    assert model.score(aware, as_of=at.tz_convert("UTC")).iloc[0] == pytest.approx(22.5)
    with pytest.raises(ValidationError, match="is naive but column 'timestamp' is tz-aware"):
        model.score(aware, as_of="2026-03-02 00:00")
    with pytest.raises(ValidationError, match="is tz-aware but column 'timestamp' is naive"):
        model.score(naive, as_of=at)
    with pytest.raises(ValidationTypeError, match="as_of must be a timestamp"):
        model.score(naive, as_of=30)
    with pytest.raises(ValidationTypeError, match="as_of must be a real number"):
        model.score(naive.assign(timestamp=[0.0, 1.0]), as_of="2026-01-01")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "Asia/Tokyo"])
def test_datetimes_in_any_unit_and_zone_score_alike(unit: str, tz: str | None) -> None:
    stamps = pd.to_datetime(["2026-01-01 06:00", "2026-01-31 06:00", "2026-02-10 18:30"])
    if tz is not None:
        stamps = stamps.tz_localize(tz)
    events = pd.DataFrame(
        {
            "contact_id": ["a", "a", "b"],
            "event_type": ["seminar", "download", "seminar"],
            "timestamp": stamps.as_unit(unit),
        }
    )
    model = ScoringModel(POINTS, half_life=pd.Timedelta(days=30))
    as_of = pd.Timestamp("2026-03-02 06:00", tz=tz)
    scores = model.score(events, as_of=as_of)
    assert scores["a"] == pytest.approx(30 * 0.25 + 15 * 0.5)
    assert scores["b"] == pytest.approx(30 * 0.5 ** ((19 + 11.5 / 24) / 30))
    # an as_of before the second event drops it, whatever the unit
    assert model.score(events, as_of=stamps[1] - pd.Timedelta(seconds=1)).index.tolist() == ["a"]


def test_categorical_and_custom_columns() -> None:
    events = pd.DataFrame(
        {
            "who": pd.Categorical(["x", "y", "x"]),
            "what": pd.Categorical(
                ["seminar", "download", "seminar"], categories=[*POINTS, "other"]
            ),
            "day": [1, 2, 3],
        }
    )
    score = ScoringModel(POINTS).score(events, contact="who", event="what", time="day")
    assert score.to_dict() == {"x": 60.0, "y": 15.0}
    assert score.index.name == "who"


@pytest.mark.parametrize("dtype", ["str", "object", "category", "string[python]", "int"])
def test_every_id_route_gives_the_same_scores(dtype: str) -> None:
    # offsets (int), codes (category), string keys (str), hashing (object, python strings)
    rng = np.random.default_rng(7)
    ids = rng.integers(0, 500, 3000)
    events = pd.DataFrame(
        {
            "contact_id": ids if dtype == "int" else pd.Series([f"C{i:05d}" for i in ids]),
            "event_type": rng.choice(list(POINTS), 3000),
            "timestamp": rng.uniform(0, 100, 3000),
        }
    )
    if dtype != "int":
        events["contact_id"] = events["contact_id"].astype(dtype)
    score = ScoringModel(POINTS, half_life=20).score(events)
    triples = zip(ids.tolist(), events["event_type"], events["timestamp"], strict=True)
    expected = reference.score(list(triples), POINTS, kind="exponential", scale=20.0)
    labels = sorted(expected)
    assert list(score.index) == (labels if dtype == "int" else [f"C{i:05d}" for i in labels])
    np.testing.assert_allclose(score.to_numpy(), [expected[i] for i in labels], rtol=1e-12)


def test_empty_log_gives_empty_results() -> None:
    empty = log([]).astype({"timestamp": float})
    model = ScoringModel(POINTS)
    assert model.score(empty).empty
    assert model.ledger(empty).empty
    assert list(model.ledger(empty).columns) == ["contact_id", "event_type", "kind", "points"]
    assert model.score(log([("a", "seminar", 5.0)]), as_of=1).empty


# --------------------------------------------------------------------------
# ledger


def test_ledger_shows_caps_as_rows_and_sums_exactly() -> None:
    events = log(
        [("a", "web_visit", float(t)) for t in range(10)]
        + [("a", "seminar", 1.0), ("b", "unsubscribe", 2.0), ("b", "web_visit", 3.0)]
    )
    model = ScoringModel(POINTS, event_caps={"web_visit": 20}, cap=45)
    ledger = model.ledger(events)
    assert ledger[["contact_id", "event_type", "kind"]].astype(object).fillna(
        "-"
    ).values.tolist() == [
        ["a", "web_visit", "event"],
        ["a", "web_visit", "event_cap"],
        ["a", "seminar", "event"],
        ["a", "-", "cap"],
        ["b", "web_visit", "event"],
        ["b", "unsubscribe", "event"],
    ]
    assert ledger["points"].tolist() == [50.0, -30.0, 30.0, -5.0, 5.0, -50.0]
    sums = ledger.groupby("contact_id")["points"].sum()
    assert sums.to_dict() == model.score(events).to_dict()  # exact: whole points, no decay


# --------------------------------------------------------------------------
# history


def test_history_equals_scores_at_each_date() -> None:
    events = log([("a", "seminar", 0.0), ("b", "download", 5.0), ("a", "web_visit", 12.0)])
    model = ScoringModel(POINTS, half_life=7, event_caps={"seminar": 20})
    dates = [12.0, 0.0, 6.0]
    history = model.history(events, dates)
    assert list(history.columns) == dates
    assert list(history.index) == ["a", "b"]
    for d in dates:
        expected = model.score(events, as_of=d).reindex(history.index, fill_value=0.0)
        np.testing.assert_allclose(history[d].to_numpy(), expected.to_numpy(), rtol=1e-12)
    with pytest.raises(ValidationError, match="dates must not be empty"):
        model.history(events, [])


# --------------------------------------------------------------------------
# invalid input


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"points": {}}, ValidationError, "points must not be empty"),
        (
            {"points": {"a": "5"}},
            ValidationTypeError,
            r"points\['a'\] must be a real number, got '5'",
        ),
        (
            {"points": {"a": float("nan")}},
            ValidationError,
            r"points\['a'\] must be a finite number",
        ),
        ({"points": {"a": True}}, ValidationTypeError, r"points\['a'\] must be a real number"),
        (
            {"points": {3: 5}},
            ValidationTypeError,
            "points keys must be non-empty event type strings",
        ),
        ({"points": ["a"]}, ValidationTypeError, "points must be a mapping"),
        (
            {"points": {"a": 1}, "half_life": 0},
            ValidationError,
            r"half_life \(days\) must be a finite number > 0, got 0.0",
        ),
        ({"points": {"a": 1}, "half_life": -3}, ValidationError, "half_life"),
        ({"points": {"a": 1}, "half_life": pd.Timedelta(0)}, ValidationError, "half_life"),
        ({"points": {"a": 1}, "lifespan": float("inf")}, ValidationError, "lifespan"),
        ({"points": {"a": 1}, "half_life": "30d"}, ValidationTypeError, "half_life"),
        ({"points": {"a": 1}, "half_life": 3, "lifespan": 9}, ValidationError, "give one decay"),
        ({"points": {"a": 1}, "cap": 0}, ValidationError, "cap must be a finite number > 0"),
        (
            {"points": {"a": 1}, "event_caps": {"b": 3}},
            ValidationError,
            "event_caps names event types that have no points: 'b'",
        ),
        (
            {"points": {"a": 1}, "event_caps": {"a": -3}},
            ValidationError,
            r"event_caps\['a'\] must be a finite number > 0",
        ),
    ],
)
def test_invalid_models(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        ScoringModel(**kwargs)  # type: ignore[arg-type]


def test_invalid_logs() -> None:
    model = ScoringModel(POINTS)
    good = log([("a", "seminar", 1.0), ("b", "download", 2.0)])
    with pytest.raises(
        ValidationError,
        match=r"column 'timestamp' is missing from events \(have: contact_id, event_type\)",
    ):
        model.score(good.drop(columns="timestamp"))
    with pytest.raises(
        ValidationError,
        match=r"column 'timestamp' has 1 missing or infinite time\(s\) \(first at index 1\)",
    ):
        model.score(good.assign(timestamp=[1.0, np.nan]))
    with pytest.raises(ValidationError, match=r"column 'timestamp' has 1 missing value\(s\)"):
        model.score(good.assign(timestamp=pd.to_datetime(["2026-01-01", None])))
    with pytest.raises(ValidationError, match=r"event type\(s\) with no points: 'demo', 'tweet'"):
        model.score(log([("a", "tweet", 1.0), ("a", "demo", 2.0), ("a", "tweet", 3.0)]))
    with pytest.raises(ValidationError, match="no points: 'other'"):
        model.score(good.assign(event_type=pd.Categorical(["seminar", "other"])))
    with pytest.raises(ValidationError, match=r"column 'contact_id' has 1 missing value\(s\)"):
        model.score(good.assign(contact_id=["a", None]))
    # categorical and nullable columns are scanned for missing values as well
    with pytest.raises(
        ValidationError, match=r"column 'contact_id' has 1 missing value\(s\) \(first at index 1\)"
    ):
        model.score(good.assign(contact_id=pd.Categorical(["a", None])))
    with pytest.raises(ValidationError, match=r"column 'event_type' has 1 missing value\(s\)"):
        model.score(good.assign(event_type=pd.Categorical(["seminar", None])))
    with pytest.raises(ValidationError, match=r"column 'contact_id' has 1 missing value\(s\)"):
        model.score(good.assign(contact_id=pd.array([1, None], dtype="Int64")))
    with pytest.raises(
        ValidationTypeError, match="must hold datetimes or numbers of days, got dtype"
    ):
        model.score(good.assign(timestamp=["2026-01-01", "2026-01-02"]))
    with pytest.raises(ValidationTypeError, match="events must be a pandas DataFrame"):
        model.score([("a", "seminar", 1.0)])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="as_of is not a timestamp"):
        model.score(
            good.assign(timestamp=pd.to_datetime(["2026-01-01"] * 2)), as_of="yesterday-ish"
        )


# --------------------------------------------------------------------------
# plain data


def test_api_md_defaults_spelled_out() -> None:
    model = ScoringModel(POINTS, half_life=None, cap=None, event_caps=None)
    assert model.event_caps == {}
    assert model == ScoringModel(POINTS)


def test_json_round_trip() -> None:
    model = ScoringModel(
        POINTS, lifespan=pd.Timedelta(days=90), cap=150, event_caps={"web_visit": 25}
    )
    again = ScoringModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model
    assert again.lifespan == 90.0
    assert attrs.evolve(model, cap=None).cap is None


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"points": {"a": 1}, "decay": "fast"}, r"unknown field\(s\) 'decay'"),
        ({"half_life": 3}, r"missing field\(s\) 'points'"),
        ({"points": {"a": "x"}}, "must be a real number"),
        ([], "scoring model must be a mapping"),
    ],
)
def test_from_dict_invalid(doc: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ScoringModel.from_dict(doc)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# against the slow reference, on seeded random logs


def _random_log(seed: int) -> tuple[pd.DataFrame, ScoringModel, float]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    types = list(POINTS)
    events = pd.DataFrame(
        {
            "contact_id": rng.integers(0, 30, n),
            "event_type": rng.choice(types, n),
            "timestamp": rng.uniform(0, 180, n).round(3),
        }
    )
    kind = ["none", "exponential", "linear"][seed % 3]
    decay = {
        "exponential": {"half_life": float(rng.uniform(5, 60))},
        "linear": {"lifespan": float(rng.uniform(20, 200))},
    }
    model = ScoringModel(
        {t: float(rng.integers(-20, 40)) for t in types},
        **decay.get(kind, {}),  # type: ignore[arg-type]
        cap=float(rng.uniform(20, 200)) if seed % 2 else None,
        event_caps={"web_visit": float(rng.uniform(1, 30))} if seed % 4 < 2 else {},
    )
    return events, model, float(rng.uniform(60, 200))


@pytest.mark.parametrize("seed", range(30))
def test_score_matches_reference(seed: int) -> None:
    events, model, as_of = _random_log(seed)
    expected = reference.score(
        list(events.itertuples(index=False, name=None)),
        model.points,
        kind=model.decay,
        scale=model._scale(),
        event_caps=model.event_caps,
        cap=model.cap,
        as_of=as_of,
    )
    got = model.score(events, as_of=as_of)
    assert set(got.index) == set(expected)
    for contact, value in expected.items():
        assert got[contact] == pytest.approx(value, rel=1e-9, abs=1e-9)
    ledger = model.ledger(events, as_of=as_of)
    sums = ledger.groupby("contact_id")["points"].sum().reindex(got.index)
    np.testing.assert_allclose(sums.to_numpy(), got.to_numpy(), rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------
# properties

event_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(list(POINTS)), st.floats(0, 100)
    ),
    min_size=1,
    max_size=40,
)
models = st.builds(
    ScoringModel,
    st.just(POINTS),
    half_life=st.one_of(st.none(), st.floats(0.5, 50)),
    cap=st.one_of(st.none(), st.floats(1, 200)),
    event_caps=st.one_of(st.just({}), st.builds(lambda c: {"web_visit": c}, st.floats(1, 30))),
)


@given(event_rows, models)
def test_property_ledger_sums_to_score(
    rows: list[tuple[str, str, float]], model: ScoringModel
) -> None:
    events = log(rows)
    score = model.score(events)
    sums = model.ledger(events).groupby("contact_id")["points"].sum()
    np.testing.assert_allclose(
        sums.reindex(score.index).to_numpy(), score.to_numpy(), rtol=1e-9, atol=1e-9
    )


@given(event_rows, models, st.randoms(use_true_random=False))
def test_property_independent_of_row_order(
    rows: list[tuple[str, str, float]], model: ScoringModel, rnd: object
) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    pd.testing.assert_series_equal(model.score(log(rows)), model.score(log(shuffled)), rtol=1e-12)


@given(event_rows, models)
def test_property_input_not_mutated_and_caps_hold(
    rows: list[tuple[str, str, float]], model: ScoringModel
) -> None:
    events = log(rows)
    before = events.copy()
    score = model.score(events)
    model.ledger(events)
    pd.testing.assert_frame_equal(events, before)
    if model.cap is not None:
        assert (score <= model.cap + 1e-9).all()


# --------------------------------------------------------------------------
# grade


def test_grade_bands() -> None:
    fit = pd.Series({"a": 0.75, "b": 0.74, "c": 0.5, "d": 0.0, "e": 1.0})
    score = pd.Series({"a": 100.0, "b": 99.0, "c": 50.0, "d": -10.0})
    assert grade(fit, score).to_dict() == {"a": "A1", "b": "B2", "c": "B2", "d": "D4", "e": "A4"}
    custom = grade(fit, score, fit_bands=[0.5], score_bands=[60])
    assert custom.to_dict() == {"a": "A1", "b": "A1", "c": "A2", "d": "B2", "e": "A2"}
    assert custom.name == "grade"


@pytest.mark.parametrize(
    ("fit", "score", "kwargs", "message"),
    [
        (
            pd.Series({"a": 1.5}),
            pd.Series(dtype=float),
            {},
            r"fit must be in \[0, 1\], got 1.5 at index 'a'",
        ),
        (pd.Series({"a": np.nan}), pd.Series(dtype=float), {}, "fit must be in"),
        (
            pd.Series({"a": 0.5}),
            pd.Series({"z": 3.0}),
            {},
            r"score has 1 contact\(s\) with no fit \(first: 'z'\)",
        ),
        (
            pd.Series({"a": 0.5}),
            pd.Series(dtype=float),
            {"fit_bands": [0.2, 0.5]},
            "fit_bands must be strictly decreasing",
        ),
        (
            pd.Series({"a": 0.5}),
            pd.Series(dtype=float),
            {"score_bands": []},
            "score_bands must be a non-empty sequence",
        ),
        (
            pd.Series({"a": 0.5}),
            pd.Series(dtype=float),
            {"score_bands": [10, float("nan")]},
            "score_bands must be a finite number",
        ),
    ],
)
def test_grade_invalid(
    fit: pd.Series, score: pd.Series, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        grade(fit, score, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# time to threshold


def test_time_to_threshold_hand_worked() -> None:
    events = log([("a", "seminar", 0.0), ("b", "download", 0.0), ("c", "seminar", 0.0)])
    exp = ScoringModel(POINTS, half_life=10).time_to_threshold(events, 15)
    # a: 30 -> 15 after one half-life; b: 15 is not below 15 now, falls below at once
    assert exp["days"].to_dict() == {"a": 10.0, "b": 0.0, "c": 10.0}
    assert exp["at"].to_dict() == {"a": 10.0, "b": 0.0, "c": 10.0}
    lin = ScoringModel(POINTS, lifespan=60).time_to_threshold(events, 10)
    assert lin["days"].to_dict() == pytest.approx({"a": 40.0, "b": 20.0, "c": 40.0})
    none = ScoringModel(POINTS).time_to_threshold(events, 20)
    assert none["days"].to_dict() == {"a": np.inf, "b": 0.0, "c": np.inf}
    capped = ScoringModel(POINTS, half_life=10, cap=20).time_to_threshold(events, 25)
    assert (capped["days"] == 0).all()  # the cap keeps every score below 25


def test_time_to_threshold_with_event_cap_holds_flat_first() -> None:
    # 4 visits of 5 points today, capped at 10: flat at 10 until the sum 20 * f falls to 10
    events = log([("a", "web_visit", 0.0)] * 4)
    model = ScoringModel(POINTS, half_life=7, event_caps={"web_visit": 10})
    # below 8: 20 f < 8 -> f = 0.4 -> days = 7 log2(2.5)
    assert model.time_to_threshold(events, 8)["days"].iloc[0] == pytest.approx(7 * np.log2(2.5))
    linear = ScoringModel(POINTS, lifespan=100, event_caps={"web_visit": 10})
    # 20 (1 - d/100) < 8 -> d = 60
    assert linear.time_to_threshold(events, 8)["days"].iloc[0] == pytest.approx(60.0)


def test_time_to_threshold_dates_and_errors() -> None:
    events = pd.DataFrame(
        {
            "contact_id": ["a"],
            "event_type": ["seminar"],
            "timestamp": pd.to_datetime(["2026-05-01 12:00"]).tz_localize("Asia/Tokyo"),
        }
    )
    result = ScoringModel(POINTS, half_life=pd.Timedelta(days=14)).time_to_threshold(events, 15)
    assert result["at"].iloc[0] == pd.Timestamp("2026-05-15 12:00", tz="Asia/Tokyo")
    never = ScoringModel(POINTS).time_to_threshold(events, 10)
    assert pd.isna(never["at"].iloc[0])
    with pytest.raises(ValidationError, match="threshold must be a finite number"):
        ScoringModel(POINTS).time_to_threshold(events, float("nan"))
    assert ScoringModel(POINTS).time_to_threshold(log([]).astype({"timestamp": float}), 5).empty


@pytest.mark.parametrize("seed", range(16))
def test_time_to_threshold_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 40))
    rows = list(
        zip(
            rng.choice(["a", "b", "c"], n).tolist(),
            rng.choice(list(POINTS), n, p=[0.4, 0.3, 0.2, 0.1]).tolist(),
            rng.uniform(0, 60, n).round(2).tolist(),
            strict=True,
        )
    )
    kind = "exponential" if seed % 2 else "linear"
    scale = float(rng.uniform(5, 40)) if kind == "exponential" else float(rng.uniform(30, 120))
    caps = {"web_visit": float(rng.uniform(5, 20)), "download": 20.0} if seed % 4 < 2 else {}
    model = ScoringModel(
        POINTS,
        **({"half_life": scale} if kind == "exponential" else {"lifespan": scale}),  # type: ignore[arg-type]
        event_caps=caps,
        cap=80.0 if seed % 3 == 0 else None,
    )
    threshold = float(rng.uniform(5, 60))
    as_of = 60.0
    got = model.time_to_threshold(log(rows), threshold, as_of=as_of)["days"]
    expected = reference.first_below(
        rows,
        POINTS,
        threshold,
        kind=kind,
        scale=scale,
        event_caps=caps,
        cap=model.cap,
        as_of=as_of,
        horizon=scale * (40 if kind == "exponential" else 1.0),
    )
    assert set(got.index) == set(expected)
    for contact, days in expected.items():
        if np.isinf(days):
            assert np.isinf(got[contact])
        else:
            assert got[contact] == pytest.approx(days, rel=1e-6, abs=1e-6)


def test_days_are_never_negative_zero() -> None:
    events = log([("a", "seminar", 0.0)])
    days = ScoringModel(POINTS, half_life=5).time_to_threshold(events, 50)["days"]
    assert days.iloc[0] == 0.0
    assert not np.signbit(days.iloc[0])


# --------------------------------------------------------------------------
# EventLog: map once, score many


@pytest.mark.parametrize("seed", range(12))
def test_event_log_gives_what_the_frame_gives(seed: int) -> None:
    events, model, as_of = _random_log(seed)
    if seed % 3 == 1:
        events["event_type"] = events["event_type"].astype("category")
    if seed % 3 == 2:
        events["contact_id"] = events["contact_id"].map(lambda i: f"C{i:04d}").astype("str")
    before = events.copy()
    prepared = EventLog.from_frame(events)
    pd.testing.assert_series_equal(
        model.score(prepared, as_of=as_of), model.score(events, as_of=as_of), check_exact=True
    )
    pd.testing.assert_frame_equal(
        model.ledger(prepared, as_of=as_of), model.ledger(events, as_of=as_of), check_exact=True
    )
    dates = [as_of / 2, as_of, 250.0]
    pd.testing.assert_frame_equal(model.history(prepared, dates), model.history(events, dates))
    pd.testing.assert_frame_equal(
        model.time_to_threshold(prepared, 20, as_of=as_of),
        model.time_to_threshold(events, 20, as_of=as_of),
    )
    pd.testing.assert_frame_equal(
        model.partial(prepared, as_of=as_of), model.partial(events, as_of=as_of)
    )
    pd.testing.assert_frame_equal(events, before)  # nothing mutated


def test_event_log_serves_several_models() -> None:
    events = log([("a", "web_visit", 0.0), ("a", "seminar", 10.0), ("b", "download", 20.0)])
    prepared = EventLog.from_frame(events)
    assert prepared.event_types == ["download", "seminar", "web_visit"]
    assert prepared.n_events == 3
    assert prepared.contacts.tolist() == ["a", "b"]
    assert ScoringModel(POINTS).score(prepared).to_dict() == {"a": 35.0, "b": 15.0}
    # a model whose points list the types in another order, and more of them
    other = ScoringModel({"seminar": 1.0, "extra": 7.0, "download": 2.0, "web_visit": 3.0})
    assert other.score(prepared).to_dict() == {"a": 4.0, "b": 2.0}
    # a type of the log that a model has no points for is an error for that model only
    with pytest.raises(ValidationError, match=r"event type\(s\) with no points: 'download'"):
        ScoringModel({"web_visit": 1.0, "seminar": 1.0}).score(prepared)


def test_event_log_unused_categories_need_no_points() -> None:
    events = log([("a", "web_visit", 0.0)])
    events["event_type"] = pd.Categorical(events["event_type"], categories=["web_visit", "other"])
    prepared = EventLog.from_frame(events)
    assert prepared.event_types == ["web_visit"]
    assert ScoringModel({"web_visit": 2.0}).score(prepared).to_dict() == {"a": 2.0}


def test_event_log_with_contacts_scores_every_contact_in_order() -> None:
    events = log([("a", "web_visit", 0.0), ("a", "seminar", 10.0), ("c", "download", 20.0)])
    contacts = pd.Index(["d", "c", "b", "a"], name="ignored")
    prepared = EventLog.from_frame(events, contacts=contacts)
    model = ScoringModel(POINTS, half_life=10)
    score = model.score(prepared)
    assert score.index.tolist() == ["d", "c", "b", "a"]
    assert score.index.name == "contact_id"
    expected = model.score(events).reindex(score.index, fill_value=0.0)
    pd.testing.assert_series_equal(score, expected)
    # an as_of before some events keeps every contact, at 0 where nothing happened yet
    early = model.score(prepared, as_of=5)
    assert early.to_dict() == {"d": 0.0, "c": 0.0, "b": 0.0, "a": 5.0 * 0.5**0.5}
    history = model.history(prepared, [5, 20])
    assert history.index.tolist() == ["d", "c", "b", "a"]
    assert history.loc["d"].tolist() == [0.0, 0.0]
    ledger = model.ledger(prepared)
    assert set(ledger["contact_id"]) == {"a", "c"}


@given(event_rows, models, st.sets(st.sampled_from(list("wxyz"))))
def test_property_event_log_with_contacts_equals_reindexed_scores(
    rows: list[tuple[str, str, float]], model: ScoringModel, extra: set[str]
) -> None:
    events = log(rows)
    everyone = sorted(set(events["contact_id"]) | extra, reverse=True)
    got = model.score(EventLog.from_frame(events, contacts=everyone))
    expected = model.score(events).reindex(pd.Index(everyone, name="contact_id"), fill_value=0.0)
    pd.testing.assert_series_equal(got, expected, check_exact=True)


def test_event_log_with_integer_contacts_uses_the_fast_match() -> None:
    rng = np.random.default_rng(2)
    events = pd.DataFrame(
        {
            "contact_id": rng.integers(0, 50, 400),
            "event_type": rng.choice(list(POINTS), 400),
            "timestamp": rng.uniform(0, 30, 400),
        }
    )
    contacts = pd.RangeIndex(60)
    got = ScoringModel(POINTS).score(EventLog.from_frame(events, contacts=contacts))
    expected = ScoringModel(POINTS).score(events).reindex(contacts, fill_value=0.0)
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def test_event_log_invalid_input() -> None:
    events = log([("a", "web_visit", 0.0), ("b", "seminar", 1.0)])
    with pytest.raises(ValidationError, match="column 'who' is missing from events"):
        EventLog.from_frame(events, contact="who")
    with pytest.raises(ValidationTypeError, match="contact must be a column name"):
        EventLog.from_frame(events, contact=3)  # type: ignore[arg-type]
    with pytest.raises(
        ValidationError, match=r"1 event\(s\) of contacts that are not in contacts \(first: 'b'\)"
    ):
        EventLog.from_frame(events, contacts=["a", "c"])
    with pytest.raises(ValidationError, match=r"contacts has 2 repeated id\(s\) \(first: 'a'\)"):
        EventLog.from_frame(events, contacts=["a", "b", "a"])
    with pytest.raises(ValidationError, match="contacts has missing ids"):
        EventLog.from_frame(events, contacts=["a", "b", None])
    with pytest.raises(ValidationTypeError, match="contacts must be an Index"):
        EventLog.from_frame(events, contacts="ab")
    with pytest.raises(ValidationError, match="'timestamp' has 1 missing"):
        EventLog.from_frame(events.assign(timestamp=[0.0, np.nan]))
    with pytest.raises(ValidationError, match="'event_type' has 1 missing"):
        EventLog.from_frame(events.assign(event_type=["web_visit", None]))


def test_event_log_repr_and_empty_log() -> None:
    stamps = pd.to_datetime(["2026-01-01", "2026-01-02"]).tz_localize("Asia/Tokyo")
    events = pd.DataFrame(
        {"contact_id": [1, 2], "event_type": ["seminar"] * 2, "timestamp": stamps}
    )
    assert repr(EventLog.from_frame(events)) == (
        "EventLog(2 events, 2 contacts, 1 event types, datetimes (Asia/Tokyo))"
    )
    empty = EventLog.from_frame(log([]).astype({"timestamp": float}))
    assert empty.n_events == 0
    assert ScoringModel(POINTS).score(empty).empty


def test_grade_labels() -> None:
    fit = pd.Series({"a": 0.9, "b": 0.5, "c": 0.1})
    score = pd.Series({"a": 80.0, "b": 50.0, "c": 10.0})
    hubspot = grade(fit, score, fit_bands=(0.7, 0.4), score_bands=(70, 40))
    assert hubspot.to_dict() == {"a": "A1", "b": "B2", "c": "C3"}
    named = grade(
        fit, score, fit_bands=[0.5], score_bands=[50], letters=["X", "Y"], numbers=["+", "-"]
    )
    assert named.to_dict() == {"a": "X+", "b": "X+", "c": "Y-"}
    with pytest.raises(ValidationError, match="letters must be 2 strings"):
        grade(fit, score, fit_bands=[0.5], letters=["X"])
    with pytest.raises(ValidationError, match="numbers must be 4 strings"):
        grade(fit, score, numbers=[1, 2, 3, 4])
    with pytest.raises(ValidationTypeError, match="letters"):
        grade(fit, score, letters="ABCD")
