"""ICP fit: how well leads and accounts match an Ideal Customer Profile.

A profile is a list of weighted criteria on firmographic columns. A row's
fit is the weighted share of the criteria it matches,

    fit = sum(weight_i * match_i) / sum(weight_i),   in [0, 1],

and it is an ICP row when ``fit >= threshold``. A missing value in a
criterion's column never matches that criterion.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal, TypeAlias, cast

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._kernels import (
    BlockMask,
    elementwise_slices,
    run_chunks,
    weighted_contributions,
    weighted_fit_blocks,
)
from bbmkit._repr import TablesRepr
from bbmkit._validation import (
    check_frame,
    check_int,
    check_list,
    check_number,
    check_rate,
    finite_weights,
    fmt,
    outcome_flags,
    real_to_float,
)
from bbmkit._validation import require_columns as _require_columns

__all__ = [
    "AtLeast",
    "AtMost",
    "Between",
    "Criterion",
    "Equals",
    "ICPProfile",
    "OneOf",
    "ProfileSuggestion",
    "RecordFit",
    "at_least",
    "at_most",
    "between",
    "equals",
    "one_of",
    "suggest_profile",
]

Scalar: TypeAlias = str | int | float | bool
Closed: TypeAlias = Literal["both", "left", "right", "neither"]
_CLOSED: tuple[str, ...] = ("both", "left", "right", "neither")

# Fits are sums of at most a few dozen shares, each rounded once; a fit that
# should equal the threshold may land a few ulps below it.
_FIT_TOLERANCE = 1e-12


# --------------------------------------------------------------------------
# converters and validators shared by the criteria


def _optional_real_to_float(value: object) -> object:
    return None if value is None else real_to_float(value)


def _context(instance: Criterion) -> str:
    return f" for criterion {instance.name!r}"


def _validate_weight(instance: Criterion, _: attrs.Attribute[float], value: object) -> None:
    check_number(value, name="weight", low=0.0, low_inclusive=False, context=_context(instance))


def _validate_label(_: Criterion, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationTypeError(f"{attribute.name} must be a non-empty string, got {fmt(value)}")


def _scalar(value: object) -> object:
    """Normalise numpy scalars to Python ones so profiles stay JSON data."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_scalar(value: object, *, name: str, criterion: Criterion) -> None:
    if not isinstance(value, str | int | float | bool):
        raise ValidationTypeError(
            f"{name} must be a string, number or bool, got {fmt(value)} "
            f"({type(value).__name__}){_context(criterion)}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(
            f"{name} must not be {fmt(value)}{_context(criterion)}; missing values "
            "never match, so there is nothing to compare with"
        )


def _values_converter(values: object) -> object:
    # a mapping's keys are no list of values the caller meant
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        return values  # the validator explains
    return tuple(_scalar(v) for v in values)


# --------------------------------------------------------------------------
# criteria


