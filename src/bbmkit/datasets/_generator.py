"""The seeded generator behind the embedded demo data.

The data are synthetic but not random noise: every account has a hidden
"true" ICP fit (software or manufacturing, 200-2,000 employees, Japan or
APAC), and that fit drives what a real B2B business would see — programmes
that target well (ABM plays, referrals, seminars) bring more ICP leads,
ICP leads progress further down the funnel, win more often and buy more.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "CONTENT",
    "END",
    "EVENT_TYPES",
    "INDUSTRIES",
    "PROGRAMMES",
    "REGIONS",
    "ROLES",
    "STAGES",
    "START",
    "generate",
]

START = pd.Timestamp("2026-04-01")
END = pd.Timestamp("2026-09-30 23:59:59")

#: The industries of the demo accounts.
INDUSTRIES = (
    "software",
    "manufacturing",
    "financial_services",
    "healthcare",
    "retail",
    "logistics",
    "education",
)
_INDUSTRY_P = (0.18, 0.20, 0.14, 0.12, 0.14, 0.12, 0.10)
#: The regions of the demo accounts.
REGIONS = ("Japan", "APAC", "EMEA", "North America")
_REGION_P = (0.40, 0.20, 0.20, 0.20)
#: The roles of the demo contacts.
ROLES = ("executive", "director", "manager", "staff")
_ROLE_P = (0.10, 0.20, 0.35, 0.35)

#: The lead-generation programmes (measures) of the demo contacts.
PROGRAMMES = (
    "seo",
    "paid_ads",
    "white_paper",
    "webinar",
    "trade_show",
    "seminar",
    "referral",
    "abm_play",
)
_PROGRAMME_SHARE = (0.22, 0.20, 0.15, 0.13, 0.12, 0.08, 0.05, 0.05)
_PROGRAMME_AFFINITY = (0.0, -0.8, 0.5, 1.0, 1.2, 2.5, 3.0, 6.0)

#: The demand-waterfall statuses a demo contact can be in, in order.
STAGES = ("ML", "MAL", "MQL", "SAL", "SQL", "C")

#: The behavioural event types of the demo event log.
EVENT_TYPES = (
    "web_visit",
    "email_click",
    "content_download",
    "webinar_attended",
    "seminar_attended",
    "pricing_page",
    "demo_request",
    "unsubscribe",
)
_EVENT_P_COLD = np.array([0.50, 0.22, 0.12, 0.05, 0.02, 0.03, 0.005, 0.055])
_EVENT_P_HOT = np.array([0.34, 0.16, 0.16, 0.10, 0.07, 0.10, 0.06, 0.01])


_EVENT_CHANNEL = ("web", "email", "content", "webinar", "seminar", "web", "web", "email")
_EVENT_MINUTES = (3.0, 0.5, 8.0, 45.0, 120.0, 4.0, 10.0, 0.2)
#: The content ids (white papers) of the demo content catalogue.
CONTENT = tuple(f"wp{i:02d}" for i in range(1, 13))


def _true_fit(accounts: pd.DataFrame) -> npt.NDArray[np.float64]:
    """The hidden ICP fit the generator uses (weights 0.5, 0.3, 0.2)."""
    industry = accounts["industry"].isin(["software", "manufacturing"]).to_numpy()
    emp = accounts["employees"].to_numpy(dtype=float, na_value=np.nan)
    size = (emp >= 200) & (emp <= 2000)
    region = accounts["region"].isin(["Japan", "APAC"]).to_numpy()
    fit: npt.NDArray[np.float64] = 0.5 * industry + 0.3 * size + 0.2 * region
    return fit


def _ids(prefix: str, n: int, width: int) -> npt.NDArray[np.object_]:
    """``prefix`` + zero-padded 1..n, built without a Python loop."""
    digits = np.char.zfill(np.arange(1, n + 1).astype(str), width)
    return np.char.add(prefix, digits).astype(object)


def _sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return out


def generate(
    *, seed: int = 20260401, n_accounts: int = 400, n_contacts: int = 3000
) -> dict[str, pd.DataFrame]:
    """Generate the four demo tables (accounts, contacts, events, deals)."""
    rng = np.random.default_rng(seed)

    # ---- accounts ---------------------------------------------------------
    account_id = _ids("A", n_accounts, 4)
    employees = np.round(rng.lognormal(np.log(400), 1.2, n_accounts)).clip(5, 200_000)
    employees_obs = employees.astype(object)
    employees_obs[rng.random(n_accounts) < 0.04] = None  # CRM gaps happen
    accounts = pd.DataFrame(
        {
            "account_id": account_id,
            "industry": rng.choice(INDUSTRIES, n_accounts, p=_INDUSTRY_P),
            "employees": pd.array(employees_obs, dtype="Int64"),
            "annual_revenue_musd": np.round(
                employees * rng.lognormal(np.log(0.25), 0.6, n_accounts), 1
            ),
            "region": rng.choice(REGIONS, n_accounts, p=_REGION_P),
        }
    )
    fit = _true_fit(accounts)
    accounts["is_target"] = fit + rng.normal(0, 0.1, n_accounts) >= 0.75

    # ---- contacts: programmes pick accounts by their ICP affinity ----------
    programme_idx = rng.choice(len(PROGRAMMES), n_contacts, p=_PROGRAMME_SHARE)
    account_idx = np.empty(n_contacts, dtype=np.intp)
    for p, affinity in enumerate(_PROGRAMME_AFFINITY):  # a loop over 8 programmes
        rows = np.flatnonzero(programme_idx == p)
        weights = np.exp(affinity * fit)
        account_idx[rows] = rng.choice(n_accounts, rows.size, p=weights / weights.sum())
    contact_fit = fit[account_idx]
    engagement = rng.gamma(2.0, 0.5, n_contacts) * (0.6 + 0.8 * contact_fit)
    created = START + pd.to_timedelta(rng.uniform(0, 150, n_contacts), unit="D")

    # ---- funnel progression ML -> MAL -> MQL -> SAL -> SQL ----------------
    p_advance = np.column_stack(
        [
            np.full(n_contacts, 0.88),
            _sigmoid(-1.6 + 1.3 * engagement + 1.5 * contact_fit),
            0.35 + 0.4 * contact_fit,
            0.25 + 0.45 * contact_fit,
        ]
    )
    advanced = np.logical_and.accumulate(rng.random(p_advance.shape) < p_advance, axis=1)
    stage_idx = advanced.sum(axis=1)

    # ---- deals: one opportunity per account with an SQL contact ------------
    sql_account = np.unique(account_idx[stage_idx >= 4])
    p_win = 0.12 + 0.55 * fit[sql_account]
    won = rng.random(sql_account.size) < p_win
    value = 20_000 * (1 + 2.5 * fit[sql_account]) * rng.lognormal(0, 0.5, sql_account.size)
    opened = START + pd.to_timedelta(rng.uniform(30, 150, sql_account.size), unit="D")
    closed = opened + pd.to_timedelta(rng.gamma(3.0, 12.0, sql_account.size), unit="D")
    deals = pd.DataFrame(
        {
            "deal_id": _ids("D", sql_account.size, 4),
            "account_id": account_id[sql_account],
            "opened_at": opened.floor("D"),
            "closed_at": closed.floor("D"),
            "won": won,
            "deal_value": np.round(value, -2),
        }
    )
    # SQL contacts of won accounts became customers
    won_account = np.zeros(n_accounts, dtype=bool)
    won_account[sql_account[won]] = True
    stage_idx[(stage_idx == 4) & won_account[account_idx]] = 5

    contacts = pd.DataFrame(
        {
            "contact_id": _ids("C", n_contacts, 5),
            "account_id": account_id[account_idx],
            "role": rng.choice(ROLES, n_contacts, p=_ROLE_P),
            "programme": np.asarray(PROGRAMMES, dtype=object)[programme_idx],
            "stage": np.asarray(STAGES, dtype=object)[stage_idx],
            "created_at": created.floor("min"),
        }
    )

    # ---- behavioural events between creation and the end of the window -----
    n_events = rng.poisson(2.0 + 6.0 * engagement + 2.0 * stage_idx)
    owner = np.repeat(np.arange(n_contacts), n_events)
    hot = (stage_idx[owner] >= 2).astype(float)[:, None]
    probs = (1 - hot) * _EVENT_P_COLD + hot * _EVENT_P_HOT
    cumulative = probs.cumsum(axis=1)
    cumulative[:, -1] = 1.0
    type_idx = (rng.random(owner.size)[:, None] > cumulative).sum(axis=1)
    start_ns = contacts["created_at"].to_numpy()[owner].astype("datetime64[ns]").astype(np.int64)
    span = END.value - start_ns
    stamp = start_ns + (rng.random(owner.size) * span).astype(np.int64)
    events = pd.DataFrame(
        {
            "contact_id": contacts["contact_id"].to_numpy()[owner],
            "event_type": np.asarray(EVENT_TYPES, dtype=object)[type_idx],
            "timestamp": pd.to_datetime(stamp).floor("s"),
        }
    )
    events = events.sort_values(["timestamp", "contact_id"], kind="stable").reset_index(drop=True)

    # ---- stage-event log: when each contact entered each stage it reached ----
    # drawn last, so adding it left the other tables' random streams unchanged
    n_entries = stage_idx + 1
    who = np.repeat(np.arange(n_contacts), n_entries)
    first_row = np.repeat(np.cumsum(n_entries) - n_entries, n_entries)
    level = np.arange(who.size) - first_row
    gaps = np.where(level == 0, 0.0, rng.gamma(2.0, 6.0, who.size))
    cum = np.cumsum(gaps)
    days_in = cum - cum[first_row]
    entered = contacts["created_at"].to_numpy()[who] + pd.to_timedelta(days_in, unit="D").to_numpy()
    entered = np.minimum(entered, np.datetime64(END.floor("s"), "ns"))
    # CRMs miss some intermediate status changes; the furthest stage is always logged
    last = level == n_entries[who] - 1
    logged = last | (rng.random(who.size) >= 0.1)
    stage_events = pd.DataFrame(
        {
            "contact_id": contacts["contact_id"].to_numpy()[who[logged]],
            "stage": np.asarray(STAGES, dtype=object)[level[logged]],
            "timestamp": pd.to_datetime(entered[logged]).floor("s"),
        }
    )

    # ---- ABM detail, drawn after everything above so those tables stay as they were ----
    type_idx_sorted = pd.Index(EVENT_TYPES).get_indexer(pd.Index(events["event_type"]))
    events["channel"] = np.asarray(_EVENT_CHANNEL, dtype=object)[type_idx_sorted]
    minutes = rng.gamma(2.0, 0.5, len(events)) * np.asarray(_EVENT_MINUTES)[type_idx_sorted]
    events["minutes"] = np.round(minutes, 1)
    content = _ids("wp", len(CONTENT), 2)[rng.integers(0, len(CONTENT), len(events))]
    is_download = events["event_type"].to_numpy() == "content_download"
    events["content_id"] = np.where(is_download, content, np.full(len(events), None, dtype=object))

    # some contacts were introduced by an earlier contact of the same account
    by_account = np.lexsort((contacts["created_at"].to_numpy(), account_idx))
    previous = np.full(n_contacts, -1, dtype=np.intp)
    same = account_idx[by_account][1:] == account_idx[by_account][:-1]
    previous[by_account[1:][same]] = by_account[:-1][same]
    referred = (previous >= 0) & (rng.random(n_contacts) < 0.05 + 0.15 * contact_fit)
    referrer = contacts["contact_id"].to_numpy()[np.maximum(previous, 0)]
    contacts["referred_by"] = np.where(referred, referrer, np.full(n_contacts, None, dtype=object))

    deals["kind"] = rng.choice(["new", "cross_sell", "up_sell"], len(deals), p=[0.7, 0.15, 0.15])

    # NPS answers from contacts of won accounts, after the deal closed
    won_ids = set(deals.loc[deals["won"], "account_id"])
    answering = np.flatnonzero(
        np.isin(account_id[account_idx], list(won_ids)) & (rng.random(n_contacts) < 0.5)
    )
    closed_at = deals.set_index("account_id")["closed_at"]
    answered = (
        closed_at.reindex(account_id[account_idx[answering]]).to_numpy()
        + pd.to_timedelta(rng.uniform(7, 60, answering.size), unit="D").to_numpy()
    )
    base = 6.0 + 3.0 * contact_fit[answering]
    score = np.clip(np.round(rng.normal(base, 1.8)), 0, 10).astype(int)
    surveys = pd.DataFrame(
        {
            "contact_id": contacts["contact_id"].to_numpy()[answering],
            "account_id": account_id[account_idx[answering]],
            "answered_at": pd.to_datetime(
                np.minimum(answered, np.datetime64(END.floor("D"), "ns"))
            ).floor("D"),
            "score": score,
        }
    )

    return {
        "accounts": accounts,
        "contacts": contacts,
        "events": events,
        "deals": deals,
        "stage_events": stage_events,
        "surveys": surveys,
    }
