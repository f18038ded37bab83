"""Account rollups and handover over chunks and Dask partitions equal the in-memory ones."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bbmkit as bk
from bbmkit import ValidationError, ValidationTypeError
from bbmkit.chunked import (
    rollup_chunks,
    rollup_combine,
    rollup_dask,
    rollup_finalize,
    rollup_partial,
)
from tests import reference

RULE = bk.any_contact(at_least=100) | bk.contacts(at_least=60, count=3)
RULES = [
    None,
    RULE,
    bk.total(at_least=250) & ~bk.contacts(at_least=90, count=2),
    (bk.contacts(at_least=60, count=2) | bk.total(at_least=300)) & bk.any_contact(at_least=70),
]


def _table(seed: int, n: int = 2_000, *, ids: str = "int") -> pd.DataFrame:
    """Contacts with an account, a score (some missing: unscored) and a role."""
    rng = np.random.default_rng(seed)
    score = rng.gamma(2.0, 30.0, n).round(1)
    score[rng.random(n) < 0.2] = np.nan
    contact = rng.permutation(n) + 7
    account = rng.integers(0, max(1, n // 12), n)
    table = pd.DataFrame(
        {
            "contact_id": contact,
            "account_id": account,
            "score": score,
            "role": rng.choice(["dm", "user", "intern"], n),
        }
    )
    if ids == "str":
        table["contact_id"] = [f"C{c:06d}" for c in contact]
        table["account_id"] = [f"A{a:04d}" for a in account]
    return table


def _in_memory(table: pd.DataFrame, rule: bk.Rule | None, **options: object) -> pd.DataFrame:
    indexed = table.set_index("contact_id")
    scores = indexed["score"].dropna()
    accounts = indexed["account_id"]
    if rule is None:
        return bk.rollup(scores, accounts, **options)  # type: ignore[arg-type]
    return bk.handover(scores, accounts, rule, **options)  # type: ignore[arg-type]


def _chunks(table: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    return (table.iloc[i : i + size] for i in range(0, len(table), size))


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert got.index.equals(want.index)
    # totals are sums of partial sums: equal up to rounding; everything else exactly
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, atol=1e-9)
    exact = [c for c in got.columns if c not in ("total", "mean") and not c.endswith("_total")]
    pd.testing.assert_frame_equal(got[exact], want[exact], check_exact=True)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("size", [1, 97, 500, 5_000])
@pytest.mark.parametrize("top_k", [None, 1, 3])
def test_chunks_equal_in_memory(rule: bk.Rule | None, size: int, top_k: int | None) -> None:
    table = _table(size).sample(frac=1.0, random_state=1)  # any split, any order
    n = 300 if size == 1 else len(table)  # one contact a chunk: fewer of them
    table = table.iloc[:n]
    seen: list[tuple[int, int]] = []
    got = rollup_chunks(
        _chunks(table, size),
        rule,
        top_k=top_k,
        combine_every=3,
        progress=lambda c, rows: seen.append((c, rows)),
    )
    _same(got, _in_memory(table, rule, top_k=top_k))
    assert seen[-1] == (-(-n // size), n)  # progress saw every chunk and contact


def test_string_ids_and_role_weights() -> None:
    table = _table(3, ids="str")
    weights = {"dm": 2.0, "user": 1.0, "intern": 0.25}
    got = rollup_chunks(_chunks(table, 333), RULE, role="role", role_weights=weights)
    indexed = table.set_index("contact_id")
    want = bk.handover(
        indexed["score"].dropna(),
        indexed["account_id"],
        RULE,
        roles=indexed["role"],
        role_weights=weights,
    )
    _same(got, want)


def test_matches_the_pure_python_reference() -> None:
    table = _table(11, n=400)
    got = rollup_chunks(_chunks(table, 64), None, top_k=2)
    rows = table.dropna(subset=["score"])  # the reference counts a contact it has no score for as 0
    expected = reference.rollup(
        dict(zip(rows["contact_id"], rows["score"], strict=True)),
        dict(zip(table["contact_id"], table["account_id"], strict=True)),
        2,
    )
    for account, want in expected.items():
        row = got.loc[account]
        assert row["n_contacts"] == want["n_contacts"]
        assert row["n_scored"] == want["n_scored"]
        assert row["max"] == pytest.approx(want["max"])
        assert row["total"] == pytest.approx(want["total"])
        assert row["top2_total"] == pytest.approx(want["top"])


def test_top_k_sums_are_exactly_the_in_memory_ones() -> None:
    # the merged top scores are summed largest first, as the in-memory kernel does
    table = _table(5)
    got = rollup_chunks(_chunks(table, 250), None, top_k=3)
    want = _in_memory(table, None, top_k=3)
    np.testing.assert_array_equal(got["top3_total"].to_numpy(), want["top3_total"].to_numpy())


def test_partials_combine_in_any_grouping() -> None:
    table = _table(9)
    parts = [rollup_partial(c, RULE) for c in _chunks(table, 400)]
    nested = rollup_combine([rollup_combine(parts[:2]), rollup_combine(parts[2:])])
    flat = rollup_combine(parts)
    _same(rollup_finalize(nested, RULE), rollup_finalize(flat, RULE))
    # one partial of the whole table is the in-memory rollup, with rounding and all
    whole = rollup_finalize(rollup_partial(table, RULE), RULE)
    pd.testing.assert_frame_equal(whole, _in_memory(table, RULE))


def test_dask_partitions_equal_in_memory() -> None:
    dd = pytest.importorskip("dask.dataframe")
    table = _table(21)
    for rule in (None, RULE):
        got = rollup_dask(dd.from_pandas(table, npartitions=5), rule, top_k=2)
        _same(got, _in_memory(table, rule, top_k=2))


def test_empty_chunks_give_the_empty_frame() -> None:
    got = rollup_chunks(iter([]), RULE)
    want = bk.handover(
        pd.Series([], dtype=float),
        pd.Series([], dtype=object, name="account_id"),
        RULE,
    )
    assert list(got.columns) == list(want.columns)
    assert len(got) == 0
    assert len(rollup_chunks([_table(1).iloc[:0]], None)) == 0


def test_input_is_not_mutated() -> None:
    table = _table(4)
    before = table.copy(deep=True)
    rollup_chunks(
        _chunks(table, 300), RULE, role="role", role_weights={"dm": 2, "user": 1, "intern": 1}
    )
    pd.testing.assert_frame_equal(table, before)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(1, 60),
    threshold=st.sampled_from([30.0, 60.0, 100.0]),
)
def test_property_chunked_equals_in_memory(seed: int, size: int, threshold: float) -> None:
    table = _table(seed, n=120)
    rule = bk.contacts(at_least=threshold, count=2) | bk.total(at_least=150)
    _same(rollup_chunks(_chunks(table, size), rule), _in_memory(table, rule))


# --------------------------------------------------------------------------
# invalid input


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns="score"), "column 'score' is missing"),
        (lambda t: t.drop(columns="account_id"), "column 'account_id' is missing"),
        (
            lambda t: t.assign(account_id=t["account_id"].astype(object).where(t.index != 3)),
            "account_id",
        ),
        (
            lambda t: t.assign(contact_id=t["contact_id"].where(t.index != 2, t["contact_id"][0])),
            "more than once",
        ),
        (lambda t: t.assign(score=t["score"].where(t.index != 1, np.inf)), "infinite score"),
    ],
)
def test_invalid_chunks(change: object, message: str) -> None:
    table = _table(2, n=50)
    with pytest.raises(ValidationError, match=message):
        rollup_chunks([change(table)], RULE)  # type: ignore[operator]


def test_invalid_options_and_partials() -> None:
    table = _table(2, n=50)
    with pytest.raises(ValidationTypeError, match="must hold numbers"):
        rollup_partial(table.assign(score="x"))
    with pytest.raises(ValidationTypeError, match="rule must be a Rule"):
        rollup_partial(table, "any contact >= 100")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="top_k"):
        rollup_chunks([table], top_k=0)
    with pytest.raises(ValidationError, match="combine_every"):
        rollup_chunks([table], combine_every=1)
    with pytest.raises(ValidationError, match="role_weights"):
        rollup_chunks([table], role="role", role_weights={"dm": 1.0})
    with pytest.raises(ValidationError, match="partials is empty"):
        rollup_combine([])
    with pytest.raises(ValidationError, match="same rule and top_k"):
        rollup_combine([rollup_partial(table, RULE), rollup_partial(table, None)])
    with pytest.raises(ValidationError, match="not a rollup partial"):
        rollup_finalize(table)
    with pytest.raises(ValidationError, match="top_k=3 needs"):
        rollup_finalize(rollup_partial(table, top_k=1), top_k=3)
    with pytest.raises(ValidationError, match="contacts >= 60"):
        rollup_finalize(rollup_partial(table), RULE)
    with pytest.raises(ValidationTypeError, match="Dask DataFrame"):
        rollup_dask(table)
