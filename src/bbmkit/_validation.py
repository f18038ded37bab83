"""The one validation layer: checks run once at the public boundary.

Everything below this module (``bbmkit._kernels``) takes plain, already
checked numpy arrays and never validates.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.extensions import ExtensionArray

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._kernels import any_equal, divided

NS_PER_DAY = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min

__all__ = [
    "TICKS_PER_DAY",
    "as_bool_array",
    "as_series",
    "check_band",
    "check_frame",
    "check_in_choices",
    "check_int",
    "check_iterable",
    "check_list",
    "check_no_missing",
    "check_number",
    "check_rate",
    "check_timestamp",
    "datetime_array",
    "datetime_days",
    "days_to_datetimes",
    "finite_weights",
    "fmt",
    "numeric_values",
    "optional_times",
    "paired",
    "raw_times",
    "real_to_float",
    "require_columns",
    "times_as_days",
    "timestamp_days",
]

_MAX_SHOWN = 8
_A = TypeVar("_A")
_B = TypeVar("_B")


def fmt(value: Any) -> str:
    """Short repr of a user value for an error message."""
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _list(items: Iterable[Any]) -> str:
    items = list(items)
    shown = ", ".join(str(i) for i in items[:_MAX_SHOWN])
    if len(items) > _MAX_SHOWN:
        shown += f", ... ({len(items)} in all)"
    return shown


def check_frame(frame: object, *, name: str = "frame") -> pd.DataFrame:
    """Return ``frame`` as a pandas DataFrame, else raise a type error.

    polars DataFrames and pyarrow Tables are converted here, once, by their
    own columnar ``to_pandas`` (no row-wise Python); their rows get a
    RangeIndex.
    """
    if isinstance(frame, pd.DataFrame):
        return frame
    module = type(frame).__module__.split(".")[0]
    kind = type(frame).__name__
    if (module, kind) in (("polars", "DataFrame"), ("pyarrow", "Table")):
        converted = frame.to_pandas()  # type: ignore[attr-defined]
        if isinstance(converted, pd.DataFrame):
            return converted
    raise ValidationTypeError(
        f"{name} must be a pandas DataFrame (or a polars DataFrame or pyarrow Table), "
        f"got {type(frame).__name__}"
    )


def require_columns(
    frame: pd.DataFrame, columns: Iterable[Hashable], *, name: str = "frame"
) -> None:
    """Raise if any of ``columns`` is missing from ``frame``."""
    have = list(frame.columns)
    present = set(have)
    repeated = set(frame.columns[frame.columns.duplicated()])
    for column in columns:
        if not isinstance(column, Hashable) or isinstance(column, tuple):
            raise ValidationTypeError(
                f"column names must be strings (or other labels), got {fmt(column)}",
                parameter=name,
                value=column,
            )
        if column not in present:
            raise ValidationError(
                f"column {column!r} is missing from {name} (have: {_list(have)})",
                code="missing_column",
                parameter=name,
                column=str(column),
            )
        if column in repeated:
            raise ValidationError(
                f"column {column!r} appears {have.count(column)} times in {name}; "
                "which one to use is ambiguous",
                code="duplicate_column",
                parameter=name,
                column=str(column),
            )


def check_number(
    value: object,
    *,
    name: str,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    context: str = "",
) -> float:
    """Return ``value`` as a float after checking it is a finite real number.

    Booleans and strings are rejected: ``"10"`` is not a number of points.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ValidationTypeError(
            f"{name} must be a real number, got {fmt(value)} ({type(value).__name__}){context}",
            parameter=name,
            value=value,
        )
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range (a JSON document may hold one)
        number = math.inf
    ok = math.isfinite(number)
    if ok and low is not None:
        ok = number >= low if low_inclusive else number > low
    if ok and high is not None:
        ok = number <= high if high_inclusive else number < high
    if not ok:
        bounds = _range_text(low, high, low_inclusive, high_inclusive)
        raise ValidationError(
            f"{name} must be a finite number{bounds}, got {fmt(value)}{context}",
            code="out_of_range" if math.isfinite(number) else "missing_value",
            parameter=name,
            value=value,
        )
    return number


