import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from bbmkit import ValidationError, ValidationTypeError, min_trials, proportion_ci

CASES = [(0, 10), (1, 10), (5, 10), (10, 10), (150, 400), (3, 7), (999, 1000), (37, 1234)]

# statsmodels.stats.proportion.proportion_confint(k, n, alpha=0.05, method=...) values,
# stored so the comparison runs where statsmodels is not installed
STORED = {
    "wilson": [
        (0.0, 0.27753279986288926),
        (0.017876213095072924, 0.40415002679523854),
        (0.23659309051256394, 0.7634069094874361),
        (0.7224672001371106, 1.0),
        (0.32895707946316294, 0.4234209941204112),
        (0.15821985525146964, 0.7495416354723428),
        (0.9943574414020421, 0.9998234536293739),
        (0.021830557376379046, 0.04105427998789423),
    ],
    "agresti_coull": [
        (0.0, 0.3208873057505458),
        (0.0, 0.4259677373948323),
        (0.23659309051256394, 0.7634069094874361),
        (0.6791126942494543, 1.0),
        (0.32894225750448874, 0.42343581607908537),
        (0.15752124573939852, 0.750240244984414),
        (0.9937585172566711, 1.0),
        (0.02172085166302038, 0.04116398570125291),
    ],
    "clopper_pearson": [
        (0.0, 0.30849710781876083),
        (0.0025285785444617848, 0.4450161170281953),
        (0.18708602844739855, 0.8129139715526015),
        (0.6915028921812392, 1.0),
        (0.32738623872952, 0.42447821133857505),
        (0.09898827844250786, 0.815948432359917),
        (0.9944410757201734, 0.9999746825125088),
        (0.02119736257683741, 0.041093470381206414),
    ],
    "normal": [
        (0.0, 0.0),
        (0.0, 0.2859385096913685),
        (0.19010248384771916, 0.8098975161522808),
        (1.0, 1.0),
        (0.32755682580443773, 0.42244317419556227),
        (0.061972109447262946, 0.7951707476955941),
        (0.9970410162425702, 1.0),
        (0.020468474943070327, 0.03949911014607067),
    ],
}


@pytest.mark.parametrize("method", list(STORED))
def test_matches_stored_statsmodels_values(method: str) -> None:
    k, n = np.array(CASES).T
    result = proportion_ci(k, n, method=method)  # type: ignore[arg-type]
    expected = np.array(STORED[method])
    np.testing.assert_allclose(result["lower"], expected[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(result["upper"], expected[:, 1], rtol=0, atol=1e-9)
    np.testing.assert_allclose(result["rate"], k / n)


@pytest.mark.parametrize("method", list(STORED))
@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_matches_statsmodels_when_installed(method: str, confidence: float) -> None:
    proportion = pytest.importorskip(
        "statsmodels.stats.proportion", reason="statsmodels not installed"
    )
    rng = np.random.default_rng(int(confidence * 100))
    n = rng.integers(1, 2000, 200)
    k = rng.integers(0, n + 1)
    lo, hi = proportion.proportion_confint(
        k, n, alpha=1 - confidence, method="beta" if method == "clopper_pearson" else method
    )
    result = proportion_ci(k, n, method=method, confidence=confidence)  # type: ignore[arg-type]
    np.testing.assert_allclose(result["lower"], lo, rtol=0, atol=1e-9)
    np.testing.assert_allclose(result["upper"], hi, rtol=0, atol=1e-9)


def test_series_keep_their_index_and_scalars_broadcast() -> None:
    k = pd.Series({"MQL": 40, "SQL": 10})
    result = proportion_ci(k, 100)
    assert list(result.index) == ["MQL", "SQL"]
    assert list(result.columns) == ["rate", "lower", "upper"]
    assert proportion_ci(3, [10, 20])["rate"].tolist() == [0.3, 0.15]


@pytest.mark.parametrize(
    ("k", "n", "kwargs", "error", "message"),
    [
        (5, 4, {}, ValidationError, "successes must be <= trials, got 5.0 of 4.0"),
        (
            -1,
            4,
            {},
            ValidationError,
            r"successes must be whole numbers from 0 to 2\*\*53, got -1.0",
        ),
        (1.5, 4, {}, ValidationError, "whole numbers from 0 to 2..53, got 1.5"),
        (1, 0, {}, ValidationError, "trials must be > 0"),
        (np.nan, 4, {}, ValidationError, "successes must be whole numbers from 0 to 2\\*\\*53"),
        ("3", 4, {}, ValidationTypeError, "successes must be a count"),
        ([1, 2], [3, 4, 5], {}, ValidationError, "do not broadcast"),
        (1, 4, {"method": "jeffreys"}, ValidationError, "method must be one of"),
        (
            1,
            4,
            {"confidence": 1.0},
            ValidationError,
            r"confidence must be a finite number in \(0, 1\)",
        ),
        (1, 4, {"confidence": 95}, ValidationError, "confidence must be"),
    ],
)
def test_invalid(
    k: object, n: object, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        proportion_ci(k, n, **kwargs)  # type: ignore[arg-type]


@given(
    st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from(list(STORED)),
    st.floats(0.5, 0.999),
)
def test_property_interval_contains_estimate_in_unit_interval(
    case: tuple[int, int], method: str, confidence: float
) -> None:
    k, n = case
    row = proportion_ci(k, n, method=method, confidence=confidence).iloc[0]  # type: ignore[arg-type]
    assert 0.0 <= row["lower"] <= row["rate"] + 1e-12
    assert row["rate"] - 1e-12 <= row["upper"] <= 1.0


# --------------------------------------------------------------------------
# binomial planning


def test_min_trials_is_the_smallest_sufficient_number() -> None:
    n = min_trials(5, 0.032, probability=0.9)
    assert n == 248
    assert stats.binom.sf(4, n, 0.032) >= 0.9
    assert stats.binom.sf(4, n - 1, 0.032) < 0.9
    assert min_trials(3, 1.0) == 3
    assert min_trials(1, 0.5, probability=0.5) == 1
    assert min_trials(1, 0.5, probability=0.75) == 2


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((0, 0.5), {}, "successes must be an integer >= 1"),
        ((5, 0.0), {}, r"rate must be a finite number in \(0, 1\]"),
        ((5, 1.5), {}, "rate must be"),
        ((5, 0.5), {"probability": 1.0}, "probability must be"),
    ],
)
def test_min_trials_invalid(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        min_trials(*args, **kwargs)  # type: ignore[arg-type]
