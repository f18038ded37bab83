import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit import ValidationError, ValidationTypeError, diagnose_balance, icp_rate
from tests import reference

COLUMNS = ["icp", "non_icp", "total", "icp_rate"]

# --------------------------------------------------------------------------
# icp_rate: hand-worked


def test_domain_example_400_leads_150_icp() -> None:
    result = icp_rate(pd.Series([True] * 150 + [False] * 250))
    assert list(result.columns) == COLUMNS
    assert list(result.index) == ["all"]
    row = result.loc["all"]
    assert (row["icp"], row["non_icp"], row["total"]) == (150, 250, 400)
    assert row["icp_rate"] == 0.375
    assert result["icp"].dtype == np.int64
    assert result["total"].dtype == np.int64


def test_by_group_with_zero_icp_and_missing_label() -> None:
    is_icp = pd.Series([True, False, True, False, False, True], name="is_icp")
    stage = pd.Series(["MQL", "MQL", "SQL", "ML", None, None], name="stage")
    result = icp_rate(is_icp, by=stage)
    assert result.index.name == "stage"
    assert list(result.index[:3]) == ["ML", "MQL", "SQL"]
    assert pd.isna(result.index[3])
    assert result.index[4] == "all"
    assert result["icp"].tolist() == [0, 1, 1, 1, 3]
    assert result["total"].tolist() == [1, 2, 1, 2, 6]
    assert result["icp_rate"].tolist() == [0.0, 0.5, 1.0, 0.5, 0.5]


def test_categorical_by_keeps_category_order() -> None:
    stages = pd.Categorical(
        ["SQL", "ML", "MQL", "ML"], categories=["ML", "MQL", "SQL"], ordered=True
    )
    result = icp_rate(np.array([True, False, True, True]), by=stages)
    assert list(result.index) == ["ML", "MQL", "SQL", "all"]
    assert result["icp"].tolist() == [1, 1, 1, 3]


def test_accepts_arrays_lists_and_01() -> None:
    expected = icp_rate(pd.Series([True, False, True]), by=["a", "b", "a"])
    pd.testing.assert_frame_equal(icp_rate([1, 0, 1], by=np.array(["a", "b", "a"])), expected)
    pd.testing.assert_frame_equal(
        icp_rate(
            pd.Series([True, False, True], dtype="boolean"),
            by=pd.Index(["a", "b", "a"]),
        ),
        expected,
    )
    pd.testing.assert_frame_equal(
        icp_rate(pd.Series([True, False, True], dtype=object), by=["a", "b", "a"]),
        expected,
    )


def test_numeric_labels_sort_numerically() -> None:
    result = icp_rate([True, True, False], by=[10, 2, 10])
    assert list(result.index) == [2, 10, "all"]


def test_input_not_mutated() -> None:
    is_icp = pd.Series([True, False, None], dtype=object).iloc[:2]
    by = pd.Series(["x", None])
    before = (is_icp.copy(), by.copy())
    icp_rate(is_icp, by=by)
    pd.testing.assert_series_equal(is_icp, before[0])
    pd.testing.assert_series_equal(by, before[1])


# --------------------------------------------------------------------------
# icp_rate: invalid input