def _range_text(low: float | None, high: float | None, low_inc: bool, high_inc: bool) -> str:
    if low is not None and high is not None:
        left = "[" if low_inc else "("
        right = "]" if high_inc else ")"
        return f" in {left}{_num(low)}, {_num(high)}{right}"
    if low is not None:
        return f" {'>=' if low_inc else '>'} {_num(low)}"
    if high is not None:
        return f" {'<=' if high_inc else '<'} {_num(high)}"
    return ""


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def check_int(value: object, *, name: str, low: int | None = None, high: int | None = None) -> int:
    """An integer (not a bool, not a float), optionally ``>= low`` and ``<= high``.

    ``high`` bounds sizes (rows, samples, periods) whose cost grows with the value.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise ValidationTypeError(
            f"{name} must be an integer, got {fmt(value)} ({type(value).__name__})",
            parameter=name,
            value=value,
        )
    number = int(value)
    if low is not None and number < low:
        raise ValidationError(
            f"{name} must be an integer >= {low}, got {fmt(value)}",
            code="out_of_range",
            parameter=name,
            value=value,
        )
    if high is not None and number > high:
        raise ValidationError(
            f"{name} must be an integer <= {high:,}, got {fmt(value)}",
            code="out_of_range",
            parameter=name,
            value=value,
        )
    return number


def check_rate(value: object, *, name: str) -> float:
    """A finite number in [0, 1]."""
    return check_number(value, name=name, low=0.0, high=1.0)


def check_band(band: object, *, name: str = "band") -> tuple[float, float]:
    """A ``(low, high)`` pair of rates with ``low <= high``."""
    if isinstance(band, str | bytes) or not isinstance(band, Sequence):
        raise ValidationTypeError(f"{name} must be a (low, high) pair of rates, got {fmt(band)}")
    if len(band) != 2:
        raise ValidationError(
            f"{name} must be a (low, high) pair of rates, got {len(band)} values: {fmt(band)}"
        )
    low = check_rate(band[0], name=f"{name} low")
    high = check_rate(band[1], name=f"{name} high")
    if low > high:
        raise ValidationError(f"{name} low must be <= high, got {fmt(tuple(band))}")
    return low, high


def check_in_choices(value: object, *, name: str, choices: Sequence[str]) -> str:
    """One of a fixed set of option strings."""
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(
            f"{name} must be one of {', '.join(map(repr, choices))}, got {fmt(value)}",
            code="not_a_choice",
            parameter=name,
            value=value,
        )
    return value


def as_series(values: object, *, name: str) -> pd.Series:
    """One-dimensional values as a Series: a Series as it is, else an array, Index or list.

    Frames, 2-D arrays, scalars, text and mappings are errors naming ``name``.
    """
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.DataFrame):
        raise ValidationTypeError(
            f"{name} must be one-dimensional (a Series or array), got a DataFrame"
        )
    if isinstance(values, str | bytes | Mapping) or not isinstance(
        values, np.ndarray | pd.Index | ExtensionArray | Sequence
    ):
        raise ValidationTypeError(
            f"{name} must be a Series, array or list of values, got {fmt(values)}"
        )
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValidationError(
            f"{name} must be one-dimensional, got an array of shape {values.shape}"
        )
    try:
        # an empty list holds no type: float, so "empty" is what gets reported, not the dtype
        return pd.Series(values, dtype=np.float64 if len(values) == 0 else None)
    except (TypeError, ValueError) as err:
        raise ValidationError(f"{name} must be one-dimensional values: {err}") from err


def check_iterable(value: object, *, name: str, what: str = "values") -> Iterable[Any]:
    """An iterable of items (a list or a generator of frames, dates, ...), not a scalar or text."""
    if isinstance(value, str | bytes | Mapping | pd.DataFrame | pd.Series) or not isinstance(
        value, Iterable
    ):
        raise ValidationTypeError(f"{name} must be an iterable of {what}, got {fmt(value)}")
    return value


def as_bool_array(values: object, *, name: str) -> npt.NDArray[np.bool_]:
    """A one-dimensional boolean array from a bool/0-1 Series, array or list.

    Missing values are an error: an unknown status cannot be counted as
    either answer without changing the result.
    """
    series = as_series(values, name=name)
    missing = series.isna().to_numpy()
    if missing.any():
        first = series.index[int(np.argmax(missing))]
        raise ValidationError(
            f"{name} has {int(missing.sum())} missing value(s) (first at index "
            f"{fmt(first)}); decide whether they are ICP before counting"
        )
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        arr = series.to_numpy()
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            raise ValidationError(
                f"{name} must be boolean (True/False or 0/1), got {fmt(arr[int(np.argmax(bad))])}"
            )
        return arr.astype(bool)
    if series.dtype == object and pd.api.types.infer_dtype(series) == "boolean":
        return series.to_numpy(dtype=bool)
    raise ValidationTypeError(
        f"{name} must be boolean (True/False or 0/1), got dtype {series.dtype}"
    )


def check_no_missing(column: pd.Series, name: str) -> None:
    """Raise if ``column`` has missing values, naming how many and the first."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return  # numpy integers and booleans cannot be missing: no pass over the column
    if isinstance(dtype, pd.CategoricalDtype) and not any_equal(column.array.codes, -1):
        return  # a scan of the small codes, without the mask isna() would allocate
    missing = column.isna().to_numpy()
    if missing.any():
        first = column.index[int(np.argmax(missing))]
        raise ValidationError(
            f"column {name!r} has {int(missing.sum())} missing value(s) (first at index {fmt(first)})",
            code="missing_value",
            column=str(name),
        )


