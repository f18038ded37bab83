import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit import (
    ValidationError,
    ValidationTypeError,
    concentration,
    icp_trend,
    ltv,
    ltv_comparison,
    portfolio,
    rebalance,
)
from tests import reference


@pytest.fixture
def measures() -> pd.DataFrame:
    # per 10,000 spent: ads 1000 leads (10 % ICP), seminar 200 (60 %), abm 500 (40 %)
    return pd.DataFrame(
        {
            "leads": [1000, 200, 500],
            "icp_leads": [100, 120, 200],
            "cost": [10_000.0, 10_000.0, 10_000.0],
            "opportunities_icp": [20, 30, 60],
            "opportunities_non_icp": [90, 10, 30],
            "wins_icp": [5, 12, 24],
            "wins_non_icp": [9, 2, 6],
            "revenue_icp": [50_000.0, 120_000.0, 300_000.0],
            "revenue_non_icp": [45_000.0, 10_000.0, 30_000.0],
        },
        index=pd.Index(["ads", "seminar", "abm"], name="measure"),
    )


def test_portfolio_hand_worked(measures: pd.DataFrame) -> None:
    table = portfolio(measures, band=(0.3, 0.7))
    assert list(table.index) == ["ads", "seminar", "abm", "all"]
    assert table["icp_rate"].tolist() == [0.1, 0.6, 0.4, 420 / 1700]
    assert table["diagnosis"].tolist() == ["quantity_bias", "balanced", "balanced", "quantity_bias"]
    assert table.loc["ads", "cost_per_icp_lead"] == 100.0
    assert table.loc["all", "cost_per_lead"] == 30_000 / 1700
    assert table.loc["abm", "win_rate_icp"] == 0.4
    assert table.loc["abm", "avg_deal_icp"] == 12_500.0
    assert table.loc["seminar", "romi"] == (130_000 - 10_000) / 10_000
    rate_only = portfolio(
        measures[["leads", "cost"]].assign(icp_rate=[0.1, 0.6, 0.4]), band=(0.3, 0.7)
    )
    assert rate_only["icp_leads"].tolist() == [100, 120, 200, 420]
    assert "romi" not in rate_only.columns


def test_rebalance_three_measures_by_hand(measures: pd.DataFrame) -> None:
    # ICP leads per 1,000 spent: ads 10, seminar 12, abm 20. With 15,000 at most per measure
    # the optimum fills abm then seminar: 300 + 180 = 480 ICP leads from 750 + 300 leads.
    plan = rebalance(measures, budget=30_000, band=(0.3, 0.7), max_spend=15_000)
    assert plan.plan["spend"].round(6).tolist() == [0.0, 15_000.0, 15_000.0]
    assert plan.totals["icp_leads"] == pytest.approx(480)
    assert plan.totals["icp_rate"] == pytest.approx(480 / 1050)
    assert set(plan.binding) == {"budget", "max_spend[seminar]", "max_spend[abm]"}
    # sales needs at least 2,000 leads: ads must come in. With x = ads spend, abm 15,000 and
    # seminar 15,000 - x: leads 1050 + 0.08 x >= 2000 -> x = 11,875
    more = rebalance(measures, budget=30_000, band=(0.2, 0.7), max_spend=15_000, min_leads=2000)
    assert more.plan.loc["ads", "spend"] == pytest.approx(11_875)
    assert "leads >= 2000" in more.binding
    by_revenue = rebalance(measures, budget=30_000, objective="revenue", max_spend=15_000)
    assert by_revenue.plan["spend"].round(6).tolist() == [0.0, 15_000.0, 15_000.0]
    assert by_revenue.totals["revenue"] == pytest.approx(1.5 * 130_000 + 1.5 * 330_000)


def test_rebalance_band_binds(measures: pd.DataFrame) -> None:
    # all in abm would give a 40 % ICP rate; a band up to 35 % forces some ads into the mix:
    # abm x, ads y: 0.02 x + 0.01 y = 0.35 (0.05 x + 0.1 y) -> x = 10 y; x + y = 30,000
    plan = rebalance(measures, budget=30_000, band=(0.0, 0.35))
    assert plan.totals["icp_rate"] == pytest.approx(0.35)
    assert "icp_rate <= 0.35" in plan.binding
    assert plan.plan.loc["abm", "spend"] == pytest.approx(300_000 / 11)
    assert plan.plan.loc["seminar", "spend"] == pytest.approx(0, abs=1e-6)


