"""ICP fit and ICP rate: bbmkit against idiomatic pandas, same data, same run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from bbmkit import ICPProfile, at_least, between, equals, icp_rate, one_of
from benchmarks.conftest import buffers, make_leads, read_once, sizes

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


def test_same_answer(leads: pd.DataFrame) -> None:
    np.testing.assert_allclose(PROFILE.fit(leads), pandas_fit(leads), rtol=1e-12)
    ours = icp_rate(PROFILE.is_icp(leads), by=leads["programme"])
    theirs = pandas_icp_rate(PROFILE.is_icp(leads), leads["programme"])
    assert ours["icp"].tolist() == theirs.loc[ours.index, "icp"].tolist()


@pytest.mark.benchmark(group="icp_fit")
def test_fit_bbmkit(record: Any, leads: pd.DataFrame) -> None:
    record.group = f"icp_fit[{leads.attrs['label']}]"
    record(PROFILE.fit, leads)


@pytest.mark.benchmark(group="icp_fit")
def test_fit_pandas_baseline(record: Any, leads: pd.DataFrame) -> None:
    record.group = f"icp_fit[{leads.attrs['label']}]"
    record(pandas_fit, leads)


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
