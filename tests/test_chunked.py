"""Chunked, Parquet and Dask scoring equal the in-memory score."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bbmkit import ScoringModel, ValidationError, ValidationTypeError
from bbmkit.chunked import iter_parquet, score_chunks, score_dask
from bbmkit.datasets import demo_scoring_model, load_demo

AS_OF = pd.Timestamp("2026-09-30")


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    log = load_demo().events
    return log.assign(
        contact_id=log["contact_id"].astype(object), event_type=log["event_type"].astype(object)
    )


@pytest.fixture(scope="module")
def expected(events: pd.DataFrame) -> pd.Series:
    return demo_scoring_model().score(events, as_of=AS_OF)


def _close(got: pd.Series, want: pd.Series) -> None:
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("size", [997, 10_000, 100_000])
def test_chunks_equal_in_memory(events: pd.DataFrame, expected: pd.Series, size: int) -> None:
    shuffled = events.sample(frac=1.0, random_state=size)  # any split, any order
    chunks = (shuffled.iloc[i : i + size] for i in range(0, len(shuffled), size))
    seen: list[tuple[int, int]] = []
    got = score_chunks(
        demo_scoring_model(),
        chunks,
        as_of=AS_OF,
        combine_every=4,
        progress=lambda c, n: seen.append((c, n)),
    )
    _close(got, expected)
    assert seen[-1][1] == len(events)  # progress saw every event


def test_progress_bar_with_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    updates: list[int] = []
    closed: list[bool] = []

    class FakeBar:
        def __init__(self, **kwargs: object) -> None:
            assert kwargs["unit"] == " events"

        def update(self, n: int) -> None:
            updates.append(n)

        def close(self) -> None:
            closed.append(True)

    fake = types.ModuleType("tqdm.auto")
    fake.tqdm = FakeBar  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    log = pd.DataFrame(
        {"contact_id": ["a", "b", "a"], "event_type": ["visit"] * 3, "timestamp": [0.0, 1.0, 2.0]}
    )
    model = ScoringModel({"visit": 5})
    got = score_chunks(model, [log.iloc[:2], log.iloc[2:]], as_of=2.0, progress=True)
    assert got.to_dict() == {"a": 10.0, "b": 5.0}
    assert updates == [2, 1]  # events per chunk, adding up to the log
    assert closed == [True]
    # the bar is closed even when a chunk is bad
    with pytest.raises(ValidationError):
        score_chunks(model, [log.drop(columns="timestamp")], as_of=2.0, progress=True)
    assert closed == [True, True]


def test_progress_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    log = pd.DataFrame({"contact_id": ["a"], "event_type": ["visit"], "timestamp": [0.0]})
    model = ScoringModel({"visit": 5})
    with pytest.raises(ValidationTypeError, match="progress must be a callable, True or None"):
        score_chunks(model, [log], as_of=0.0, progress="yes")  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # an import of it fails
    with pytest.raises(ImportError, match=r"progress=True needs tqdm"):
        score_chunks(model, [log], as_of=0.0, progress=True)


def test_caps_are_applied_after_merging() -> None:
    model = ScoringModel({"visit": 5}, event_caps={"visit": 12}, cap=11)
    log = pd.DataFrame(
        {"contact_id": ["a"] * 4, "event_type": ["visit"] * 4, "timestamp": [0.0, 1.0, 2.0, 3.0]}
    )
    # each chunk alone stays under the caps; together they reach them
    got = score_chunks(model, [log.iloc[:2], log.iloc[2:]], as_of=3.0)
    assert got.to_dict() == {"a": 11.0}


def test_parquet_row_groups(tmp_path: Path, events: pd.DataFrame, expected: pd.Series) -> None:
    pytest.importorskip("pyarrow", reason="pyarrow is not installed")
    path = tmp_path / "events.parquet"
    events.to_parquet(path, row_group_size=5000)
    got = score_chunks(demo_scoring_model(), iter_parquet(path, batch_size=4096), as_of=AS_OF)
    _close(got, expected)


def test_dask_partitions(events: pd.DataFrame, expected: pd.Series) -> None:
    dd = pytest.importorskip("dask.dataframe", reason="dask is not installed")
    import dask

    with dask.config.set(scheduler="synchronous"):
        got = score_dask(demo_scoring_model(), dd.from_pandas(events, npartitions=7), as_of=AS_OF)
    _close(got, expected)


def test_invalid() -> None:
    model = ScoringModel({"visit": 5})
    log = pd.DataFrame({"contact_id": ["a"], "event_type": ["visit"], "timestamp": [0.0]})
    with pytest.raises(ValidationError, match="as_of is required"):
        model.partial(log, as_of=None)
    with pytest.raises(ValidationError, match="chunks is empty"):
        score_chunks(model, [], as_of=1.0)
    with pytest.raises(ValidationError, match="combine_every must be an integer >= 2"):
        score_chunks(model, [log], as_of=1.0, combine_every=1)
    with pytest.raises(ValidationTypeError, match="model must be a ScoringModel"):
        score_chunks("model", [log], as_of=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no Parquet file"):
        next(iter_parquet("/nonexistent.parquet"))
    with pytest.raises(ValidationTypeError, match="must be a Dask DataFrame"):
        score_dask(model, log, as_of=1.0)
    bad = pd.DataFrame({"contact_id": ["a"], "event_type": ["visit"], "points": [np.nan]})
    with pytest.raises(ValidationError, match="missing or infinite points"):
        model.finalize(bad)
    with pytest.raises(ValidationError, match="no points: 'tweet'"):
        model.finalize(bad.assign(event_type=["tweet"], points=[1.0]))
