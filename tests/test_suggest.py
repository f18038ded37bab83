import numpy as np
import pandas as pd
import pytest

from bbmkit import (
    ICPProfile,
    ProfileSuggestion,
    ValidationError,
    ValidationTypeError,
    suggest_profile,
)


@pytest.fixture
def customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "industry": ["software"] * 3 + ["retail"] * 5,
            "employees": [300, 500, 800, 20, 40, 5000, 60, 30],
            "ltv": [90, 80, 70, 10, 20, 30, 15, 25],
        }
    )


def test_hand_worked(customers: pd.DataFrame) -> None:
    # top 25 % of 8 = the 2 customers with ltv 90 and 80 (software, 300 and 500 staff)
    s = suggest_profile(customers, value="ltv", coverage=1.0)
    assert isinstance(s, ProfileSuggestion)
    assert s.n_top == 2
    assert s.cutoff == 80
    industry, employees = s.profile.criteria
    assert industry.kind == "one_of"
    assert industry.values == ("software",)  # type: ignore[attr-defined]
    assert industry.weight == round(1.0 / (3 / 8), 2)
    assert (employees.low, employees.high) == (300, 500)  # type: ignore[attr-defined]
    assert employees.weight == 4.0  # matches 2 of 8 overall, both top customers
    ev = s.evidence
    assert list(ev.index) == ["industry", "employees"]
    assert ev.loc["industry", "top_share"] == 1.0
    assert ev.loc["industry", "base_share"] == 0.375
    assert ev["selected"].all()


def test_ties_at_cutoff_are_all_top() -> None:
    frame = pd.DataFrame({"seg": ["a", "a", "a", "b"], "v": [5, 5, 5, 1]})
    s = suggest_profile(frame, value="v", top=0.25)
    assert s.n_top == 3
    assert s.profile.criteria[0].values == ("a",)  # type: ignore[attr-defined]


def test_unselected_rules_are_in_the_evidence(customers: pd.DataFrame) -> None:
    customers = customers.assign(noise=["x", "y"] * 4)
    s = suggest_profile(customers, value="ltv", min_lift=1.5)
    assert "noise" not in [c.column for c in s.profile.criteria]
    # x and y are equally common among the top 2 and overall: no category qualifies
    assert "noise" not in s.evidence.index or not s.evidence.loc["noise", "selected"]


def test_numeric_bounds_round_outwards() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(1000, 300, 400), "v": rng.random(400)})
    frame.loc[frame["v"] > 0.75, "x"] += 5000  # top customers are large
    s = suggest_profile(frame, value="v", coverage=0.9)
    crit = s.profile.criteria[0]
    assert crit.kind == "between"
    for bound in (crit.low, crit.high):  # type: ignore[attr-defined]
        assert float(f"{bound:.3g}") == bound
    top = frame.loc[frame["v"] >= s.cutoff, "x"]
    assert crit.match(top.to_frame()).mean() >= 0.9


def test_many_categories_and_other_kinds_are_skipped() -> None:
    frame = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(30)],
            "when": pd.date_range("2024-01-01", periods=30),
            "seg": ["a"] * 8 + ["b"] * 22,
            "v": list(range(30, 0, -1)),
        }
    )
    s = suggest_profile(frame, value="v", max_categories=5)
    assert list(s.evidence.index) == ["id", "when", "seg"]  # every examined column, and why
    assert s.evidence["selected"].tolist() == [False, False, True]
    assert "max_categories" in s.evidence.loc["id", "reason"]
    assert "not profile material" in s.evidence.loc["when", "reason"]
    assert s.evidence.loc["seg", "reason"] == "kept"


def test_suggested_profile_is_usable(customers: pd.DataFrame) -> None:
    s = suggest_profile(customers, value="ltv")
    fit = s.profile.fit(customers)
    assert fit.iloc[0] == 1.0
    assert ICPProfile.from_dict(s.profile.to_dict()) == s.profile


