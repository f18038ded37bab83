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


def sizes() -> list[int]:
    """Contact counts: 1e5 and 1e6; 1e7 too with ``BBMKIT_BENCH_LARGE=1``; tiny for smoke runs."""
    if os.environ.get("BBMKIT_BENCH_SMALL"):
        return [2_000]
    if os.environ.get("BBMKIT_BENCH_LARGE"):
        return [100_000, 1_000_000, 10_000_000]
    return [100_000, 1_000_000]


def buffers(*tables: pd.DataFrame | pd.Series) -> list[np.ndarray]:
    """The memory holding the tables' values, as flat numpy arrays (no copies).

    Numbers and datetimes are their arrays, categoricals their codes, Arrow
    strings their offsets and character data. Object columns count their
    pointer arrays only (the strings they point to are not one buffer).
    """
    out: list[np.ndarray] = []
    for table in tables:
        frame = table.to_frame() if isinstance(table, pd.Series) else table
        for _, column in frame.items():
            out.extend(_column_buffers(column))
    return out


def _column_buffers(column: pd.Series) -> list[np.ndarray]:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return [column.cat.codes.to_numpy()]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return [np.asarray(column.array.asi8)]
    if isinstance(dtype, pd.StringDtype | pd.ArrowDtype):
        import pyarrow as pa

        arr = pa.array(column.array)
        chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
        return [
            np.frombuffer(buf, dtype=np.uint8)
            for chunk in chunks
            for buf in chunk.buffers()
            if buf is not None
        ]
    return [column.to_numpy()]


def input_bytes(*tables: pd.DataFrame | pd.Series) -> int:
    """Bytes of the tables' value buffers (see :func:`buffers`)."""
    return sum(b.nbytes for b in buffers(*tables))


def read_once(arrays: list[np.ndarray]) -> int:
    """Read every byte of ``arrays`` once: the memory-bandwidth floor of a single pass.

    A bitwise-or reduction over 8-byte words (bytes for the remainder) is
    the cheapest full read numpy offers; its result is returned so that the
    work cannot be skipped.
    """
    acc = 0
    for arr in arrays:
        raw = arr.reshape(-1).view(np.uint8)
        words = raw[: raw.size - raw.size % 8].view(np.uint64)
        if words.size:
            acc |= int(np.bitwise_or.reduce(words))
        if raw.size % 8:
            acc |= int(np.bitwise_or.reduce(raw[words.size * 8 :]))
    return acc


def peak_memory(fn: Any, *args: Any, **kwargs: Any) -> int | None:
    """Bytes by which one call of ``fn`` raised the process's peak resident memory.

    Resets the kernel's high-water mark (``/proc/self/clear_refs``), runs
    ``fn`` once and reads ``VmHWM``; ``None`` where Linux's interface is
    missing. Threads share the process, so their memory counts too.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = _status_kib("VmRSS")
    except OSError:
        return None
    fn(*args, **kwargs)
    return max(0, (_status_kib("VmHWM") - before) * 1024)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(field)


def optional(name: str) -> Any:
    """Import ``polars`` or ``duckdb``; skip the test when the ``bench`` extra is missing."""
    return pytest.importorskip(name, reason=f"{name} is not installed (the bench extra)")


def timed(
    record: Any,
    group: str,
    role: str,
    fn: Any,
    *args: Any,
    inputs: tuple[pd.DataFrame | pd.Series, ...],
) -> Any:
    """Time ``fn(*args)`` as ``role`` in ``group``, with its peak memory beyond ``inputs``' bytes.

    Every implementation gets the same tables, each in its own format; the
    bytes of the pandas tables are the input size all of them are measured
    against.
    """
    record.group = group
    record.extra_info["role"] = role
    record.extra_info["input_bytes"] = input_bytes(*inputs)
    record.extra_info["peak_bytes"] = peak_memory(fn, *args)
    return record(fn, *args)


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


def pytest_benchmark_update_machine_info(config: Any, machine_info: dict[str, Any]) -> None:
    """Versions of the libraries compared, and whether bbmkit's compiled kernels were on."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("numpy", "pandas", "polars", "duckdb", "numba"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    if os.environ.get("BBMKIT_JIT", "").strip() == "0":
        found.pop("numba", None)  # installed, but bbmkit was told not to use it
    machine_info["libraries"] = found


def pytest_terminal_summary(terminalreporter: Any) -> None:
    rows = [(g, r) for g, r in sorted(_MEANS.items()) if "bbmkit" in r and len(r) > 1]
    if not rows:
        return
    terminalreporter.section("baseline time / bbmkit time (higher = bbmkit faster)")
    for group, roles in rows:
        ours = roles["bbmkit"]
        others = "   ".join(
            f"{name} {_duration(mean)} ({mean / ours:5.2f}x)"
            for name, mean in sorted(roles.items())
            if name != "bbmkit"
        )
        terminalreporter.write_line(f"{group:<34} bbmkit {_duration(ours)}   {others}")


def _duration(seconds: float) -> str:
    """Milliseconds, or microseconds below one (the real-time rows)."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:9.1f} us"
    return f"{seconds * 1e3:9.1f} ms"
