"""Boundary conversions: labels to integer codes, times to float days.

These run once at the public boundary, after validation, so that the
kernels see plain numpy arrays only.

Ids are mapped to codes by the cheapest exact route: integer ids in a
compact range by offset, categoricals by their codes, short regular strings
(the usual CRM export) by mixed-radix keys (``_kernels.strings``), and
everything else by hashing (``pandas.factorize``). Every route gives the
same codes and the same sorted labels.
"""

from __future__ import annotations

import functools
import threading
import weakref
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._kernels import (
    byte_matrix,
    elementwise_slices,
    gather,
    group_count,
    group_presence,
    minmax,
    run_chunks,
    string_keys,
)
from bbmkit._validation import NS_PER_DAY

__all__ = [
    "NS_PER_DAY",
    "factorize",
    "factorize_slots",
    "forget_keys",
    "positions",
    "remember_keys",
    "repeated",
    "small_codes",
]

_MAX_STRING_WIDTH = 64  # longer strings are hashed
_SAMPLE_ROWS = 4096
# per thread, the string keys of the latest pair of indexes matched (see remember_keys)
_LOCAL = threading.local()


def factorize(labels: pd.Series) -> tuple[npt.NDArray[np.intp], pd.Index]:
    """Integer codes and the labels they stand for.

    Labels are sorted (category order for a categorical, first-seen order
    for unorderable mixtures); missing labels get a code of their own, last,
    so no row is dropped. Unobserved categories get no code.
    """
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return _factorize_categorical(labels)
    if labels.dtype == np.bool_ and len(labels):
        return _factorize_bools(labels.to_numpy())
    ints = _int_values(labels)
    if ints is not None:
        dense = _factorize_dense_ints(ints)
        if dense is not None:
            return dense[0], _like(dense[1], labels)
    keyed = _string_keys([labels])
    if keyed is not None:
        (keys,), span = keyed
        return _factorize_keys(labels, keys, span)
    if labels.dtype == object and _nul_strings_collide() and _has_nul_strings(labels):
        return _factorize_with_nul(labels)
    try:
        codes, uniques = pd.factorize(labels, sort=True, use_na_sentinel=False)
    except TypeError:  # labels of mixed, unorderable types
        codes, uniques = pd.factorize(labels, sort=False, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.intp), pd.Index(uniques)


@functools.cache
def _nul_strings_collide() -> bool:
    """Whether this pandas hashes strings as C strings ("a\x00" == "a": pandas 2.1 does)."""
    codes, _ = pd.factorize(np.array(["a\x00", "a"], dtype=object))
    return bool(codes[0] == codes[1])


def _has_nul_strings(labels: pd.Series) -> bool:
    try:
        return bool(labels.str.contains("\x00", regex=False, na=False).any())
    except AttributeError:  # no text at all
        return False


def _factorize_with_nul(labels: pd.Series) -> tuple[npt.NDArray[np.intp], pd.Index]:
    """Codes of text with 0 bytes where pandas' string hashing would merge them: by UTF-8 bytes."""
    as_bytes = labels.map(lambda v: v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v)
    try:
        codes, uniques = pd.factorize(as_bytes, sort=True, use_na_sentinel=False)
    except TypeError:
        codes, uniques = pd.factorize(as_bytes, sort=False, use_na_sentinel=False)
    decoded = [u.decode("utf-8", "surrogatepass") if isinstance(u, bytes) else u for u in uniques]
    return np.asarray(codes, dtype=np.intp), pd.Index(decoded, dtype=object)


