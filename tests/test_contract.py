"""The boundary contract: every public callable, fed junk, raises only bbmkit's errors.

Each public function, class and method has a valid baseline call below.
Hypothesis replaces one argument at a time with junk a real user could pass
(wrong types, NaN and infinities, empty and one-row frames, extension
dtypes, out-of-range datetimes, huge numbers, misaligned Series, bare
strings where a list goes, missing or text columns) and checks that the call
either works or raises a :class:`bbmkit.ValidationError` whose message names
the parameter or a column. Warnings are errors in this suite, so a junk input
cannot slip through with only a warning either.

``test_every_public_name_has_a_contract`` fails when a new public name has
no baseline here, so nothing is skipped silently.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import warnings
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bbmkit as bk
import bbmkit.chunked as chunked
import bbmkit.datasets as datasets
import bbmkit.plot as plot
import bbmkit.serialize as serialize

matplotlib.use("Agg")

# ------------------------------------------------------------------ inputs

_DEMO = datasets.load_demo()
CONTACTS = _DEMO.contacts.head(30).reset_index(drop=True)
_IDS = set(CONTACTS["contact_id"])
EVENTS = _DEMO.events[_DEMO.events["contact_id"].isin(_IDS)].head(80).reset_index(drop=True)
STAGE_EVENTS = (
    _DEMO.stage_events[_DEMO.stage_events["contact_id"].isin(_IDS)]
    .rename(columns={"contact_id": "entity_id"})
    .reset_index(drop=True)
)
ACCOUNT_IDS = sorted(set(CONTACTS["account_id"]))
ACCOUNTS = _DEMO.accounts[_DEMO.accounts["account_id"].isin(ACCOUNT_IDS)].reset_index(drop=True)
DEALS = _DEMO.deals.head(20).reset_index(drop=True)
SURVEYS = _DEMO.surveys.head(20).reset_index(drop=True)
MODEL = datasets.demo_scoring_model()
PROFILE = datasets.demo_profile()
SCORES = MODEL.score(EVENTS)
ACCOUNT_OF = CONTACTS.set_index("contact_id")["account_id"]
RULE = bk.any_contact(at_least=20) | bk.contacts(at_least=5, count=2)
FUNNEL = bk.Funnel.customer_journey()
IS_ICP = PROFILE.is_icp(CONTACTS.merge(_DEMO.accounts, on="account_id"))
PROGRAMME = CONTACTS["programme"]
PRIORITY_INPUT = pd.DataFrame(
    {"icp_fit": [80.0, 40.0, 65.0], "opportunity": [3.0, 9.0, 6.0], "history": [0.2, 0.9, 0.5]},
    index=["A", "B", "C"],
)
WEIGHTS = {"icp_fit": 0.5, "opportunity": 0.3, "history": 0.2}
SCALES = {"icp_fit": 100, "opportunity": 10}
MEASURES = pd.DataFrame(
    {"leads": [400, 100, 50], "icp_leads": [80, 60, 40], "cost": [4000.0, 3000.0, 5000.0]},
    index=["ads", "seminar", "abm"],
)
RANKED = bk.prioritize(PRIORITY_INPUT, WEIGHTS, scales=SCALES)
OUTCOME = pd.Series([True, False, True, False, True, False], index=list("abcdef"))
SCORE = pd.Series([0.9, 0.1, 0.8, 0.4, 0.3, 0.6], index=list("abcdef"))
HISTORY = MODEL.history(EVENTS, ["2026-06-01", "2026-09-01", "2026-12-01"])
PARTIAL = MODEL.partial(EVENTS, as_of="2026-12-01")
CHUNK = pd.DataFrame(
    {
        "contact_id": SCORES.index,
        "account_id": ACCOUNT_OF.reindex(SCORES.index).to_numpy(),
        "score": SCORES.to_numpy(),
    }
)
ROLLUP_PART = chunked.rollup_partial(CHUNK, RULE)
GRADES = bk.grade(pd.Series(0.5, index=SCORES.index), SCORES)
TRANSITIONS = bk.stage_transitions(["lead", "sql"], advance=[0.3, 0.5], drop=0.1)
FEATURES = pd.DataFrame({"industry": list("xyxyxy"), "size": list("ssbbsb")}, index=list("abcdef"))
ORDERS = DEALS[DEALS["won"]]
RULES_MODEL = bk.ScoringModel(
    dict(MODEL.points),
    limits={"web_visit": (2, "D")},
    floor=0.0,
    resets={"recycled": 0.0},
    half_life=20,
)
QTY_EVENTS = EVENTS.assign(count=np.arange(len(EVENTS)) % 3)
RULES_PARTIAL = RULES_MODEL.partial(QTY_EVENTS, as_of="2026-12-01", quantity="count")
POINTS_TABLE = bk.PointsTable(
    [
        bk.points_for("title", {"CEO": 20.0, "Student": -20.0}, default=-1.0),
        bk.points_between("employees", [(0, 50, 0.0), (50, None, 10.0)]),
    ],
    cap=30.0,
)
LEARN_FRAME = pd.DataFrame(
    {"segment": list("ab") * 20, "visits": np.arange(40.0) % 7},
    index=[f"l{i}" for i in range(40)],
)
LEARN_OUTCOME = pd.Series(np.arange(40) % 3 == 0, index=LEARN_FRAME.index)
ODDS = bk.OddsScale(20.0, 100.0, 1.0)
_SEEN = EVENTS["contact_id"].drop_duplicates().reset_index(drop=True)
LEARN_OUTCOMES = pd.DataFrame(
    {
        "contact_id": _SEEN,
        "won": np.arange(len(_SEEN)) % 2 == 0,
        "closed_at": EVENTS["timestamp"].max() + pd.Timedelta(days=30),
    }
)
LEARNED = bk.learn_points(LEARN_FRAME, LEARN_OUTCOME, min_count=5)
LEADS = pd.DataFrame(
    {"title": ["CEO", "Student", None], "employees": [600, None, 10]}, index=["a", "b", "c"]
)


def _fig() -> Any:
    import matplotlib.pyplot as plt

    plt.close("all")
    return plt.subplots()[1]


# name -> (callable, baseline keyword arguments)
SPECS: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    # icp
    "one_of": (bk.one_of, {"column": "industry", "values": ["software"], "weight": 2.0}),
    "equals": (bk.equals, {"column": "region", "value": "Japan", "weight": 1.0}),
    "between": (bk.between, {"column": "employees", "low": 100, "high": 900, "closed": "both"}),
    "at_least": (bk.at_least, {"column": "employees", "value": 100, "weight": 1.0}),
    "at_most": (bk.at_most, {"column": "employees", "value": 900, "weight": 1.0}),
    "OneOf": (bk.OneOf, {"column": "industry", "values": ["software"], "weight": 2.0}),
    "Equals": (bk.Equals, {"column": "region", "value": "Japan"}),
    "Between": (bk.Between, {"column": "employees", "low": 100, "high": 900}),
    "AtLeast": (bk.AtLeast, {"column": "employees", "value": 100}),
    "AtMost": (bk.AtMost, {"column": "employees", "value": 900}),
    "ICPProfile": (bk.ICPProfile, {"criteria": list(PROFILE.criteria), "threshold": 0.5}),
    "ICPProfile.fit": (PROFILE.fit, {"frame": ACCOUNTS}),
    "Criterion.match": (PROFILE.criteria[0].match, {"frame": ACCOUNTS}),
    "ICPProfile.is_icp": (PROFILE.is_icp, {"frame": ACCOUNTS}),
    "ICPProfile.explain": (PROFILE.explain, {"frame": ACCOUNTS}),
    "ICPProfile.fit_record": (PROFILE.fit_record, {"record": ACCOUNTS.iloc[0].to_dict()}),
    "ICPProfile.from_dict": (bk.ICPProfile.from_dict, {"data": PROFILE.to_dict()}),
    "suggest_profile": (
        bk.suggest_profile,
        {"customers": ACCOUNTS, "value": "annual_revenue_musd", "columns": ["industry", "region"]},
    ),
    # balance
    "icp_rate": (bk.icp_rate, {"is_icp": IS_ICP, "by": PROGRAMME}),
    "diagnose_balance": (bk.diagnose_balance, {"icp_rate": 0.3, "band": (0.2, 0.5)}),
    "icp_trend": (
        bk.icp_trend,
        {
            "is_icp": IS_ICP,
            "period": CONTACTS["created_at"].dt.to_period("M").astype(str),
            "band": (0.2, 0.5),
        },
    ),
    "portfolio": (bk.portfolio, {"measures": MEASURES, "band": (0.3, 0.6)}),
    "rebalance": (bk.rebalance, {"measures": MEASURES, "budget": 12000.0, "band": (0.3, 0.8)}),
    "concentration": (bk.concentration, {"revenue": [50.0, 30.0, 10.0, 10.0], "top": 2}),
    "ltv": (bk.ltv, {"orders": ORDERS, "lifetime_years": 3.0, "margin": 0.5}),
    "ltv_comparison": (
        bk.ltv_comparison,
        {
            "values": pd.Series([10.0, 5.0, 7.0], index=list("abc")),
            "is_icp": pd.Series([True, False, True], index=list("abc")),
        },
    ),
    # scoring
    "ScoringModel": (
        bk.ScoringModel,
        {"points": {"visit": 5, "demo": 50}, "half_life": 30, "cap": 100},
    ),
    "ScoringModel[hubspot rules]": (
        bk.ScoringModel,
        {
            "points": {"visit": 5, "demo": 50, "email": 2},
            "groups": {"sales": ["demo"], "marketing": ["visit", "email"]},
            "group_caps": {"sales": 60.0, "marketing": 40.0},
            "limits": {"visit": (1, "W"), "email": (20, "D")},
            "step_decay": (0.5, "M"),
            "window": 90,
        },
    ),
    "ScoringModel[marketo rules]": (
        bk.ScoringModel,
        {
            "points": {"visit": 5, "demo": 50},
            "limits": {"visit": (3, None)},
            "inactivity": (10, "M"),
            "floor": 0.0,
            "resets": {"recycled": 0.0},
        },
    ),
    "ScoringModel.score[rules]": (
        RULES_MODEL.score,
        {"events": QTY_EVENTS, "as_of": "2026-12-01", "quantity": "count", "unknown": "ignore"},
    ),
    "ScoringModel.ledger[rules]": (
        RULES_MODEL.ledger,
        {"events": QTY_EVENTS, "as_of": "2026-12-01", "quantity": "count", "by": "event"},
    ),
    "ScoringModel.history[rules]": (
        RULES_MODEL.history,
        {"events": QTY_EVENTS, "dates": ["2026-06-01", "2026-12-01"], "quantity": "count"},
    ),
    "ScoringModel.partial[rules]": (
        RULES_MODEL.partial,
        {"events": QTY_EVENTS, "as_of": "2026-12-01", "quantity": "count"},
    ),
    "ScoringModel.finalize[rules]": (RULES_MODEL.finalize, {"partial": RULES_PARTIAL}),
    "ScoringModel.score": (MODEL.score, {"events": EVENTS, "as_of": "2026-12-01"}),
    "ScoringModel.score_records": (
        MODEL.score_records,
        {"records": EVENTS.head(12).to_dict("records"), "as_of": "2026-12-01"},
    ),
    "ScoringModel.score_records[rules]": (
        RULES_MODEL.score_records,
        {
            "records": QTY_EVENTS.head(12).to_dict("records"),
            "as_of": "2026-12-01",
            "quantity": "count",
            "unknown": "ignore",
        },
    ),
    "ScoringModel.ledger": (MODEL.ledger, {"events": EVENTS, "as_of": "2026-12-01"}),
    "ScoringModel.history": (
        MODEL.history,
        {"events": EVENTS, "dates": ["2026-06-01", "2026-12-01"]},
    ),
    "ScoringModel.time_to_threshold": (
        MODEL.time_to_threshold,
        {"events": EVENTS, "threshold": 20.0, "as_of": "2026-12-01"},
    ),
    "ScoringModel.partial": (MODEL.partial, {"events": EVENTS, "as_of": "2026-12-01"}),
    "ScoringModel.combine": (MODEL.combine, {"partials": [PARTIAL, PARTIAL]}),
    "ScoringModel.finalize": (MODEL.finalize, {"partial": PARTIAL}),
    "ScoringModel.from_dict": (bk.ScoringModel.from_dict, {"data": MODEL.to_dict()}),
    "EventLog.from_frame": (
        bk.EventLog.from_frame,
        {"events": EVENTS, "contacts": CONTACTS["contact_id"]},
    ),
    "grade": (bk.grade, {"fit": pd.Series(0.6, index=SCORES.index), "score": SCORES}),
    # attribute points and letter grades
    "points_for": (
        bk.points_for,
        {"column": "title", "points": {"CEO": 20.0, "Student": -20.0}, "default": -1.0},
    ),
    "points_between": (
        bk.points_between,
        {"column": "employees", "bands": [(0, 50, 0.0), (50, None, 10.0)], "missing": 0.0},
    ),
    "PointsFor": (bk.PointsFor, {"column": "title", "points": {"CEO": 20.0}}),
    "PointsBetween": (bk.PointsBetween, {"column": "employees", "bands": [(0, None, 5.0)]}),
    "PointsFor.values": (POINTS_TABLE.items[0].values, {"column": LEADS["title"]}),
    "PointsBetween.values": (POINTS_TABLE.items[1].values, {"column": LEADS["employees"]}),
    "PointsTable": (bk.PointsTable, {"items": list(POINTS_TABLE.items), "cap": 30.0, "floor": 0.0}),
    "PointsTable.score": (POINTS_TABLE.score, {"frame": LEADS}),
    "PointsTable.explain": (POINTS_TABLE.explain, {"frame": LEADS}),
    "PointsTable.from_dict": (bk.PointsTable.from_dict, {"data": POINTS_TABLE.to_dict()}),
    "letter_grade": (bk.letter_grade, {"notches": pd.Series([0, 2, -1]), "start": "D"}),
    "learn_points": (
        bk.learn_points,
        {
            "frame": LEARN_FRAME,
            "outcome": LEARN_OUTCOME,
            "columns": ["segment", "visits"],
            "bins": 3,
            "min_count": 5,
            "pdo": 20.0,
            "base_score": 100.0,
            "base_odds": 1.0,
            "l2": 1.0,
        },
    ),
    "learn_event_points": (
        bk.learn_event_points,
        {
            "events": EVENTS,
            "outcomes": LEARN_OUTCOMES,
            "half_life": 14.0,
            "horizon": 7.0,
            "pdo": 20.0,
            "l2": 1.0,
        },
    ),
    "OddsScale": (bk.OddsScale, {"pdo": 20.0, "base_score": 100.0, "base_odds": 1.0}),
    "OddsScale.probability": (ODDS.probability, {"points": 120.0}),
    "OddsScale.points": (ODDS.points, {"probability": 0.25}),
    "PointsTable.probability": (LEARNED.probability, {"frame": LEARN_FRAME}),
    # accounts
    "any_contact": (bk.any_contact, {"at_least": 100.0}),
    "contacts": (bk.contacts, {"at_least": 60.0, "count": 3}),
    "total": (bk.total, {"at_least": 200.0}),
    "AnyContact": (bk.AnyContact, {"at_least": 100.0}),
    "Contacts": (bk.Contacts, {"at_least": 60.0, "count": 3}),
    "Total": (bk.Total, {"at_least": 200.0}),
    "AnyOf": (bk.AnyOf, {"rules": (bk.total(at_least=1), bk.any_contact(at_least=2))}),
    "AllOf": (bk.AllOf, {"rules": (bk.total(at_least=1), bk.any_contact(at_least=2))}),
    "Not": (bk.Not, {"rule": bk.total(at_least=1)}),
    "Rule.from_dict": (bk.Rule.from_dict, {"data": RULE.to_dict()}),
    "Rule.evaluate": (RULE.evaluate, {"scores": {"c1": 30.0, "c2": 6.0, "c3": 5.0}}),
    "rule_from_dict": (bk.rule_from_dict, {"data": RULE.to_dict()}),
    "rollup": (bk.rollup, {"scores": SCORES, "accounts": ACCOUNT_OF, "top_k": 2}),
    "handover": (bk.handover, {"scores": SCORES, "accounts": ACCOUNT_OF, "rule": RULE, "top_k": 2}),
    "first_handover": (
        bk.first_handover,
        {"history": HISTORY, "accounts": ACCOUNT_OF, "rule": RULE},
    ),
    # funnel, stats, markov
    "Funnel": (bk.Funnel, {"stages": ["lead", "sql", "won"], "rates": [0.2, 0.3]}),
    "Funnel.customer_journey": (bk.Funnel.customer_journey, {"rates": (0.2, 0.4, 0.4, 0.1)}),
    "Funnel.demand_waterfall": (
        bk.Funnel.demand_waterfall,
        {"rates": [0.5, 0.4, 0.6, 0.5, 0.3, 0.2, 0.4]},
    ),
    "Funnel.from_counts": (
        bk.Funnel.from_counts,
        {"counts": pd.Series([100, 20, 5], index=["a", "b", "c"])},
    ),
    "Funnel.project": (FUNNEL.project, {"top": 10_000.0}),
    "Funnel.required": (FUNNEL.required, {"target": 5.0, "stage": "customer"}),
    "Funnel.required_top": (
        FUNNEL.required_top,
        {"target": 5, "probability": 0.9, "stage": "customer"},
    ),
    "Funnel.with_rate": (FUNNEL.with_rate, {"from_stage": "lead", "rate": 0.5}),
    "Funnel.overall_rate": (FUNNEL.overall_rate, {"start": "lead", "end": "customer"}),
    "Funnel.sensitivity": (FUNNEL.sensitivity, {"top": 1000.0, "step": 0.01}),
    "Funnel.bottleneck": (FUNNEL.bottleneck, {"top": 1000.0, "step": 0.01}),
    "Funnel.from_dict": (bk.Funnel.from_dict, {"data": FUNNEL.to_dict()}),
    "funnel_from_events": (
        bk.funnel_from_events,
        {"events": STAGE_EVENTS, "stages": list(datasets.STAGES), "entity": "entity_id"},
    ),
    "icp_funnel": (
        bk.icp_funnel,
        {
            "events": STAGE_EVENTS,
            "stages": list(datasets.STAGES),
            "is_icp": pd.Series(IS_ICP.to_numpy(), index=CONTACTS["contact_id"]),
            "entity": "entity_id",
        },
    ),
    "conversion_curve": (
        bk.conversion_curve,
        {
            "events": STAGE_EVENTS,
            "start": "MQL",
            "end": "SQL",
            "lost": ["ML"],
            "entity": "entity_id",
            "as_of": "2026-12-01",
            "confidence": 0.9,
        },
    ),
    "stage_log": (
        bk.stage_log,
        {
            "table": _DEMO.deals.head(12).assign(stage="Engaging"),
            "entity": "deal_id",
            "stage": "stage",
            "dates": {"Engaging": "opened_at", "Won": "closed_at"},
            "order": ["Prospecting", "Engaging", "Won"],
        },
    ),
    "retention": (bk.retention, {"customers": 320.0, "churn": 0.3, "periods": 3}),
    "proportion_ci": (
        bk.proportion_ci,
        {"successes": pd.Series([3, 1]), "trials": pd.Series([10, 4])},
    ),
    "min_trials": (bk.min_trials, {"successes": 5, "rate": 0.032, "probability": 0.9}),
    "absorbing_chain": (bk.absorbing_chain, {"transitions": TRANSITIONS}),
    "stage_transitions": (
        bk.stage_transitions,
        {"stages": ["lead", "sql"], "advance": [0.3, 0.5], "drop": 0.1},
    ),
    # abm
    "prioritize": (
        bk.prioritize,
        {"accounts": PRIORITY_INPUT, "weights": WEIGHTS, "scales": SCALES},
    ),
    "prioritize with scale names": (
        bk.prioritize,
        {
            "accounts": PRIORITY_INPUT,
            "weights": WEIGHTS,
            "scales": {"icp_fit": "minmax", "opportunity": "max", "history": "log"},
        },
    ),
    "PriorityModel": (
        bk.PriorityModel,
        {
            "weights": WEIGHTS,
            "scales": {"icp_fit": 100, "opportunity": "rank"},
            "tiers": [0.6, 0.3],
        },
    ),
    "PriorityModel.prioritize": (
        bk.PriorityModel(
            WEIGHTS, scales={"icp_fit": "log", "opportunity": 10}, tiers=[0.5]
        ).prioritize,
        {"accounts": PRIORITY_INPUT},
    ),
    "PriorityModel.from_dict": (
        bk.PriorityModel.from_dict,
        {"data": bk.PriorityModel(WEIGHTS, scales=SCALES).to_dict()},
    ),
    "priority_contributions": (
        bk.priority_contributions,
        {"accounts": PRIORITY_INPUT, "weights": WEIGHTS, "scales": SCALES},
    ),
    "assign_tiers": (bk.assign_tiers, {"priority": RANKED["priority"], "cutoffs": (0.6, 0.4)}),
    "rank_stability": (
        bk.rank_stability,
        {
            "accounts": PRIORITY_INPUT,
            "weights": WEIGHTS,
            "scales": SCALES,
            "n_samples": 50,
            "method": "dirichlet",
            "scale_options": ["max", "rank"],
        },
    ),
    "swap_weights": (
        bk.swap_weights,
        {
            "accounts": PRIORITY_INPUT,
            "weights": WEIGHTS,
            "first": "A",
            "second": "B",
            "scales": SCALES,
        },
    ),
    "account_table": (
        bk.account_table,
        {
            "accounts": ACCOUNTS.set_index("account_id"),
            "profile": PROFILE,
            "scores": SCORES,
            "contacts": ACCOUNT_OF,
        },
    ),
    "scorecard": (bk.scorecard, {"contacts": CONTACTS, "events": EVENTS, "target_contacts": 3}),
    "nps": (bk.nps, {"scores": SURVEYS["score"], "by": SURVEYS["account_id"]}),
    "abm_kpis": (
        bk.abm_kpis,
        {
            "targets": ACCOUNT_IDS[:5],
            "contacts": CONTACTS,
            "deals": DEALS,
            "events": EVENTS,
            "surveys": SURVEYS,
        },
    ),
    # evaluation
    "roc_auc": (bk.roc_auc, {"score": SCORE, "outcome": OUTCOME}),
    "lift_table": (bk.lift_table, {"score": SCORE, "outcome": OUTCOME, "bins": 2}),
    "score_report": (
        bk.score_report,
        {
            "scores": {"s": SCORE, "p": SCORE.clip(0, 1)},
            "outcome": OUTCOME,
            "bins": 2,
            "capacity": 2.0,
            "probabilities": ["p"],
        },
    ),
    "time_split": (
        bk.time_split,
        {"frame": DEALS, "time": "opened_at", "at": None, "test_share": 0.25},
    ),
    "precision_at_k": (bk.precision_at_k, {"score": SCORE, "outcome": OUTCOME, "k": [1, 3]}),
    "capacity_threshold": (
        bk.capacity_threshold,
        {"score": SCORE, "outcome": OUTCOME, "capacity": 2.0},
    ),
    "log_odds_weights": (bk.log_odds_weights, {"features": FEATURES, "outcome": OUTCOME}),
    # serialize
    "serialize.to_dict": (serialize.to_dict, {"model": MODEL}),
    "serialize.from_dict": (
        serialize.from_dict,
        {"document": serialize.to_dict(FUNNEL), "limits": serialize.Limits(items=50)},
    ),
    "serialize.json_schema": (
        serialize.json_schema,
        {"kind": "rule", "limits": serialize.Limits()},
    ),
    "serialize.Limits": (
        serialize.Limits,
        {"document_bytes": 1000, "string_length": 10, "items": 5, "values": 100, "depth": 8},
    ),
    "serialize.to_json": (serialize.to_json, {"model": RULE, "indent": 2}),
    "serialize.from_json": (
        serialize.from_json,
        {"text": serialize.to_json(PROFILE), "limits": serialize.DEFAULT_LIMITS},
    ),
    "serialize.from_toml": (
        serialize.from_toml,
        {"source": 'type = "funnel"\nstages = ["a", "b"]\nrates = [0.5]\n'},
    ),
    # chunked
    "chunked.score_chunks": (
        chunked.score_chunks,
        {"model": MODEL, "chunks": [EVENTS.iloc[:40], EVENTS.iloc[40:]], "as_of": "2026-12-01"},
    ),
    "chunked.rollup_partial": (chunked.rollup_partial, {"chunk": CHUNK, "rule": RULE, "top_k": 2}),
    "chunked.rollup_combine": (
        chunked.rollup_combine,
        {"partials": [ROLLUP_PART, ROLLUP_PART.iloc[:0]]},
    ),
    "chunked.rollup_finalize": (
        chunked.rollup_finalize,
        {"partial": ROLLUP_PART, "rule": RULE, "top_k": 2},
    ),
    "chunked.rollup_chunks": (
        chunked.rollup_chunks,
        {"chunks": [CHUNK.iloc[:5], CHUNK.iloc[5:]], "rule": RULE, "top_k": 2},
    ),
    # datasets
    "datasets.make_demo": (datasets.make_demo, {"seed": 1, "n_accounts": 20, "n_contacts": 60}),
    # plots
    "plot.icp_rates": (
        lambda **kw: plot.icp_rates(ax=_fig(), **kw),
        {"table": bk.icp_rate(IS_ICP, by=PROGRAMME), "band": (0.2, 0.5), "top": 5, "title": "x"},
    ),
    "plot.funnel": (
        lambda **kw: plot.funnel(ax=_fig(), **kw),
        {
            "table": bk.funnel_from_events(STAGE_EVENTS, list(datasets.STAGES), entity="entity_id"),
            "entity": "leads",
            "title": "Funnel",
        },
    ),
    "plot.grade_grid": (
        lambda **kw: plot.grade_grid(ax=_fig(), **kw),
        {"grades": GRADES, "title": "Leads"},
    ),
    "plot.priority_bars": (
        lambda **kw: plot.priority_bars(ax=_fig(), **kw),
        {
            "contributions": bk.priority_contributions(PRIORITY_INPUT, WEIGHTS, scales=SCALES),
            "top": 2,
            "title": "Top accounts",
        },
    ),
    "plot.score_history": (
        lambda **kw: plot.score_history(ax=_fig(), **kw),
        {"history": HISTORY, "threshold": 20.0, "top": 5, "title": "Scores"},
    ),
}

# public names whose contract is covered elsewhere, and why
EXEMPT = {
    # the slow distributed paths take the same arguments as the chunked ones above and
    # are driven with junk in tests/test_chunked*.py; a Dask cluster per example is too slow
    "chunked.score_dask": "tests/test_chunked.py",
    "chunked.rollup_dask": "tests/test_chunked_rollup.py",
    "chunked.iter_parquet": "reads files; tests/test_chunked.py",
    # no arguments: nothing to feed junk to
    "datasets.load_demo": "no arguments",
    "datasets.demo_profile": "no arguments",
    "datasets.demo_scoring_model": "no arguments",
    "datasets.DemoData": "a container of the demo tables",
    "datasets.DemoData.leads": "no arguments",
}


def _public_names() -> set[str]:
    """Every public callable: top-level and submodule names, and public methods of classes."""
    names: set[str] = set()
    modules = {
        "": bk,
        "serialize.": serialize,
        "chunked.": chunked,
        "datasets.": datasets,
        "plot.": plot,
    }
    for prefix, module in modules.items():
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj) or (inspect.isclass(obj) and issubclass(obj, BaseException)):
                continue
            if getattr(obj, "__module__", "").startswith("typing") or not (
                inspect.isclass(obj) or inspect.isfunction(obj)
            ):
                continue
            names.add(prefix + name)
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not (
                        inspect.isfunction(member) or isinstance(member, classmethod | staticmethod)
                    ):
                        continue
                    if attr in ("to_dict", "describe", "leaves", "clauses"):
                        continue  # no arguments
                    names.add(f"{prefix}{name}.{attr}")
    return names


# results of these have no fields to check; plain data classes need a field to vary
_RESULT_CLASSES = {
    "AbsorbingChain",
    "RecordFit",
    "RecordScores",
    "RuleResult",
    "ScoreReport",
    "TimeSplit",
    "CapacityThreshold",
    "Concentration",
    "ProfileSuggestion",
    "RankStability",
    "RebalancePlan",
    "Rule",
    "Criterion",
    "EventLog",
}


def test_every_public_name_has_a_contract() -> None:
    missing = sorted(_public_names() - set(SPECS) - set(EXEMPT) - _RESULT_CLASSES)
    assert not missing, f"public names without a contract in tests/test_contract.py: {missing}"


def test_every_baseline_call_works() -> None:
    for name, (call, kwargs) in SPECS.items():
        call(**kwargs), name


# ------------------------------------------------------------------- junk

_SCALARS: list[Any] = [
    None,
    True,
    "",
    "text",
    b"bytes",
    0,
    -1,
    2**70,
    10**400,
    1e308,
    -1e308,
    1e-320,
    math.nan,
    math.inf,
    -math.inf,
    Fraction(1, 3),
    np.float64(np.nan),
    np.int64(-5),
    [],
    ["a"],
    "cto",
    {"a": 1},
    object(),
    pd.NaT,
    pd.Timestamp("9999-12-31"),
    pd.Timestamp("2026-01-01", tz="Asia/Tokyo"),
    np.datetime64("0001-01-01"),
    pd.Series(dtype=float),
    pd.Series([1.0, np.nan]),
    pd.Series(["a", "b"]),
    pd.DataFrame(),
    np.array([]),
    np.array([[1.0, 2.0]]),
]


def _series_junk(s: pd.Series) -> list[Any]:
    out: list[Any] = [
        s.iloc[:0],
        s.iloc[:1],
        s.set_axis(pd.RangeIndex(len(s)) + 10_000),  # misaligned
        s.iloc[::-1],
        s.astype(str),
        s.to_frame(),
        s.tolist(),
    ]
    if len(s) > 1:
        out.append(pd.concat([s, s.iloc[:1]]))  # a repeated label
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        out += [s.where(s.index != s.index[0], np.nan), s * -1, s + np.inf, s.astype("Float64")]
        out.append(s.astype(pd.ArrowDtype(__import__("pyarrow").float64())))
    if pd.api.types.is_bool_dtype(s.dtype):
        out += [
            s.astype("boolean").where(s.index != s.index[0], pd.NA),
            s.map({True: "Y", False: "N"}),
        ]
    return out


def _frame_junk(frame: pd.DataFrame) -> list[Any]:
    with warnings.catch_warnings():  # numpy 1.x warns while pandas tries -inf as an integer
        warnings.simplefilter("ignore", RuntimeWarning)
        converted = [frame.convert_dtypes(), frame.convert_dtypes(dtype_backend="pyarrow")]
    out: list[Any] = [frame.iloc[:0], frame.iloc[:1], converted[0], frame.to_dict("list")]
    out.append(converted[1])
    for column in list(frame.columns)[:8]:
        out.append(frame.drop(columns=[column]))
        col = frame[column]
        out.append(
            frame.assign(**{str(column): col.astype(str)}) if isinstance(column, str) else frame
        )
        broken = col.astype(object).copy()
        broken.iloc[0] = None
        out.append(frame.assign(**{str(column): broken}) if isinstance(column, str) else frame)
        if pd.api.types.is_datetime64_any_dtype(col.dtype) and isinstance(column, str):
            far = col.dt.as_unit("s").copy()
            far.iloc[0] = pd.Timestamp("9999-12-31")
            out.append(frame.assign(**{column: far}))
            out.append(frame.assign(**{column: col.dt.tz_localize("UTC")}))
        if pd.api.types.is_numeric_dtype(col.dtype) and isinstance(column, str):
            out.append(frame.assign(**{column: col * 1e308}))
    if len(frame) > 1:
        out.append(pd.concat([frame, frame.iloc[:1]]))
    return out


def _junk_options(value: Any) -> list[Any]:
    options: list[Any] = list(_SCALARS)
    if isinstance(value, pd.DataFrame):
        options = _frame_junk(value) + options
    elif isinstance(value, pd.Series):
        options = _series_junk(value) + options
    elif isinstance(value, list | tuple) and value:
        options = [
            value[:1],
            [*value, value[0]],
            list(reversed(value)),
            [None, *value[1:]],
            *options,
        ]
    return options


# what an error may call a parameter instead of its own name
_ALIASES = {
    "criteria": ("criterion",),
    "data": ("mapping", "document"),
    "document": ("mapping", "document"),
    "frame": ("column",),
    "counts": ("stage",),
}


def _named(message: str, parameter: str, baseline: dict[str, Any]) -> bool:
    """Whether an error message names the parameter (or its singular), a column or a field."""
    names = (parameter, parameter.removesuffix("s"), *_ALIASES.get(parameter, ()))
    if any(n in message for n in names) or "column" in message or "field" in message:
        return True
    frames = [v for v in baseline.values() if isinstance(v, pd.DataFrame)]
    columns = {str(c) for f in frames for c in f.columns}
    return bool(set(re.findall(r"[A-Za-z_]\w*", message)) & columns)


def _failure(name: str, parameter: str, value: Any) -> str | None:
    """Call ``name`` with one junk argument: ``None`` if it works or fails well, else what went wrong."""
    call, baseline = SPECS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            call(**{**baseline, parameter: value})
        except bk.ValidationError as err:
            if not _named(str(err), parameter, baseline):
                return (
                    f"{parameter}={repr(value)[:60]}: the error names no parameter or column: {err}"
                )
            # the same facts as fields, for a service's structured error body
            body = err.to_dict()
            if body["code"] not in bk.ERROR_CODES or (
                body["parameter"] is None and body["column"] is None
            ):
                return (
                    f"{parameter}={repr(value)[:60]}: no code or no parameter/column field: {body}"
                )
            json.dumps(body)
        except Exception as err:  # the contract: nothing but bbmkit's errors
            return f"{parameter}={repr(value)[:60]}: raw {type(err).__name__}: {str(err)[:200]}"
    return None


@pytest.mark.parametrize("name", sorted(SPECS))
def test_junk_raises_only_bbmkit_errors_naming_the_parameter(name: str) -> None:
    # every parameter with every junk value: a few thousand calls in all, deterministic
    _, baseline = SPECS[name]
    failures = [
        failure
        for parameter in sorted(baseline)
        for value in _junk_options(baseline[parameter])
        if (failure := _failure(name, parameter, value)) is not None
    ]
    assert not failures, f"{name}: {len(failures)} bad outcome(s):\n" + "\n".join(failures[:10])


_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.text(max_size=5),
    st.none(),
    st.booleans(),
)


@pytest.mark.parametrize("name", sorted(SPECS))
@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_random_scalars_raise_only_bbmkit_errors(name: str, data: st.DataObject) -> None:
    _, baseline = SPECS[name]
    parameter = data.draw(st.sampled_from(sorted(baseline)), label="parameter")
    value = data.draw(_NUMBERS, label="value")
    failure = _failure(name, parameter, value)
    assert failure is None, f"{name}: {failure}"
