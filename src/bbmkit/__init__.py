"""bbmkit: B2B marketing analytics for Balance-Based and account-based marketing.

Users import from ``bbmkit`` only; the concept modules (``icp``,
``balance``, ...) are re-exported here.
"""

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit.abm import (
    RankStability,
    account_table,
    assign_tiers,
    prioritize,
    priority_contributions,
    rank_stability,
    swap_weights,
)
from bbmkit.accounts import (
    AllOf,
    AnyContact,
    AnyOf,
    Contacts,
    Not,
    Rule,
    Total,
    any_contact,
    contacts,
    first_handover,
    handover,
    rollup,
    rule_from_dict,
    total,
)
from bbmkit.balance import Diagnosis, diagnose_balance, icp_rate
from bbmkit.funnel import (
    CUSTOMER_JOURNEY,
    DEMAND_WATERFALL,
    Funnel,
    funnel_from_events,
    icp_funnel,
    retention,
)
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
from bbmkit.markov import AbsorbingChain, absorbing_chain, stage_transitions
from bbmkit.scoring import ScoringModel, grade
from bbmkit.stats import min_trials, proportion_ci

__version__ = "0.1.0.dev0"

__all__ = [
    "CUSTOMER_JOURNEY",
    "DEMAND_WATERFALL",
    "AbsorbingChain",
    "AllOf",
    "AnyContact",
    "AnyOf",
    "AtLeast",
    "AtMost",
    "Between",
    "Contacts",
    "Criterion",
    "Diagnosis",
    "Equals",
    "Funnel",
    "ICPProfile",
    "Not",
    "OneOf",
    "ProfileSuggestion",
    "RankStability",
    "Rule",
    "ScoringModel",
    "Total",
    "ValidationError",
    "ValidationTypeError",
    "__version__",
    "absorbing_chain",
    "account_table",
    "any_contact",
    "assign_tiers",
    "at_least",
    "at_most",
    "between",
    "contacts",
    "diagnose_balance",
    "equals",
    "first_handover",
    "funnel_from_events",
    "grade",
    "handover",
    "icp_funnel",
    "icp_rate",
    "min_trials",
    "one_of",
    "prioritize",
    "priority_contributions",
    "proportion_ci",
    "rank_stability",
    "retention",
    "rollup",
    "rule_from_dict",
    "stage_transitions",
    "suggest_profile",
    "swap_weights",
    "total",
]
