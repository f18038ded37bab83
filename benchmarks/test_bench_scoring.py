"""Scoring and handover: bbmkit against idiomatic pandas, polars and DuckDB, same run.

Workload (issue 4): N contacts in N/20 accounts, 5 events per contact over
180 days, 8 event types, exponential half-life decay to an as-of time; then
the account rollup and the rule "any contact >= 100 or >= 3 contacts >= 60".
polars and DuckDB run when the ``bench`` extra is installed; every
implementation's result is checked equal to bbmkit's first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from bbmkit import ScoringModel, any_contact, contacts, handover
from benchmarks.conftest import buffers, optional, read_once, sizes, timed

POINTS = {
    "web_visit": 3.0,
    "email_click": 5.0,
    "content_download": 15.0,
    "webinar_attended": 25.0,
    "seminar_attended": 30.0,
    "pricing_page": 20.0,
    "demo_request": 50.0,
    "unsubscribe": -40.0,
}
HALF_LIFE = 30.0
AS_OF = pd.Timestamp("2026-07-01")
RULE = any_contact(at_least=100) | contacts(at_least=60, count=3)
MODEL = ScoringModel(POINTS, half_life=HALF_LIFE)

SIZES = sizes()


def make_log(n_contacts: int, *, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    n_events = 5 * n_contacts
    start = (AS_OF - pd.Timedelta(days=180)).value
    stamps = start + rng.integers(0, 180 * 86_400, n_events) * 10**9
    events = pd.DataFrame(
        {
            "contact_id": rng.integers(0, n_contacts, n_events),
            "event_type": pd.Categorical.from_codes(
                rng.integers(0, len(POINTS), n_events), categories=list(POINTS)
            ),
            "timestamp": pd.to_datetime(stamps),
        }
    )
    accounts = pd.Series(
        rng.integers(0, max(1, n_contacts // 20), n_contacts),
        index=pd.RangeIndex(n_contacts, name="contact_id"),
        name="account_id",
    )
    return events, accounts


def pandas_score(events: pd.DataFrame) -> pd.Series:
    """Idiomatic pandas: filter, map points, decay, groupby-sum."""
    log = events[events["timestamp"] <= AS_OF]
    age = (AS_OF - log["timestamp"]) / pd.Timedelta(days=1)
    value = log["event_type"].map(POINTS).astype(float) * 0.5 ** (age / HALF_LIFE)
    return value.groupby(log["contact_id"]).sum().rename("score")


def pandas_handover(scores: pd.Series, accounts: pd.Series) -> pd.DataFrame:
    """The same frame as ``bbmkit.handover``: the rollup (top-3 by sort + head), the rule, reasons."""
    frame = accounts.to_frame().join(scores)
    scored = frame["score"].notna()
    frame["score"] = frame["score"].fillna(0.0)
    by = frame["account_id"]
    grouped = frame.groupby("account_id")["score"]
    out = pd.DataFrame(
        {
            "n_contacts": grouped.size(),
            "n_scored": scored.groupby(by).sum(),
            "total": grouped.sum(),
            "max": grouped.max(),
        }
    )
    out["mean"] = out["total"] / out["n_contacts"]
    top = frame.sort_values("score", ascending=False).groupby("account_id").head(3)
    out["top3_total"] = top.groupby("account_id")["score"].sum()
    any100 = out["max"].ge(100)
    three60 = frame["score"].ge(60).groupby(by).sum().ge(3)
    out["handover"] = any100 | three60
    out["reason"] = np.select(
        [any100 & three60, any100, three60],
        [f"{ANY100}; {THREE60}", ANY100, THREE60],
        "",
    )
    return out


ANY100, THREE60 = "any contact >= 100", "3 contacts >= 60"


def polars_score(events: Any) -> Any:
    """polars: filter, join the points, decay, group-by sum."""
    import polars as pl

    as_of = AS_OF.to_pydatetime()
    points = pl.DataFrame(
        {"event_type": list(POINTS), "points": list(POINTS.values())},
        schema={"event_type": events.schema["event_type"], "points": pl.Float64},
    )
    age = (as_of - pl.col("timestamp")).dt.total_seconds() / 86_400
    return (
        events.filter(pl.col("timestamp") <= as_of)
        .join(points, on="event_type")
        .group_by("contact_id")
        .agg((pl.col("points") * 0.5 ** (age / HALF_LIFE)).sum().alias("score"))
    )


def polars_handover(scores: Any, accounts: Any) -> Any:
    """polars: join, one group-by for the whole rollup (``top_k`` for the top 3), the rule."""
    import polars as pl

    score = pl.col("score").fill_null(0.0)
    any100, three60 = pl.col("max") >= 100, pl.col("n60") >= 3
    return (
        accounts.join(scores, on="contact_id", how="left")
        .group_by("account_id")
        .agg(
            pl.len().alias("n_contacts"),
            pl.col("score").is_not_null().sum().alias("n_scored"),
            score.sum().alias("total"),
            score.max().alias("max"),
            score.top_k(3).sum().alias("top3_total"),
            (score >= 60).sum().alias("n60"),
        )
        .with_columns(
            (pl.col("total") / pl.col("n_contacts")).alias("mean"),
            (any100 | three60).alias("handover"),
            pl.when(any100 & three60)
            .then(pl.lit(f"{ANY100}; {THREE60}"))
            .when(any100)
            .then(pl.lit(ANY100))
            .when(three60)
            .then(pl.lit(THREE60))
            .otherwise(pl.lit(""))
            .alias("reason"),
        )
    )


def _duckdb_score_sql(table: str) -> str:
    cases = " ".join(f"WHEN '{k}' THEN {v}" for k, v in POINTS.items())
    return f"""
        SELECT contact_id,
               SUM((CASE event_type {cases} END)
                   * pow(0.5, epoch(TIMESTAMP '{AS_OF}' - timestamp) / 86400.0 / {HALF_LIFE})) AS score
        FROM {table} WHERE timestamp <= TIMESTAMP '{AS_OF}' GROUP BY contact_id"""


def duckdb_score(events: pd.DataFrame) -> Any:
    """DuckDB: the same as SQL over the pandas frame; an Arrow table out."""
    import duckdb

    with duckdb.connect() as con:
        con.register("events", events)
        return con.sql(_duckdb_score_sql("events")).to_arrow_table()


def duckdb_handover(scores: pd.DataFrame, accounts: pd.DataFrame) -> Any:
    """DuckDB: join and one GROUP BY for the rollup (``max(score, 3)`` for the top 3), the rule."""
    import duckdb

    query = f"""
    WITH frame AS (
        SELECT a.account_id, s.score IS NOT NULL AS scored, COALESCE(s.score, 0.0) AS score
        FROM accounts a LEFT JOIN scores s USING (contact_id)),
    rolled AS (
        SELECT account_id, COUNT(*) AS n_contacts, SUM(scored::INT) AS n_scored,
               SUM(score) AS total, MAX(score) AS max, list_sum(max(score, 3)) AS top3_total,
               SUM((score >= 60)::INT) AS n60
        FROM frame GROUP BY account_id)
    SELECT account_id, n_contacts, n_scored, total, max, total / n_contacts AS mean, top3_total,
           max >= 100 OR n60 >= 3 AS handover,
           CASE WHEN max >= 100 AND n60 >= 3 THEN '{ANY100}; {THREE60}'
                WHEN max >= 100 THEN '{ANY100}' WHEN n60 >= 3 THEN '{THREE60}' ELSE '' END AS reason
    FROM rolled"""
    with duckdb.connect() as con:
        con.register("scores", scores)
        con.register("accounts", accounts)
        return con.sql(query).to_arrow_table()


def _to_pandas(result: Any, index: str) -> pd.DataFrame:
    """A polars frame or an Arrow table as a pandas frame indexed by ``index``, sorted."""
    frame = result.to_pandas()
    return frame.set_index(index).sort_index()


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n={n:.0e}")
def workload(request: Any) -> dict[str, Any]:
    events, accounts = make_log(request.param)
    scores = MODEL.score(events, as_of=AS_OF)
    d: dict[str, Any] = {
        "n": request.param,
        "events": events,
        "accounts": accounts,
        "scores": scores,
        # the same tables as plain columns, for the SQL engine
        "frame_scores": scores.reset_index(),
        "frame_accounts": accounts.reset_index(),
    }
    try:
        import polars as pl

        d["pl_events"] = pl.from_pandas(events)
        d["pl_scores"] = pl.from_pandas(d["frame_scores"])
        d["pl_accounts"] = pl.from_pandas(d["frame_accounts"])
    except ImportError:
        pass
    return d


SCORERS: dict[str, Any] = {
    "bbmkit": lambda d: lambda: MODEL.score(d["events"], as_of=AS_OF),
    "pandas": lambda d: lambda: pandas_score(d["events"]),
    "polars": lambda d: lambda: polars_score(d["pl_events"]),
    "duckdb": lambda d: lambda: duckdb_score(d["events"]),
}
HANDOVERS: dict[str, Any] = {
    "bbmkit": lambda d: lambda: handover(d["scores"], d["accounts"], RULE),
    "pandas": lambda d: lambda: pandas_handover(d["scores"], d["accounts"]),
    "polars": lambda d: lambda: polars_handover(d["pl_scores"], d["pl_accounts"]),
    "duckdb": lambda d: lambda: duckdb_handover(d["frame_scores"], d["frame_accounts"]),
}


def _scores_of(name: str, result: Any) -> pd.Series:
    if name in ("bbmkit", "pandas"):
        return result
    return _to_pandas(result, "contact_id")["score"]


@pytest.mark.parametrize("name", ["pandas", "polars", "duckdb"])
def test_same_scores(workload: dict[str, Any], name: str) -> None:
    if name != "pandas":
        optional(name)
    ours = SCORERS["bbmkit"](workload)()
    theirs = _scores_of(name, SCORERS[name](workload)())
    assert len(theirs) == len(ours)
    # scores that cancel to near 0 (unsubscribes) differ in the last bits: absolute tolerance too
    np.testing.assert_allclose(
        ours.to_numpy(), theirs.reindex(ours.index).to_numpy(), rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize("name", ["pandas", "polars", "duckdb"])
def test_same_handover(workload: dict[str, Any], name: str) -> None:
    if name != "pandas":
        optional(name)
    ours = HANDOVERS["bbmkit"](workload)()
    theirs = HANDOVERS[name](workload)()
    if name != "pandas":
        theirs = _to_pandas(theirs, "account_id")
    pd.testing.assert_frame_equal(
        ours,
        theirs.reindex(index=ours.index, columns=ours.columns),
        check_dtype=False,
        check_names=False,
        rtol=1e-9,
        atol=1e-9,
    )


@pytest.mark.parametrize("name", list(SCORERS))
def test_score(record: Any, workload: dict[str, Any], name: str) -> None:
    if name in ("polars", "duckdb"):
        optional(name)
    group = f"score[n={workload['n']:.0e}]"
    timed(record, group, name, SCORERS[name](workload), inputs=(workload["events"],))


@pytest.mark.parametrize("name", list(HANDOVERS))
def test_handover(record: Any, workload: dict[str, Any], name: str) -> None:
    if name in ("polars", "duckdb"):
        optional(name)
    group = f"handover[n={workload['n']:.0e}]"
    inputs = (workload["frame_scores"], workload["frame_accounts"])
    timed(record, group, name, HANDOVERS[name](workload), inputs=inputs)


def test_handover_floor(record: Any, workload: dict[str, Any]) -> None:
    """One read of the rollup's inputs: scores with their ids, and the account map."""
    record.group = f"handover[n={workload['n']:.0e}]"
    record.extra_info["role"] = "floor"
    record(read_once, buffers(workload["frame_scores"], workload["frame_accounts"]))


def test_score_floor(record: Any, workload: dict[str, Any]) -> None:
    """One read of the event log."""
    record.group = f"score[n={workload['n']:.0e}]"
    record.extra_info["role"] = "floor"
    record(read_once, buffers(workload["events"]))