@pytest.mark.parametrize(
    ("is_icp", "by", "error", "message"),
    [
        (pd.Series([], dtype=bool), None, ValidationError, "is_icp is empty"),
        (
            pd.Series([True, None], dtype=object),
            None,
            ValidationError,
            r"1 missing value\(s\) \(first at index 1\)",
        ),
        (pd.Series([True, np.nan]), None, ValidationError, "missing value"),
        (pd.Series([0, 2, 1]), None, ValidationError, "must be boolean .* got 2"),
        (pd.Series([0.5, 1.0]), None, ValidationError, "got 0.5"),
        (pd.Series(["yes", "no"]), None, ValidationTypeError, "must be boolean"),
        (pd.DataFrame({"a": [True]}), None, ValidationTypeError, "one-dimensional"),
        (
            [True, False],
            ["a"],
            ValidationError,
            r"one label per row of is_icp \(2\), got 1",
        ),
        (
            [True, False],
            "stage",
            ValidationTypeError,
            r"by must be labels aligned with is_icp .* pass frame\[.stage.\] here",
        ),
        (
            [True, False],
            pd.DataFrame({"a": [1, 2]}),
            ValidationTypeError,
            "by must be one-dimensional",
        ),
        (
            [True, False],
            ["all", "x"],
            ValidationError,
            "label 'all', which names the total row",
        ),
        (
            pd.Series([True, False], index=[1, 2]),
            pd.Series(["a", "b"], index=[2, 3]),
            ValidationError,
            "is_icp and by are Series with different indexes",
        ),
    ],
)
def test_icp_rate_invalid(is_icp: object, by: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        icp_rate(is_icp, by=by)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# icp_rate: reference and properties


@pytest.mark.parametrize("seed", range(10))
def test_icp_rate_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 500))
    flags = rng.random(n) < rng.random()
    labels = rng.choice(np.array(["seo", "ads", "seminar", "abm", None], dtype=object), n)
    result = icp_rate(flags, by=labels)
    expected = reference.group_counts(labels.tolist(), flags.tolist())
    for key, (icp, total) in expected.items():
        row = result.loc[[pd.isna(i) for i in result.index]] if key is None else result.loc[[key]]
        assert row["icp"].item() == icp
        assert row["total"].item() == total
        assert row["icp_rate"].item() == pytest.approx(icp / total, rel=1e-15)
    assert len(result) == len(expected) + 1


labels_strategy = st.one_of(
    st.sampled_from(["a", "b", "c", "all_x"]), st.none(), st.integers(0, 3).map(str)
)


@given(st.lists(st.tuples(st.booleans(), labels_strategy), min_size=1, max_size=60))
def test_property_groups_reconcile_with_all(
    rows: list[tuple[bool, str | None]],
) -> None:
    flags = pd.Series([r[0] for r in rows])
    labels = pd.Series([r[1] for r in rows], dtype=object)
    result = icp_rate(flags, by=labels)
    groups, total_row = result.iloc[:-1], result.loc["all"]
    for column in ("icp", "non_icp", "total"):
        assert groups[column].sum() == total_row[column]
    assert total_row["total"] == len(rows)  # no row lost
    assert ((result["icp_rate"] >= 0) & (result["icp_rate"] <= 1)).all()
    assert (result["icp"] + result["non_icp"] == result["total"]).all()


@given(
    st.lists(st.tuples(st.booleans(), labels_strategy), min_size=1, max_size=60),
    st.randoms(use_true_random=False),
)
def test_property_independent_of_row_order(
    rows: list[tuple[bool, str | None]], rnd: object
) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]

    def run(rs: list[tuple[bool, str | None]]) -> pd.DataFrame:
        return icp_rate([r[0] for r in rs], by=pd.Series([r[1] for r in rs], dtype=object))

    pd.testing.assert_frame_equal(run(rows), run(shuffled))


# --------------------------------------------------------------------------
# diagnose_balance


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (0.0, "quantity_bias"),
        (0.375, "quantity_bias"),
        (0.4, "balanced"),
        (0.55, "balanced"),
        (0.7, "balanced"),
        (0.71, "quality_bias"),
        (1.0, "quality_bias"),
        (1, "quality_bias"),
    ],
)
def test_diagnose_scalar(rate: float, expected: str) -> None:
    assert diagnose_balance(rate, band=(0.4, 0.7)) == expected


def test_diagnose_series_and_frame_keep_index() -> None:
    table = icp_rate(
        [True, False, False, True, True, True],
        by=["seo", "seo", "seo", "abm", "abm", "ads"],
    )
    diagnosis = diagnose_balance(table, band=(0.4, 0.7))
    assert diagnosis.name == "diagnosis"
    assert diagnosis.to_dict() == {
        "abm": "quality_bias",
        "ads": "quality_bias",
        "seo": "quantity_bias",
        "all": "balanced",
    }
    series_result = diagnose_balance(table["icp_rate"], band=(0.4, 0.7))
    pd.testing.assert_series_equal(series_result, diagnosis)
    assert diagnose_balance(np.array([0.1, 0.5]), band=(0.2, 0.6)).tolist() == [
        "quantity_bias",
        "balanced",
    ]


