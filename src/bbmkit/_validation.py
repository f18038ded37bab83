"""The one validation layer: checks run once at the public boundary.

Everything below this module (``bbmkit._kernels``) takes plain, already
checked numpy arrays and never validates.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._kernels import any_equal, divided

NS_PER_DAY = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min

__all__ = [
    "as_bool_array",
    "check_band",
    "check_frame",
    "check_in_choices",
    "check_int",
    "check_no_missing",
    "check_number",
    "check_rate",
    "fmt",
    "raw_times",
    "require_columns",
    "times_as_days",
]

_MAX_SHOWN = 8


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
        if column not in present:
            raise ValidationError(f"column {column!r} is missing from {name} (have: {_list(have)})")
        if column in repeated:
            raise ValidationError(
                f"column {column!r} appears {have.count(column)} times in {name}; "
                "which one to use is ambiguous"
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
            f"{name} must be a real number, got {fmt(value)} ({type(value).__name__}){context}"
        )
    number = float(value)
    ok = math.isfinite(number)
    if ok and low is not None:
        ok = number >= low if low_inclusive else number > low
    if ok and high is not None:
        ok = number <= high if high_inclusive else number < high
    if not ok:
        bounds = _range_text(low, high, low_inclusive, high_inclusive)
        raise ValidationError(f"{name} must be a finite number{bounds}, got {fmt(value)}{context}")
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


def check_int(value: object, *, name: str, low: int | None = None) -> int:
    """An integer (not a bool, not a float), optionally ``>= low``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise ValidationTypeError(
            f"{name} must be an integer, got {fmt(value)} ({type(value).__name__})"
        )
    if low is not None and value < low:
        raise ValidationError(f"{name} must be an integer >= {low}, got {fmt(value)}")
    return int(value)


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
            f"{name} must be one of {', '.join(map(repr, choices))}, got {fmt(value)}"
        )
    return value


def as_bool_array(values: object, *, name: str) -> npt.NDArray[np.bool_]:
    """A one-dimensional boolean array from a bool/0-1 Series, array or list.

    Missing values are an error: an unknown status cannot be counted as
    either answer without changing the result.
    """
    if isinstance(values, pd.DataFrame):
        raise ValidationTypeError(
            f"{name} must be one-dimensional (a Series or array), got a DataFrame"
        )
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.ndim != 1:
        raise ValidationError(f"{name} must be one-dimensional")
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
            f"column {name!r} has {int(missing.sum())} missing value(s) (first at index {fmt(first)})"
        )


def _utc_nanoseconds(column: pd.Series) -> npt.NDArray[np.int64]:
    """Nanoseconds since the epoch (UTC) of a datetime column: a view when stored in ns."""
    values = column.array
    if getattr(values, "unit", None) == "ns" and hasattr(values, "asi8"):
        # tz-aware datetimes are stored in UTC; NaT is the int64 minimum
        return np.asarray(values.asi8)
    if getattr(column.dtype, "tz", None) is not None:
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    return column.to_numpy(dtype="datetime64[ns]").view(np.int64)


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


def raw_times(
    column: pd.Series, name: str
) -> tuple[npt.NDArray[np.int64] | npt.NDArray[np.float64], float | None, Any]:
    """Times as stored: UTC nanoseconds (datetimes, a view when possible) or float days.

    Returns the values, how many of their units make a day (``None`` for
    days) and the time zone as :func:`times_as_days` does. Kernels divide
    in cache-sized blocks instead of materialising float days.
    """
    dtype = column.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        tz = getattr(dtype, "tz", None)
        ns = _utc_nanoseconds(column)
        if any_equal(ns, _NAT):
            check_no_missing(column, name)
        return ns, float(NS_PER_DAY), tz
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
