"""Scoring and handover: bbmkit against idiomatic pandas groupby code, same run.

Workload (issue 4): N contacts in N/20 accounts, 5 events per contact over
180 days, 8 event types, exponential half-life decay to an as-of time; then
the account rollup and the rule "any contact >= 100 or >= 3 contacts >= 60".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from bbmkit import ScoringModel, any_contact, contacts, handover
from benchmarks.conftest import buffers, read_once, sizes

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


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n={n:.0e}")
def workload(request: Any) -> tuple[pd.DataFrame, pd.Series]:
    return make_log(request.param)


def test_same_answer(workload: tuple[pd.DataFrame, pd.Series]) -> None:
    events, accounts = workload
    ours = MODEL.score(events, as_of=AS_OF)
    theirs = pandas_score(events)
    # scores that cancel to near 0 (unsubscribes) differ in the last bits: absolute tolerance too
    np.testing.assert_allclose(
        ours.to_numpy(), theirs.reindex(ours.index).to_numpy(), rtol=1e-9, atol=1e-9
    )
    a = handover(ours, accounts, RULE)
    b = pandas_handover(theirs, accounts)
    pd.testing.assert_frame_equal(
        a, b.reindex(a.index), check_dtype=False, check_names=False, rtol=1e-9, atol=1e-9
    )


def test_score_bbmkit(record: Any, workload: tuple[pd.DataFrame, pd.Series]) -> None:
    events, _ = workload
    record.group = f"score[n={len(events) // 5:.0e}]"
    record(MODEL.score, events, as_of=AS_OF)


def test_score_pandas_baseline(record: Any, workload: tuple[pd.DataFrame, pd.Series]) -> None:
    events, _ = workload
    record.group = f"score[n={len(events) // 5:.0e}]"
    record(pandas_score, events)


def test_handover_bbmkit(record: Any, workload: tuple[pd.DataFrame, pd.Series]) -> None:
    events, accounts = workload
    scores = MODEL.score(events, as_of=AS_OF)
    record.group = f"handover[n={len(accounts):.0e}]"
    record(handover, scores, accounts, RULE)


def test_handover_pandas_baseline(record: Any, workload: tuple[pd.DataFrame, pd.Series]) -> None:
    events, accounts = workload
    scores = pandas_score(events)
    record.group = f"handover[n={len(accounts):.0e}]"
    record(pandas_handover, scores, accounts)


def test_handover_floor(record: Any, workload: tuple[pd.DataFrame, pd.Series]) -> None:
    """One read of the rollup's inputs: scores with their ids, and the account map."""
    events, accounts = workload
    scores = MODEL.score(events, as_of=AS_OF)
    record.group = f"handover[n={len(accounts):.0e}]"
    record.extra_info["role"] = "floor"
    arrays = [*buffers(scores, accounts), scores.index.to_numpy()]
    record(read_once, arrays)


def test_score_floor(record: Any, workload: tuple[pd.DataFrame, pd.Series]) -> None:
    """One read of the event log."""
    events, _ = workload
    record.group = f"score[n={len(events) // 5:.0e}]"
    record.extra_info["role"] = "floor"
    record(read_once, buffers(events))
