"""Scoring rules of marketing-automation tools: groups, limits, step decay, windows,
inactivity, floors, resets, quantities and the per-event ledger."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bbmkit as bk
from bbmkit import EventLog, ScoringModel, ValidationError, ValidationTypeError
from bbmkit._kernels import compiled, parallel
from bbmkit._kernels.rules import add_months, calendar_periods, floor_scan, whole_months
from bbmkit.serialize import from_json, to_json
from tests import reference


def log(rows: list[tuple[str, str, str]], *, tz: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["contact_id", "event_type", "timestamp"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="ISO8601")
    if tz is not None:
        frame["timestamp"] = frame["timestamp"].dt.tz_localize(tz)
    return frame


# --------------------------------------------------------------------------
# hand-worked, one rule at a time


def test_group_caps_after_event_caps_before_the_total_cap() -> None:
    # HubSpot score groups: sales events at most 60, marketing at most 40
    model = ScoringModel(
        {"meeting": 40, "demo_form": 30, "email_click": 5},
        groups={"sales": ["meeting", "demo_form"], "marketing": ["email_click"]},
        group_caps={"sales": 60, "marketing": 40},
        event_caps={"email_click": 25},
        cap=80,
    )
    events = log(
        [("a", "meeting", "2026-03-01"), ("a", "demo_form", "2026-03-02")]
        + [("a", "email_click", "2026-03-03")] * 9
        + [("b", "email_click", "2026-03-03")] * 3
    )
    # a: sales 70 -> 60; clicks 45 -> event cap 25 (under the group's 40); 85 -> cap 80
    assert model.score(events).to_dict() == {"a": 80.0, "b": 15.0}
    ledger = model.ledger(events)
    assert ledger.groupby("contact_id")["points"].sum().to_dict() == {"a": 80.0, "b": 15.0}
    cuts = ledger[ledger["kind"] != "event"]
    assert cuts[["kind", "points"]].values.tolist() == [
        ["event_cap", -20.0],
        ["group_cap", -10.0],
        ["cap", -5.0],
    ]
    assert cuts["group"].tolist()[:2] == ["marketing", "sales"]


def test_a_group_without_a_cap_adds_its_types_as_they_are() -> None:
    model = ScoringModel({"x": 10, "y": 5}, groups={"g": ["x"], "h": ["y"]}, group_caps={"h": 5})
    events = log([("a", "x", "2026-01-01")] * 3 + [("a", "y", "2026-01-01")] * 3)
    assert model.score(events).tolist() == [35.0]


def test_limits_per_calendar_period_score_the_earliest() -> None:
    model = ScoringModel(
        {"key_webpage": 10, "email_click": 1, "email_open": 3},
        limits={"key_webpage": (1, "W"), "email_click": (2, "D"), "email_open": (1, None)},
    )
    events = log(
        [
            # Monday to Sunday is one week: 2026-03-02 is a Monday
            ("a", "key_webpage", "2026-03-08 23:00"),  # Sunday: week 1
            ("a", "key_webpage", "2026-03-02 09:00"),  # Monday: week 1, earlier, scores
            ("a", "key_webpage", "2026-03-09 00:30"),  # next Monday: week 2
            ("a", "email_click", "2026-03-02 10:00"),
            ("a", "email_click", "2026-03-02 11:00"),
            ("a", "email_click", "2026-03-02 12:00"),  # third click of the day: 0
            ("a", "email_click", "2026-03-03 12:00"),
            ("a", "email_open", "2026-03-02"),
            ("a", "email_open", "2026-05-02"),  # once ever
        ]
    )
    assert model.score(events).tolist() == [10 + 10 + 3 + 3.0]
    ledger = model.ledger(events, by="event")
    rows = ledger[ledger["kind"] == "event"]
    by_time = rows.sort_values("timestamp", kind="stable")
    assert by_time.loc[by_time.event_type == "key_webpage", "limited_points"].tolist() == [
        10.0,
        0.0,
        10.0,
    ]
    assert by_time.loc[by_time.event_type == "email_click", "limited_points"].tolist() == [
        1.0,
        1.0,
        0.0,
        1.0,
    ]
    assert (rows["base_points"] >= rows["limited_points"]).all()


def test_limits_read_the_calendar_in_the_logs_time_zone() -> None:
    model = ScoringModel({"visit": 5}, limits={"visit": (1, "D")})
    # 14:30 and 15:30 UTC are one UTC day, but 23:30 and 00:30 (two days) in Tokyo
    utc = log([("a", "visit", "2026-03-01 14:30"), ("a", "visit", "2026-03-01 15:30")], tz="UTC")
    tokyo = utc.assign(timestamp=utc["timestamp"].dt.tz_convert("Asia/Tokyo"))
    assert model.score(utc).tolist() == [5.0]
    assert model.score(tokyo).tolist() == [10.0]


def test_quantities_are_occurrences_and_limits_count_them() -> None:
    model = ScoringModel({"visit": 2, "demo": 30}, limits={"visit": (5, "D")})
    events = log([("a", "visit", "2026-03-02 09:00"), ("a", "visit", "2026-03-02 18:00")])
    events["count"] = [3, 12]  # "12 visits": only 2 more score that day
    events.loc[len(events)] = ["a", "demo", pd.Timestamp("2026-03-03"), 0]
    assert model.score(events, quantity="count").tolist() == [10.0]
    plain = ScoringModel({"visit": 2, "demo": 30})
    assert plain.score(events, quantity="count").tolist() == [30.0]
    assert plain.score(events).tolist() == [34.0]
    ledger = model.ledger(events, quantity="count", by="event")
    assert ledger["quantity"].tolist() == [3.0, 12.0, 0.0]
    assert ledger["base_points"].tolist() == [6.0, 24.0, 0.0]
    assert ledger["limited_points"].tolist() == [6.0, 4.0, 0.0]


def test_step_decay_in_calendar_months_and_in_days() -> None:
    events = log([("a", "seminar", "2026-01-31"), ("b", "seminar", "2026-03-15")])
    monthly = ScoringModel({"seminar": 40}, step_decay=(0.5, "M"))
    # a: Jan 31 + 1 month = Feb 28, + 2 = Mar 31: one whole month by Mar 30, two by Mar 31
    assert monthly.score(events, as_of="2026-03-30 12:00").to_dict() == {"a": 20.0, "b": 40.0}
    assert monthly.score(events, as_of="2026-03-31 00:00").to_dict() == {"a": 10.0, "b": 40.0}
    quarterly = ScoringModel({"seminar": 40}, step_decay=(0.25, "3M"))
    # a: six whole months, two quarters; b: four months, one quarter
    assert quarterly.score(events, as_of="2026-07-31").to_dict() == {"a": 22.5, "b": 30.0}
    days = ScoringModel({"seminar": 40}, step_decay=(0.5, pd.Timedelta(days=30)))
    assert days.step_decay == (0.5, 30.0)
    # a: 73 days, two whole periods of 30; b: 30 days, one
    assert days.score(events, as_of="2026-04-14 00:00").to_dict() == {"a": 10.0, "b": 20.0}
    assert days.decay == "step"


def test_step_decay_in_months_needs_datetimes() -> None:
    model = ScoringModel({"x": 1}, step_decay=(0.5, "M"))
    events = pd.DataFrame({"contact_id": [1], "event_type": ["x"], "timestamp": [0.0]})
    with pytest.raises(ValidationError, match="need a log of datetimes"):
        model.score(events, as_of=40.0)
    assert ScoringModel({"x": 8}, step_decay=(0.5, 10)).score(events, as_of=25.0).tolist() == [2.0]


def test_window_counts_only_recent_events() -> None:
    model = ScoringModel({"visit": 5}, window=30)
    events = log([("a", "visit", "2026-03-01"), ("a", "visit", "2026-03-31")])
    # an event exactly 30 days old still counts, 30 days and a minute does not
    assert model.score(events, as_of="2026-03-31 00:00").tolist() == [10.0]
    assert model.score(events, as_of="2026-03-31 00:01").tolist() == [5.0]
    decayed = ScoringModel({"visit": 8}, window=pd.Timedelta(days=20), half_life=10)
    # Mar 1 is 40 days old (outside), Mar 31 ten days: half of 8
    assert decayed.score(events, as_of="2026-04-10 00:00").tolist() == [4.0]


def test_marketo_inactivity_floored_at_zero() -> None:
    # -10 per inactive month, never below 0
    model = ScoringModel({"visit": 5, "webinar": 25}, inactivity=(10, "M"), floor=0)
    events = log(
        [
            ("a", "webinar", "2026-01-10"),
            ("a", "visit", "2026-01-20"),  # 30 points; inactive from Jan 20
            ("b", "webinar", "2026-01-10"),
            ("b", "visit", "2026-04-15"),  # Feb 10, Mar 10, Apr 10: 3 steps, 25 -> 0, then 5
        ]
    )
    score = model.score(events, as_of="2026-03-25")
    assert score.to_dict() == {"a": 10.0, "b": 5.0}  # a: Feb 20, Mar 20; b: Feb 10, Mar 10
    assert model.score(events, as_of="2026-04-20").to_dict() == {"a": 0.0, "b": 5.0}
    ledger = model.ledger(events, as_of="2026-04-20", by="event")
    b = ledger[ledger["contact_id"] == "b"]
    assert b["kind"].tolist() == ["event", "inactivity", "floor", "event"]
    assert b["points"].tolist() == [25.0, -30.0, 5.0, 5.0]
    assert b["quantity"].tolist()[1] == 3.0  # three inactive months
    assert b["timestamp"].tolist()[1] == pd.Timestamp("2026-04-10")
    # without the floor the score goes negative
    no_floor = ScoringModel({"visit": 5, "webinar": 25}, inactivity=(10, 30))
    assert no_floor.score(events, as_of="2026-04-20").to_dict()["a"] == 30.0 - 10 * 3


def test_floor_holds_after_each_event() -> None:
    model = ScoringModel({"visit": 5, "unsubscribe": -50}, floor=0)
    events = log(
        [
            ("a", "visit", "2026-01-01"),
            ("a", "unsubscribe", "2026-01-02"),  # 5 - 50 -> 0
            ("a", "visit", "2026-01-03"),  # 5, not -40
        ]
    )
    assert model.score(events).tolist() == [5.0]
    ledger = model.ledger(events)
    assert ledger[["kind", "points"]].values.tolist() == [
        ["event", 10.0],
        ["event", -50.0],
        ["floor", 45.0],
    ]
    # with exponential decay the floor lift decays like the events
    decayed = ScoringModel({"visit": 8, "unsubscribe": -50}, floor=0, half_life=1)
    score = decayed.score(events, as_of="2026-01-04 00:00").iloc[0]
    # at Jan 2: 4 - 50 -> lift 46; Jan 3: + 8 = 8; Jan 4: 4
    assert score == pytest.approx(4.0, rel=1e-12)


def test_reset_sets_the_score_and_forgets_what_came_before() -> None:
    model = ScoringModel({"visit": 5, "demo": 50}, resets={"recycled": 0, "nurture": 10})
    events = log(
        [
            ("a", "demo", "2026-01-01"),
            ("a", "recycled", "2026-02-01"),
            ("a", "visit", "2026-02-02"),
            ("b", "demo", "2026-01-01"),
            ("b", "nurture", "2026-02-01"),
            ("b", "nurture", "2026-02-02"),
            ("c", "visit", "2026-01-01"),
        ]
    )
    assert model.score(events).to_dict() == {"a": 5.0, "b": 10.0, "c": 5.0}
    ledger = model.ledger(events)
    assert ledger.groupby("contact_id")["points"].sum().to_dict() == {"a": 5.0, "b": 10.0, "c": 5.0}
    by_event = model.ledger(events, by="event")
    resets = by_event[by_event["kind"] == "reset"]
    # a: 0 - 50; b: 10 - 50, then 10 - 10
    assert resets["points"].tolist() == [-50.0, -40.0, 0.0]


def test_reset_with_caps_starts_the_type_sums_again() -> None:
    model = ScoringModel({"visit": 5}, event_caps={"visit": 10}, resets={"recycled": 0})
    events = log(
        [("a", "visit", f"2026-01-0{d}") for d in range(1, 5)]
        + [("a", "recycled", "2026-01-05"), ("a", "visit", "2026-01-06")]
    )
    assert model.score(events).tolist() == [5.0]
    assert model.ledger(events)["points"].sum() == 5.0


def test_history_and_event_logs_give_the_scores() -> None:
    model = ScoringModel(
        {"visit": 5, "unsubscribe": -30},
        limits={"visit": (1, "D")},
        floor=0,
        resets={"recycled": 0},
        half_life=14,
    )
    events = log(
        [
            ("a", "visit", "2026-01-01 09:00"),
            ("a", "visit", "2026-01-01 10:00"),
            ("a", "unsubscribe", "2026-01-05"),
            ("a", "visit", "2026-01-10"),
            ("b", "visit", "2026-01-03"),
            ("b", "recycled", "2026-01-20"),
        ]
    )
    dates = ["2026-01-02", "2026-01-07", "2026-02-01"]
    history = model.history(events, dates)
    for date in dates:
        expected = model.score(events, as_of=date).reindex(history.index, fill_value=0.0)
        np.testing.assert_array_equal(history[date].to_numpy(), expected.to_numpy())
    events["count"] = 2
    event_log = EventLog.from_frame(events, quantity="count")
    pd.testing.assert_series_equal(
        model.score(event_log, as_of="2026-02-01"),
        model.score(events, as_of="2026-02-01", quantity="count"),
    )
    with pytest.raises(ValidationError, match="quantity is set when the EventLog is built"):
        model.score(event_log, quantity="count")


def test_time_to_threshold_with_floors_resets_and_limits() -> None:
    model = ScoringModel(
        {"demo": 100, "unsubscribe": -150, "visit": 10},
        half_life=30,
        floor=0,
        limits={"visit": (1, "D")},
        resets={"recycled": 20},
    )
    events = log(
        [
            ("a", "demo", "2026-01-01"),
            ("a", "visit", "2026-01-01"),
            ("a", "visit", "2026-01-01"),
            ("b", "demo", "2026-01-01"),
            ("b", "unsubscribe", "2026-01-02"),
            ("b", "demo", "2026-01-03"),
            ("c", "demo", "2026-01-01"),
            ("c", "recycled", "2026-01-02"),
        ]
    )
    as_of = pd.Timestamp("2026-01-03 00:00")
    result = model.time_to_threshold(events, 30, as_of=as_of)
    for contact, row in result.iterrows():
        if np.isfinite(row["days"]) and row["days"] > 0:
            later = model.score(events, as_of=row["at"])[contact]
            assert later == pytest.approx(30.0, abs=1e-6)
    assert result["score"].tolist() == model.score(events, as_of=as_of).tolist()
    for bad in (
        ScoringModel({"demo": 1}, step_decay=(0.5, "M")),
        ScoringModel({"demo": 1}, window=30),
        ScoringModel({"demo": 1}, inactivity=(1, 30)),
        ScoringModel({"demo": 1}, groups={"g": ["demo"]}, group_caps={"g": 1}),
    ):
        with pytest.raises(ValidationError, match="no closed form"):
            bad.time_to_threshold(events[events.event_type == "demo"], 1)


# --------------------------------------------------------------------------
# partials, chunks and Dask

RULES = {
    "limits": {"visit": (2, "W"), "email": (3, "D")},
    "floor": 0.0,
    "resets": {"recycled": 5.0},
    "half_life": 20.0,
    "event_caps": {"visit": 30.0},
    "cap": 150.0,
}
DECOMPOSABLE = {
    "groups": {"m": ["visit", "email"]},
    "group_caps": {"m": 25.0},
    "step_decay": (0.3, "M"),
    "window": 120.0,
}
POINTS = {"visit": 3.0, "demo": 40.0, "email": 1.0, "unsubscribe": -25.0}


def _events(seed: int, n: int = 400, resets: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kinds = ["visit", "demo", "email", "unsubscribe"] + (["recycled"] if resets else [])
    return pd.DataFrame(
        {
            "contact_id": rng.integers(0, 40, n),
            "event_type": rng.choice(kinds, n),
            # distinct times: events at one moment are taken in row order, so with ties
            # the order of rows is part of the log (a reset before or after a visit)
            "timestamp": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 300 * 24, n), unit="h")
            + pd.to_timedelta(np.arange(n), unit="s"),
            "count": rng.integers(0, 4, n),
        }
    )


@pytest.mark.parametrize("options", [RULES, DECOMPOSABLE])
def test_partials_chunks_and_dask_equal_the_score(options: dict[str, object]) -> None:
    from bbmkit.chunked import score_chunks

    events = _events(3, resets="resets" in options)
    model = ScoringModel(POINTS, **options)  # type: ignore[arg-type]
    kwargs = {"as_of": "2026-11-01", "quantity": "count"}
    whole = model.score(events, **kwargs)  # type: ignore[arg-type]
    by_contact = [g for _, g in events.groupby(events["contact_id"] % 5)]
    parts = [model.partial(g, **kwargs) for g in by_contact]  # type: ignore[arg-type]
    merged = model.finalize(model.combine(parts))
    np.testing.assert_allclose(merged.reindex(whole.index), whole, rtol=1e-12, atol=1e-12)
    chunked = score_chunks(model, iter(by_contact), **kwargs)  # type: ignore[arg-type]
    np.testing.assert_allclose(chunked.reindex(whole.index), whole, rtol=1e-12, atol=1e-12)
    dd = pytest.importorskip("dask.dataframe")
    from bbmkit.chunked import score_dask

    dask_scores = score_dask(model, dd.from_pandas(events, npartitions=3), **kwargs)  # type: ignore[arg-type]
    np.testing.assert_allclose(dask_scores.reindex(whole.index), whole, rtol=1e-12, atol=1e-12)


def test_contacts_split_across_chunks_are_an_error_for_path_rules() -> None:
    from bbmkit.chunked import score_chunks

    events = _events(4)
    model = ScoringModel(POINTS, **RULES)  # type: ignore[arg-type]
    halves = [events.iloc[:200], events.iloc[200:]]
    with pytest.raises(ValidationError, match="is in two partials"):
        score_chunks(model, iter(halves), as_of="2026-11-01")
    # per-event rules split anywhere
    decomposable = ScoringModel(POINTS, **DECOMPOSABLE)  # type: ignore[arg-type]
    split = score_chunks(
        decomposable, iter([h[h.event_type != "recycled"] for h in halves]), as_of="2026-11-01"
    )
    whole = decomposable.score(events[events.event_type != "recycled"], as_of="2026-11-01")
    np.testing.assert_allclose(split.reindex(whole.index), whole, rtol=1e-12)


def test_partial_adjustment_rows_only_for_models_with_adjustments() -> None:
    plain = ScoringModel({"visit": 5})
    partial = pd.DataFrame({"contact_id": ["x"], "event_type": [None], "points": [5.0]})
    with pytest.raises(ValidationError, match="missing"):
        plain.finalize(partial)
    floored = ScoringModel({"visit": 5}, floor=0)
    assert floored.finalize(partial).tolist() == [5.0]


# --------------------------------------------------------------------------
# documents and validation


def test_json_round_trip_of_every_option() -> None:
    for options in (RULES, DECOMPOSABLE, {"inactivity": (10, "M"), "floor": 0.0}):
        model = ScoringModel(POINTS, **options)  # type: ignore[arg-type]
        text = to_json(model)
        json.loads(text)
        back = from_json(text)
        assert back == model
        assert hash(back) == hash(model)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"groups": {"g": ["nope"]}}, ValidationError, "no points"),
        ({"groups": {"g": ["visit"], "h": ["visit"]}}, ValidationError, "two groups"),
        ({"groups": {"g": []}}, ValidationError, "empty"),
        ({"groups": {"g": "visit"}}, ValidationTypeError, "list of event types"),
        ({"groups": ["visit"]}, ValidationTypeError, "groups must be a mapping"),
        ({"group_caps": {"g": 5}}, ValidationError, "not a group"),
        ({"groups": {"g": ["visit"]}, "group_caps": {"g": 0}}, ValidationError, "group_caps"),
        ({"limits": {"visit": (0, "D")}}, ValidationError, "count"),
        ({"limits": {"visit": (1, "H")}}, ValidationError, "period"),
        ({"limits": {"visit": 1}}, ValidationError, "pair"),
        ({"limits": {"nope": (1, "D")}}, ValidationError, "no points"),
        ({"step_decay": (0, "M")}, ValidationError, "step_decay rate"),
        ({"step_decay": (1.5, "M")}, ValidationError, "step_decay rate"),
        ({"step_decay": (0.5, "X")}, ValidationError, "calendar months"),
        ({"step_decay": (0.5, -3)}, ValidationError, "step_decay period"),
        ({"step_decay": (0.5, "M"), "half_life": 3}, ValidationError, "one decay"),
        ({"window": 0}, ValidationError, "window"),
        ({"inactivity": (0, "M")}, ValidationError, "inactivity points"),
        ({"inactivity": (5, "M"), "half_life": 10}, ValidationError, "decay of its own"),
        ({"floor": np.nan}, ValidationError, "floor"),
        ({"floor": "0"}, ValidationTypeError, "floor"),
        ({"floor": 10, "cap": 5}, ValidationError, "floor must be <= cap"),
        ({"floor": 0, "lifespan": 30}, ValidationError, "decays as a whole"),
        ({"resets": {"recycled": 0}, "window": 30}, ValidationError, "window"),
        ({"resets": {"visit": 0}}, ValidationError, "has points"),
        ({"resets": {"recycled": np.inf}}, ValidationError, "resets"),
    ],
)
def test_invalid_rule_options(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ScoringModel({"visit": 5, "demo": 50}, **kwargs)  # type: ignore[arg-type]


def test_invalid_quantities_and_ledger_option() -> None:
    model = ScoringModel({"visit": 5})
    events = log([("a", "visit", "2026-01-01"), ("a", "visit", "2026-01-02")])
    for bad, message in (
        ([1, -1], "whole numbers"),
        ([1.5, 1], "whole numbers"),
        ([1, None], "whole"),
    ):
        with pytest.raises(ValidationError, match=message):
            model.score(events.assign(n=pd.array(bad, dtype="Float64")), quantity="n")
    with pytest.raises(ValidationTypeError, match="'n' must hold numbers"):
        model.score(events.assign(n=["1", "2"]), quantity="n")
    with pytest.raises(ValidationError, match="'n'"):
        model.score(events, quantity="n")
    with pytest.raises(ValidationError, match="by must be one of"):
        model.ledger(events, by="contact")  # type: ignore[arg-type]


def test_reset_types_may_appear_without_points_but_other_types_may_not() -> None:
    model = ScoringModel({"visit": 5}, resets={"recycled": 0})
    events = log([("a", "visit", "2026-01-01"), ("a", "unknown", "2026-01-02")])
    with pytest.raises(ValidationError, match="'unknown'"):
        model.score(events)


# --------------------------------------------------------------------------
# calendars and the floor kernel


def test_calendar_helpers() -> None:
    ticks = (
        pd.to_datetime(["2026-01-31", "2024-01-31", "2026-03-31 10:00"], format="ISO8601")
        .as_unit("s")
        .asi8
    )
    moved = add_months(ticks, np.array([1, 1, -1]), "s").view("M8[s]")
    assert [str(pd.Timestamp(t)) for t in moved] == [
        "2026-02-28 00:00:00",
        "2024-02-29 00:00:00",
        "2026-02-28 10:00:00",
    ]
    start = (
        pd.to_datetime(["2026-01-31", "2026-01-31", "2026-01-15 12:00"], format="ISO8601")
        .as_unit("s")
        .asi8
    )
    end = (
        pd.to_datetime(["2026-02-28", "2026-02-27 23:59", "2026-03-15 11:59"], format="ISO8601")
        .as_unit("s")
        .asi8
    )
    assert whole_months(start, end, "s").tolist() == [1, 0, 1]
    days = pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-08", "2026-03-09"]).as_unit("ns")
    weeks = calendar_periods(days.asi8, "ns", "W")
    expected = [p.ordinal for p in pd.Series(days).dt.to_period("W")]
    assert (weeks - weeks[0]).tolist() == [e - expected[0] for e in expected]
    for freq in ("D", "M", "Q", "Y"):
        got = calendar_periods(days.asi8, "ns", freq)
        assert got.tolist() == [p.ordinal for p in pd.Series(days).dt.to_period(freq)]


@pytest.mark.parametrize("seed", range(6))
def test_floor_scan_compiled_equals_numpy_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    pytest.importorskip("numba", reason="numba is not installed (the fast extra)")
    rng = np.random.default_rng(seed)
    n = 500
    contacts = np.sort(rng.integers(0, 30, n))
    first = np.r_[True, contacts[1:] != contacts[:-1]]
    slot = rng.choice([-3, -2, -1, 0, 1, 2], n).astype(np.int64)
    value = rng.normal(0, 20, n)
    factor = np.where(first, 1.0, rng.uniform(0.5, 1.0, n))
    args = (
        first,
        slot,
        value,
        factor,
        np.array([15.0, np.inf, 30.0]),
        np.array([-1, 0, 0], dtype=np.int64),
        np.array([25.0]),
        60.0,
        -5.0,
    )
    monkeypatch.setenv("BBMKIT_JIT", "0")
    slow = floor_scan(*args)
    monkeypatch.delenv("BBMKIT_JIT")
    monkeypatch.setattr(compiled, "MIN_ROWS", 0)
    fast = floor_scan(*args)
    assert np.array_equal(slow, fast)
    assert (slow >= 0).all()
    assert (slow > 0).any()


# --------------------------------------------------------------------------
# against the pure-Python reference

_CASES = [
    {"limits": {"visit": (2, "W"), "email": (3, "D"), "demo": (1, None)}},
    {"limits": {"visit": (1, "M")}, "half_life": 20.0},
    {"step_decay": (0.5, "M")},
    {"step_decay": (0.25, 10.0), "window": 60.0},
    {"window": 30.0, "half_life": 10.0},
    {
        "groups": {"m": ["visit", "email"]},
        "group_caps": {"m": 30.0},
        "event_caps": {"visit": 20.0},
        "cap": 80.0,
    },
    {"floor": 0.0, "half_life": 15.0, "event_caps": {"visit": 10.0}},
    {"resets": {"recycled": 5.0}, "floor": 0.0, "half_life": 30.0},
    {"inactivity": (10.0, "M"), "floor": 0.0},
    {
        "inactivity": (3.0, 7.0),
        "floor": -5.0,
        "resets": {"recycled": 0.0},
        "limits": {"visit": (1, "D")},
        "groups": {"g": ["demo", "unsubscribe"]},
        "group_caps": {"g": 50.0},
        "cap": 100.0,
    },
]


def _rows(events: pd.DataFrame, quantity: bool) -> list[tuple[object, str, object, float]]:
    counts = events["count"] if quantity else [1.0] * len(events)
    return list(zip(events.contact_id, events.event_type, events.timestamp, counts, strict=True))


@settings(max_examples=40, deadline=None)
@given(
    case=st.sampled_from(range(len(_CASES))),
    seed=st.integers(0, 2**32 - 1),
    tz=st.sampled_from([None, "Asia/Tokyo", "America/New_York"]),
    quantity=st.booleans(),
    jit=st.booleans(),
)
def test_property_matches_reference_and_ledger_sums(
    case: int, seed: int, tz: str | None, quantity: bool, jit: bool
) -> None:
    options = _CASES[case]
    events = _events(seed % 1000, n=int(seed % 80) + 1, resets="resets" in options)
    if tz is not None:  # wall times a DST change skips or repeats: moved forward, standard time
        events["timestamp"] = events["timestamp"].dt.tz_localize(
            tz, nonexistent="shift_forward", ambiguous=np.zeros(len(events), dtype=bool)
        )
    as_of = pd.Timestamp("2026-10-15 12:00", tz=tz)
    model = ScoringModel(POINTS, **options)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as m:
        if jit:
            m.setattr(compiled, "MIN_ROWS", 0)
            m.setattr(parallel, "MIN_ROWS", 8)
        score = model.score(events, as_of=as_of, quantity="count" if quantity else None)
    expected = reference.rule_score(_rows(events, quantity), {"points": POINTS, **options}, as_of)
    assert sorted(score.index) == sorted(expected)
    for contact, value in expected.items():
        assert score[contact] == pytest.approx(value, rel=1e-9, abs=1e-9)
    # the ledgers explain the score, and row order does not matter
    for by in ("type", "event"):
        ledger = model.ledger(events, as_of=as_of, quantity="count" if quantity else None, by=by)
        sums = ledger.groupby("contact_id")["points"].sum()
        np.testing.assert_allclose(sums.reindex(score.index), score, rtol=1e-9, atol=1e-9)
    shuffled = events.sample(frac=1.0, random_state=seed % 1000)
    again = model.score(shuffled, as_of=as_of, quantity="count" if quantity else None)
    np.testing.assert_allclose(again.reindex(score.index), score, rtol=1e-12, atol=1e-12)
    if model.floor is not None:
        assert (score >= model.floor - 1e-9).all() or model.half_life is not None


def test_input_frame_is_not_mutated_and_rules_keep_the_plain_numbers() -> None:
    events = _events(7, resets=False)
    before = events.copy()
    model = ScoringModel(POINTS, limits={"visit": (100000, None)}, half_life=10)
    plain = ScoringModel(POINTS, half_life=10)
    np.testing.assert_allclose(
        model.score(events, as_of="2026-11-01"), plain.score(events, as_of="2026-11-01"), rtol=1e-13
    )
    pd.testing.assert_frame_equal(events, before)
    ledger = model.ledger(events, as_of="2026-11-01")
    plain_ledger = plain.ledger(events, as_of="2026-11-01")
    assert ledger[["contact_id", "event_type", "kind"]].equals(
        plain_ledger[["contact_id", "event_type", "kind"]]
    )


def test_numeric_day_logs() -> None:
    model = ScoringModel({"x": 10}, inactivity=(2, 7), floor=0)
    events = pd.DataFrame(
        {"contact_id": [1, 1], "event_type": ["x", "x"], "timestamp": [0.0, 10.0]}
    )
    # steps at day 7 (between the events) and day 17 and 24 after the second
    assert model.score(events, as_of=24.0).tolist() == [20 - 2 - 2 - 2.0]
    with pytest.raises(ValidationError, match="datetimes"):
        ScoringModel({"x": 1}, limits={"x": (1, "D")}).score(events)
    assert bk.ScoringModel({"x": 1}, limits={"x": (1, None)}).score(events).tolist() == [1.0]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("jit", [False, True])
def test_month_arithmetic_equals_pandas_date_offsets(
    monkeypatch: pytest.MonkeyPatch, unit: str, jit: bool
) -> None:
    if jit:
        pytest.importorskip("numba", reason="numba is not installed (the fast extra)")
        monkeypatch.setattr(compiled, "MIN_ROWS", 0)
    else:
        monkeypatch.setenv("BBMKIT_JIT", "0")
    rng = np.random.default_rng(len(unit) + jit)
    low, high = ("1700-01-01", "2250-01-01") if unit == "ns" else ("0005-01-01", "9990-01-01")
    ticks = rng.integers(
        pd.Timestamp(low).as_unit(unit)._value, pd.Timestamp(high).as_unit(unit)._value, 300
    )
    if unit == "ns":  # whole microseconds: DateOffset in pandas 2.1 would drop the rest
        ticks = ticks // 1000 * 1000
    ticks[:3] = (
        pd.to_datetime(["2024-01-31", "2023-03-31 23:00", "1969-12-31"], format="ISO8601")
        .as_unit(unit)
        .asi8
    )
    stamps = pd.DatetimeIndex(ticks.view(f"M8[{unit}]"))
    months = rng.integers(-30, 30, ticks.size)
    expected = [
        (s + pd.DateOffset(months=int(m))).as_unit(unit)._value
        for s, m in zip(stamps, months, strict=True)
    ]
    assert add_months(ticks, months, unit).tolist() == expected
    ends = ticks + rng.integers(0, 900, ticks.size) * (pd.Timedelta(days=1).as_unit(unit)._value)

    def whole(a: pd.Timestamp, b: pd.Timestamp) -> int:
        m = (b.year - a.year) * 12 + b.month - a.month
        while m > 0 and a + pd.DateOffset(months=m) > b:
            m -= 1
        return max(m, 0)

    ends_stamps = pd.DatetimeIndex(ends.view(f"M8[{unit}]"))
    assert whole_months(ticks, ends, unit).tolist() == [
        whole(a, b) for a, b in zip(stamps, ends_stamps, strict=True)
    ]
    for freq in ("D", "M", "Q", "Y"):
        periods = pd.Series(stamps).dt.to_period(freq)
        assert calendar_periods(ticks, unit, freq).tolist() == [p.ordinal for p in periods]


@pytest.mark.parametrize("seed", range(4))
def test_sorting_and_limits_compiled_equal_numpy(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    pytest.importorskip("numba", reason="numba is not installed (the fast extra)")
    from bbmkit._kernels.rules import contact_time_order

    rng = np.random.default_rng(seed)
    n = 3000
    codes = rng.integers(0, 40 if seed % 2 else 3, n).astype(np.intp)  # long contacts too
    times = rng.integers(0, 50, n).astype(np.float64 if seed % 2 else np.int64)
    monkeypatch.setenv("BBMKIT_JIT", "0")
    slow = contact_time_order(codes, times, int(codes.max()) + 1)
    events = _events(seed, n=800, resets=False)
    model = ScoringModel(POINTS, limits={"visit": (2, "D"), "email": (3, "W")}, floor=0.0)
    slow_scores = model.score(events, as_of="2026-11-01")
    monkeypatch.delenv("BBMKIT_JIT")
    monkeypatch.setattr(compiled, "MIN_ROWS", 0)
    fast = contact_time_order(codes, times, int(codes.max()) + 1)
    assert slow is not None
    assert fast is not None
    assert np.array_equal(slow, fast)
    pd.testing.assert_series_equal(model.score(events, as_of="2026-11-01"), slow_scores)


def test_repr_shows_the_options_in_use_and_evaluates_back() -> None:
    model = ScoringModel(POINTS, **RULES)  # type: ignore[arg-type]
    text = repr(model)
    assert text.startswith("ScoringModel({'visit': 3.0")
    assert "window" not in text
    assert "floor=0.0" in text
    assert eval(text, {"ScoringModel": ScoringModel}) == model
    assert repr(ScoringModel({"x": 1})) == "ScoringModel({'x': 1.0})"


def test_unknown_event_types_can_be_left_out_and_counted() -> None:
    model = ScoringModel({"visit": 5, "demo": 50})
    events = log(
        [
            ("a", "visit", "2026-01-01"),
            ("a", "webinar", "2026-01-02"),
            ("b", "demo", "2026-01-03"),
            ("c", "webinar", "2026-01-03"),
        ]
    )
    with pytest.raises(ValidationError, match="'webinar'"):
        model.score(events)
    score = model.score(events, unknown="ignore")
    assert score.to_dict() == {"a": 5.0, "b": 50.0}
    assert score.attrs["unknown_events"] == 2
    assert model.score(events.iloc[[0, 2]], unknown="ignore").attrs["unknown_events"] == 0
    with pytest.raises(ValidationError, match="unknown must be one of"):
        model.score(events, unknown="drop")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="needs the events as a DataFrame"):
        model.score(EventLog.from_frame(events.iloc[[0, 2]]), unknown="ignore")
