import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit import (
    ValidationError,
    ValidationTypeError,
    abm_kpis,
    assign_tiers,
    nps,
    prioritize,
    priority_contributions,
    rank_stability,
    scorecard,
    swap_weights,
)
from tests import reference

WEIGHTS = {"icp_fit": 0.4, "opportunity": 0.3, "history": 0.2, "relationship": 0.1}
SCALES = {"icp_fit": 100, "opportunity": 10, "history": 10, "relationship": 10}


@pytest.fixture
def accounts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["Alpha", "Beta", "Gamma"],
            "icp_fit": [60, 80, 90],
            "opportunity": [5, 4, 8],
            "history": [8, 2, 6],
            "relationship": [3, 6, 7],
        },
        index=pd.Index(["A", "B", "C"], name="account"),
    )


def test_domain_example(accounts: pd.DataFrame) -> None:
    result = prioritize(accounts, WEIGHTS, scales=SCALES)
    assert list(result.index) == ["C", "A", "B"]
    assert result["priority"].round(12).to_dict() == {"C": 0.79, "A": 0.58, "B": 0.54}
    assert result["rank"].tolist() == [1, 2, 3]
    assert list(result.columns) == [*accounts.columns, "priority", "rank"]
    assert result.loc["C", "name"] == "Gamma"  # other columns ride along


def test_contributions_sum_to_priority(accounts: pd.DataFrame) -> None:
    parts = priority_contributions(accounts, WEIGHTS, scales=SCALES)
    assert list(parts.index) == ["A", "B", "C"]
    assert parts.loc["C"].round(12).to_dict() == {
        "icp_fit": 0.36,
        "opportunity": 0.24,
        "history": 0.12,
        "relationship": 0.07,
    }
    pd.testing.assert_series_equal(
        parts.sum(axis=1),
        prioritize(accounts, WEIGHTS, scales=SCALES)["priority"].reindex(parts.index),
        check_names=False,
    )


def test_ties_keep_input_order() -> None:
    tied = pd.DataFrame({"x": [0.5, 0.9, 0.5, 0.9]}, index=["p", "q", "r", "s"])
    result = prioritize(tied, {"x": 1})
    assert list(result.index) == ["q", "s", "p", "r"]
    assert result["rank"].tolist() == [1, 2, 3, 4]


def test_tiers(accounts: pd.DataFrame) -> None:
    ranked = prioritize(accounts, WEIGHTS, scales=SCALES)
    assert assign_tiers(ranked["priority"], cutoffs=(0.7, 0.55)).to_dict() == {
        "C": 1,
        "A": 2,
        "B": 3,
    }
    assert assign_tiers(ranked["priority"], top=(1, 2)).to_dict() == {"C": 1, "A": 2, "B": 3}
    assert assign_tiers(ranked["priority"], top=(5,)).tolist() == [1, 1, 1]
    with pytest.raises(ValidationError, match="give cutoffs or top"):
        assign_tiers(ranked["priority"])
    with pytest.raises(ValidationError, match="strictly decreasing"):
        assign_tiers(ranked["priority"], cutoffs=(0.4, 0.7))
    with pytest.raises(ValidationError, match="strictly increasing"):
        assign_tiers(ranked["priority"], top=(10, 5))
    with pytest.raises(ValidationError, match=r"priority must be in \[0, 1\]"):
        assign_tiers(pd.Series([1.5]), top=(1,))


def test_rank_stability_grid_and_dirichlet(accounts: pd.DataFrame) -> None:
    grid = rank_stability(accounts, WEIGHTS, scales=SCALES, top=1)
    assert len(grid.weights) == 3**4
    np.testing.assert_allclose(grid.weights.sum(axis=1), 1.0)
    table = grid.table
    assert list(table.index) == ["C", "A", "B"]
    assert (table["best_rank"] <= table["rank"]).all()
    assert (table["rank"] <= table["worst_rank"]).all()
    assert table.loc["C", "share_top"] == 1.0
    # A (0.58) and B (0.54) are close: some weight sets swap them
    assert table.loc["A", "worst_rank"] == 3
    assert table.loc["B", "best_rank"] == 2
    d1 = rank_stability(accounts, WEIGHTS, scales=SCALES, method="dirichlet", n_samples=500, seed=3)
    d2 = rank_stability(accounts, WEIGHTS, scales=SCALES, method="dirichlet", n_samples=500, seed=3)
    pd.testing.assert_frame_equal(d1.table, d2.table)  # seeded
    assert len(d1.weights) == 500


