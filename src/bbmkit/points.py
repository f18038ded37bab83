"""Attribute points and letter grades: demographic and firmographic scoring.

Behavioural scores (:class:`~bbmkit.ScoringModel`) count what a contact
*does*; attribute points count what a contact *is*: job title, company
size, country. Marketing-automation tools keep both: a table of points per
attribute value, where a value that does not match can subtract points and
an unknown value is neutral, and (Account Engagement) a letter grade moved
up or down by thirds of a letter.

* :func:`points_for` gives points per value of a categorical column
  (``{"CEO": 20, "Student": -20}``), ``default`` for any other value and
  ``missing`` for an empty one.
* :func:`points_between` gives points per numeric band
  (``[(0, 50, 0), (50, 500, 10), (500, None, 20)]``: ``[low, high)``,
  ``None`` for an open end).
* :class:`PointsTable` adds the items up, optionally clipped to ``floor``
  and ``cap``; :meth:`PointsTable.explain` shows every item's points.
* :func:`letter_grade` turns notches (thirds of a letter) into grades on
  the 13-step scale ``F, D-, D, D+, ..., A, A+``.

Everything is vectorised: one pass per item over the column, whatever the
number of rows.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._validation import (
    as_series,
    check_frame,
    check_in_choices,
    check_number,
    fmt,
    numeric_values,
    real_to_float,
    require_columns,
)

__all__ = [
    "GRADE_SCALE",
    "OddsScale",
    "PointsBetween",
    "PointsFor",
    "PointsTable",
    "letter_grade",
    "points_between",
    "points_for",
]

Value: TypeAlias = str | int | float | bool

#: The 13 letter grades from worst to best; a notch is one step (a third of a letter).
GRADE_SCALE: tuple[str, ...] = (
    "F",
    "D-",
    "D",
    "D+",
    "C-",
    "C",
    "C+",
    "B-",
    "B",
    "B+",
    "A-",
    "A",
    "A+",
)

# --------------------------------------------------------------------------
# items


def _check_name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationTypeError(f"{what} must be a non-empty string, got {fmt(value)}")
    return value


def _validate_column(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_name(value, attribute.name)


def _validate_points_value(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    check_number(value, name=attribute.name, context=f" for {instance._label()}")


def _points_field() -> Any:
    """An item's ``default`` or ``missing`` points: a finite number, 0 unless given."""
    return attrs.field(
        default=0.0, kw_only=True, converter=real_to_float, validator=_validate_points_value
    )


def _name_field() -> Any:
    """An item's name: its column unless given."""
    return attrs.field(
        default=attrs.Factory(lambda self: self.column, takes_self=True),
        kw_only=True,
        validator=_validate_column,
    )


def _key(value: object, where: str) -> Value:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValidationError(f"{where} must be a finite value, got {fmt(value)}")
        return int(value) if isinstance(value, numbers.Integral) else number
    raise ValidationTypeError(
        f"{where} must be a string, number or bool (a column value), got {fmt(value)}"
    )


def _pairs_converter(points: object) -> object:
    """Value -> points as a tuple of (value, float) pairs, from a mapping or pairs."""
    if isinstance(points, Mapping):
        items: Iterable[Any] = points.items()
    elif isinstance(points, str | bytes) or not isinstance(points, Iterable):
        return points  # the validator names it
    else:
        items = points
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
            raise ValidationError(f"points[{i}] must be a (value, points) pair, got {fmt(item)}")
        out.append((_key(item[0], f"points key {i}"), real_to_float(item[1])))
    return tuple(out)


