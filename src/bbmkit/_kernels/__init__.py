"""Numpy kernels: pure functions of plain arrays, no pandas, no validation.

Every kernel has a slow pure-Python reference in ``tests/reference.py`` that
it is compared with on seeded random data.
"""

from bbmkit._kernels.fit import weighted_contributions, weighted_fit
from bbmkit._kernels.groupby import group_count

__all__ = ["group_count", "weighted_contributions", "weighted_fit"]