def test_rank_stability_matches_reference() -> None:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.uniform(0, 10, (40, 3)), columns=["a", "b", "c"])
    weights = {"a": 0.5, "b": 0.3, "c": 0.2}
    result = rank_stability(frame, weights, scales={"a": 10, "b": 10, "c": 10}, spread=0.3)
    rows = frame.to_dict("records")
    all_ranks = []
    for factors in result.weights.to_numpy():
        w = dict(zip("abc", factors.tolist(), strict=True))
        all_ranks.append(
            reference.ranks(reference.priorities(rows, w, {"a": 10, "b": 10, "c": 10}))
        )
    all_ranks_arr = np.array(all_ranks)
    table = result.table.reindex(frame.index)
    assert table["best_rank"].tolist() == all_ranks_arr.min(axis=0).tolist()
    assert table["worst_rank"].tolist() == all_ranks_arr.max(axis=0).tolist()


def test_swap_weights_ties_the_pair(accounts: pd.DataFrame) -> None:
    table = swap_weights(accounts, WEIGHTS, "A", "B", scales=SCALES)
    assert set(table.index) == set(WEIGHTS)
    for item, row in table.dropna().iterrows():
        new = dict(WEIGHTS, **{item: row["new_weight"]})
        p = prioritize(accounts, new, scales=SCALES)["priority"]
        assert p["A"] == pytest.approx(p["B"], abs=1e-12)
    assert table["change"].abs().dropna().is_monotonic_increasing
    with pytest.raises(ValidationError, match="first account 'Z' is not in accounts"):
        swap_weights(accounts, WEIGHTS, "Z", "B", scales=SCALES)
    with pytest.raises(ValidationError, match="must be different"):
        swap_weights(accounts, WEIGHTS, "A", "A", scales=SCALES)


@pytest.mark.parametrize(
    ("weights", "scales", "error", "message"),
    [
        ({"size": 1.0}, None, ValidationError, r"column 'size' is missing from accounts"),
        (
            {"icp_fit": -1.0},
            {"icp_fit": 100},
            ValidationError,
            r"weights\['icp_fit'\] must be a finite number >= 0",
        ),
        ({"icp_fit": float("nan")}, {"icp_fit": 100}, ValidationError, "weights"),
        ({"icp_fit": 0.0, "opportunity": 0}, SCALES, ValidationError, "weights are all zero"),
        (
            {"icp_fit": 1.0},
            None,
            ValidationError,
            r"column 'icp_fit' must be in \[0, 1\] \(its scale\), got 60.0 for account 'A'",
        ),
        ({"opportunity": 1.0}, {"opportunity": 4}, ValidationError, r"must be in \[0, 4\]"),
        (
            {"icp_fit": 1.0},
            {"icp_fit": 0},
            ValidationError,
            r"scales\['icp_fit'\] must be a finite number > 0",
        ),
        ({"icp_fit": 1.0}, {"icp_fit": 100, "nps": 10}, ValidationError, "scales names column"),
        ({"name": 1.0}, None, ValidationTypeError, "column 'name' must be numeric"),
        ({}, None, ValidationTypeError, "weights must be a non-empty mapping"),
        ({"icp_fit": "0.4"}, SCALES, ValidationTypeError, "must be a real number"),
    ],
)
def test_invalid(
    accounts: pd.DataFrame,
    weights: dict[str, object],
    scales: object,
    error: type[Exception],
    message: str,
) -> None:
    for call in (prioritize, priority_contributions):
        with pytest.raises(error, match=message):
            call(accounts, weights, scales=scales)  # type: ignore[operator]