def small_codes(labels: pd.Series) -> tuple[npt.NDArray[np.integer[Any]], pd.Index]:
    """Codes of a column of few distinct labels (no missing) in the smallest integer type.

    A categorical's own codes are used as they are (its categories are the
    labels, used or not); anything else is factorised. For event types and
    stage names, whose codes are read again by every later pass.
    """
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return labels.cat.codes.to_numpy(), pd.Index(labels.cat.categories.astype(object))
    arr = _arrow_strings(labels)
    if arr is None:
        raw, found = pd.factorize(labels)
        codes, uniques = np.asarray(raw, dtype=np.intp), pd.Index(found, dtype=object)
    else:
        codes, uniques = _dictionary_codes(arr)
    # few labels: sort them and remap the codes through a tiny table
    try:
        order = np.asarray(uniques.argsort(), dtype=np.intp)
    except TypeError:  # labels of mixed, unorderable types keep first-seen order
        order = np.arange(len(uniques), dtype=np.intp)
    small = smallest_int(len(uniques))
    if np.array_equal(order, np.arange(order.size)):
        return codes.astype(small, copy=False), uniques
    rank = np.empty(order.size, dtype=small)
    rank[order] = np.arange(order.size)
    return np.take(rank, codes), uniques[order]


def _dictionary_codes(arr: Any) -> tuple[npt.NDArray[np.intp], pd.Index]:
    """Hash codes of an Arrow string array: dictionary-encoded in row chunks on threads."""
    import pyarrow.compute as pc

    n = len(arr)
    parts = run_chunks(
        lambda s: pc.dictionary_encode(arr.slice(s.start, s.stop - s.start)),
        elementwise_slices(n),
    )
    dictionaries = [part.dictionary.to_pylist() for part in parts]
    uniques = list(dict.fromkeys(label for d in dictionaries for label in d))
    where = {label: i for i, label in enumerate(uniques)}
    codes = np.empty(n, dtype=np.intp)
    start = 0
    for part, dictionary in zip(parts, dictionaries, strict=True):
        local = np.asarray(part.indices.to_numpy(zero_copy_only=False), dtype=np.intp)
        table = np.array([where[label] for label in dictionary], dtype=np.intp)
        codes[start : start + len(part)] = table[local] if table.size else local
        start += len(part)
    return codes, pd.Index(uniques, dtype=object)


def smallest_int(n: int) -> type[np.integer[Any]]:
    """The smallest signed integer type that holds ``-1 .. n``."""
    return np.int8 if n <= 127 else np.int16 if n <= 32_767 else np.intp


def factorize_slots(
    labels: pd.Series, *, max_span: int = 0
) -> tuple[npt.NDArray[np.intp], pd.Index, npt.NDArray[np.bool_] | None]:
    """Like :func:`factorize`, but dense integer ids keep their offsets as codes.

    The labels are then every integer in the ids' range and ``present``
    marks those that occur (``None``: all). A kernel reduces into all the
    slots and drops the unused ones at the end, which saves remapping every
    row (the most expensive step of factorising a long log). Ids count as
    dense when their range is within 4 times their number, or ``max_span``.
    """
    ints = _int_values(labels)
    if ints is not None:
        dense = _dense_offsets(ints, max_span)
        if dense is not None:
            offsets, low, present = dense
            slots = _like(_int_range(low, present.size, ints.dtype), labels)
            return offsets, slots, None if present.all() else present
    codes, uniques = factorize(labels)
    return codes, uniques, None


def positions(index: pd.Index, targets: pd.Index) -> npt.NDArray[np.intp]:
    """Position of each target in ``index`` (unique), -1 where absent: ``Index.get_indexer``."""
    if index.is_(targets):
        return np.arange(len(index), dtype=np.intp)
    if isinstance(index, pd.RangeIndex) and targets.dtype.kind in "iu":
        return np.asarray(index.get_indexer(targets), dtype=np.intp)  # arithmetic, no table
    index_ints = _numpy_ints(index)
    if (
        isinstance(targets, pd.RangeIndex)
        and targets.step == 1
        and len(targets)
        and len(index)
        and index_ints is not None
    ):
        return _into_range(index_ints, targets.start, targets.stop)
    keyed = _recall(index, targets) or _string_keys([index, targets])
    target_ints = _numpy_ints(targets)
    if keyed is None and index_ints is not None and target_ints is not None:
        keyed = _int_keys(index_ints, target_ints)
    if keyed is None:
        return np.asarray(index.get_indexer(targets), dtype=np.intp)
    (index_keys, target_keys), span = keyed
    if span > max(4 * (len(index) + len(targets)), 1024):
        return np.asarray(pd.Index(index_keys).get_indexer(pd.Index(target_keys)), dtype=np.intp)
    table = np.full(span, -1, dtype=np.intp)
    table[index_keys] = np.arange(len(index_keys))
    return table[target_keys]