def test_rebalance_infeasible_names_the_constraint(measures: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match=r"cannot meet: leads >= 10000"):
        rebalance(measures, budget=30_000, min_leads=10_000)
    with pytest.raises(ValidationError, match=r"cannot meet: icp_rate >= 0.9; leads >= 100"):
        rebalance(measures, budget=30_000, band=(0.9, 1.0), min_leads=100)
    with pytest.raises(ValidationError, match="min_spend exceeds max_spend for measure 'ads'"):
        rebalance(measures, budget=30_000, min_spend={"ads": 5000}, max_spend={"ads": 1000})


@given(
    st.floats(1_000, 100_000),
    st.tuples(st.floats(0, 0.5), st.floats(0.5, 1)),
    st.one_of(st.none(), st.floats(0, 3000)),
    st.one_of(st.none(), st.floats(1000, 20000)),
)
def test_property_plan_respects_every_constraint(
    budget: float, band: tuple[float, float], min_leads: float | None, cap: float | None
) -> None:
    frame = pd.DataFrame(
        {
            "leads": [1000.0, 200.0, 500.0],
            "icp_leads": [100.0, 120.0, 200.0],
            "cost": [10_000.0] * 3,
        },
        index=["ads", "seminar", "abm"],
    )
    try:
        plan = rebalance(frame, budget=budget, band=band, min_leads=min_leads, max_spend=cap)
    except ValidationError as err:
        message = str(err)
        if "infeasible" not in message:
            raise
        return
    x = plan.plan["spend"].to_numpy()
    tol = 1e-6 * max(1.0, budget)
    assert x.sum() <= budget + tol
    assert (x >= -tol).all()
    if cap is not None:
        assert (x <= cap + tol).all()
    leads = plan.totals["leads"]
    if min_leads is not None:
        assert leads >= min_leads - 1e-6 * max(1.0, min_leads)
    if leads > 1e-9:
        assert band[0] - 1e-6 <= plan.totals["icp_rate"] <= band[1] + 1e-6


@pytest.mark.parametrize(
    ("frame", "error", "message"),
    [
        (
            pd.DataFrame({"leads": [-1], "icp_leads": [0], "cost": [1.0]}),
            ValidationError,
            "column 'leads' must be finite and >= 0, got -1.0",
        ),
        (
            pd.DataFrame({"leads": [10], "icp_leads": [0], "cost": [-5.0]}),
            ValidationError,
            "column 'cost' must be",
        ),
        (
            pd.DataFrame({"leads": [10], "icp_leads": [11], "cost": [5.0]}),
            ValidationError,
            r"ICP leads \(11.0\) exceed leads \(10.0\)",
        ),
        (
            pd.DataFrame({"leads": [10], "cost": [5.0]}),
            ValidationError,
            "needs column 'icp_leads' or 'icp_rate'",
        ),
        (
            pd.DataFrame({"leads": [], "icp_leads": [], "cost": []}),
            ValidationError,
            "measures is empty",
        ),
        (
            pd.DataFrame(
                {"leads": [1, 2], "icp_leads": [0, 0], "cost": [1.0, 1.0]}, index=["a", "a"]
            ),
            ValidationError,
            "duplicated measure 'a'",
        ),
    ],
)
def test_portfolio_invalid(frame: pd.DataFrame, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        portfolio(frame, band=(0.3, 0.7))


def test_portfolio_invalid_band_and_costs(measures: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="band low must be <= high"):
        portfolio(measures, band=(0.7, 0.3))
    with pytest.raises(ValidationError, match="cost must be > 0 to rebalance"):
        rebalance(measures.assign(cost=[0.0, 1.0, 1.0]), budget=10)
    with pytest.raises(ValidationError, match="objective must be"):
        rebalance(measures, budget=10, objective="profit")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# trend, concentration, LTV


def test_icp_trend_flags_shifts() -> None:
    flags = [*[1, 0, 1, 0], *[1, 1, 1, 0], *[1, 0, 0, 0]]  # three months of four leads
    periods = ["2026-01"] * 4 + ["2026-02"] * 4 + ["2026-03"] * 4
    trend = icp_trend(flags, periods, band=(0.3, 0.8), max_change=0.2)
    assert trend["icp_rate"].tolist() == [0.5, 0.75, 0.25]
    assert trend["change"].tolist()[1:] == [0.25, -0.5]
    assert trend["flag"].tolist() == [False, True, True]
    assert trend["diagnosis"].tolist() == ["balanced", "balanced", "quantity_bias"]
    with pytest.raises(ValidationError, match="period has missing labels"):
        icp_trend([1, 0], ["2026-01", None], band=(0.3, 0.8))


def test_concentration() -> None:
    c = concentration([50, 30, 10, 10], top=2)
    assert c.hhi == pytest.approx(0.25 + 0.09 + 0.01 + 0.01)
    assert c.top_share == 0.8
    assert c.n == 4
    assert concentration([5, 5, 5, 5]).hhi == pytest.approx(0.25)
    assert concentration([7]).hhi == 1.0
    for bad, message in (
        ([-1, 2], ">= 0"),
        ([0, 0], "at least one customer"),
        ([], "at least one customer"),
        ([np.nan], "finite"),
    ):
        with pytest.raises(ValidationError, match=message):
            concentration(bad)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50).filter(lambda xs: sum(xs) > 1e-3))
