"""Funnel from event logs and ABM prioritisation: bbmkit beside idiomatic pandas, same run.

Funnel workload: N entities entering a four-stage waterfall (MQL -> SAL ->
SQL -> Won), each stage reached with probability 0.5 after the previous one,
a stage event per stage reached, days apart; counts with backfill and the
median days between stages. Prioritisation workload: N accounts with four
items on their own scales, weighted into a priority and ranked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import bbmkit as bk
from benchmarks.conftest import buffers, read_once, sizes

STAGES = ["MQL", "SAL", "SQL", "Won"]
WEIGHTS = {"icp_fit": 0.4, "opportunity": 0.3, "history": 0.2, "relationship": 0.1}
SCALES = {"icp_fit": 100.0, "opportunity": 10.0, "history": 10.0, "relationship": 10.0}


def make_stage_log(n: int, *, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # furthest stage: geometric, capped at the last stage
    furthest = np.minimum(rng.geometric(0.5, n) - 1, len(STAGES) - 1)
    entity = np.repeat(np.arange(n), furthest + 1)
    first_of = np.cumsum(furthest + 1) - (furthest + 1)
    stage = np.arange(entity.size) - np.repeat(first_of, furthest + 1)
    start = rng.uniform(0, 180, n)
    gaps = rng.exponential(12.0, entity.size)
    gaps[first_of] = 0.0
    # days since the entity's first event: a running sum of gaps within the entity
    running = np.cumsum(gaps)
    times = start[entity] + running - np.repeat(running[first_of], furthest + 1)
    order = rng.permutation(entity.size)  # logs arrive in no particular order
    return pd.DataFrame(
        {
            "entity_id": entity[order],
            "stage": pd.Categorical.from_codes(stage[order], categories=STAGES),
            "timestamp": times[order].round(4),
        }
    )


def pandas_funnel(events: pd.DataFrame) -> pd.DataFrame:
    """Idiomatic pandas: first entry per (entity, stage), backfilled counts, median gaps."""
    entry = (
        events.groupby(["entity_id", "stage"], observed=True)["timestamp"]
        .min()
        .unstack()
        .reindex(columns=STAGES)
    )
    furthest = events["stage"].cat.codes.groupby(events["entity_id"]).max()
    reached = pd.Series(
        [(furthest >= k).sum() for k in range(len(STAGES))], index=pd.Index(STAGES, name="stage")
    )
    gaps = entry.diff(axis=1).shift(-1, axis=1)
    return pd.DataFrame(
        {
            "reached": reached,
            "rate": reached / reached.shift(1),
            "median_days": gaps.median().reindex(STAGES),
        }
    )


def make_accounts(n: int, *, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "icp_fit": rng.integers(0, 101, n).astype(float),
            "opportunity": rng.integers(0, 11, n).astype(float),
            "history": rng.integers(0, 11, n).astype(float),
            "relationship": rng.integers(0, 11, n).astype(float),
        },
        index=pd.RangeIndex(n, name="account_id"),
    )


def pandas_prioritize(accounts: pd.DataFrame) -> pd.DataFrame:
    weights = pd.Series(WEIGHTS)
    normalised = accounts[list(WEIGHTS)] / pd.Series(SCALES)
    priority = normalised.mul(weights).sum(axis=1) / weights.sum()
    out = accounts.assign(priority=priority)
    # ties (equal to 12 decimals, as bbmkit counts them) keep input order
    out["rank"] = priority.round(12).rank(method="first", ascending=False).astype(np.int64)
    return out.sort_values("rank")


@pytest.fixture(scope="module", params=sizes(), ids=lambda n: f"n={n:.0e}")
def stage_log(request: Any) -> pd.DataFrame:
    return make_stage_log(request.param)


@pytest.fixture(scope="module", params=sizes(), ids=lambda n: f"n={n:.0e}")
def accounts(request: Any) -> pd.DataFrame:
    return make_accounts(request.param)


def _funnel_group(stage_log: pd.DataFrame) -> str:
    return f"funnel_from_events[n={stage_log['entity_id'].max() + 1:.0e}]"


def test_funnel_same_answer(stage_log: pd.DataFrame) -> None:
    ours = bk.funnel_from_events(stage_log, STAGES)
    theirs = pandas_funnel(stage_log)
    assert ours["reached"].tolist() == theirs["reached"].tolist()
    np.testing.assert_allclose(ours["rate"], theirs["rate"], rtol=1e-12)
    np.testing.assert_allclose(ours["median_days"], theirs["median_days"], rtol=1e-9)


def test_funnel_bbmkit(record: Any, stage_log: pd.DataFrame) -> None:
    record.group = _funnel_group(stage_log)
    record(bk.funnel_from_events, stage_log, STAGES)


def test_funnel_pandas_baseline(record: Any, stage_log: pd.DataFrame) -> None:
    record.group = _funnel_group(stage_log)
    record(pandas_funnel, stage_log)


def test_funnel_floor(record: Any, stage_log: pd.DataFrame) -> None:
    record.group = _funnel_group(stage_log)
    record.extra_info["role"] = "floor"
    record(read_once, buffers(stage_log))


def test_prioritize_same_answer(accounts: pd.DataFrame) -> None:
    ours = bk.prioritize(accounts, WEIGHTS, scales=SCALES)
    theirs = pandas_prioritize(accounts)
    assert ours.index.tolist() == theirs.index.tolist()
    np.testing.assert_allclose(ours["priority"], theirs["priority"], rtol=1e-12)
    assert ours["rank"].tolist() == theirs["rank"].tolist()


def test_prioritize_bbmkit(record: Any, accounts: pd.DataFrame) -> None:
    record.group = f"prioritize[n={len(accounts):.0e}]"
    record(bk.prioritize, accounts, WEIGHTS, scales=SCALES)


def test_prioritize_pandas_baseline(record: Any, accounts: pd.DataFrame) -> None:
    record.group = f"prioritize[n={len(accounts):.0e}]"
    record(pandas_prioritize, accounts)


def test_prioritize_floor(record: Any, accounts: pd.DataFrame) -> None:
    record.group = f"prioritize[n={len(accounts):.0e}]"
    record.extra_info["role"] = "floor"
    record(read_once, buffers(accounts))
