import json

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bbmkit
from bbmkit import (
    ICPProfile,
    ValidationError,
    ValidationTypeError,
    at_least,
    at_most,
    between,
    equals,
    one_of,
)
from bbmkit._kernels import weighted_fit
from tests import reference

# --------------------------------------------------------------------------
# hand-worked examples


@pytest.fixture
def leads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "industry": ["software", "retail", "manufacturing", None],
            "employees": [250, 400, 5000, 120],
            "region": ["EMEA", "EMEA", "APAC", "EMEA"],
        },
        index=pd.Index(["a", "b", "c", "d"], name="lead_id"),
    )


@pytest.fixture
def profile() -> ICPProfile:
    # weights 3 : 1 : 1 -> shares 0.6, 0.2, 0.2
    return ICPProfile(
        [
            one_of("industry", ["software", "manufacturing"], weight=3),
            between("employees", 100, 1000),
            equals("region", "EMEA"),
        ],
        threshold=0.6,
    )


def test_fit_hand_worked(profile: ICPProfile, leads: pd.DataFrame) -> None:
    fit = profile.fit(leads)
    # a: all three; b: size + region; c: industry only; d: industry missing
    expected = pd.Series([1.0, 0.4, 0.6, 0.4], index=leads.index, name="icp_fit", dtype=float)
    pd.testing.assert_series_equal(fit, expected, rtol=0, atol=1e-15)


def test_is_icp_hand_worked(profile: ICPProfile, leads: pd.DataFrame) -> None:
    is_icp = profile.is_icp(leads)
    assert is_icp.name == "is_icp"
    assert is_icp.dtype == bool
    assert is_icp.index.equals(leads.index)
    assert is_icp.tolist() == [True, False, True, False]


def test_explain_hand_worked(profile: ICPProfile, leads: pd.DataFrame) -> None:
    explained = profile.explain(leads)
    assert list(explained.columns) == ["industry", "employees", "region"]
    assert explained.index.equals(leads.index)
    np.testing.assert_allclose(
        explained.to_numpy(),
        [[0.6, 0.2, 0.2], [0.0, 0.2, 0.2], [0.6, 0.0, 0.0], [0.0, 0.2, 0.2]],
        rtol=0,
        atol=1e-15,
    )
    pd.testing.assert_series_equal(explained.sum(axis=1), profile.fit(leads), check_names=False)


def test_threshold_survives_rounding() -> None:
    # 0.1 + 0.7 is 0.7999999999999999 in binary floating point
    p = ICPProfile(
        [
            equals("a", 1, weight=0.1),
            equals("b", 1, weight=0.2),
            equals("c", 1, weight=0.7),
        ],
        threshold=0.8,
    )
    frame = pd.DataFrame({"a": [1], "b": [0], "c": [1]})
    assert p.fit(frame).iloc[0] < 0.8
    assert p.is_icp(frame).iloc[0]


def test_threshold_is_inclusive_and_strict_below() -> None:
    p = ICPProfile([equals("a", 1), equals("b", 1)], threshold=0.5)
    frame = pd.DataFrame({"a": [1, 0, 1], "b": [0, 0, 1]})
    assert p.is_icp(frame).tolist() == [True, False, True]


# --------------------------------------------------------------------------
# criteria semantics


@pytest.mark.parametrize(
    ("closed", "expected"),
    [
        ("both", [False, True, True, True, False]),
        ("left", [False, True, True, False, False]),
        ("right", [False, False, True, True, False]),
        ("neither", [False, False, True, False, False]),
    ],
)
def test_between_closed(closed: str, expected: list[bool]) -> None:
    frame = pd.DataFrame({"x": [9, 10, 15, 20, 21]})
    crit = between("x", 10, 20, closed=closed)  # type: ignore[arg-type]
    assert crit.match(frame).tolist() == expected


def test_one_sided_between() -> None:
    frame = pd.DataFrame({"x": [1.0, 5.0, np.nan]})
    assert between("x", low=5).match(frame).tolist() == [False, True, False]
    assert between("x", high=1).match(frame).tolist() == [True, False, False]
    assert between("x", high=1, closed="neither").match(frame).tolist() == [False] * 3


