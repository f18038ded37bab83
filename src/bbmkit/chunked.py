"""Scores and account rollups of tables that do not fit in memory: chunks, Parquet, Dask.

All three rest on :meth:`~bbmkit.ScoringModel.partial` / :meth:`~bbmkit.ScoringModel.combine`
/ :meth:`~bbmkit.ScoringModel.finalize`: each chunk becomes the decayed points per
(contact, event type), partials add up, and the caps are applied once at the
end. Memory is bounded by the number of distinct (contact, event type) pairs,
not by the number of events.

:func:`score_chunks` has a faster path for integer contact ids that are
dense (their range within a few times their number, as database keys
usually are): running sums addressed by id, one per contact (plus one per
capped event type), so each chunk costs about what scoring it in memory
costs and memory stays at a few arrays of the id range.

On Spark, the same three functions run without bbmkit depending on Spark::

    schema = "contact_id string, event_type string, points double"
    partials = events.groupBy(F.spark_partition_id()).applyInPandas(
        lambda pdf: model.partial(pdf, as_of=as_of).astype({"event_type": str}), schema)
    merged = partials.groupBy("contact_id", "event_type").agg(F.sum("points").alias("points"))
    scores = model.finalize(merged.toPandas())

Account rollups and handover rules work the same way on the contact table
(contact id, account id, score): :func:`rollup_partial` per chunk keeps, per
account, the counts, the total, the highest scores and the counts the rule's
clauses need; :func:`rollup_combine` merges partials and
:func:`rollup_finalize` evaluates the rule. :func:`rollup_chunks` and
:func:`rollup_dask` run them over an iterable of chunks and a Dask DataFrame.
The partials have one row per account and chunk, so on Spark they are small
enough to collect::

    part = lambda pdf: rollup_partial(pdf, rule).reset_index()
    partials = contacts.groupBy(F.spark_partition_id()).applyInPandas(part, schema)
    accounts = rollup_finalize(rollup_combine([partials.toPandas().set_index("account_id")]), rule)

(``schema``: the columns of ``rollup_partial`` of a small sample.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._convert import factorize, repeated
from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._kernels import group_count, group_sum, group_top_k, top_k_total
from bbmkit._validation import (
    check_frame,
    check_int,
    check_iterable,
    check_no_missing,
    fmt,
    require_columns,
)
from bbmkit.accounts import (
    AllOf,
    AnyOf,
    Contacts,
    Not,
    Rule,
    _Accounts,
    _check_top_k,
    _evaluate,
    _n_scored,
    _prepare,
)
from bbmkit.scoring import ScoringModel, _Log

__all__ = [
    "iter_parquet",
    "rollup_chunks",
    "rollup_combine",
    "rollup_dask",
    "rollup_finalize",
    "rollup_partial",
    "score_chunks",
    "score_dask",
]


def score_chunks(
    model: ScoringModel,
    chunks: Iterable[pd.DataFrame],
    *,
    as_of: object,
    contact: str = "contact_id",
    event: str = "event_type",
    time: str = "timestamp",
    quantity: str | None = None,
    combine_every: int = 8,
    progress: Callable[[int, int], None] | bool | None = None,
) -> pd.Series:
    """Score an event log given as an iterable of chunks, with bounded memory.

    Parameters
    ----------
    model : ScoringModel
        The scoring model.
    chunks : iterable of DataFrame
        Parts of the event log in any split (e.g. :func:`iter_parquet`);
        consumed once.
    as_of : timestamp-like or float
        Scoring time (required: no chunk knows the latest event of the log).
    quantity : str, optional
        Column of occurrences per row, as in :meth:`~bbmkit.ScoringModel.score`.
    combine_every : int, default 8
        Partials are merged every this many chunks, so memory stays at a few
        partials.
    progress : callable or bool, optional
        A callable is called after each chunk with (chunks done, events
        done). ``True`` shows a tqdm progress bar of events scored (needs
        ``tqdm``, e.g. ``pip install "bbmkit[progress]"``).

    Returns
    -------
    pandas.Series
        Equal to ``model.score(whole_log, as_of=as_of)`` up to floating-point
        rounding.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import ScoringModel
    >>> from bbmkit.chunked import score_chunks
    >>> log = pd.DataFrame({"contact_id": [1, 2, 1, 1], "event_type": ["demo", "visit", "visit", "visit"],
    ...                     "timestamp": [0.0, 1.0, 2.0, 3.0]})
    >>> model = ScoringModel({"visit": 5, "demo": 50}, half_life=10)
    >>> chunked = score_chunks(model, (log.iloc[i:i + 2] for i in range(0, 4, 2)), as_of=3.0)
    >>> bool((chunked - model.score(log, as_of=3.0)).abs().max() < 1e-12)
    True
    """
    if not isinstance(model, ScoringModel):
        raise ValidationTypeError(f"model must be a ScoringModel, got {type(model).__name__}")
    every = check_int(combine_every, name="combine_every", low=2)
    report, close = _progress(progress)
    try:
        running, pending = _partials(
            model, chunks, as_of, contact, event, time, quantity, every, report
        )
    finally:
        close()
    if running is not None:
        return running.scores(contact)
    return model.finalize(
        model.combine(pending, contact=contact, event=event), contact=contact, event=event
    )


def _partials(
    model: ScoringModel,
    chunks: Iterable[pd.DataFrame],
    as_of: object,
    contact: str,
    event: str,
    time: str,
    quantity: str | None,
    every: int,
    report: Callable[[int, int], None] | None,
) -> tuple[_RunningSums | None, list[pd.DataFrame]]:
    """Running sums while the ids allow them, else partial frames merged every ``every`` chunks."""
    if as_of is None:
        raise ValidationError(
            "as_of is required for a partial score: a chunk does not know the latest event of the log"
        )
    # running sums hold the type sums of the classic caps; rules need the partial frames
    running: _RunningSums | None = (
        _RunningSums(model) if model._plain and quantity is None else None
    )
    pending: list[pd.DataFrame] = []
    n_chunks = n_events = 0
    for chunk in check_iterable(chunks, name="chunks", what="event frames"):
        log = model._prepare(
            chunk,
            name=f"chunks[{n_chunks}]",
            as_of=as_of,
            contact=contact,
            event=event,
            time=time,
            slots=True,
            # a chunk may hold a few of many contacts: offsets into the running table's
            # range are still cheaper than factorising its ids
            slot_span=_TABLE_IDS if running is not None else 0,
            quantity=quantity,
        )
        values = log.values(model) if running is not None else None
        if running is not None and not running.add(log, values):  # type: ignore[arg-type]
            pending.append(running.partial(model, contact, event))
            running = None
        if running is None:
            pending.append(model._log_partial(log, values, contact, event))
        n_chunks += 1
        n_events += len(chunk)
        if len(pending) >= every:
            pending = [model.combine(pending, contact=contact, event=event)]
        if report is not None:
            report(n_chunks, n_events)
    if n_chunks == 0:
        raise ValidationError("chunks is empty: no event to score")
    return running, pending


# a partial keeps one column per top score
_MAX_PARTIAL_TOP = 1000

# ids a running table may span whatever the ids seen so far (a chunk sees only some
# contacts): 2**27 ids are about 1.2 GB with one column
_TABLE_IDS = 1 << 27


class _RunningSums:
    """Per-contact sums over chunks for dense integer ids, addressed by ``id - low``.

    Column 0 holds every point; one more column per capped event type holds
    that type's points, because a cap applies to the type's sum over the
    whole log. The table grows when a chunk brings ids outside its range.
    """

    def __init__(self, model: ScoringModel) -> None:
        caps = model._type_caps()
        self.capped = np.flatnonzero(np.isfinite(caps))
        self.caps = caps[self.capped]
        self.total_cap = model._total_cap()
        self.low = 0
        self.columns = [np.zeros(0) for _ in range(1 + self.capped.size)]
        self.present = np.zeros(0, dtype=bool)
        self.dtype: np.dtype[Any] | None = None
        # the ids' own dtype (Int64, int64[pyarrow], ...) when every chunk has the same one
        self.label_dtype: Any = None

    def add(self, log: _Log, values: npt.NDArray[np.float64]) -> bool:
        """Add a chunk's points; ``False`` (nothing added) when its ids do not suit a table."""
        ids = log.contacts
        if ids.dtype.kind not in "iu":
            return False
        if len(ids) == 0:
            return True
        if not self._cover(int(ids.min()), int(ids.max()), len(ids)):
            return False
        dtype = np.dtype(np.int64) if isinstance(ids, pd.RangeIndex) else ids.to_numpy().dtype
        self.dtype = dtype if self.dtype in (None, dtype) else np.dtype(np.int64)
        self.label_dtype = ids.dtype if self.label_dtype in (None, ids.dtype) else self.dtype
        codes = log.contact_codes
        if isinstance(ids, pd.RangeIndex) and ids.step == 1:
            first = ids.start - self.low
            where: slice | npt.NDArray[np.intp] = slice(first, first + len(ids))
        else:  # sorted unique ids: distinct rows; subtract in their own type (uint64 >= 2**63)
            id_values = ids.to_numpy()
            where = np.subtract(id_values, id_values.dtype.type(self.low)).astype(np.intp)
        if len(ids) > codes.size:
            # more ids in range than events (a small chunk of a wide range): add per event
            rows = codes + where.start if isinstance(where, slice) else where[codes]
            np.add.at(self.columns[0], rows, values)
            for column, t in zip(self.columns[1:], self.capped, strict=True):
                mask = log.type_codes == t
                np.add.at(column, rows[mask], values[mask])
            self.present[rows] = True
            return True
        n = len(ids)
        sums = [group_sum(codes, values, n)]
        for t in self.capped:  # a loop over capped types
            mask = log.type_codes == t
            sums.append(group_sum(codes[mask], values[mask], n))
        for column, part in zip(self.columns, sums, strict=True):
            column[where] += part
        if log.present is None:
            self.present[where] = True
        else:
            self.present[where] |= log.present
        return True

    def _cover(self, low: int, high: int, n_ids: int) -> bool:
        """Grow the table to hold ids ``low..high``, unless that would make it sparse."""
        size = self.present.size
        if size and low >= self.low and high < self.low + size:
            return True
        new_low = min(low, self.low) if size else low
        new_high = max(high, self.low + size - 1) if size else high
        needed = new_high - new_low + 1
        seen = int(np.count_nonzero(self.present)) + n_ids
        if needed > max(4 * seen, _TABLE_IDS):
            return False
        capacity = max(needed, size + size // 4)  # room to grow upwards, as new ids often do
        shift = self.low - new_low if size else 0
        grown = [np.zeros(capacity) for _ in self.columns]
        present = np.zeros(capacity, dtype=bool)
        for old, new in zip(self.columns, grown, strict=True):
            new[shift : shift + size] = old
        present[shift : shift + size] = self.present
        self.columns, self.present, self.low = grown, present, new_low
        return True

    def _kept(self) -> npt.NDArray[np.intp]:
        return np.flatnonzero(self.present)

    def scores(self, contact: str) -> pd.Series:
        kept = self._kept()
        score = self.columns[0][kept]
        for column, cap in zip(self.columns[1:], self.caps, strict=True):
            per_type = column[kept]
            score += np.minimum(per_type, cap) - per_type
        if np.isfinite(self.total_cap):
            np.minimum(score, self.total_cap, out=score)
        dtype = self.dtype if self.dtype is not None else np.dtype(np.int64)
        complete = kept.size > 0 and int(kept[-1] - kept[0]) + 1 == kept.size
        if complete and dtype == np.int64:  # as ScoringModel.score gives a complete id range
            start = self.low + int(kept[0])
            index: pd.Index = pd.RangeIndex(start, start + kept.size, name=contact)
        else:
            index = pd.Index(self._ids(kept, dtype), name=contact)
        if self.label_dtype is not None and not isinstance(self.label_dtype, np.dtype):
            index = index.astype(self.label_dtype)
        return pd.Series(score, index=index, name="score")

    def _ids(self, kept: npt.NDArray[np.intp], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
        """The ids of table rows ``kept``, added in the ids' own type (uint64 >= 2**63)."""
        ids: npt.NDArray[Any] = kept.astype(dtype) + dtype.type(self.low)
        return ids

    def partial(self, model: ScoringModel, contact: str, event: str) -> pd.DataFrame:
        """The sums so far as a :meth:`~bbmkit.ScoringModel.partial` frame (to go on by merging frames)."""
        kept = self._kept()
        ids = self._ids(kept, self.dtype if self.dtype is not None else np.dtype(np.int64))
        rest = self.columns[0][kept].copy()
        frames = []
        for column, t in zip(self.columns[1:], self.capped, strict=True):
            per_type = column[kept]
            rest -= per_type
            frames.append((ids, np.full(kept.size, t), per_type))
        uncapped = np.setdiff1d(np.arange(len(model.points)), self.capped)
        if uncapped.size:  # only the capped types' split matters when finalizing
            frames.insert(0, (ids, np.full(kept.size, uncapped[0]), rest))
        return pd.concat(
            [
                model._partial_frame(pd.Index(i), t.astype(np.intp), p, contact, event)
                for i, t, p in frames
            ],
            ignore_index=True,
        )


def _progress(
    progress: object, *, unit: str = " events", desc: str = "scoring"
) -> tuple[Callable[[int, int], None] | None, Callable[[], None]]:
    """The per-chunk callback and a closer, from ``progress=`` (callable, True or None/False)."""
    if progress is None or progress is False:
        return None, lambda: None
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError as err:
            raise ImportError(
                'progress=True needs tqdm: pip install "bbmkit[progress]" (or pass a callable)'
            ) from err
        bar = tqdm(unit=unit, unit_scale=True, desc=desc)
        done = [0]

        def update(_: int, n_rows: int) -> None:
            bar.update(n_rows - done[0])
            done[0] = n_rows

        return update, bar.close
    if callable(progress):
        return progress, lambda: None
    raise ValidationTypeError(f"progress must be a callable, True or None, got {fmt(progress)}")


def iter_parquet(
    path: str | Path, *, columns: list[str] | None = None, batch_size: int = 1_000_000
) -> Iterator[pd.DataFrame]:
    """Read a Parquet file as pandas chunks of ``batch_size`` rows, the last one shorter (needs pyarrow).

    Chunks span row groups: their size does not depend on how the file was written.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> from bbmkit.chunked import iter_parquet
    >>> path = os.path.join(tempfile.mkdtemp(), "log.parquet")
    >>> pd.DataFrame({"contact_id": range(5), "x": range(5)}).to_parquet(path)
    >>> [len(chunk) for chunk in iter_parquet(path, batch_size=2)]
    [2, 2, 1]
    """
    try:
        import pyarrow.parquet as pq
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError('iter_parquet needs pyarrow: pip install "bbmkit[interop]"') from err
    size = check_int(batch_size, name="batch_size", low=1)
    file = Path(path)
    if not file.is_file():
        raise ValidationError(
            f"no Parquet file at {fmt(str(file))}", code="missing_value", parameter="path"
        )
    import pyarrow as pa

    # pre-buffering keeps the row groups read so far allocated: memory would grow with the file
    reader = pq.ParquetFile(file, pre_buffer=False)
    # Arrow yields at most one row group's (and at most about a million rows') batch at a
    # time; gather them so chunks have the size asked for, which is what sets the cost
    buffered: list[pa.RecordBatch] = []
    n_buffered = 0
    for batch in reader.iter_batches(batch_size=size, columns=columns):
        buffered.append(batch)
        n_buffered += batch.num_rows
        while n_buffered >= size:
            table = pa.Table.from_batches(buffered)
            yield table.slice(0, size).to_pandas()
            rest = table.slice(size)
            buffered, n_buffered = rest.to_batches(), rest.num_rows
    if n_buffered:
        yield pa.Table.from_batches(buffered).to_pandas()


def score_dask(
    model: ScoringModel,
    events: Any,
    *,
    as_of: object,
    contact: str = "contact_id",
    event: str = "event_type",
    time: str = "timestamp",
    quantity: str | None = None,
) -> pd.Series:
    """Score a Dask DataFrame: partitions scored independently, partials summed by Dask.

    The result is computed (a pandas Series), equal to the in-memory score up
    to floating-point rounding. Needs ``dask[dataframe]``. A model with
    limits, a floor, inactivity or resets reads each contact's events
    together: the events are first shuffled so that each contact is in one
    partition.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from bbmkit import ScoringModel
    >>> from bbmkit.chunked import score_dask
    >>> log = pd.DataFrame({"contact_id": ["a", "b", "a"], "event_type": ["demo", "visit", "visit"],
    ...                     "timestamp": [0.0, 1.0, 2.0]})
    >>> model = ScoringModel({"visit": 5, "demo": 50})
    >>> score_dask(model, dd.from_pandas(log, npartitions=2), as_of=2.0).to_dict()
    {'a': 55.0, 'b': 5.0}
    """
    if not isinstance(model, ScoringModel):
        raise ValidationTypeError(f"model must be a ScoringModel, got {type(model).__name__}")
    if not hasattr(events, "map_partitions"):
        raise ValidationTypeError(f"events must be a Dask DataFrame, got {type(events).__name__}")
    if as_of is None:
        raise ValidationError(
            "as_of is required: a partition does not know the latest event of the log"
        )
    meta = model.combine([], contact=contact, event=event)

    def one(part: pd.DataFrame) -> pd.DataFrame:
        if len(part) == 0:
            return meta
        return model.partial(
            part, as_of=as_of, contact=contact, event=event, time=time, quantity=quantity
        )

    if model._rules().per_contact:
        # whole contacts per partition; their partials are disjoint, so they are only stacked
        whole = events.shuffle(on=contact)
        stacked = whole.map_partitions(one, meta=meta).compute()
        return model.finalize(stacked, contact=contact, event=event)
    partials = events.map_partitions(one, meta=meta)
    merged = partials.groupby([contact, event], observed=True)["points"].sum().compute()
    return model.finalize(merged.reset_index(), contact=contact, event=event)


# --------------------------------------------------------------------------
# account rollups and handover over chunks of the contact table

_TOP = "top_"  # partial columns top_1 .. top_K: the K highest contact scores, largest first
_AT_LEAST = "n_at_least_"  # partial columns counting contacts at or above a rule's threshold


def rollup_partial(
    chunk: pd.DataFrame,
    rule: Rule | None = None,
    *,
    contact: str = "contact_id",
    account: str = "account_id",
    score: str = "score",
    top_k: int | None = 3,
    role: str | None = None,
    role_weights: Mapping[Any, float] | None = None,
) -> pd.DataFrame:
    """Mergeable account aggregates of one chunk of the contact table.

    Each row of ``chunk`` is a contact with its account and its score (a
    missing score: a contact without one, counted as 0 as :func:`~bbmkit.rollup`
    does). The partial holds, per account of the chunk, what the rollup and
    ``rule`` need and what adds up across chunks: contact counts, the total,
    the ``top_k`` highest scores (at least the highest) and, for each
    ``contacts(at_least=...)`` clause of ``rule``, the contacts at or above
    that score. :func:`rollup_combine` merges partials; :func:`rollup_finalize`
    turns one into the rollup (and handover) frame. Every contact must be in
    one chunk only, as in any partition of the contact table.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import contacts
    >>> from bbmkit.chunked import rollup_partial
    >>> chunk = pd.DataFrame({"contact_id": ["c1", "c2", "c3"], "account_id": ["A", "A", "B"],
    ...                       "score": [70.0, None, 65.0]})
    >>> rollup_partial(chunk, contacts(at_least=60, count=2), top_k=2)
                n_contacts  n_scored  total  top_1  top_2  n_at_least_60.0
    account_id
    A                    2         1   70.0   70.0    0.0                1
    B                    1         1   65.0   65.0   -inf                1
    """
    k = _check_top_k(top_k)
    if k is not None and k > _MAX_PARTIAL_TOP:
        raise ValidationError(
            f"top_k must be at most {_MAX_PARTIAL_TOP} in a partial (it keeps one column per "
            f"top score), got {k}"
        )
    thresholds = _thresholds(rule)
    frame = check_frame(chunk, name="chunk")
    columns = [contact, account, score] + ([role] if role is not None else [])
    require_columns(frame, columns, name="chunk")
    ids = frame[contact]
    for column in (contact, account):
        check_no_missing(frame[column], column)
    twice = repeated(pd.Index(ids))
    if twice is not None:
        raise ValidationError(
            f"chunk lists contact {fmt(ids.iloc[int(np.argmax(twice))])} more than once "
            f"(column {contact!r}); a contact belongs to one account"
        )
    accounts = pd.Series(frame[account].to_numpy(), index=pd.Index(ids), name=account)
    values = frame[score]
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        raise ValidationTypeError(f"column {score!r} must hold numbers, got dtype {values.dtype}")
    raw = values.to_numpy(dtype=np.float64, na_value=np.nan)
    infinite = np.isinf(raw)
    if infinite.any():
        raise ValidationError(
            f"column {score!r} has an infinite score (contact {fmt(ids.iloc[int(np.argmax(infinite))])})"
        )
    # a missing score is an unscored contact: left out of the scores, still in the map
    scored = ~np.isnan(raw)
    scores = pd.Series(raw[scored], index=accounts.index[scored])
    roles = None
    if role is not None:
        roles = pd.Series(frame[role].to_numpy(), index=accounts.index)
    data = _prepare(scores, accounts, roles, role_weights)
    n_contacts = group_count(data.codes, data.n)
    out: dict[str, npt.NDArray[Any]] = {
        "n_contacts": n_contacts,
        "n_scored": _n_scored(data, n_contacts),
        "total": data.total(),
    }
    top = group_top_k(data.codes, data.scores, data.n, max(k or 1, 1), best=data.best())
    for j in range(top.shape[1]):
        out[f"{_TOP}{j + 1}"] = top[:, j]
    for t in thresholds:
        out[f"{_AT_LEAST}{t!r}"] = data.count_at_least(t)
    return pd.DataFrame(out, index=data.ids)


def rollup_combine(partials: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Merge partials of :func:`rollup_partial` (built alike) into one partial.

    Counts and totals add up; the highest scores of an account are the
    highest among its partials' highest scores. One frame of concatenated
    partials (an account on several rows, as Dask or Spark collect them) is
    merged too.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit.chunked import rollup_combine, rollup_partial
    >>> table = pd.DataFrame({"contact_id": [1, 2, 3], "account_id": ["A", "A", "B"],
    ...                       "score": [70.0, 90.0, 65.0]})
    >>> parts = [rollup_partial(table.iloc[:1], top_k=2), rollup_partial(table.iloc[1:], top_k=2)]
    >>> rollup_combine(parts)
                n_contacts  n_scored  total  top_1  top_2
    account_id
    A                    2         2  160.0   90.0   70.0
    B                    1         1   65.0   65.0   -inf
    """
    parts: list[pd.DataFrame] = list(
        check_iterable(partials, name="partials", what="rollup partials")
    )
    if not parts:
        raise ValidationError("partials is empty: nothing to combine")
    layout = tops, counts = _partial_layout(parts[0], "partials[0]")
    for i, part in enumerate(parts[1:], start=1):
        if _partial_layout(part, f"partials[{i}]") != layout:
            raise ValidationError(
                f"partials[{i}] has columns {list(part.columns)}, partials[0] has "
                f"{list(parts[0].columns)}; build every partial with the same rule and top_k"
            )
    if len(parts) == 1 and parts[0].index.is_unique:
        return parts[0].copy()  # a new frame, as with several parts: the caller's stays its own
    stacked = pd.concat(parts)
    codes, ids = factorize(pd.Series(stacked.index))
    ids = ids.rename(parts[0].index.name)
    n = len(ids)

    def summed(name: str) -> npt.NDArray[np.float64]:
        return group_sum(codes, stacked[name].to_numpy(dtype=np.float64), n)

    out: dict[str, npt.NDArray[Any]] = {
        "n_contacts": summed("n_contacts").astype(np.int64),
        "n_scored": summed("n_scored").astype(np.int64),
        "total": summed("total"),
    }
    # every partial's top scores in one long column, then the top of those per account
    values = stacked[tops].to_numpy(dtype=np.float64).T.ravel()
    long_codes = np.tile(codes, len(tops))
    kept = values > -np.inf
    top = group_top_k(long_codes[kept], values[kept], n, len(tops))
    for j, name in enumerate(tops):
        out[name] = top[:, j]
    for name in counts:
        out[name] = summed(name).astype(np.int64)
    return pd.DataFrame(out, index=ids)


def rollup_finalize(
    partial: pd.DataFrame, rule: Rule | None = None, *, top_k: int | None = 3
) -> pd.DataFrame:
    """The rollup frame of a (combined) partial, and the handover when ``rule`` is given.

    The columns are those of :func:`~bbmkit.rollup` (with ``rule``, of
    :func:`~bbmkit.handover`), in the same order, sorted by account.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import any_contact
    >>> from bbmkit.chunked import rollup_finalize, rollup_partial
    >>> table = pd.DataFrame({"contact_id": [1, 2], "account_id": ["A", "B"], "score": [120.0, 30.0]})
    >>> rule = any_contact(at_least=100)
    >>> result = rollup_finalize(rollup_partial(table, rule, top_k=None), rule, top_k=None)
    >>> result[["n_contacts", "max", "handover", "reason"]]
                n_contacts    max  handover              reason
    account_id
    A                    1  120.0      True  any contact >= 100
    B                    1   30.0     False
    """
    k = _check_top_k(top_k)
    tops, counts = _partial_layout(partial, "partial")
    if k is not None and k > len(tops):
        raise ValidationError(
            f"top_k={k} needs the {k} highest scores per account; the partial keeps "
            f"{len(tops)} (build the partials with top_k >= {k})"
        )
    order = np.argsort(_sort_key(partial.index), kind="stable")
    sorted_partial = partial.iloc[order] if not _is_sorted(order) else partial
    n_contacts = sorted_partial["n_contacts"].to_numpy(dtype=np.int64)
    total_ = sorted_partial["total"].to_numpy(dtype=np.float64)
    top = sorted_partial[tops].to_numpy(dtype=np.float64)
    best = top[:, 0].copy()
    columns: dict[str, npt.NDArray[Any]] = {
        "n_contacts": n_contacts,
        "n_scored": sorted_partial["n_scored"].to_numpy(dtype=np.int64),
        "total": total_,
        "max": best,
        "mean": total_ / n_contacts,
    }
    if k is not None:
        columns[f"top{k}_total"] = top_k_total(top[:, :k])
    frame = pd.DataFrame(columns, index=sorted_partial.index)
    if rule is None:
        return frame
    data = _Accounts(
        codes=np.empty(0, dtype=np.intp),
        ids=sorted_partial.index,
        scores=np.empty(0),
        scored=np.empty(0, dtype=bool),
    )
    # the rule reads the group reductions from the cache: no contact rows are needed
    data._cache["max"] = best
    data._cache["total"] = total_
    for name, threshold in counts.items():
        data._cache[("count", threshold)] = sorted_partial[name].to_numpy(dtype=np.int64)
    missing = [t for t in _thresholds(rule) if ("count", t) not in data._cache]
    if missing:
        raise ValidationError(
            f"rule counts contacts >= {_num_list(missing)}, which the partial does not "
            "count; build the partials with the same rule"
        )
    result = _evaluate(rule, data)
    frame["handover"] = result.fired
    frame["reason"] = result.reason_column()
    return frame


def rollup_chunks(
    chunks: Iterable[pd.DataFrame],
    rule: Rule | None = None,
    *,
    contact: str = "contact_id",
    account: str = "account_id",
    score: str = "score",
    top_k: int | None = 3,
    role: str | None = None,
    role_weights: Mapping[Any, float] | None = None,
    combine_every: int = 8,
    progress: Callable[[int, int], None] | bool | None = None,
) -> pd.DataFrame:
    """:func:`~bbmkit.rollup` (or :func:`~bbmkit.handover` with ``rule``) of a contact table in chunks.

    Parameters
    ----------
    chunks : iterable of DataFrame
        Parts of the contact table, each contact in one part only, with the
        columns ``contact``, ``account`` and ``score`` (missing: a contact
        without a score, counted as 0), e.g. :func:`iter_parquet` of the
        contacts joined to :func:`score_chunks`' scores. Consumed once.
    rule : Rule, optional
        The handover rule; the result then has ``handover`` and ``reason``.
    top_k, role, role_weights
        As for :func:`~bbmkit.rollup`; ``role`` names the chunks' role column.
    combine_every : int, default 8
        Partials are merged every this many chunks; memory stays at a few
        per-account partials, whatever the number of contacts.
    progress : callable or bool, optional
        A callable is called after each chunk with (chunks done, contacts
        done); ``True`` shows a tqdm progress bar.

    Returns
    -------
    pandas.DataFrame
        The frame of :func:`~bbmkit.handover` (``rule`` given) or
        :func:`~bbmkit.rollup`, equal to it up to floating-point rounding of
        the totals; empty (with those columns) when ``chunks`` is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import any_contact, contacts, handover
    >>> from bbmkit.chunked import rollup_chunks
    >>> table = pd.DataFrame({"contact_id": [1, 2, 3, 4, 5], "account_id": ["A", "B", "B", "B", "C"],
    ...                       "score": [100.0, 60.0, 60.0, 60.0, None]})
    >>> rule = any_contact(at_least=100) | contacts(at_least=60, count=3)
    >>> rollup_chunks((table.iloc[i:i + 2] for i in range(0, 5, 2)), rule)[["total", "reason"]]
                total              reason
    account_id
    A           100.0  any contact >= 100
    B           180.0    3 contacts >= 60
    C             0.0
    """
    every = check_int(combine_every, name="combine_every", low=2)
    options: dict[str, Any] = {
        "contact": contact,
        "account": account,
        "score": score,
        "top_k": top_k,
        "role": role,
        "role_weights": role_weights,
    }
    report, close = _progress(progress, unit=" contacts", desc="rolling up")
    pending: list[pd.DataFrame] = []
    n_chunks = n_rows = 0
    try:
        for chunk in check_iterable(chunks, name="chunks", what="contact frames"):
            pending.append(rollup_partial(chunk, rule, **options))
            n_chunks += 1
            n_rows += len(chunk)
            if len(pending) >= every:
                pending = [rollup_combine(pending)]
            if report is not None:
                report(n_chunks, n_rows)
    finally:
        close()
    if not pending:
        empty = pd.DataFrame(
            {contact: pd.Series([], dtype=object), account: pd.Series([], dtype=object)}
        ).assign(**{score: np.empty(0)})
        if role is not None:
            empty[role] = pd.Series([], dtype=object)
        pending = [rollup_partial(empty, rule, **options)]
    return rollup_finalize(rollup_combine(pending), rule, top_k=top_k)


def rollup_dask(
    contacts: Any,
    rule: Rule | None = None,
    *,
    contact: str = "contact_id",
    account: str = "account_id",
    score: str = "score",
    top_k: int | None = 3,
    role: str | None = None,
    role_weights: Mapping[Any, float] | None = None,
) -> pd.DataFrame:
    """:func:`rollup_chunks` of a Dask DataFrame: each partition's partial made by Dask.

    The per-account partials are computed (they are small: one row per
    account and partition) and merged here. Every contact must be in one
    partition only. Needs ``dask[dataframe]``.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from bbmkit import any_contact
    >>> from bbmkit.chunked import rollup_dask
    >>> table = pd.DataFrame({"contact_id": [1, 2, 3], "account_id": ["A", "A", "B"],
    ...                       "score": [100.0, 20.0, 30.0]})
    >>> rollup_dask(dd.from_pandas(table, npartitions=2), any_contact(at_least=100))["handover"].to_dict()
    {'A': True, 'B': False}
    """
    if not hasattr(contacts, "map_partitions"):
        raise ValidationTypeError(
            f"contacts must be a Dask DataFrame, got {type(contacts).__name__}"
        )
    options: dict[str, Any] = {
        "contact": contact,
        "account": account,
        "score": score,
        "top_k": top_k,
        "role": role,
        "role_weights": role_weights,
    }
    meta = rollup_partial(contacts._meta, rule, **options)
    partials = contacts.map_partitions(rollup_partial, rule, meta=meta, **options).compute()
    return rollup_finalize(rollup_combine([partials]), rule, top_k=top_k)


def _thresholds(rule: Rule | None) -> list[float]:
    """The ``at_least`` of every ``contacts`` clause of ``rule`` (negated ones too), once each."""
    if rule is None:
        return []
    if not isinstance(rule, Rule):
        raise ValidationTypeError(
            f"rule must be a Rule (any_contact, contacts, total, ...), got {fmt(rule)}"
        )
    found: list[float] = []
    stack: list[Rule] = [rule]
    while stack:  # a walk over the rule's clauses
        node = stack.pop()
        if isinstance(node, Contacts) and node.at_least not in found:
            found.append(node.at_least)
        elif isinstance(node, AnyOf | AllOf):
            stack.extend(reversed(node.rules))
        elif isinstance(node, Not):
            stack.append(node.rule)
    return found


def _partial_layout(partial: object, name: str) -> tuple[list[str], dict[str, float]]:
    """A partial's top-score columns and its threshold count columns (by threshold)."""
    if not isinstance(partial, pd.DataFrame):
        raise ValidationTypeError(
            f"{name} must be a DataFrame from rollup_partial, got {type(partial).__name__}"
        )
    missing = [c for c in ("n_contacts", "n_scored", "total", f"{_TOP}1") if c not in partial]
    if missing:
        raise ValidationError(
            f"{name} is not a rollup partial: it has no column {missing[0]!r} "
            f"(have: {', '.join(map(str, partial.columns))})"
        )
    tops = [c for c in partial.columns if str(c).startswith(_TOP)]
    counts: dict[str, float] = {}
    for c in partial.columns:
        if str(c).startswith(_AT_LEAST):
            try:
                counts[str(c)] = float(str(c)[len(_AT_LEAST) :])
            except ValueError:
                raise ValidationError(
                    f"{name} column {str(c)!r} names no threshold (a rollup partial has "
                    f"'{_AT_LEAST}<score>' columns)"
                ) from None
    for c in ("n_contacts", "n_scored", "total", *tops, *counts):
        dtype = partial[c].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise ValidationTypeError(f"{name} column {c!r} must hold numbers, got dtype {dtype}")
        x = partial[c].to_numpy(dtype=np.float64, na_value=np.nan)
        if c in tops:  # -inf pads accounts with fewer contacts than top_k
            bad = np.isnan(x) | (x == np.inf)
        elif c == "total":
            bad = ~np.isfinite(x)
        else:
            bad = ~(np.isfinite(x) & (x >= 0) & (x == np.round(x)) & (x < 2**53))
        if bad.any():
            raise ValidationError(
                f"{name} column {c!r} has an impossible value {fmt(x[bad][0])} for account "
                f"{fmt(partial.index[int(np.argmax(bad))])}; partials come from rollup_partial"
            )
    return tops, counts


def _sort_key(index: pd.Index) -> npt.NDArray[np.intp]:
    codes, _ = factorize(pd.Series(index))  # sorted labels, as the in-memory rollup sorts them
    return codes


def _is_sorted(order: npt.NDArray[np.intp]) -> bool:
    return bool((order == np.arange(order.size)).all())


def _num_list(values: list[float]) -> str:
    return ", ".join(str(int(v)) if float(v).is_integer() else repr(v) for v in values)