@attrs.frozen
class PointsFor:
    """Points per value of one column (built by :func:`points_for`).

    Examples
    --------
    >>> from bbmkit import points_for
    >>> item = points_for("title", {"CEO": 20, "Student": -20})
    >>> item.name, item.points
    ('title', (('CEO', 20.0), ('Student', -20.0)))
    """

    column: str = attrs.field(validator=_validate_column)
    points: tuple[tuple[Value, float], ...] = attrs.field(converter=_pairs_converter)
    default: float = _points_field()
    missing: float = _points_field()
    name: str = _name_field()

    def _label(self) -> str:
        return f"points_for({self.column!r})"

    @points.validator
    def _check_points(self, _: attrs.Attribute[Any], points: object) -> None:
        if not isinstance(points, tuple) or not points:
            raise ValidationTypeError(
                f"points must be a non-empty mapping of value to points for {self._label()}, "
                f"got {fmt(points)}"
            )
        seen: set[object] = set()
        for value, pts in points:
            check_number(pts, name=f"points[{value!r}]", context=f" for {self._label()}")
            # 1 and 1.0 (and True) are one key to a column, as they are to a dict
            marker = (type(value) is str, value)
            if marker in seen:
                raise ValidationError(
                    f"points lists the value {fmt(value)} twice for {self._label()}"
                )
            seen.add(marker)

    def values(self, column: pd.Series) -> npt.NDArray[np.float64]:
        """Points of every row of ``column``.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import points_for
        >>> points_for("title", {"CEO": 20}, default=-5).values(pd.Series(["CEO", "Intern", None]))
        array([20., -5.,  0.])
        """
        return self._values(as_series(column, name="column"))

    def _values(self, column: pd.Series) -> npt.NDArray[np.float64]:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        keys = pd.Index([value for value, _ in self.points], dtype=object)
        table = np.array([pts for _, pts in self.points] + [self.default], dtype=np.float64)
        found = keys.get_indexer(pd.Index(np.asarray(uniques, dtype=object), dtype=object))
        per_unique = np.append(table[np.where(found < 0, len(keys), found)], self.missing)
        # factorize codes missing values -1: the appended last entry
        return per_unique[np.asarray(codes, dtype=np.intp)]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``points`` as [value, points] pairs: JSON keys would be text).

        Examples
        --------
        >>> from bbmkit import points_for
        >>> points_for("size", {1: 5}).to_dict()
        {'type': 'points_for', 'column': 'size', 'points': [[1, 5.0]], 'default': 0.0, 'missing': 0.0, 'name': 'size'}
        """
        return {
            "type": "points_for",
            "column": self.column,
            "points": [[value, pts] for value, pts in self.points],
            "default": self.default,
            "missing": self.missing,
            "name": self.name,
        }


def _bands_converter(bands: object) -> object:
    if isinstance(bands, str | bytes) or not isinstance(bands, Iterable):
        return bands
    out = []
    for i, band in enumerate(bands):
        if isinstance(band, str | bytes) or not isinstance(band, Sequence) or len(band) != 3:
            raise ValidationError(
                f"bands[{i}] must be a (low, high, points) triple, got {fmt(band)}"
            )
        low, high, pts = band
        out.append(
            (
                None if low is None else real_to_float(low),
                None if high is None else real_to_float(high),
                real_to_float(pts),
            )
        )
    return tuple(out)


@attrs.frozen
class PointsBetween:
    """Points per numeric band ``[low, high)`` of one column (built by :func:`points_between`).

    Examples
    --------
    >>> from bbmkit import points_between
    >>> points_between("employees", [(0, 50, 0), (50, None, 10)]).bands
    ((0.0, 50.0, 0.0), (50.0, None, 10.0))
    """

    column: str = attrs.field(validator=_validate_column)
    bands: tuple[tuple[float | None, float | None, float], ...] = attrs.field(
        converter=_bands_converter
    )
    default: float = _points_field()
    missing: float = _points_field()
    name: str = _name_field()

    def _label(self) -> str:
        return f"points_between({self.column!r})"

    @bands.validator
    def _check_bands(self, _: attrs.Attribute[Any], bands: object) -> None:
        if not isinstance(bands, tuple) or not bands:
            raise ValidationTypeError(
                f"bands must be a non-empty list of (low, high, points) for {self._label()}, "
                f"got {fmt(bands)}"
            )
        previous_high = -math.inf
        for i, (low, high, pts) in enumerate(bands):
            context = f" for {self._label()}"
            lo = (
                -math.inf
                if low is None
                else check_number(low, name=f"bands[{i}] low", context=context)
            )
            hi = (
                math.inf
                if high is None
                else check_number(high, name=f"bands[{i}] high", context=context)
            )
            check_number(pts, name=f"bands[{i}] points", context=context)
            if not lo < hi:
                raise ValidationError(
                    f"bands[{i}] low must be < high, got {fmt((low, high))}{context}"
                )
            if lo < previous_high:
                raise ValidationError(
                    f"bands must be sorted and must not overlap: bands[{i}] starts at "
                    f"{fmt(low)}, before the previous band ends{context}"
                )
            previous_high = hi

    def values(self, column: pd.Series) -> npt.NDArray[np.float64]:
        """Points of every row of a numeric ``column``.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import points_between
        >>> item = points_between("employees", [(0, 50, 0), (50, 500, 10), (500, None, 20)])
        >>> item.values(pd.Series([10, 50, 499, 5000, None]))
        array([ 0., 10., 10., 20.,  0.])
        """
        return self._values(as_series(column, name="column"))

    def _values(self, column: pd.Series) -> npt.NDArray[np.float64]:
        x = numeric_values(column, self.column)
        lows = np.array([-np.inf if b[0] is None else b[0] for b in self.bands])
        highs = np.array([np.inf if b[1] is None else b[1] for b in self.bands])
        pts = np.array([b[2] for b in self.bands])
        band = np.searchsorted(lows, x, side="right") - 1
        safe = np.maximum(band, 0)
        inside = (band >= 0) & (x < highs[safe])
        out = np.where(inside, pts[safe], self.default)
        out[np.isnan(x)] = self.missing
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data.

        Examples
        --------
        >>> from bbmkit import points_between
        >>> points_between("employees", [(None, 10, -5)]).to_dict()["bands"]
        [[None, 10.0, -5.0]]
        """
        return {
            "type": "points_between",
            "column": self.column,
            "bands": [list(b) for b in self.bands],
            "default": self.default,
            "missing": self.missing,
            "name": self.name,
        }