# datetime64 units and how many of their ticks make a day
TICKS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": NS_PER_DAY}


def datetime_array(column: pd.Series) -> Any:
    """The column's datetimes as a numpy-backed ``DatetimeArray`` in their own unit.

    Arrow timestamps (``timestamp[us, tz=...][pyarrow]``) are converted
    once, keeping their unit and zone; a numpy-backed column is used as is.
    Times are never converted to nanoseconds: CRM exports hold placeholder
    dates such as 9999-12-31 or 0001-01-01 that nanoseconds cannot hold.
    """
    values = column.array
    if isinstance(values, pd.arrays.DatetimeArray):
        return values
    unit, tz = column.dt.unit, column.dt.tz
    dtype = pd.DatetimeTZDtype(unit, tz) if tz is not None else np.dtype(f"datetime64[{unit}]")
    return column.astype(dtype).array


def timestamp_days(stamp: pd.Timestamp, unit: str | None = None) -> float:
    """Float days since the epoch (UTC) of a Timestamp, read in its own unit (no overflow).

    With ``unit`` (the unit of the data it is compared with) the stamp is
    first floored to that unit, so that a stamp equal to a time of the data
    gives bit for bit the same float days, and a stamp between two ticks
    keeps the earlier one; a stamp that unit cannot hold is read as it is.
    """
    if unit is not None and unit != stamp.unit:
        # beyond the unit's range there is no time of the data to tie with
        with contextlib.suppress(OverflowError, ValueError):
            stamp = stamp.floor(unit).as_unit(unit)  # type: ignore[arg-type]
    ticks = int(stamp.asm8.view(np.int64))  # UTC for tz-aware stamps
    # int -> float, then divide: the rounding numpy applies to a column of ticks, so a
    # stamp equal to an event's time gives the same float days (exact int division may not)
    return float(ticks) / float(TICKS_PER_DAY[stamp.unit])


