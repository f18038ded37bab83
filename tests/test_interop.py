"""polars DataFrames and pyarrow Tables are accepted wherever a pandas DataFrame is."""

import numpy as np
import pandas as pd
import pytest

import bbmkit as bk
from bbmkit.datasets import STAGES, demo_profile, demo_scoring_model, load_demo

pl = pytest.importorskip("polars", reason="the interop extra (polars) is not installed")
pa = pytest.importorskip("pyarrow", reason="the interop extra (pyarrow) is not installed")


@pytest.fixture(scope="module")
def demo() -> bk.datasets.DemoData:
    return load_demo()


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categoricals and string extension types as plain objects, as another library exports them."""
    out = frame.reset_index(drop=True).copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype | pd.StringDtype):
            out[column] = out[column].astype(object)
    return out


@pytest.mark.parametrize(
    "convert",
    [lambda f: pl.from_pandas(f), lambda f: pa.Table.from_pandas(f, preserve_index=False)],
    ids=["polars", "pyarrow"],
)
def test_icp_fit_and_scores_match_pandas(demo: bk.datasets.DemoData, convert: object) -> None:
    leads = _plain(demo.leads())
    profile = demo_profile()
    np.testing.assert_allclose(
        profile.fit(convert(leads)).to_numpy(), profile.fit(leads).to_numpy()
    )  # type: ignore[operator]
    events = _plain(demo.events)
    model = demo_scoring_model()
    ours = model.score(convert(events))  # type: ignore[operator]
    expected = model.score(events)
    np.testing.assert_allclose(ours.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert list(ours.index) == list(expected.index)


def test_funnel_and_prioritize_from_arrow(demo: bk.datasets.DemoData) -> None:
    log = _plain(demo.stage_events)
    table = pa.Table.from_pandas(log, preserve_index=False)
    pd.testing.assert_frame_equal(
        bk.funnel_from_events(table, STAGES, entity="contact_id"),
        bk.funnel_from_events(log, STAGES, entity="contact_id"),
    )
    accounts = pl.DataFrame({"fit": [60, 80, 90], "opp": [5, 4, 8]})
    ranked = bk.prioritize(accounts, {"fit": 0.5, "opp": 0.5}, scales={"fit": 100, "opp": 10})
    assert ranked.index.tolist() == [2, 1, 0]  # polars rows are numbered


def test_other_objects_are_still_rejected() -> None:
    with pytest.raises(bk.ValidationTypeError, match="or a polars DataFrame or pyarrow Table"):
        demo_profile().fit(pl.Series([1, 2]))  # type: ignore[arg-type]
