"""Score an event log larger than comfortable in memory, from Parquet, with bounded memory.

Writes a seeded synthetic log (the pipeline benchmark's workload: 8 event
types, 180 days, N contacts for 5 N events) to a Parquet file in row
groups, then scores it with :func:`bbmkit.chunked.score_chunks` over
:func:`bbmkit.chunked.iter_parquet` and reports the time, the events per
second and the peak resident memory of the scoring. It then rolls the
scores up to accounts (20 contacts each) and applies the handover rule with
:func:`bbmkit.chunked.rollup_chunks` over chunks of the contact table.
``--check`` also scores the whole file and hands over in memory and compares
(this needs the memory the chunked run avoids)::

    python benchmarks/out_of_core.py --events 2e8            # about 3.5 GB of Parquet
    python benchmarks/out_of_core.py --events 1e7 --check    # quick, with the comparison

The file is kept (``--path``) and reused when it already has the requested
number of events.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bbmkit as bk
from bbmkit.chunked import iter_parquet, rollup_chunks, score_chunks
from benchmarks.conftest import _status_kib
from benchmarks.test_bench_scoring import AS_OF, MODEL, POINTS, RULE

CONTACTS_PER_ACCOUNT = 20

ROW_GROUP = 10_000_000


def write_log(path: Path, n_events: int, n_contacts: int, *, seed: int = 0) -> None:
    """The seeded log in row groups of at most ``ROW_GROUP`` events (never all in memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = (AS_OF - pd.Timedelta(days=180)).value
    types = pa.array(list(POINTS))
    schema = pa.schema(
        [
            ("contact_id", pa.int64()),
            ("event_type", pa.dictionary(pa.int8(), pa.string())),
            ("timestamp", pa.timestamp("ns")),
        ]
    )
    with pq.ParquetWriter(path, schema) as writer:
        for i, first in enumerate(range(0, n_events, ROW_GROUP)):
            rng = np.random.default_rng([seed, i])
            size = min(ROW_GROUP, n_events - first)
            codes = rng.integers(0, len(POINTS), size).astype(np.int8)
            stamps = start + rng.integers(0, 180 * 86_400, size) * 10**9
            table = pa.table(
                {
                    "contact_id": rng.integers(0, n_contacts, size),
                    "event_type": pa.DictionaryArray.from_arrays(pa.array(codes), types),
                    "timestamp": pa.array(stamps, type=pa.timestamp("ns")),
                },
                schema=schema,
            )
            writer.write_table(table)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=float, default=2e8)
    parser.add_argument("--contacts", type=float, default=None, help="default: events / 5")
    parser.add_argument("--batch-size", type=float, default=5e6)
    parser.add_argument("--path", type=Path, default=None)
    parser.add_argument("--check", action="store_true", help="compare with in-memory scoring")
    args = parser.parse_args(argv)
    n_events = int(args.events)
    n_contacts = int(args.contacts or n_events // 5)
    path = args.path or Path(tempfile.gettempdir()) / f"bbmkit_log_{n_events:.0e}.parquet"

    import pyarrow.parquet as pq

    if not path.is_file() or pq.ParquetFile(path).metadata.num_rows != n_events:
        began = time.perf_counter()
        write_log(path, n_events, n_contacts)
        print(f"wrote {n_events:,} events to {path} in {time.perf_counter() - began:.1f} s")
    size_gb = path.stat().st_size / 1e9
    print(f"{path}: {n_events:,} events, {n_contacts:,} contacts, {size_gb:.2f} GB on disk")

    batch = int(args.batch_size)
    watch = _PeakMemory()
    began = time.perf_counter()
    scores = score_chunks(MODEL, iter_parquet(path, batch_size=batch), as_of=AS_OF)
    seconds = time.perf_counter() - began
    print(
        f"score_chunks: {len(scores):,} contacts scored in {seconds:.1f} s "
        f"({n_events / seconds / 1e6:.1f} M events/s), {watch.report()}"
    )

    # the contact table in chunks: contact id, account id, score (missing: no events)
    dense = np.full(n_contacts, np.nan)
    dense[scores.index.to_numpy()] = scores.to_numpy()
    chunks = (
        pd.DataFrame(
            {
                "contact_id": np.arange(first, min(first + batch, n_contacts)),
                "account_id": np.arange(first, min(first + batch, n_contacts))
                // CONTACTS_PER_ACCOUNT,
                "score": dense[first : first + batch],
            }
        )
        for first in range(0, n_contacts, batch)
    )
    watch = _PeakMemory()
    began = time.perf_counter()
    accounts = rollup_chunks(chunks, RULE)
    seconds = time.perf_counter() - began
    print(
        f"rollup_chunks: {len(accounts):,} accounts of {n_contacts:,} contacts rolled up in "
        f"{seconds:.1f} s, {int(accounts['handover'].sum()):,} handed over, {watch.report()}"
    )
    if args.check:
        began = time.perf_counter()
        whole = MODEL.score(pd.read_parquet(path), as_of=AS_OF)
        print(f"in memory: {time.perf_counter() - began:.1f} s")
        gap = (scores - whole.reindex(scores.index)).abs().max()
        same = scores.index.equals(whole.index)
        print(f"same contacts: {same}; largest difference: {gap:.3g}")
        if not same or not gap <= 1e-9:
            raise SystemExit("chunked and in-memory scores differ")
        ids = pd.RangeIndex(n_contacts, name="contact_id")
        whole_accounts = bk.handover(
            whole, pd.Series(ids // CONTACTS_PER_ACCOUNT, index=ids, name="account_id"), RULE
        )
        same_handover = whole_accounts["handover"].equals(accounts["handover"])
        total_gap = (whole_accounts["total"] - accounts["total"]).abs().max()
        print(f"same handovers: {same_handover}; largest total difference: {total_gap:.3g}")
        if not same_handover or not total_gap <= 1e-6:
            raise SystemExit("chunked and in-memory handovers differ")


class _PeakMemory:
    """Peak resident memory from now on, beyond what is in use now (Linux only)."""

    def __init__(self) -> None:
        try:
            with open("/proc/self/clear_refs", "w") as f:  # reset the peak
                f.write("5")
            self.before: int | None = _status_kib("VmRSS") * 1024
        except OSError:
            self.before = None

    def report(self) -> str:
        if self.before is None:
            return "peak memory unknown (no /proc)"
        peak = _status_kib("VmHWM") * 1024 - self.before
        return (
            f"peak memory {peak / 1e9:.2f} GB beyond the {self.before / 1e9:.2f} GB already in use"
        )


if __name__ == "__main__":
    main()
