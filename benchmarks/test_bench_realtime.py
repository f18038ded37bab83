"""The real-time path of a service: one lead, one account, one record.

Each group times bbmkit's record path beside a plain-Python implementation
of the same formula (the floor a hand-written service would reach) and
beside bbmkit's table path on a one-row/one-lead frame (what a service paid
before the record path existed). Results are checked equal first. The
import group times ``import bbmkit`` in a fresh interpreter beside
``import pandas`` (which bbmkit needs anyway).
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from typing import Any

import pandas as pd
import pytest

import bbmkit as bk

POINTS = {"web_visit": 5.0, "email_click": 3.0, "demo_request": 40.0, "webinar": 20.0}
HALF_LIFE = 30.0
EVENT_CAPS = {"web_visit": 25.0}
CAP = 100.0
MODEL = bk.ScoringModel(POINTS, half_life=HALF_LIFE, event_caps=EVENT_CAPS, cap=CAP)
AS_OF = dt.datetime(2026, 6, 1, 12, 0)
TYPES = list(POINTS)


def lead_events(n: int = 10) -> list[dict[str, Any]]:
    """One lead's recent events, as a request body would carry them (ISO text)."""
    start = dt.datetime(2026, 4, 1, 9, 30)
    return [
        {
            "contact_id": "lead-42",
            "event_type": TYPES[(3 * i) % len(TYPES)],
            "timestamp": (start + dt.timedelta(days=5 * i, minutes=7 * i)).isoformat(),
        }
        for i in range(n)
    ]


ISO_EVENTS = lead_events()
DT_EVENTS = [dict(e, timestamp=dt.datetime.fromisoformat(e["timestamp"])) for e in ISO_EVENTS]
FRAME = pd.DataFrame(DT_EVENTS).assign(timestamp=lambda f: pd.to_datetime(f["timestamp"]))


def plain_score(events: list[dict[str, Any]], as_of: dt.datetime) -> dict[str, float]:
    """The formula by hand: decayed points per type, type caps, total cap (one lead)."""
    per_type: dict[str, float] = {}
    for e in events:
        age = (as_of - e["timestamp"]).total_seconds() / 86_400
        if age >= 0:
            kind = e["event_type"]
            per_type[kind] = per_type.get(kind, 0.0) + POINTS[kind] * 0.5 ** (age / HALF_LIFE)
    score = sum(min(v, EVENT_CAPS.get(k, math.inf)) for k, v in per_type.items())
    return {events[0]["contact_id"]: min(score, CAP)}


def plain_score_parsing(events: list[dict[str, Any]], as_of: dt.datetime) -> dict[str, float]:
    parsed = [dict(e, timestamp=dt.datetime.fromisoformat(e["timestamp"])) for e in events]
    return plain_score(parsed, as_of)


def test_results_agree() -> None:
    want = plain_score(DT_EVENTS, AS_OF)
    for got in (
        MODEL.score_records(DT_EVENTS, as_of=AS_OF),
        MODEL.score_records(ISO_EVENTS, as_of=AS_OF),
        MODEL.score(FRAME, as_of=AS_OF).to_dict(),
    ):
        assert got == pytest.approx(want, rel=1e-12)
    assert RULE.evaluate(ACCOUNT).fired == plain_handover(ACCOUNT)[0]
    assert PROFILE.fit_record(RECORD).fit == pytest.approx(plain_fit(RECORD), rel=1e-12)


@pytest.mark.benchmark(group="realtime: one lead, 10 events")
def test_one_lead_bbmkit(record: Any) -> None:
    record(MODEL.score_records, DT_EVENTS, as_of=AS_OF)


@pytest.mark.benchmark(group="realtime: one lead, 10 events")
def test_one_lead_plain_python(record: Any) -> None:
    record.extra_info["role"] = "plain python"
    record(plain_score, DT_EVENTS, AS_OF)


@pytest.mark.benchmark(group="realtime: one lead, 10 events")
def test_one_lead_table_path(record: Any) -> None:
    record.extra_info["role"] = "score(DataFrame)"
    record(MODEL.score, FRAME, as_of=AS_OF)


@pytest.mark.benchmark(group="realtime: one lead, ISO text")
def test_one_lead_iso_bbmkit(record: Any) -> None:
    record(MODEL.score_records, ISO_EVENTS, as_of=AS_OF)


@pytest.mark.benchmark(group="realtime: one lead, ISO text")
def test_one_lead_iso_plain_python(record: Any) -> None:
    record.extra_info["role"] = "plain python"
    record(plain_score_parsing, ISO_EVENTS, AS_OF)


@pytest.mark.benchmark(group="realtime: one lead, ISO text")
def test_one_lead_iso_table_path(record: Any) -> None:
    record.extra_info["role"] = "DataFrame + score"

    def build_and_score() -> pd.Series:
        frame = pd.DataFrame(ISO_EVENTS)
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="ISO8601")
        return MODEL.score(frame, as_of=AS_OF)

    record(build_and_score)