def test_invalid_frames(accounts: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="duplicated account id 'A'"):
        prioritize(pd.concat([accounts, accounts.iloc[:1]]), WEIGHTS, scales=SCALES)
    with pytest.raises(ValidationError, match="got nan for account 'B'"):
        prioritize(accounts.assign(history=[1.0, np.nan, 2.0]), WEIGHTS, scales=SCALES)
    with pytest.raises(ValidationError, match=r"got -1\.0"):
        prioritize(accounts.assign(history=[1, -1, 2]), WEIGHTS, scales=SCALES)
    with pytest.raises(ValidationTypeError, match="accounts must be a pandas DataFrame"):
        prioritize([1, 2], WEIGHTS)  # type: ignore[arg-type]
    assert prioritize(accounts.iloc[:0], WEIGHTS, scales=SCALES).empty
    with pytest.raises(ValidationError, match="use method='dirichlet'"):
        rank_stability(
            pd.DataFrame({c: [0.5] for c in "abcdefghi"}), dict.fromkeys("abcdefghi", 1.0)
        )
    with pytest.raises(ValidationError, match="method must be one of"):
        rank_stability(accounts, WEIGHTS, scales=SCALES, method="bootstrap")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# properties

frames = st.integers(1, 20).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0, 100), min_size=n, max_size=n),
        st.lists(st.floats(0, 10), min_size=n, max_size=n),
        st.lists(st.floats(0, 10), min_size=n, max_size=n),
    )
)
weight_sets = st.tuples(st.floats(0, 10), st.floats(0, 10), st.floats(0, 10)).filter(
    lambda w: sum(w) > 1e-6
)


def _frame(cols: tuple[list[float], list[float], list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"fit": cols[0], "opp": cols[1], "hist": cols[2]},
        index=[f"a{i}" for i in range(len(cols[0]))],
    )


@given(frames, weight_sets, st.floats(0.01, 100))
def test_property_priority_in_unit_interval_scale_invariant_ranks_permutation(
    cols: tuple[list[float], list[float], list[float]], w: tuple[float, float, float], factor: float
) -> None:
    frame = _frame(cols)
    scales = {"fit": 100, "opp": 10, "hist": 10}
    weights = dict(zip(["fit", "opp", "hist"], w, strict=True))
    result = prioritize(frame, weights, scales=scales)
    assert ((result["priority"] >= 0) & (result["priority"] <= 1)).all()
    assert sorted(result["rank"]) == list(range(1, len(frame) + 1))
    assert len(result) == len(frame)  # no account lost
    scaled = prioritize(frame, {k: v * factor for k, v in weights.items()}, scales=scales)
    np.testing.assert_allclose(scaled["priority"], result["priority"], rtol=1e-9, atol=1e-12)
    assert list(scaled.index) == list(result.index)  # same ranking
    expected = reference.priorities(frame.to_dict("records"), weights, scales)
    np.testing.assert_allclose(
        result["priority"].reindex(frame.index), expected, rtol=1e-9, atol=1e-12
    )


def test_account_table_from_profile_and_scores() -> None:
    from bbmkit import ICPProfile, account_table, at_least, one_of

    accounts = pd.DataFrame(
        {"industry": ["software", "retail", "software"], "employees": [500, 50, 20]},
        index=pd.Index(["A", "B", "C"], name="account_id"),
    )
    profile = ICPProfile([one_of("industry", ["software"], weight=3), at_least("employees", 100)])
    scores = pd.Series({"c1": 80.0, "c2": 30.0, "c3": 10.0})
    contacts = pd.Series({"c1": "A", "c2": "A", "c3": "C", "c4": "C"})
    table = account_table(accounts, profile=profile, scores=scores, contacts=contacts)
    assert table["icp_fit"].tolist() == [100.0, 0.0, 75.0]
    assert table["engagement"].tolist() == [110.0, 0.0, 10.0]
    assert table["engaged_contacts"].tolist() == [2, 0, 1]
    unit = account_table(accounts, profile=profile, fit_scale="unit")
    assert unit["icp_fit"].tolist() == [1.0, 0.0, 0.75]
    assert "icp_fit" not in accounts.columns  # input not mutated
    ranked = prioritize(
        table, {"icp_fit": 0.6, "engagement": 0.4}, scales={"icp_fit": 100, "engagement": 110}
    )
    assert list(ranked.index) == ["A", "C", "B"]
    with pytest.raises(ValidationError, match="scores and contacts go together"):
        account_table(accounts, scores=scores)
    with pytest.raises(ValidationError, match=r"1 account\(s\) not in accounts \(first: 'Z'\)"):
        account_table(accounts, scores=scores, contacts=contacts.replace({"C": "Z"}))
    from bbmkit import ScoringModel

    events = pd.DataFrame(
        {
            "contact_id": ["c1", "c2", "c3"],
            "event_type": ["demo", "visit", "visit"],
            "timestamp": [0.0, 0.0, 0.0],
        }
    )
    model = ScoringModel({"demo": 80, "visit": 15})
    from_log = account_table(accounts, model=model, events=events, contacts=contacts)
    assert from_log["engagement"].tolist() == [95.0, 0.0, 15.0]
    with pytest.raises(ValidationError, match="model and events go together"):
        account_table(accounts, model=model, contacts=contacts)
    with pytest.raises(ValidationError, match="not both"):
        account_table(accounts, model=model, events=events, scores=scores, contacts=contacts)
    with pytest.raises(ValidationError, match="fit_scale must be"):
        account_table(accounts, profile=profile, fit_scale="ratio")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# scorecard


