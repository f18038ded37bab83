import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit import (
    DEMAND_WATERFALL,
    ValidationError,
    ValidationTypeError,
    funnel_from_events,
    icp_funnel,
    proportion_ci,
)
from tests import reference

STAGES = ["MQL", "SAL", "SQL", "C"]


def log(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["entity_id", "stage", "timestamp"])


def test_hand_worked_backfill_and_not() -> None:
    events = log(
        [("a", "MQL", 0), ("a", "SQL", 6), ("b", "MQL", 1), ("b", "SAL", 2), ("c", "C", 9)]
    )
    filled = funnel_from_events(events, STAGES)
    # a reached SQL (so SAL too), b reached SAL, c reached C (so everything)
    assert filled["reached"].tolist() == [3, 3, 2, 1]
    assert filled["rate"].tolist()[1:] == pytest.approx([1.0, 2 / 3, 0.5])
    assert np.isnan(filled["rate"].iloc[0])
    strict = funnel_from_events(events, STAGES, backfill=False)
    assert strict["reached"].tolist() == [2, 1, 1, 1]
    # MQL -> SAL: only b has both entries (1 day)
    assert filled.loc["MQL", "median_days"] == 1.0
    assert np.isnan(filled.loc["SAL", "median_days"])  # nobody logged both SAL and SQL


def test_rates_carry_their_intervals() -> None:
    rows = [(f"e{i}", "MQL", 0.0) for i in range(100)] + [(f"e{i}", "SQL", 5.0) for i in range(30)]
    result = funnel_from_events(log(rows), ["MQL", "SQL"], method="clopper_pearson", confidence=0.9)
    expected = proportion_ci(30, 100, method="clopper_pearson", confidence=0.9).iloc[0]
    assert result.loc["SQL", "lower"] == expected["lower"]
    assert result.loc["SQL", "upper"] == expected["upper"]
    assert result.loc["MQL", "median_days"] == 5.0


def test_cohorts_by_column_and_series_and_datetimes() -> None:
    events = pd.DataFrame(
        {
            "lead": ["a", "a", "b", "c", "c", "d"],
            "status": ["MQL", "SQL", "MQL", "MQL", "SAL", "SQL"],
            "at": pd.to_datetime(
                ["2026-01-01", "2026-01-11", "2026-01-02", "2026-02-01", "2026-02-03", "2026-02-05"]
            ),
            "programme": ["seo", "seo", "seo", "abm", "abm", "abm"],
        }
    )
    by_prog = funnel_from_events(
        events, STAGES, entity="lead", stage="status", time="at", by="programme"
    )
    assert by_prog.index.names == ["programme", "stage"]
    assert by_prog.loc["seo"]["reached"].tolist() == [2, 1, 1, 0]
    assert by_prog.loc["abm"]["reached"].tolist() == [2, 2, 1, 0]
    assert by_prog.loc[("abm", "MQL"), "median_days"] == 2.0  # c: Feb 1 -> Feb 3
    assert np.isnan(by_prog.loc[("seo", "MQL"), "median_days"])  # a skipped SAL in the log
    month = pd.Series(
        {"a": "2026-01", "b": "2026-01", "c": "2026-02", "d": "2026-02"}, name="cohort"
    )
    by_month = funnel_from_events(
        events, STAGES, entity="lead", stage="status", time="at", by=month
    )
    assert by_month.index.names == ["cohort", "stage"]
    assert by_month.loc["2026-02"]["reached"].tolist() == [2, 2, 1, 0]
    # no row lost: cohorts add up to the whole
    whole = funnel_from_events(events, STAGES, entity="lead", stage="status", time="at")
    assert (
        by_prog.groupby(level="stage", sort=False)["reached"].sum().tolist()
        == whole["reached"].tolist()
    )


def test_cohorts_by_entry_period() -> None:
    events = pd.DataFrame(
        {
            "entity_id": ["a", "a", "b", "c"],
            "stage": ["MQL", "SQL", "MQL", "MQL"],
            "timestamp": pd.to_datetime(["2026-01-30", "2026-02-10", "2026-02-01", "2026-03-05"]),
        }
    )
    result = funnel_from_events(events, STAGES, entry_period="M")
    assert result.index.names == ["entry_M", "stage"]
    assert list(result.index.get_level_values(0).unique()) == ["2026-01", "2026-02", "2026-03"]
    assert result.loc["2026-01"]["reached"].tolist() == [1, 1, 1, 0]  # a entered in January
    with pytest.raises(ValidationError, match="not both"):
        funnel_from_events(events, STAGES, entry_period="M", by=pd.Series({"a": 1}))
    with pytest.raises(ValidationTypeError, match="entry_period needs datetimes"):
        funnel_from_events(events.assign(timestamp=[1.0, 2.0, 3.0, 4.0]), STAGES, entry_period="M")
    with pytest.raises(ValidationError, match="not a pandas period alias"):
        funnel_from_events(events, STAGES, entry_period="fortnight")


