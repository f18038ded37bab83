"""The embedded demo data: a synthetic B2B business over six months.

:func:`load_demo` returns four tables shipped inside the package (gzipped
CSV), regenerated with ``python scripts/make_demo_data.py``;
:func:`make_demo` runs the same seeded generator with other sizes or seeds.

The generator gives every account a hidden ICP fit (software or
manufacturing, 200-2,000 employees, Japan or APAC) that makes ICP leads
progress further, win more often and buy more, so analyses on the demo data
show something real. :func:`demo_profile` is the profile the fictional
marketing team uses: close to the hidden one, not equal to it.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import attrs
import pandas as pd

from bbmkit._validation import check_int
from bbmkit.datasets import _generator
from bbmkit.datasets._generator import (
    CONTENT,
    EVENT_TYPES,
    INDUSTRIES,
    PROGRAMMES,
    REGIONS,
    ROLES,
    STAGES,
)
from bbmkit.icp import ICPProfile, at_least, at_most, one_of
from bbmkit.scoring import ScoringModel

__all__ = [
    "CONTENT",
    "EVENT_TYPES",
    "INDUSTRIES",
    "PROGRAMMES",
    "REGIONS",
    "ROLES",
    "STAGES",
    "DemoData",
    "demo_profile",
    "demo_scoring_model",
    "load_demo",
    "make_demo",
]

TABLES = ("accounts", "contacts", "events", "deals", "stage_events", "surveys")
DEFAULT_SEED = 20260401


@attrs.frozen(repr=False)
class DemoData:
    """The demo tables.

    Attributes
    ----------
    accounts : pandas.DataFrame
        One row per account: ``account_id``, ``industry``, ``employees``
        (nullable, a few missing as in any CRM), ``annual_revenue_musd``,
        ``region``, ``is_target`` (the ABM target list).
    contacts : pandas.DataFrame
        One row per contact (lead): ``contact_id``, ``account_id``, ``role``,
        ``programme`` (lead source / marketing measure), ``stage`` (ordered
        categorical ML < MAL < MQL < SAL < SQL < C), ``created_at``,
        ``referred_by`` (the contact of the same account who introduced this
        one, or missing).
    events : pandas.DataFrame
        Behavioural event log: ``contact_id``, ``event_type``, ``timestamp``,
        ``channel`` (web, email, content, webinar, seminar), ``minutes``
        (time spent) and ``content_id`` (for downloads of the 12 white
        papers).
    deals : pandas.DataFrame
        One opportunity per account that reached SQL: ``deal_id``,
        ``account_id``, ``opened_at``, ``closed_at``, ``won``,
        ``deal_value``, ``kind`` (new, cross_sell, up_sell).
    stage_events : pandas.DataFrame
        Stage-event log: ``contact_id``, ``stage``, ``timestamp`` of entering
        each stage; about 10 % of intermediate entries are missing, as in a
        real CRM (the furthest stage is always there).
    surveys : pandas.DataFrame
        NPS answers of contacts of won accounts: ``contact_id``,
        ``account_id``, ``answered_at``, ``score`` (0-10).

    Examples
    --------
    >>> from bbmkit.datasets import load_demo
    >>> demo = load_demo()
    >>> list(demo.deals.columns)
    ['deal_id', 'account_id', 'opened_at', 'closed_at', 'won', 'deal_value', 'kind']
    """

    accounts: pd.DataFrame
    contacts: pd.DataFrame
    events: pd.DataFrame
    deals: pd.DataFrame
    stage_events: pd.DataFrame
    surveys: pd.DataFrame

    def leads(self) -> pd.DataFrame:
        """Contacts joined with their account's firmographics, indexed by contact.

        Examples
        --------
        >>> from bbmkit.datasets import load_demo
        >>> leads = load_demo().leads()
        >>> leads.index.name, "industry" in leads.columns, len(leads) == 3000
        ('contact_id', True, True)
        """
        merged = self.contacts.merge(
            self.accounts, on="account_id", how="left", validate="many_to_one"
        )
        return merged.set_index("contact_id")

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(getattr(self, name))}" for name in TABLES)
        return f"DemoData({sizes})"


def _cat(values: Any, categories: tuple[str, ...], *, ordered: bool = False) -> pd.Categorical:
    return pd.Categorical(values, categories=list(categories), ordered=ordered)


def _typed(tables: dict[str, pd.DataFrame]) -> DemoData:
    """Give the tables their documented dtypes (shared by loading and generating)."""
    a = tables["accounts"].copy()
    a["account_id"] = a["account_id"].astype("string")
    a["industry"] = _cat(a["industry"], INDUSTRIES)
    a["employees"] = a["employees"].astype("Int64")
    a["annual_revenue_musd"] = a["annual_revenue_musd"].astype("float64")
    a["region"] = _cat(a["region"], REGIONS)
    a["is_target"] = a["is_target"].astype(bool)

    c = tables["contacts"].copy()
    for col in ("contact_id", "account_id"):
        c[col] = c[col].astype("string")
    c["role"] = _cat(c["role"], ROLES)
    c["programme"] = _cat(c["programme"], PROGRAMMES)
    c["stage"] = _cat(c["stage"], STAGES, ordered=True)
    c["created_at"] = pd.to_datetime(c["created_at"]).astype("datetime64[ns]")
    c["referred_by"] = c["referred_by"].astype("string")

    e = tables["events"].copy()
    e["contact_id"] = e["contact_id"].astype("string")
    e["event_type"] = _cat(e["event_type"], EVENT_TYPES)
    e["timestamp"] = pd.to_datetime(e["timestamp"]).astype("datetime64[ns]")
    e["channel"] = _cat(e["channel"], ("web", "email", "content", "webinar", "seminar"))
    e["minutes"] = e["minutes"].astype("float64")
    e["content_id"] = _cat(e["content_id"], CONTENT)

    d = tables["deals"].copy()
    for col in ("deal_id", "account_id"):
        d[col] = d[col].astype("string")
    for col in ("opened_at", "closed_at"):
        d[col] = pd.to_datetime(d[col]).astype("datetime64[ns]")
    d["won"] = d["won"].astype(bool)
    d["deal_value"] = d["deal_value"].astype("float64")
    d["kind"] = _cat(d["kind"], ("new", "cross_sell", "up_sell"))

    st = tables["stage_events"].copy()
    st["contact_id"] = st["contact_id"].astype("string")
    st["stage"] = _cat(st["stage"], STAGES, ordered=True)
    st["timestamp"] = pd.to_datetime(st["timestamp"]).astype("datetime64[ns]")

    sv = tables["surveys"].copy()
    for col in ("contact_id", "account_id"):
        sv[col] = sv[col].astype("string")
    sv["answered_at"] = pd.to_datetime(sv["answered_at"]).astype("datetime64[ns]")
    sv["score"] = sv["score"].astype("int64")

    return DemoData(accounts=a, contacts=c, events=e, deals=d, stage_events=st, surveys=sv)


def make_demo(
    *, seed: int = DEFAULT_SEED, n_accounts: int = 400, n_contacts: int = 3000
) -> DemoData:
    """Generate demo data with the seeded generator (deterministic per seed).

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``.
    n_accounts, n_contacts : int
        Table sizes: 1 to 1,000,000 accounts and 1 to 10,000,000 contacts.

    Examples
    --------
    >>> from bbmkit.datasets import make_demo
    >>> small = make_demo(seed=1, n_accounts=20, n_contacts=100)
    >>> len(small.accounts), len(small.contacts)
    (20, 100)
    >>> small.contacts.equals(make_demo(seed=1, n_accounts=20, n_contacts=100).contacts)
    True
    """
    # the demo is built in memory: bound its size
    check_int(n_accounts, name="n_accounts", low=1, high=1_000_000)
    check_int(n_contacts, name="n_contacts", low=1, high=10_000_000)
    check_int(seed, name="seed", low=0)
    return _typed(_generator.generate(seed=seed, n_accounts=n_accounts, n_contacts=n_contacts))


def load_demo() -> DemoData:
    """Load the demo data shipped inside the package.

    400 accounts, 3,000 contacts, about 40,000 events from April to
    September 2026, and the deals of the accounts that reached SQL. See
    :class:`DemoData` for the columns.

    Examples
    --------
    >>> from bbmkit.datasets import load_demo
    >>> demo = load_demo()
    >>> demo
    DemoData(accounts=400, contacts=3000, events=..., deals=..., stage_events=..., surveys=...)
    >>> demo.contacts["stage"].cat.categories.tolist()
    ['ML', 'MAL', 'MQL', 'SAL', 'SQL', 'C']
    """
    folder = resources.files("bbmkit.datasets") / "data"
    tables = {}
    for name in TABLES:
        with (folder / f"{name}.csv.gz").open("rb") as handle:
            tables[name] = pd.read_csv(handle, compression="gzip")
    return _typed(tables)


def demo_profile() -> ICPProfile:
    """The ICP profile the demo's fictional marketing team uses.

    Industry (weight 3), company size 200-2,000 employees (two criteria,
    weight 1 each) and home regions Japan/APAC (weight 1); ICP at fit
    >= 0.6.

    Examples
    --------
    >>> from bbmkit.datasets import demo_profile, load_demo
    >>> fit = demo_profile().fit(load_demo().leads())
    >>> float(fit.min()) >= 0 and float(fit.max()) <= 1
    True
    """
    return ICPProfile(
        [
            one_of("industry", ["software", "manufacturing"], weight=3),
            at_least("employees", 200, name="not_too_small"),
            at_most("employees", 2000, name="not_too_large"),
            one_of("region", ["Japan", "APAC"]),
        ],
        threshold=0.6,
    )


def demo_scoring_model() -> ScoringModel:
    """The behavioural scoring model of the demo's marketing team.

    Points for the eight demo event types (an unsubscribe costs 40), a
    14-day half-life, and at most 30 points from web visits.

    Examples
    --------
    >>> from bbmkit.datasets import demo_scoring_model, load_demo
    >>> scores = demo_scoring_model().score(load_demo().events)
    >>> len(scores) > 2000, scores.name
    (True, 'score')
    """
    return ScoringModel(
        {
            "web_visit": 3,
            "email_click": 5,
            "content_download": 15,
            "webinar_attended": 25,
            "seminar_attended": 30,
            "pricing_page": 20,
            "demo_request": 50,
            "unsubscribe": -40,
        },
        half_life=14,
        event_caps={"web_visit": 30},
    )