@pytest.fixture
def people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_id": ["a1", "a2", "a3", "b1", "b2"],
            "account_id": ["A", "A", "A", "B", "B"],
            "role": ["decision_maker", "user", "user", "user", "intern"],
            "referred_by": [None, "a1", "b1", None, "a1"],  # a3 and b2 referred across accounts
        }
    )


@pytest.fixture
def log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_id": ["a1", "a1", "a2", "b1", "b1", "a3"],
            "timestamp": pd.to_datetime(
                ["2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", "2026-07-01"]
            ),
            "channel": ["web", "seminar", "web", "email", "email", "web"],
            "minutes": [3.0, 120.0, 5.0, 0.5, 0.5, 10.0],
            "content_id": ["wp1", None, "wp1", None, "wp2", "wp3"],
        }
    )


def test_scorecard_hand_worked(people: pd.DataFrame, log: pd.DataFrame) -> None:
    card = scorecard(
        people, log, target_contacts=4, end="2026-06-30", content=["wp1", "wp2", "wp3", "wp4"]
    )
    assert list(card.index) == ["A", "B"]
    assert card["n_contacts"].tolist() == [3, 2]
    assert card["engaged_contacts"].tolist() == [2, 1]  # a3's event is after the window
    assert card["coverage"].tolist() == [0.5, 0.25]
    assert card["awareness"].tolist() == [0.25, 0.25]  # A: wp1 (twice); B: wp2
    assert card["touches"].tolist() == [3, 2]
    assert card["engagement_minutes"].tolist() == [128.0, 1.0]
    # channels in use: email, seminar, web (all seen in the log)
    assert card["reach"].round(12).tolist() == [round(2 / 3, 12), round(1 / 3, 12)]
    assert card["touches_email"].tolist() == [0, 2]
    assert card["touches_web"].tolist() == [2, 0]
    assert card["referrals"].tolist() == [1, 0]  # only a2 was referred within its own account
    assert card["influence"].tolist() == [1 / 3, 0.0]