def _into_range(
    values: npt.NDArray[np.integer[Any]], start: int, stop: int
) -> npt.NDArray[np.intp]:
    """Positions of unique integer ``values`` for each target of ``range(start, stop)``: one scatter."""
    out = np.full(stop - start, -1, dtype=np.intp)
    low, high = minmax(values)
    rows = np.arange(values.size, dtype=np.intp)
    if low >= start and high < stop:
        out[np.subtract(values, start, dtype=np.intp)] = rows
    else:
        inside = (values >= start) & (values < stop)
        out[np.subtract(values[inside], start, dtype=np.intp)] = rows[inside]
    return out


def remember_keys(index: pd.Index, targets: pd.Index) -> None:
    """Compute the shared string keys of two indexes once for what follows.

    :func:`repeated` of either and :func:`positions` of the pair then reuse
    them instead of reading millions of strings again. Indexes are
    immutable; the memory holds them weakly and only the latest pair.
    """
    forget_keys()
    if index.is_(targets):
        return
    keyed = _string_keys([index, targets])
    if keyed is not None:
        _LOCAL.memo = ((weakref.ref(index), weakref.ref(targets)), keyed)


def forget_keys() -> None:
    """Drop the keys :func:`remember_keys` holds (they are as large as the indexes)."""
    _LOCAL.memo = None


def _recall(*indexes: pd.Index) -> tuple[list[npt.NDArray[np.int64]], int] | None:
    """Remembered keys of these indexes (one, or the remembered pair in order), else None."""
    memo = getattr(_LOCAL, "memo", None)
    if memo is None:
        return None
    refs, (keys, span) = memo
    held = [ref() for ref in refs]
    if len(indexes) == 2 and held[0] is indexes[0] and held[1] is indexes[1]:
        return keys, span
    if len(indexes) == 1:
        for obj, obj_keys in zip(held, keys, strict=True):
            if obj is indexes[0]:
                return [obj_keys], span
    return None


def repeated(index: pd.Index) -> npt.NDArray[np.bool_] | None:
    """Rows whose label occurs more than once (``duplicated(keep=False)``), ``None`` if unique."""
    if isinstance(index, pd.RangeIndex) or _strictly_increasing(index):
        return None
    keyed = _recall(index) or _string_keys([index])
    ints = _numpy_ints(index)
    if keyed is None and ints is not None:
        keyed = _int_keys(ints)
    if keyed is None or keyed[1] > max(4 * len(index), 1024):
        return None if index.is_unique else np.asarray(index.duplicated(keep=False))
    keys = keyed[0][0]
    counts = group_count(keys, keyed[1])
    if counts.max(initial=0) <= 1:
        return None
    return np.asarray(counts[keys] > 1)


def _strictly_increasing(index: pd.Index) -> bool:
    """Sorted without ties (so unique), by one vectorised pass for numbers, e.g. score output."""
    if index.dtype.kind not in "iuf" or len(index) < 2:
        return False
    if index.hasnans:
        return False
    values = index.to_numpy(dtype=_numpy_dtype(index.dtype))
    return bool((values[1:] > values[:-1]).all())


