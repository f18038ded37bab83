"""Absorbing Markov chains for stage models.

A lead moves between stages period by period: it stays, advances, drops out
or is won. With "won" and "lost" as absorbing states, the fundamental matrix
answers "what share of today's MQLs end as customers, and in how many
periods on average".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._repr import TablesRepr
from bbmkit._validation import check_rate, fmt

__all__ = ["AbsorbingChain", "absorbing_chain", "stage_transitions"]

_TOLERANCE = 1e-9


@attrs.frozen(repr=False)
class AbsorbingChain(TablesRepr):
    """Result of :func:`absorbing_chain`.

    Attributes
    ----------
    fundamental : pandas.DataFrame
        ``N = (I - Q)^-1`` over the transient states: expected number of
        periods spent in each state (columns) starting from each state (rows).
    expected_steps : pandas.Series
        ``t = N 1``: expected periods before absorption from each transient
        state.
    absorption : pandas.DataFrame
        ``B = N R``: probability of ending in each absorbing state (columns)
        from each transient state (rows); rows sum to 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import absorbing_chain
    >>> P = pd.DataFrame(
    ...     [[0.5, 0.3, 0.2], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    ...     index=["mql", "won", "lost"], columns=["mql", "won", "lost"])
    >>> chain = absorbing_chain(P)
    >>> chain.absorption.round(2)
          won  lost
    mql   0.6   0.4
    >>> chain.expected_steps
    mql    2.0
    Name: expected_steps, dtype: float64
    """

    fundamental: pd.DataFrame = attrs.field(eq=False)
    expected_steps: pd.Series = attrs.field(eq=False)
    absorption: pd.DataFrame = attrs.field(eq=False)


def absorbing_chain(transitions: pd.DataFrame) -> AbsorbingChain:
    """Fundamental matrix, expected steps and absorption probabilities.

    Parameters
    ----------
    transitions : pandas.DataFrame
        Square matrix of transition probabilities, rows = from, columns = to,
        with the same labels in the same order; entries in [0, 1], rows
        summing to 1 (within 1e-9). Absorbing states are those with
        ``P[s, s] == 1``; every other state must be able to reach one.

    Returns
    -------
    AbsorbingChain
        ``.fundamental``, ``.expected_steps``, ``.absorption``, labelled by
        state names.

    Examples
    --------
    The drunkard's walk on 0..4 with absorbing ends (Grinstead & Snell,
    *Introduction to Probability*, chapter 11):

    >>> import numpy as np, pandas as pd
    >>> from bbmkit import absorbing_chain
    >>> P = np.zeros((5, 5)); P[0, 0] = P[4, 4] = 1
    >>> for i in (1, 2, 3): P[i, i - 1] = P[i, i + 1] = 0.5
    >>> chain = absorbing_chain(pd.DataFrame(P, index=range(5), columns=range(5)))
    >>> chain.fundamental
         1    2    3
    1  1.5  1.0  0.5
    2  1.0  2.0  1.0
    3  0.5  1.0  1.5
    >>> chain.expected_steps.round(12).tolist()
    [3.0, 4.0, 3.0]
    """
    if not isinstance(transitions, pd.DataFrame):
        raise ValidationTypeError(
            f"transitions must be a pandas DataFrame, got {type(transitions).__name__}"
        )
    if transitions.shape[0] != transitions.shape[1] or transitions.shape[0] == 0:
        raise ValidationError(
            f"transitions must be a non-empty square matrix, got shape {transitions.shape}"
        )
    if not transitions.index.equals(transitions.columns):
        raise ValidationError(
            "transitions must have the same state labels, in the same order, as rows and columns"
        )
    if not transitions.index.is_unique:
        raise ValidationError("transitions has duplicated state labels")
    if not all(
        pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
        for t in transitions.dtypes
    ):
        raise ValidationTypeError("transitions must hold probabilities (numbers)")
    P = transitions.to_numpy(dtype=np.float64, na_value=np.nan)
    labels = transitions.index
    bad = ~((P >= 0) & (P <= 1))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValidationError(
            f"transition probability {labels[i]!r} -> {labels[j]!r} must be in [0, 1], got {fmt(P[i, j])}",
            code="out_of_range",
            parameter="transitions",
        )
    sums = P.sum(axis=1)
    off = np.abs(sums - 1.0) > _TOLERANCE
    if off.any():
        i = int(np.argmax(off))
        raise ValidationError(f"transitions row {labels[i]!r} sums to {sums[i]:.12g}, not 1")
    absorbing = np.isclose(np.diag(P), 1.0, rtol=0, atol=_TOLERANCE)
    if not absorbing.any():
        raise ValidationError("transitions has no absorbing state (one with P[s, s] == 1)")
    transient = ~absorbing
    if not transient.any():
        raise ValidationError(
            "every state is absorbing; there is nothing to move", parameter="transitions"
        )
    _check_reachable(P, absorbing, labels)
    Q = P[np.ix_(transient, transient)]
    R = P[np.ix_(transient, absorbing)]
    N = np.linalg.solve(np.eye(Q.shape[0]) - Q, np.eye(Q.shape[0]))
    t_labels, a_labels = labels[transient], labels[absorbing]
    return AbsorbingChain(
        fundamental=pd.DataFrame(N, index=t_labels, columns=t_labels),
        expected_steps=pd.Series(N.sum(axis=1), index=t_labels, name="expected_steps"),
        absorption=pd.DataFrame(N @ R, index=t_labels, columns=a_labels),
    )


def _check_reachable(
    P: npt.NDArray[np.float64], absorbing: npt.NDArray[np.bool_], labels: pd.Index
) -> None:
    """Every transient state must reach an absorbing one, or I - Q is singular."""
    reach = absorbing.copy()
    edges = P > 0
    for _ in range(len(labels)):  # at most n rounds of backward search over states
        grown = reach | (edges & reach[None, :]).any(axis=1)
        if (grown == reach).all():
            break
        reach = grown
    if not reach.all():
        stuck = labels[~reach][0]
        raise ValidationError(
            f"state {stuck!r} cannot reach any absorbing state", parameter="transitions"
        )


def stage_transitions(
    stages: Sequence[str],
    *,
    advance: Mapping[str, float] | Sequence[float],
    drop: Mapping[str, float] | Sequence[float] | float = 0.0,
    won: str = "won",
    lost: str = "lost",
) -> pd.DataFrame:
    """Transition matrix of a stage model: stay, advance, or drop out, per period.

    From stage ``s`` a lead advances to the next stage with ``advance[s]``
    (from the last stage: to ``won``), drops to ``lost`` with ``drop[s]``,
    and stays with the rest. ``won`` and ``lost`` are absorbing.

    Parameters
    ----------
    stages : sequence of str
        Transient stages in order.
    advance, drop : mapping by stage or sequence, one per stage
        Per-period probabilities; ``drop`` may be a single number for all.
        ``advance + drop <= 1`` per stage.
    won, lost : str
        Names of the absorbing states.

    Examples
    --------
    >>> from bbmkit import absorbing_chain, stage_transitions
    >>> P = stage_transitions(["MQL", "SQL"], advance=[0.3, 0.2], drop=[0.2, 0.1])
    >>> P
         MQL  SQL  won  lost
    MQL  0.5  0.3  0.0   0.2
    SQL  0.0  0.7  0.2   0.1
    won  0.0  0.0  1.0   0.0
    lost 0.0  0.0  0.0   1.0
    >>> absorbing_chain(P).absorption.loc["MQL", "won"].round(4)
    np.float64(0.4)
    """
    if isinstance(stages, str | bytes) or not isinstance(stages, Sequence) or not stages:
        raise ValidationTypeError(
            f"stages must be a non-empty list of stage names, got {fmt(stages)}"
        )
    names = [*stages, won, lost]
    if len(set(names)) != len(names):
        raise ValidationError(
            f"stage names (with {won!r} and {lost!r}) must be unique, got {fmt(names)}"
        )
    up = _per_stage(advance, stages, "advance")
    out = _per_stage(drop, stages, "drop")
    n = len(stages)
    P = np.zeros((n + 2, n + 2))
    for i, stage in enumerate(stages):  # a loop over stages, not rows
        if up[i] + out[i] > 1 + _TOLERANCE:
            raise ValidationError(
                f"advance + drop for {stage!r} is {up[i] + out[i]:g}, more than 1"
            )
        P[i, i + 1] = up[i]
        P[i, n + 1] += out[i]
        P[i, i] = max(0.0, 1.0 - up[i] - out[i])
    P[n, n] = P[n + 1, n + 1] = 1.0
    return pd.DataFrame(P, index=names, columns=names)


def _per_stage(values: object, stages: Sequence[str], name: str) -> list[float]:
    if isinstance(values, Mapping):
        unknown = [k for k in values if k not in stages]
        if unknown:
            raise ValidationError(
                f"{name} names unknown stage(s) {', '.join(map(fmt, unknown))} (stages: {', '.join(stages)})"
            )
        missing = [s for s in stages if s not in values]
        if missing:
            raise ValidationError(
                f"{name} has no value for stage(s) {', '.join(map(repr, missing))}"
            )
        return [check_rate(values[s], name=f"{name}[{s!r}]") for s in stages]
    if isinstance(values, int | float) and not isinstance(values, bool):
        return [check_rate(values, name=name)] * len(stages)
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise ValidationTypeError(
            f"{name} must be a mapping by stage, a list or a number, got {fmt(values)}"
        )
    if len(values) != len(stages):
        raise ValidationError(
            f"{name} needs one value per stage ({len(stages)}), got {len(values)}"
        )
    return [check_rate(v, name=f"{name}[{s!r}]") for v, s in zip(values, stages, strict=True)]
