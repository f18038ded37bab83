"""Numpy kernels: pure functions of plain arrays, no pandas, no validation.

Every kernel has a slow pure-Python reference in ``tests/reference.py`` that
it is compared with on seeded random data.
"""

from bbmkit._kernels.elementwise import any_equal, divided, minmax
from bbmkit._kernels.fit import (
    BlockMask,
    weighted_contributions,
    weighted_fit,
    weighted_fit_blocks,
)
from bbmkit._kernels.groupby import (
    gather,
    gather_values,
    group_count,
    group_max,
    group_median,
    group_presence,
    group_sum,
    group_top_k,
    group_top_k_sum,
    take_rows,
    top_k_total,
)
from bbmkit._kernels.parallel import elementwise_slices, run_chunks
from bbmkit._kernels.scoring import (
    DecayKind,
    capped_total,
    decay_factor,
    decayed_points,
    decayed_sums,
    first_crossing,
    pair_sums,
    scores_from_log,
    scores_from_values,
)
from bbmkit._kernels.strings import byte_matrix, string_keys
from bbmkit._kernels.survival import aalen_johansen, loglog_interval

__all__ = [
    "BlockMask",
    "DecayKind",
    "aalen_johansen",
    "any_equal",
    "byte_matrix",
    "capped_total",
    "decay_factor",
    "decayed_points",
    "decayed_sums",
    "divided",
    "elementwise_slices",
    "first_crossing",
    "gather",
    "gather_values",
    "group_count",
    "group_max",
    "group_median",
    "group_presence",
    "group_sum",
    "group_top_k",
    "group_top_k_sum",
    "loglog_interval",
    "minmax",
    "pair_sums",
    "run_chunks",
    "scores_from_log",
    "scores_from_values",
    "string_keys",
    "take_rows",
    "top_k_total",
    "weighted_contributions",
    "weighted_fit",
    "weighted_fit_blocks",
]