def _numpy_dtype(dtype: Any) -> Any:
    """The numpy dtype of an extension dtype (masked or Arrow), ``None`` for a numpy dtype."""
    return None if isinstance(dtype, np.dtype) else getattr(dtype, "numpy_dtype", None)


def _numpy_ints(index: pd.Index) -> npt.NDArray[np.integer[Any]] | None:
    """Integer ids as a numpy array (nullable and Arrow integers too), ``None`` if not or missing.

    pandas 2.1 gives an object array for ``Index(Int64).to_numpy()``: the
    numpy dtype is asked for explicitly.
    """
    if index.dtype.kind not in "iu" or (not isinstance(index.dtype, np.dtype) and index.hasnans):
        return None
    if isinstance(index.dtype, np.dtype):
        return index.to_numpy()
    values: npt.NDArray[np.integer[Any]] = index.to_numpy(dtype=_numpy_dtype(index.dtype))
    return values


def _int_keys(*arrays: npt.NDArray[np.integer]) -> tuple[list[npt.NDArray[np.int64]], int] | None:
    """Integer ids as offsets from the smallest, in one key space."""
    if not all(a.size for a in arrays):
        return None
    bounds = [minmax(a) for a in arrays]
    low = min(b[0] for b in bounds)
    high = max(b[1] for b in bounds)
    if high - low >= 1 << 62:
        return None
    # one pass per array, none when the ids are int64 from 0 already
    keys = [
        np.asarray(a, dtype=np.int64) if low == 0 else np.subtract(a, low, dtype=np.int64)
        for a in arrays
    ]
    return keys, high - low + 1


def _factorize_keys(
    labels: pd.Series, keys: npt.NDArray[np.int64], span: int
) -> tuple[npt.NDArray[np.intp], pd.Index]:
    """Codes from exact order-preserving keys: offsets when the span is compact, else int hashing."""
    if span <= max(4 * keys.size, 1024):
        present = group_presence(keys, span)
        rank = np.cumsum(present) - 1
        codes = gather(rank, keys)
        n_unique = int(rank[-1]) + 1
    else:
        raw, _ = pd.factorize(keys, sort=True)
        codes = np.asarray(raw, dtype=np.intp)
        n_unique = int(codes.max()) + 1
    where = np.empty(n_unique, dtype=np.intp)

    def chunk(s: slice) -> None:
        # one occurrence of each label; any will do, so threads racing on a label is harmless
        where[codes[s]] = np.arange(s.start or 0, s.stop, dtype=np.intp)

    run_chunks(chunk, elementwise_slices(codes.size))
    uniques = _fixed_width_labels(labels, where)
    if uniques is None:
        uniques = pd.Index(labels.array.take(where))
    return codes.astype(np.intp, copy=False), uniques


def _fixed_width_labels(labels: pd.Series, rows: npt.NDArray[np.intp]) -> pd.Index | None:
    """``labels`` at ``rows`` built from the bytes when every string has one width (else None).

    Copying fixed-width rows of bytes is several times faster than Arrow's
    take of millions of strings.
    """
    arr = _arrow_strings(labels)
    if arr is None:
        return None
    import pyarrow as pa

    _, offsets_buf, data_buf = arr.buffers()
    kind = np.int64 if arr.type.id == _large_string_id() else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=kind)[arr.offset : arr.offset + len(arr) + 1]
    n = len(arr)
    start, total = int(offsets[0]), int(offsets[-1]) - int(offsets[0])
    if n == 0 or data_buf is None or total % n:
        return None
    width = total // n
    if width == 0 or not bool((np.diff(offsets) == width).all()):
        return None
    # each string as one opaque item of ``width`` bytes: a take copies whole items
    items = np.frombuffer(data_buf, dtype=np.uint8)[start : start + total].view(
        np.dtype((np.void, width))
    )
    picked = np.take(items, rows).view(np.uint8)
    new_offsets = np.arange(0, (rows.size + 1) * width, width, dtype=np.int64)
    built = pa.Array.from_buffers(
        pa.large_string(), rows.size, [None, pa.py_buffer(new_offsets), pa.py_buffer(picked)]
    )
    return pd.Index(pd.array(built, dtype=labels.dtype))