def test_icp_split() -> None:
    rows = [
        ("a", "C", 1.0),
        ("b", "SQL", 1.0),
        ("c", "MQL", 1.0),
        ("d", "MQL", 1.0),
        ("e", "SAL", 2.0),
    ]
    icp = pd.Series({"a": True, "b": True, "c": False, "d": False, "e": False})
    split = icp_funnel(log(rows), STAGES, icp)
    assert split["reached_icp"].tolist() == [2, 2, 2, 1]
    assert split["reached_non_icp"].tolist() == [3, 1, 0, 0]
    assert split["icp_rate"].tolist() == [0.4, 2 / 3, 1.0, 1.0]
    assert split["rate_icp"].tolist()[1:] == [1.0, 1.0, 0.5]
    all_icp = icp_funnel(log(rows), STAGES, icp | True)
    assert all_icp["reached_non_icp"].tolist() == [0, 0, 0, 0]
    with pytest.raises(ValidationError, match="is_icp has 1 missing"):
        icp_funnel(log(rows), STAGES, icp.astype(object).where(icp.index != "a", None))
    with pytest.raises(ValidationError, match="is_icp has no value for entity 'e'"):
        icp_funnel(log(rows), STAGES, icp.drop("e"))


@pytest.mark.parametrize(
    ("events", "stages", "kwargs", "error", "message"),
    [
        (
            log([("a", "MQL", 0.0), ("a", "Won", 1.0)]),
            STAGES,
            {},
            ValidationError,
            r"unknown stage\(s\) 'Won' \(stages: MQL, SAL, SQL, C\)",
        ),
        (log([("a", "MQL", np.inf)]), STAGES, {}, ValidationError, "1 infinite time"),
        (
            log([("a", "MQL", 0.0)]).drop(columns="stage"),
            STAGES,
            {},
            ValidationError,
            "column 'stage' is missing from events",
        ),
        (log([("a", "MQL", 0.0)]), ["MQL"], {}, ValidationError, "at least 2 stages"),
        (log([("a", "MQL", 0.0)]), ["MQL", "MQL"], {}, ValidationError, "appears twice"),
        (
            log([(None, "MQL", 0.0)]),
            STAGES,
            {},
            ValidationError,
            "column 'entity_id' has 1 missing",
        ),
        (
            log([("a", "MQL", 0.0)]),
            STAGES,
            {"by": 5},
            ValidationTypeError,
            "by must be a column name",
        ),
        (
            log([("a", "MQL", 0.0)]),
            STAGES,
            {"backfill": "yes"},
            ValidationTypeError,
            "backfill must be True or False",
        ),
        (
            log([("a", "MQL", 0.0)]).assign(timestamp=["x"]),
            STAGES,
            {},
            ValidationTypeError,
            "must hold datetimes or numbers",
        ),
        (
            log([("a", "MQL", 0.0), ("a", "SQL", 1.0)]).assign(p=["x", "y"]),
            STAGES,
            {"by": "p"},
            ValidationError,
            "column 'p' must be constant per entity; entity 'a' has several values",
        ),
    ],
)
def test_invalid(
    events: pd.DataFrame,
    stages: list[str],
    kwargs: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        funnel_from_events(events, stages, **kwargs)  # type: ignore[arg-type]


def test_empty_log_gives_zero_counts() -> None:
    result = funnel_from_events(log([]).astype({"timestamp": float}), STAGES)
    assert result["reached"].tolist() == [0, 0, 0, 0]
    assert result["rate"].isna().all()


@pytest.mark.parametrize("seed", range(15))
@pytest.mark.parametrize("backfill", [True, False])
def test_matches_reference(seed: int, backfill: bool) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    stages = list(DEMAND_WATERFALL)
    rows = list(
        zip(
            [f"e{i}" for i in rng.integers(0, 60, n)],
            rng.choice(stages, n).tolist(),
            rng.integers(0, 100, n).astype(float).tolist(),
            strict=True,
        )
    )
    got = funnel_from_events(log(rows), stages, backfill=backfill)
    counts, medians = reference.funnel_counts(rows, stages, backfill=backfill)
    assert got["reached"].tolist() == counts
    for g, m in zip(got["median_days"].tolist(), medians, strict=True):
        assert (np.isnan(g) and m is None) or g == m


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", "e"]), st.sampled_from(STAGES), st.floats(0, 100)
        ),
        min_size=1,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_property_backfilled_counts_non_increasing_and_order_free(
    rows: list[tuple[str, str, float]], rnd: object
) -> None:
    result = funnel_from_events(log(rows), STAGES)
    assert (np.diff(result["reached"].to_numpy()) <= 0).all()
    rates = result["rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all()
    inside = result.dropna(subset=["lower"])
    assert (
        (inside["lower"] <= inside["rate"] + 1e-12) & (inside["rate"] <= inside["upper"] + 1e-12)
    ).all()
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(result, funnel_from_events(log(shuffled), STAGES))
