"""ICP fit and ICP rate: bbmkit against idiomatic pandas, same data, same run.

The fit is also timed beside polars and DuckDB when the ``bench`` extra is
installed, each checked equal to bbmkit's first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from bbmkit import ICPProfile, at_least, between, equals, icp_rate, one_of
from benchmarks.conftest import buffers, make_leads, optional, read_once, sizes, timed

PROFILE = ICPProfile(
    [
        one_of("industry", ["software", "manufacturing"], weight=3),
        between("employees", 100, 2000, weight=2),
        equals("region", "Japan", weight=1),
        at_least("revenue", 20.0, weight=1),
    ],
    threshold=0.6,
)


def pandas_fit(frame: pd.DataFrame) -> pd.Series:
    """What a user would write by hand: boolean columns, weighted sum."""
    matches = pd.DataFrame(
        {
            "industry": frame["industry"].isin(["software", "manufacturing"]),
            "employees": frame["employees"].between(100, 2000),
            "region": frame["region"].eq("Japan"),
            "revenue": frame["revenue"].ge(20.0),
        }
    )
    weights = pd.Series({"industry": 3.0, "employees": 2.0, "region": 1.0, "revenue": 1.0})
    return matches.mul(weights).sum(axis=1) / weights.sum()


def polars_fit(frame: Any) -> Any:
    """polars: the same weighted sum as one expression (missing never matches)."""
    import polars as pl

    def matched(expr: Any) -> Any:
        return expr.fill_null(False).cast(pl.Float64)

    fit = (
        3 * matched(pl.col("industry").is_in(["software", "manufacturing"]))
        + 2 * matched(pl.col("employees").is_between(100, 2000))
        + matched(pl.col("region") == "Japan")
        + matched(pl.col("revenue") >= 20.0)
    ) / 7
    return frame.select(fit.alias("icp_fit")).to_series()


def duckdb_fit(frame: pd.DataFrame) -> Any:
    """DuckDB: the same as SQL over the pandas frame; a numpy column out."""
    import duckdb

    query = """
    SELECT (3 * COALESCE(industry IN ('software', 'manufacturing'), false)::INT
            + 2 * COALESCE(employees BETWEEN 100 AND 2000, false)::INT
            + COALESCE(region = 'Japan', false)::INT
            + COALESCE(revenue >= 20.0, false)::INT) / 7.0 AS icp_fit
    FROM leads"""
    with duckdb.connect() as con:
        con.register("leads", frame)
        return con.sql(query).fetchnumpy()["icp_fit"]


FITS: dict[str, Any] = {
    "bbmkit": lambda leads, _: lambda: PROFILE.fit(leads),
    "pandas": lambda leads, _: lambda: pandas_fit(leads),
    "polars": lambda _, pl_leads: lambda: polars_fit(pl_leads),
    "duckdb": lambda leads, _: lambda: duckdb_fit(leads),
}


def pandas_icp_rate(is_icp: pd.Series, by: pd.Series) -> pd.DataFrame:
    grouped = is_icp.groupby(by, dropna=False).agg(["sum", "size"])
    grouped.loc["all"] = [is_icp.sum(), is_icp.size]
    out = pd.DataFrame({"icp": grouped["sum"], "total": grouped["size"]})
    out["non_icp"] = out["total"] - out["icp"]
    out["icp_rate"] = out["icp"] / out["total"]
    return out


@pytest.fixture(
    scope="module",
    params=[(n, text) for n in sizes() for text in ("category", "str")],
    ids=lambda p: f"n={p[0]:.0e},{p[1]}",
)
def leads(request: Any) -> pd.DataFrame:
    n, text = request.param
    frame = make_leads(n, text=text)
    frame.attrs["label"] = f"n={n:.0e},{text}"
    return frame


@pytest.fixture(scope="module")
def pl_leads(leads: pd.DataFrame) -> Any:
    """The leads as a polars frame (not in ``attrs``: pandas deep-copies those)."""
    return optional("polars").from_pandas(leads)


@pytest.mark.parametrize("name", ["polars", "duckdb"])
def test_same_fit(request: Any, leads: pd.DataFrame, name: str) -> None:
    optional(name)
    pl_leads = request.getfixturevalue("pl_leads") if name == "polars" else None
    theirs = np.asarray(FITS[name](leads, pl_leads)())
    np.testing.assert_allclose(PROFILE.fit(leads).to_numpy(), theirs, rtol=1e-12)


def test_same_answer(leads: pd.DataFrame) -> None:
    np.testing.assert_allclose(PROFILE.fit(leads), pandas_fit(leads), rtol=1e-12)
    ours = icp_rate(PROFILE.is_icp(leads), by=leads["programme"])
    theirs = pandas_icp_rate(PROFILE.is_icp(leads), leads["programme"])
    assert ours["icp"].tolist() == theirs.loc[ours.index, "icp"].tolist()


@pytest.mark.parametrize("name", list(FITS))
def test_fit(request: Any, record: Any, leads: pd.DataFrame, name: str) -> None:
    if name in ("polars", "duckdb"):
        optional(name)
    pl_leads = request.getfixturevalue("pl_leads") if name == "polars" else None
    columns = leads[list(PROFILE.columns)]
    group = f"icp_fit[{leads.attrs['label']}]"
    timed(record, group, name, FITS[name](leads, pl_leads), inputs=(columns,))


def test_fit_floor(record: Any, leads: pd.DataFrame) -> None:
    """One read of the four criteria columns: ICP fit is a single pass over them."""
    record.group = f"icp_fit[{leads.attrs['label']}]"
    record.extra_info["role"] = "floor"
    record(read_once, buffers(leads[list(PROFILE.columns)]))


@pytest.mark.benchmark(group="icp_rate")
def test_icp_rate_bbmkit(record: Any, leads: pd.DataFrame) -> None:
    is_icp = PROFILE.is_icp(leads)
    record.group = f"icp_rate_by_programme[{leads.attrs['label']}]"
    record(icp_rate, is_icp, by=leads["programme"])


@pytest.mark.benchmark(group="icp_rate")
def test_icp_rate_pandas_baseline(record: Any, leads: pd.DataFrame) -> None:
    is_icp = PROFILE.is_icp(leads)
    record.group = f"icp_rate_by_programme[{leads.attrs['label']}]"
    record(pandas_icp_rate, is_icp, leads["programme"])