def _string_keys(
    columns: list[Any],
) -> tuple[list[npt.NDArray[np.int64]], int] | None:
    """Shared mixed-radix keys for string columns, or ``None`` when hashing is needed."""
    arrays = [_arrow_strings(c) for c in columns]
    if any(a is None for a in arrays):
        return None
    parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]] = []
    for arr in arrays:
        _, offsets_buf, data_buf = arr.buffers()
        kind = np.int64 if arr.type.id == _large_string_id() else np.int32
        raw = np.frombuffer(offsets_buf, dtype=kind)[arr.offset : arr.offset + len(arr) + 1]
        offsets = np.asarray(raw, dtype=np.int64)
        data = (
            np.frombuffer(data_buf, dtype=np.uint8)
            if data_buf is not None
            else np.zeros(0, dtype=np.uint8)
        )
        parts.append((offsets, data))
    if not all(len(offsets) > 1 for offsets, _ in parts):
        return None
    lengths = [np.diff(offsets) for offsets, _ in parts]
    width = max(int(length.max()) for length in lengths)
    shortest = min(int(length.min()) for length in lengths)
    if width > _MAX_STRING_WIDTH or width == 0:
        return None
    if shortest < width and not _keys_fit_on_a_sample(parts, width):
        return None
    if shortest < width:
        total = sum(int(o[-1] - o[0]) for o, _ in parts)
        rows = sum(len(o) - 1 for o, _ in parts)
        if rows * width > 4 * total + rows:  # a few long outliers: padding would cost too much
            return None
        # padding with 0 is unambiguous only when no string contains a 0 byte
        if any((data[int(o[0]) : int(o[-1])] == 0).any() for o, data in parts):
            return None
    matrices = [byte_matrix(offsets, data, width) for offsets, data in parts]
    return string_keys(matrices)


def _keys_fit_on_a_sample(
    parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]], width: int
) -> bool:
    """Whether keys of a few thousand rows fit: their span is a lower bound of the whole one.

    Variable-width text of many shapes (event type names, free text) needs a
    padded byte matrix only to find its key space overflows; a sample says so
    at almost no cost.
    """
    sample = []
    for offsets, data in parts:
        n = offsets.size - 1
        rows = np.unique(np.linspace(0, n - 1, num=min(n, _SAMPLE_ROWS)).astype(np.int64))
        starts, ends = offsets[rows], offsets[rows + 1]
        lengths = ends - starts
        flat = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(
            int(lengths.sum())
        )
        sample_offsets = np.concatenate([[0], np.cumsum(lengths)])
        sample.append(byte_matrix(sample_offsets, data[flat], width))
    return string_keys(sample) is not None


@functools.cache
def optional_pyarrow() -> Any:
    """pyarrow if it is installed, else ``None``: probed once (a failed import is not cached)."""
    try:
        import pyarrow
    except ImportError:  # pragma: no cover - exercised only without the interop extra
        return None
    return pyarrow


def _large_string_id() -> int:
    import pyarrow as pa

    return int(pa.large_string().id)


def _arrow_strings(values: Any) -> Any:
    """``values`` as one pyarrow string array without nulls, or ``None``."""
    dtype = values.dtype
    is_str = isinstance(dtype, pd.StringDtype) or (
        isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype) in ("string", "large_string")
    )
    if not is_str or len(values) == 0:
        return None
    pa = optional_pyarrow()
    if pa is None:  # pragma: no cover - pandas' python-backed strings are hashed
        return None
    try:
        arr = pa.array(values.array if isinstance(values, pd.Index | pd.Series) else values)
    except (pa.ArrowException, TypeError, ValueError):  # pragma: no cover - defensive
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    return arr


