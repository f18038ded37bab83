"""The optional compiled kernels (numba): bit for bit the numpy path's results."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import bbmkit as bk
import bbmkit._kernels as kernels
from bbmkit._kernels import compiled, decayed_sums, group_max, parallel, scores_from_log
from bbmkit._kernels.scoring import decayed_points
from tests import reference


@pytest.fixture
def jit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled kernels on every call, in several chunks of several blocks on two threads."""
    pytest.importorskip("numba", reason="numba is not installed (the fast extra)")
    monkeypatch.setattr(compiled, "MIN_ROWS", 0)
    monkeypatch.setattr(parallel, "MIN_ROWS", 8)
    monkeypatch.setattr(parallel, "BLOCK_ROWS", 7)
    monkeypatch.setenv("BBMKIT_NUM_THREADS", "2")
    monkeypatch.delenv("BBMKIT_JIT", raising=False)
    assert compiled.jit_kernels(1) is not None


def _numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BBMKIT_JIT", "0")


def _log(seed: int, code_dtype: type = np.intp) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    n_contacts = int(rng.integers(1, 60))
    n = int(rng.integers(0, 800))
    return {
        "codes": rng.integers(0, n_contacts, n).astype(code_dtype),
        "types": rng.integers(0, 5, n).astype(np.int8),
        "days": rng.uniform(0, 200, n),
        "ns": rng.integers(0, 200 * 86_400, n) * 10**9,
        "points": rng.integers(-20, 60, 5).astype(np.float64),
        "n_contacts": n_contacts,
    }


@pytest.mark.usefixtures("jit")
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("kind", ["none", "exponential", "linear"])
@pytest.mark.parametrize("code_dtype", [np.intp, np.int32, np.int8])
def test_decayed_sums_equal_numpy_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, seed: int, kind: str, code_dtype: type
) -> None:
    d = _log(seed, code_dtype)
    for times, per_day in ((d["days"], None), (d["ns"], 86_400e9)):
        args = (times, d["types"], d["points"], 210.0, kind, 30.0, per_day, d["codes"])
        fast = decayed_sums(*args, d["n_contacts"])  # type: ignore[arg-type]
        with monkeypatch.context() as m:
            _numpy(m)
            slow = decayed_sums(*args, d["n_contacts"])  # type: ignore[arg-type]
        assert fast.dtype == np.float64
        np.testing.assert_array_equal(fast, slow)


@pytest.mark.usefixtures("jit")
@pytest.mark.parametrize("seed", range(10))
def test_decayed_sums_match_the_reference(seed: int) -> None:
    d = _log(seed)
    codes, types, days = d["codes"], d["types"], d["days"]
    names = [f"t{i}" for i in range(5)]
    points = dict(zip(names, d["points"].tolist(), strict=True))  # type: ignore[union-attr]
    events = [
        (int(c), names[int(t)], float(x))
        for c, t, x in zip(codes, types, days, strict=True)  # type: ignore[call-overload]
    ]
    expected = reference.score(events, points, kind="exponential", scale=30.0, as_of=210.0)
    got = decayed_sums(
        days, types, d["points"], 210.0, "exponential", 30.0, None, codes, d["n_contacts"]
    )  # type: ignore[arg-type]
    for contact in range(d["n_contacts"]):  # type: ignore[call-overload]
        assert got[contact] == pytest.approx(expected.get(contact, 0.0), rel=1e-12, abs=1e-12)


@pytest.mark.usefixtures("jit")
def test_scores_from_log_caps_the_total_on_the_compiled_path() -> None:
    codes = np.array([0, 0, 1, 2, 2, 2])
    types = np.zeros(6, dtype=np.int8)
    got = scores_from_log(
        np.zeros(6),
        types,
        np.array([40.0]),
        0.0,
        "none",
        1.0,
        None,
        codes,
        4,
        np.array([np.inf]),
        100.0,
    )
    assert got.tolist() == [80.0, 40.0, 100.0, 0.0]


