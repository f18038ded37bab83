"""Id factorisation: every route (offsets, string keys, hashing) gives the same codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bbmkit._convert import factorize, factorize_slots, positions, repeated, small_codes
from bbmkit._kernels import byte_matrix, parallel, string_keys
from tests import reference

pa = pytest.importorskip("pyarrow")


def _ids(rng: np.random.Generator, n: int, kind: str) -> list[str]:
    if kind == "padded":  # "C00012345": the usual CRM export
        return [f"C{v:08d}" for v in rng.integers(0, 10 * n + 1, n)]
    if kind == "numeric":  # variable width digits
        return [str(v) for v in rng.integers(0, 10**6, n)]
    if kind == "salesforce":  # 18 characters of base 62: too many keys, hashed
        alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
        return ["".join(row) for row in alphabet[rng.integers(0, 62, (n, 18))]]
    if kind == "words":  # variable width, letters and multi-byte characters
        words = np.array(["a", "ab", "abc", "b", "", "Z", "東京", "大阪", "Ä", "äb", "a b"])
        return [str(w) for w in words[rng.integers(0, words.size, n)]]
    raise AssertionError(kind)


def _keys_rank(strings: list[str]) -> list[int]:
    offsets = pa.array(strings, type=pa.large_string())
    _, off_buf, data_buf = offsets.buffers()
    off = np.frombuffer(off_buf, dtype=np.int64)
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    width = max(1, int(np.diff(off).max()))
    result = string_keys([byte_matrix(off, data, width)])
    assert result is not None
    (keys,), span = result
    assert keys.min() >= 0
    assert keys.max() < span
    return np.unique(keys, return_inverse=True)[1].tolist()


@pytest.mark.parametrize("kind", ["padded", "numeric", "words"])
@pytest.mark.parametrize("seed", range(5))
def test_string_keys_kernel_sorts_and_separates_like_the_strings(kind: str, seed: int) -> None:
    strings = _ids(np.random.default_rng(seed), 400, kind)
    assert _keys_rank(strings) == reference.sorted_codes(strings)[0]


def test_string_keys_give_up_when_the_key_space_overflows() -> None:
    strings = _ids(np.random.default_rng(0), 300, "salesforce")
    arr = pa.array(strings, type=pa.large_string())
    _, off_buf, data_buf = arr.buffers()
    matrix = byte_matrix(np.frombuffer(off_buf, np.int64), np.frombuffer(data_buf, np.uint8), 18)
    assert string_keys([matrix]) is None


STORAGES = {
    "str": lambda v: pd.Series(v, dtype="str"),
    "python": lambda v: pd.Series(v, dtype=pd.StringDtype("python")),
    "pyarrow": lambda v: pd.Series(v, dtype=pd.StringDtype("pyarrow")),
    "arrow_large": lambda v: pd.Series(v, dtype=pd.ArrowDtype(pa.large_string())),
    "arrow_small": lambda v: pd.Series(v, dtype=pd.ArrowDtype(pa.string())),
    "chunked": lambda v: pd.Series(
        pd.arrays.ArrowExtensionArray(pa.chunked_array([v[: len(v) // 2], v[len(v) // 2 :]]))
    ),
    "sliced": lambda v: pd.Series(
        pd.arrays.ArrowExtensionArray(pa.array(["pad", *v, "pad"]).slice(1, len(v)))
    ),
    "object": lambda v: pd.Series(v, dtype=object),
}


@pytest.mark.parametrize("storage", list(STORAGES))
@pytest.mark.parametrize("kind", ["padded", "numeric", "salesforce", "words"])
@pytest.mark.parametrize("seed", range(3))
def test_factorize_strings_match_the_reference(storage: str, kind: str, seed: int) -> None:
    strings = _ids(np.random.default_rng(seed), 500, kind)
    series = STORAGES[storage](strings)
    codes, uniques = factorize(series)
    expected_codes, expected_uniques = reference.sorted_codes(strings)
    assert codes.tolist() == expected_codes
    assert [str(u) for u in uniques] == expected_uniques
    assert codes.dtype == np.intp


@pytest.mark.parametrize(
    "strings",
    [
        ["a\x00", "a", "a\x00"],  # a 0 byte would be confused with padding: hashed instead
        ["x" * 100, "y", "x" * 100],  # too long for keys: hashed
        ["same", "same"],
        [""],
        ["", "", "a"],
        ["\x00\x00", "\x00\x01", "\x00\x00"],  # fixed width: 0 bytes are fine
    ],
)
def test_factorize_edge_strings(strings: list[str]) -> None:
    codes, uniques = factorize(pd.Series(strings, dtype="str"))
    expected_codes, expected_uniques = reference.sorted_codes(strings)
    assert codes.tolist() == expected_codes
    assert list(uniques) == expected_uniques


def test_factorize_strings_with_missing_labels_keeps_every_row() -> None:
    series = pd.Series(["C2", None, "C1", "C2"], dtype="str")
    codes, uniques = factorize(series)
    assert codes.tolist() == [1, 2, 0, 1]
    assert list(uniques[:2]) == ["C1", "C2"]
    assert pd.isna(uniques[2])


def test_factorize_does_not_touch_the_input() -> None:
    series = pd.Series(["C3", "C1", "C3"], dtype="str")
    before = series.copy()
    factorize(series)
    pd.testing.assert_series_equal(series, before)


@pytest.mark.parametrize("kind", ["padded", "numeric", "salesforce", "words"])
@pytest.mark.parametrize("seed", range(3))
def test_positions_match_get_indexer(kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    index = pd.Index(sorted(set(_ids(rng, 300, kind))), dtype="str")
    targets = pd.Index(_ids(rng, 200, kind) + list(index[:5]), dtype="str")
    assert positions(index, targets).tolist() == index.get_indexer(targets).tolist()


@pytest.mark.parametrize(
    ("index", "targets"),
    [
        (pd.Index([5, 3, 9]), pd.Index([9, 4, 5, 3])),
        (pd.Index([2**40, -7]), pd.Index([-7, 0])),
        (pd.Index(["a", "b"]), pd.Index([1, 2])),
        (pd.Index([1.5, 2.5]), pd.Index([2.5, 0.0])),
        (pd.Index(["b", "a"], dtype=object), pd.Index(["a", "c"], dtype=object)),
        (pd.RangeIndex(3, 9), pd.Index([8, 2, 3, 9, 5])),
        (pd.RangeIndex(0, 4), pd.RangeIndex(2, 7)),
        (pd.RangeIndex(0, 4), pd.Index(["a"])),
        (pd.RangeIndex(0, 0), pd.Index([0, 1])),
        (pd.Index([7, 2]), pd.RangeIndex(0, 0)),
        (pd.Index([], dtype="int64"), pd.RangeIndex(0, 3)),
        (pd.Index([-5, 3, 2**62]), pd.RangeIndex(0, 4)),
        (pd.Index([3, 1], dtype="uint64"), pd.RangeIndex(1, 4)),
    ],
)
def test_positions_other_dtypes(index: pd.Index, targets: pd.Index) -> None:
    assert positions(index, targets).tolist() == index.get_indexer(targets).tolist()


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint16"])
@pytest.mark.parametrize("seed", range(20))
def test_positions_into_a_range_index_match_get_indexer(dtype: str, seed: int) -> None:
    # contacts -> accounts maps often carry a RangeIndex: positions come from one scatter
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(0, 90), size=int(rng.integers(1, 60)), replace=False)
    index = pd.Index(ids.astype(dtype))
    targets = pd.RangeIndex(int(rng.integers(0, 30)), int(rng.integers(30, 100)))
    assert positions(index, targets).tolist() == index.get_indexer(targets).tolist()


def test_positions_of_the_same_index_is_a_range() -> None:
    index = pd.Index(["b", "a", "c"])
    assert positions(index, index).tolist() == [0, 1, 2]


@given(st.lists(st.text(max_size=6), min_size=1, max_size=60))
def test_factorize_any_text(strings: list[str]) -> None:
    codes, uniques = factorize(pd.Series(strings, dtype="str"))
    expected_codes, expected_uniques = reference.sorted_codes(strings)
    assert codes.tolist() == expected_codes
    assert list(uniques) == expected_uniques


@pytest.mark.parametrize(
    "index",
    [
        pd.Index(["C1", "C2", "C1", "C3"], dtype="str"),
        pd.Index(["C1", "C2", "C3"], dtype="str"),
        pd.Index([4, 7, 4, 4, 9]),
        pd.Index([4, 7, 9]),
        pd.Index([2**50, 1, 2**50]),
        pd.Index([1.5, 1.5, 2.0]),
        pd.Index(["x" * 80, "y", "x" * 80], dtype="str"),
        pd.Index([], dtype="str"),
        pd.RangeIndex(5, 12),
    ],
)
def test_repeated_matches_duplicated(index: pd.Index) -> None:
    got = repeated(index)
    expected = index.duplicated(keep=False)
    if not expected.any():
        assert got is None
    else:
        assert got is not None
        assert got.tolist() == expected.tolist()


@pytest.mark.parametrize(
    "labels",
    [
        pd.Series([3, 0, 2, 0, 1]),  # every id from 0: a RangeIndex, no gaps
        pd.Series([7, 5, 9, 5]),  # gaps and an offset
        pd.Series([-2, 4, 1], dtype=np.int32),
        pd.Series([10, 12], dtype=np.uint16),
        pd.Series([0, 10**12, 5]),  # too sparse for slots: factorised
        pd.Series(["C2", "C1", "C2"], dtype="str"),
        pd.Series(pd.Categorical(["b", "a", "b"], categories=["a", "b", "c"])),
        pd.Series([True, False, True]),
        pd.Series([True, True]),
        pd.Series([False]),
    ],
)
def test_factorize_slots_agree_with_factorize(labels: pd.Series) -> None:
    codes, slots, present = factorize_slots(labels)
    assert slots[codes].tolist() == labels.tolist()  # every row keeps its label
    _, expected_uniques = factorize(labels)
    used = slots if present is None else slots[present]
    assert used.tolist() == expected_uniques.tolist()
    if present is not None:
        assert present.sum() == len(expected_uniques)
        np.testing.assert_array_equal(present, np.isin(slots, labels))


def test_factorize_slots_of_int64_ids_are_a_range_index() -> None:
    _, slots, present = factorize_slots(pd.Series([4, 2, 3, 2]))
    assert isinstance(slots, pd.RangeIndex)
    assert (slots.start, slots.stop) == (2, 5)
    assert present is None


@given(st.lists(st.integers(-50, 50), min_size=1, max_size=80))
def test_factorize_slots_any_ints(values: list[int]) -> None:
    labels = pd.Series(values, dtype=np.int64)
    codes, slots, present = factorize_slots(labels)
    assert slots[codes].tolist() == values
    used = slots if present is None else slots[present]
    assert used.tolist() == sorted(set(values))


@pytest.mark.parametrize("values", [[True, False, True], [True, True], [False, False], [False]])
def test_factorize_bools_like_pandas(values: list[bool]) -> None:
    codes, uniques = factorize(pd.Series(values))
    expected_codes, expected_uniques = pd.factorize(pd.Series(values), sort=True)
    assert codes.tolist() == expected_codes.tolist()
    assert uniques.tolist() == expected_uniques.tolist()
    assert uniques.dtype == bool


@pytest.mark.parametrize("dtype", ["str", "string[python]", "object", "category"])
@pytest.mark.parametrize("threads", ["1", "3"])
def test_small_codes_sorted_labels_any_dtype(
    monkeypatch: pytest.MonkeyPatch, dtype: str, threads: str
) -> None:
    monkeypatch.setattr(parallel, "MIN_ROWS", 8)  # several dictionary-encoded chunks
    monkeypatch.setenv("BBMKIT_NUM_THREADS", threads)
    rng = np.random.default_rng(4)
    names = np.array(["web_visit", "demo", "email_click", "a", "unsubscribe", "東京"])
    values = names[rng.integers(0, names.size, 500)]
    values[:3] = ["demo", "a", "web_visit"]  # the first chunk does not see every label
    codes, labels = small_codes(pd.Series(values, dtype=dtype))
    assert codes.dtype == np.int8
    assert labels[codes].tolist() == values.tolist()
    if dtype != "category":  # categories keep their own order
        assert labels.tolist() == sorted(set(values.tolist()))


def test_small_codes_of_unorderable_labels_keep_every_row() -> None:
    values = pd.Series(["b", 1, "a", 1], dtype=object)
    codes, labels = small_codes(values)
    assert labels[codes].tolist() == values.tolist()


def test_string_keys_give_up_early_on_many_shapes() -> None:
    # long variable-width text: the sample shows the key space overflows
    rng = np.random.default_rng(1)
    words = ["".join(rng.choice(list("abcdefghij"), int(rng.integers(5, 30)))) for _ in range(300)]
    series = pd.Series(words, dtype="str")
    codes, uniques = factorize(series)
    expected_codes, expected_uniques = reference.sorted_codes(words)
    assert codes.tolist() == expected_codes
    assert list(uniques) == expected_uniques


@pytest.mark.parametrize("kind", ["padded", "numeric", "words"])
def test_string_keys_in_blocks_on_threads(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    from bbmkit._kernels import strings

    monkeypatch.setattr(parallel, "MIN_ROWS", 8)
    monkeypatch.setattr(strings, "_BLOCK", 5)
    monkeypatch.setenv("BBMKIT_NUM_THREADS", "3")
    values = _ids(np.random.default_rng(9), 400, kind)
    assert _keys_rank(values) == reference.sorted_codes(values)[0]
    codes, uniques = factorize(pd.Series(values, dtype="str"))
    expected_codes, expected_uniques = reference.sorted_codes(values)
    assert codes.tolist() == expected_codes
    assert list(uniques) == expected_uniques


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "string[python]"])
@pytest.mark.parametrize("width", ["fixed", "variable"])
def test_factorize_keeps_the_string_dtype(dtype: str, width: str) -> None:
    values = ["C0003", "C0001", "C0003", "C0002"] if width == "fixed" else ["C3", "C10", "C3", "C2"]
    series = pd.Series(values, dtype=dtype)
    codes, uniques = factorize(series)
    assert uniques.dtype == series.dtype
    assert uniques[codes].tolist() == values
    assert list(uniques) == sorted(set(values))


def test_remembered_keys_give_the_same_answers() -> None:
    from bbmkit._convert import _recall, forget_keys, remember_keys

    rng = np.random.default_rng(5)
    index = pd.Index([*_ids(rng, 300, "padded"), "C00000001", "C00000001"], dtype="string[pyarrow]")
    targets = pd.Index(sorted(set(_ids(rng, 200, "padded"))), dtype="string[pyarrow]")
    fresh = (repeated(index), repeated(targets), positions(targets, index))
    remember_keys(targets, index)
    try:
        assert _recall(index) is not None
        assert (
            _recall(pd.Index(list(index), dtype="string[pyarrow]")) is None
        )  # equal is not the same
        again = (repeated(index), repeated(targets), positions(targets, index))
    finally:
        forget_keys()
    assert _recall(index) is None
    for a, b in zip(fresh, again, strict=True):
        assert (a is None and b is None) or a.tolist() == b.tolist()  # type: ignore[union-attr]
    remember_keys(targets, index)
    del index  # a dead index is never recalled, even if its id is reused
    assert _recall(pd.Index(["x"], dtype="string[pyarrow]")) is None
    forget_keys()