def test_degenerate_band_is_allowed() -> None:
    assert diagnose_balance(0.5, band=(0.5, 0.5)) == "balanced"


@pytest.mark.parametrize(
    ("rate", "band", "error", "message"),
    [
        (
            0.5,
            (0.7, 0.4),
            ValidationError,
            r"band low must be <= high, got \(0.7, 0.4\)",
        ),
        (0.5, (0.4,), ValidationError, "band must be a .* got 1 values"),
        (0.5, 0.4, ValidationTypeError, "band must be a"),
        (
            0.5,
            (-0.1, 0.5),
            ValidationError,
            r"band low must be a finite number in \[0, 1\], got -0.1",
        ),
        (0.5, (0.1, 1.5), ValidationError, "band high must be"),
        (0.5, (0.1, float("nan")), ValidationError, "band high must be"),
        (
            1.2,
            (0.1, 0.5),
            ValidationError,
            r"icp_rate must be a finite number in \[0, 1\], got 1.2",
        ),
        (-0.2, (0.1, 0.5), ValidationError, "icp_rate must be"),
        (math.nan, (0.1, 0.5), ValidationError, "icp_rate must be"),
        ("0.5", (0.1, 0.5), ValidationTypeError, "icp_rate must be a real number"),
        (
            pd.Series({"seo": 0.2, "ads": 1.5}),
            (0.1, 0.5),
            ValidationError,
            "got 1.5 at index 'ads'",
        ),
        (
            pd.Series({"seo": 0.2, "ads": np.nan}),
            (0.1, 0.5),
            ValidationError,
            "got nan at index 'ads'",
        ),
        (
            pd.Series(["a"]),
            (0.1, 0.5),
            ValidationTypeError,
            "icp_rate must hold numbers",
        ),
        (
            pd.DataFrame({"rate": [0.1]}),
            (0.1, 0.5),
            ValidationError,
            "column 'icp_rate' is missing",
        ),
    ],
)
def test_diagnose_invalid(rate: object, band: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        diagnose_balance(rate, band=band)  # type: ignore[call-overload]


@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=30),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_property_diagnosis_partitions(rates: list[float], a: float, b: float) -> None:
    low, high = min(a, b), max(a, b)
    result = diagnose_balance(pd.Series(rates), band=(low, high))
    for rate, label in zip(rates, result, strict=True):
        assert label == diagnose_balance(rate, band=(low, high))
        assert (label == "quantity_bias") == (rate < low)
        assert (label == "quality_bias") == (rate > high)


def test_categorical_by_with_missing_and_unobserved_categories() -> None:
    stages = pd.Series(
        pd.Categorical(["SQL", None, "ML", "SQL"], categories=["ML", "MQL", "SQL", "C"]),
        name="stage",
    )
    result = icp_rate([True, False, False, True], by=stages)
    # unobserved categories (MQL, C) have no row; missing labels come before "all"
    assert list(result.index[:2]) == ["ML", "SQL"]
    assert pd.isna(result.index[2])
    assert result["total"].tolist() == [1, 2, 1, 4]
    assert result["icp"].tolist() == [0, 2, 0, 2]
    object_labels = icp_rate([True, False, False, True], by=stages.astype(object))
    assert object_labels["total"].tolist() == [1, 2, 1, 4]


@pytest.mark.parametrize("seed", range(5))
def test_categorical_fast_path_matches_generic_path(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.choice(np.array(["a", "b", "c", None], dtype=object), 300)
    flags = rng.random(300) < 0.4
    as_text = icp_rate(flags, by=pd.Series(labels, dtype=object))
    as_cat = icp_rate(flags, by=pd.Series(pd.Categorical(labels, categories=["a", "b", "c"])))
    pd.testing.assert_frame_equal(as_cat, as_text)
