"""The whole pipeline (issue 8): ICP fit -> scores -> account rollup -> handover -> ICP rate.

bbmkit's public API beside idiomatic pandas, and polars and DuckDB when the
``bench`` extra is installed. Every implementation's result is checked equal
to bbmkit's before its time counts (``test_same_answer``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import bbmkit as bk
from benchmarks.conftest import buffers, input_bytes, peak_memory, read_once, sizes
from benchmarks.test_bench_scoring import AS_OF, HALF_LIFE, MODEL, POINTS, RULE

PROFILE = bk.ICPProfile(
    [
        bk.one_of("industry", ["software", "manufacturing"], weight=3),
        bk.between("employees", 100, 2000, weight=2),
        bk.equals("region", "Japan", weight=1),
        bk.at_least("revenue", 20.0, weight=1),
    ],
    threshold=0.6,
)
INDUSTRIES = np.array(["software", "manufacturing", "retail", "finance", "health", "education"])
REGIONS = np.array(["Japan", "APAC", "EMEA", "North America"])

SIZES = sizes()


def make_data(n: int, *, seed: int = 0) -> dict[str, Any]:
    """N contacts in N/20 accounts, 5 N events over 180 days; integer ids."""
    rng = np.random.default_rng(seed)
    contacts = pd.DataFrame(
        {
            "contact_id": np.arange(n),
            "account_id": rng.integers(0, max(1, n // 20), n),
            "industry": pd.Categorical.from_codes(
                rng.integers(0, INDUSTRIES.size, n), categories=INDUSTRIES
            ),
            "employees": rng.lognormal(6, 1.2, n).round(),
            "region": pd.Categorical.from_codes(
                rng.integers(0, REGIONS.size, n), categories=REGIONS
            ),
            "revenue": rng.lognormal(3, 1, n),
        }
    )
    n_events = 5 * n
    start = (AS_OF - pd.Timedelta(days=180)).value
    events = pd.DataFrame(
        {
            "contact_id": rng.integers(0, n, n_events),
            "event_type": pd.Categorical.from_codes(
                rng.integers(0, len(POINTS), n_events), categories=list(POINTS)
            ),
            "timestamp": pd.to_datetime(start + rng.integers(0, 180 * 86_400, n_events) * 10**9),
        }
    )
    return {"contacts": contacts, "events": events}


def summary(handed: pd.Series, icp_by_handover: pd.Series) -> dict[str, Any]:
    return {"handed": sorted(handed.tolist()), "icp": icp_by_handover.to_dict()}


def run_bbmkit(data: dict[str, Any]) -> dict[str, Any]:
    contacts, events = data["contacts"], data["events"]
    is_icp = PROFILE.is_icp(contacts)
    scores = MODEL.score(events, as_of=AS_OF)
    accounts = contacts.set_index("contact_id")["account_id"]
    result = bk.handover(scores, accounts, RULE, top_k=None)  # the workload needs no top-k
    handed = result.index[result["handover"].to_numpy()]
    in_handed = accounts.isin(handed).to_numpy()
    rates = bk.icp_rate(is_icp, by=in_handed)
    return summary(pd.Series(handed), rates["icp"].iloc[:-1])


def run_pandas(data: dict[str, Any]) -> dict[str, Any]:
    contacts, events = data["contacts"], data["events"]
    fit = (
        3 * contacts["industry"].isin(["software", "manufacturing"])
        + 2 * contacts["employees"].between(100, 2000)
        + contacts["region"].eq("Japan")
        + contacts["revenue"].ge(20.0)
    ) / 7
    is_icp = fit >= 0.6 - 1e-12
    log = events[events["timestamp"] <= AS_OF]
    age = (AS_OF - log["timestamp"]) / pd.Timedelta(days=1)
    value = log["event_type"].map(POINTS).astype(float) * 0.5 ** (age / HALF_LIFE)
    scores = value.groupby(log["contact_id"]).sum().rename("score")
    frame = (
        contacts[["contact_id", "account_id"]].join(scores, on="contact_id").fillna({"score": 0.0})
    )
    grouped = frame.groupby("account_id")["score"]
    rolled = pd.DataFrame(
        {"max": grouped.max(), "n60": frame["score"].ge(60).groupby(frame["account_id"]).sum()}
    )
    handed = rolled.index[(rolled["max"] >= 100) | (rolled["n60"] >= 3)]
    in_handed = contacts["account_id"].isin(handed)
    icp = is_icp.groupby(in_handed).sum()
    return summary(pd.Series(handed), icp)


def run_polars(data: dict[str, Any]) -> dict[str, Any]:
    import polars as pl

    contacts, events = data["pl_contacts"], data["pl_events"]
    as_of = AS_OF.to_pydatetime()
    fit = (
        3 * pl.col("industry").cast(pl.String).is_in(["software", "manufacturing"]).cast(pl.Float64)
        + 2 * pl.col("employees").is_between(100, 2000).cast(pl.Float64)
        + (pl.col("region").cast(pl.String) == "Japan").cast(pl.Float64)
        + (pl.col("revenue") >= 20.0).cast(pl.Float64)
    ) / 7
    people = contacts.with_columns((fit >= 0.6 - 1e-12).alias("is_icp"))
    points = pl.DataFrame({"event_type": list(POINTS), "points": list(POINTS.values())})
    scores = (
        events.filter(pl.col("timestamp") <= as_of)
        .join(points, on="event_type")
        .with_columns(
            (
                pl.col("points")
                * (0.5 ** (((as_of - pl.col("timestamp")).dt.total_seconds() / 86_400) / HALF_LIFE))
            ).alias("value")
        )
        .group_by("contact_id")
        .agg(pl.col("value").sum().alias("score"))
    )
    frame = people.join(scores, on="contact_id", how="left").with_columns(
        pl.col("score").fill_null(0.0)
    )
    rolled = frame.group_by("account_id").agg(
        pl.col("score").max().alias("max"), (pl.col("score") >= 60).sum().alias("n60")
    )
    handed = rolled.filter((pl.col("max") >= 100) | (pl.col("n60") >= 3))["account_id"]
    icp = (
        frame.with_columns(pl.col("account_id").is_in(handed.implode()).alias("in_handed"))
        .group_by("in_handed")
        .agg(pl.col("is_icp").sum())
    )
    icp_series = pd.Series(
        dict(zip(icp["in_handed"].to_list(), icp["is_icp"].to_list(), strict=True))
    )
    return summary(pd.Series(handed.to_list()), icp_series.sort_index())


def run_duckdb(data: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.register("contacts", data["plain_contacts"])
    con.register("events", data["plain_events"])
    cases = " ".join(f"WHEN '{k}' THEN {v}" for k, v in POINTS.items())
    query = f"""
    WITH people AS (
        SELECT contact_id, account_id,
               (3 * (industry IN ('software', 'manufacturing'))::INT
                + 2 * (employees BETWEEN 100 AND 2000)::INT
                + (region = 'Japan')::INT + (revenue >= 20.0)::INT) / 7.0 >= 0.6 - 1e-12 AS is_icp
        FROM contacts),
    scores AS (
        SELECT contact_id,
               SUM((CASE event_type {cases} END)
                   * pow(0.5, epoch(TIMESTAMP '{AS_OF}' - timestamp) / 86400.0 / {HALF_LIFE})) AS score
        FROM events WHERE timestamp <= TIMESTAMP '{AS_OF}' GROUP BY contact_id),
    frame AS (
        SELECT p.*, COALESCE(s.score, 0.0) AS score FROM people p LEFT JOIN scores s USING (contact_id)),
    handed AS (
        SELECT account_id FROM frame GROUP BY account_id
        HAVING MAX(score) >= 100 OR SUM((score >= 60)::INT) >= 3)
    SELECT (SELECT list(account_id) FROM handed) AS handed,
           (SELECT list(struct_pack(k := in_handed, v := n)) FROM (
               SELECT account_id IN (SELECT account_id FROM handed) AS in_handed, SUM(is_icp::INT) AS n
               FROM frame GROUP BY 1)) AS icp
    """
    handed, icp = con.execute(query).fetchone()
    con.close()
    icp_series = pd.Series({row["k"]: row["v"] for row in icp}).sort_index()
    return summary(pd.Series(handed), icp_series)


RUNNERS = {"bbmkit": run_bbmkit, "pandas": run_pandas, "polars": run_polars, "duckdb": run_duckdb}


def _string_ids(prefix: str, codes: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(codes.astype(str), width)).astype(object)


@pytest.fixture(
    scope="module",
    params=[(n, flavour) for n in SIZES for flavour in ("int", "str")],
    ids=lambda p: f"n={p[0]:.0e},{p[1]}",
)
def data(request: Any) -> dict[str, Any]:
    n, flavour = request.param
    d = make_data(n)
    d["label"] = f"n={n:.0e},{flavour}"
    plain_contacts = d["contacts"].astype({"industry": str, "region": str})
    plain_events = d["events"].astype({"event_type": str})
    if flavour == "str":
        # as exported from a CRM: string ids, string event types, datetimes
        plain_contacts["contact_id"] = _string_ids("C", plain_contacts["contact_id"].to_numpy(), 8)
        plain_contacts["account_id"] = _string_ids("A", plain_contacts["account_id"].to_numpy(), 7)
        plain_events["contact_id"] = _string_ids("C", plain_events["contact_id"].to_numpy(), 8)
        d["contacts"], d["events"] = plain_contacts, plain_events
    d["plain_contacts"], d["plain_events"] = plain_contacts, plain_events
    try:
        import polars as pl

        d["pl_contacts"] = pl.from_pandas(plain_contacts)
        d["pl_events"] = pl.from_pandas(plain_events)
    except ImportError:
        pass
    return d


def _available(name: str) -> None:
    if name in ("polars", "duckdb"):
        pytest.importorskip(name, reason=f"{name} is not installed (the bench extra)")


@pytest.mark.parametrize("name", ["pandas", "polars", "duckdb"])
def test_same_answer(data: dict[str, Any], name: str) -> None:
    _available(name)
    ours = run_bbmkit(data)
    theirs = RUNNERS[name](data)
    assert theirs["handed"] == ours["handed"]
    assert {bool(k): int(v) for k, v in theirs["icp"].items()} == {
        bool(k): int(v) for k, v in ours["icp"].items()
    }


@pytest.mark.parametrize("name", list(RUNNERS))
def test_pipeline(record: Any, data: dict[str, Any], name: str) -> None:
    _available(name)
    record.group = f"pipeline[{data['label']}]"
    record.extra_info["role"] = name
    # the same tables in every implementation's own format; their bytes are the input
    record.extra_info["input_bytes"] = input_bytes(data["contacts"], data["events"])
    record.extra_info["peak_bytes"] = peak_memory(RUNNERS[name], data)
    record(RUNNERS[name], data)


def test_pipeline_floor(record: Any, data: dict[str, Any]) -> None:
    """One read of every input byte: the memory-bandwidth floor of the pipeline."""
    record.group = f"pipeline[{data['label']}]"
    record.extra_info["role"] = "floor"
    record(read_once, buffers(data["contacts"], data["events"]))
