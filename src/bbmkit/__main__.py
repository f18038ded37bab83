"""Command line: ``python -m bbmkit demo`` prints a report on the demo data."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd

import bbmkit
from bbmkit.abm import (
    abm_kpis,
    account_table,
    assign_tiers,
    prioritize,
    priority_contributions,
    scorecard,
)
from bbmkit.accounts import Rule, any_contact, contacts, handover
from bbmkit.balance import concentration, diagnose_balance, icp_rate, portfolio, rebalance
from bbmkit.datasets import STAGES, DemoData, demo_profile, demo_scoring_model, load_demo
from bbmkit.evaluation import lift_table, roc_auc
from bbmkit.funnel import Funnel, funnel_from_events, icp_funnel
from bbmkit.icp import ICPProfile, suggest_profile
from bbmkit.scoring import ScoringModel, grade


def _percent(frame: pd.DataFrame, column: str = "icp_rate") -> pd.DataFrame:
    out = frame.copy()
    out[column] = (out[column] * 100).map("{:.1f} %".format)
    return out


def _section(title: str) -> str:
    return f"\n{title}\n{'-' * len(title)}"


def demo_report(
    data: DemoData | None = None,
    *,
    profile: ICPProfile | None = None,
    model: ScoringModel | None = None,
    rule: Rule | None = None,
    band: tuple[float, float] = (0.4, 0.7),
) -> str:
    """The text of the demo report (what ``python -m bbmkit demo`` prints).

    Examples
    --------
    >>> from bbmkit.__main__ import demo_report
    >>> print(demo_report())  # doctest: +ELLIPSIS
    bbmkit ... demo: 400 accounts, 3000 contacts, 36799 events, 227 deals
    ...
    """
    data = load_demo() if data is None else data
    profile = demo_profile() if profile is None else profile
    model = demo_scoring_model() if model is None else model
    rule = any_contact(at_least=100) | contacts(at_least=60, count=3) if rule is None else rule
    leads = data.leads()
    is_icp = profile.is_icp(leads)
    lines = [
        f"bbmkit {bbmkit.__version__} demo: {len(data.accounts)} accounts, "
        f"{len(data.contacts)} contacts, {len(data.events)} events, {len(data.deals)} deals",
        _section("ICP profile"),
        *(f"  {criterion!r}" for criterion in profile.criteria),
        f"  ICP when fit >= {profile.threshold:g}",
    ]

    overall = icp_rate(is_icp)
    n_icp, n_total = overall["icp"].iloc[-1], overall["total"].iloc[-1]
    rate = float(overall["icp_rate"].iloc[-1])
    lines += [
        _section("BBM: ICP rate of all leads"),
        f"  {n_icp} of {n_total} leads match the ICP: ICP rate {rate:.1%} "
        f"-> {diagnose_balance(rate, band=band)}",
    ]

    low, high = band
    by_programme = icp_rate(is_icp, by=leads["programme"])
    by_programme["diagnosis"] = diagnose_balance(by_programme, band=band)
    lines += [
        _section(f"ICP rate per programme (target band {low:.0%}-{high:.0%})"),
        _percent(by_programme).to_string(),
    ]

    by_stage = icp_rate(is_icp, by=leads["stage"])
    lines += [
        _section("ICP rate per funnel stage (current stage of each lead)"),
        _percent(by_stage).to_string(),
    ]

    deals = data.deals.merge(
        data.accounts[["account_id"]].assign(is_icp=profile.is_icp(data.accounts).to_numpy()),
        on="account_id",
        how="left",
        validate="many_to_one",
    )
    outcome = deals.groupby("is_icp")[["won", "deal_value"]].mean()
    outcome.index = outcome.index.map({True: "ICP accounts", False: "non-ICP accounts"})
    outcome["won"] = (outcome["won"] * 100).map("{:.1f} %".format)
    outcome["deal_value"] = outcome["deal_value"].map("{:,.0f}".format)
    lines += [
        _section("Why it matters: deals by ICP match"),
        outcome.rename(columns={"won": "win rate", "deal_value": "mean deal value"}).to_string(),
    ]

    won_value = (
        data.deals.loc[data.deals["won"]].groupby("account_id", observed=True)["deal_value"].sum()
    )
    accounts = data.accounts.assign(
        won_value=data.accounts["account_id"].map(won_value).fillna(0.0).to_numpy()
    )
    suggestion = suggest_profile(
        accounts,
        value="won_value",
        columns=["industry", "employees", "region", "annual_revenue_musd"],
    )
    lines += [
        _section("Learning aid: criteria suggested from the top quartile of accounts by won value"),
        *(f"  {criterion!r}" for criterion in suggestion.profile.criteria),
        "",
        suggestion.evidence.drop(columns="rule").to_string(float_format="{:.2f}".format),
    ]
    lines += _funnel_sections(data, is_icp)
    lines += _scoring_sections(data, leads, profile, model, rule)
    return "\n".join(lines)


def _funnel_sections(data: DemoData, is_icp: pd.Series) -> list[str]:
    table = funnel_from_events(data.stage_events, STAGES, entity="contact_id")
    shown = table.copy()
    for column in ("rate", "lower", "upper"):
        shown[column] = (shown[column] * 100).map(lambda x: "" if pd.isna(x) else f"{x:.1f} %")
    shown["median_days"] = shown["median_days"].map(lambda x: "" if pd.isna(x) else f"{x:.1f}")
    split = icp_funnel(data.stage_events, STAGES, is_icp, entity="contact_id")
    split_shown = split.copy()
    for column in ("icp_rate", "rate_icp", "rate_non_icp"):
        split_shown[column] = (split_shown[column] * 100).map(
            lambda x: "" if pd.isna(x) else f"{x:.1f} %"
        )
    funnel = Funnel.from_counts(table["reached"])
    top = float(table["reached"].iloc[0])
    sensitivity = funnel.sensitivity(top)
    worst = sensitivity.loc[sensitivity["rank"] == 1].iloc[0]
    target = 50
    expected = funnel.required(target)
    confident = funnel.required_top(target, probability=0.9)
    return [
        _section(
            "Funnel from the stage-event log (95 % Wilson intervals; missing steps backfilled)"
        ),
        shown.to_string(),
        _section("ICP split: where quality is won or lost"),
        split_shown.to_string(),
        _section("Bottleneck: one more percentage point on each transition"),
        sensitivity[["from", "to", "rate", "gain", "rank"]].to_string(float_format="{:.3f}".format),
        f"  Bottleneck: {worst['from']} -> {worst['to']} "
        f"(+{worst['gain']:.1f} customers from {int(top)} MLs)",
        f"  Planning {target} customers at these rates: {expected.iloc[0]:.0f} MLs expected, "
        f"{confident} for a 90 % chance",
    ]


def _scoring_sections(
    data: DemoData, leads: pd.DataFrame, profile: ICPProfile, model: ScoringModel, rule: Rule
) -> list[str]:
    as_of = data.events["timestamp"].max()
    scores = model.score(data.events, as_of=as_of)
    lead_level = handover(scores, None, any_contact(at_least=100))
    account_of = data.contacts.set_index("contact_id")["account_id"]
    accounts = handover(scores, account_of, rule)
    handed = accounts.loc[accounts["handover"]].sort_values("total", ascending=False)
    shown = handed[["n_contacts", "n_scored", "total", "max", "reason"]].head(10)
    grades = grade(profile.fit(leads), scores)
    grid = pd.crosstab(grades.str[0].rename("fit"), grades.str[1].rename("engagement"))
    abm = _abm_section(data, profile, scores, account_of)
    return [
        _section(f"Behavioural scores as of {as_of:%Y-%m-%d} (half-life {model.half_life:g} days)"),
        f"  {len(scores)} contacts scored; median {scores.median():.1f}, "
        f"90th percentile {scores.quantile(0.9):.1f}",
        f"  Lead generation (a lead at 100 goes to sales): {int(lead_level['handover'].sum())} "
        "leads handed over",
        _section(f"ABM handover: {rule!r}"),
        f"  {len(handed)} of {len(accounts)} accounts handed over; the top 10 by account score:",
        shown.to_string(float_format="{:.1f}".format),
        "",
        "  Clauses that fired:",
        handed["reason"].value_counts().to_string(),
        _section("Fit x engagement grade (A = best fit, 1 = most engaged), leads per cell"),
        grid.to_string(),
        *abm,
    ]


def _abm_section(
    data: DemoData, profile: ICPProfile, scores: pd.Series, account_of: pd.Series
) -> list[str]:
    accounts = data.accounts.set_index("account_id")
    table = account_table(accounts, profile=profile, scores=scores, contacts=account_of)
    # unsubscribes can push an account below zero; for priority that is no engagement
    table["engagement"] = table["engagement"].clip(lower=0.0)
    weights = {"icp_fit": 0.6, "engagement": 0.4}
    scales = {"icp_fit": 100.0, "engagement": float(table["engagement"].max())}
    ranked = prioritize(table, weights, scales=scales)
    ranked["tier"] = assign_tiers(ranked["priority"], top=(20, 80))
    parts = priority_contributions(ranked, weights, scales=scales).add_prefix("from_")
    shown = pd.concat(
        [ranked[["industry", "region", "icp_fit", "engagement", "priority", "tier"]], parts], axis=1
    ).head(10)
    return [
        _section(
            "ABM target list: ICP fit 60 %, engagement 40 % (engagement scaled by its maximum)"
        ),
        shown.to_string(float_format="{:.2f}".format),
        "",
        "  Accounts per tier (tier 1: top 20, tier 2: next 60):",
        ranked["tier"].value_counts().sort_index().to_string(),
        *_scorecard_section(data, ranked),
        *_portfolio_section(data, profile),
        *_evaluation_section(data, ranked),
    ]


# assumed cost per lead of each demo programme (the demo data has no spend)
_COST_PER_LEAD = {
    "seo": 150.0,
    "paid_ads": 400.0,
    "white_paper": 250.0,
    "webinar": 500.0,
    "trade_show": 1200.0,
    "seminar": 900.0,
    "referral": 200.0,
    "abm_play": 3000.0,
}


def _portfolio_section(data: DemoData, profile: ICPProfile) -> list[str]:
    leads = data.leads()
    leads["is_icp"] = profile.is_icp(leads).to_numpy()
    # each deal is credited to the programme of its account's first contact
    first = data.contacts.sort_values("created_at").drop_duplicates("account_id")
    deals = data.deals.merge(first[["account_id", "programme"]], on="account_id", how="left")
    icp_accounts = data.accounts.loc[profile.is_icp(data.accounts).to_numpy(), "account_id"]
    deals["segment"] = np.where(deals["account_id"].isin(icp_accounts), "icp", "non_icp")
    deals["revenue"] = deals["deal_value"].where(deals["won"], 0.0)
    outcome = deals.pivot_table(
        index="programme",
        columns="segment",
        values=["won", "revenue", "deal_id"],
        aggfunc={"won": "sum", "revenue": "sum", "deal_id": "count"},
        fill_value=0,
        observed=False,
    )
    measures = leads.groupby("programme", observed=False).agg(
        leads=("is_icp", "size"), icp_leads=("is_icp", "sum")
    )
    measures["cost"] = measures.index.map(_COST_PER_LEAD).astype(float) * measures["leads"]
    for segment in ("icp", "non_icp"):
        measures[f"opportunities_{segment}"] = outcome[("deal_id", segment)].reindex(
            measures.index, fill_value=0
        )
        measures[f"wins_{segment}"] = outcome[("won", segment)].reindex(
            measures.index, fill_value=0
        )
        measures[f"revenue_{segment}"] = outcome[("revenue", segment)].reindex(
            measures.index, fill_value=0.0
        )
    measures.index = measures.index.astype(str)
    band = (0.4, 0.7)
    table = portfolio(measures, band=band)
    budget = float(measures["cost"].sum())
    plan = rebalance(
        measures,
        budget=budget,
        band=band,
        min_leads=0.8 * measures["leads"].sum(),
        max_spend=(measures["cost"] * 2.0).to_dict(),
    )
    changes = plan.plan[["current_spend", "spend", "icp_leads"]].round(0)
    won_revenue = data.deals.loc[data.deals["won"]].groupby("account_id")["deal_value"].sum()
    risk = concentration(won_revenue, top=10)
    return [
        _section("BBM portfolio by programme (assumed cost per lead)"),
        table[
            [
                "leads",
                "icp_rate",
                "diagnosis",
                "cost_per_icp_lead",
                "win_rate_icp",
                "win_rate_non_icp",
                "romi",
            ]
        ].to_string(float_format="{:.2f}".format),
        _section(
            "Suggested rebalance: same budget, ICP rate 40-70 %, at least 80 % of today's leads"
        ),
        changes.to_string(),
        f"  ICP leads {measures['icp_leads'].sum():.0f} -> {plan.totals['icp_leads']:.0f}; "
        f"leads {measures['leads'].sum():.0f} -> {plan.totals['leads']:.0f}; "
        f"binding: {', '.join(plan.binding)}",
        f"  Revenue concentration: top 10 customers {risk.top_share:.0%} of won revenue, "
        f"HHI {risk.hhi:.3f} (like {risk.effective_customers:.0f} equal customers)",
    ]


def _evaluation_section(data: DemoData, ranked: pd.DataFrame) -> list[str]:
    closed = data.deals.set_index("account_id")
    scores = ranked.reindex(closed.index)
    lines = [_section("Do the scores predict won deals? (accounts with a deal)")]
    for column in ("icp_fit", "engagement", "priority"):
        lines.append(f"  ROC AUC of {column:<10} {roc_auc(scores[column], closed['won']):.3f}")
    lift = lift_table(scores["priority"], closed["won"], bins=5)
    lines += ["", lift[["n", "positives", "rate", "lift"]].to_string(float_format="{:.2f}".format)]
    return lines


def _scorecard_section(data: DemoData, ranked: pd.DataFrame) -> list[str]:
    card = scorecard(
        data.contacts, data.events, required_roles=["executive", "director", "manager"]
    )
    top = card.reindex(ranked.index[:5])
    columns = [
        "engaged_contacts",
        "coverage",
        "awareness",
        "engagement_minutes",
        "reach",
        "influence",
    ]
    tier1 = ranked.index[ranked["tier"] == 1].tolist()
    kpis = abm_kpis(
        tier1,
        period="Q",
        contacts=data.contacts,
        deals=data.deals,
        events=data.events,
        surveys=data.surveys,
    )
    wide = kpis.pivot_table(index="metric", columns="period", values="value")
    return [
        _section(
            "ABM scorecard of the top 5 accounts (coverage: executive, director, manager engaged)"
        ),
        top[columns].to_string(float_format="{:.2f}".format),
        _section("Tier-1 KGIs and KPIs by quarter"),
        wide.to_string(float_format="{:.2f}".format),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m bbmkit`` and the ``bbmkit`` script."""
    parser = argparse.ArgumentParser(prog="bbmkit", description=bbmkit.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="print a report on the embedded demo data")
    demo.add_argument(
        "--band",
        nargs=2,
        type=float,
        default=(0.4, 0.7),
        metavar=("LOW", "HIGH"),
        help="target ICP-rate band (default: 0.4 0.7)",
    )
    args = parser.parse_args(argv)
    try:
        print(demo_report(band=(args.band[0], args.band[1])))
    except bbmkit.ValidationError as err:
        print(f"bbmkit: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
