import json

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit import (
    CUSTOMER_JOURNEY,
    DEMAND_WATERFALL,
    Funnel,
    ValidationError,
    ValidationTypeError,
    retention,
)

JOURNEY = Funnel.customer_journey()

# --------------------------------------------------------------------------
# the hand-worked funnel example (awareness to promoter), every number


def test_forward_projection() -> None:
    projected = JOURNEY.project(10_000)
    assert projected.tolist() == [10_000, 2_000, 800, 320, 32]
    assert list(projected.index) == list(CUSTOMER_JOURNEY)
    assert JOURNEY.overall_rate(end="customer") == pytest.approx(0.032, abs=1e-15)


def test_what_ifs() -> None:
    better_awareness = JOURNEY.with_rate("awareness", 0.3).project(10_000)
    assert better_awareness.tolist() == [10_000, 3_000, 1_200, 480, 48]
    better_leads = JOURNEY.with_rate("lead", 0.5).project(10_000)
    assert better_leads.tolist() == [10_000, 2_000, 1_000, 400, 40]
    assert JOURNEY.rates == (0.2, 0.4, 0.4, 0.1)  # the original is unchanged


def test_churn() -> None:
    table = retention(320, churn=0.3)
    assert table.loc[1, "lapsed"] == 96
    assert table.loc[1, "retained"] == 224
    assert table.loc[0, "retained"] == 320
    five = retention(320, churn=0.3, periods=5)
    assert (five["retained"] + five["cumulative_lapsed"]).tolist() == [320.0] * 6


def test_reverse_planning() -> None:
    needed = JOURNEY.required(5, stage="customer")
    assert needed.tolist() == [156.25, 31.25, 12.5, 5.0]
    assert list(needed.index) == ["awareness", "lead", "prospect", "customer"]
    assert np.ceil(needed).tolist() == [157, 32, 13, 5]  # rounding is explicit


def test_required_with_zero_rate_is_unreachable() -> None:
    f = Funnel(["a", "b", "c"], [0.0, 0.5])
    assert f.required(10).tolist() == [np.inf, 20.0, 10.0]
    assert f.required(0).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValidationError, match="rate to 'c' is 0"):
        f.required_top(3)


def test_planning_with_confidence() -> None:
    assert JOURNEY.required_top(5, probability=0.9, stage="customer") == 248
    assert JOURNEY.required_top(5, probability=0.5, stage="customer") < 248


# --------------------------------------------------------------------------
# presets, counts, sensitivity


def test_presets() -> None:
    assert Funnel.demand_waterfall([0.5] * 7).stages == DEMAND_WATERFALL
    assert DEMAND_WATERFALL == ("PL", "AL", "ML", "MAL", "MQL", "SAL", "SQL", "C")
    custom = Funnel(["visit", "signup", "paid"], [0.1, 0.2])
    assert custom.project(1000).tolist() == [1000, 100, 20]


def test_from_counts() -> None:
    f = Funnel.from_counts(pd.Series({"ML": 1000, "MQL": 250, "SQL": 100, "C": 25}))
    assert f.stages == ("ML", "MQL", "SQL", "C")
    assert f.rates == (0.25, 0.4, 0.25)
    assert f.project(1000).tolist() == [1000, 250, 100, 25]


def test_sensitivity_and_bottleneck() -> None:
    table = JOURNEY.sensitivity(10_000)
    assert list(table.columns) == [
        "from",
        "to",
        "rate",
        "improved_rate",
        "outcome",
        "improved_outcome",
        "gain",
        "rank",
    ]
    # +1 point on awareness -> lead: 10,000 x .21 x .4 x .4 x .1 = 33.6 promoters
    assert table.loc[0, "improved_outcome"] == pytest.approx(33.6)
    assert table.loc[0, "gain"] == pytest.approx(1.6)
    # customer -> promoter from 10 % to 11 %: 35.2, the largest gain of one point
    assert table.loc[3, "gain"] == pytest.approx(3.2)
    assert JOURNEY.bottleneck(10_000) == "customer"
    bench = {"awareness": 0.25, "lead": 0.45, "prospect": 0.40, "customer": 0.10}
    table = JOURNEY.sensitivity(10_000, benchmarks=bench, stage="customer")
    assert table["improved_rate"].tolist() == [0.25, 0.45, 0.40]
    assert table["gain"].round(9).tolist() == [80.0, 40.0, 0.0]
    assert JOURNEY.bottleneck(10_000, benchmarks=bench, stage="customer") == "awareness"


def test_json_round_trip_and_evolve() -> None:
    again = Funnel.from_dict(json.loads(json.dumps(JOURNEY.to_dict())))
    assert again == JOURNEY
    assert attrs.evolve(JOURNEY, rates=(0.1, 0.1, 0.1, 0.1)).overall_rate() == pytest.approx(1e-4)


# --------------------------------------------------------------------------
# invalid input


