import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit import ValidationError, ValidationTypeError, absorbing_chain, stage_transitions


def drunkards_walk() -> pd.DataFrame:
    P = np.zeros((5, 5))
    P[0, 0] = P[4, 4] = 1.0
    for i in (1, 2, 3):
        P[i, i - 1] = P[i, i + 1] = 0.5
    return pd.DataFrame(P, index=range(5), columns=range(5))


def test_textbook_drunkards_walk() -> None:
    # Grinstead & Snell, Introduction to Probability, section 11.2, Example 11.13-11.15:
    # N = [[3/2, 1, 1/2], [1, 2, 1], [1/2, 1, 3/2]], t = (3, 4, 3),
    # B = [[3/4, 1/4], [1/2, 1/2], [1/4, 3/4]]
    chain = absorbing_chain(drunkards_walk())
    np.testing.assert_allclose(
        chain.fundamental.to_numpy(), [[1.5, 1, 0.5], [1, 2, 1], [0.5, 1, 1.5]], atol=1e-12
    )
    np.testing.assert_allclose(chain.expected_steps.to_numpy(), [3, 4, 3], atol=1e-12)
    np.testing.assert_allclose(
        chain.absorption.to_numpy(), [[0.75, 0.25], [0.5, 0.5], [0.25, 0.75]], atol=1e-12
    )
    assert list(chain.absorption.columns) == [0, 4]
    assert list(chain.fundamental.index) == [1, 2, 3]


def test_stage_model_mql_to_customer() -> None:
    P = stage_transitions(
        ["MQL", "SAL", "SQL"], advance={"MQL": 0.3, "SAL": 0.5, "SQL": 0.25}, drop=0.1
    )
    chain = absorbing_chain(P)
    # from MQL: P(advance before drop) at each stage = a / (a + d)
    won = (0.3 / 0.4) * (0.5 / 0.6) * (0.25 / 0.35)
    assert chain.absorption.loc["MQL", "won"] == pytest.approx(won)
    assert chain.absorption.sum(axis=1).tolist() == pytest.approx([1, 1, 1])
    # expected periods from SQL: 1 / (advance + drop) = 1 / 0.35
    assert chain.expected_steps["SQL"] == pytest.approx(1 / 0.35)


@pytest.mark.parametrize(
    ("matrix", "error", "message"),
    [
        (
            pd.DataFrame([[0.5, 0.4], [0, 1]], index=["a", "b"], columns=["a", "b"]),
            ValidationError,
            "row 'a' sums to 0.9, not 1",
        ),
        (
            pd.DataFrame([[0.5, 0.5], [0.5, 0.5]], index=["a", "b"], columns=["a", "b"]),
            ValidationError,
            "no absorbing state",
        ),
        (
            pd.DataFrame(
                [[0.5, 0.5, 0], [0.5, 0.5, 0], [0, 0, 1]], index=list("abc"), columns=list("abc")
            ),
            ValidationError,
            "state 'a' cannot reach any absorbing state",
        ),
        (
            pd.DataFrame([[1.5, -0.5], [0, 1]], index=["a", "b"], columns=["a", "b"]),
            ValidationError,
            "'a' -> 'a' must be in",
        ),
        (
            pd.DataFrame([[1.0, 0], [0, 1]], index=["a", "b"], columns=["b", "a"]),
            ValidationError,
            "same state labels",
        ),
        (pd.DataFrame([[1.0, 0]], index=["a"], columns=["a", "b"]), ValidationError, "square"),
        (
            pd.DataFrame([[1.0, 0], [0, 1]], index=["a", "b"], columns=["a", "b"]),
            ValidationError,
            "every state is absorbing",
        ),
        (np.eye(2), ValidationTypeError, "must be a pandas DataFrame"),
    ],
)
def test_invalid_matrices(matrix: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        absorbing_chain(matrix)  # type: ignore[arg-type]


def test_invalid_stage_models() -> None:
    with pytest.raises(ValidationError, match=r"advance \+ drop for 'MQL' is 1.2"):
        stage_transitions(["MQL"], advance=[0.7], drop=[0.5])
    with pytest.raises(ValidationError, match="advance names unknown stage"):
        stage_transitions(["MQL"], advance={"SQL": 0.2})
    with pytest.raises(ValidationError, match="drop needs one value per stage"):
        stage_transitions(["MQL", "SQL"], advance=[0.2, 0.2], drop=[0.1])
    with pytest.raises(ValidationError, match="must be unique"):
        stage_transitions(["won"], advance=[0.2])


@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(0.01, 0.6), min_size=n, max_size=n),
            st.lists(st.floats(0.0, 0.39), min_size=n, max_size=n),
        )
    )
)
def test_property_absorption_rows_sum_to_one(params: tuple[list[float], list[float]]) -> None:
    advance, drop = params
    stages = [f"s{i}" for i in range(len(advance))]
    chain = absorbing_chain(stage_transitions(stages, advance=advance, drop=drop))
    np.testing.assert_allclose(chain.absorption.sum(axis=1), 1.0, atol=1e-9)
    assert (chain.absorption.to_numpy() >= -1e-12).all()
    assert (chain.expected_steps >= 1 - 1e-9).all()