# a model with marketing-automation rules: run contact by contact in Python
RULES_MODEL = bk.ScoringModel(
    POINTS, limits={"web_visit": (1, "D")}, inactivity=(10, "M"), floor=0.0
)


@pytest.mark.benchmark(group="realtime: one lead, rules model")
def test_one_lead_rules_bbmkit(record: Any) -> None:
    record(RULES_MODEL.score_records, DT_EVENTS, as_of=AS_OF)


@pytest.mark.benchmark(group="realtime: one lead, rules model")
def test_one_lead_rules_table_path(record: Any) -> None:
    record.extra_info["role"] = "score(DataFrame)"
    record(RULES_MODEL.score, FRAME, as_of=AS_OF)


# --------------------------------------------------------------------------
# one account's handover

RULE = bk.any_contact(at_least=100) | bk.contacts(at_least=60, count=3)
ACCOUNT = {"c1": 72.5, "c2": 61.0, "c3": 15.0, "c4": 64.25, "c5": 8.0}


def plain_handover(scores: dict[str, float]) -> tuple[bool, str]:
    values = list(scores.values())
    reasons = []
    if max(values) >= 100:
        reasons.append("any contact >= 100")
    if sum(v >= 60 for v in values) >= 3:
        reasons.append("3 contacts >= 60")
    return bool(reasons), "; ".join(reasons)


@pytest.mark.benchmark(group="realtime: one account handover")
def test_handover_bbmkit(record: Any) -> None:
    record(RULE.evaluate, ACCOUNT)


@pytest.mark.benchmark(group="realtime: one account handover")
def test_handover_plain_python(record: Any) -> None:
    record.extra_info["role"] = "plain python"
    record(plain_handover, ACCOUNT)


@pytest.mark.benchmark(group="realtime: one account handover")
def test_handover_table_path(record: Any) -> None:
    record.extra_info["role"] = "handover(Series)"
    scores = pd.Series(ACCOUNT)
    record(bk.handover, scores, pd.Series("A", index=scores.index), RULE)


# --------------------------------------------------------------------------
# one record's ICP fit

PROFILE = bk.ICPProfile(
    [
        bk.one_of("industry", ["software", "manufacturing"], weight=3),
        bk.between("employees", 200, 2000, weight=2),
        bk.equals("region", "EMEA"),
        bk.at_least("revenue", 5e6),
    ],
    threshold=0.6,
)
RECORD = {"industry": "software", "employees": 850, "region": "APAC", "revenue": 1.2e7}


def plain_fit(record: dict[str, Any]) -> float:
    met = 3.0 * (record["industry"] in ("software", "manufacturing"))
    met += 2.0 * (200 <= record["employees"] <= 2000)
    met += 1.0 * (record["region"] == "EMEA")
    met += 1.0 * (record["revenue"] >= 5e6)
    return met / 7.0


@pytest.mark.benchmark(group="realtime: one record's ICP fit")
def test_fit_bbmkit(record: Any) -> None:
    record(PROFILE.fit_record, RECORD)


@pytest.mark.benchmark(group="realtime: one record's ICP fit")
def test_fit_plain_python(record: Any) -> None:
    record.extra_info["role"] = "plain python"
    record(plain_fit, RECORD)


@pytest.mark.benchmark(group="realtime: one record's ICP fit")
def test_fit_table_path(record: Any) -> None:
    record.extra_info["role"] = "fit(DataFrame)"
    frame = pd.DataFrame([RECORD])
    record(PROFILE.fit, frame)


# --------------------------------------------------------------------------
# import time


def _import(module: str) -> None:
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)


@pytest.mark.benchmark(group="realtime: import in a new process")
def test_import_bbmkit(record: Any) -> None:
    record.pedantic(_import, args=("bbmkit",), rounds=5, iterations=1)


@pytest.mark.benchmark(group="realtime: import in a new process")
def test_import_pandas_baseline(record: Any) -> None:
    record.extra_info["role"] = "import pandas"
    record.pedantic(_import, args=("pandas",), rounds=5, iterations=1)


def test_import_leaves_heavy_modules_out() -> None:
    # modules pandas itself does not load (pandas 3 loads pyarrow when it is installed)
    code = (
        "import sys; import pandas; before = set(sys.modules); import bbmkit; "
        "print(','.join(sorted(m for m in set(sys.modules) - before "
        "if m.split('.')[0] in ('scipy', 'matplotlib', 'pyarrow', 'numba', 'dask', 'polars'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert "scipy.stats" not in loaded.split(","), loaded
    assert not [m for m in loaded.split(",") if m.split(".")[0] in ("matplotlib", "numba", "dask")]
