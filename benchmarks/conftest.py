"""Benchmark helpers: sizes, seeded data, and a ratio summary.

Run ``python -m pytest benchmarks`` for timings; each group has a bbmkit
benchmark and an idiomatic pandas baseline measured in the same run, and the
summary at the end prints bbmkit's time as a ratio of the baseline's.
Set ``BBMKIT_BENCH_SMALL=1`` for a quick smoke run (CI does, with
``--benchmark-disable``).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

N_ROWS = 10_000 if os.environ.get("BBMKIT_BENCH_SMALL") else 1_000_000

_MEANS: dict[str, dict[str, float]] = defaultdict(dict)


def make_leads(n: int, *, seed: int = 0, text: str = "category") -> pd.DataFrame:
    """n leads with four firmographic columns (text as categorical or strings)."""
    rng = np.random.default_rng(seed)
    industries = np.array(["software", "manufacturing", "retail", "finance", "health", "edu"])
    regions = np.array(["Japan", "APAC", "EMEA", "North America"])
    programmes = np.array([f"p{i:02d}" for i in range(12)])
    industry = industries[rng.integers(0, industries.size, n)]
    region = regions[rng.integers(0, regions.size, n)]
    dtype = "category" if text == "category" else "str"
    employees = rng.lognormal(6, 1.2, n).round()
    employees[rng.random(n) < 0.03] = np.nan
    return pd.DataFrame(
        {
            "industry": pd.Series(industry, dtype=dtype),
            "region": pd.Series(region, dtype=dtype),
            "employees": employees,
            "revenue": rng.lognormal(3, 1, n),
            "programme": pd.Series(programmes[rng.integers(0, programmes.size, n)], dtype=dtype),
        }
    )


@pytest.fixture
def record(benchmark: Any) -> Iterator[Any]:
    """Use like ``benchmark``; remembers the mean per (group, role) for the summary.

    The role is ``benchmark.extra_info["role"]`` when set, else "bbmkit" or
    "baseline" from the test name.
    """
    yield benchmark
    stats = getattr(benchmark, "stats", None)
    if stats is not None and getattr(stats, "stats", None) is not None:
        group = benchmark.group or benchmark.name
        role = benchmark.extra_info.get("role") or (
            "bbmkit" if "bbmkit" in benchmark.name else "baseline"
        )
        _MEANS[group][role] = stats.stats.mean


def pytest_terminal_summary(terminalreporter: Any) -> None:
    rows = [(g, r) for g, r in sorted(_MEANS.items()) if "bbmkit" in r and len(r) > 1]
    if not rows:
        return
    terminalreporter.section("baseline time / bbmkit time (higher = bbmkit faster)")
    for group, roles in rows:
        ours = roles["bbmkit"]
        others = "   ".join(
            f"{name} {mean * 1e3:9.1f} ms ({mean / ours:5.2f}x)"
            for name, mean in sorted(roles.items())
            if name != "bbmkit"
        )
        terminalreporter.write_line(f"{group:<34} bbmkit {ours * 1e3:9.1f} ms   {others}")