@attrs.frozen(repr=False)
class Criterion:
    """Base class of the ICP criteria: one weighted test on one column.

    Use the constructors :func:`one_of`, :func:`equals`, :func:`between`,
    :func:`at_least` and :func:`at_most` rather than the classes.

    Examples
    --------
    >>> from bbmkit import Criterion, at_least
    >>> crit = at_least("employees", 100, weight=2, name="big_enough")
    >>> isinstance(crit, Criterion), crit.column, crit.weight, crit.name
    (True, 'employees', 2.0, 'big_enough')
    """

    kind: ClassVar[str] = ""

    column: str = attrs.field(validator=_validate_label)
    weight: float = attrs.field(
        default=1.0, kw_only=True, converter=real_to_float, validator=_validate_weight
    )
    name: str = attrs.field(kw_only=True, validator=_validate_label)

    @name.default
    def _default_name(self) -> str:
        return self.column

    # ---- behaviour -------------------------------------------------------

    def match(self, frame: pd.DataFrame) -> pd.Series:
        """Whether each row of ``frame`` meets the criterion (missing = no).

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import at_least
        >>> at_least("employees", 100).match(pd.DataFrame({"employees": [50, 100, None]}))
        0    False
        1     True
        2    False
        Name: employees, dtype: bool
        """
        frame = check_frame(frame)
        _require_columns(frame, [self.column])
        return pd.Series(self._mask(frame[self.column]), index=frame.index, name=self.name)

    def _mask(self, column: pd.Series) -> npt.NDArray[np.bool_]:
        return self._block_mask(column)(slice(0, len(column)))

    def _record_matcher(self) -> Callable[[object], bool]:
        """A function telling whether one record's value meets the criterion (the table path's rules)."""
        raise NotImplementedError

    def _block_mask(self, column: pd.Series) -> BlockMask:
        """Check ``column`` once; the result gives the matches of any block of its rows.

        The fused fit kernel asks for cache-sized blocks on several threads,
        so the returned function must be cheap per call and thread-safe.
        """
        raise NotImplementedError

    # ---- plain data ------------------------------------------------------

    def _params(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The criterion as JSON-ready plain data (see :meth:`ICPProfile.to_dict`).

        Examples
        --------
        >>> from bbmkit import between
        >>> doc = between("employees", 100, 1000, weight=2).to_dict()
        >>> doc["kind"], doc["column"], doc["low"], doc["high"], doc["closed"], doc["weight"]
        ('between', 'employees', 100.0, 1000.0, 'both', 2.0)
        """
        return {
            "kind": self.kind,
            "column": self.column,
            **self._params(),
            "weight": self.weight,
            "name": self.name,
        }

    def __repr__(self) -> str:
        params = self._params()
        positional = [repr(self.column)]
        keywords = []
        for key, value in params.items():
            if key in self._positional:
                positional.append(repr(value))
            elif value != self._defaults.get(key):
                keywords.append(f"{key}={value!r}")
        keywords.append(f"weight={self.weight!r}")
        if self.name != self.column:
            keywords.append(f"name={self.name!r}")
        return f"{self.kind}({', '.join(positional + keywords)})"

    _positional: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, object]] = {}


def _numeric_values(criterion: Criterion, column: pd.Series) -> npt.NDArray[np.float64]:
    """The column as float64 with NaN for missing; numeric columns only."""
    dtype = column.dtype
    if not pd.api.types.is_numeric_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        raise ValidationTypeError(
            f"criterion {criterion.name!r} ({criterion.kind}) needs a numeric column, "
            f"column {criterion.column!r} has dtype {dtype}"
        )
    if dtype == np.float64:  # NaN is already the missing value: a view, no copy
        return column.to_numpy()
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def _is_text_dtype(dtype: object) -> bool:
    if isinstance(dtype, pd.CategoricalDtype):
        return _is_text_dtype(dtype.categories.dtype)
    return isinstance(dtype, pd.StringDtype)


def _isin_block_mask(
    criterion: Criterion, column: pd.Series, values: tuple[Scalar, ...]
) -> BlockMask:
    dtype = column.dtype
    numeric_column = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if numeric_column and not isinstance(dtype, pd.CategoricalDtype):
        texts = [v for v in values if isinstance(v, str)]
        if texts:
            raise ValidationTypeError(
                f"criterion {criterion.name!r} compares numeric column {criterion.column!r} "
                f"(dtype {dtype}) with text {fmt(texts[0])}"
            )
    elif _is_text_dtype(dtype):
        others = [v for v in values if not isinstance(v, str)]
        if others:
            raise ValidationTypeError(
                f"criterion {criterion.name!r} compares text column {criterion.column!r} "
                f"with non-text value {fmt(others[0])}"
            )
    if isinstance(dtype, pd.CategoricalDtype):
        # test the few categories once, then look each row's code up (-1 = missing)
        hit = np.append(dtype.categories.isin(list(values)), False)
        codes = column.array.codes  # a view of the codes (Series.cat.codes copies them)
        wanted = [int(code) for code in np.flatnonzero(hit[:-1])]
        if len(wanted) <= 4:  # a few comparisons of the small codes beat a gather
            return lambda rows: _any_code(codes[rows], wanted)
        return lambda rows: hit[codes[rows]]
    found = _arrow_isin(column, values)
    if found is None:
        found = column.isin(list(values)).to_numpy(dtype=bool, na_value=False)
    return lambda rows: found[rows]


def _any_code(codes: npt.NDArray[np.integer[Any]], wanted: list[int]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(codes.shape[0], dtype=bool)
    for code in wanted:
        mask |= codes == code
    return mask


def _arrow_isin(column: pd.Series, values: tuple[Scalar, ...]) -> npt.NDArray[np.bool_] | None:
    """Matches of an Arrow-backed string column, on the thread pool; ``None`` for other columns.

    A few values are compared byte for byte (Arrow's ``equal``), which is
    several times cheaper than hashing every string as ``isin`` does; Arrow
    releases the GIL, so the row chunks run in parallel.
    """
    dtype = column.dtype
    arrow_backed = (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") or (
        isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype) in ("string", "large_string")
    )
    if not arrow_backed or not all(isinstance(v, str) for v in values):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(column.array)
    value_set = None if len(values) <= 4 else pa.array(list(values), type=arr.type)
    found = np.empty(len(arr), dtype=bool)

    def chunk(rows: slice) -> None:
        part = arr.slice(rows.start, rows.stop - rows.start)
        if value_set is None:
            hit = pc.equal(part, values[0])
            for value in values[1:]:
                hit = pc.or_(hit, pc.equal(part, value))
        else:
            hit = pc.is_in(part, value_set=value_set)
        # a missing string never matches
        found[rows] = hit.fill_null(False).to_numpy(zero_copy_only=False)

    run_chunks(chunk, elementwise_slices(len(arr)))
    return found


def _is_missing_scalar(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and value != value


def _number_of_record(criterion: Criterion, value: object) -> float | None:
    """A record's value for a numeric criterion; None when missing (no match)."""
    if type(value) is int:
        return float(value)
    if type(value) is float:
        return None if value != value else value
    if _is_missing_scalar(value):
        return None
    if not isinstance(value, numbers.Real):
        raise ValidationTypeError(
            f"criterion {criterion.name!r} ({criterion.kind}) needs a number, field "
            f"{criterion.column!r} is {fmt(value)}"
        )
    return float(value)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _isin_matcher(criterion: Criterion, values: tuple[Scalar, ...]) -> Callable[[object], bool]:
    texts = [v for v in values if isinstance(v, str)]
    others = [v for v in values if not isinstance(v, str)]
    wanted = frozenset(values)

    def match(value: object) -> bool:
        if type(value) is str and not others:  # text against text: a set lookup
            return value in wanted
        if _is_missing_scalar(value):
            return False
        if isinstance(value, str) and others:
            raise ValidationTypeError(
                f"criterion {criterion.name!r} compares text field {criterion.column!r} "
                f"with non-text value {fmt(others[0])}"
            )
        if _is_number(value) and texts:
            raise ValidationTypeError(
                f"criterion {criterion.name!r} compares numeric field {criterion.column!r} "
                f"({fmt(value)}) with text {fmt(texts[0])}"
            )
        try:
            return value in wanted
        except TypeError:  # an unhashable value: compare one by one
            return any(value == v for v in values)

    return match


def _validate_values(
    instance: OneOf, _: attrs.Attribute[tuple[Scalar, ...]], values: object
) -> None:
    if isinstance(values, str | bytes):
        raise ValidationTypeError(
            f"values must be a list of values, got the string {fmt(values)}"
            f"{_context(instance)}; use equals() for a single value"
        )
    if not isinstance(values, tuple):
        raise ValidationTypeError(
            f"values must be a list of values, got {fmt(values)}{_context(instance)}"
        )
    if not values:
        raise ValidationError(f"values must not be empty{_context(instance)}")
    for value in values:
        _check_scalar(value, name="values", criterion=instance)


@attrs.frozen(repr=False)
class OneOf(Criterion):
    """Matches rows whose value is one of ``values``. See :func:`one_of`.

    Examples
    --------
    >>> from bbmkit import OneOf, one_of
    >>> isinstance(one_of("industry", ["software"]), OneOf)
    True
    """

    kind: ClassVar[str] = "one_of"
    _positional: ClassVar[tuple[str, ...]] = ("values",)

    values: tuple[Scalar, ...] = attrs.field(
        converter=_values_converter, validator=_validate_values
    )

    def _block_mask(self, column: pd.Series) -> BlockMask:
        return _isin_block_mask(self, column, self.values)

    def _record_matcher(self) -> Callable[[object], bool]:
        return _isin_matcher(self, self.values)

    def _params(self) -> dict[str, Any]:
        return {"values": list(self.values)}


def _validate_value(instance: Criterion, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_scalar(value, name=attribute.name, criterion=instance)


@attrs.frozen(repr=False)
class Equals(Criterion):
    """Matches rows equal to ``value``. See :func:`equals`.

    Examples
    --------
    >>> from bbmkit import equals
    >>> equals("region", "EMEA").value
    'EMEA'
    """

    kind: ClassVar[str] = "equals"
    _positional: ClassVar[tuple[str, ...]] = ("value",)

    value: Scalar = attrs.field(converter=_scalar, validator=_validate_value)

    def _block_mask(self, column: pd.Series) -> BlockMask:
        return _isin_block_mask(self, column, (self.value,))

    def _record_matcher(self) -> Callable[[object], bool]:
        return _isin_matcher(self, (self.value,))

    def _params(self) -> dict[str, Any]:
        return {"value": self.value}


def _validate_bound(instance: Criterion, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name in ("low", "high"):
        return
    check_number(value, name=attribute.name, context=_context(instance))


@attrs.frozen(repr=False)
class Between(Criterion):
    """Matches numeric rows between ``low`` and ``high``. See :func:`between`.

    Examples
    --------
    >>> from bbmkit import between
    >>> (between("employees", 10, 50).low, between("employees", high=50).low)
    (10.0, None)
    """

    kind: ClassVar[str] = "between"
    _defaults: ClassVar[dict[str, object]] = {
        "low": None,
        "high": None,
        "closed": "both",
    }

    low: float | None = attrs.field(
        default=None, converter=_optional_real_to_float, validator=_validate_bound
    )
    high: float | None = attrs.field(
        default=None, converter=_optional_real_to_float, validator=_validate_bound
    )
    closed: Closed = attrs.field(default="both", kw_only=True)

    @closed.validator
    def _check_closed(self, _: attrs.Attribute[str], value: object) -> None:
        if not isinstance(value, str) or value not in _CLOSED:
            raise ValidationError(
                f"closed must be one of {', '.join(map(repr, _CLOSED))}, got "
                f"{fmt(value)}{_context(self)}"
            )
        if self.low is None and self.high is None:
            raise ValidationError(f"between needs low, high or both{_context(self)}; got neither")
        if self.low is not None and self.high is not None:
            if self.low > self.high:
                raise ValidationError(
                    f"low must be <= high, got low={self.low!r}, high={self.high!r}{_context(self)}"
                )
            if self.low == self.high and value != "both":
                raise ValidationError(
                    f"low == high == {self.low!r} with closed={value!r} matches "
                    f"nothing{_context(self)}; use closed='both' or equals()"
                )

    def _block_mask(self, column: pd.Series) -> BlockMask:
        x = _numeric_values(self, column)
        low, high, closed = self.low, self.high, self.closed

        def mask(rows: slice) -> npt.NDArray[np.bool_]:
            # comparisons with NaN are False, so missing values never match
            block = x[rows]
            out: npt.NDArray[np.bool_] | None = None
            if low is not None:
                out = block >= low if closed in ("both", "left") else block > low
            if high is not None:
                upper = block <= high if closed in ("both", "right") else block < high
                out = upper if out is None else np.logical_and(out, upper, out=out)
            assert out is not None  # between() needs low, high or both
            return out

        return mask

    def _record_matcher(self) -> Callable[[object], bool]:
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        left, right = self.closed in ("both", "left"), self.closed in ("both", "right")

        def match(value: object) -> bool:
            x = _number_of_record(self, value)
            if x is None:
                return False
            return (x >= low if left else x > low) and (x <= high if right else x < high)

        return match

    def _params(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "closed": self.closed}


@attrs.frozen(repr=False)
class _NumericBound(Criterion):
    """A one-sided numeric comparison with ``value``."""

    _positional: ClassVar[tuple[str, ...]] = ("value",)

    value: float = attrs.field(converter=real_to_float, validator=_validate_bound)

    def _params(self) -> dict[str, Any]:
        return {"value": self.value}


@attrs.frozen(repr=False)
class AtLeast(_NumericBound):
    """Matches numeric rows ``>= value``. See :func:`at_least`.

    Examples
    --------
    >>> from bbmkit import at_least
    >>> at_least("employees", 100).kind
    'at_least'
    """

    kind: ClassVar[str] = "at_least"

    def _block_mask(self, column: pd.Series) -> BlockMask:
        x, value = _numeric_values(self, column), self.value
        return lambda rows: x[rows] >= value

    def _record_matcher(self) -> Callable[[object], bool]:
        def match(value: object) -> bool:
            x = _number_of_record(self, value)
            return x is not None and x >= self.value

        return match


@attrs.frozen(repr=False)
class AtMost(_NumericBound):
    """Matches numeric rows ``<= value``. See :func:`at_most`.

    Examples
    --------
    >>> from bbmkit import at_most
    >>> at_most("employees", 5000).to_dict()["value"]
    5000.0
    """

    kind: ClassVar[str] = "at_most"

    def _block_mask(self, column: pd.Series) -> BlockMask:
        x, value = _numeric_values(self, column), self.value
        return lambda rows: x[rows] <= value

    def _record_matcher(self) -> Callable[[object], bool]:
        def match(value: object) -> bool:
            x = _number_of_record(self, value)
            return x is not None and x <= self.value

        return match


_KINDS: dict[str, type[Criterion]] = {
    cls.kind: cls for cls in (OneOf, Equals, Between, AtLeast, AtMost)
}


def _named(name: str | None) -> dict[str, str]:
    return {} if name is None else {"name": name}


def one_of(
    column: str,
    values: Iterable[Scalar],
    *,
    weight: float = 1.0,
    name: str | None = None,
) -> OneOf:
    """Criterion: the value of ``column`` is one of ``values``.

    Works on string, categorical, numeric and boolean columns; a missing
    value never matches.

    Parameters
    ----------
    column : str
        Column of the frame to test.
    values : iterable of str, int, float or bool
        Accepted values (not a single string: use :func:`equals`).
    weight : float, default 1.0
        Relative importance, a finite number > 0.
    name : str, optional
        Name of the criterion in :meth:`ICPProfile.explain`; defaults to
        ``column``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import one_of
    >>> crit = one_of("industry", ["software", "manufacturing"], weight=2)
    >>> crit
    one_of('industry', ['software', 'manufacturing'], weight=2.0)
    >>> crit.match(pd.DataFrame({"industry": ["software", "retail", None]})).tolist()
    [True, False, False]
    """
    return OneOf(column, cast(tuple[Scalar, ...], values), weight=weight, **_named(name))


def equals(column: str, value: Scalar, *, weight: float = 1.0, name: str | None = None) -> Equals:
    """Criterion: the value of ``column`` equals ``value``.

    Parameters
    ----------
    column : str
        Column of the frame to test.
    value : str, int, float or bool
        The value to match (not NaN: missing values never match).
    weight : float, default 1.0
        Relative importance, a finite number > 0.
    name : str, optional
        Name of the criterion; defaults to ``column``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import equals
    >>> equals("region", "EMEA").match(pd.DataFrame({"region": ["EMEA", "APAC"]})).tolist()
    [True, False]
    """
    return Equals(column, value, weight=weight, **_named(name))


def between(
    column: str,
    low: float | None = None,
    high: float | None = None,
    *,
    weight: float = 1.0,
    closed: Closed = "both",
    name: str | None = None,
) -> Between:
    """Criterion: the numeric value of ``column`` lies between ``low`` and ``high``.

    Parameters
    ----------
    column : str
        Numeric column of the frame to test.
    low, high : float, optional
        Bounds; at least one is required, ``low <= high``. A missing bound is
        unbounded on that side.
    weight : float, default 1.0
        Relative importance, a finite number > 0.
    closed : {"both", "left", "right", "neither"}, default "both"
        Which bounds are included.
    name : str, optional
        Name of the criterion; defaults to ``column``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import between
    >>> crit = between("employees", 100, 1000, closed="left")
    >>> crit
    between('employees', low=100.0, high=1000.0, closed='left', weight=1.0)
    >>> crit.match(pd.DataFrame({"employees": [99, 100, 1000, None]})).tolist()
    [False, True, False, False]
    """
    return Between(column, low, high, weight=weight, closed=closed, **_named(name))


def at_least(column: str, value: float, *, weight: float = 1.0, name: str | None = None) -> AtLeast:
    """Criterion: the numeric value of ``column`` is ``>= value``.

    Parameters
    ----------
    column : str
        Numeric column of the frame to test.
    value : float
        Smallest matching value.
    weight : float, default 1.0
        Relative importance, a finite number > 0.
    name : str, optional
        Name of the criterion; defaults to ``column``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import at_least
    >>> at_least("employees", 100).match(pd.DataFrame({"employees": [50, 100]})).tolist()
    [False, True]
    """
    return AtLeast(column, value, weight=weight, **_named(name))


def at_most(column: str, value: float, *, weight: float = 1.0, name: str | None = None) -> AtMost:
    """Criterion: the numeric value of ``column`` is ``<= value``.

    Parameters
    ----------
    column : str
        Numeric column of the frame to test.
    value : float
        Largest matching value.
    weight : float, default 1.0
        Relative importance, a finite number > 0.
    name : str, optional
        Name of the criterion; defaults to ``column``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import at_most
    >>> at_most("employees", 5000).match(pd.DataFrame({"employees": [50, 9000]})).tolist()
    [True, False]
    """
    return AtMost(column, value, weight=weight, **_named(name))


# --------------------------------------------------------------------------
# the profile


def _criteria_converter(criteria: object) -> object:
    if isinstance(criteria, Criterion | str | bytes | Mapping) or not isinstance(
        criteria, Iterable
    ):
        return criteria  # the validator explains
    return tuple(criteria)


def _validate_criteria(_: ICPProfile, __: attrs.Attribute[Any], criteria: object) -> None:
    if not isinstance(criteria, tuple):
        raise ValidationTypeError(
            f"criteria must be a list of criteria (one_of, between, ...), got {fmt(criteria)}"
        )
    if not criteria:
        raise ValidationError("criteria must not be empty: a profile needs at least one criterion")
    for criterion in criteria:
        if not isinstance(criterion, Criterion):
            raise ValidationTypeError(
                f"criteria must hold criteria (one_of, between, ...), got {fmt(criterion)}"
            )
    names = [c.name for c in criteria]
    for n in names:
        if names.count(n) > 1:
            raise ValidationError(
                f"criterion names must be unique, {n!r} is used {names.count(n)} times; "
                "pass name= to tell them apart",
                code="duplicate",
                parameter="criteria",
            )


def _validate_threshold(_: ICPProfile, __: attrs.Attribute[float], value: object) -> None:
    check_rate(value, name="threshold")


_PROFILE_KEYS = frozenset({"criteria", "threshold"})


# the hash is cached: the record path looks the profile's weights up by it
@attrs.frozen(cache_hash=True)
class ICPProfile:
    """An Ideal Customer Profile: weighted criteria and an ICP threshold.

    Parameters
    ----------
    criteria : sequence of Criterion
        Built with :func:`one_of`, :func:`equals`, :func:`between`,
        :func:`at_least`, :func:`at_most`. Names must be unique.
    threshold : float, default 0.5
        A row is ICP when its fit is ``>= threshold`` (in [0, 1]).

    Notes
    -----
    ``fit = sum(weight_i * match_i) / sum(weight_i)``. A missing value in a
    criterion's column is "no match" for that criterion; a missing column is
    a :class:`~bbmkit.ValidationError`. Profiles are frozen: use
    :func:`attrs.evolve` for what-if variants, and :meth:`to_dict` /
    :meth:`from_dict` to store them as JSON.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import ICPProfile, one_of, between
    >>> profile = ICPProfile(
    ...     [one_of("industry", ["software", "manufacturing"], weight=3),
    ...      between("employees", 100, 1000, weight=1)],
    ...     threshold=0.75,
    ... )
    >>> leads = pd.DataFrame(
    ...     {"industry": ["software", "retail", "manufacturing"],
    ...      "employees": [250, 400, 5000]},
    ...     index=["a", "b", "c"],
    ... )
    >>> profile.fit(leads)
    a    1.00
    b    0.25
    c    0.75
    Name: icp_fit, dtype: float64
    >>> profile.is_icp(leads).tolist()
    [True, False, True]
    >>> profile.explain(leads)
       industry  employees
    a      0.75       0.25
    b      0.00       0.25
    c      0.75       0.00
    """

    criteria: tuple[Criterion, ...] = attrs.field(
        converter=_criteria_converter, validator=_validate_criteria
    )
    threshold: float = attrs.field(
        default=0.5,
        kw_only=True,
        converter=real_to_float,
        validator=_validate_threshold,
    )

    @property
    def columns(self) -> tuple[str, ...]:
        """The frame columns the profile reads, in criterion order, unique.

        Examples
        --------
        >>> from bbmkit import ICPProfile, at_least, at_most, equals
        >>> ICPProfile([at_least("e", 1), at_most("e", 9, name="e_max"), equals("r", "x")]).columns
        ('e', 'r')
        """
        return tuple(dict.fromkeys(c.column for c in self.criteria))

    @property
    def weights(self) -> pd.Series:
        """Normalised weights (summing to 1) indexed by criterion name.

        Examples
        --------
        >>> from bbmkit import ICPProfile, equals
        >>> ICPProfile([equals("a", 1, weight=3), equals("b", 1)]).weights.tolist()
        [0.75, 0.25]
        """
        raw = self._raw_weights()
        return pd.Series(raw / raw.sum(), index=[c.name for c in self.criteria], name="weight")

    def _raw_weights(self) -> npt.NDArray[np.float64]:
        return finite_weights(np.array([c.weight for c in self.criteria], dtype=np.float64))

    def _matches(self, frame: object) -> tuple[pd.DataFrame, npt.NDArray[np.bool_]]:
        frame = check_frame(frame)
        _require_columns(frame, self.columns)
        matches = np.empty((len(frame), len(self.criteria)), dtype=bool, order="F")
        for k, criterion in enumerate(self.criteria):
            matches[:, k] = criterion._mask(frame[criterion.column])
        return frame, matches

    def fit(self, frame: pd.DataFrame) -> pd.Series:
        """ICP fit of every row, a float in [0, 1].

        Parameters
        ----------
        frame : pandas.DataFrame
            One row per lead or account, with the columns the criteria name.

        Returns
        -------
        pandas.Series
            ``"icp_fit"``, same index as ``frame``.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import ICPProfile, equals, at_least
        >>> p = ICPProfile([equals("region", "EMEA"), at_least("employees", 100)])
        >>> p.fit(pd.DataFrame({"region": ["EMEA", None], "employees": [10, 500]})).tolist()
        [0.5, 0.5]
        """
        frame = check_frame(frame)
        _require_columns(frame, self.columns)
        masks = [c._block_mask(frame[c.column]) for c in self.criteria]
        return pd.Series(
            weighted_fit_blocks(masks, self._raw_weights(), len(frame)),
            index=frame.index,
            name="icp_fit",
            copy=False,  # a fresh array: pandas 3 would copy it again
        )

    def is_icp(self, frame: pd.DataFrame) -> pd.Series:
        """Whether each row is ICP: ``fit >= threshold``.

        Returns
        -------
        pandas.Series
            ``"is_icp"``, bool, same index as ``frame``.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import ICPProfile, equals, at_least
        >>> p = ICPProfile([equals("region", "EMEA"), at_least("employees", 100)], threshold=1)
        >>> p.is_icp(pd.DataFrame({"region": ["EMEA", "EMEA"], "employees": [10, 500]})).tolist()
        [False, True]
        """
        fit = self.fit(frame)
        return (fit >= self.threshold - _FIT_TOLERANCE).rename("is_icp")

    def explain(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Each criterion's contribution to the fit, ``weight_i * match_i / sum(weight)``.

        Returns
        -------
        pandas.DataFrame
            One column per criterion name, same index as ``frame``; each row
            sums to that row's :meth:`fit`.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import ICPProfile, equals, at_least
        >>> p = ICPProfile([equals("region", "EMEA", weight=3), at_least("employees", 100)])
        >>> p.explain(pd.DataFrame({"region": ["EMEA"], "employees": [500]}))
           region  employees
        0    0.75       0.25
        """
        frame, matches = self._matches(frame)
        return pd.DataFrame(
            weighted_contributions(matches, self._raw_weights()),
            index=frame.index,
            columns=pd.Index([c.name for c in self.criteria]),
        )

    def fit_record(self, record: Mapping[str, Any]) -> RecordFit:
        """ICP fit of one lead or account given as a mapping: the real-time path.

        The same numbers and checks as :meth:`fit`, :meth:`is_icp` and
        :meth:`explain` on a one-row frame, computed in plain Python (a few
        microseconds instead of building a DataFrame).

        Parameters
        ----------
        record : mapping
            Field name to value, with a field for every column the criteria
            name (other fields are ignored); ``None`` or NaN is missing
            (no match).

        Returns
        -------
        RecordFit
            ``fit``, ``is_icp`` and ``contributions`` (criterion name to its
            share of the fit, as :meth:`explain` gives).

        Raises
        ------
        ValidationError
            ``record`` is not a mapping or lacks a criterion's field; text
            where a criterion needs a number, or the other way round.

        See Also
        --------
        fit : The fit of every row of a table.

        Examples
        --------
        >>> from bbmkit import ICPProfile, one_of, between
        >>> profile = ICPProfile([one_of("industry", ["software"], weight=3),
        ...                       between("employees", 100, 1000)], threshold=0.75)
        >>> result = profile.fit_record({"industry": "software", "employees": 5000})
        >>> result.fit, result.is_icp, result.contributions
        (0.75, True, {'industry': 0.75, 'employees': 0.0})
        """
        if not isinstance(record, Mapping):
            raise ValidationTypeError(
                f"record must be a mapping of field names to values, got {fmt(record)}"
            )
        contributions: dict[str, float] = {}
        fit = 0.0
        for criterion, share, match in _record_plan(self):
            try:
                value = record[criterion.column]
            except KeyError:
                raise ValidationError(
                    f"record has no field {criterion.column!r} (criterion {criterion.name!r}); "
                    f"it has: {', '.join(map(str, list(record)[:8]))}"
                ) from None
            part = share if match(value) else 0.0
            contributions[criterion.name] = part
            fit += part  # left to right, as the table path adds
        fit = min(fit, 1.0)
        return RecordFit(
            fit=fit, is_icp=fit >= self.threshold - _FIT_TOLERANCE, contributions=contributions
        )

    # ---- plain data ------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The profile as JSON-ready plain data (no pickle, no code).

        Examples
        --------
        >>> import json
        >>> from bbmkit import ICPProfile, one_of, at_least
        >>> p = ICPProfile([one_of("industry", ["software"]), at_least("employees", 50)])
        >>> doc = json.dumps(p.to_dict())
        >>> ICPProfile.from_dict(json.loads(doc)) == p
        True
        """
        return {
            "criteria": [c.to_dict() for c in self.criteria],
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ICPProfile:
        """Build a profile from :meth:`to_dict`'s plain data, validating it.

        Unknown or missing keys and wrong types are a
        :class:`~bbmkit.ValidationError` naming the field.

        Examples
        --------
        >>> from bbmkit import ICPProfile
        >>> ICPProfile.from_dict({"criteria": [
        ...     {"kind": "at_least", "column": "employees", "value": 100}]})
        ICPProfile(criteria=(at_least('employees', 100.0, weight=1.0),), threshold=0.5)
        """
        if not isinstance(data, Mapping):
            raise ValidationTypeError(
                f"profile must be a mapping, got {fmt(data)}", parameter="data"
            )
        _check_keys(
            data,
            allowed=_PROFILE_KEYS,
            required=frozenset({"criteria"}),
            where="profile",
        )
        criteria = data["criteria"]
        if isinstance(criteria, str | bytes | Mapping) or not isinstance(criteria, Iterable):
            raise ValidationTypeError(
                f"profile field 'criteria' must be a list, got {fmt(criteria)}"
            )
        built = [_criterion_from_dict(item, i) for i, item in enumerate(criteria)]
        return cls(built, **({"threshold": data["threshold"]} if "threshold" in data else {}))


@functools.lru_cache(maxsize=128)
def _record_plan(profile: ICPProfile) -> list[tuple[Criterion, float, Callable[[object], bool]]]:
    """Each criterion with its share of the fit and its one-value matcher."""
    weights = profile._raw_weights()
    shares = (weights / weights.sum()).tolist()
    return [
        (c, share, c._record_matcher()) for c, share in zip(profile.criteria, shares, strict=True)
    ]


@attrs.frozen
class RecordFit:
    """One record's ICP fit from :meth:`ICPProfile.fit_record`.

    Attributes
    ----------
    fit : float
        The weighted share of the criteria met, in [0, 1].
    is_icp : bool
        ``fit >= threshold``.
    contributions : dict of str to float
        Each criterion's share of ``fit`` (0.0 when not met).

    Examples
    --------
    >>> from bbmkit import ICPProfile, equals
    >>> ICPProfile([equals("region", "EMEA")]).fit_record({"region": None})
    RecordFit(fit=0.0, is_icp=False, contributions={'region': 0.0})
    """

    fit: float
    is_icp: bool
    contributions: dict[str, float]


def _check_keys(
    data: Mapping[str, Any],
    *,
    allowed: frozenset[str],
    required: frozenset[str],
    where: str,
) -> None:
    unknown = sorted(map(str, set(data) - allowed))
    if unknown:
        raise ValidationError(
            f"{where} has unknown field(s) {', '.join(map(repr, unknown))} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    missing = sorted(required - set(data))
    if missing:
        raise ValidationError(f"{where} is missing field(s) {', '.join(map(repr, missing))}")


_CRITERION_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "one_of": (frozenset({"values"}), frozenset({"values"})),
    "equals": (frozenset({"value"}), frozenset({"value"})),
    "between": (frozenset({"low", "high", "closed"}), frozenset()),
    "at_least": (frozenset({"value"}), frozenset({"value"})),
    "at_most": (frozenset({"value"}), frozenset({"value"})),
}


def _criterion_from_dict(item: object, position: int) -> Criterion:
    where = f"criteria[{position}]"
    if not isinstance(item, Mapping):
        raise ValidationTypeError(f"{where} must be a mapping, got {fmt(item)}")
    kind = item.get("kind")
    if kind not in _KINDS:
        raise ValidationError(
            f"{where} field 'kind' must be one of {', '.join(map(repr, _KINDS))}, got {fmt(kind)}"
        )
    own, required = _CRITERION_FIELDS[kind]
    _check_keys(
        item,
        allowed=own | {"kind", "column", "weight", "name"},
        required=required | {"column"},
        where=where,
    )
    kwargs = {k: v for k, v in item.items() if k != "kind"}
    factory: Callable[..., Criterion] = _KINDS[kind]
    return factory(**kwargs)


# --------------------------------------------------------------------------
# learning aid: suggest a profile from the best customers


@attrs.frozen(repr=False)
class ProfileSuggestion(TablesRepr):
    """What :func:`suggest_profile` proposes, with the evidence behind it.

    Attributes
    ----------
    profile : ICPProfile
        The suggested profile (selected criteria, weight = lift).
    evidence : pandas.DataFrame
        One row per examined column, indexed by column: ``kind``
        (``"one_of"``/``"between"``), ``rule`` (the criterion's repr),
        ``top_share`` and ``base_share`` (share of top and of all customers
        the rule matches), ``lift`` (their ratio) and ``selected``.
    cutoff : float
        Smallest ``value`` counted among the top customers.
    n_top : int
        Number of top customers.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import suggest_profile
    >>> frame = pd.DataFrame({"seg": ["a", "a", "b", "b"], "ltv": [9, 8, 1, 2]})
    >>> s = suggest_profile(frame, value="ltv", top=0.5)
    >>> s.n_top, s.cutoff, s.profile.criteria
    (2, 8.0, (one_of('seg', ['a'], weight=2.0),))
    """

    profile: ICPProfile
    evidence: pd.DataFrame = attrs.field(eq=False)
    cutoff: float
    n_top: int


def _text_like(series: pd.Series) -> bool:
    dtype = series.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype | pd.StringDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
    )


def suggest_profile(
    customers: pd.DataFrame,
    *,
    value: str | None = None,
    outcome: str | pd.Series | npt.ArrayLike | None = None,
    min_count: int | None = None,
    top: float = 0.25,
    columns: Iterable[str] | None = None,
    min_lift: float = 1.2,
    coverage: float = 0.8,
    max_categories: int = 20,
    threshold: float = 0.5,
) -> ProfileSuggestion:
    """Propose ICP criteria from the highest-value customers.

    A learning aid: a starting point for a human to review, not a fitted
    model. Nothing here tests significance; with few customers, read the
    evidence before trusting a rule.

    Method: the *top* customers are the ``top`` share with the highest
    ``value`` (e.g. LTV or deal value; ties at the cut-off are all included),
    or, with ``outcome``, the won (converted) rows among all leads or deals.
    For each text, categorical or boolean column, the categories whose share
    among top customers is at least ``min_lift`` times their share among all
    customers become a :func:`one_of` rule. For each numeric column, the
    range holding the central ``coverage`` of the top customers' values
    becomes a :func:`between` rule (bounds rounded outwards to three
    significant digits). A rule is kept when its lift — the share
    of top customers it matches divided by the share of all customers it
    matches — is at least ``min_lift``, and its weight is that lift (rounded
    to two decimals). Missing values never match and count in every share's
    denominator. Categories with fewer than ``min_count`` rows are never
    proposed: one lead is no evidence.

    With ``outcome``, a numeric column may also yield a one-sided rule
    (:func:`at_least` or :func:`at_most` at a decile of the column): of the
    central range and the one-sided rules, the one whose share of won rows
    most exceeds its share of all rows is the candidate (at least
    ``min_count`` won rows must match it, and a one-sided rule must beat
    chance by three standard errors: many bounds are tried), so "at least
    500 seconds on the site" is found where a central range would blur it.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer with firmographic columns and a value column.
    value : str, optional
        Numeric column ranking the customers (no missing values).
    outcome : str, Series or array of bool, optional
        Instead of ``value``: won (converted) or not per row, a column name
        or values paired with the rows (a Series by label). Exactly one of
        ``value`` and ``outcome``.
    min_count : int, optional
        Fewest rows a category needs to be proposed. Default 10 with
        ``outcome``, 1 with ``value`` (a handful of best customers).
    top : float, default 0.25
        Share of customers regarded as the best (the top quartile), in (0, 1).
    columns : iterable of str, optional
        Columns to examine; default all but ``value``.
    min_lift : float, default 1.2
        Smallest lift that makes a category or rule worth proposing (> 1).
    coverage : float, default 0.8
        Share of top customers a numeric range covers, in (0, 1].
    max_categories : int, default 20
        Text columns with more distinct values (ids, names) are skipped.
    threshold : float, default 0.5
        Threshold of the suggested profile.

    Returns
    -------
    ProfileSuggestion
        ``.profile`` and ``.evidence`` (one row per examined column, with
        ``reason``: why its rule was kept, or why there is none).

    Raises
    ------
    ValidationError
        Bad parameters or columns, missing values in ``value``, fewer than two
        customers, or no rule reaching ``min_lift``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit.icp import suggest_profile
    >>> customers = pd.DataFrame({
    ...     "industry": ["software"] * 3 + ["retail"] * 5,
    ...     "employees": [300, 500, 800, 20, 40, 5000, 60, 30],
    ...     "ltv": [90, 80, 70, 10, 20, 30, 15, 25],
    ... })
    >>> s = suggest_profile(customers, value="ltv", top=0.25, coverage=1.0)
    >>> for criterion in s.profile.criteria:
    ...     print(criterion)
    one_of('industry', ['software'], weight=2.67)
    between('employees', low=300.0, high=500.0, weight=4.0)
    >>> s.evidence[["top_share", "base_share", "lift"]]
               top_share  base_share      lift
    industry         1.0       0.375  2.666667
    employees        1.0       0.250  4.000000
    """
    frame = check_frame(customers, name="customers")
    if (value is None) == (outcome is None):
        raise ValidationError(
            "give value (a column ranking customers) or outcome, exactly one", parameter="value"
        )
    if value is not None:
        _require_columns(frame, [value], name="customers")
    least = check_int(
        (10 if outcome is not None else 1) if min_count is None else min_count,
        name="min_count",
        low=1,
    )
    top = check_number(
        top, name="top", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    min_lift = check_number(min_lift, name="min_lift", low=1.0, low_inclusive=False)
    coverage = check_number(coverage, name="coverage", low=0.0, high=1.0, low_inclusive=False)
    if (
        isinstance(max_categories, bool)
        or not isinstance(max_categories, int)
        or max_categories < 1
    ):
        raise ValidationError(f"max_categories must be an integer >= 1, got {fmt(max_categories)}")
    check_rate(threshold, name="threshold")

    label = value if value is not None else outcome if isinstance(outcome, str) else None
    names = (
        [c for c in frame.columns if c != label]
        if columns is None
        else check_list(columns, name="columns")
    )
    _require_columns(frame, names, name="customers")
    if label is not None and label in names:
        raise ValidationError(
            f"columns must not include the value column {label!r} (it ranks the rows)"
        )
    if outcome is not None:
        is_top, cutoff = _outcome_rows(frame, outcome), math.nan
    else:
        is_top, cutoff = _top_rows(frame, str(value), top)
    n_top = int(is_top.sum())

    rows: list[dict[str, Any]] = []
    selected: list[Criterion] = []
    for column in names:
        series = frame[column]
        candidate: Criterion | None
        reason = ""
        if _text_like(series):
            candidate, reason = _suggest_categories(
                series, is_top, str(column), min_lift, max_categories, least
            )
        elif pd.api.types.is_numeric_dtype(series.dtype):
            if outcome is not None:
                candidate = _suggest_bound(series, is_top, str(column), coverage, least)
            else:
                candidate = _suggest_range(series, is_top, str(column), coverage)
            reason = "" if candidate is not None else "no known value among the top rows"
        else:
            candidate, reason = None, f"dtype {series.dtype} is not profile material"
        if candidate is None:
            rows.append(
                {
                    "column": column,
                    "kind": None,
                    "rule": None,
                    "top_share": np.nan,
                    "base_share": np.nan,
                    "lift": np.nan,
                    "selected": False,
                    "reason": reason,
                }
            )
            continue
        matched = candidate._mask(series)
        top_share = matched[is_top].mean()
        base_share = matched.mean()
        lift = top_share / base_share if base_share > 0 else 0.0
        keep = bool(lift >= min_lift)
        if keep:
            candidate = attrs.evolve(candidate, weight=round(lift, 2))
            selected.append(candidate)
        rows.append(
            {
                "column": column,
                "kind": candidate.kind,
                "rule": repr(candidate),
                "top_share": top_share,
                "base_share": base_share,
                "lift": lift,
                "selected": keep,
                "reason": (reason + "; " if reason else "")
                + ("kept" if keep else f"lift below min_lift={min_lift:g}"),
            }
        )
    evidence = pd.DataFrame(
        rows,
        columns=["column", "kind", "rule", "top_share", "base_share", "lift", "selected", "reason"],
    ).set_index("column")
    evidence.index.name = None
    if not selected:
        raise ValidationError(
            f"no column separates the top {n_top} rows from the rest with lift >= "
            f"{min_lift:g} (examined: {', '.join(map(str, names)) or 'none'}); "
            "lower min_lift or examine other columns",
            parameter="min_lift",
        )
    return ProfileSuggestion(
        profile=ICPProfile(selected, threshold=threshold),
        evidence=evidence,
        cutoff=cutoff,
        n_top=n_top,
    )


def _outcome_rows(frame: pd.DataFrame, outcome: object) -> npt.NDArray[np.bool_]:
    if isinstance(outcome, str):
        _require_columns(frame, [outcome], name="customers")
        outcome = frame[outcome]
    return outcome_flags(frame, outcome, name="customers", purpose="to compare them")


def _top_rows(frame: pd.DataFrame, value: str, top: float) -> tuple[npt.NDArray[np.bool_], float]:
    ranking = frame[value]
    if not pd.api.types.is_numeric_dtype(ranking.dtype) or pd.api.types.is_bool_dtype(
        ranking.dtype
    ):
        raise ValidationTypeError(f"column {value!r} must be numeric, has dtype {ranking.dtype}")
    scores = ranking.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(scores).any():
        raise ValidationError(
            f"column {value!r} has {int(np.isnan(scores).sum())} missing value(s); "
            "customers without a value cannot be ranked"
        )
    n = scores.size
    if n < 2:
        raise ValidationError(f"customers needs at least 2 rows to compare, got {n}")

    n_top = max(1, math.ceil(top * n))
    cutoff = float(np.sort(scores)[n - n_top])
    return scores >= cutoff, cutoff


def _suggest_categories(
    series: pd.Series,
    is_top: npt.NDArray[np.bool_],
    column: str,
    min_lift: float,
    max_categories: int,
    min_count: int,
) -> tuple[Criterion | None, str]:
    """The categories over-represented among the top rows, and why (or why none)."""
    observed = series.value_counts(dropna=True, sort=False)
    observed = observed[observed > 0]
    if observed.empty:
        return None, "no known value"
    if len(observed) > max_categories:
        return None, f"{len(observed)} distinct values (> max_categories={max_categories})"
    top_counts = (
        series[is_top].value_counts(dropna=True, sort=False).reindex(observed.index, fill_value=0)
    )
    lift = (top_counts / is_top.sum()) / (observed / len(series))
    backed = observed >= min_count
    over = lift[(lift >= min_lift) & backed].sort_values(ascending=False, kind="stable")
    thin = int(((lift >= min_lift) & ~backed).sum())
    note = f"{thin} value(s) with fewer than min_count={min_count} rows left out" if thin else ""
    if over.empty:
        return None, note or f"no value with lift >= min_lift={min_lift:g}"
    values = [_scalar(v) for v in over.index]
    return OneOf(column, tuple(values)), note


def _suggest_bound(
    series: pd.Series,
    is_top: npt.NDArray[np.bool_],
    column: str,
    coverage: float,
    min_count: int,
) -> Criterion | None:
    """Of the central range and one-sided bounds at deciles, the one that best separates."""
    x = series.to_numpy(dtype=np.float64, na_value=np.nan)
    known = x[~np.isnan(x)]
    central = _suggest_range(series, is_top, column, coverage)
    if central is None:
        return None
    candidates: list[Criterion] = [central]
    for q in np.unique(np.quantile(known, np.arange(1, 10) / 10)):  # a loop over deciles
        edge = float(q)
        candidates.append(AtLeast(column, _round_sig(edge, math.floor)))
        candidates.append(AtMost(column, _round_sig(edge, math.ceil)))
    best, best_gap = central, -math.inf
    n_top = int(is_top.sum())
    for candidate in candidates:
        matched = candidate._mask(series)
        if int(matched[is_top].sum()) < min_count:
            continue
        base = float(matched.mean())
        gap = float(matched[is_top].mean()) - base
        # eighteen bounds are tried: one wins only by more than chance (3 standard errors)
        noise = 3.0 * math.sqrt(base * (1.0 - base) / n_top)
        if candidate is not central and gap <= noise:
            continue
        if gap > best_gap:
            best, best_gap = candidate, gap
    return best


def _suggest_range(
    series: pd.Series, is_top: npt.NDArray[np.bool_], column: str, coverage: float
) -> Criterion | None:
    x = series.to_numpy(dtype=np.float64, na_value=np.nan)[is_top]
    x = x[~np.isnan(x)]
    if x.size == 0:
        return None
    tail = (1.0 - coverage) / 2.0
    low, high = np.quantile(x, [tail, 1.0 - tail])
    # three significant digits, rounded outwards so the range never covers less
    return Between(column, _round_sig(float(low), math.floor), _round_sig(float(high), math.ceil))


def _round_sig(x: float, direction: Callable[[float], int], digits: int = 3) -> float:
    if x == 0.0:
        return 0.0
    scale = 10.0 ** (math.floor(math.log10(abs(x))) - digits + 1)
    return float(round(direction(x / scale) * scale, 12))
