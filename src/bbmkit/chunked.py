"""Scoring logs that do not fit in memory: chunks, Parquet row groups, Dask partitions.

All three rest on :meth:`ScoringModel.partial` / :meth:`~ScoringModel.combine`
/ :meth:`~ScoringModel.finalize`: each chunk becomes the decayed points per
(contact, event type), partials add up, and the caps are applied once at the
end. Memory is bounded by the number of distinct (contact, event type) pairs,
not by the number of events.

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

import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._validation import check_int, fmt
from bbmkit.scoring import ScoringModel

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
        pending = _partials(model, chunks, as_of, contact, event, time, every, report)
    finally:
        close()
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
) -> list[pd.DataFrame]:
    pending: list[pd.DataFrame] = []
    n_chunks = n_events = 0
    for chunk in chunks:
        pending.append(model.partial(chunk, as_of=as_of, contact=contact, event=event, time=time))
        n_chunks += 1
        n_events += len(chunk)
        if len(pending) >= every:
            pending = [model.combine(pending, contact=contact, event=event)]
        if report is not None:
            report(n_chunks, n_events)
    if n_chunks == 0:
        raise ValidationError("chunks is empty: no event to score")
    return pending


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
    """Read a Parquet file as pandas chunks of at most ``batch_size`` rows (needs pyarrow).

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
    reader = pq.ParquetFile(file)
    for batch in reader.iter_batches(batch_size=size, columns=columns):
        yield batch.to_pandas()


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