@pytest.mark.parametrize(
    ("stages", "rates", "error", "message"),
    [
        (
            ["a", "b"],
            [1.5],
            ValidationError,
            r"rate a -> b must be a finite number in \[0, 1\], got 1.5",
        ),
        (["a", "b"], [-0.1], ValidationError, "rate a -> b must be"),
        (["a", "b"], [float("nan")], ValidationError, "rate a -> b must be"),
        (["a", "b", "c"], [0.5], ValidationError, "one rate per transition: 2 for 3 stages, got 1"),
        (["a"], [], ValidationError, "at least 2 stages"),
        (["a", "a"], [0.5], ValidationError, "'a' appears twice"),
        (["a", ""], [0.5], ValidationTypeError, "non-empty strings"),
        ("ab", [0.5], ValidationTypeError, "stages must be a list"),
        (["a", "b"], 0.5, ValidationTypeError, "rates must be a list"),
        (["a", "b"], ["0.5"], ValidationTypeError, "must be a real number"),
    ],
)
def test_invalid_funnels(
    stages: object, rates: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Funnel(stages, rates)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("counts", "error", "message"),
    [
        (
            pd.Series({"a": 100, "b": 120}),
            ValidationError,
            r"count for 'b' \(120.0\) is larger than for the previous stage 'a' \(100.0\)",
        ),
        (
            pd.Series({"a": 100, "b": -1}),
            ValidationError,
            "non-negative whole numbers, got -1.0 for stage 'b'",
        ),
        (pd.Series({"a": 100, "b": 2.5}), ValidationError, "whole numbers, got 2.5"),
        (pd.Series({"a": 0, "b": 0}), ValidationError, "count for 'a' is 0"),
        (pd.Series({"a": 100}), ValidationError, "at least 2 stages"),
        (pd.Series({"a": "many", "b": "few"}), ValidationTypeError, "counts must hold numbers"),
        ({"a": 100, "b": 10}, ValidationTypeError, "counts must be a pandas Series"),
    ],
)
def test_invalid_counts(counts: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Funnel.from_counts(counts)  # type: ignore[arg-type]


def test_invalid_stage_names_and_values() -> None:
    with pytest.raises(
        ValidationError, match=r"unknown from_stage 'leads' \(stages: awareness, lead"
    ):
        JOURNEY.with_rate("leads", 0.5)
    with pytest.raises(ValidationError, match="'promoter' is the last stage"):
        JOURNEY.with_rate("promoter", 0.5)
    with pytest.raises(ValidationError, match="rate lead -> prospect must be"):
        JOURNEY.with_rate("lead", 1.2)
    with pytest.raises(ValidationError, match="unknown stage 'buyer'"):
        JOURNEY.required(5, stage="buyer")
    with pytest.raises(ValidationError, match="end 'lead' comes before start 'customer'"):
        JOURNEY.overall_rate("customer", "lead")
    with pytest.raises(ValidationError, match="top must be a finite number >= 0"):
        JOURNEY.project(-5)
    with pytest.raises(ValidationError, match="target must be"):
        JOURNEY.required(float("inf"))
    with pytest.raises(ValidationError, match=r"benchmarks\['lead'\] must be"):
        JOURNEY.sensitivity(100, benchmarks={"lead": 2})
    with pytest.raises(ValidationError, match="unknown benchmarks stage"):
        JOURNEY.sensitivity(100, benchmarks={"nope": 0.5})
    with pytest.raises(ValidationError, match="churn must be"):
        retention(100, churn=1.5)
    with pytest.raises(ValidationError, match="periods must be an integer >= 1"):
        retention(100, churn=0.1, periods=0)
    with pytest.raises(ValidationError, match=r"funnel has unknown field\(s\) 'name'"):
        Funnel.from_dict({"stages": ["a", "b"], "rates": [0.1], "name": "x"})
    with pytest.raises(ValidationError, match=r"funnel is missing field\(s\) 'rates'"):
        Funnel.from_dict({"stages": ["a", "b"]})


# --------------------------------------------------------------------------
# properties

funnels = st.integers(2, 8).flatmap(
    lambda n: st.builds(
        Funnel,
        st.just([f"s{i}" for i in range(n)]),
        st.lists(st.floats(0, 1), min_size=n - 1, max_size=n - 1),
    )
)


@given(funnels, st.floats(0, 1e7))
def test_property_projection_non_increasing(f: Funnel, top: float) -> None:
    counts = f.project(top).to_numpy()
    assert (np.diff(counts) <= 1e-9 * max(top, 1)).all()
    assert counts[0] == top


@given(funnels, st.floats(0.01, 1e6))
def test_property_required_inverts_project(f: Funnel, target: float) -> None:
    needed = f.required(target)
    if np.isfinite(needed.iloc[0]) and needed.iloc[0] < 1e300:
        back = f.project(needed.iloc[0])
        np.testing.assert_allclose(back.to_numpy(), needed.to_numpy(), rtol=1e-9)