def test_scorecard_roles_and_options(people: pd.DataFrame, log: pd.DataFrame) -> None:
    card = scorecard(people, log, required_roles=["decision_maker", "user"])
    assert card["coverage"].tolist() == [1.0, 0.5]
    per_account = pd.Series({"A": 2, "B": 1})
    assert scorecard(people, log, target_contacts=per_account)["coverage"].tolist() == [1.0, 1.0]
    lean = scorecard(
        people, log, minutes=None, content_column=None, referred_by=None, channels=["web", "fax"]
    )
    assert "awareness" not in lean.columns
    assert "influence" not in lean.columns
    assert lean["reach"].tolist() == [0.5, 0.0]
    assert list(lean.columns[-2:]) == ["touches_web", "touches_fax"]


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "message"),
    [
        ("unknown_contact", {}, ValidationError, "events has contact 'zz' that is not in contacts"),
        ("duplicate", {}, ValidationError, "contacts lists contact 'a1' more than once"),
        ("no_channel", {}, ValidationError, "column 'channel' is missing from events"),
        ("text_time", {}, ValidationTypeError, "must hold datetimes"),
        ("negative_minutes", {}, ValidationError, "must hold non-negative numbers"),
        (None, {"target_contacts": 0}, ValidationError, "target_contacts must be an integer >= 1"),
        (
            None,
            {"target_contacts": pd.Series({"A": 2})},
            ValidationError,
            "no value for account 'B'",
        ),
        (None, {"required_roles": []}, ValidationError, "required_roles must not be empty"),
    ],
)
def test_scorecard_invalid(
    people: pd.DataFrame,
    log: pd.DataFrame,
    change: str | None,
    kwargs: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    if change == "unknown_contact":
        log = log.assign(contact_id=["a1", "a1", "a2", "b1", "b1", "zz"])
    elif change == "duplicate":
        people = pd.concat([people, people.iloc[:1]])
    elif change == "no_channel":
        log = log.drop(columns="channel")
    elif change == "text_time":
        log = log.assign(timestamp=log["timestamp"].astype(str))
    elif change == "negative_minutes":
        log = log.assign(minutes=[-1.0, 1, 1, 1, 1, 1])
    with pytest.raises(error, match=message):
        scorecard(people, log, **kwargs)  # type: ignore[arg-type]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a1", "a2", "a3", "b1", "b2"]),
            st.sampled_from(["web", "email", "seminar"]),
            st.sampled_from(["wp1", "wp2", None]),
        ),
        max_size=30,
    ),
    st.integers(1, 5),
)
def test_property_scorecard_shares_in_unit_interval(
    rows: list[tuple[str, str, str | None]], target: int
) -> None:
    people = pd.DataFrame(
        {
            "contact_id": ["a1", "a2", "a3", "b1", "b2"],
            "account_id": ["A", "A", "A", "B", "B"],
            "referred_by": [None, "a1", "a2", None, "b1"],
        }
    )
    log = pd.DataFrame(
        {
            "contact_id": [r[0] for r in rows],
            "timestamp": pd.to_datetime(["2026-05-01"] * len(rows)),
            "channel": pd.Series([r[1] for r in rows], dtype=object),
            "minutes": [1.0] * len(rows),
            "content_id": pd.Series([r[2] for r in rows], dtype=object),
        }
    )
    card = scorecard(
        people,
        log,
        target_contacts=target,
        content=["wp1", "wp2"],
        channels=["web", "email", "seminar"],
    )
    for column in ("coverage", "awareness", "reach", "influence"):
        assert ((card[column] >= 0) & (card[column] <= 1)).all(), column
    assert card["touches"].sum() == len(rows)  # every event counted once


