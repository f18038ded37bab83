import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit import (
    ValidationError,
    ValidationTypeError,
    assign_tiers,
    prioritize,
    priority_contributions,
    rank_stability,
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
    with pytest.raises(ValidationError, match="fit_scale must be"):
        account_table(accounts, profile=profile, fit_scale="ratio")  # type: ignore[arg-type]
