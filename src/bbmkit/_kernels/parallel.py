"""Row chunks on a thread pool: numpy releases the GIL inside its loops.

Elementwise passes are split into one chunk per thread. Reductions that add
floats (bincount sums) are split into a number of chunks that depends on the
row count only, and the partial results are added in chunk order, so a
result is bit-for-bit the same on every machine whatever its core count.

``BBMKIT_NUM_THREADS`` sets the number of threads (default: the cores this
process may use); 1 turns threading off.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["blocks", "elementwise_slices", "num_threads", "reduce_slices", "run_chunks", "split"]

T = TypeVar("T")

MIN_ROWS = 1 << 21  # below ~2M rows the hand-off to threads costs more than it saves
REDUCE_CHUNKS = 2
BLOCK_ROWS = 1 << 16  # 512 KiB of float64: temporaries of this size stay in L2 cache

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_size = 0


def num_threads() -> int:
    """Threads bbmkit uses for large passes (``BBMKIT_NUM_THREADS``, else the usable cores)."""
    setting = os.environ.get("BBMKIT_NUM_THREADS", "").strip()
    if setting:
        try:
            return max(1, int(setting))
        except ValueError:
            return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def split(n: int, chunks: int) -> list[slice]:
    """``chunks`` contiguous slices covering ``range(n)`` (fewer when ``n`` is small)."""
    chunks = max(1, min(chunks, n))
    bounds = [n * i // chunks for i in range(chunks + 1)]
    return [slice(bounds[i], bounds[i + 1]) for i in range(chunks)]


def run_chunks(fn: Callable[[slice], T], slices: list[slice]) -> list[T]:
    """``fn`` of every slice, on the pool when it pays; results in slice order."""
    threads = num_threads()
    if threads == 1 or len(slices) == 1:
        return [fn(s) for s in slices]
    return list(_get_pool(threads).map(fn, slices))


def blocks(rows: slice) -> list[slice]:
    """``rows`` (a slice with explicit bounds) cut into cache-sized blocks."""
    start, stop = rows.start or 0, rows.stop
    return [slice(i, min(i + BLOCK_ROWS, stop)) for i in range(start, stop, BLOCK_ROWS)]


def elementwise_slices(n: int) -> list[slice]:
    """One chunk per thread for a pass whose result does not depend on the split."""
    if n < MIN_ROWS:
        return [slice(0, n)]
    return split(n, num_threads())


def reduce_slices(n: int, n_groups: int) -> list[slice]:
    """Chunks for a float reduction into ``n_groups``: fixed by the sizes, never by the cores.

    Each chunk makes a partial result of ``n_groups`` entries, so splitting
    pays only when the rows outnumber the groups.
    """
    if n < MIN_ROWS or n < 2 * n_groups:
        return [slice(0, n)]
    return split(n, REDUCE_CHUNKS)


def _get_pool(threads: int) -> ThreadPoolExecutor:
    global _pool, _pool_pid, _pool_size
    with _lock:
        # a forked child inherits the pool object but not its threads: make a new one
        if _pool is None or _pool_pid != os.getpid() or _pool_size != threads:
            if _pool is not None and _pool_pid == os.getpid():
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bbmkit")
            _pool_pid, _pool_size = os.getpid(), threads
        return _pool