def days_to_datetimes(days: npt.NDArray[np.float64], unit: str, tz: Any) -> pd.DatetimeIndex:
    """Datetimes of float days since the epoch, NaT where not finite.

    In ``unit``, or in the finest coarser unit that holds them all (a date
    past 2262 does not fit in nanoseconds); NaT beyond even seconds.
    """
    finite = np.isfinite(days)
    units = list(TICKS_PER_DAY)
    for candidate in reversed(units[: units.index(unit) + 1]):
        limit = np.iinfo(np.int64).max / TICKS_PER_DAY[candidate]
        fits = finite & (np.abs(days) < limit)
        if np.array_equal(fits, finite) or candidate == "s":
            break
    ticks = np.round(np.where(fits, days, 0.0) * TICKS_PER_DAY[candidate]).astype(np.int64)
    stamps = ticks.view(f"datetime64[{candidate}]")
    stamps[~fits] = np.datetime64("NaT")
    out = pd.DatetimeIndex(stamps)
    if tz is not None:
        out = out.tz_localize("UTC").tz_convert(tz)
    return out


def times_as_days(column: pd.Series, name: str) -> tuple[npt.NDArray[np.float64], Any]:
    """Times as float days since the epoch (datetimes) or as given (numbers of days).

    Returns the days and the column's time zone: ``None`` for naive datetimes,
    ``False`` for plain numbers. Missing, infinite and non-time values are
    errors.
    """
    raw, per_day, tz = raw_times(column, name)
    if per_day is None:
        return raw.astype(np.float64, copy=False), tz
    # float days since the epoch keep ~10 microsecond precision for centuries
    return divided(raw.view(np.int64), per_day), tz


def optional_times(column: pd.Series, name: str) -> tuple[npt.NDArray[np.float64], bool]:
    """Float days since the epoch (datetimes) or as given (numbers), NaN where missing.

    For logs whose times may be unknown on some rows (a CRM stage without a
    date): counts use every row, time-based results only the known times.
    Returns the days and whether every time is known. Infinite and non-time
    values are still errors.
    """
    dtype = column.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = datetime_array(column)
        ticks = np.asarray(values.asi8)
        days = divided(ticks, float(TICKS_PER_DAY[values.unit]))
        if not any_equal(ticks, _NAT):
            return days, True
        days[ticks == _NAT] = np.nan
        return days, False
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        days = column.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(days)
        if not bad.any():
            return days, True
        infinite = np.isinf(days)
        if infinite.any():
            first = column.index[int(np.argmax(infinite))]
            raise ValidationError(
                f"column {name!r} has {int(infinite.sum())} infinite time(s) (first at index {fmt(first)})"
            )
        return days, False
    raise ValidationTypeError(
        f"column {name!r} must hold datetimes or numbers of days, got dtype {dtype}; "
        "convert text with pandas.to_datetime"
    )


def raw_times(
    column: pd.Series, name: str
) -> tuple[npt.NDArray[np.int64] | npt.NDArray[np.float64], float | None, Any]:
    """Times as stored: UTC ticks in the column's own unit (datetimes, a view) or float days.

    Returns the values, how many of their ticks make a day (``None`` for
    days) and the time zone as :func:`times_as_days` does. Kernels divide
    in cache-sized blocks instead of materialising float days. Seconds,
    milliseconds, microseconds and nanoseconds are all read as they are, so
    dates outside 1677-2262 (which nanoseconds cannot hold) work.
    """
    dtype = column.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = datetime_array(column)
        ticks = np.asarray(values.asi8)  # tz-aware datetimes are stored in UTC; NaT is int64 min
        if any_equal(ticks, _NAT):
            check_no_missing(column, name)
        return ticks, float(TICKS_PER_DAY[values.unit]), values.tz
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        days = (
            column.to_numpy()
            if dtype == np.float64
            else column.to_numpy(dtype=np.float64, na_value=np.nan)
        )
        bad = ~np.isfinite(days)
        if bad.any():
            first = column.index[int(np.argmax(bad))]
            raise ValidationError(
                f"column {name!r} has {int(bad.sum())} missing or infinite time(s) "
                f"(first at index {fmt(first)})"
            )
        return days, None, False
    raise ValidationTypeError(
        f"column {name!r} must hold datetimes or numbers of days, got dtype {dtype}; "
        "convert text with pandas.to_datetime"
    )