def test_at_least_at_most() -> None:
    frame = pd.DataFrame({"x": [99, 100, 101]})
    assert at_least("x", 100).match(frame).tolist() == [False, True, True]
    assert at_most("x", 100).match(frame).tolist() == [True, True, False]


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["it", "retail", None, "it"], dtype=object),
        pd.Series(["it", "retail", None, "it"], dtype="string"),
        pd.Series(["it", "retail", None, "it"], dtype="category"),
    ],
    ids=["object", "string", "category"],
)
def test_one_of_text_dtypes_missing_never_matches(column: pd.Series) -> None:
    frame = pd.DataFrame({"industry": column})
    assert one_of("industry", ["it"]).match(frame).tolist() == [
        True,
        False,
        False,
        True,
    ]
    assert equals("industry", "retail").match(frame).tolist() == [
        False,
        True,
        False,
        False,
    ]


def test_nullable_numeric_missing_never_matches() -> None:
    frame = pd.DataFrame({"n": pd.array([5, None, 50], dtype="Int64")})
    assert at_least("n", 1).match(frame).tolist() == [True, False, True]
    assert at_most("n", 10).match(frame).tolist() == [True, False, False]
    assert one_of("n", [5, 6]).match(frame).tolist() == [True, False, False]
    assert equals("n", 50).match(frame).tolist() == [False, False, True]


def test_bool_and_numeric_categorical_columns() -> None:
    frame = pd.DataFrame(
        {
            "public": pd.array([True, None, False], dtype="boolean"),
            "tier": pd.Categorical([1, 2, None]),
        }
    )
    assert equals("public", True).match(frame).tolist() == [True, False, False]
    assert one_of("tier", [2]).match(frame).tolist() == [False, True, False]


def test_numpy_scalars_are_normalised() -> None:
    crit = one_of("x", np.array([1, 2]))
    assert crit.values == (1, 2)
    assert type(crit.values[0]) is int
    assert type(equals("x", np.float64(1.5)).value) is float


def test_reprs_read_like_calls() -> None:
    assert repr(at_least("employees", 100, weight=2)) == "at_least('employees', 100.0, weight=2.0)"
    assert repr(at_most("employees", 10)) == "at_most('employees', 10.0, weight=1.0)"
    assert (
        repr(between("e", high=5, name="small"))
        == "between('e', high=5.0, weight=1.0, name='small')"
    )
    assert repr(equals("region", "EMEA")) == "equals('region', 'EMEA', weight=1.0)"
    assert "one_of('industry', ['it'], weight=1.0)" in repr(
        ICPProfile([one_of("industry", ["it"])])
    )


def test_profile_is_frozen_and_evolves() -> None:
    p = ICPProfile([equals("a", 1)], threshold=0.5)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        p.threshold = 0.9  # type: ignore[misc]
    stricter = attrs.evolve(p, threshold=0.9)
    assert stricter.threshold == 0.9
    assert p.threshold == 0.5
    with pytest.raises(ValidationError, match="threshold"):
        attrs.evolve(p, threshold=2)


def test_weights_and_columns() -> None:
    p = ICPProfile([at_least("e", 10, weight=3, name="big"), at_most("e", 1000, name="not_huge")])
    assert p.columns == ("e",)
    assert p.weights.to_dict() == {"big": 0.75, "not_huge": 0.25}


def test_empty_frame_gives_empty_results(profile: ICPProfile, leads: pd.DataFrame) -> None:
    empty = leads.iloc[:0]
    assert profile.fit(empty).empty
    assert profile.is_icp(empty).dtype == bool
    assert list(profile.explain(empty).columns) == ["industry", "employees", "region"]


# --------------------------------------------------------------------------
# invalid input


def test_missing_column_is_named(profile: ICPProfile, leads: pd.DataFrame) -> None:
    with pytest.raises(
        ValidationError,
        match=r"column 'region' is missing from frame \(have: industry, employees\)",
    ):
        profile.fit(leads.drop(columns="region"))
    for method in (profile.is_icp, profile.explain):
        with pytest.raises(ValidationError, match="'region'"):
            method(leads.drop(columns="region"))


