"""Scoring logs that do not fit in memory: chunks, Parquet row groups, Dask partitions.

All three rest on :meth:`ScoringModel.partial` / :meth:`~ScoringModel.combine`
/ :meth:`~ScoringModel.finalize`: each chunk becomes the decayed points per
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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._kernels import group_sum
from bbmkit._validation import check_int, fmt
from bbmkit.scoring import ScoringModel, _Log

__all__ = ["iter_parquet", "score_chunks", "score_dask"]


def score_chunks(
    model: ScoringModel,
    chunks: Iterable[pd.DataFrame],
    *,
    as_of: object,
    contact: str = "contact_id",
    event: str = "event_type",
    time: str = "timestamp",
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
        running, pending = _partials(model, chunks, as_of, contact, event, time, every, report)
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
    every: int,
    report: Callable[[int, int], None] | None,
) -> tuple[_RunningSums | None, list[pd.DataFrame]]:
    """Running sums while the ids allow them, else partial frames merged every ``every`` chunks."""
    if as_of is None:
        raise ValidationError(
            "as_of is required for a partial score: a chunk does not know the latest event of the log"
        )
    running: _RunningSums | None = _RunningSums(model)
    pending: list[pd.DataFrame] = []
    n_chunks = n_events = 0
    for chunk in chunks:
        log = model._prepare(
            chunk,
            as_of=as_of,
            contact=contact,
            event=event,
            time=time,
            slots=True,
            # a chunk may hold a few of many contacts: offsets into the running table's
            # range are still cheaper than factorising its ids
            slot_span=_TABLE_IDS if running is not None else 0,
        )
        values = log.values(model)
        if running is not None and not running.add(log, values):
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
        codes = log.contact_codes
        if isinstance(ids, pd.RangeIndex) and ids.step == 1:
            first = ids.start - self.low
            where: slice | npt.NDArray[np.intp] = slice(first, first + len(ids))
        else:  # sorted unique ids: distinct rows
            where = np.subtract(ids.to_numpy(), self.low, dtype=np.intp)
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
            index = pd.Index((kept + self.low).astype(dtype), name=contact)
        return pd.Series(score, index=index, name="score")

    def partial(self, model: ScoringModel, contact: str, event: str) -> pd.DataFrame:
        """The sums so far as a :meth:`ScoringModel.partial` frame (to go on by merging frames)."""
        kept = self._kept()
        ids = (kept + self.low).astype(self.dtype if self.dtype is not None else np.int64)
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
    progress: object,
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
        bar = tqdm(unit=" events", unit_scale=True, desc="scoring")
        done = [0]

        def update(_: int, n_events: int) -> None:
            bar.update(n_events - done[0])
            done[0] = n_events

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
        raise ValidationError(f"no Parquet file at {fmt(str(file))}")
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
) -> pd.Series:
    """Score a Dask DataFrame: partitions scored independently, partials summed by Dask.

    The result is computed (a pandas Series), equal to the in-memory score up
    to floating-point rounding. Needs ``dask[dataframe]``.

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
        return model.partial(part, as_of=as_of, contact=contact, event=event, time=time)

    partials = events.map_partitions(one, meta=meta)
    merged = partials.groupby([contact, event], observed=True)["points"].sum().compute()
    return model.finalize(merged.reset_index(), contact=contact, event=event)