def finite_weights(raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Weights whose sum is finite: scaled by their largest when the sum would overflow.

    A weighted mean is unchanged by scaling every weight; weights near 1e308
    would otherwise sum to infinity and turn every mean into 0 or NaN.
    """
    with np.errstate(over="ignore"):
        if np.isfinite(raw.sum()):
            return raw
    scaled: npt.NDArray[np.float64] = raw / raw.max()
    return scaled


def check_list(value: object, *, name: str, empty: bool = True) -> list[Any]:
    """A list of values from a list, tuple, set, Index, array or Series.

    A bare string is an error, not a list of its characters: ``"cto"`` is
    one role, and ``["cto"]`` is what the caller meant.
    """
    if isinstance(value, str | bytes):
        raise ValidationTypeError(
            f"{name} must be a list of values, got the string {fmt(value)}; "
            f"to pass one value write [{fmt(value)}]"
        )
    if isinstance(value, Mapping | pd.DataFrame) or not isinstance(value, Iterable):
        raise ValidationTypeError(f"{name} must be a list of values, got {fmt(value)}")
    items = list(value)
    if not empty and not items:
        raise ValidationError(f"{name} must not be empty", code="empty", parameter=name)
    return items


def check_timestamp(
    value: object,
    *,
    name: str,
    tz: Any = None,
    data: str = "the data's times",
    end_of_day: bool = False,
) -> pd.Timestamp:
    """A timestamp-like option (Timestamp, datetime, ISO text) compared with datetimes in zone ``tz``.

    Numbers are rejected (``5.0`` is not a date), as are missing values,
    text that is no date, dates outside what pandas can hold, and a naive
    time for tz-aware data or the other way round. A date without a time
    (``"2026-09-30"``, a ``datetime.date``) is that day in the data's zone;
    with ``end_of_day`` it means the end of that day (an ``as_of`` or the
    end of a window: every event of that day counts), else its start.
    """
    if isinstance(value, bool | np.bool_ | numbers.Number):
        raise ValidationTypeError(
            f"{name} must be a timestamp (e.g. '2026-04-01'), got {fmt(value)}"
        )
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError) as err:  # OutOfBoundsDatetime is a ValueError
        raise ValidationError(f"{name} is not a timestamp pandas can hold: {fmt(value)}") from err
    if pd.isna(stamp):
        raise ValidationError(
            f"{name} must not be missing (NaT)", code="missing_value", parameter=name
        )
    if _date_only(value, stamp):
        if tz is not None and stamp.tz is None:
            stamp = stamp.tz_localize(tz)  # a date is that day where the data's times are
        if end_of_day:
            stamp = _last_tick_of_day(stamp)
    if (stamp.tz is None) != (tz is None):
        raise ValidationError(
            f"{name} {stamp} is {'naive' if stamp.tz is None else 'tz-aware'} but {data} "
            f"{'is naive' if tz is None else f'is tz-aware ({tz})'}; use one kind"
        )
    return stamp


def _date_only(value: object, stamp: pd.Timestamp) -> bool:
    """Whether a timestamp-like value is a calendar date with no time of day."""
    if isinstance(value, _dt.datetime | pd.Timestamp):
        return False
    if isinstance(value, _dt.date):
        return True
    if isinstance(value, np.datetime64):
        return np.datetime_data(value.dtype)[0] in ("D", "W", "M", "Y")
    # text such as "2026-09-30" or "30 Sep 2026": no clock time written, parsed at midnight
    return isinstance(value, str) and ":" not in value and stamp == stamp.normalize()


def _last_tick_of_day(stamp: pd.Timestamp) -> pd.Timestamp:
    """The last representable moment of the stamp's day (a day later would overflow: as is)."""
    for unit in ("ns", "us", "ms", "s"):  # the finest unit that holds the day
        try:
            start = stamp.as_unit(unit)
            return start + pd.Timedelta(days=1) - pd.Timedelta(1, unit=unit)
        except (OverflowError, ValueError):
            continue
    return stamp


def datetime_days(column: pd.Series, name: str) -> npt.NDArray[np.float64]:
    """Float days since the epoch (UTC) of a datetime column, NaN where missing, in its own unit."""
    if not pd.api.types.is_datetime64_any_dtype(column.dtype):
        raise ValidationTypeError(f"column {name!r} must hold datetimes, got dtype {column.dtype}")
    values = datetime_array(column)
    ticks = np.asarray(values.asi8)
    days = ticks / TICKS_PER_DAY[values.unit]
    days[ticks == _NAT] = np.nan
    return days


def numeric_values(column: pd.Series, name: str) -> npt.NDArray[np.float64]:
    """A numeric column as float64 (NaN where missing); text, booleans and dates are errors."""
    dtype = column.dtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        raise ValidationTypeError(
            f"column {name!r} must hold numbers, got dtype {dtype}"
            + (
                "; convert text with pandas.to_numeric"
                if pd.api.types.is_string_dtype(dtype)
                else ""
            )
        )
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def paired(first: _A, second: _B, *, names: tuple[str, str]) -> tuple[_A, _B]:
    """Two inputs paired row by row: Series are matched by label, never by position.

    Series with equal indexes are returned as they are; the same unique
    labels in another order (two ``value_counts()`` results) put ``second``
    in ``first``'s order; any other difference is an error, because pairing
    by position would match rows to the wrong ones. Arrays pair by position.
    ``first`` may be a DataFrame (its rows are paired with ``second``).
    """
    if not (isinstance(first, pd.Series | pd.DataFrame) and isinstance(second, pd.Series)):
        return first, second
    if first.index.equals(second.index):
        return first, second
    a, b = names
    if first.index.is_unique and second.index.is_unique and len(first) == len(second):
        pos = second.index.get_indexer(first.index)
        if (pos >= 0).all():
            return first, second.iloc[pos].set_axis(first.index)  # type: ignore[return-value]
    only_first = first.index.difference(second.index, sort=False)
    only_second = second.index.difference(first.index, sort=False)
    if len(only_first) or len(only_second):
        label, where = (only_first[0], a) if len(only_first) else (only_second[0], b)
        detail = f"label {fmt(label)} is in {where} only"
    else:
        detail = "their labels repeat differently"
    raise ValidationError(
        f"{a} and {b} are Series with different indexes ({detail}); "
        "index them alike so that no row is paired with the wrong one"
    )


def real_to_float(value: object) -> object:
    """A real number (int, float, numpy scalar, Fraction) as a float; anything else as it is.

    The converter of every numeric model field: models hold plain floats,
    so they compare, hash and serialise alike. Booleans, text and integers
    too large for a float are left for the field's validator to reject.
    """
    if isinstance(value, bool | np.bool_):
        return value
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:
            return value
    return value


def outcome_flags(
    frame: pd.DataFrame, outcome: object, *, name: str, purpose: str
) -> npt.NDArray[np.bool_]:
    """Won/lost flags paired with ``frame``'s rows: both classes present, one per row.

    ``outcome`` is a Series (matched by label), an array or a list; ``name``
    names the frame and ``purpose`` ends the error for a single class.
    """
    _, flags = paired(frame, outcome, names=(name, "outcome"))
    won = as_bool_array(flags, name="outcome")
    if won.shape[0] != len(frame):
        raise ValidationError(
            f"outcome must have one value per row of {name} ({len(frame)}), got {won.shape[0]}"
        )
    if won.all() or not won.any():
        raise ValidationError(f"outcome must hold both won and lost rows {purpose}")
    return won
