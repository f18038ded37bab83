"""bbmkit: B2B marketing analytics for Balance-Based and account-based marketing.

Users import from ``bbmkit`` only; the concept modules (``icp``,
``balance``, ...) are re-exported here.
"""

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit.balance import Diagnosis, diagnose_balance, icp_rate
from bbmkit.icp import (
    AtLeast,
    AtMost,
    Between,
    Criterion,
    Equals,
    ICPProfile,
    OneOf,
    ProfileSuggestion,
    at_least,
    at_most,
    between,
    equals,
    one_of,
    suggest_profile,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "AtLeast",
    "AtMost",
    "Between",
    "Criterion",
    "Diagnosis",
    "Equals",
    "ICPProfile",
    "OneOf",
    "ProfileSuggestion",
    "ValidationError",
    "ValidationTypeError",
    "__version__",
    "at_least",
    "at_most",
    "between",
    "diagnose_balance",
    "equals",
    "icp_rate",
    "one_of",
    "suggest_profile",
]
