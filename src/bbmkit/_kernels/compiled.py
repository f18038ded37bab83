"""Optional compiled loops (numba, the ``fast`` extra) for scatters numpy has no primitive for.

numpy cannot add a block of values into an existing table at
``np.bincount``'s speed (``np.add.at`` is about 1.5x slower and holds the
GIL), so the numpy path of a decayed sum first writes a log-sized array of
values (400 MB for 5e7 events) and then counts it in; ``np.maximum.at``
holds the GIL too. With numba installed, scoring adds each cache-sized block
of decayed points into its chunk's table as soon as it is computed, and
group maxima run on both cores. The loops add in the numpy path's order, so
results are bit for bit the same (``tests/test_compiled.py`` checks both
paths); numpy stays the fallback and the reference.

``BBMKIT_JIT=0`` turns the compiled loops off. Calls below ``MIN_ROWS`` rows
never use them: there numpy is as fast and importing numba is not free.
"""

from __future__ import annotations

import functools
import os
import warnings
from types import ModuleType

__all__ = ["MIN_ROWS", "jit_kernels"]

MIN_ROWS = 1 << 21


def jit_kernels(n_rows: int) -> ModuleType | None:
    """The compiled kernels for a pass over ``n_rows`` rows, or ``None`` to use numpy."""
    if n_rows < MIN_ROWS or os.environ.get("BBMKIT_JIT", "").strip() == "0":
        return None
    return _load()


@functools.cache
def _load() -> ModuleType | None:
    try:
        from bbmkit._kernels import _jit
    except ImportError:  # numba is optional
        return None
    # numba compiles a kernel for each code type on first use (under its own lock) and
    # caches it on disk; compiling one here finds out whether it can
    try:
        _jit.warm_up()
    except Exception as err:  # e.g. no writable cache directory: numpy does the work
        warnings.warn(
            f"bbmkit: numba is installed but its kernels do not compile here ({err}); "
            "using numpy (set BBMKIT_JIT=0 to silence this)",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    return _jit
