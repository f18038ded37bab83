import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit import (
    AllOf,
    AnyOf,
    Not,
    Rule,
    ScoringModel,
    ValidationError,
    ValidationTypeError,
    any_contact,
    contacts,
    first_handover,
    handover,
    rollup,
    rule_from_dict,
    total,
)
from bbmkit._kernels import group_max, group_top_k_sum
from bbmkit.accounts import _Accounts
from tests import reference

ABM_RULE = any_contact(at_least=100) | contacts(at_least=60, count=3)


def _frame(accounts: dict[str, list[float]]) -> tuple[pd.Series, pd.Series]:
    scores, mapping = {}, {}
    for account, values in accounts.items():
        for i, v in enumerate(values):
            cid = f"{account}-{i}"
            scores[cid] = v
            mapping[cid] = account
    return pd.Series(scores, dtype=float), pd.Series(mapping, name="account_id", dtype=object)


# --------------------------------------------------------------------------
# the hand-worked handover table (one contact at 100, or several at about 60)


@pytest.mark.parametrize(
    ("values", "fired", "reason"),
    [
        ([100], True, "any contact >= 100"),
        ([60, 60, 60], True, "3 contacts >= 60"),
        ([60, 60], False, ""),
        ([59, 59, 59, 59], False, ""),
        ([100, 60, 60, 60], True, "any contact >= 100; 3 contacts >= 60"),
    ],
)
def test_domain_table(values: list[float], fired: bool, reason: str) -> None:
    scores, mapping = _frame({"X": values})
    result = handover(scores, mapping, ABM_RULE)
    assert result.loc["X", "handover"] == fired
    assert result.loc["X", "reason"] == reason


def test_domain_table_account_with_no_contacts() -> None:
    # an account with no contacts never appears in a rollup; the rule itself says "not yet"
    data = _Accounts(
        codes=np.array([], dtype=np.intp),
        ids=pd.Index(["empty"]),
        scores=np.array([], dtype=float),
        scored=np.array([], dtype=bool),
    )
    assert not ABM_RULE._evaluate(
        data, {id(leaf): i for i, leaf in enumerate(ABM_RULE.leaves())}
    ).fired[0]


def test_lead_level_handover_at_100() -> None:
    scores = pd.Series({"lead1": 100.0, "lead2": 99.9, "lead3": 250.0}, name="score")
    result = handover(scores, None, any_contact(at_least=100))
    assert result["handover"].to_dict() == {"lead1": True, "lead2": False, "lead3": True}
    assert result.loc["lead1", "reason"] == "any contact >= 100"
    assert result["n_contacts"].tolist() == [1, 1, 1]


def test_handover_frame_has_rollup_columns() -> None:
    scores, mapping = _frame({"A": [100, 10], "B": [60, 60, 60, 0]})
    result = handover(scores, mapping, ABM_RULE)
    assert list(result.columns) == [
        "n_contacts",
        "n_scored",
        "total",
        "max",
        "mean",
        "top3_total",
        "handover",
        "reason",
    ]
    assert result.index.name == "account_id"


# --------------------------------------------------------------------------
# rollup


def test_rollup_hand_worked() -> None:
    scores = pd.Series({"c1": 100.0, "c2": 40.0, "c3": 60.0, "c5": -10.0})
    mapping = pd.Series({"c1": "A", "c2": "A", "c3": "B", "c4": "B", "c5": "B"}, name="account")
    r = rollup(scores, mapping, top_k=2)
    assert r.index.tolist() == ["A", "B"]
    assert r["n_contacts"].tolist() == [2, 3]
    assert r["n_scored"].tolist() == [2, 2]
    assert r["total"].tolist() == [140.0, 50.0]
    assert r["max"].tolist() == [100.0, 60.0]
    assert r["mean"].tolist() == [70.0, 50.0 / 3]
    assert r["top2_total"].tolist() == [140.0, 60.0]  # B: 60 and the unscored 0