@pytest.mark.parametrize(
    ("weight", "error", "message"),
    [
        (
            0,
            ValidationError,
            r"weight must be a finite number > 0, got 0.0 for criterion 'x'",
        ),
        (-1, ValidationError, r"weight must be a finite number > 0, got -1.0"),
        (float("nan"), ValidationError, r"weight must be a finite number > 0, got nan"),
        (float("inf"), ValidationError, r"got inf"),
        ("2", ValidationTypeError, r"weight must be a real number, got '2' \(str\)"),
        (True, ValidationTypeError, r"weight must be a real number, got True"),
        (None, ValidationTypeError, r"got None"),
    ],
)
def test_bad_weight(weight: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        at_least("x", 1, weight=weight)  # type: ignore[arg-type]


def test_validation_type_error_is_both() -> None:
    with pytest.raises(TypeError):
        at_least("x", "1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="value must be a real number"):
        at_least("x", "1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: one_of("x", "it"), "got the string 'it'.*use equals"),
        (lambda: one_of("x", []), "values must not be empty"),
        (lambda: one_of("x", [float("nan")]), "values must not be nan"),
        (lambda: one_of("x", [object()]), "values must be a string, number or bool"),
        (lambda: one_of("x", 5), "values must be a list"),
        (lambda: equals("x", None), "value must be a string, number or bool"),
        (lambda: between("x"), "between needs low, high or both"),
        (lambda: between("x", 5, 1), r"low must be <= high, got low=5.0, high=1.0"),
        (lambda: between("x", 1, 1, closed="left"), "matches nothing"),
        (lambda: between("x", 1, 2, closed="open"), "closed must be one of"),
        (lambda: between("x", float("nan")), "low must be a finite number"),
        (lambda: at_most("x", float("inf")), "value must be a finite number"),
        (lambda: at_least("", 1), "column must be a non-empty string"),
        (lambda: at_least(3, 1), "column must be a non-empty string"),
        (lambda: at_least("x", 1, name=""), "name must be a non-empty string"),
    ],
)
def test_bad_criteria(make: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("criteria", "threshold", "message"),
    [
        ([], 0.5, "criteria must not be empty"),
        ([at_least("x", 1), at_most("x", 5)], 0.5, "'x' is used 2 times; pass name="),
        (["x"], 0.5, "criteria must hold criteria"),
        (at_least("x", 1), 0.5, "criteria must be a list"),
        (
            [at_least("x", 1)],
            1.5,
            r"threshold must be a finite number in \[0, 1\], got 1.5",
        ),
        ([at_least("x", 1)], -0.1, "threshold must be"),
        ([at_least("x", 1)], float("nan"), "threshold must be"),
    ],
)
def test_bad_profile(criteria: object, threshold: float, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ICPProfile(criteria, threshold=threshold)  # type: ignore[arg-type]


def test_type_mismatch_between_column_and_criterion() -> None:
    frame = pd.DataFrame({"employees": [10, 20], "industry": pd.Series(["a", "b"], dtype="string")})
    with pytest.raises(
        ValidationTypeError, match="needs a numeric column, column 'industry' has dtype"
    ):
        at_least("industry", 5).match(frame)
    with pytest.raises(ValidationTypeError, match=r"numeric column 'employees'.*with text '10'"):
        one_of("employees", ["10"]).match(frame)
    with pytest.raises(ValidationTypeError, match="text column 'industry' with non-text value 1"):
        equals("industry", 1).match(frame)
    dates = pd.DataFrame({"d": pd.to_datetime(["2024-01-01"])})
    with pytest.raises(ValidationTypeError, match="needs a numeric column"):
        between("d", 0, 1).match(dates)


def test_duplicated_column_is_ambiguous(profile: ICPProfile, leads: pd.DataFrame) -> None:
    doubled = pd.concat([leads, leads[["region"]]], axis=1)
    with pytest.raises(ValidationError, match="column 'region' appears 2 times in frame"):
        profile.fit(doubled)


def test_not_a_frame(profile: ICPProfile) -> None:
    with pytest.raises(
        ValidationTypeError,
        match=r"frame must be a pandas DataFrame \(or a polars DataFrame or pyarrow Table\), got dict",
    ):
        profile.fit({"industry": ["a"]})  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# plain data: JSON round trip and invalid documents


def test_json_round_trip(profile: ICPProfile) -> None:
    doc = json.dumps(profile.to_dict())
    again = ICPProfile.from_dict(json.loads(doc))
    assert again == profile
    assert again.to_dict() == profile.to_dict()


def test_round_trip_all_kinds() -> None:
    p = ICPProfile(
        [
            one_of("i", ["a", 1, True, 2.5]),
            equals("r", "EMEA", weight=0.5, name="emea"),
            between("e", 10, None, closed="neither"),
            at_least("s", 3),
            at_most("t", 4, weight=9),
        ],
        threshold=0.25,
    )
    assert ICPProfile.from_dict(json.loads(json.dumps(p.to_dict()))) == p


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"criteria": [], "extra": 1}, r"profile has unknown field\(s\) 'extra'"),
        ({"threshold": 0.5}, r"profile is missing field\(s\) 'criteria'"),
        ({"criteria": "x"}, "profile field 'criteria' must be a list"),
        (
            {"criteria": [{"kind": "regex", "column": "x"}]},
            r"criteria\[0\] field 'kind' must be one of",
        ),
        (
            {"criteria": [{"kind": "at_least", "column": "x"}]},
            r"criteria\[0\] is missing field\(s\) 'value'",
        ),
        (
            {"criteria": [{"kind": "at_least", "value": 1}]},
            r"criteria\[0\] is missing field\(s\) 'column'",
        ),
        (
            {"criteria": [{"kind": "at_least", "column": "x", "value": 1, "values": [1]}]},
            r"criteria\[0\] has unknown field\(s\) 'values'",
        ),
        (
            {"criteria": [{"kind": "at_least", "column": "x", "value": "1"}]},
            "value must be a real number",
        ),
        (
            {"criteria": [{"kind": "equals", "column": "x", "value": 1, "weight": -2}]},
            "weight must be",
        ),
        (
            {
                "criteria": [{"kind": "equals", "column": "x", "value": 1}],
                "threshold": "high",
            },
            "threshold",
        ),
        ({"criteria": [5]}, r"criteria\[0\] must be a mapping"),
        ([], "profile must be a mapping"),
    ],
)
def test_from_dict_rejects_bad_documents(doc: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ICPProfile.from_dict(doc)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# kernel against the slow reference, on seeded random frames


def _random_case(seed: int) -> tuple[pd.DataFrame, ICPProfile]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    cats = np.array(["a", "b", "c", "d"], dtype=object)
    text = cats[rng.integers(0, 4, n)]
    text[rng.random(n) < 0.1] = None
    num = rng.normal(50, 20, n).round(1)
    num[rng.random(n) < 0.1] = np.nan
    ints = rng.integers(0, 10, n)
    frame = pd.DataFrame(
        {
            "t": text,
            "c": pd.Categorical(text),
            "x": num,
            "k": ints,
        }
    )
    pool = [
        one_of(
            "t",
            list(rng.choice(cats, int(rng.integers(1, 4)), replace=False)),
            name="t1",
        ),
        equals("c", str(rng.choice(cats)), name="c1"),
        between(
            "x",
            30,
            70,
            closed=str(rng.choice(["both", "left", "right", "neither"])),
            name="x1",
        ),  # type: ignore[arg-type]
        at_least("x", float(rng.normal(50, 10)), name="x2"),
        at_most("k", int(rng.integers(0, 10)), name="k1"),
        one_of("k", [1, 3, 5], name="k2"),
        between("k", high=4, name="k3"),
    ]
    chosen = rng.choice(len(pool), int(rng.integers(1, len(pool) + 1)), replace=False)
    criteria = [attrs.evolve(pool[i], weight=float(rng.uniform(0.1, 5))) for i in sorted(chosen)]
    return frame, ICPProfile(criteria, threshold=float(rng.uniform()))


@pytest.mark.parametrize("seed", range(25))
def test_fit_matches_reference(seed: int) -> None:
    frame, profile = _random_case(seed)
    expected = reference.icp_fit(frame.to_dict("records"), [c.to_dict() for c in profile.criteria])
    np.testing.assert_allclose(profile.fit(frame).to_numpy(), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        profile.explain(frame).sum(axis=1).to_numpy(), expected, rtol=1e-12, atol=1e-15
    )


# --------------------------------------------------------------------------
# properties


@st.composite
def frames_and_profiles(draw: st.DrawFn) -> tuple[pd.DataFrame, ICPProfile]:
    n = draw(st.integers(0, 40))
    text = draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n, max_size=n))
    num = draw(
        st.lists(
            st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
            min_size=n,
            max_size=n,
        )
    )
    frame = pd.DataFrame(
        {"t": pd.Series(text, dtype=object), "x": pd.Series(num, dtype=float)},
        index=pd.Index(draw(st.permutations(range(n))), dtype="int64"),
    )
    weights = draw(st.lists(st.floats(1e-3, 1e3), min_size=4, max_size=4))
    low = draw(st.floats(-1e6, 1e6))
    criteria = [
        one_of(
            "t",
            draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, unique=True)),
            weight=weights[0],
        ),
        at_least("x", low, weight=weights[1]),
        at_most("x", low + draw(st.floats(0, 1e6)), weight=weights[2], name="x_max"),
        equals("t", "a", weight=weights[3], name="t_a"),
    ]
    k = draw(st.integers(1, 4))
    return frame, ICPProfile(criteria[:k], threshold=draw(st.floats(0, 1)))


