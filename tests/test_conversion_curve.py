"""conversion_curve: time to convert with censoring and a competing outcome."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bbmkit as bk
from bbmkit._kernels import aalen_johansen, loglog_interval
from tests import reference

Z95 = 1.959963984540054
LIFELINES = json.loads(
    (Path(__file__).parent / "data" / "lifelines_aalen_johansen.json").read_text()
)


@pytest.mark.parametrize("case", LIFELINES, ids=lambda c: f"n={len(c['durations'])}")
def test_kernel_equals_lifelines_without_ties(case: dict) -> None:
    # stored from lifelines 0.30.3's AalenJohansenFitter (pandas 2) on tie-free data:
    # lifelines pins pandas < 3, so it cannot run beside this package's test extra.
    # Its confidence columns are labelled the other way round (its "upper" is the
    # smaller bound); its lower bound is NaN where the incidence is still 0
    durations = np.array(case["durations"])
    outcome = np.array(case["outcome"], dtype=np.int8)
    times, cif, variance, at_risk = aalen_johansen(durations, outcome)
    lower, upper = loglog_interval(cif, variance, Z95)
    np.testing.assert_allclose(times, case["times"], rtol=0, atol=0)
    np.testing.assert_allclose(cif, case["cif"], rtol=0, atol=1e-9)
    # where every entity still at risk has an event lifelines divides 0 by 0 (NaN);
    # that term is 0 here, as nobody is left to vary
    theirs = np.array(case["variance"], dtype=float)
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(variance[finite], theirs[finite], rtol=0, atol=1e-9)
    assert at_risk.tolist() == case["at_risk"]
    theirs_lower, theirs_upper = np.array(case["upper"]), np.array(case["lower"])
    known = ~np.isnan(theirs_lower) & finite
    np.testing.assert_allclose(lower[known], theirs_lower[known], rtol=0, atol=1e-9)
    np.testing.assert_allclose(upper[known], theirs_upper[known], rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_kernel_equals_the_tie_aware_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    durations = rng.integers(0, 12, n).astype(float)  # daily dates: ties everywhere
    outcome = rng.choice([0, 1, 2], size=n).astype(np.int8)
    times, cif, variance, at_risk = aalen_johansen(durations, outcome)
    rows = reference.aalen_johansen(durations.tolist(), outcome.tolist())
    assert times.tolist() == [r[0] for r in rows]
    np.testing.assert_allclose(cif, [r[1] for r in rows], rtol=0, atol=1e-12)
    np.testing.assert_allclose(variance, [r[2] for r in rows], rtol=1e-9, atol=1e-12)
    assert at_risk.tolist() == [r[3] for r in rows]


def test_ties_by_hand() -> None:
    # six entities: on day 5 two convert, one is lost and one is censored (still at risk);
    # on day 8 one converts; one stays open to day 10
    durations = np.array([5.0, 5.0, 5.0, 5.0, 8.0, 10.0])
    outcome = np.array([1, 1, 2, 0, 1, 0], dtype=np.int8)
    times, cif, _, at_risk = aalen_johansen(durations, outcome)
    assert times.tolist() == [5.0, 8.0]
    assert at_risk.tolist() == [6, 2]
    # day 5: 2 of 6 convert -> 1/3; S after day 5 = 1 - 3/6 = 1/2; day 8: 1/2 * 1/2 more
    assert cif.tolist() == pytest.approx([1 / 3, 1 / 3 + 1 / 4])


def _snapshot_log() -> pd.DataFrame:
    from tests.test_crm import DATES, ORDER, snapshot

    return bk.stage_log(snapshot(), entity="deal_id", stage="deal_stage", dates=DATES, order=ORDER)


def test_conversion_curve_of_the_snapshot() -> None:
    curve = bk.conversion_curve(
        _snapshot_log(), "Engaging", "Won", lost="Lost", entity="deal_id", as_of="2026-02-01"
    )
    # engaged deals (day 0 = their engage date): d2 won after 7 days, d4 lost after 11,
    # d1 won after 15, d5 lost after 19, d3 won after 22; d7 and d8 open (censored)
    assert curve.index.tolist() == [7.0, 11.0, 15.0, 19.0, 22.0]
    assert curve["converted"].tolist() == [1, 0, 1, 0, 1]
    assert curve["lost"].tolist() == [0, 1, 0, 1, 0]
    # at risk: 7 engaged; d8 (engaged 01-15) is censored at 17 days, d7 (01-12) at 20.99
    assert curve["at_risk"].tolist() == [7, 6, 5, 3, 1]
    s = 1.0
    expected = []
    cif = 0.0
    for n, won, lost in zip([7, 6, 5, 3, 1], [1, 0, 1, 0, 1], [0, 1, 0, 1, 0], strict=True):
        cif += s * won / n
        s *= 1 - (won + lost) / n
        expected.append(cif)
    assert curve["probability"].tolist() == pytest.approx(expected)
    assert (
        (curve["lower"] <= curve["probability"]) & (curve["probability"] <= curve["upper"])
    ).all()


def test_conversion_curve_as_of_cuts_later_events_and_cohorts() -> None:
    log = _snapshot_log()
    early = bk.conversion_curve(
        log, "Engaging", "Won", lost="Lost", entity="deal_id", as_of="2026-01-16"
    )
    assert early.index.tolist() == [7.0, 11.0]  # d1's win on 01-20 has not happened yet
    owner = pd.Series(["ann", "bob"] * 5, index=[f"d{i}" for i in range(1, 11)])
    by = bk.conversion_curve(log, "Engaging", "Won", lost="Lost", entity="deal_id", by=owner)
    assert set(by.index.get_level_values(0)) == {"ann", "bob"}
    assert by["converted"].sum() == 3


@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 40), st.sampled_from([0, 1, 2])),
        min_size=1,
        max_size=40,
    )
)
def test_property_curve_is_a_probability_and_complete_data_gives_the_share(rows: list) -> None:
    entities, start, gap, kind = [], [], [], []
    for i, (s, g, k) in enumerate(rows):
        entities.append(f"e{i}")
        start.append(float(s))
        gap.append(float(g))
        kind.append(k)
    log = pd.DataFrame({"entity_id": entities, "stage": "Lead", "timestamp": start})
    outcomes = pd.DataFrame(
        {
            "entity_id": [e for e, k in zip(entities, kind, strict=True) if k],
            "stage": ["Won" if k == 1 else "Lost" for k in kind if k],
            "timestamp": [s + g for s, g, k in zip(start, gap, kind, strict=True) if k],
        }
    )
    events = pd.concat([log, outcomes], ignore_index=True)
    curve = bk.conversion_curve(events, "Lead", "Won", lost="Lost", as_of=1000.0)
    p = curve["probability"].to_numpy()
    assert ((p >= 0) & (p <= 1 + 1e-12)).all()
    assert (np.diff(p) >= -1e-12).all()
    assert ((curve["lower"] <= p + 1e-12) & (p <= curve["upper"] + 1e-12)).all()
    if all(kind) and len(p):  # nobody open: the curve ends at the share converted
        assert p[-1] == pytest.approx(kind.count(1) / len(kind))
    shuffled = events.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(
        curve, bk.conversion_curve(shuffled, "Lead", "Won", lost="Lost", as_of=1000.0)
    )


def test_conversion_curve_errors() -> None:
    log = _snapshot_log()
    with pytest.raises(bk.ValidationError, match="start and end are both"):
        bk.conversion_curve(log, "Won", "Won", entity="deal_id")
    with pytest.raises(bk.ValidationError, match="lost stage 'Won' is also in stages"):
        bk.conversion_curve(log, "Engaging", "Won", lost="Won", entity="deal_id")
    with pytest.raises(bk.ValidationTypeError, match="as_of must be a timestamp"):
        bk.conversion_curve(log, "Engaging", "Won", entity="deal_id", as_of=5.0)
    with pytest.raises(bk.ValidationError, match=r"confidence must be a finite number in \(0, 1\)"):
        bk.conversion_curve(log, "Engaging", "Won", entity="deal_id", confidence=1.0)
