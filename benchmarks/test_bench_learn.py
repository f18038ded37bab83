"""learn_points (issue 22): fitting N rows x 20 columns, against scikit-learn on the same design.

Ten categorical columns of six values and ten numeric ones (five quantile
bands each); the baseline one-hot encodes the same levels (a sparse matrix)
and fits scikit-learn's ``LogisticRegression`` with the same penalty.
Target: 1e6 rows in under 10 s on two cores.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from bbmkit import learn_points
from benchmarks.conftest import sizes, timed

SIZES = sizes()


def make_leads(n: int, *, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for j in range(10):
        columns[f"c{j}"] = pd.Categorical(rng.choice([f"v{i}" for i in range(6)], n))
    for j in range(10):
        columns[f"x{j}"] = rng.normal(size=n)
    frame = pd.DataFrame(columns)
    logit = -2 + 0.8 * (frame["c0"] == "v1") - 0.5 * (frame["c1"] == "v2") + 0.4 * frame["x0"]
    return frame, rng.random(n) < 1 / (1 + np.exp(-logit.to_numpy()))


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n={n:.0e}")
def leads(request: Any) -> tuple[pd.DataFrame, np.ndarray]:
    return make_leads(request.param)


def sklearn_fit(frame: pd.DataFrame, won: np.ndarray) -> Any:
    """The idiomatic baseline: the same levels one-hot encoded, scikit-learn's solver."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    blocks = []
    for _, column in frame.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
        else:
            edges = np.unique(np.quantile(column, np.arange(1, 5) / 5))
            codes = np.searchsorted(edges, column.to_numpy(), side="right")
        blocks.append(sparse.csr_matrix((np.ones(len(codes)), (np.arange(len(codes)), codes))))
    design = sparse.hstack(blocks).tocsr()
    return LogisticRegression(C=1.0, max_iter=1000).fit(design, won)


@pytest.mark.parametrize("name", ["bbmkit", "sklearn"])
def test_learn_points(record: Any, leads: tuple[pd.DataFrame, np.ndarray], name: str) -> None:
    frame, won = leads
    group = f"learn_points 20 columns[n={len(frame):.0e}]"
    if name == "bbmkit":
        run = lambda: learn_points(frame, won)  # noqa: E731
    else:
        pytest.importorskip("sklearn", reason="scikit-learn is not installed (the test extra)")
        run = lambda: sklearn_fit(frame, won)  # noqa: E731
    timed(record, group, name, run, inputs=(frame,))
