"""Regression tests for the hardened input boundary: what real exports contain.

Each test names the wrong answer or raw exception it guards against; every
one of them failed before the boundary was hardened.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bbmkit as bk
from bbmkit.datasets import load_demo

UNITS = ["s", "ms", "us", "ns"]
# datetimes that nanoseconds can hold too, to compare every unit with them
_NS_RANGE = st.datetimes(
    min_value=pd.Timestamp("1700-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2250-01-01").to_pydatetime(),
)


def _log(times: list[str], unit: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_id": [f"c{i % 2}" for i in range(len(times))],
            "event_type": ["visit"] * len(times),
            # from numpy in the unit: pandas 2.1 parses strings to nanoseconds only
            "timestamp": pd.Series(np.array(times, dtype=f"datetime64[{unit}]")),
        }
    )


# ---------------------------------------------------------------- datetimes


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_placeholder_dates_do_not_wrap_in_scores(unit: str) -> None:
    # 9999-12-31 after as_of is not scored; 1500-01-01 long before it decays to nothing
    log = _log(["2024-01-01", "9999-12-31", "1500-01-01"], unit)
    model = bk.ScoringModel({"visit": 10}, half_life=30)
    scores = model.score(log, as_of=pd.Timestamp("2024-01-02"))
    # c0: the 2024 event and the 1500 one (decayed to nothing); c1's only event is later
    assert scores.to_dict() == {"c0": pytest.approx(10 * 0.5 ** (1 / 30))}
    ledger = model.ledger(log, as_of=pd.Timestamp("2024-01-02"))
    assert ledger["points"].sum() == pytest.approx(scores.sum())
    # the default as_of is the latest event: year 9999
    latest = model.score(log)
    assert latest["c1"] == 10.0
    assert latest["c0"] < 1e-100


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_placeholder_dates_in_funnels_give_true_days(unit: str) -> None:
    events = pd.DataFrame(
        {
            "entity_id": ["a", "a", "b", "b"],
            "stage": ["lead", "sql", "lead", "sql"],
            "timestamp": pd.Series(
                np.array(
                    ["2024-01-01", "2024-02-01", "1500-01-01", "2024-01-05"],
                    dtype=f"datetime64[{unit}]",
                )
            ),
        }
    )
    out = bk.funnel_from_events(events, ["lead", "sql"])
    days = [31.0, (pd.Timestamp("2024-01-05") - pd.Timestamp("1500-01-01")).days]
    assert out.loc["lead", "median_days"] == pytest.approx(np.median(days))
    cohorts = bk.funnel_from_events(events, ["lead", "sql"], entry_period="M")
    assert sorted(cohorts.index.get_level_values(0).unique()) == ["1500-01", "2024-01"]


def test_time_to_threshold_past_2262_is_a_date() -> None:
    log = _log(["2024-01-01"], "ns").iloc[:1]
    model = bk.ScoringModel({"visit": 10}, half_life=3_000_000)
    out = model.time_to_threshold(log, 5, as_of="2024-01-01")
    assert np.isfinite(out["days"].iloc[0])
    at = out["at"].iloc[0]
    assert not pd.isna(at)
    assert at.year > 2262
    assert abs((at - pd.Timestamp("2024-01-01").as_unit("s")).days - out["days"].iloc[0]) <= 1


def test_abm_kpis_cycle_time_with_placeholder_dates() -> None:
    deals = pd.DataFrame(
        {
            "account_id": ["A", "B"],
            "opened_at": pd.Series(np.array(["0001-01-01", "2026-01-01"], dtype="datetime64[s]")),
            "closed_at": pd.to_datetime(
                pd.Series(["2026-02-01", "2026-02-11"]), format="%Y-%m-%d"
            ).dt.as_unit("s"),
            "won": [True, True],
            "deal_value": [1.0, 2.0],
        }
    )
    kpis = bk.abm_kpis(["A", "B"], deals=deals)
    cycle = kpis.loc[kpis["metric"] == "sales_cycle_days", "value"].iloc[0]
    expected = np.median(
        [(pd.Timestamp("2026-02-01") - pd.Timestamp("0001-01-01").as_unit("s")).days, 41]
    )
    assert cycle == pytest.approx(expected)


@given(
    st.lists(_NS_RANGE, min_size=1, max_size=20),
    st.sampled_from(UNITS[:3]),
)
def test_every_datetime_unit_scores_like_nanoseconds(times: list, unit: str) -> None:
    ns = pd.DataFrame(
        {
            "contact_id": [i % 3 for i in range(len(times))],
            "event_type": ["visit"] * len(times),
            "timestamp": pd.Series(pd.to_datetime(times)).dt.as_unit("ns").dt.floor("s"),
        }
    )
    other = ns.assign(timestamp=ns["timestamp"].dt.as_unit(unit))
    model = bk.ScoringModel({"visit": 10}, half_life=30_000)
    pd.testing.assert_series_equal(model.score(ns), model.score(other), rtol=1e-9, atol=1e-12)
    as_of = ns["timestamp"].max()
    pd.testing.assert_frame_equal(
        model.ledger(ns, as_of=as_of), model.ledger(other, as_of=as_of), rtol=1e-9, atol=1e-12
    )


@given(
    st.lists(_NS_RANGE, min_size=2, max_size=20),
    st.sampled_from(UNITS[:3]),
)
def test_every_datetime_unit_gives_the_funnel_of_nanoseconds(times: list, unit: str) -> None:
    stamps = pd.Series(pd.to_datetime(times)).dt.as_unit("ns").dt.floor("s")
    ns = pd.DataFrame(
        {
            "entity_id": [i // 2 for i in range(len(times))],
            "stage": ["lead" if i % 2 == 0 else "sql" for i in range(len(times))],
            "timestamp": stamps,
        }
    )
    other = ns.assign(timestamp=ns["timestamp"].dt.as_unit(unit))
    expected = bk.funnel_from_events(ns, ["lead", "sql"], backfill=False)
    got = bk.funnel_from_events(other, ["lead", "sql"], backfill=False)
    pd.testing.assert_frame_equal(expected, got, rtol=1e-9)
    model = bk.ScoringModel({"lead": 50, "sql": 20}, half_life=30)
    log = ns.rename(columns={"entity_id": "contact_id", "stage": "event_type"})
    log_other = other.rename(columns={"entity_id": "contact_id", "stage": "event_type"})
    a = model.time_to_threshold(log, 10)
    b = model.time_to_threshold(log_other, 10)
    np.testing.assert_allclose(a["days"], b["days"], rtol=1e-9, atol=1e-6)
    assert (a["at"] - b["at"]).abs().max() <= pd.Timedelta(seconds=1)


def test_arrow_timestamps_keep_their_zone() -> None:
    log = _log(["2024-01-01 00:00", "2024-01-01 12:00"], "us")
    tokyo = log.assign(timestamp=log["timestamp"].dt.tz_localize("Asia/Tokyo"))
    arrow = tokyo.assign(
        timestamp=tokyo["timestamp"].astype("timestamp[ms, tz=Asia/Tokyo][pyarrow]")
    )
    model = bk.ScoringModel({"visit": 10}, half_life=1)
    as_of = pd.Timestamp("2024-01-02", tz="Asia/Tokyo")
    pd.testing.assert_series_equal(model.score(arrow, as_of=as_of), model.score(tokyo, as_of=as_of))
    with pytest.raises(bk.ValidationError, match="naive"):
        model.score(arrow, as_of=pd.Timestamp("2024-01-02"))


# ------------------------------------------------------- pairing two Series


def test_proportion_ci_pairs_series_by_label() -> None:
    successes = pd.Series([3, 1], index=["x", "y"])
    trials = pd.Series([4, 10], index=["y", "x"])
    out = bk.proportion_ci(successes, trials)
    assert out["rate"].to_dict() == {"x": 0.3, "y": 0.25}
    with pytest.raises(
        bk.ValidationError, match=r"different indexes \(label 'x' is in successes only"
    ):
        bk.proportion_ci(successes, pd.Series([4, 10], index=["y", "z"]))


def test_pairing_by_label_everywhere() -> None:
    is_icp = pd.Series([True, False, True], index=["a", "b", "c"])
    by = pd.Series(["x", "y", "x"], index=["a", "b", "c"])
    pd.testing.assert_frame_equal(bk.icp_rate(is_icp, by=by), bk.icp_rate(is_icp, by=by[::-1]))
    score = pd.Series([0.9, 0.2, 0.5, 0.4], index=list("abcd"))
    won = pd.Series([True, False, False, True], index=list("abcd"))
    assert bk.roc_auc(score, won) == bk.roc_auc(score, won[::-1])
    answers = pd.Series([10, 9, 3, 0], index=["a", "b", "c", "d"])
    groups = pd.Series(["x", "x", "y", "y"], index=["a", "b", "c", "d"])
    pd.testing.assert_frame_equal(bk.nps(answers, by=groups), bk.nps(answers, by=groups[::-1]))
    assert bk.nps(answers, by=groups[::-1])["nps"].tolist() == [100.0, -100.0, 0.0]
    is_icp = pd.Series([True, False, True, True], index=["a", "b", "c", "d"])
    by = pd.Series(["x", "y", "y", "y"], index=["a", "b", "c", "d"])
    assert bk.icp_rate(is_icp, by=by[::-1])["icp"].tolist() == [1, 2, 3]


# --------------------------------------------------------------- outcomes


def _deals(won: object) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A", "A", "B"],
            "opened_at": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-01"]),
            "closed_at": pd.to_datetime(["2026-02-04", "2026-03-01", "2026-02-11"]),
            "won": won,
            "deal_value": [100.0, 50.0, 70.0],
        }
    )


@pytest.mark.parametrize(
    "won",
    [
        ["True", "False", "True"],
        ["Y", "N", "Y"],
        pd.array(["Y", "N", "Y"], dtype="string"),
    ],
)
def test_abm_kpis_rejects_text_outcomes(won: object) -> None:
    with pytest.raises(bk.ValidationTypeError, match="column 'won' must be boolean"):
        bk.abm_kpis(["A", "B"], deals=_deals(won))


def test_abm_kpis_missing_outcome_of_a_closed_deal_is_an_error() -> None:
    with pytest.raises(bk.ValidationError, match="column 'won' is missing for 1 closed deal"):
        bk.abm_kpis(["A", "B"], deals=_deals(pd.array([True, None, True], dtype="boolean")))
    with pytest.raises(bk.ValidationError, match="column 'won' is missing"):
        bk.abm_kpis(["A", "B"], deals=_deals([True, np.nan, True]))


def test_abm_kpis_open_deals_have_no_outcome() -> None:
    deals = _deals(pd.array([True, None, True], dtype="boolean"))
    deals.loc[1, "closed_at"] = pd.NaT
    kpis = bk.abm_kpis(["A", "B"], deals=deals)
    contracts = kpis.loc[kpis["metric"] == "contracts", "value"].sum()
    opened = kpis.loc[kpis["metric"] == "deals", "value"].sum()
    assert (contracts, opened) == (2.0, 3.0)


# ------------------------------------------------ bare strings for lists


@pytest.mark.parametrize("parameter", ["required_roles", "channels", "content"])
def test_scorecard_bare_string_for_a_list(parameter: str) -> None:
    demo = load_demo()
    with pytest.raises(bk.ValidationTypeError, match=f"{parameter} must be a list of values"):
        bk.scorecard(demo.contacts, demo.events, **{parameter: "cto"})


def test_abm_kpis_bare_string_targets() -> None:
    with pytest.raises(bk.ValidationTypeError, match="targets must be a list"):
        bk.abm_kpis("A", deals=_deals([True, False, True]))


# ------------------------------------------------------------ huge weights


def test_huge_weights_do_not_overflow() -> None:
    profile = bk.ICPProfile(
        [bk.equals("a", 1, weight=1e308), bk.equals("b", 1, weight=1e308)], threshold=0.5
    )
    frame = pd.DataFrame({"a": [1, 0], "b": [1, 1]})
    assert profile.fit(frame).tolist() == [1.0, 0.5]
    assert profile.explain(frame).sum(axis=1).tolist() == [1.0, 0.5]
    accounts = pd.DataFrame({"a": [1.0, 0.5], "b": [0.2, 1.0]}, index=["A", "B"])
    ranked = bk.prioritize(accounts, {"a": 1e308, "b": 1e308})
    assert ranked["priority"].to_dict() == {"B": 0.75, "A": 0.6}


# -------------------------------------------------------------- scorecard


def _card_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    contacts = pd.DataFrame(
        {"contact_id": ["a1", "a2"], "account_id": ["A", "A"], "referred_by": ["a1", "a1"]}
    )
    events = pd.DataFrame(
        {
            "contact_id": ["a1", "a2"],
            "timestamp": pd.to_datetime(["2026-05-01", "2026-05-02"]),
            "channel": ["web", "email"],
            "minutes": [1.0, 2.0],
            "content_id": ["w", None],
        }
    )
    return contacts, events


def test_scorecard_self_referral_is_no_referral() -> None:
    contacts, events = _card_inputs()
    card = bk.scorecard(contacts, events)
    assert card.loc["A", "referrals"] == 1  # a2 by a1; a1 naming itself does not count


def test_scorecard_missing_channel_and_bad_windows() -> None:
    contacts, events = _card_inputs()
    with pytest.raises(bk.ValidationError, match="column 'channel' has 1 missing"):
        bk.scorecard(contacts, events.assign(channel=["web", None]))
    with pytest.raises(bk.ValidationTypeError, match="start must be a timestamp"):
        bk.scorecard(contacts, events, start=5.0)
    with pytest.raises(bk.ValidationError, match="start is not a timestamp"):
        bk.scorecard(contacts, events, start="next tuesday-ish")
    with pytest.raises(
        bk.ValidationError, match=r"end .* is tz-aware but column 'timestamp' is naive"
    ):
        bk.scorecard(contacts, events, end=pd.Timestamp("2026-05-01", tz="UTC"))
    with pytest.raises(bk.ValidationTypeError, match="column 'minutes' must hold numbers"):
        bk.scorecard(contacts, events.assign(minutes=["1", "2"]))


# ------------------------------------------------ extension-dtype contact ids

ID_DTYPES = ["Int64", "Int32", "UInt8", "int64[pyarrow]", "uint16[pyarrow]"]


def _int_log(dtype: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_id": pd.array([1, 2, 1, 3], dtype=dtype),
            "event_type": ["visit", "demo", "demo", "visit"],
            "timestamp": [0.0, 1.0, 2.0, 3.0],
        }
    )


@pytest.mark.parametrize("dtype", ID_DTYPES)
def test_extension_integer_ids_work_everywhere(dtype: str) -> None:
    from bbmkit.chunked import score_chunks

    model = bk.ScoringModel({"visit": 5, "demo": 50}, half_life=10)
    log = _int_log(dtype)
    plain = log.assign(contact_id=log["contact_id"].to_numpy(dtype=np.int64))
    expected = model.score(plain)
    scores = model.score(log)
    assert scores.index.dtype == log["contact_id"].dtype  # the ids keep their dtype
    np.testing.assert_array_equal(scores.to_numpy(), expected.to_numpy())
    assert scores.index.tolist() == expected.index.tolist()
    chunked = score_chunks(model, [log.iloc[:2], log.iloc[2:]], as_of=3.0)
    assert chunked.index.dtype == scores.index.dtype
    np.testing.assert_allclose(chunked.to_numpy(), scores.to_numpy(), rtol=1e-12)
    days = model.time_to_threshold(log, 20)
    pd.testing.assert_frame_equal(days, model.time_to_threshold(plain, 20), check_index_type=False)
    accounts = pd.DataFrame({"name": ["a", "b"]}, index=["A", "B"])
    contacts = pd.Series(["A", "A", "B"], index=pd.array([1, 2, 3], dtype=dtype))
    table = bk.account_table(accounts, model=model, events=log, contacts=contacts)
    assert table["engagement"].sum() == pytest.approx(scores.sum())


def test_score_chunks_uint64_ids_beyond_int64() -> None:
    from bbmkit.chunked import score_chunks

    ids = np.array([2**63, 2**63 + 5, 2**63 + 2, 2**64 - 1], dtype=np.uint64)
    log = pd.DataFrame({"contact_id": ids, "event_type": "visit", "timestamp": [0.0, 1, 2, 3]})
    model = bk.ScoringModel({"visit": 5}, half_life=10)
    chunked = score_chunks(model, [log.iloc[:2], log.iloc[2:]], as_of=3.0)
    pd.testing.assert_series_equal(chunked, model.score(log), rtol=1e-12)


def test_score_chunks_keep_the_id_dtype() -> None:
    from bbmkit.chunked import score_chunks

    log = _int_log("int32")
    model = bk.ScoringModel({"visit": 5, "demo": 50})
    chunked = score_chunks(model, [log.iloc[:2], log.iloc[2:]], as_of=3.0)
    assert chunked.index.dtype == model.score(log).index.dtype == np.int32


# ------------------------------------------------------------ documents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"type": "scoring_model", "points": {"x": 1' + "0" * 400 + "}}",
            r"points\['x'\] must be a finite",
        ),
        ('{"type": ["a"], "points": {"x": 1}}', "field 'type' must be one of"),
        ('{"type": {"a": 1}, "points": {"x": 1}}', "field 'type' must be one of"),
        (b'{"type": "\xff"}', "must be UTF-8 text"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"points": {"x": 1}}', "document has no field 'type'"),
        ('{"type": "rule", "at_least": 1}', "rule has no field 'kind'"),
        ('{"type": "rule", "kind": ["total"], "at_least": 1}', "rule field 'kind' must be one of"),
        (
            '{"type": "funnel", "stages": ["a", "b"], "rates": [1' + "0" * 400 + "]}",
            "must be a finite",
        ),
    ],
)
def test_malformed_documents_are_validation_errors(text: str | bytes, message: str) -> None:
    from bbmkit.serialize import from_json

    with pytest.raises(bk.ValidationError, match=message):
        from_json(text)


def test_from_json_of_none() -> None:
    from bbmkit.serialize import from_json

    with pytest.raises(bk.ValidationTypeError, match="text must be a JSON document"):
        from_json(None)  # type: ignore[arg-type]


def test_rule_depth_is_capped() -> None:
    leaf = {"kind": "any_contact", "at_least": 100}
    deep: dict = leaf
    for i in range(450):
        deep = {"kind": "any_of" if i % 2 else "all_of", "rules": [deep, leaf]}
    with pytest.raises(bk.ValidationError, match=r"nested .* levels deep; at most 32"):
        bk.rule_from_dict(deep)
    rule: bk.Rule = bk.total(at_least=1)
    with pytest.raises(bk.ValidationError, match="at most 32"):  # noqa: PT012
        for i in range(40):
            rule = bk.AnyOf((rule & bk.total(at_least=i), bk.total(at_least=2)))


def test_double_negations_cancel_in_documents() -> None:
    inner = {"kind": "any_contact", "at_least": 100}
    nots = inner
    for _ in range(450):
        nots = {"kind": "not", "rule": nots}
    with pytest.raises(bk.ValidationError, match="at most 32"):
        bk.rule_from_dict(nots)  # loaded, it would crash the handover
    twice = bk.rule_from_dict({"kind": "not", "rule": {"kind": "not", "rule": inner}})
    assert twice == bk.any_contact(at_least=100)
    scores = pd.Series([120.0], index=["c"])
    out = bk.handover(scores, pd.Series(["A"], index=["c"]), twice)
    assert out["reason"].tolist() == ["any contact >= 100"]


def test_fraction_rates_become_floats() -> None:
    from fractions import Fraction

    funnel = bk.Funnel(["a", "b"], [Fraction(1, 4)])
    assert funnel.to_dict() == {"stages": ["a", "b"], "rates": [0.25]}
    assert bk.ScoringModel({"x": Fraction(1, 2)}).points == {"x": 0.5}


# ------------------------------------------------- text where numbers go


def test_text_where_numbers_are_needed_names_the_column() -> None:
    orders = pd.DataFrame(
        {"account_id": ["a"], "deal_value": ["10"], "closed_at": pd.to_datetime(["2024-01-01"])}
    )
    with pytest.raises(bk.ValidationTypeError, match="column 'deal_value' must hold numbers"):
        bk.ltv(orders, lifetime_years=3)
    measures = pd.DataFrame({"leads": ["10"], "icp_leads": [5], "cost": [1.0]}, index=["m"])
    with pytest.raises(bk.ValidationTypeError, match="column 'leads' must hold numbers"):
        bk.portfolio(measures, band=(0.3, 0.6))
    model = bk.ScoringModel({"x": 10})
    partial = pd.DataFrame({"contact_id": ["a"], "event_type": ["x"], "points": ["9.5"]})
    with pytest.raises(bk.ValidationTypeError, match="column 'points' must hold numbers"):
        model.combine([partial])
    deals = _deals([True, False, True]).assign(deal_value=["1", "2", "3"], kind="up_sell")
    with pytest.raises(bk.ValidationTypeError, match="column 'deal_value' must hold numbers"):
        bk.abm_kpis(["A", "B"], deals=deals)


def test_rollup_partial_text_columns() -> None:
    from bbmkit.chunked import rollup_combine, rollup_partial

    chunk = pd.DataFrame({"contact_id": ["a"], "account_id": ["A"], "score": [70.0]})
    part = rollup_partial(chunk)
    with pytest.raises(bk.ValidationTypeError, match="column 'total' must hold numbers"):
        rollup_combine([part.astype({"total": str}), part])


def test_a_measure_named_all_is_an_error() -> None:
    measures = pd.DataFrame(
        {"leads": [10, 5], "icp_leads": [5, 1], "cost": [1.0, 2.0]}, index=["all", "m"]
    )
    with pytest.raises(bk.ValidationError, match="measure named 'all'"):
        bk.portfolio(measures, band=(0.3, 0.6))


def test_rollup_combine_of_one_partial_is_a_new_frame() -> None:
    from bbmkit.chunked import rollup_combine, rollup_partial

    part = rollup_partial(pd.DataFrame({"contact_id": ["a"], "account_id": ["A"], "score": [7.0]}))
    merged = rollup_combine([part])
    assert merged is not part
    pd.testing.assert_frame_equal(merged, part)


def test_first_handover_duplicate_dates() -> None:
    history = pd.DataFrame([[1.0, 2.0]], index=["a"], columns=["d1", "d1"])
    with pytest.raises(bk.ValidationError, match="date 'd1' more than once"):
        bk.first_handover(history, None, bk.any_contact(at_least=1))


def test_scalar_where_a_list_of_cutoffs_goes() -> None:
    with pytest.raises(bk.ValidationTypeError, match="cutoffs must be a list"):
        bk.assign_tiers(pd.Series([0.1, 0.9]), cutoffs=0.5)  # type: ignore[arg-type]
    with pytest.raises(bk.ValidationTypeError, match="top must be a list"):
        bk.assign_tiers(pd.Series([0.1, 0.9]), top=1)  # type: ignore[arg-type]


# -------------------------------------------------------- tiny and huge numbers


def test_planning_at_tiny_rates() -> None:
    with pytest.raises(bk.ValidationError, match="rate 1e-300 is too small"):
        bk.min_trials(5, 1e-300)
    with pytest.raises(bk.ValidationError, match="the rate to 'b' 1e-300 is too small"):
        bk.Funnel(["a", "b"], [1e-300]).required_top(5)


def test_required_top_names_its_own_parameters() -> None:
    funnel = bk.Funnel(["a", "b"], [0.5])
    with pytest.raises(bk.ValidationError, match="target must be an integer >= 1"):
        funnel.required_top(0)
    with pytest.raises(bk.ValidationError, match="unknown stage 'zzz'"):
        funnel.required_top(5, stage="zzz")


def test_concentration_of_huge_amounts() -> None:
    result = bk.concentration([1e308, 1e308])
    assert (result.hhi, result.top_share, result.effective_customers) == (0.5, 1.0, 2.0)


def test_rebalance_with_a_huge_budget_is_solved() -> None:
    measures = pd.DataFrame(
        {"leads": [10.0, 5.0], "icp_leads": [5.0, 1.0], "cost": [1.0, 2.0]}, index=["a", "m"]
    )
    plan = bk.rebalance(measures, budget=1e20)
    assert plan.totals["spend"] == pytest.approx(1e20)
    assert plan.plan.loc["a", "spend"] == pytest.approx(1e20)


@pytest.mark.parametrize("method", ["wilson", "agresti_coull", "normal", "clopper_pearson"])
def test_proportion_ci_is_exact_at_the_ends(method: str) -> None:
    out = bk.proportion_ci([0, 7], [7, 7], method=method)
    assert out["lower"].iloc[0] == 0.0
    assert out["upper"].iloc[1] == 1.0


def test_sizes_are_bounded() -> None:
    scores = pd.Series([1.0, 2.0], index=["a", "b"])
    accounts = pd.Series(["A", "A"], index=["a", "b"])
    out = bk.rollup(scores, accounts, top_k=10**12)  # as cheap as top_k=2
    assert out["top1000000000000_total"].tolist() == [3.0]
    with pytest.raises(bk.ValidationError, match="periods must be an integer <= 10,000"):
        bk.retention(100, churn=0.1, periods=10**12)
    frame = pd.DataFrame({"a": [1.0, 0.5], "b": [0.2, 1.0]})
    with pytest.raises(bk.ValidationError, match="n_samples must be an integer <= 100,000"):
        bk.rank_stability(frame, {"a": 1, "b": 1}, method="dirichlet", n_samples=10**12)
    from bbmkit.chunked import rollup_partial

    chunk = pd.DataFrame({"contact_id": ["a"], "account_id": ["A"], "score": [7.0]})
    with pytest.raises(bk.ValidationError, match="top_k must be at most 1000 in a partial"):
        rollup_partial(chunk, top_k=10**7)


# ----------------------------------------------------------- frozen models


def test_scoring_models_are_frozen_and_hashable() -> None:
    import pickle

    model = bk.ScoringModel({"visit": 5, "demo": 50}, event_caps={"visit": 20}, half_life=30)
    same = bk.ScoringModel({"demo": 50, "visit": 5}, event_caps={"visit": 20}, half_life=30)
    assert hash(model) == hash(same)
    assert model == same
    assert len({model, same}) == 1
    with pytest.raises(TypeError):
        model.points["visit"] = "bad"  # type: ignore[index]
    with pytest.raises(TypeError):
        model.event_caps["demo"] = 1.0  # type: ignore[index]
    assert model.points == {"visit": 5.0, "demo": 50.0}
    assert pickle.loads(pickle.dumps(model)) == model
    from bbmkit.serialize import from_json, to_json

    assert from_json(to_json(model)) == model


# ------------------------------- property: every Series pair aligns by label

_PAIRED: dict[str, Any] = {
    "icp_rate": lambda a, b: bk.icp_rate(a > 0.5, by=b),
    "icp_trend": lambda a, b: bk.icp_trend(a > 0.5, b, band=(0.2, 0.8)),
    "nps": lambda a, b: bk.nps((a * 10).round(), by=b),
    "proportion_ci": lambda a, b: bk.proportion_ci((a * 5).round(), (a * 5).round() + b.map(len)),
    "roc_auc": lambda a, b: bk.roc_auc(a, b == "x"),
    "lift_table": lambda a, b: bk.lift_table(a, b == "x", bins=2),
    "precision_at_k": lambda a, b: bk.precision_at_k(a, b == "x", [1, 2]),
    "capacity_threshold": lambda a, b: bk.capacity_threshold(a, b == "x", capacity=1.0, periods=b),
    "log_odds_weights": lambda a, b: bk.log_odds_weights(b.to_frame("group"), a > 0.5),
    "ltv_comparison": lambda a, b: bk.ltv_comparison(a, b == "x"),
    "grade": lambda a, b: bk.grade(a, b.map(len) * 40.0),
}


@pytest.mark.parametrize("name", sorted(_PAIRED))
@given(data=st.data())
def test_series_pairs_align_by_label(name: str, data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=4, max_value=12), label="n")
    values = data.draw(
        st.lists(st.floats(min_value=0.01, max_value=0.99), min_size=n, max_size=n, unique=True),
        label="a",
    )
    labels = data.draw(st.lists(st.sampled_from(["x", "yy"]), min_size=n, max_size=n), label="b")
    labels[:2] = ["x", "yy"]  # both classes of an outcome
    index = [f"id{i}" for i in range(n)]
    a = pd.Series(values, index=index)
    b = pd.Series(labels, index=index)
    order = data.draw(st.permutations(range(n)), label="order")
    call = _PAIRED[name]
    expected = call(a, b)
    shuffled = call(a, b.iloc[list(order)])
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(expected, shuffled)
    elif isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(expected, shuffled)
    else:  # a number or a frozen result
        assert expected == shuffled


def test_abm_kpis_duplicate_contacts_and_as_of_out_of_range() -> None:
    contacts = pd.DataFrame(
        {
            "contact_id": ["c1", "c1"],
            "account_id": ["A", "A"],
            "created_at": pd.to_datetime(["2026-01-01", "2026-02-01"]),
        }
    )
    events = pd.DataFrame({"contact_id": ["c1"], "timestamp": pd.to_datetime(["2026-02-02"])})
    with pytest.raises(bk.ValidationError, match="contacts lists contact 'c1' more than once"):
        bk.abm_kpis(["A"], contacts=contacts, events=events)
    log = _log(["2024-01-01"], "us")
    with pytest.raises(bk.ValidationError, match="as_of is not a timestamp pandas can hold"):
        bk.ScoringModel({"visit": 1}).score(log, as_of="99999-01-01")


# ------------------------------------------------------------ date-only as_of


def test_a_date_means_the_end_of_that_day() -> None:
    import datetime as dt

    log = pd.DataFrame(
        {
            "contact_id": ["a", "a"],
            "event_type": ["visit", "visit"],
            "timestamp": pd.to_datetime(["2026-09-30 08:00", "2026-09-30 18:30"]),
        }
    )
    model = bk.ScoringModel({"visit": 10})
    assert model.score(log, as_of="2026-09-30").tolist() == [20.0]  # both events of that day
    assert model.score(log, as_of=dt.date(2026, 9, 30)).tolist() == [20.0]
    assert model.score(log, as_of="2026-09-30 12:00").tolist() == [10.0]  # a time is kept
    assert model.score(log, as_of="2026-09-30 00:00").empty  # midnight: nothing yet
    history = model.history(log, ["2026-09-29", "2026-09-30"])
    assert history.iloc[0].tolist() == [0.0, 20.0]
    # in a zoned log a date is that day in the log's zone
    tokyo = log.assign(timestamp=log["timestamp"].dt.tz_localize("Asia/Tokyo"))
    assert model.score(tokyo, as_of="2026-09-30").tolist() == [20.0]
    decayed = bk.ScoringModel({"visit": 10}, half_life=1)
    late = decayed.score(log, as_of="2026-09-30").iloc[0]
    end = pd.Timestamp("2026-09-30 23:59:59.999999999")
    assert late == pytest.approx(decayed.score(log, as_of=end).iloc[0])
    contacts = pd.DataFrame({"contact_id": ["a"], "account_id": ["A"]})
    events = log.assign(channel="web").drop(columns="event_type")
    card = bk.scorecard(
        contacts, events, end="2026-09-30", minutes=None, content_column=None, referred_by=None
    )
    assert card.loc["A", "touches"] == 2