PointsItem: TypeAlias = PointsFor | PointsBetween


def points_for(
    column: str,
    points: Mapping[Value, float] | Iterable[tuple[Value, float]],
    *,
    default: float = 0.0,
    missing: float = 0.0,
    name: str | None = None,
) -> PointsFor:
    """Points per value of a categorical column (job title, industry, country).

    Parameters
    ----------
    column : str
        The column of the frame scored by :class:`PointsTable`.
    points : mapping or iterable of (value, points)
        Points of each listed value (exact match; negative allowed).
    default : float, default 0
        Points of a value that is not listed ("does not match" may subtract).
    missing : float, default 0
        Points of a missing value ("not known" is usually neutral).
    name : str, optional
        The item's name in :meth:`PointsTable.explain` (default: the column).

    Returns
    -------
    PointsFor

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import points_for
    >>> title = points_for("title", {"CEO": 20, "Student": -20})
    >>> title.values(pd.Series(["CEO", "Student", "Engineer"])).tolist()
    [20.0, -20.0, 0.0]
    """
    extra = {} if name is None else {"name": name}
    return PointsFor(column, points, default=default, missing=missing, **extra)


def points_between(
    column: str,
    bands: Iterable[tuple[float | None, float | None, float]],
    *,
    default: float = 0.0,
    missing: float = 0.0,
    name: str | None = None,
) -> PointsBetween:
    """Points per band of a numeric column (employees, revenue, visits).

    Parameters
    ----------
    column : str
        The numeric column of the frame scored by :class:`PointsTable`.
    bands : iterable of (low, high, points)
        Half-open bands ``low <= value < high``, sorted, not overlapping;
        ``None`` for an open end (``(500, None, 20)``: 500 or more).
    default : float, default 0
        Points of a value in no band (a gap between bands).
    missing : float, default 0
        Points of a missing value.
    name : str, optional
        The item's name in :meth:`PointsTable.explain` (default: the column).

    Returns
    -------
    PointsBetween

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import points_between
    >>> size = points_between("employees", [(0, 50, 0), (50, 500, 10), (500, None, 20)])
    >>> size.values(pd.Series([5, 120, 800])).tolist()
    [0.0, 10.0, 20.0]
    """
    extra = {} if name is None else {"name": name}
    return PointsBetween(column, bands, default=default, missing=missing, **extra)


