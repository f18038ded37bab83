"""Chunked, Parquet and Dask scoring equal the in-memory score."""

import itertools
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


@pytest.mark.parametrize("batch_size", [997, 4096, 12_000, 10**6])
def test_parquet_chunks_have_the_size_asked_for(tmp_path: Path, batch_size: int) -> None:
    pytest.importorskip("pyarrow", reason="pyarrow is not installed")
    path = tmp_path / "log.parquet"
    frame = pd.DataFrame({"contact_id": np.arange(30_001), "x": np.arange(30_001) % 7})
    frame.to_parquet(path, row_group_size=5000)  # chunks span row groups
    chunks = list(iter_parquet(path, batch_size=batch_size))
    sizes = [len(c) for c in chunks]
    assert all(n == batch_size for n in sizes[:-1])
    assert 0 < sizes[-1] <= batch_size
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), frame)


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


# --------------------------------------------------------------------------
# integer ids: running sums addressed by id, and the fall-back to merging frames

CAPPED = ScoringModel(
    {"visit": 5.0, "demo": 50.0, "unsubscribe": -40.0},
    half_life=20.0,
    event_caps={"visit": 22.0},
    cap=90.0,
)
ALL_CAPPED = ScoringModel({"visit": 5.0, "demo": 50.0}, event_caps={"visit": 12.0, "demo": 60.0})


def _int_log(rng: np.random.Generator, n: int, ids: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_id": rng.choice(ids, n),
            "event_type": rng.choice(["visit", "demo", "unsubscribe"], n, p=[0.7, 0.2, 0.1]),
            "timestamp": rng.uniform(0.0, 120.0, n),
        }
    )


def _same_as_in_memory(model: ScoringModel, chunks: list[pd.DataFrame], as_of: float) -> None:
    got = score_chunks(model, iter(chunks), as_of=as_of, combine_every=2)
    want = model.score(pd.concat(chunks, ignore_index=True), as_of=as_of)
    assert got.index.equals(want.index)
    assert got.index.dtype == want.index.dtype
    assert got.index.name == want.index.name
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint16"])
def test_integer_ids_equal_in_memory(seed: int, dtype: str) -> None:
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(10, 700), size=int(rng.integers(1, 300)), replace=False)
    log = _int_log(rng, 2000, ids).astype({"contact_id": dtype})
    cuts = np.sort(rng.choice(np.arange(1, len(log)), size=int(rng.integers(1, 8)), replace=False))
    bounds = [0, *cuts.tolist(), len(log)]
    chunks = [log.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    # as_of inside the log's time span: later events are cut, in whichever chunk they are
    _same_as_in_memory(CAPPED, chunks, as_of=float(rng.uniform(30.0, 130.0)))


def test_ids_growing_chunk_by_chunk() -> None:
    # a log sorted by contact: each chunk brings higher ids, so the table grows
    rng = np.random.default_rng(1)
    log = _int_log(rng, 5000, np.arange(100_000, 140_000)).sort_values("contact_id")
    chunks = [log.iloc[i : i + 400] for i in range(0, len(log), 400)]
    _same_as_in_memory(CAPPED, chunks, as_of=120.0)
    _same_as_in_memory(CAPPED, chunks[::-1], as_of=120.0)  # and downwards


def test_every_contact_scored_gives_a_range_index() -> None:
    log = pd.DataFrame(
        {"contact_id": [3, 4, 5, 4], "event_type": ["visit"] * 4, "timestamp": [1.0] * 4}
    )
    got = score_chunks(CAPPED, [log.iloc[:2], log.iloc[2:]], as_of=1.0)
    assert isinstance(got.index, pd.RangeIndex)
    assert got.to_dict() == {3: 5.0, 4: 10.0, 5: 5.0}


@pytest.mark.parametrize("model", [CAPPED, ALL_CAPPED], ids=["some-capped", "all-capped"])
def test_sparse_ids_fall_back_to_merging_frames(model: ScoringModel) -> None:
    rng = np.random.default_rng(2)
    log = _int_log(rng, 3000, np.arange(50, 150))
    log = log[log["event_type"].isin(list(model.points))]
    sparse = log.iloc[:500].assign(contact_id=lambda f: f["contact_id"] * 10**9)
    # dense chunks first, then ids that would make the table sparse, then dense again
    chunks = [log.iloc[500:1500], sparse, log.iloc[1500:]]
    _same_as_in_memory(model, chunks, as_of=100.0)


def test_a_chunk_of_only_later_events_adds_nothing() -> None:
    log = pd.DataFrame(
        {
            "contact_id": [1, 2, 2],
            "event_type": ["visit", "demo", "demo"],
            "timestamp": [1.0, 2.0, 50.0],
        }
    )
    got = score_chunks(CAPPED, [log.iloc[:2], log.iloc[2:]], as_of=10.0)
    np.testing.assert_allclose(got.to_numpy(), CAPPED.score(log, as_of=10.0).to_numpy())
    assert got.index.tolist() == [1, 2]


def test_string_ids_after_integer_ids() -> None:
    first = pd.DataFrame(
        {"contact_id": [1, 2], "event_type": ["visit", "demo"], "timestamp": [1.0, 2.0]}
    )
    second = pd.DataFrame({"contact_id": ["a"], "event_type": ["visit"], "timestamp": [3.0]})
    got = score_chunks(CAPPED, [first, second], as_of=3.0)
    assert sorted(map(str, got.index)) == ["1", "2", "a"]
    assert got.sum() == pytest.approx(CAPPED.score(first, as_of=3.0).sum() + 5.0)