def test_input_not_mutated(customers: pd.DataFrame) -> None:
    before = customers.copy()
    suggest_profile(customers, value="ltv")
    pd.testing.assert_frame_equal(customers, before)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"value": "revenue"}, ValidationError, "column 'revenue' is missing from customers"),
        ({"value": "industry"}, ValidationTypeError, "column 'industry' must be numeric"),
        ({"value": "ltv", "top": 0}, ValidationError, r"top must be a finite number in \(0, 1\)"),
        ({"value": "ltv", "top": 1}, ValidationError, "top must be"),
        ({"value": "ltv", "min_lift": 1}, ValidationError, "min_lift must be a finite number > 1"),
        ({"value": "ltv", "coverage": 0}, ValidationError, "coverage must be"),
        ({"value": "ltv", "max_categories": 0}, ValidationError, "max_categories must be"),
        ({"value": "ltv", "threshold": 2}, ValidationError, "threshold must be"),
        ({"value": "ltv", "columns": ["size"]}, ValidationError, "column 'size' is missing"),
        (
            {"value": "ltv", "columns": ["ltv"]},
            ValidationError,
            "must not include the value column",
        ),
        ({"value": "ltv", "min_lift": 100}, ValidationError, "no column separates the top 2"),
    ],
)
def test_invalid(
    customers: pd.DataFrame, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        suggest_profile(customers, **kwargs)  # type: ignore[arg-type]


def test_invalid_frames(customers: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match=r"column 'ltv' has 1 missing value\(s\)"):
        suggest_profile(customers.assign(ltv=[1.0, np.nan] + [2.0] * 6), value="ltv")
    with pytest.raises(ValidationError, match="at least 2 rows"):
        suggest_profile(customers.iloc[:1], value="ltv")
    with pytest.raises(ValidationError, match="at least 2 rows"):
        suggest_profile(customers.iloc[:0], value="ltv")
    with pytest.raises(ValidationTypeError, match="customers must be a pandas DataFrame"):
        suggest_profile([1, 2], value="ltv")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# outcome mode


def _leads(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    seconds = rng.exponential(200, n)
    source = rng.choice(["ads", "seminar", "referral"], n, p=[0.6, 0.3, 0.1]).astype(object)
    source[:3] = "billboard"  # three leads, all converted below
    frame = pd.DataFrame({"seconds": seconds, "source": source, "noise": rng.normal(size=n)})
    p = np.where(seconds >= 500, 0.5, 0.08) * np.where(source == "referral", 2.0, 1.0)
    won = pd.Series(rng.random(n) < np.minimum(p, 1.0), name="won")
    won.iloc[:3] = True
    return frame, won


def test_outcome_mode_finds_one_sided_numeric_rules_and_ignores_thin_categories() -> None:
    frame, won = _leads()
    s = suggest_profile(frame, outcome=won)
    rules = {c.column: c for c in s.profile.criteria}
    assert rules["seconds"].kind == "at_least"
    assert 300 <= rules["seconds"].value <= 700  # near the true 500
    assert rules["source"].values == ("referral",)  # "billboard" has 3 rows: no evidence
    assert "min_count" in s.evidence.loc["source", "reason"]
    assert not s.evidence.loc["noise", "selected"]
    assert s.n_top == int(won.sum())
    assert np.isnan(s.cutoff)
    # the outcome as a column, and with a smaller min_count the thin category returns
    s2 = suggest_profile(frame.assign(won=won), outcome="won", min_count=3)
    assert "billboard" in s2.profile.criteria[1].values
    # the profile ranks held-out leads better than the value-style central range
    from bbmkit import roc_auc

    test_frame, test_won = _leads(seed=1)
    assert roc_auc(s.profile.fit(test_frame), test_won) > 0.6


def test_outcome_mode_invalid() -> None:
    frame, won = _leads(200)
    with pytest.raises(ValidationError, match="exactly one"):
        suggest_profile(frame)
    with pytest.raises(ValidationError, match="exactly one"):
        suggest_profile(frame.assign(v=1.0), value="v", outcome=won)
    with pytest.raises(ValidationError, match="both won and lost"):
        suggest_profile(frame, outcome=pd.Series(True, index=frame.index))
    with pytest.raises(ValidationError, match="different indexes"):
        suggest_profile(frame, outcome=won.set_axis(won.index + 1))
    with pytest.raises(ValidationError, match="min_count"):
        suggest_profile(frame, outcome=won, min_count=0)