# --------------------------------------------------------------------------
# the table


def _items_converter(items: object) -> object:
    if isinstance(items, PointsFor | PointsBetween | str | bytes | Mapping) or not isinstance(
        items, Iterable
    ):
        return items
    return tuple(items)


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    check_number(value, name=attribute.name, low=0.0, low_inclusive=False)


def _finite(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    check_number(value, name=attribute.name)


@attrs.frozen
class OddsScale:
    """How points map to odds, the credit-scorecard way.

    ``base_score`` points are odds of ``base_odds`` (won : lost), and every
    ``pdo`` more points double the odds: ``odds = base_odds * 2 **
    ((points - base_score) / pdo)``.

    Examples
    --------
    >>> from bbmkit import OddsScale
    >>> scale = OddsScale(pdo=20, base_score=100, base_odds=1.0)
    >>> scale.probability(120.0)
    0.666...
    >>> scale.points(0.5)
    100.0
    """

    pdo: float = attrs.field(converter=real_to_float, validator=_positive)
    base_score: float = attrs.field(converter=real_to_float, validator=_finite)
    base_odds: float = attrs.field(converter=real_to_float, validator=_positive)

    def probability(self, points: Any) -> Any:
        """Probability of a won outcome at ``points`` (a number, or an array of them).

        Examples
        --------
        >>> from bbmkit import OddsScale
        >>> OddsScale(pdo=20, base_score=100, base_odds=1).probability([80, 100, 140]).round(3)
        array([0.333, 0.5  , 0.8  ])
        """
        values = _reals(points, "points")
        exponent = (values - self.base_score) / self.pdo
        log_odds = np.log(self.base_odds) + exponent * np.log(2.0)
        # the logistic function without overflow for very many or very few points
        out = 0.5 * (1.0 + np.tanh(0.5 * log_odds))
        return float(out) if np.ndim(points) == 0 else out

    def points(self, probability: Any) -> Any:
        """Points at which the probability of a won outcome is ``probability`` (in (0, 1)).

        Examples
        --------
        >>> from bbmkit import OddsScale
        >>> OddsScale(pdo=20, base_score=100, base_odds=1).points(0.8)
        140.0
        """
        p = _reals(probability, "probability")
        if ((p <= 0) | (p >= 1)).any():
            raise ValidationError(
                f"probability must be in (0, 1), got {fmt(p[(p <= 0) | (p >= 1)][0])}"
            )
        out = self.base_score + self.pdo * np.log2(p / (1.0 - p) / self.base_odds)
        return float(out) if np.ndim(probability) == 0 else out

    def to_dict(self) -> dict[str, float]:
        """Plain data.

        Examples
        --------
        >>> from bbmkit import OddsScale
        >>> OddsScale(20, 100, 1).to_dict()
        {'pdo': 20.0, 'base_score': 100.0, 'base_odds': 1.0}
        """
        return {"pdo": self.pdo, "base_score": self.base_score, "base_odds": self.base_odds}


def _reals(value: object, name: str) -> npt.NDArray[np.float64]:
    """Finite numbers from a number or a one-dimensional array, Series or list of them."""
    if np.ndim(value) == 0 and not isinstance(value, str | bytes):  # type: ignore[arg-type]
        return np.asarray(check_number(value, name=name), dtype=np.float64)
    series = as_series(value, name=name)
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise ValidationTypeError(f"{name} must hold numbers, got dtype {series.dtype}")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(values).all():
        raise ValidationError(f"{name} has missing or infinite values")
    return values


def _odds_converter(value: object) -> object:
    if isinstance(value, Mapping):
        body = _fields(
            value,
            "odds",
            {"pdo", "base_score", "base_odds"},
            required=("pdo", "base_score", "base_odds"),
        )
        return OddsScale(body["pdo"], body["base_score"], body["base_odds"])
    return value


def _validate_odds(_: Any, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, OddsScale):
        raise ValidationTypeError(f"odds must be an OddsScale or None, got {fmt(value)}")


def _validate_limit(_: PointsTable, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_number(value, name=attribute.name)


@attrs.frozen
class PointsTable:
    """Attribute points: the sum of its items per row, optionally clipped to ``[floor, cap]``.

    Parameters
    ----------
    items : sequence of PointsFor or PointsBetween
        Built by :func:`points_for` and :func:`points_between`; item names
        must be distinct.
    cap : float, optional
        Highest score.
    floor : float, optional
        Lowest score (``floor <= cap``).
    base : float, default 0
        Points every row starts with (a learned table's intercept).
    odds : OddsScale, optional
        How points map to the odds of a won outcome (set by
        :func:`learn_points`); enables :meth:`probability`.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import PointsTable, points_between, points_for
    >>> table = PointsTable([
    ...     points_for("title", {"CEO": 20, "Manager": 10, "Student": -20}),
    ...     points_between("employees", [(0, 50, 0), (50, 500, 10), (500, None, 20)]),
    ... ], floor=0)
    >>> leads = pd.DataFrame({"title": ["CEO", "Student", None], "employees": [800, 10, 120]},
    ...                      index=["a", "b", "c"])
    >>> table.score(leads).to_dict()
    {'a': 40.0, 'b': 0.0, 'c': 10.0}
    >>> table.explain(leads)
       title  employees  floor
    a   20.0       20.0    0.0
    b  -20.0        0.0   20.0
    c    0.0       10.0    0.0
    """

    items: tuple[PointsItem, ...] = attrs.field(converter=_items_converter)
    cap: float | None = attrs.field(
        default=None, kw_only=True, converter=real_to_float, validator=_validate_limit
    )
    floor: float | None = attrs.field(
        default=None, kw_only=True, converter=real_to_float, validator=_validate_limit
    )
    base: float = attrs.field(default=0.0, kw_only=True, converter=real_to_float, validator=_finite)
    odds: OddsScale | None = attrs.field(
        default=None, kw_only=True, converter=_odds_converter, validator=_validate_odds
    )

    @items.validator
    def _check_items(self, _: attrs.Attribute[Any], items: object) -> None:
        if not isinstance(items, tuple):
            raise ValidationTypeError(
                f"items must be a list of points_for/points_between items, got {fmt(items)}"
            )
        if not items:
            raise ValidationError("items must not be empty: give at least one points item")
        names: set[str] = set()
        for i, item in enumerate(items):
            if not isinstance(item, PointsFor | PointsBetween):
                raise ValidationTypeError(
                    f"items[{i}] must be built by points_for or points_between, got {fmt(item)}"
                )
            if item.name in ("cap", "floor", "base"):
                raise ValidationError(
                    f"items[{i}] is named {item.name!r}, the name of explain()'s adjustment "
                    "column; give it another name=..."
                )
            if item.name in names:
                raise ValidationError(
                    f"items has two items named {item.name!r}; give one of them name=..."
                )
            names.add(item.name)

    def __attrs_post_init__(self) -> None:
        if self.cap is not None and self.floor is not None and self.floor > self.cap:
            raise ValidationError(f"floor must be <= cap, got floor={self.floor}, cap={self.cap}")

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the items read, each once, in item order.

        Examples
        --------
        >>> from bbmkit import PointsTable, points_for
        >>> PointsTable([points_for("title", {"CEO": 5}), points_for("title", {"CTO": 5}, name="cto")]).columns
        ('title',)
        """
        return tuple(dict.fromkeys(item.column for item in self.items))

    def _frame(self, frame: object) -> pd.DataFrame:
        checked = check_frame(frame, name="frame")
        require_columns(checked, list(self.columns), name="frame")
        return checked

    def _matrix(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        out = np.empty((len(frame), len(self.items)))
        for j, item in enumerate(self.items):  # a loop over items, not rows
            out[:, j] = item._values(frame[item.column])
        return out

    def _limits(self, raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        low = -np.inf if self.floor is None else self.floor
        high = np.inf if self.cap is None else self.cap
        return np.clip(raw, low, high)

    def score(self, frame: pd.DataFrame) -> pd.Series:
        """Attribute score of every row, indexed like ``frame``.

        Parameters
        ----------
        frame : pandas.DataFrame
            One row per lead or account with the items' columns (extra
            columns are ignored).

        Returns
        -------
        pandas.Series
            ``"score"``, float.

        Raises
        ------
        ValidationError
            Missing columns, a non-numeric column for :func:`points_between`.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import PointsTable, points_for
        >>> table = PointsTable([points_for("country", {"JP": 10}, default=-10)], cap=5)
        >>> table.score(pd.DataFrame({"country": ["JP", "US"]})).tolist()
        [5.0, -10.0]
        """
        data = self._frame(frame)
        raw = self._matrix(data).sum(axis=1) + self.base
        return pd.Series(self._limits(raw), index=data.index, name="score")

    def probability(self, frame: pd.DataFrame) -> pd.Series:
        """Probability of a won outcome of every row, from its score and :attr:`odds`.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import OddsScale, PointsTable, points_for
        >>> table = PointsTable([points_for("title", {"CEO": 20})], base=80,
        ...                     odds=OddsScale(pdo=20, base_score=100, base_odds=1))
        >>> table.probability(pd.DataFrame({"title": ["CEO", "Intern"]})).round(3).tolist()
        [0.5, 0.333]
        """
        if self.odds is None:
            raise ValidationError(
                "this points table has no odds scale: give odds=OddsScale(...) or learn it "
                "with learn_points",
                parameter="odds",
            )
        score = self.score(frame)
        return pd.Series(
            self.odds.probability(score.to_numpy()), index=score.index, name="probability"
        )

    def explain(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Every item's points per row; a row sums to its :meth:`score`.

        Returns
        -------
        pandas.DataFrame
            ``"base"`` when the table has one, one column per item (its
            name), then ``"cap"`` and ``"floor"``
            (when the table has them): the cut the cap made (<= 0) and what
            the floor added (>= 0). Indexed like ``frame``.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import PointsTable, points_for
        >>> table = PointsTable([points_for("country", {"JP": 10}), points_for("title", {"CEO": 20})], cap=25)
        >>> table.explain(pd.DataFrame({"country": ["JP"], "title": ["CEO"]}))
           country  title  cap
        0     10.0   20.0 -5.0
        """
        data = self._frame(frame)
        matrix = self._matrix(data)
        raw = matrix.sum(axis=1) + self.base
        columns: dict[str, npt.NDArray[np.float64]] = {}
        if self.base:
            columns["base"] = np.full(len(data), self.base)
        columns.update({item.name: matrix[:, j] for j, item in enumerate(self.items)})
        if self.cap is not None:
            columns["cap"] = np.minimum(raw, self.cap) - raw
        if self.floor is not None:
            capped = raw if self.cap is None else np.minimum(raw, self.cap)
            columns["floor"] = np.maximum(capped, self.floor) - capped
        return pd.DataFrame(columns, index=data.index)

    # ---- plain data ------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The table as JSON-ready plain data.

        Examples
        --------
        >>> from bbmkit import PointsTable, points_for
        >>> PointsTable([points_for("title", {"CEO": 20})], cap=50).to_dict()["cap"]
        50.0
        """
        return {
            "items": [item.to_dict() for item in self.items],
            "cap": self.cap,
            "floor": self.floor,
            "base": self.base,
            "odds": None if self.odds is None else self.odds.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PointsTable:
        """Build a table from :meth:`to_dict`'s plain data, validating it.

        Examples
        --------
        >>> from bbmkit import PointsTable, points_for
        >>> table = PointsTable([points_for("title", {"CEO": 20})])
        >>> PointsTable.from_dict(table.to_dict()) == table
        True
        """
        body = _fields(
            data, "points table", {"items", "cap", "floor", "base", "odds"}, required=("items",)
        )
        items = body["items"]
        if isinstance(items, str | bytes | Mapping) or not isinstance(items, Sequence):
            raise ValidationTypeError(
                f"points table field 'items' must be a list, got {fmt(items)}"
            )
        built = [_item_from_dict(item, i) for i, item in enumerate(items)]
        return cls(
            built,
            cap=body.get("cap"),
            floor=body.get("floor"),
            base=body.get("base", 0.0),
            odds=body.get("odds"),
        )


def _fields(
    data: object, what: str, allowed: set[str], *, required: tuple[str, ...]
) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationTypeError(f"{what} must be a mapping, got {fmt(data)}")
    unknown = sorted(map(str, set(data) - allowed))
    if unknown:
        raise ValidationError(
            f"{what} has unknown field(s) {', '.join(map(repr, unknown))} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    absent = [name for name in required if name not in data]
    if absent:
        raise ValidationError(f"{what} is missing field(s) {', '.join(map(repr, absent))}")
    return dict(data)


def _item_from_dict(data: object, i: int) -> PointsItem:
    what = f"points table item {i}"
    if not isinstance(data, Mapping):
        raise ValidationTypeError(f"{what} must be a mapping, got {fmt(data)}")
    kind = data.get("type")
    if kind not in ("points_for", "points_between"):
        raise ValidationError(
            f"{what} field 'type' must be 'points_for' or 'points_between', got {fmt(kind)}"
        )
    values = "points" if kind == "points_for" else "bands"
    body = _fields(
        data,
        what,
        {"type", "column", values, "default", "missing", "name"},
        required=("column", values),
    )
    options = {k: body[k] for k in ("default", "missing", "name") if k in body}
    if kind == "points_for":
        return PointsFor(body["column"], body["points"], **options)
    return PointsBetween(body["column"], body["bands"], **options)


# --------------------------------------------------------------------------
# letter grades


def letter_grade(notches: object, *, start: str = "D") -> Any:
    """Letter grades from notches: thirds of a letter up (+) or down (-) from ``start``.

    The scale has 13 steps, ``F, D-, D, D+, C-, C, C+, B-, B, B+, A-, A,
    A+`` (:data:`GRADE_SCALE`); one notch is one step, so +3 notches is a
    whole letter. A grade starts at ``start`` and moves by the notches,
    clamped at ``F`` and ``A+`` (as Account Engagement grades prospects
    from ``D`` by matching profile criteria).

    Parameters
    ----------
    notches : int, or Series / array / list of int
        Notches per lead, negative allowed (e.g. a
        :meth:`PointsTable.score` whose points are notches).
    start : str, default "D"
        The grade of zero notches, one of :data:`GRADE_SCALE`.

    Returns
    -------
    str or pandas.Series
        A grade for a scalar; otherwise an ordered categorical Series
        ``"grade"`` (``F`` lowest, so grades sort and compare), indexed
        like ``notches``.

    Raises
    ------
    ValidationError
        Missing or non-integer notches, an unknown ``start``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import letter_grade
    >>> letter_grade(3)
    'C'
    >>> grades = letter_grade(pd.Series([0, 1, -1, 4, 30, -9], index=list("abcdef")))
    >>> grades.tolist()
    ['D', 'D+', 'D-', 'C+', 'A+', 'F']
    >>> (grades >= "C").tolist()
    [False, False, False, True, True, False]
    """
    first = GRADE_SCALE.index(check_in_choices(start, name="start", choices=GRADE_SCALE))
    if isinstance(notches, bool | np.bool_) or (
        isinstance(notches, numbers.Real) and not isinstance(notches, numbers.Integral)
    ):
        raise ValidationTypeError(f"notches must be integers, got {fmt(notches)}")
    if isinstance(notches, numbers.Integral):
        return GRADE_SCALE[min(max(first + int(notches), 0), len(GRADE_SCALE) - 1)]
    series = as_series(notches, name="notches")
    if (
        len(series) and not pd.api.types.is_numeric_dtype(series.dtype)
    ) or pd.api.types.is_bool_dtype(series.dtype):
        raise ValidationTypeError(f"notches must be integers, got dtype {series.dtype}")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        where = int(np.argmax(bad))
        raise ValidationError(
            f"notches must be whole numbers, got {fmt(values[where])} at index {fmt(series.index[where])}"
        )
    # clamp in floats first: notches beyond the int range still land on F or A+
    steps = np.clip(first + values, 0, len(GRADE_SCALE) - 1).astype(np.int8)
    dtype = pd.CategoricalDtype(list(GRADE_SCALE), ordered=True)
    grades = pd.Categorical.from_codes(steps, dtype=dtype)
    return pd.Series(grades, index=series.index, name="grade")