def _factorize_dense_ints(
    values: npt.NDArray[np.integer],
) -> tuple[npt.NDArray[np.intp], pd.Index] | None:
    """Integer ids in a compact range: offsets instead of hashing (several times faster).

    Typical CRM integer keys are dense; ``None`` when the range is too sparse
    for an offset table to pay off.
    """
    dense = _dense_offsets(values)
    if dense is None:
        return None
    offsets, low, present = dense
    if present.all():  # every id in the range occurs: the offsets are the codes
        return offsets, _int_range(low, present.size, values.dtype)
    remap = np.cumsum(present) - 1
    uniques = np.arange(low, low + present.size, dtype=values.dtype)[present]
    return gather(remap, offsets), pd.Index(uniques)


def _factorize_bools(values: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.intp], pd.Index]:
    """False before True, as sorting puts them; no hashing."""
    has_true = bool(values.any())
    has_false = not bool(values.all())
    if has_true and has_false:
        return values.astype(np.intp), pd.Index([False, True])
    return np.zeros(values.size, dtype=np.intp), pd.Index([has_true])


def _dense_offsets(
    values: npt.NDArray[np.integer], max_span: int = 0
) -> tuple[npt.NDArray[np.intp], int, npt.NDArray[np.bool_]] | None:
    """Offsets from the smallest id, the smallest id and which offsets occur; ``None`` if sparse."""
    low, high = minmax(values)
    span = high - low + 1
    if span > max(4 * values.size, 1024, max_span):
        return None
    # ids already starting at 0 are their own offsets: no subtraction pass
    offsets = (
        values.astype(np.intp, copy=False)
        if low == 0
        else (values - low).astype(np.intp, copy=False)
    )
    return offsets, low, group_presence(offsets, span)


def _int_values(labels: pd.Series) -> npt.NDArray[np.integer[Any]] | None:
    """Integer labels as a numpy array: numpy, nullable (``Int64``) or Arrow, none missing.

    ``None`` for any other labels: they are hashed. What ``convert_dtypes()``
    and ``read_parquet(dtype_backend=...)`` give takes the integer routes too.
    """
    if labels.dtype.kind not in "iu" or not len(labels):
        return None
    if not isinstance(labels.dtype, np.dtype) and labels.hasnans:
        return None  # masked or Arrow integers with missing values
    if isinstance(labels.dtype, np.dtype):
        return labels.to_numpy()
    # explicit numpy dtype: pandas 2.1 would give an object array
    values: npt.NDArray[np.integer[Any]] = labels.to_numpy(dtype=_numpy_dtype(labels.dtype))
    return values


def _like(uniques: pd.Index, labels: pd.Series) -> pd.Index:
    """Labels in the dtype of the input's ids (``Int64``, ``int64[pyarrow]``), cast from numpy."""
    if isinstance(labels.dtype, np.dtype):
        return uniques
    return uniques.astype(labels.dtype)


def _int_range(low: int, size: int, dtype: Any) -> pd.Index:
    """The ids ``low .. low + size - 1``: a RangeIndex (no memory, O(1) lookups) for int64."""
    if np.dtype(dtype) == np.int64:
        return pd.RangeIndex(low, low + size)
    return pd.Index(np.arange(low, low + size, dtype=dtype))


def _factorize_categorical(labels: pd.Series) -> tuple[npt.NDArray[np.intp], pd.Index]:
    categories = labels.cat.categories
    n_cat = len(categories)
    raw = labels.cat.codes.to_numpy().astype(np.intp)
    raw[raw < 0] = n_cat
    present = group_presence(raw, n_cat + 1)
    remap = np.cumsum(present) - 1
    uniques = categories[present[:n_cat]]
    if present[n_cat]:
        uniques = uniques.append(pd.Index([np.nan], dtype=object))
    return remap[raw].astype(np.intp, copy=False), pd.Index(uniques)
