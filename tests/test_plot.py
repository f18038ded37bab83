import subprocess
import sys
from typing import Any

import numpy as np
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
    returned = plot.funnel(table, split=split, entity="leads", ax=ax)
    assert returned is ax
    assert len(ax.figure.axes) == 1  # one axis a marketer reads
    assert [t.get_text() for t in ax.get_yticklabels()] == list(STAGES)
    assert len(ax.patches) == 2 * len(STAGES)  # ICP and non-ICP bar per stage
    labels = [t.get_text() for t in ax.texts]
    assert labels[0].strip() == "3,000"
    # the ICP rate and both conversion rates of each stage are written out
    mql = list(STAGES).index("MQL")
    assert f"{split['icp_rate'].iloc[mql]:.0%}" in labels
    both = f"{split['rate_icp'].iloc[mql]:.0%} / {split['rate_non_icp'].iloc[mql]:.0%}"
    assert both in labels
    assert ax.get_xlabel() == "leads reaching the stage"
    assert ax.get_title() == "Funnel: leads per stage"
    _assert_no_overlaps(ax)
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["ICP leads", "non-ICP leads"]
    plt.close("all")


def test_funnel_rates_never_overlap_the_bars(demo: bk.datasets.DemoData) -> None:
    table = bk.funnel_from_events(demo.stage_events, STAGES, entity="contact_id")
    ax = plot.funnel(table)
    _assert_no_overlaps(ax)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    rate_texts = [t for t in ax.texts if "%" in t.get_text()]
    assert len(rate_texts) == len(STAGES) - 1  # the first stage has no rate
    for bar in ax.patches:
        for text in rate_texts:
            assert not bar.get_window_extent(renderer).overlaps(text.get_window_extent(renderer))
    assert max(ax.get_xticks()) <= table["reached"].max()  # no scale under the rate column
    plt.close("all")


def test_funnel_draws_a_model_or_its_projection_and_refuses_cohorts(
    demo: bk.datasets.DemoData,
) -> None:
    model = bk.Funnel.customer_journey()
    ax = plot.funnel(model)
    assert [p.get_width() for p in ax.patches] == model.project(1000).tolist()
    assert ax.get_xlabel() == "entities per 1,000 entering"
    assert "20%" in [t.get_text() for t in ax.texts]  # awareness -> lead
    ax = plot.funnel(model.project(5000), entity="accounts")
    assert ax.patches[0].get_width() == 5000
    cohorts = bk.funnel_from_events(
        demo.stage_events,
        STAGES,
        entity="contact_id",
        by=demo.leads().set_index("contact_id")["programme"]
        if "contact_id" in demo.leads()
        else demo.leads()["programme"],
    )
    with pytest.raises(bk.ValidationError, match=r"one funnel per programme.*table\.loc"):
        plot.funnel(cohorts)
    with pytest.raises(bk.ValidationTypeError, match="entity must be a non-empty noun"):
        plot.funnel(model, entity="")
    plt.close("all")


def test_icp_rates_band(demo: bk.datasets.DemoData) -> None:
    leads = demo.leads()
    table = bk.icp_rate(demo_profile().is_icp(leads), by=leads["programme"])
    ax = plot.icp_rates(table, band=(0.4, 0.7))
    groups = table.drop(index="all")
    by_size = groups.sort_values("total", ascending=False, kind="stable").index
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == list(map(str, by_size))
    bars = [p for p in ax.patches if p.get_width() < 1]  # the band is a wide polygon
    assert len(bars) >= len(table) - 1
    assert any(line.get_linestyle() == "--" for line in ax.get_lines())  # the "all" line
    assert ax.get_title() == "ICP rate by programme"
    _assert_readable(ax)


def _texts(ax: Any) -> list[Any]:
    legend = ax.get_legend()
    return [
        t
        for t in [*ax.texts, *ax.get_xticklabels(), *ax.get_yticklabels(), ax.title]
        + ([*legend.get_texts()] if legend is not None else [])
        if t.get_visible() and t.get_text()
    ]


