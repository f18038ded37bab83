"""Scoring rules (issue 17): their cost against plain half-life scoring, and against pandas.

Workload: N contacts, 5 events each over a year (N = 1e6: 5e6 events), in
no particular order (a sorted log skips the time sort), six event types.
Groups in the summary:

* ``rules vs plain``: a model using every rule that combines with a running
  decay (limits, half-life, resets, floor, event caps, group caps, total
  cap) timed as ``bbmkit``, beside plain half-life scoring of the same log
  as ``plain``; the Marketo-style model (limits, inactivity, floor, resets,
  caps) as ``inactivity``. The target is ``bbmkit`` within 4x ``plain``.
* ``hubspot rules``: limits per calendar period, step decay by calendar
  month, a window and group caps, against idiomatic pandas (group-by
  ``cumcount`` for the limits, vectorised month arithmetic, two group-by
  sums for the caps); both results are checked equal first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from bbmkit import ScoringModel
from benchmarks.conftest import sizes, timed

POINTS = {
    "web_visit": 3.0,
    "email_click": 1.0,
    "webinar": 25.0,
    "demo_request": 50.0,
    "unsubscribe": -40.0,
}
AS_OF = pd.Timestamp("2026-01-01")
SIZES = sizes()

PLAIN = ScoringModel({**POINTS, "recycled": 0.0}, half_life=30)
RUNNING = ScoringModel(
    POINTS,
    half_life=30,
    limits={"web_visit": (2, "D"), "email_click": (5, "W")},
    resets={"recycled": 0.0},
    floor=0.0,
    event_caps={"web_visit": 30.0},
    groups={"marketing": ["web_visit", "email_click"]},
    group_caps={"marketing": 40.0},
    cap=150.0,
)
INACTIVITY = ScoringModel(
    POINTS,
    limits={"web_visit": (2, "D"), "email_click": (5, "W")},
    inactivity=(5.0, "M"),
    floor=0.0,
    resets={"recycled": 0.0},
    event_caps={"web_visit": 30.0},
    groups={"marketing": ["web_visit", "email_click"]},
    group_caps={"marketing": 40.0},
    cap=150.0,
)
HUBSPOT_POINTS = dict(POINTS)
HUBSPOT = ScoringModel(
    HUBSPOT_POINTS,
    limits={"web_visit": (2, "D"), "email_click": (5, "W")},
    step_decay=(0.5, "M"),
    window=180,
    groups={"marketing": ["web_visit", "email_click"], "sales": ["webinar", "demo_request"]},
    group_caps={"marketing": 40.0, "sales": 60.0},
)


def make_log(n_contacts: int, *, resets: bool = True, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 5 * n_contacts
    types = [*POINTS, "recycled"] if resets else list(POINTS)
    p = np.array([0.5, 0.3, 0.08, 0.05, 0.03, 0.04][: len(types)])
    start = (AS_OF - pd.Timedelta(days=365)).value
    return pd.DataFrame(
        {
            "contact_id": rng.integers(0, n_contacts, n),
            "event_type": pd.Categorical.from_codes(
                rng.choice(len(types), n, p=p / p.sum()), categories=types
            ),
            "timestamp": pd.to_datetime(start + rng.integers(0, 365 * 86_400, n) * 10**9),
        }
    )


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n={n:.0e}")
def rules_log(request: Any) -> pd.DataFrame:
    return make_log(request.param)


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n={n:.0e}")
def hubspot_log(request: Any) -> pd.DataFrame:
    return make_log(request.param, resets=False, seed=1)


@pytest.mark.parametrize("name", ["bbmkit", "plain", "inactivity"])
def test_rules_vs_plain(record: Any, rules_log: pd.DataFrame, name: str) -> None:
    model = {"bbmkit": RUNNING, "plain": PLAIN, "inactivity": INACTIVITY}[name]
    group = f"rules vs plain[n={rules_log['contact_id'].max() + 1:.0e}]"
    timed(record, group, name, lambda: model.score(rules_log, as_of=AS_OF), inputs=(rules_log,))


def pandas_hubspot(events: pd.DataFrame) -> pd.Series:
    """The HubSpot-style model in idiomatic pandas."""
    log = events[events["timestamp"] <= AS_OF].copy()
    log["points"] = log["event_type"].map(HUBSPOT_POINTS).astype(float)
    # frequency limits: rank within (contact, type, calendar period) in time order
    log = log.sort_values("timestamp", kind="stable")
    for event_type, (count, freq) in HUBSPOT.limits.items():
        rows = log["event_type"] == event_type
        period = log.loc[rows, "timestamp"].dt.to_period(freq)
        rank = log.loc[rows].groupby([log.loc[rows, "contact_id"], period]).cumcount()
        log.loc[rows, "points"] = np.where(rank < count, log.loc[rows, "points"], 0.0)
    # step decay by whole calendar months, then the window
    t = log["timestamp"]
    months = (AS_OF.year - t.dt.year) * 12 + (AS_OF.month - t.dt.month)
    months = months - (_vector_add_months(t, months) > AS_OF).astype(int)
    log["points"] *= 0.5**months
    log.loc[(AS_OF - t) > pd.Timedelta(days=HUBSPOT.window), "points"] = 0.0  # type: ignore[arg-type]
    # group caps on the per-(contact, type) sums
    per_type = log.groupby(["contact_id", "event_type"], observed=True)["points"].sum()
    group_of = {t: g for g, members in HUBSPOT.groups.items() for t in members}
    # a type in no group is a group of its own without a cap
    types = per_type.index.get_level_values("event_type").astype(str)
    groups = types.map({t: group_of.get(t, t) for t in HUBSPOT_POINTS})
    per_group = per_type.groupby([per_type.index.get_level_values("contact_id"), groups]).sum()
    names = {group_of.get(t, t) for t in HUBSPOT_POINTS}
    caps = per_group.index.get_level_values(1).map(
        {g: HUBSPOT.group_caps.get(g, np.inf) for g in names}
    )
    capped = np.minimum(per_group.to_numpy(), caps.to_numpy(dtype=float))
    return pd.Series(capped, index=per_group.index).groupby(level=0).sum().rename("score")


def _vector_add_months(t: pd.Series, months: pd.Series) -> pd.Series:
    """``t + DateOffset(months=m)`` for many rows: month periods, day clipped to the month."""
    period = t.dt.to_period("M") + months.to_numpy()
    month_start = period.dt.to_timestamp()
    days_in = period.dt.days_in_month
    day = np.minimum(t.dt.day, days_in)
    return month_start + pd.to_timedelta(day - 1, unit="D") + (t - t.dt.normalize())


def test_hubspot_same_answer() -> None:
    events = make_log(2_000, resets=False, seed=2)
    ours = HUBSPOT.score(events, as_of=AS_OF)
    theirs = pandas_hubspot(events)
    np.testing.assert_allclose(theirs.reindex(ours.index, fill_value=0.0), ours, rtol=1e-12)
    t = events["timestamp"]
    months = pd.Series(np.random.default_rng(4).integers(0, 14, len(t)), index=t.index)
    expected = [a + pd.DateOffset(months=int(m)) for a, m in zip(t, months, strict=True)]
    assert _vector_add_months(t, months).tolist() == expected


@pytest.mark.parametrize("name", ["bbmkit", "pandas"])
def test_hubspot_rules(record: Any, hubspot_log: pd.DataFrame, name: str) -> None:
    group = f"hubspot rules[n={hubspot_log['contact_id'].max() + 1:.0e}]"
    if name == "bbmkit":
        run = lambda: HUBSPOT.score(hubspot_log, as_of=AS_OF)  # noqa: E731
    else:
        run = lambda: pandas_hubspot(hubspot_log)  # noqa: E731
    timed(record, group, name, run, inputs=(hubspot_log,))