def test_top_k_none_leaves_the_top_k_column_out() -> None:
    scores = pd.Series({"c1": 100.0, "c2": 40.0, "c3": 60.0})
    mapping = pd.Series({"c1": "A", "c2": "A", "c3": "B", "c4": "B"}, name="account")
    full = handover(scores, mapping, ABM_RULE)
    lean = handover(scores, mapping, ABM_RULE, top_k=None)
    assert "top3_total" in full.columns
    assert "top3_total" not in lean.columns
    pd.testing.assert_frame_equal(lean, full.drop(columns="top3_total"))
    assert rollup(scores, mapping, top_k=None).columns.tolist() == [
        "n_contacts",
        "n_scored",
        "total",
        "max",
        "mean",
    ]


def test_reason_column_is_the_default_string_dtype() -> None:
    scores = pd.Series({"c1": 100.0, "c2": 40.0})
    result = handover(scores, pd.Series({"c1": "A", "c2": "B"}), ABM_RULE)
    assert result["reason"].dtype == pd.Series(["x"]).dtype
    assert result["reason"].tolist() == ["any contact >= 100", ""]
    empty = handover(pd.Series(dtype=float), None, ABM_RULE)
    assert empty.empty
    assert empty["reason"].dtype == pd.Series(["x"]).dtype


def test_role_weights() -> None:
    scores = pd.Series({"ceo": 50.0, "intern": 80.0, "cto": 40.0})
    mapping = pd.Series({"ceo": "A", "intern": "A", "cto": "A"})
    roles = pd.Series({"ceo": "decision_maker", "intern": "intern", "cto": "decision_maker"})
    weights = {"decision_maker": 2.0, "intern": 0.5}
    r = handover(scores, mapping, any_contact(at_least=100), roles=roles, role_weights=weights)
    assert r.loc["A", "total"] == 100 + 40 + 80
    assert r.loc["A", "reason"] == "any contact >= 100"
    with pytest.raises(ValidationError, match="role_weights go together"):
        rollup(scores, mapping, roles=roles)
    with pytest.raises(ValidationError, match="no weight in role_weights: 'intern'"):
        rollup(scores, mapping, roles=roles, role_weights={"decision_maker": 2})
    with pytest.raises(ValidationError, match="no role for contact 'cto'"):
        rollup(scores, mapping, roles=roles.drop("cto"), role_weights=weights)
    with pytest.raises(
        ValidationError, match=r"role_weights\['intern'\] must be a finite number >= 0"
    ):
        rollup(scores, mapping, roles=roles, role_weights={"decision_maker": 1, "intern": -1})