@pytest.mark.parametrize("seed", range(10))
def test_scorecard_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_contacts = int(rng.integers(1, 60))
    ids = [f"c{i}" for i in range(n_contacts)]
    accounts_of = [f"A{j}" for j in rng.integers(0, max(1, n_contacts // 4), n_contacts)]
    referred = [
        ids[j] if rng.random() < 0.3 else None for j in rng.integers(0, n_contacts, n_contacts)
    ]
    n_events = int(rng.integers(0, 200))
    channels, content = ["web", "email", "seminar"], ["wp1", "wp2", "wp3"]
    events = list(
        zip(
            rng.choice(ids, n_events).tolist(),
            rng.choice([*channels, "fax"], n_events).tolist(),
            rng.uniform(0, 30, n_events).round(1).tolist(),
            [c if rng.random() < 0.5 else None for c in rng.choice(content, n_events).tolist()],
            strict=True,
        )
    )
    people = pd.DataFrame({"contact_id": ids, "account_id": accounts_of, "referred_by": referred})
    log = pd.DataFrame(events, columns=["contact_id", "channel", "minutes", "content_id"]).assign(
        timestamp=pd.Timestamp("2026-05-01")
    )
    target = int(rng.integers(1, 6))
    card = scorecard(people, log, target_contacts=target, channels=channels, content=content)
    expected = reference.scorecard(
        list(zip(ids, accounts_of, referred, strict=True)),
        events,
        target=target,
        channels=channels,
        content=content,
    )
    assert list(card.index) == sorted(expected)
    for account, row in expected.items():
        for column, value in row.items():
            assert card.loc[account, column] == pytest.approx(value, abs=1e-9), (account, column)


# --------------------------------------------------------------------------
# NPS and KPIs


def test_nps() -> None:
    result = nps(pd.Series([10, 9, 8, 7, 6, 0]), by=pd.Series(["q1", "q1", "q1", "q2", "q2", "q2"]))
    assert result.loc["q1", "nps"] == pytest.approx(100 * 2 / 3)
    assert result.loc["q2", "nps"] == pytest.approx(-100 * 2 / 3)
    assert result.loc["all", "nps"] == 0.0
    assert result.loc["all", ["promoters", "passives", "detractors"]].tolist() == [2, 2, 2]
    for bad, message in (
        ([11], "from 0 to 10, got 11"),
        ([-1], "got -1"),
        ([7.5], "got 7.5"),
        ([np.nan], "got nan"),
        ([], "empty"),
    ):
        with pytest.raises(ValidationError, match=message):
            nps(pd.Series(bad, dtype=float))


def test_abm_kpis_on_demo_data() -> None:
    from bbmkit.datasets import load_demo

    demo = load_demo()
    targets = demo.accounts.loc[demo.accounts["is_target"], "account_id"].tolist()
    kpis = abm_kpis(
        targets,
        contacts=demo.contacts,
        deals=demo.deals,
        events=demo.events,
        surveys=demo.surveys,
        period="Q",
    )
    assert list(kpis.columns) == ["period", "metric", "value"]
    assert set(kpis["metric"]) == {
        "new_contacts",
        "deals",
        "contracts",
        "sales_cycle_days",
        "cross_up_sell_amount",
        "engagement_rate",
        "nps",
    }
    new = kpis.loc[kpis["metric"] == "new_contacts", "value"].sum()
    assert new == demo.contacts["account_id"].isin(targets).sum()  # no contact lost
    rate = kpis.loc[kpis["metric"] == "engagement_rate", "value"]
    assert ((rate >= 0) & (rate <= 1)).all()
    won = demo.deals[demo.deals["won"] & demo.deals["account_id"].isin(targets)]
    assert kpis.loc[kpis["metric"] == "contracts", "value"].sum() == len(won)
    assert ((kpis.loc[kpis["metric"] == "nps", "value"]).between(-100, 100)).all()


def test_abm_kpis_invalid() -> None:
    with pytest.raises(ValidationError, match="give at least one of"):
        abm_kpis(["A"])
    with pytest.raises(ValidationError, match="targets must not be empty"):
        abm_kpis([], deals=pd.DataFrame())
    with pytest.raises(ValidationTypeError, match="targets must be a list"):
        abm_kpis("A", deals=pd.DataFrame())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="engagement_rate needs contacts"):
        abm_kpis(["A"], events=pd.DataFrame({"contact_id": [], "timestamp": []}))
    with pytest.raises(ValidationError, match="column 'won' is missing from deals"):
        abm_kpis(
            ["A"],
            deals=pd.DataFrame(
                {"account_id": ["A"], "opened_at": [1], "closed_at": [2], "deal_value": [1.0]}
            ),
        )
    deals = pd.DataFrame(
        {
            "account_id": ["A"],
            "opened_at": pd.to_datetime(["2026-01-01"]),
            "closed_at": pd.to_datetime(["2026-01-02"]),
            "won": [True],
            "deal_value": [1.0],
        }
    )
    with pytest.raises(ValidationError, match="is not a pandas period alias"):
        abm_kpis(["A"], deals=deals, period="fortnight")
    with pytest.raises(ValidationError, match=r"scores \(NPS answers\) must be whole numbers"):
        abm_kpis(
            ["A"],
            surveys=pd.DataFrame(
                {"account_id": ["A"], "answered_at": pd.to_datetime(["2026-01-01"]), "score": [12]}
            ),
        )


# --------------------------------------------------------------------------
# the fast ordering and row gathering behind prioritize


@pytest.mark.parametrize("n", [1, 2, 7, 1000, 20_011])
def test_descending_order_is_the_stable_sort_of_rounded_priorities(n: int) -> None:
    from bbmkit.abm import _descending_order

    rng = np.random.default_rng(n)
    # many exact ties, and near-ties that only rounding to 12 decimals merges
    p = rng.integers(0, 20, n) / 19.0
    p[rng.random(n) < 0.3] += 1e-14
    p = np.clip(p, 0.0, 1.0)
    expected = np.argsort(-np.round(p, 12), kind="stable")
    np.testing.assert_array_equal(_descending_order(p), expected)


def test_descending_order_falls_back_for_long_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    from bbmkit import abm

    monkeypatch.setattr(abm, "_KEY_BITS", 62)  # no room for the row bits: the stable argsort
    p = np.array([0.5, 1.0, 0.5, 0.0, 1.0])
    np.testing.assert_array_equal(abm._descending_order(p), [1, 4, 0, 2, 3])


def test_prioritize_keeps_every_column_and_dtype() -> None:
    accounts = pd.DataFrame(
        {
            "name": pd.Series(["x", "y", "z"], dtype="str"),
            "segment": pd.Categorical(["a", "b", "a"]),
            "icp_fit": [0.2, 0.9, 0.5],
            "deals": pd.array([1, None, 3], dtype="Int64"),
            "since": pd.to_datetime(["2024-01-01", "2025-01-01", "2026-01-01"]),
            "priority": [9.0, 9.0, 9.0],  # replaced in place, as assign would
        },
        index=pd.Index(["A", "B", "C"], name="account_id"),
    )
    before = accounts.copy(deep=True)
    got = prioritize(accounts, {"icp_fit": 1.0})
    expected = accounts.iloc[[1, 2, 0]].assign(priority=[0.9, 0.5, 0.2], rank=[1, 2, 3])
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(accounts, before)


@pytest.mark.parametrize("threads", ["1", "2"])
def test_take_rows_equals_numpy_take(monkeypatch: pytest.MonkeyPatch, threads: str) -> None:
    from bbmkit._kernels import parallel, take_rows

    monkeypatch.setattr(parallel, "MIN_ROWS", 8)
    monkeypatch.setenv("BBMKIT_NUM_THREADS", threads)
    rng = np.random.default_rng(3)
    order = rng.permutation(1001)
    for values in (
        rng.normal(size=1001),
        rng.integers(-5, 5, 1001),
        rng.random(1001) < 0.5,
        np.arange(1001).astype("datetime64[s]"),
    ):
        np.testing.assert_array_equal(take_rows(values, order), values[order])


@pytest.mark.parametrize(
    "bad",
    [np.nan, -5e-324, -0.5, np.nextafter(10.0, 11.0), np.inf],
    ids=["nan", "tiny-negative", "negative", "just-above-scale", "inf"],
)
def test_values_outside_their_scale_are_rejected_at_the_edges(bad: float) -> None:
    accounts = pd.DataFrame({"opportunity": [10.0, bad, 0.0]}, index=["A", "B", "C"])
    with pytest.raises(ValidationError, match=r"column 'opportunity' must be in \[0, 10\].*'B'"):
        prioritize(accounts, {"opportunity": 1.0}, scales={"opportunity": 10})
    # the bounds themselves are inside
    ok = prioritize(
        accounts.assign(opportunity=[10.0, 0.0, -0.0]),
        {"opportunity": 1.0},
        scales={"opportunity": 10},
    )
    assert ok["priority"].tolist() == [1.0, 0.0, 0.0]


# ------------------------------------------------------- normalisation by name


def test_scale_names_by_hand() -> None:
    from bbmkit import PriorityModel, prioritize

    accounts = pd.DataFrame(
        {"revenue": [1e6, 5e4, 2e5, 5e4], "fit": [0.9, 0.5, 0.7, 0.2]}, index=list("ABCD")
    )
    weights = {"revenue": 0.5, "fit": 0.5}

    def priority(scale: str) -> dict[str, float]:
        out = prioritize(accounts, weights, scales={"revenue": scale})["priority"]
        return {k: round(v, 10) for k, v in out.items()}

    # max: revenue / 1e6
    assert priority("max")["C"] == round(0.5 * 0.2 + 0.5 * 0.7, 10)
    # minmax: (2e5 - 5e4) / (1e6 - 5e4)
    assert priority("minmax")["C"] == round(0.5 * (1.5e5 / 9.5e5) + 0.35, 10)
    # rank: ranks 4, 1.5, 3, 1.5 -> (r - 1) / 3
    assert priority("rank") == {
        "A": round(0.5 + 0.45, 10),
        "C": round(0.5 * 2 / 3 + 0.35, 10),
        "B": round(0.5 * 0.5 / 3 + 0.25, 10),
        "D": round(0.5 * 0.5 / 3 + 0.1, 10),
    }
    # log: log1p(x) / log1p(1e6)
    assert priority("log")["B"] == round(0.5 * np.log1p(5e4) / np.log1p(1e6) + 0.25, 10)
    with pytest.raises(ValidationError, match="must be finite and >= 0 for scale 'log'"):
        prioritize(accounts.assign(revenue=[-1.0, 1, 2, 3]), weights, scales={"revenue": "log"})
    with pytest.raises(ValidationError, match="scales\\['revenue'\\] must be one of"):
        prioritize(accounts, weights, scales={"revenue": "sqrt"})
    with pytest.raises(ValidationError, match="must be in \\[0, 1\\]"):
        prioritize(accounts, weights)  # raw revenue needs a scale
    model = PriorityModel(weights, scales={"revenue": "rank"}, tiers=[0.7, 0.4])
    ranked = model.prioritize(accounts)
    assert ranked["tier"].tolist() == [1, 2, 3, 3]
    from bbmkit.serialize import from_json, to_json

    assert from_json(to_json(model)) == model
    assert hash(model) == hash(PriorityModel.from_dict(model.to_dict()))


@given(st.lists(st.floats(min_value=0, max_value=1e9), min_size=1, max_size=30))
def test_property_scale_names_stay_in_unit_interval_and_keep_order(values: list[float]) -> None:
    from bbmkit import prioritize

    accounts = pd.DataFrame({"x": values}, index=[f"a{i}" for i in range(len(values))])
    for scale in ("max", "minmax", "rank", "log"):
        out = prioritize(accounts, {"x": 1.0}, scales={"x": scale})
        p = out["priority"].reindex(accounts.index).to_numpy()
        assert ((p >= 0) & (p <= 1)).all()
        order = np.argsort(values, kind="stable")
        assert (np.diff(p[order]) >= -1e-12).all()  # a larger value never ranks lower


def test_priority_model_errors() -> None:
    from bbmkit import PriorityModel

    with pytest.raises(ValidationError, match="scales names column 'z', which has no weight"):
        PriorityModel({"x": 1}, scales={"z": 10})
    with pytest.raises(ValidationError, match="tiers must be strictly decreasing"):
        PriorityModel({"x": 1}, tiers=[0.4, 0.7])
    with pytest.raises(ValidationError, match="unknown field"):
        PriorityModel.from_dict({"weights": {"x": 1}, "tier": [0.5]})
    with pytest.raises(TypeError):
        PriorityModel({"x": 1}).weights["x"] = 2.0  # type: ignore[index]


def test_rank_stability_compares_scales_with_weights() -> None:
    from bbmkit import rank_stability

    rng = np.random.default_rng(0)
    accounts = pd.DataFrame(
        {"revenue": rng.pareto(1.2, 200) * 1e5, "fit": rng.random(200)},
        index=[f"A{i}" for i in range(200)],
    )
    result = rank_stability(
        accounts,
        {"revenue": 0.5, "fit": 0.5},
        scales={"revenue": "max"},
        scale_options=["max", "rank", "log"],
        top=10,
    )
    effects = result.effects
    assert effects.loc[("revenue", "max"), "top_kept"] == 1.0  # the given scale: no change
    assert effects.loc[("revenue", "max"), "max_rank_change"] == 0.0
    # a heavy tail: ranking it instead of dividing by the maximum reshuffles the top 10
    # far more than moving every weight by 20 % does
    assert (
        effects.loc[("revenue", "rank"), "top_kept"] < effects.loc[("weights", "grid"), "top_kept"]
    )
    with pytest.raises(ValidationError, match="scale_options must be one of"):
        rank_stability(
            accounts,
            {"revenue": 0.5, "fit": 0.5},
            scales={"revenue": "max"},
            scale_options=["cube"],
        )