def _assert_readable(ax: Any) -> None:
    """No two texts overlap, and every bar colour has a legend entry."""
    _assert_no_overlaps(ax)
    legend = ax.get_legend()
    bar_colours = {tuple(p.get_facecolor()) for p in ax.patches if p.get_width() < 1}
    legend_colours = {
        tuple(h.get_facecolor())
        for h in (legend.legend_handles if legend is not None else [])
        if hasattr(h, "get_facecolor")
    }
    assert bar_colours <= legend_colours, (bar_colours, legend_colours)


def _assert_no_overlaps(ax: Any) -> None:
    """No two texts (labels, ticks, title, legend) overlap on the Agg renderer."""
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _texts(ax)]
    legend = ax.get_legend()
    if legend is not None:
        boxes.append(("<legend>", legend.get_window_extent(renderer)))
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            if a == "<legend>" or b == "<legend>":
                inside = [t.get_text() for t in legend.get_texts()]
                if a in inside or b in inside:
                    continue
            assert not box_a.overlaps(box_b), (a, b)


@pytest.mark.parametrize("n_groups", [2, 6, 7, 22])
def test_icp_rates_stay_readable_with_many_groups(n_groups: int) -> None:
    rng = np.random.default_rng(n_groups)
    sizes = rng.integers(5, 5_000, n_groups)
    flags = np.concatenate([rng.random(n) < rng.uniform(0.05, 0.95) for n in sizes])
    labels = np.repeat([f"measure_{i:02d}" for i in range(n_groups)], sizes)
    table = bk.icp_rate(flags, by=pd.Series(labels, name="measure"), ci=0.95)
    ax = plot.icp_rates(table, band=(0.3, 0.6))
    ticks = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    assert len(ticks) == min(n_groups, 13)
    if n_groups > 12:
        assert ticks[-1] == f"other ({n_groups - 12})"
        folded = table.drop(index="all").sort_values("total", ascending=False).iloc[12:]
        assert ax.texts[-1].get_text() == f"{folded['icp'].sum() / folded['total'].sum():.0%}"
    _assert_readable(ax)
    assert ax.get_title() == "ICP rate by measure"
    plt.close(ax.figure)
    assert plot.icp_rates(table, band=(0.3, 0.6), top=None, title="Q3").get_title() == "Q3"


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


def test_grade_grid_text_contrasts_with_its_cell() -> None:
    grades = pd.Series(["A1"] * 90 + ["B2"] * 3 + ["C3"] * 45)
    ax = plot.grade_grid(grades)
    colours = {t.get_text(): t.get_color() for t in ax.texts}
    assert colours["90"] == "white"  # the darkest cell
    assert colours["3"] == "black"
    assert colours["0"] == "black"
    assert ax.get_title() == "Leads by ICP fit and engagement"
    assert plot.grade_grid(grades, title="Q3 leads").get_title() == "Q3 leads"
    plt.close("all")


def test_score_history_draws_the_highest_scores_by_default() -> None:
    dates = pd.to_datetime(["2026-06-01", "2026-07-01", "2026-08-01"])
    history = pd.DataFrame(
        np.array([[0.0, 10, 5], [50, 80, 120], [20, 30, 40], [90, 60, 10]]),
        index=["a", "b", "c", "d"],
        columns=dates,
    )
    ax = plot.score_history(history, threshold=100, top=2)
    assert [line.get_label() for line in ax.get_lines()][:2] == ["b", "c"]  # 120 and 40 now
    assert ax.get_title() == "Score over time"
    assert plot.score_history(history, rows=["d"], title="d").get_lines()[0].get_label() == "d"
    with pytest.raises(bk.ValidationError, match="top must be an integer >= 1"):
        plot.score_history(history, top=0)
    plt.close("all")


def test_priority_bars_legend_clear_of_the_bars() -> None:
    rng = np.random.default_rng(3)
    items = pd.DataFrame(rng.random((30, 4)), columns=["fit", "opp", "history", "relation"])
    items.index = [f"acct{i:02d}" for i in range(30)]
    parts = bk.priority_contributions(
        items, {"fit": 0.4, "opp": 0.3, "history": 0.2, "relation": 0.1}
    )
    ax = plot.priority_bars(parts)
    assert ax.get_title() == "ABM priority of the top 15 accounts"
    _assert_no_overlaps(ax)
    renderer = ax.figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert not any(p.get_window_extent(renderer).overlaps(legend) for p in ax.patches)
    plt.close("all")
