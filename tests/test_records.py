"""The real-time path: a few records as plain Python data, equal to the table path."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bbmkit as bk
from bbmkit import (
    ICPProfile,
    RecordScores,
    ScoringModel,
    ValidationError,
    ValidationTypeError,
    any_contact,
    at_least,
    at_most,
    between,
    contacts,
    equals,
    handover,
    one_of,
    total,
)

POINTS = {"visit": 3.0, "demo": 40.0, "email": 1.0, "unsubscribe": -25.0}
MODELS = {
    "none": {},
    "exponential": {"half_life": 20.0},
    "linear": {"lifespan": 90.0},
    "caps": {"half_life": 30.0, "event_caps": {"visit": 12.0}, "cap": 60.0},
    "groups": {"groups": {"m": ["visit", "email"]}, "group_caps": {"m": 10.0}},
    "limits": {"limits": {"visit": (1, "D"), "email": (2, "W")}, "half_life": 30.0},
    "step": {"step_decay": (0.5, "M"), "window": 120.0},
    "marketo": {"inactivity": (10.0, "M"), "floor": 0.0, "resets": {"recycled": 5.0}},
    "floor": {"half_life": 20.0, "floor": 0.0, "cap": 100.0},
}


def _frame(seed: int, n: int, *, resets: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kinds = [*POINTS, *(["recycled"] if resets else [])]
    return pd.DataFrame(
        {
            "contact_id": rng.choice(["a", "b", "c", "d"], n),
            "event_type": rng.choice(kinds, n),
            # distinct times: events at one moment are taken in row order
            "timestamp": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 200 * 24, n), unit="h")
            + pd.to_timedelta(np.arange(n), unit="s"),
        }
    )


def _records(frame: pd.DataFrame, time: str = "datetime") -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict("records"):
        stamp = row["timestamp"]
        if time == "datetime":
            row["timestamp"] = stamp.to_pydatetime()
        elif time == "iso":
            row["timestamp"] = stamp.isoformat()
        out.append(row)
    return out


def _close(got: dict[Any, float], want: pd.Series) -> None:
    assert list(got) == want.index.tolist()
    # 1e-12 of the magnitude of the summed terms (points up to 40, up to 30 events): a score
    # of positive and negative terms cancels, and the table path itself differs by as much
    # between a nanosecond and a microsecond column of the same times
    np.testing.assert_allclose(list(got.values()), want.to_numpy(), rtol=1e-12, atol=1.2e-9)


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("time", ["datetime", "iso", "timestamp"])
@pytest.mark.parametrize("seed", range(3))
def test_equals_score_on_random_logs(name: str, time: str, seed: int) -> None:
    model = ScoringModel(POINTS, **MODELS[name])  # type: ignore[arg-type]
    frame = _frame(seed, 12 + 5 * seed, resets=bool(model.resets))
    records = _records(frame, time)
    for as_of in (None, "2026-05-01", dt.datetime(2026, 4, 1, 12), "2026-06-30T08:00:00"):
        _close(model.score_records(records, as_of=as_of), model.score(frame, as_of=as_of))


@pytest.mark.parametrize("name", ["exponential", "caps", "limits", "marketo"])
def test_tz_aware_records_use_their_zone(name: str) -> None:
    model = ScoringModel(POINTS, **MODELS[name])  # type: ignore[arg-type]
    frame = _frame(7, 30, resets=bool(model.resets))
    frame["timestamp"] = frame["timestamp"].dt.tz_localize("Asia/Tokyo")
    records = _records(frame, "datetime")
    as_of = pd.Timestamp("2026-06-01 09:00", tz="Asia/Tokyo")
    _close(model.score_records(records, as_of=as_of), model.score(frame, as_of=as_of))
    # ISO text with an offset: one fixed zone, the same instants and calendar days
    iso = [dict(r, timestamp=r["timestamp"].isoformat()) for r in records]
    assert iso[0]["timestamp"].endswith("+09:00")
    _close(
        model.score_records(iso, as_of="2026-06-01T09:00:00+09:00"), model.score(frame, as_of=as_of)
    )
    with pytest.raises(ValidationError, match=r"as_of .* naive"):
        model.score_records(records, as_of="2026-06-01 09:00")


def test_numbers_of_days_and_quantities() -> None:
    model = ScoringModel(POINTS, inactivity=(2.0, 3), floor=0.0)
    frame = pd.DataFrame(
        {
            "contact_id": [1, 1, 2, 2, 1],
            "event_type": ["visit", "demo", "visit", "email", "visit"],
            "timestamp": [0.5, 3.0, 4.25, 9.0, 0.75],
            "n": [3, 1, 2, 5, 1],
        }
    )
    records = frame.to_dict("records")
    _close(
        model.score_records(records, as_of=10, quantity="n"),
        model.score(frame, as_of=10, quantity="n"),
    )
    plain = ScoringModel(POINTS, lifespan=20)
    _close(plain.score_records(records, quantity="n"), plain.score(frame, quantity="n"))
    _close(plain.score_records(records, as_of=5), plain.score(frame, as_of=5))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["x", "y", "z"]),
            st.sampled_from(list(POINTS)),
            st.integers(0, 60 * 24 * 3600),
        ),
        min_size=0,
        max_size=12,
    ),
    decay=st.sampled_from([{}, {"half_life": 7.5}, {"lifespan": 40.0}]),
    caps=st.sampled_from([{}, {"event_caps": {"visit": 5.0, "demo": 50.0}, "cap": 45.0}]),
    as_of_seconds=st.none() | st.integers(0, 70 * 24 * 3600),
)
def test_property_plain_models_equal_score(
    rows: list[tuple[str, str, int]],
    decay: dict[str, float],
    caps: dict[str, Any],
    as_of_seconds: int | None,
) -> None:
    model = ScoringModel(POINTS, **decay, **caps)
    start = dt.datetime(2026, 3, 1)
    records = [
        {"contact_id": c, "event_type": e, "timestamp": start + dt.timedelta(seconds=s)}
        for c, e, s in rows
    ]
    frame = pd.DataFrame(records, columns=["contact_id", "event_type", "timestamp"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    as_of = None if as_of_seconds is None else start + dt.timedelta(seconds=as_of_seconds)
    got = model.score_records(records, as_of=as_of)
    if not records:
        assert got == {}
        return
    _close(got, model.score(frame, as_of=as_of))
    # the records are in any order: the same scores
    assert model.score_records(records[::-1], as_of=as_of) == pytest.approx(got, rel=1e-12)


def test_hand_worked_half_life_and_result_type() -> None:
    model = ScoringModel({"demo_request": 40, "web_visit": 5}, half_life=30)
    result = model.score_records(
        [
            {"contact_id": "lead-1", "event_type": "demo_request", "timestamp": "2026-05-01"},
            {"contact_id": "lead-1", "event_type": "web_visit", "timestamp": "2026-05-31"},
            {"contact_id": "lead-0", "event_type": "web_visit", "timestamp": "2026-06-30"},
        ],
        as_of="2026-05-31T00:00:00",
    )
    # 40 * 0.5 ** (30 / 30) + 5: lead-0's event is after as_of
    assert result == {"lead-1": 25.0}
    assert isinstance(result, RecordScores)
    assert isinstance(result, dict)
    assert json.loads(json.dumps(result)) == {"lead-1": 25.0}
    assert result.unknown_events == 0
    # one mapping is one event
    one = {"contact_id": 7, "event_type": "web_visit", "timestamp": 2.0}
    assert model.score_records(one) == {7: 5.0}


def test_records_are_not_mutated_and_extra_fields_are_ignored() -> None:
    records = [
        {"contact_id": "a", "event_type": "visit", "timestamp": "2026-01-02T10:00", "url": "/x"},
        {"contact_id": "a", "event_type": "demo", "timestamp": dt.datetime(2026, 1, 3)},
    ]
    before = copy.deepcopy(records)
    assert ScoringModel(POINTS).score_records(records) == {"a": 43.0}
    assert records == before


def test_unknown_event_types_raise_or_are_counted() -> None:
    model = ScoringModel({"visit": 5})
    records = [
        {"contact_id": "a", "event_type": "visit", "timestamp": 1.0},
        {"contact_id": "a", "event_type": "webinar", "timestamp": 2.0},
        {"contact_id": "b", "event_type": "chat", "timestamp": 2.0},
    ]
    with pytest.raises(ValidationError, match=r"'chat', 'webinar'.*unknown='ignore'"):
        model.score_records(records)
    result = model.score_records(records, unknown="ignore")
    assert result == {"a": 5.0}
    assert result.unknown_events == 2
    with pytest.raises(ValidationError, match="unknown must be one of"):
        model.score_records(records, unknown="drop")  # type: ignore[arg-type]


def test_empty_records_give_no_scores() -> None:
    assert ScoringModel({"visit": 5}).score_records([]) == {}
    assert ScoringModel({"visit": 5}, floor=0.0).score_records([], as_of="2026-01-01") == {}


@pytest.mark.parametrize(
    ("records", "error", "match"),
    [
        ("a,visit,1", ValidationTypeError, "records must be a list of mappings"),
        (pd.DataFrame({"contact_id": [1]}), ValidationTypeError, "score a DataFrame with score"),
        (5, ValidationTypeError, "records must be a list"),
        ([("a", "visit", 1.0)], ValidationTypeError, r"records\[0\] must be a mapping"),
        ([{"contact_id": "a", "event_type": "visit"}], ValidationError, "no field 'timestamp'"),
        (
            [{"contact_id": None, "event_type": "visit", "timestamp": 1.0}],
            ValidationError,
            r"records\[0\]\['contact_id'\] is missing",
        ),
        (
            [{"contact_id": "a", "event_type": math.nan, "timestamp": 1.0}],
            ValidationError,
            "'event_type'.* is missing",
        ),
        (
            [{"contact_id": "a", "event_type": "visit", "timestamp": None}],
            ValidationError,
            "'timestamp'.* is missing",
        ),
        (
            [{"contact_id": "a", "event_type": "visit", "timestamp": "yesterday"}],
            ValidationError,
            "must be an ISO 8601 time.*'yesterday'",
        ),
        (
            [{"contact_id": "a", "event_type": "visit", "timestamp": True}],
            ValidationTypeError,
            "must be an ISO 8601 time",
        ),
        (
            [{"contact_id": "a", "event_type": "visit", "timestamp": math.inf}],
            ValidationError,
            "finite number of days",
        ),
        (
            [
                {"contact_id": "a", "event_type": "visit", "timestamp": 1.0},
                {"contact_id": "a", "event_type": "visit", "timestamp": "2026-01-01"},
            ],
            ValidationError,
            r"records\[1\].*is a datetime but earlier records have numbers",
        ),
        (
            [
                {"contact_id": "a", "event_type": "visit", "timestamp": "2026-01-01T00:00Z"},
                {"contact_id": "a", "event_type": "visit", "timestamp": "2026-01-01"},
            ],
            ValidationError,
            r"records\[1\].*is naive but earlier records' times are tz-aware",
        ),
    ],
)
def test_invalid_records(records: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        ScoringModel({"visit": 5}).score_records(records)  # type: ignore[arg-type]


def test_invalid_quantity_as_of_and_column_names() -> None:
    model = ScoringModel({"visit": 5})
    record = {"contact_id": "a", "event_type": "visit", "timestamp": 1.0, "n": 1.5}
    with pytest.raises(ValidationError, match=r"records\[0\]\['n'\] must be a whole number"):
        model.score_records([record], quantity="n")
    with pytest.raises(ValidationError, match="no field 'count'"):
        model.score_records([record], quantity="count")
    with pytest.raises(ValidationTypeError, match="as_of must be a real number"):
        model.score_records([record], as_of="2026-01-01")
    dated = dict(record, timestamp="2026-01-01T10:00")
    with pytest.raises(ValidationTypeError, match="as_of must be a timestamp"):
        model.score_records([dated], as_of=5)
    with pytest.raises(ValidationTypeError, match="time must be a column name"):
        model.score_records([record], time=3)  # type: ignore[arg-type]


def test_far_placeholder_dates_work() -> None:
    # CRM exports write 9999-12-31 for "never": beyond nanoseconds, within microseconds
    model = ScoringModel({"visit": 5}, limits={"visit": (1, "D")})
    records = [{"contact_id": "a", "event_type": "visit", "timestamp": "9999-12-30T00:00:00"}]
    assert model.score_records(records) == {"a": 5.0}
    assert ScoringModel({"visit": 5}, half_life=10).score_records(records) == {"a": 5.0}


# --------------------------------------------------------------------------
# one account's handover


RULES = [
    any_contact(at_least=100) | contacts(at_least=60, count=3),
    (contacts(at_least=50, count=2) & total(at_least=150)) | ~any_contact(at_least=10),
    ~(total(at_least=100) | any_contact(at_least=80)) & contacts(at_least=5, count=1),
    total(at_least=0.3),
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rule", RULES, ids=range(len(RULES)))
def test_rule_evaluate_equals_handover(rule: bk.Rule, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    scores = pd.Series(
        np.round(rng.exponential(40, n), 1), index=[f"c{i}" for i in range(n)], dtype=float
    )
    scores.iloc[:3] = [0.1, 0.1, 0.1]  # sums that are not exact in binary
    accounts = pd.Series(rng.integers(0, 15, n), index=scores.index)
    table = handover(scores, accounts, rule)
    for account, row in table.iterrows():
        members = scores[accounts == account]
        result = rule.evaluate(members.to_dict())
        assert (result.fired, result.reason) == (row["handover"], row["reason"])
        assert result.total == row["total"]
        assert rule.evaluate(members.tolist()) == result


def test_rule_evaluate_hand_worked_and_errors() -> None:
    rule = any_contact(at_least=100) | contacts(at_least=60, count=3)
    assert rule.evaluate({"c1": 100}) == bk.RuleResult(True, "any contact >= 100", 100.0, 100.0)
    both = rule.evaluate([100, 60, 60])
    assert both.reason == "any contact >= 100; 3 contacts >= 60"
    empty = rule.evaluate([])
    assert (empty.fired, empty.reason, empty.best, empty.total) == (False, "", -math.inf, 0.0)
    with pytest.raises(ValidationError, match=r"scores\['c2'\] must be a finite score"):
        rule.evaluate({"c1": 5, "c2": math.nan})
    with pytest.raises(ValidationError, match=r"scores\[1\] is missing"):
        rule.evaluate([5, None])
    with pytest.raises(ValidationTypeError, match=r"scores\[0\] must be a number, got '5'"):
        rule.evaluate(["5"])
    with pytest.raises(ValidationTypeError, match="must be a mapping of contact id"):
        rule.evaluate(5)  # type: ignore[arg-type]
    with pytest.raises(ValidationTypeError, match="rule must be a Rule"):
        bk.Rule.evaluate("total >= 5", [1.0])  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# one record's ICP fit


PROFILE = ICPProfile(
    [
        one_of("industry", ["software", "fintech"], weight=3),
        between("employees", 100, 1000, closed="left", weight=2),
        at_least("revenue", 1e6),
        at_most("age", 10, weight=0.7),
        equals("region", "EMEA", weight=1.3),
        equals("partner", True, weight=0.4),
    ],
    threshold=0.6,
)


@pytest.mark.parametrize("seed", range(3))
def test_fit_record_equals_fit_is_icp_and_explain(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    frame = pd.DataFrame(
        {
            "industry": pd.Series(rng.choice(["software", "fintech", "retail", None], n)),
            "employees": rng.choice([50.0, 100.0, 999.0, 1000.0, np.nan], n),
            "revenue": pd.array(rng.choice([10, 10**6, 10**7], n), dtype="Int64"),
            "age": rng.choice([1.0, 10.0, 11.0, np.nan], n),
            "region": rng.choice(["EMEA", "APAC"], n),
            "partner": rng.choice([True, False], n),
        }
    )
    frame.loc[::7, "revenue"] = pd.NA
    fits, flags, parts = PROFILE.fit(frame), PROFILE.is_icp(frame), PROFILE.explain(frame)
    for i, record in enumerate(frame.to_dict("records")):
        result = PROFILE.fit_record(record)
        assert result.fit == fits.iloc[i]
        assert result.is_icp == flags.iloc[i]
        assert list(result.contributions.values()) == parts.iloc[i].tolist()
        assert 0.0 <= result.fit <= 1.0


def test_fit_record_errors_and_missing_values() -> None:
    assert (
        PROFILE.fit_record(
            {
                "industry": None,
                "employees": math.nan,
                "revenue": pd.NA,
                "age": None,
                "region": None,
                "partner": None,
            }
        ).fit
        == 0.0
    )
    record = {
        "industry": "software",
        "employees": 500,
        "revenue": 5e6,
        "age": 3,
        "region": "EMEA",
        "partner": True,
    }
    assert PROFILE.fit_record(record).fit == 1.0
    with pytest.raises(ValidationError, match="record has no field 'age'"):
        PROFILE.fit_record({k: v for k, v in record.items() if k != "age"})
    with pytest.raises(ValidationTypeError, match=r"'employees'.* needs a number"):
        PROFILE.fit_record(dict(record, employees="500"))
    with pytest.raises(ValidationTypeError, match="numeric field 'industry'"):
        PROFILE.fit_record(dict(record, industry=3))
    with pytest.raises(ValidationTypeError, match="compares text field 'partner'"):
        PROFILE.fit_record(dict(record, partner="yes"))
    with pytest.raises(ValidationTypeError, match="record must be a mapping"):
        PROFILE.fit_record([1, 2])  # type: ignore[arg-type]


RULE_MODELS = [
    {"limits": {"visit": (1, "D"), "email": (2, "W"), "demo": (1, None)}, "half_life": 20.0},
    {"limits": {"visit": (2, "M"), "email": (1, "Q")}, "step_decay": (0.3, "M"), "window": 90.0},
    {"step_decay": (0.5, 30.0), "groups": {"m": ["visit", "email"]}, "group_caps": {"m": 7.0}},
    {"inactivity": (5.0, "M"), "floor": 0.0, "resets": {"recycled": 10.0}, "cap": 60.0},
    {"inactivity": (3.0, 14.0), "floor": -5.0, "event_caps": {"visit": 9.0}},
    {"half_life": 15.0, "floor": 0.0, "resets": {"recycled": 0.0}, "limits": {"visit": (1, "D")}},
    {"lifespan": 45.0, "limits": {"visit": (1, "Y")}, "cap": 50.0},
]


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["x", "y"]),
            st.sampled_from([*POINTS, "recycled"]),
            st.integers(0, 200 * 24 * 60),  # minutes over 200 days
        ),
        min_size=1,
        max_size=14,
    ),
    which=st.integers(0, len(RULE_MODELS) - 1),
    offset=st.sampled_from([None, 0, 9, -5]),
    as_of_minutes=st.none() | st.integers(0, 260 * 24 * 60),
)
def test_property_rule_models_equal_score(
    rows: list[tuple[str, str, int]],
    which: int,
    offset: int | None,
    as_of_minutes: int | None,
) -> None:
    options = RULE_MODELS[which]
    model = ScoringModel(POINTS, **options)  # type: ignore[arg-type]
    if not model.resets:
        rows = [r for r in rows if r[1] != "recycled"]
    zone = None if offset is None else dt.timezone(dt.timedelta(hours=offset))
    start = dt.datetime(2026, 1, 31, tzinfo=zone)  # a month end: day clipping is exercised
    records = [
        {"contact_id": c, "event_type": e, "timestamp": start + dt.timedelta(minutes=m)}
        for c, e, m in rows
    ]
    as_of = None if as_of_minutes is None else start + dt.timedelta(minutes=as_of_minutes)
    got = model.score_records(records, as_of=as_of)
    if not records:
        assert got == {}
        return
    frame = pd.DataFrame(records)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    _close(got, model.score(frame, as_of=as_of))


def test_rules_of_a_few_records_run_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    import bbmkit.scoring as scoring

    calls: list[int] = []
    real = scoring.rule_scores
    monkeypatch.setattr(
        scoring,
        "rule_scores",
        lambda *a: calls.append(1) or real(*a),  # type: ignore[func-returns-value]
    )
    model = ScoringModel(POINTS, **MODELS["marketo"])  # type: ignore[arg-type]
    frame = _frame(3, 20, resets=True)
    model.score_records(_records(frame, "iso"))
    assert calls == [1]
    # a named zone with daylight saving and a calendar: the array engine, the same numbers
    frame["timestamp"] = frame["timestamp"].dt.tz_localize("Europe/Berlin")
    records = _records(frame, "datetime")
    _close(model.score_records(records), model.score(frame))
    assert calls == [1]


def test_month_steps_at_the_exact_boundary_hand_worked() -> None:
    # Jan 31 + 1 calendar month is Feb 28 (the day clipped): exactly one whole month then
    model = ScoringModel({"visit": 8}, step_decay=(0.5, "M"))
    records = [{"contact_id": "a", "event_type": "visit", "timestamp": "2026-01-31T10:00:00"}]
    frame = pd.DataFrame(records).assign(timestamp=lambda f: pd.to_datetime(f["timestamp"]))
    for as_of, want in (
        ("2026-02-28T09:59:59", 8.0),
        ("2026-02-28T10:00:00", 4.0),
        ("2026-03-31T10:00:00", 2.0),
    ):
        assert model.score_records(records, as_of=as_of) == {"a": want}
        assert model.score(frame, as_of=as_of).tolist() == [want]
    # inactivity: -3 at each whole month since the last visit, floored at 0
    idle = ScoringModel({"visit": 8}, inactivity=(3.0, "M"), floor=0.0)
    assert idle.score_records(records, as_of="2026-02-28T10:00:00") == {"a": 5.0}
    assert idle.score_records(records, as_of="2026-05-31T10:00:00") == {"a": 0.0}


def test_pytz_style_zones_with_one_tzinfo_per_offset_are_one_zone() -> None:
    from bbmkit._records import _same_zone

    class Offset(dt.tzinfo):  # pytz gives CET and CEST of Europe/Berlin their own tzinfo
        def __init__(self, hours: int) -> None:
            self.zone, self.hours = "Europe/Berlin", hours

        def utcoffset(self, _: object) -> dt.timedelta:
            return dt.timedelta(hours=self.hours)

        def dst(self, _: object) -> dt.timedelta:
            return dt.timedelta(0)

    winter, summer = Offset(1), Offset(2)
    assert _same_zone(winter, summer)
    assert not _same_zone(dt.UTC, dt.timezone(dt.timedelta(hours=2)))
    records = [
        {
            "contact_id": 1,
            "event_type": "visit",
            "timestamp": dt.datetime(2026, 1, 5, tzinfo=winter),
        },
        {
            "contact_id": 1,
            "event_type": "visit",
            "timestamp": dt.datetime(2026, 7, 5, tzinfo=summer),
        },
    ]
    data = Records_of(records)
    assert data.tz is winter  # the zone kept: calendars are read in it (by the array engine)


def Records_of(records: list[dict[str, Any]]) -> Any:
    from bbmkit._records import Records

    return Records(
        records,
        {"visit": 0},
        contact="contact_id",
        event="event_type",
        time="timestamp",
        quantity=None,
        ignore_unknown=False,
    )