@pytest.mark.usefixtures("jit")
@pytest.mark.parametrize("seed", range(12))
def test_group_max_equals_numpy(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_groups = int(rng.integers(1, 80))
    codes = rng.integers(0, n_groups, int(rng.integers(0, 600)))
    values = rng.normal(0, 50, codes.size)
    fast = group_max(codes, values, n_groups)
    with monkeypatch.context() as m:
        _numpy(m)
        slow = group_max(codes, values, n_groups)
    np.testing.assert_array_equal(fast, slow)
    assert np.isneginf(fast[np.bincount(codes, minlength=n_groups) == 0]).all()


def _crm_log(seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    n = 3_000
    events = pd.DataFrame(
        {
            "contact_id": rng.integers(0, 400, n),
            "event_type": rng.choice(["visit", "webinar", "demo", "unsubscribe"], n),
            "timestamp": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 180 * 86_400, n), unit="s"),
        }
    )
    accounts = pd.Series(rng.integers(0, 40, 400), index=pd.RangeIndex(400, name="contact_id"))
    return events, accounts


@pytest.mark.usefixtures("jit")
@pytest.mark.parametrize(
    "model",
    [
        bk.ScoringModel({"visit": 3, "webinar": 15, "demo": 40, "unsubscribe": -30}, half_life=30),
        bk.ScoringModel({"visit": 3, "webinar": 15, "demo": 40, "unsubscribe": -30}, cap=120),
        bk.ScoringModel(  # per-type caps: the numpy path in both settings
            {"visit": 3, "webinar": 15, "demo": 40, "unsubscribe": -30},
            lifespan=90,
            event_caps={"visit": 20},
        ),
    ],
)
def test_public_scores_and_handover_do_not_depend_on_the_path(
    monkeypatch: pytest.MonkeyPatch, model: bk.ScoringModel
) -> None:
    events, accounts = _crm_log(3)
    rule = bk.any_contact(at_least=100) | bk.contacts(at_least=60, count=3)
    fast = model.score(events, as_of="2026-06-30")
    fast_handover = bk.handover(fast, accounts, rule)
    with monkeypatch.context() as m:
        _numpy(m)
        slow = model.score(events, as_of="2026-06-30")
        slow_handover = bk.handover(slow, accounts, rule)
    pd.testing.assert_series_equal(fast, slow, check_exact=True)
    pd.testing.assert_frame_equal(fast_handover, slow_handover, check_exact=True)


def test_no_compiled_kernels_when_turned_off_or_small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BBMKIT_JIT", "0")
    assert compiled.jit_kernels(10**9) is None
    monkeypatch.delenv("BBMKIT_JIT")
    assert compiled.jit_kernels(compiled.MIN_ROWS - 1) is None


def test_numpy_fallback_without_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    monkeypatch.delitem(sys.modules, "bbmkit._kernels._jit", raising=False)
    monkeypatch.delattr(kernels, "_jit", raising=False)
    monkeypatch.setattr(compiled, "MIN_ROWS", 0)
    compiled._load.cache_clear()
    try:
        assert compiled.jit_kernels(10) is None
        codes = np.array([0, 1, 1])
        decay = (np.array([0.0, 1.0, 2.0]), np.zeros(3, dtype=np.int8), np.array([10.0]), 2.0)
        got = decayed_sums(*decay, "linear", 4.0, None, codes, 2)
        expected = decayed_points(*decay, "linear", 4.0)
        assert got.tolist() == [expected[0], expected[1] + expected[2]]
        assert group_max(codes, np.array([1.0, -2.0, 3.0]), 3).tolist() == [1.0, 3.0, -np.inf]
    finally:
        compiled._load.cache_clear()  # later tests load numba again if it is installed


def test_numpy_fallback_with_a_warning_when_numba_cannot_compile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jit = pytest.importorskip("bbmkit._kernels._jit", reason="numba is not installed")

    def broken() -> None:
        raise RuntimeError("cannot cache function 'scatter_add': no locator available")

    monkeypatch.setattr(jit, "warm_up", broken)
    monkeypatch.setattr(compiled, "MIN_ROWS", 0)
    compiled._load.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="no locator available.*using numpy"):
            assert compiled.jit_kernels(10) is None
    finally:
        compiled._load.cache_clear()
