"""CRM exports: snapshot tables, open and lost deals, stage logs without times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bbmkit as bk

ORDER = ["Prospecting", "Engaging", "Won"]
DATES = {"Engaging": "engage_date", "Won": "close_date", "Lost": "close_date"}


def snapshot() -> pd.DataFrame:
    """Ten deals, worked by hand in the tests below."""
    rows = [
        ("d1", "Won", "2026-01-05", "2026-01-20"),
        ("d2", "Won", "2026-01-03", "2026-01-10"),
        ("d3", "Won", "2026-01-10", "2026-02-01"),
        ("d4", "Lost", "2026-01-04", "2026-01-15"),  # lost while engaging
        ("d5", "Lost", "2026-01-06", "2026-01-25"),
        ("d6", "Lost", None, "2026-01-09"),  # lost while prospecting
        ("d7", "Engaging", "2026-01-12", None),  # open
        ("d8", "Engaging", "2026-01-15", None),
        ("d9", "Prospecting", None, None),  # open, no date at all
        ("d10", "Prospecting", None, None),
    ]
    table = pd.DataFrame(rows, columns=["deal_id", "deal_stage", "engage_date", "close_date"])
    for column in ("engage_date", "close_date"):
        table[column] = pd.to_datetime(table[column], format="%Y-%m-%d")
    return table


def log() -> pd.DataFrame:
    return bk.stage_log(snapshot(), entity="deal_id", stage="deal_stage", dates=DATES, order=ORDER)


def test_stage_log_of_the_snapshot() -> None:
    out = log()
    assert list(out.columns) == ["deal_id", "stage", "timestamp"]
    by_stage = out.groupby("stage")["deal_id"].apply(set).to_dict()
    assert by_stage["Prospecting"] == {f"d{i}" for i in range(1, 11)}  # every deal entered
    assert by_stage["Engaging"] == {"d1", "d2", "d3", "d4", "d5", "d7", "d8"}
    assert by_stage["Won"] == {"d1", "d2", "d3"}  # the lost deals' close dates are not wins
    assert by_stage["Lost"] == {"d4", "d5", "d6"}
    won = out[out["stage"] == "Won"].set_index("deal_id")["timestamp"]
    assert won["d1"] == pd.Timestamp("2026-01-20")
    assert out.loc[out["stage"] == "Prospecting", "timestamp"].isna().all()


def test_funnel_with_open_and_lost_deals_by_hand() -> None:
    entered = bk.funnel_from_events(log(), ORDER, entity="deal_id", lost="Lost")
    # Prospecting -> Engaging: 10 entered, 7 moved on, d6 lost, d9 and d10 open
    # Engaging -> Won: 7 entered, 3 won, d4 and d5 lost, d7 and d8 open
    assert entered["reached"].tolist() == [10, 7, 3]
    assert entered["lost"].tolist()[1:] == [1, 2]
    assert entered["open"].tolist()[1:] == [2, 2]
    assert entered["lost"].isna().tolist() == [True, False, False]
    assert entered["rate"].tolist()[1:] == pytest.approx([7 / 10, 3 / 7])
    resolved = bk.funnel_from_events(log(), ORDER, entity="deal_id", lost="Lost", basis="resolved")
    assert resolved["rate"].tolist()[1:] == pytest.approx([7 / 8, 3 / 5])
    ci = bk.proportion_ci(3, 5)
    assert resolved.loc["Won", "lower"] == pytest.approx(ci["lower"].iloc[0])
    # median days from engaging to won: d1 15, d2 7, d3 22
    assert entered.loc["Engaging", "median_days"] == 15.0
    assert np.isnan(entered.loc["Prospecting", "median_days"])  # no prospecting dates


def test_funnel_with_lost_by_cohort_and_in_icp_funnel() -> None:
    events = log()
    owner = pd.Series(
        ["ann", "ann", "bob", "bob", "ann", "bob", "ann", "bob", "ann", "bob"],
        index=[f"d{i}" for i in range(1, 11)],
    )
    table = bk.funnel_from_events(events, ORDER, entity="deal_id", lost="Lost", by=owner)
    assert table.loc[("ann", "Won"), "reached"] + table.loc[("bob", "Won"), "reached"] == 3
    total_lost = table.xs("Won", level="stage")["lost"].sum()
    assert total_lost == 2
    split = bk.icp_funnel(events, ORDER, owner == "ann", entity="deal_id", lost="Lost")
    assert split["reached_icp"].sum() + split["reached_non_icp"].sum() == 20


def test_lost_errors() -> None:
    with pytest.raises(bk.ValidationError, match="basis='resolved' needs lost="):
        bk.funnel_from_events(log(), ORDER, entity="deal_id", basis="resolved")
    with pytest.raises(bk.ValidationError, match=r"unknown stage\(s\) 'Lost'"):
        bk.funnel_from_events(log(), ORDER, entity="deal_id")
    with pytest.raises(bk.ValidationError, match="lost stage 'Won' is also in stages"):
        bk.funnel_from_events(log(), ORDER, entity="deal_id", lost="Won")
    with pytest.raises(bk.ValidationError, match="basis must be one of"):
        bk.funnel_from_events(log(), ORDER, entity="deal_id", lost="Lost", basis="closed")


def test_times_are_optional() -> None:
    events = log()
    without = bk.funnel_from_events(
        events.drop(columns="timestamp"), ORDER, entity="deal_id", time=None, lost="Lost"
    )
    with_times = bk.funnel_from_events(events, ORDER, entity="deal_id", lost="Lost")
    pd.testing.assert_frame_equal(
        without.drop(columns="median_days"), with_times.drop(columns="median_days")
    )
    assert without["median_days"].isna().all()
    with pytest.raises(bk.ValidationError, match="pass time=None for a log without times"):
        bk.funnel_from_events(events.drop(columns="timestamp"), ORDER, entity="deal_id")
    with pytest.raises(bk.ValidationError, match="entry_period needs the times"):
        bk.funnel_from_events(
            events, ORDER, entity="deal_id", time=None, lost="Lost", entry_period="M"
        )


def test_entry_cohorts_with_undated_entities() -> None:
    events = log()
    table = bk.funnel_from_events(events, ORDER, entity="deal_id", lost="Lost", entry_period="M")
    cohorts = table.index.get_level_values(0)
    assert cohorts.isna().any()  # d9 and d10 have no date at all: a cohort of their own
    first_stage = table.xs("Prospecting", level="stage")["reached"]
    assert first_stage.sum() == 10


def test_stage_log_errors() -> None:
    table = snapshot()
    with pytest.raises(bk.ValidationError, match="more than once"):
        bk.stage_log(
            pd.concat([table, table.iloc[:1]]), entity="deal_id", stage="deal_stage", order=ORDER
        )
    with pytest.raises(bk.ValidationError, match="column 'deal_stage' has 1 missing"):
        bk.stage_log(
            table.assign(deal_stage=[None, *table["deal_stage"][1:]]),
            entity="deal_id",
            stage="deal_stage",
            order=ORDER,
        )
    with pytest.raises(bk.ValidationTypeError, match=r"convert text with pandas\.to_datetime"):
        bk.stage_log(
            table.assign(engage_date=table["engage_date"].astype(str)),
            entity="deal_id",
            stage="deal_stage",
            dates=DATES,
            order=ORDER,
        )
    with pytest.raises(bk.ValidationError, match="column 'when' is missing"):
        bk.stage_log(
            table, entity="deal_id", stage="deal_stage", dates={"Won": "when"}, order=ORDER
        )


@given(
    st.lists(st.sampled_from(["Prospecting", "Engaging", "Won", "Lost"]), min_size=1, max_size=30),
    st.randoms(use_true_random=False),
)
def test_property_outcomes_add_up_and_resolved_equals_entered_without_open(
    current: list[str], rnd: object
) -> None:
    table = pd.DataFrame({"deal_id": [f"d{i}" for i in range(len(current))], "deal_stage": current})
    events = bk.stage_log(table, entity="deal_id", stage="deal_stage", order=ORDER)
    shuffled = events.sample(frac=1.0, random_state=rnd.randint(0, 1000))  # type: ignore[attr-defined]
    out = bk.funnel_from_events(events, ORDER, entity="deal_id", time=None, lost="Lost")
    pd.testing.assert_frame_equal(
        out, bk.funnel_from_events(shuffled, ORDER, entity="deal_id", time=None, lost="Lost")
    )
    reached = out["reached"].to_numpy()
    for k in range(
        1, len(ORDER)
    ):  # every entity that entered a stage moved on, was lost or is open
        assert reached[k] + out["lost"].iloc[k] + out["open"].iloc[k] == reached[k - 1]
    assert out["lost"].sum() == current.count("Lost")
    closed = table[table["deal_stage"].isin(["Won", "Lost"])]
    if len(closed) == len(table):  # nothing open: both bases agree
        resolved = bk.funnel_from_events(
            events, ORDER, entity="deal_id", time=None, lost="Lost", basis="resolved"
        )
        pd.testing.assert_series_equal(out["rate"], resolved["rate"])


def test_lost_only_entities_enter_the_first_stage_without_a_time() -> None:
    events = pd.DataFrame(
        {
            "entity_id": ["a", "a", "b", "b", "c"],
            "stage": ["MQL", "SQL", "MQL", "SQL", "Lost"],
            "timestamp": [0.0, 4.0, 1.0, 3.0, 2.0],
        }
    )
    out = bk.funnel_from_events(events, ["MQL", "SQL"], lost="Lost")
    assert out["reached"].tolist() == [3, 2]
    assert out.loc["SQL", "lost"] == 1
    assert out.loc["MQL", "median_days"] == 3.0  # c has no MQL time: not counted


# -------------------------------------------------- contacts without an account


def test_unmapped_contacts_raise_or_drop() -> None:
    scores = pd.Series({"c1": 120.0, "c2": 70.0, "c3": 65.0, "c4": 90.0, "c5": 10.0})
    accounts = pd.Series({"c1": "A", "c2": "B", "c3": "B", "c4": None}, name="account_id")
    rule = bk.any_contact(at_least=100) | bk.contacts(at_least=60, count=2)
    with pytest.raises(bk.ValidationError, match="no account id"):
        bk.handover(scores, accounts, rule)
    out = bk.handover(scores, accounts, rule, unmapped="drop")
    # c4 has no account id, c5 is not in the map: both left out, and counted
    assert out.attrs["unmapped_contacts"] == 2
    assert out["total"].to_dict() == {"A": 120.0, "B": 135.0}
    assert out["handover"].tolist() == [True, True]
    rolled = bk.rollup(scores, accounts, unmapped="drop")
    assert rolled.attrs["unmapped_contacts"] == 2
    assert rolled["n_contacts"].sum() == 3
    assert bk.rollup(scores.iloc[:3], accounts.iloc[:3]).attrs["unmapped_contacts"] == 0
    history = pd.DataFrame({"d1": scores * 0.5, "d2": scores}, index=scores.index)
    first = bk.first_handover(history, accounts, rule, unmapped="drop")
    assert first.attrs["unmapped_contacts"] == 2
    assert first["first_handover"].to_dict() == {"A": "d2", "B": "d2"}
    with pytest.raises(bk.ValidationError, match="unmapped must be one of 'raise', 'drop'"):
        bk.rollup(scores, accounts, unmapped="ignore")  # type: ignore[arg-type]


# ---------------------------------------------------- sample size in BBM rates


def test_icp_rate_with_intervals() -> None:
    is_icp = pd.Series([True] * 150 + [False] * 250)
    table = bk.icp_rate(is_icp, ci=0.95)
    expected = bk.proportion_ci(150, 400)
    assert table.loc["all", "lower"] == pytest.approx(expected["lower"].iloc[0])
    assert table.loc["all", "upper"] == pytest.approx(expected["upper"].iloc[0])
    exact = bk.icp_rate(is_icp, ci=0.9, method="beta")  # statsmodels' name for Clopper-Pearson
    ours = bk.icp_rate(is_icp, ci=0.9, method="clopper_pearson")
    pd.testing.assert_frame_equal(exact, ours)
    with pytest.raises(bk.ValidationError, match=r"ci must be a finite number in \(0, 1\)"):
        bk.icp_rate(is_icp, ci=95)


def test_diagnose_balance_with_sample_sizes() -> None:
    source = ["seo"] * 40 + ["event"] * 1 + ["abm"] * 30
    icp = [True] * 6 + [False] * 34 + [True] + [True] * 27 + [False] * 3
    table = bk.icp_rate(pd.Series(icp), by=pd.Series(source), ci=0.95)
    point = bk.diagnose_balance(table, band=(0.2, 0.6))
    assert point["event"] == "quality_bias"  # one lead reads as a quality bias...
    sized = bk.diagnose_balance(table, band=(0.2, 0.6), min_n=10)
    assert sized["event"] == "insufficient_data"  # ...which is no evidence
    assert sized["seo"] == "quantity_bias"  # 6 / 40 = 0.15 < 0.2
    interval = bk.diagnose_balance(table, band=(0.2, 0.6), min_n=10, rule="interval")
    assert table.loc["seo", "upper"] > 0.2
    assert interval["seo"] == "balanced"  # its interval reaches into the band
    assert table.loc["abm", "lower"] > 0.6
    assert interval["abm"] == "quality_bias"  # 27 / 30, the whole interval above
    with pytest.raises(bk.ValidationError, match="need the counts and intervals"):
        bk.diagnose_balance(0.3, band=(0.2, 0.6), min_n=5)
    with pytest.raises(bk.ValidationError, match="column 'lower' is missing"):
        bk.diagnose_balance(bk.icp_rate(pd.Series(icp)), band=(0.2, 0.6), rule="interval")
    with pytest.raises(bk.ValidationError, match="rule must be one of"):
        bk.diagnose_balance(table, band=(0.2, 0.6), rule="strict")  # type: ignore[call-overload]
