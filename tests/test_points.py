"""Attribute points (PointsTable, points_for, points_between) and letter grades."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit import (
    GRADE_SCALE,
    PointsTable,
    ValidationError,
    ValidationTypeError,
    letter_grade,
    points_between,
    points_for,
)
from bbmkit.serialize import from_json, to_json
from tests import reference

TITLE = points_for("title", {"CEO": 20, "Manager": 10, "Student": -20}, default=-5, missing=0)
SIZE = points_between("employees", [(0, 50, 0), (50, 500, 10), (500, None, 20)], missing=-2)
TABLE = PointsTable([TITLE, SIZE], cap=35, floor=0)


def leads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "title": ["CEO", "Student", None, "Engineer", "Manager"],
            "employees": [800, 10, 120, None, 49.5],
        },
        index=pd.Index(["a", "b", "c", "d", "e"], name="lead_id"),
    )


# --------------------------------------------------------------------------
# hand-worked


def test_hand_worked_scores_and_explanation() -> None:
    # a: 20 + 20 = 40, capped at 35; b: -20 + 0 = -20, floored at 0; c: 0 + 10;
    # d: not listed -5, employees unknown -2 -> -7, floored; e: 10 + 0 (49.5 < 50)
    score = TABLE.score(leads())
    assert score.name == "score"
    assert score.index.equals(leads().index)
    assert score.to_dict() == {"a": 35.0, "b": 0.0, "c": 10.0, "d": 0.0, "e": 10.0}
    explained = TABLE.explain(leads())
    assert list(explained.columns) == ["title", "employees", "cap", "floor"]
    assert explained.loc["a"].tolist() == [20.0, 20.0, -5.0, 0.0]
    assert explained.loc["b"].tolist() == [-20.0, 0.0, 0.0, 20.0]
    assert explained.loc["d"].tolist() == [-5.0, -2.0, 0.0, 7.0]
    pd.testing.assert_series_equal(explained.sum(axis=1), score, check_names=False)


def test_band_edges_are_half_open_and_gaps_take_the_default() -> None:
    item = points_between("x", [(None, 0, -1), (10, 20, 5)], default=99)
    values = item.values(pd.Series([-0.1, 0, 9.99, 10, 19.99, 20, np.inf, -np.inf]))
    assert values.tolist() == [-1.0, 99.0, 99.0, 5.0, 5.0, 99.0, 99.0, -1.0]


def test_without_cap_or_floor_explain_has_only_items() -> None:
    table = PointsTable([TITLE, SIZE])
    explained = table.explain(leads())
    assert list(explained.columns) == ["title", "employees"]
    assert table.score(leads())["b"] == -20.0


def test_two_items_on_one_column_need_names() -> None:
    with pytest.raises(ValidationError, match="two items named 'title'"):
        PointsTable([TITLE, points_for("title", {"CTO": 5})])
    table = PointsTable([TITLE, points_for("title", {"CEO": 5}, name="exec_bonus")])
    assert table.columns == ("title", "employees")[:1]
    assert table.score(leads())["a"] == 25.0


@pytest.mark.parametrize(
    "dtype", ["object", "string[python]", "string[pyarrow]", "category", "str"]
)
def test_text_dtypes_give_the_same_points(dtype: str) -> None:
    if dtype == "str" and int(pd.__version__.split(".")[0]) < 3:
        pytest.skip('pandas 2 reads "str" as numpy text: None becomes the text "None"')
    frame = leads().astype({"title": dtype})
    assert TABLE.score(frame).to_dict() == TABLE.score(leads()).to_dict()


@pytest.mark.parametrize("dtype", ["Int64", "Float64", "int64[pyarrow]", "float64"])
def test_numeric_extension_dtypes(dtype: str) -> None:
    frame = pd.DataFrame({"employees": pd.array([10, 60, None, 600], dtype=dtype)})
    if dtype == "float64":
        frame["employees"] = [10.0, 60.0, np.nan, 600.0]
    assert SIZE.values(frame["employees"]).tolist() == [0.0, 10.0, -2.0, 20.0]


def test_numeric_and_bool_keys() -> None:
    item = points_for("plan", {1: 5, 2.5: 7})
    assert item.values(pd.Series([1, 2.5, 3])).tolist() == [5.0, 7.0, 0.0]
    flag = points_for("opt_in", {True: 3, False: -3})
    assert flag.values(pd.Series([True, False, None])).tolist() == [3.0, -3.0, 0.0]
    # a text "1" is not the number 1
    assert points_for("code", {"1": 4}).values(pd.Series([1, "1"], dtype=object)).tolist() == [
        0.0,
        4.0,
    ]


def test_one_row_and_empty_frames() -> None:
    one = leads().iloc[[0]]
    assert TABLE.score(one).tolist() == [35.0]
    empty = leads().iloc[:0]
    assert TABLE.score(empty).empty
    assert list(TABLE.explain(empty).columns) == ["title", "employees", "cap", "floor"]


def test_input_is_not_mutated() -> None:
    frame = leads()
    before = frame.copy()
    TABLE.score(frame)
    TABLE.explain(frame)
    pd.testing.assert_frame_equal(frame, before)


# --------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: points_for("", {"a": 1}), ValidationTypeError, "column"),
        (lambda: points_for("t", {}), ValidationTypeError, "non-empty"),
        (lambda: points_for("t", "CEO"), ValidationTypeError, "mapping"),
        (lambda: points_for("t", {"a": "10"}), ValidationTypeError, "points\\['a'\\]"),
        (lambda: points_for("t", {"a": np.nan}), ValidationError, "points\\['a'\\]"),
        (lambda: points_for("t", {(1, 2): 1}), ValidationTypeError, "column value"),
        (lambda: points_for("t", [("a", 1), ("a", 2)]), ValidationError, "twice"),
        (lambda: points_for("t", [("a", 1, 2)]), ValidationError, "pair"),
        (lambda: points_for("t", {"a": 1}, default=np.inf), ValidationError, "default"),
        (lambda: points_for("t", {"a": 1}, missing="0"), ValidationTypeError, "missing"),
        (lambda: points_between("x", []), ValidationTypeError, "non-empty"),
        (lambda: points_between("x", [(0, 10)]), ValidationError, "triple"),
        (lambda: points_between("x", [(10, 0, 1)]), ValidationError, "low must be < high"),
        (lambda: points_between("x", [(0, 10, 1), (5, 20, 1)]), ValidationError, "overlap"),
        (lambda: points_between("x", [(0, None, 1), (5, 20, 1)]), ValidationError, "overlap"),
        (lambda: points_between("x", [(0, 10, "1")]), ValidationTypeError, "points"),
        (lambda: PointsTable([]), ValidationError, "empty"),
        (lambda: PointsTable(TITLE), ValidationTypeError, "list"),
        (lambda: PointsTable([TITLE, "x"]), ValidationTypeError, "items\\[1\\]"),
        (lambda: PointsTable([TITLE], cap=0, floor=1), ValidationError, "floor must be <= cap"),
        (lambda: PointsTable([TITLE], cap="1"), ValidationTypeError, "cap"),
        (lambda: PointsTable([points_for("t", {"a": 1}, name="cap")]), ValidationError, "cap"),
    ],
)
def test_invalid_items_and_tables(build, error: type[Exception], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        build()


def test_invalid_frames() -> None:
    with pytest.raises(ValidationError, match="'employees'"):
        TABLE.score(leads().drop(columns="employees"))
    with pytest.raises(ValidationTypeError, match="'employees' must hold numbers"):
        TABLE.score(leads().astype({"employees": str}))
    with pytest.raises(ValidationTypeError, match="frame"):
        TABLE.score([1, 2])  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# documents


def test_json_round_trip_keeps_value_types() -> None:
    table = PointsTable([points_for("plan", {1: 5, "1": 6, 2.5: 2}), SIZE], cap=100, floor=-10)
    text = to_json(table)
    assert json.loads(text)["type"] == "points_table"
    back = from_json(text)
    assert back == table
    assert back.score(pd.DataFrame({"plan": [1, "1"], "employees": [5, 5]})).tolist() == [5.0, 6.0]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, "missing field"),
        ({"items": [], "colour": 1}, "unknown field"),
        ({"items": "x"}, "must be a list"),
        ({"items": [1]}, "item 0 must be a mapping"),
        ({"items": [{"type": "x"}]}, "'points_for' or 'points_between'"),
        ({"items": [{"type": "points_for", "column": "t"}]}, "missing field"),
        ({"items": [{"type": "points_between", "column": "t", "bands": [[0, 1]]}]}, "triple"),
    ],
)
def test_from_dict_invalid(doc: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PointsTable.from_dict(doc)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# against the reference, and invariants

_TITLES = ["CEO", "Manager", "Student", "Engineer", None]


def _random_frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    employees = rng.choice([-5.0, 0.0, 10.0, 49.0, 50.0, 499.0, 500.0, 1e6, np.nan], size=n)
    return pd.DataFrame(
        {"title": rng.choice(np.array(_TITLES, dtype=object), size=n), "employees": employees}
    )


@pytest.mark.parametrize("seed", range(5))
def test_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    frame = _random_frame(rng, 500)
    rows = frame.to_dict("records")
    expected = reference.points_table(rows, TABLE.to_dict())
    np.testing.assert_array_equal(TABLE.score(frame).to_numpy(), expected)
    plain = PointsTable([TITLE, SIZE])
    np.testing.assert_array_equal(
        plain.score(frame).to_numpy(), reference.points_table(rows, plain.to_dict())
    )


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 60))
def test_property_bounds_order_and_explanation(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    frame = _random_frame(rng, n)
    score = TABLE.score(frame)
    assert ((score >= 0) & (score <= 35)).all()
    assert len(score) == n
    np.testing.assert_allclose(TABLE.explain(frame).sum(axis=1), score, atol=0)
    order = rng.permutation(n)
    pd.testing.assert_series_equal(TABLE.score(frame.iloc[order]), score.iloc[order])


# --------------------------------------------------------------------------
# letter grades


def test_letter_grade_scale_and_clamping() -> None:
    assert GRADE_SCALE == ("F", "D-", "D", "D+", "C-", "C", "C+", "B-", "B", "B+", "A-", "A", "A+")
    assert letter_grade(0) == "D"
    assert letter_grade(3) == "C"  # a whole letter is three notches
    assert letter_grade(-2) == "F"
    assert letter_grade(-100) == "F"
    assert letter_grade(100) == "A+"
    assert letter_grade(np.int64(1), start="B") == "B+"
    assert letter_grade(-1, start="A+") == "A"


def test_letter_grade_series_is_ordered_and_keeps_the_index() -> None:
    notches = pd.Series([0, 2, 10, -3, 10**30], index=pd.Index(list("vwxyz"), name="lead"))
    grades = letter_grade(notches.astype(float))
    assert grades.name == "grade"
    assert grades.index.equals(notches.index)
    assert grades.tolist() == ["D", "C-", "A+", "F", "A+"]
    assert grades.cat.ordered
    assert grades.sort_values().index.tolist() == ["y", "v", "w", "x", "z"]
    assert letter_grade(pd.Series([1], dtype="Int64")).tolist() == ["D+"]
    assert letter_grade([]).empty


def test_letter_grade_from_points_table_notches() -> None:
    # Account Engagement style: matches move the grade up, mismatches down, unknown is neutral
    criteria = PointsTable(
        [
            points_for("title", {"CEO": 3, "Manager": 2}, default=-1),
            points_between("employees", [(500, None, 2)], default=0, missing=0),
        ]
    )
    grades = letter_grade(criteria.score(leads()))
    assert grades.to_dict() == {"a": "B-", "b": "D-", "c": "D", "d": "D-", "e": "C-"}


@pytest.mark.parametrize(
    ("notches", "kwargs", "error", "message"),
    [
        (1.5, {}, ValidationTypeError, "integers"),
        (True, {}, ValidationTypeError, "integers"),
        ("3", {}, ValidationTypeError, "notches"),
        (pd.Series([1.5]), {}, ValidationError, "whole numbers"),
        (pd.Series([1, None], dtype="Int64"), {}, ValidationError, "whole numbers"),
        (pd.Series(["a"]), {}, ValidationTypeError, "integers"),
        (pd.Series([True]), {}, ValidationTypeError, "integers"),
        (1, {"start": "E"}, ValidationError, "start"),
        (1, {"start": "d"}, ValidationError, "start"),
    ],
)
def test_letter_grade_invalid(
    notches: object, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        letter_grade(notches, **kwargs)  # type: ignore[arg-type]
