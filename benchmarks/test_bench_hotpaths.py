"""Funnel from event logs and ABM prioritisation: bbmkit beside idiomatic pandas, same run.

Funnel workload: N entities entering a four-stage waterfall (MQL -> SAL ->
SQL -> Won), each stage reached with probability 0.5 after the previous one,
a stage event per stage reached, days apart; counts with backfill and the
median days between stages. Prioritisation workload: N accounts with four
items on their own scales, weighted into a priority and ranked. polars and
DuckDB versions run when the ``bench`` extra is installed; every result is
checked equal to bbmkit's first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import bbmkit as bk
from benchmarks.conftest import buffers, optional, read_once, sizes, timed

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


def polars_funnel(events: Any) -> Any:
    """polars: first entry per (entity, stage), furthest stage per entity, gaps between stages.

    ``events["stage"]`` is an ``Enum`` of the stages, so its physical value is
    the stage's position.
    """
    import polars as pl

    entry = events.group_by("entity_id", pl.col("stage").to_physical().alias("k")).agg(
        pl.col("timestamp").min()
    )
    furthest = entry.group_by("entity_id").agg(pl.col("k").max())["k"]
    counts = np.bincount(furthest.to_numpy(), minlength=len(STAGES))
    reached = counts[::-1].cumsum()[
        ::-1
    ]  # backfill: reaching a stage means reaching the earlier ones
    nxt = entry.with_columns(pl.col("k") - 1)  # stage k+1's entry, keyed by k
    gaps = (
        entry.join(nxt, on=["entity_id", "k"], suffix="_next")
        .group_by("k")
        .agg((pl.col("timestamp_next") - pl.col("timestamp")).median().alias("median_days"))
        .sort("k")
    )
    return {"reached": reached, "gaps": gaps}


def duckdb_funnel(events: pd.DataFrame) -> Any:
    """DuckDB: the same as SQL over the pandas frame (categorical stages arrive as an ENUM)."""
    import duckdb

    query = f"""
    WITH entry AS (
        SELECT entity_id, enum_code(stage) AS k, MIN(timestamp) AS t FROM events GROUP BY ALL),
    furthest AS (SELECT entity_id, MAX(k) AS f FROM entry GROUP BY ALL),
    reached AS (
        SELECT s.k, (SELECT COUNT(*) FROM furthest WHERE f >= s.k) AS reached
        FROM range({len(STAGES)}) s(k)),
    gaps AS (
        SELECT a.k, MEDIAN(b.t - a.t) AS median_days
        FROM entry a JOIN entry b ON a.entity_id = b.entity_id AND b.k = a.k + 1 GROUP BY a.k)
    SELECT r.k, r.reached, g.median_days FROM reached r LEFT JOIN gaps g USING (k) ORDER BY r.k"""
    with duckdb.connect() as con:
        con.register("events", events)
        return con.sql(query).fetchnumpy()


def _funnel_table(name: str, result: Any) -> pd.DataFrame:
    """Any implementation's result as the pandas baseline's frame."""
    if name in ("bbmkit", "pandas"):
        return result[["reached", "rate", "median_days"]]
    if name == "polars":
        reached = result["reached"]
        gaps = result["gaps"].to_pandas().set_index("k")["median_days"]
    else:
        reached = result["reached"]
        gaps = pd.Series(result["median_days"], index=result["k"])
    reached = pd.Series(np.asarray(reached, dtype=np.int64), index=pd.Index(STAGES, name="stage"))
    return pd.DataFrame(
        {
            "reached": reached,
            "rate": reached / reached.shift(1),
            "median_days": gaps.reindex(range(len(STAGES))).to_numpy(dtype=float),
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


def polars_prioritize(accounts: Any) -> Any:
    import polars as pl

    total = sum(WEIGHTS.values())
    priority = sum(w * pl.col(c) / SCALES[c] for c, w in WEIGHTS.items()) / total
    return (
        accounts.with_columns(priority.alias("priority"))
        # ties (equal to 12 decimals, as bbmkit counts them) keep input order
        .with_columns(pl.col("priority").round(12).rank("ordinal", descending=True).alias("rank"))
        .sort("rank")
    )


def duckdb_prioritize(accounts: pd.DataFrame) -> Any:
    import duckdb

    total = sum(WEIGHTS.values())
    terms = " + ".join(f"{w} * {c} / {SCALES[c]}" for c, w in WEIGHTS.items())
    query = f"""
    WITH p AS (SELECT *, ({terms}) / {total} AS priority FROM accounts)
    SELECT *, row_number() OVER (ORDER BY round(priority, 12) DESC, account_id) AS rank
    FROM p ORDER BY rank"""
    with duckdb.connect() as con:
        con.register("accounts", accounts)
        return con.sql(query).to_arrow_table()


@pytest.fixture(scope="module", params=sizes(), ids=lambda n: f"n={n:.0e}")
def stage_log(request: Any) -> pd.DataFrame:
    return make_stage_log(request.param)


@pytest.fixture(scope="module", params=sizes(), ids=lambda n: f"n={n:.0e}")
def accounts(request: Any) -> pd.DataFrame:
    return make_accounts(request.param)


@pytest.fixture(scope="module")
def pl_stage_log(stage_log: pd.DataFrame) -> Any:
    pl = optional("polars")
    return pl.from_pandas(stage_log).with_columns(pl.col("stage").cast(pl.Enum(STAGES)))


@pytest.fixture(scope="module")
def plain_accounts(accounts: pd.DataFrame) -> pd.DataFrame:
    """The accounts with their ids as a column, for the SQL engine."""
    return accounts.reset_index()


@pytest.fixture(scope="module")
def pl_accounts(plain_accounts: pd.DataFrame) -> Any:
    return optional("polars").from_pandas(plain_accounts)


def _funnel_group(stage_log: pd.DataFrame) -> str:
    return f"funnel_from_events[n={stage_log['entity_id'].max() + 1:.0e}]"


FUNNELS: dict[str, Any] = {
    "bbmkit": lambda log: bk.funnel_from_events(log, STAGES),
    "pandas": pandas_funnel,
    "polars": polars_funnel,
    "duckdb": duckdb_funnel,
}
PRIORITIZERS: dict[str, Any] = {
    "bbmkit": lambda accounts: bk.prioritize(accounts, WEIGHTS, scales=SCALES),
    "pandas": pandas_prioritize,
    "polars": polars_prioritize,
    "duckdb": duckdb_prioritize,
}


def _runner(
    request: Any, name: str, implementations: dict[str, Any], data: Any, formats: dict[str, str]
) -> Any:
    """A call without arguments of implementation ``name`` on the data in its own format.

    ``formats`` names the fixture holding the data for an implementation
    that does not take the pandas frame as it is.
    """
    if name in ("polars", "duckdb"):
        optional(name)
    if name in formats:
        data = request.getfixturevalue(formats[name])
    fn = implementations[name]
    return lambda: fn(data)


def _funnel_runner(request: Any, name: str, stage_log: pd.DataFrame) -> Any:
    return _runner(request, name, FUNNELS, stage_log, {"polars": "pl_stage_log"})


@pytest.mark.parametrize("name", ["pandas", "polars", "duckdb"])
def test_funnel_same_answer(request: Any, stage_log: pd.DataFrame, name: str) -> None:
    ours = bk.funnel_from_events(stage_log, STAGES)
    theirs = _funnel_table(name, _funnel_runner(request, name, stage_log)())
    assert ours["reached"].tolist() == theirs["reached"].tolist()
    np.testing.assert_allclose(ours["rate"], theirs["rate"], rtol=1e-12)
    np.testing.assert_allclose(ours["median_days"], theirs["median_days"], rtol=1e-9)


@pytest.mark.parametrize("name", ["bbmkit", "pandas", "polars", "duckdb"])
def test_funnel(request: Any, record: Any, stage_log: pd.DataFrame, name: str) -> None:
    run = _funnel_runner(request, name, stage_log)
    timed(record, _funnel_group(stage_log), name, run, inputs=(stage_log,))


def test_funnel_floor(record: Any, stage_log: pd.DataFrame) -> None:
    record.group = _funnel_group(stage_log)
    record.extra_info["role"] = "floor"
    record(read_once, buffers(stage_log))


def with_lost(stage_log: pd.DataFrame, *, seed: int = 1) -> pd.DataFrame:
    """The log with a "Lost" event for a third of the entities that did not reach the last stage."""
    rng = np.random.default_rng(seed)
    won = stage_log["entity_id"].to_numpy()[stage_log["stage"].to_numpy() == STAGES[-1]]
    n = int(stage_log["entity_id"].max()) + 1
    candidates = np.setdiff1d(np.arange(n), won)
    lost = candidates[rng.random(candidates.size) < 1 / 3]
    rows = pd.DataFrame(
        {
            "entity_id": lost,
            "stage": pd.Categorical.from_codes(
                np.full(lost.size, len(STAGES)), categories=[*STAGES, "Lost"]
            ),
            "timestamp": np.full(lost.size, 400.0),
        }
    )
    log = stage_log.assign(stage=stage_log["stage"].cat.add_categories("Lost"))
    return pd.concat([log, rows], ignore_index=True)


@pytest.fixture(scope="module")
def stage_log_lost(stage_log: pd.DataFrame) -> pd.DataFrame:
    return with_lost(stage_log)


@pytest.mark.parametrize("name", ["bbmkit", "bbmkit_without_lost"])
def test_funnel_lost(
    record: Any, stage_log: pd.DataFrame, stage_log_lost: pd.DataFrame, name: str
) -> None:
    # the cost of lost= (open and lost counts per transition) against the plain funnel
    group = f"funnel_from_events lost=[n={stage_log['entity_id'].max() + 1:.0e}]"
    if name == "bbmkit":
        run = lambda: bk.funnel_from_events(stage_log_lost, STAGES, lost="Lost")  # noqa: E731
        timed(record, group, name, run, inputs=(stage_log_lost,))
    else:
        run = lambda: bk.funnel_from_events(stage_log, STAGES)  # noqa: E731
        timed(record, group, name, run, inputs=(stage_log,))


def test_conversion_curve(record: Any, stage_log: pd.DataFrame) -> None:
    # bbmkit alone (the other engines have no Aalen-Johansen): MQL -> Won over the log
    group = f"conversion_curve[n={stage_log['entity_id'].max() + 1:.0e}]"
    run = lambda: bk.conversion_curve(stage_log, STAGES[0], STAGES[-1])  # noqa: E731
    timed(record, group, "bbmkit", run, inputs=(stage_log,))


def _prioritize_runner(request: Any, name: str, accounts: pd.DataFrame) -> Any:
    formats = {"polars": "pl_accounts", "duckdb": "plain_accounts"}
    return _runner(request, name, PRIORITIZERS, accounts, formats)


@pytest.mark.parametrize("name", ["pandas", "polars", "duckdb"])
def test_prioritize_same_answer(request: Any, accounts: pd.DataFrame, name: str) -> None:
    ours = bk.prioritize(accounts, WEIGHTS, scales=SCALES)
    theirs = _prioritize_runner(request, name, accounts)()
    if name != "pandas":
        theirs = theirs.to_pandas().set_index("account_id")
    assert ours.index.tolist() == theirs.index.tolist()
    np.testing.assert_allclose(ours["priority"], theirs["priority"], rtol=1e-12)
    assert ours["rank"].tolist() == theirs["rank"].tolist()


@pytest.mark.parametrize("name", ["bbmkit", "pandas", "polars", "duckdb"])
def test_prioritize(request: Any, record: Any, accounts: pd.DataFrame, name: str) -> None:
    run = _prioritize_runner(request, name, accounts)
    timed(record, f"prioritize[n={len(accounts):.0e}]", name, run, inputs=(accounts,))


def test_prioritize_floor(record: Any, accounts: pd.DataFrame) -> None:
    record.group = f"prioritize[n={len(accounts):.0e}]"
    record.extra_info["role"] = "floor"
    record(read_once, buffers(accounts))