@pytest.mark.parametrize(
    ("scores", "mapping", "error", "message"),
    [
        (
            pd.Series({"c1": 1.0}),
            pd.Series(["A", "B"], index=["c1", "c1"]),
            ValidationError,
            r"accounts maps contact 'c1' to 2 accounts \('A', 'B'\)",
        ),
        (
            pd.Series({"c1": 1.0}),
            pd.Series(["A", "A"], index=["c1", "c1"]),
            ValidationError,
            "lists contact 'c1' more than once",
        ),
        (
            pd.Series({"c1": 1.0, "c9": 2.0}),
            pd.Series({"c1": "A"}),
            ValidationError,
            r"1 contact\(s\) that accounts does not map.*'c9'",
        ),
        (
            pd.Series({"c1": 1.0}),
            pd.Series({"c1": None}, dtype=object),
            ValidationError,
            "no account id",
        ),
        (
            pd.Series({"c1": np.nan}),
            pd.Series({"c1": "A"}),
            ValidationError,
            r"scores has 1 missing or infinite value\(s\) \(first at contact 'c1'\)",
        ),
        (
            pd.Series([1.0, 2.0], index=["c", "c"]),
            pd.Series({"c": "A"}),
            ValidationError,
            "scores has duplicated contact id 'c'",
        ),
        (
            pd.Series({"c1": "high"}),
            pd.Series({"c1": "A"}),
            ValidationTypeError,
            "scores must hold numbers",
        ),
        (
            {"c1": 1.0},
            pd.Series({"c1": "A"}),
            ValidationTypeError,
            "scores must be a pandas Series",
        ),
        (
            pd.Series({"c1": 1.0}),
            {"c1": "A"},
            ValidationTypeError,
            "accounts must be a pandas Series",
        ),
    ],
)
def test_rollup_invalid(
    scores: object, mapping: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        rollup(scores, mapping)  # type: ignore[arg-type]
    with pytest.raises(error, match=message):
        handover(scores, mapping, ABM_RULE)  # type: ignore[arg-type]


def test_empty_scores_and_bad_options() -> None:
    mapping = pd.Series({"c1": "A"})
    r = rollup(pd.Series(dtype=float), mapping)
    assert r.loc["A", "total"] == 0.0
    assert r.loc["A", "n_scored"] == 0
    assert rollup(pd.Series(dtype=float), None).empty
    with pytest.raises(ValidationError, match="top_k must be an integer >= 1"):
        rollup(pd.Series({"c1": 1.0}), mapping, top_k=0)
    with pytest.raises(ValidationTypeError, match="top_k"):
        rollup(pd.Series({"c1": 1.0}), mapping, top_k="3")  # type: ignore[arg-type]
    with pytest.raises(ValidationTypeError, match="rule must be a Rule"):
        handover(pd.Series({"c1": 1.0}), mapping, "any >= 100")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# rules: algebra, reasons, plain data


def test_composition_flattens_and_reads_well() -> None:
    a, b, c = any_contact(at_least=100), contacts(at_least=60, count=3), total(at_least=200)
    either = a | b | c
    assert isinstance(either, AnyOf)
    assert either.rules == (a, b, c)
    both = (a | b) & c
    assert isinstance(both, AllOf)
    assert (
        repr(both)
        == "(any_contact(at_least=100) | contacts(at_least=60, count=3)) & total(at_least=200)"
    )
    assert both.describe() == "(any contact >= 100 or 3 contacts >= 60) and total >= 200"
    assert isinstance(~c, Not)
    assert ~~c == c
    assert repr(~(a | b)) == "~(any_contact(at_least=100) | contacts(at_least=60, count=3))"
    assert contacts(at_least=50, count=1).describe() == "1 contact >= 50"
    with pytest.raises(ValidationTypeError, match=r"rules combine with \| only with rules"):
        a | 5  # type: ignore[operator]


def test_and_not_reasons() -> None:
    scores, mapping = _frame({"A": [100, 100, 10], "B": [100], "C": [10]})
    rule = any_contact(at_least=100) & total(at_least=150)
    r = handover(scores, mapping, rule)
    assert r["handover"].to_dict() == {"A": True, "B": False, "C": False}
    assert r.loc["A", "reason"] == "any contact >= 100; total >= 150"
    assert r.loc["B", "reason"] == ""
    r = handover(scores, mapping, ~any_contact(at_least=100))
    assert r["handover"].to_dict() == {"A": False, "B": False, "C": True}
    assert r.loc["C", "reason"] == "not any contact >= 100"


@pytest.mark.parametrize(
    "rule",
    [
        ABM_RULE,
        total(at_least=250.5),
        (ABM_RULE & total(at_least=10)) | ~contacts(at_least=1, count=9),
    ],
)
def test_rule_json_round_trip(rule: Rule) -> None:
    again = rule_from_dict(json.loads(json.dumps(rule.to_dict())))
    assert again == rule
    assert Rule.from_dict(rule.to_dict()) == rule


@pytest.mark.parametrize(
    ("doc", "error", "message"),
    [
        ({"kind": "all_contacts"}, ValidationError, "rule field 'kind' must be one of"),
        ({"kind": "total"}, ValidationError, r"rule is missing field\(s\) 'at_least'"),
        (
            {"kind": "total", "at_least": 1, "count": 2},
            ValidationError,
            r"rule has unknown field\(s\) 'count'",
        ),
        (
            {"kind": "contacts", "at_least": 60, "count": 0},
            ValidationError,
            "count must be an integer >= 1",
        ),
        (
            {"kind": "contacts", "at_least": 60, "count": 2.5},
            ValidationTypeError,
            "count must be an integer",
        ),
        (
            {"kind": "total", "at_least": "200"},
            ValidationTypeError,
            "at_least must be a real number",
        ),
        (
            {"kind": "any_of", "rules": [{"kind": "total", "at_least": 1}]},
            ValidationError,
            "at least two rules",
        ),
        (
            {"kind": "any_of", "rules": [{"kind": "total", "at_least": 1}, {"kind": "x"}]},
            ValidationError,
            r"rule.rules\[1\] field 'kind'",
        ),
        ({"kind": "any_of", "rules": "total"}, ValidationTypeError, "field 'rules' must be a list"),
        ({"kind": "not", "rule": 5}, ValidationTypeError, "rule.rule must be a mapping"),
        ("total", ValidationTypeError, "rule must be a mapping"),
    ],
)
def test_rule_from_dict_invalid(doc: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        rule_from_dict(doc)  # type: ignore[arg-type]


def test_invalid_leaves() -> None:
    with pytest.raises(ValidationError, match="at_least must be a finite number"):
        any_contact(at_least=float("nan"))
    with pytest.raises(ValidationTypeError, match="count must be an integer"):
        contacts(at_least=60, count=True)


# --------------------------------------------------------------------------
# first handover from a score history


def test_first_handover_from_history() -> None:
    events = pd.DataFrame(
        {
            "contact_id": ["a1", "a2", "a3", "a1", "b1"],
            "event_type": ["seminar", "seminar", "seminar", "seminar", "seminar"],
            "timestamp": [1.0, 2.0, 3.0, 5.0, 9.0],
        }
    )
    model = ScoringModel({"seminar": 60})
    history = model.history(events, [1, 2, 3, 4, 5, 9])
    mapping = pd.Series({"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B"})
    first = first_handover(history, mapping, ABM_RULE)
    assert first.loc["A", "first_handover"] == 3
    assert first.loc["A", "reason"] == "3 contacts >= 60"
    assert pd.isna(first.loc["B", "first_handover"])
    leads = first_handover(history, None, any_contact(at_least=100))
    assert leads.loc["a1", "first_handover"] == 5
    with pytest.raises(ValidationError, match="history has no dates"):
        first_handover(history.iloc[:, :0], mapping, ABM_RULE)


# --------------------------------------------------------------------------
# kernels and rollup against the references


@pytest.mark.parametrize("seed", range(20))
def test_top_k_kernel_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_groups = int(rng.integers(1, 40))
    codes = rng.integers(0, n_groups, int(rng.integers(0, 300)))
    values = rng.integers(-5, 5, codes.size).astype(float)  # many ties on purpose
    k = int(rng.integers(1, 5))
    before = values.copy()
    got = group_top_k_sum(codes, values, n_groups, k)
    np.testing.assert_array_equal(values, before)  # the kernel works on its own copy
    # with the group maximum handed in, the first pass is skipped and the answer is the same
    given_max = group_top_k_sum(codes, values, n_groups, k, best=group_max(codes, values, n_groups))
    np.testing.assert_array_equal(given_max, got)
    for g in range(n_groups):
        members = sorted(values[codes == g].tolist(), reverse=True)
        assert got[g] == sum(members[:k])


@pytest.mark.parametrize("seed", range(15))
def test_rollup_and_handover_match_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    contact_ids = [f"c{i}" for i in range(n)]
    mapping = pd.Series(rng.choice([f"A{j}" for j in range(max(1, n // 5))], n), index=contact_ids)
    scored = rng.random(n) < (0.8 if seed % 2 else 0.3)  # mostly scored, or mostly not
    scores = pd.Series(
        rng.choice([0, 30, 59, 60, 61, 99, 100, 140], n).astype(float), index=contact_ids
    )[scored]
    k = int(rng.integers(1, 5))
    result = handover(scores, mapping, ABM_RULE, top_k=k)
    expected = reference.rollup(scores.to_dict(), mapping.to_dict(), k)
    assert set(result.index) == set(expected)
    for account, row in expected.items():
        got = result.loc[account]
        assert got["n_contacts"] == row["n_contacts"]
        assert got["n_scored"] == row["n_scored"]
        assert got["total"] == pytest.approx(row["total"])
        assert got["max"] == row["max"]
        assert got["mean"] == pytest.approx(row["mean"])
        assert got[f"top{k}_total"] == pytest.approx(row["top"])
        members = [scores.get(c, 0.0) for c in mapping.index[mapping == account]]
        fired, reasons = reference.abm_handover(members)
        assert got["handover"] == fired
        assert got["reason"] == "; ".join(reasons)


# --------------------------------------------------------------------------
# properties

contact_scores = st.dictionaries(
    st.sampled_from([f"c{i}" for i in range(15)]),
    st.floats(-50, 200, allow_nan=False),
    max_size=15,
)
assignment = st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=15, max_size=15)


def _series(scores: dict[str, float], accounts: list[str]) -> tuple[pd.Series, pd.Series]:
    return pd.Series(scores, dtype=float), pd.Series(accounts, index=[f"c{i}" for i in range(15)])


@given(contact_scores, assignment)
def test_property_rollup_totals_equal_sum_of_scores(
    scores: dict[str, float], accounts: list[str]
) -> None:
    s, m = _series(scores, accounts)
    r = rollup(s, m)
    assert r["total"].sum() == pytest.approx(s.sum(), abs=1e-9)
    assert r["n_contacts"].sum() == len(m)  # no contact lost
    assert r["n_scored"].sum() == len(s)
    assert (r["max"] >= r["mean"] - 1e-9).all()


@given(
    contact_scores,
    assignment,
    st.dictionaries(st.sampled_from([f"c{i}" for i in range(15)]), st.floats(0, 100)),
)
def test_property_handover_monotone(
    scores: dict[str, float], accounts: list[str], extra: dict[str, float]
) -> None:
    s, m = _series(scores, accounts)
    rule = ABM_RULE | total(at_least=250)
    before = handover(s, m, rule)["handover"]
    more = s.add(pd.Series(extra, dtype=float), fill_value=0.0)
    after = handover(more, m, rule)["handover"]
    assert not (before & ~after).any()  # adding points never withdraws a handover


@given(contact_scores, assignment, st.randoms(use_true_random=False))
def test_property_independent_of_row_order_and_not_mutated(
    scores: dict[str, float], accounts: list[str], rnd: object
) -> None:
    s, m = _series(scores, accounts)
    s_copy, m_copy = s.copy(), m.copy()
    result = handover(s, m, ABM_RULE)
    pd.testing.assert_series_equal(s, s_copy)
    pd.testing.assert_series_equal(m, m_copy)
    order_s = list(range(len(s)))
    order_m = list(range(len(m)))
    rnd.shuffle(order_s)  # type: ignore[attr-defined]
    rnd.shuffle(order_m)  # type: ignore[attr-defined]
    shuffled = handover(s.iloc[order_s], m.iloc[order_m], ABM_RULE)
    pd.testing.assert_frame_equal(result, shuffled, rtol=1e-12)


@pytest.mark.parametrize("n_clauses", [3, 16, 17, 62])
def test_reasons_with_many_clauses(n_clauses: int) -> None:
    # clause i fires for accounts whose total is >= 10 * i; reasons list them in order
    rule = total(at_least=0)
    for i in range(1, n_clauses):
        rule = rule | total(at_least=10 * i)
    scores = pd.Series({"a": 5.0, "b": 25.0, "c": 10.0 * n_clauses})
    result = handover(scores, None, rule)
    assert result.loc["a", "reason"] == "total >= 0"
    assert result.loc["b", "reason"] == "total >= 0; total >= 10; total >= 20"
    assert result.loc["c", "reason"].count(";") == n_clauses - 1
    if n_clauses == 62:  # one more is refused when the rule is built, not at each handover
        with pytest.raises(ValidationError, match="rule has 63 clauses; at most 62"):
            rule | total(at_least=1.5)