@given(frames_and_profiles())
def test_property_fit_in_unit_interval_and_explain_sums(
    case: tuple[pd.DataFrame, ICPProfile],
) -> None:
    frame, profile = case
    fit = profile.fit(frame)
    assert len(fit) == len(frame)
    assert fit.index.equals(frame.index)
    assert ((fit >= 0) & (fit <= 1)).all()
    np.testing.assert_allclose(profile.explain(frame).sum(axis=1), fit, rtol=0, atol=1e-12)


@given(frames_and_profiles(), st.randoms(use_true_random=False))
def test_property_independent_of_row_order(
    case: tuple[pd.DataFrame, ICPProfile], rnd: object
) -> None:
    frame, profile = case
    order = list(range(len(frame)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    shuffled = frame.iloc[order]
    pd.testing.assert_series_equal(profile.fit(shuffled), profile.fit(frame).iloc[order])
    pd.testing.assert_series_equal(profile.is_icp(shuffled), profile.is_icp(frame).iloc[order])


@given(frames_and_profiles())
def test_property_input_not_mutated(case: tuple[pd.DataFrame, ICPProfile]) -> None:
    frame, profile = case
    before = frame.copy(deep=True)
    profile.fit(frame)
    profile.is_icp(frame)
    profile.explain(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_public_namespace() -> None:
    for name in bbmkit.__all__:
        assert hasattr(bbmkit, name), name


# --------------------------------------------------------------------------
# the fused, blocked fit path: every column kind, blocks on threads


_TEXT_DTYPES = ["str", "string[python]", "object", "category", "large_string[pyarrow]"]


@pytest.mark.parametrize("dtype", _TEXT_DTYPES)
@pytest.mark.parametrize("threads", ["1", "3"])
@pytest.mark.parametrize("n_values", [1, 3, 6])
def test_blocked_fit_equals_reference_for_every_text_dtype(
    monkeypatch: pytest.MonkeyPatch, dtype: str, threads: str, n_values: int
) -> None:
    from bbmkit._kernels import parallel

    # many rows per thread chunk and many blocks per chunk, so every path splits
    monkeypatch.setattr(parallel, "MIN_ROWS", 8)
    monkeypatch.setattr(parallel, "BLOCK_ROWS", 7)
    monkeypatch.setenv("BBMKIT_NUM_THREADS", threads)
    rng = np.random.default_rng(n_values)
    n = 503
    words = np.array(["a", "b", "c", "d", "e", "f", "g", "", "日本"], dtype=object)
    text = words[rng.integers(0, words.size, n)]
    text[rng.random(n) < 0.1] = None
    frame = pd.DataFrame(
        {
            "t": pd.Series(text, dtype=object).astype(dtype),
            "x": np.where(rng.random(n) < 0.1, np.nan, rng.normal(50, 20, n)),
            "k": rng.integers(0, 10, n),
        }
    )
    profile = ICPProfile(
        [
            one_of("t", list(words[:n_values]), weight=3),
            between("x", 30, 70, closed="left", weight=2),
            at_least("k", 4),
            at_most("x", 60.5, weight=0.5, name="x_max"),
            equals("t", "日本", name="t_jp", weight=1.5),
        ]
    )
    expected = reference.icp_fit(
        [{"t": t, "x": x, "k": k} for t, x, k in zip(text, frame["x"], frame["k"], strict=True)],
        [c.to_dict() for c in profile.criteria],
    )
    fit = profile.fit(frame)
    np.testing.assert_allclose(fit.to_numpy(), expected, rtol=1e-12, atol=1e-15)
    # the blocked path and the one-piece match matrix add in the same order: bit-for-bit equal
    _, matches = profile._matches(frame)
    np.testing.assert_array_equal(fit.to_numpy(), weighted_fit(matches, profile._raw_weights()))
    wanted = set(words[:n_values])
    np.testing.assert_array_equal(
        profile.criteria[0].match(frame).to_numpy(), [t in wanted for t in text]
    )
