import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from bbmkit import ValidationError, ValidationTypeError, icp_rate
from bbmkit.datasets import (
    EVENT_TYPES,
    PROGRAMMES,
    STAGES,
    DemoData,
    demo_profile,
    load_demo,
    make_demo,
)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return load_demo()


def test_shapes_and_keys(demo: DemoData) -> None:
    assert len(demo.accounts) == 400
    assert len(demo.contacts) == 3000
    assert len(demo.events) > 20_000
    assert demo.accounts["account_id"].is_unique
    assert demo.contacts["contact_id"].is_unique
    assert demo.deals["deal_id"].is_unique
    assert demo.deals["account_id"].is_unique  # one opportunity per account
    assert demo.contacts["account_id"].isin(demo.accounts["account_id"]).all()
    assert demo.events["contact_id"].isin(demo.contacts["contact_id"]).all()
    assert demo.deals["account_id"].isin(demo.accounts["account_id"]).all()


def test_dtypes(demo: DemoData) -> None:
    assert list(demo.contacts["stage"].cat.categories) == list(STAGES)
    assert demo.contacts["stage"].cat.ordered
    assert set(demo.contacts["programme"].cat.categories) == set(PROGRAMMES)
    assert set(demo.events["event_type"].unique()) <= set(EVENT_TYPES)
    assert demo.events["timestamp"].dtype == "datetime64[ns]"
    assert demo.accounts["employees"].dtype == "Int64"
    assert demo.accounts["employees"].isna().any()  # CRM gaps exist on purpose
    assert demo.deals["won"].dtype == bool


def test_six_months_of_events_after_creation(demo: DemoData) -> None:
    events = demo.events.merge(demo.contacts[["contact_id", "created_at"]], on="contact_id")
    assert (events["timestamp"] >= events["created_at"].dt.floor("min")).all()
    assert events["timestamp"].min() >= pd.Timestamp("2026-04-01")
    assert events["timestamp"].max() <= pd.Timestamp("2026-09-30 23:59:59")
    assert (demo.deals["closed_at"] >= demo.deals["opened_at"]).all()


def test_customers_are_won_accounts(demo: DemoData) -> None:
    won = set(demo.deals.loc[demo.deals["won"], "account_id"])
    customers = demo.contacts.loc[demo.contacts["stage"] == "C", "account_id"]
    assert set(customers) <= won


def test_icp_is_genuinely_better(demo: DemoData) -> None:
    profile = demo_profile()
    leads = demo.leads()
    by_stage = icp_rate(profile.is_icp(leads), by=leads["stage"])
    # ICP leads are over-represented among customers
    assert by_stage.at["C", "icp_rate"] > by_stage.at["all", "icp_rate"] + 0.2
    by_programme = icp_rate(profile.is_icp(leads), by=leads["programme"])
    assert by_programme.at["abm_play", "icp_rate"] > by_programme.at["paid_ads", "icp_rate"]
    deals = demo.deals.merge(
        demo.accounts.assign(icp=profile.is_icp(demo.accounts).to_numpy()), on="account_id"
    )
    win = deals.groupby("icp")["won"].mean()
    assert win[True] > win[False]


def test_leads_join(demo: DemoData) -> None:
    leads = demo.leads()
    assert len(leads) == len(demo.contacts)
    assert leads.index.is_unique
    assert {"industry", "employees", "region", "programme", "stage"} <= set(leads.columns)


def test_generator_is_deterministic_and_sized() -> None:
    a = make_demo(seed=7, n_accounts=30, n_contacts=200)
    b = make_demo(seed=7, n_accounts=30, n_contacts=200)
    c = make_demo(seed=8, n_accounts=30, n_contacts=200)
    for name in ("accounts", "contacts", "events", "deals"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.contacts.equals(c.contacts)
    assert len(a.accounts) == 30
    assert len(a.contacts) == 200


def test_shipped_files_match_the_generator(demo: DemoData) -> None:
    meta = json.loads((resources.files("bbmkit.datasets") / "data" / "metadata.json").read_text())
    if meta["numpy"].split(".")[:2] != np.__version__.split(".")[:2]:
        pytest.skip(
            f"data made with numpy {meta['numpy']}; numpy {np.__version__} may draw other streams"
        )
    fresh = make_demo(seed=meta["seed"])
    for name in meta["tables"]:
        pd.testing.assert_frame_equal(getattr(demo, name), getattr(fresh, name))


def test_repr(demo: DemoData) -> None:
    assert repr(demo).startswith("DemoData(accounts=400, contacts=3000, events=")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_accounts": 0}, ValidationError, "n_accounts must be an integer >= 1, got 0"),
        (
            {"n_contacts": 2.5},
            ValidationTypeError,
            r"n_contacts must be an integer, got 2.5 \(float\)",
        ),
        ({"seed": -1}, ValidationError, "seed must be an integer >= 0"),
        ({"seed": True}, ValidationTypeError, "seed must be an integer"),
    ],
)
def test_make_demo_invalid(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make_demo(**kwargs)  # type: ignore[arg-type]


def test_stage_events_agree_with_contacts(demo: DemoData) -> None:
    log = demo.stage_events
    assert list(log.columns) == ["contact_id", "stage", "timestamp"]
    furthest = log.groupby("contact_id", observed=True)["stage"].max()
    current = demo.contacts.set_index("contact_id")["stage"]
    assert (furthest.reindex(current.index) == current).all()  # the furthest stage is logged
    per_contact = log.sort_values(["contact_id", "stage"]).groupby("contact_id", observed=True)[
        "timestamp"
    ]
    assert (per_contact.diff().dropna() >= pd.Timedelta(0)).all()  # stages entered in order
    assert log["timestamp"].max() <= pd.Timestamp("2026-09-30 23:59:59")
    expected_entries = (demo.contacts["stage"].cat.codes + 1).sum()
    assert 0.85 * expected_entries < len(log) < expected_entries  # some entries are missing
