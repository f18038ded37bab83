import subprocess
import sys

import pandas as pd
import pytest

pytest.importorskip("matplotlib", reason="the plot extra is not installed")
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import bbmkit as bk
from bbmkit import plot
from bbmkit.datasets import STAGES, demo_profile, demo_scoring_model, load_demo


@pytest.fixture(scope="module")
def demo() -> bk.datasets.DemoData:
    return load_demo()


@pytest.fixture(autouse=True)
def _close_figures() -> None:
    yield
    plt.close("all")


def test_importing_bbmkit_does_not_import_matplotlib() -> None:
    code = "import sys, bbmkit; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_funnel_with_split_and_given_axes(demo: bk.datasets.DemoData) -> None:
    table = bk.funnel_from_events(demo.stage_events, STAGES, entity="contact_id")
    split = bk.icp_funnel(
        demo.stage_events, STAGES, demo_profile().is_icp(demo.leads()), entity="contact_id"
    )
    _, ax = plt.subplots()
    returned = plot.funnel(table, split=split, ax=ax)
    assert returned is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == list(STAGES)
    assert len(ax.patches) == 2 * len(STAGES)  # ICP and non-ICP bar per stage
    labels = [t.get_text() for t in ax.texts]
    assert labels[0].strip() == "3,000"
    assert "%" in labels[1]
    assert ax.get_legend() is not None
    top = next(other for other in ax.figure.axes if other is not ax)  # the rate axis
    assert top.get_xlim() == (0.0, 1.0)
    assert len(top.lines) >= 1  # the rate markers with their whiskers


def test_icp_rates_band(demo: bk.datasets.DemoData) -> None:
    leads = demo.leads()
    table = bk.icp_rate(demo_profile().is_icp(leads), by=leads["programme"])
    ax = plot.icp_rates(table, band=(0.4, 0.7))
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(p) for p in table.index[:-1]]
    bars = [p for p in ax.patches if p.get_width() < 1]  # the band is a wide polygon
    assert len(bars) >= len(table) - 1
    assert any(line.get_linestyle() == "--" for line in ax.get_lines())  # the "all" line


def test_grade_grid_priority_and_history(demo: bk.datasets.DemoData) -> None:
    scores = demo_scoring_model().score(demo.events)
    grades = bk.grade(demo_profile().fit(demo.leads()), scores)
    ax = plot.grade_grid(grades)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C", "D"]
    assert sum(int(t.get_text().replace(",", "")) for t in ax.texts) == len(grades)

    accounts = pd.DataFrame({"fit": [0.9, 0.5, 0.2], "opp": [0.1, 0.9, 0.3]}, index=["A", "B", "C"])
    parts = bk.priority_contributions(accounts, {"fit": 0.7, "opp": 0.3})
    ax = plot.priority_bars(parts, top=2)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B"]
    assert len(ax.patches) == 4

    history = demo_scoring_model().history(
        demo.events, pd.date_range("2026-06-01", periods=4, freq="MS")
    )
    ax = plot.score_history(history, threshold=100, rows=list(history.index[:3]))
    assert len(ax.get_lines()) == 4


def test_invalid_inputs() -> None:
    with pytest.raises(bk.ValidationError, match="column 'reached' is missing"):
        plot.funnel(pd.DataFrame({"rate": [0.5]}))
    with pytest.raises(bk.ValidationError, match="band low must be <= high"):
        plot.icp_rates(bk.icp_rate([1, 0]), band=(0.8, 0.2))
    with pytest.raises(bk.ValidationError, match="letter-number grades"):
        plot.grade_grid(pd.Series(["good"]))
    with pytest.raises(bk.ValidationError, match="rows not in history"):
        plot.score_history(pd.DataFrame({0: [1.0]}, index=["a"]), rows=["z"])