def test_property_hhi_bounds(revenue: list[float]) -> None:
    c = concentration(revenue)
    n = sum(1 for r in revenue if r > 0)
    assert 1 / n - 1e-12 <= c.hhi <= 1 + 1e-12
    assert c.hhi == pytest.approx(reference.hhi(revenue), rel=1e-9)


def test_ltv() -> None:
    orders = pd.DataFrame(
        {
            "account_id": ["A", "A", "B", "C", "C", "C"],
            "deal_value": [100.0, 300.0, 50.0, 10.0, 20.0, 30.0],
            "closed_at": pd.to_datetime(
                ["2024-01-01", "2025-01-01", "2024-06-01", "2024-01-01", "2024-06-01", "2026-01-01"]
            ),
        }
    )
    table = ltv(orders, lifetime_years=3, margin=0.5)  # observed 2 years (2024-01 to 2026-01)
    assert table.loc["A", "average_order"] == 200.0
    assert table.loc["A", "orders_per_year"] == pytest.approx(2 / (731 / 365.25))
    assert table.loc["C", "ltv"] == pytest.approx(0.5 * 20.0 * (3 / (731 / 365.25)) * 3)
    assert ltv(orders, churn=0.5, observed_years=1).loc["B", "ltv"] == 100.0
    with pytest.raises(ValidationError, match="give lifetime_years or churn"):
        ltv(orders)
    with pytest.raises(ValidationError, match="churn must be"):
        ltv(orders, churn=0)
    with pytest.raises(ValidationError, match="finite amounts"):
        ltv(orders.assign(deal_value=-1.0), churn=0.2)
    with pytest.raises(ValidationTypeError, match="must hold datetimes"):
        ltv(orders.assign(closed_at=1), churn=0.2)


def test_ltv_comparison() -> None:
    values = pd.Series({"A": 1600.0, "B": 200.0, "C": 900.0, "D": 100.0})
    icp = pd.Series({"D": False, "C": True, "B": False, "A": True})
    table = ltv_comparison(values, icp)
    assert table["customers"].tolist() == [2, 2]
    assert table.loc["icp", "mean"] == 1250.0
    assert table.loc["non_icp", "median"] == 150.0
    assert table.loc["icp", "ratio"] == 1250.0 / 150.0
    with pytest.raises(ValidationError, match="no value for customer 'D'"):
        ltv_comparison(values, icp.drop("D"))
    with pytest.raises(ValidationError, match="missing"):
        ltv_comparison(values.replace(100.0, np.nan), icp)
