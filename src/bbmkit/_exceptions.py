"""The exceptions raised at bbmkit's public boundary, with machine-readable fields."""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["ERROR_CODES", "ValidationError", "ValidationTypeError"]

#: Every ``code`` a :class:`ValidationError` may carry, with its meaning.
ERROR_CODES: dict[str, str] = {
    "missing_column": "a column the call needs is not in the table",
    "duplicate_column": "a column name appears more than once",
    "missing_value": "a value is missing (None, NaN, NaT) or infinite where one is needed",
    "wrong_type": "a value of the wrong type (text for a number, a list for a table, ...)",
    "out_of_range": "a number outside its allowed range",
    "not_a_choice": "a value that is not one of the allowed options",
    "empty": "an empty table, list or mapping where entries are needed",
    "duplicate": "an id, name or label given twice where each must be unique",
    "unknown_value": "a label the model or table does not know (an event type, stage, id)",
    "unknown_field": "a document or record field that is not allowed",
    "missing_field": "a required document or record field is absent",
    "too_large": "a document, string or list beyond the loading limits",
    "too_deep": "a document or rule nested beyond its limit",
    "unsupported_version": "a document written by a newer bbmkit",
    "invalid": "a value or combination of values the call cannot use",
}

_MESSAGE_LIMIT = 1_000  # messages quote excerpts; a runaway one is cut, never echoed in full
_UNSET: Any = object()

# the leading word of a message is the parameter it is about ("weight must be ..."),
# unless it is one of these words of plain prose
_PROSE = frozenset(
    {
        "a", "an", "the", "give", "no", "every", "this", "one", "each", "cannot", "event",
        "contact", "count", "transition", "state", "rows", "ICP", "wins_", "criterion",
        "scoring", "document", "split", "what",
    }
)  # fmt: skip
_LEADING = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)")
_COLUMN = re.compile(r"\bcolumns? '([^']+)'")
_RECORD_FIELD = re.compile(r"^(\w+)\[[^\]]*\]\['([^']+)'\]")
_DOCUMENT_FIELD = re.compile(r"\bfield '([^']+)'")
_PHRASES: tuple[tuple[str, str], ...] = (
    ("is missing from", "missing_column"),
    ("unknown field", "unknown_field"),
    ("missing field", "missing_field"),
    ("has no field", "missing_field"),
    ("with no points", "unknown_value"),
    ("newer than", "unsupported_version"),
    ("allowed (Limits.", "too_large"),
    ("levels deep", "too_deep"),
    ("nested too deeply", "too_deep"),
    ("appears", "duplicate"),
    ("duplicat", "duplicate"),
    ("twice", "duplicate"),
    ("more than once", "duplicate"),
    ("must be unique", "duplicate"),
    ("in two ", "duplicate"),
    ("must not be missing", "missing_value"),
    ("is missing", "missing_value"),
    ("missing or infinite", "missing_value"),
    ("infinite", "missing_value"),
    ("must be one of", "not_a_choice"),
    ("is empty", "empty"),
    ("must not be empty", "empty"),
    ("must be non-empty", "empty"),
    ("must be a finite number", "out_of_range"),
    ("must be an integer >=", "out_of_range"),
    ("must be an integer <=", "out_of_range"),
    ("must be in [", "out_of_range"),
    ("must be in (", "out_of_range"),
    ("not in ", "unknown_value"),
    ("unknown", "unknown_value"),
)


def _safe_value(value: object) -> object:
    """``value`` as JSON-safe data to show: small scalars as they are, else a short repr."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) < 2**53:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:77] + "..."
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ValidationError(ValueError):
    """Invalid input to a bbmkit function or model.

    The message names the parameter or column and the offending value, e.g.
    ``column 'employees' is missing from frame (have: industry, region)``.
    The same facts are fields, so a service can answer with a structured
    body (an HTTP 422) instead of parsing text.

    Attributes
    ----------
    code : str
        A stable code from :data:`ERROR_CODES` (``"missing_column"``,
        ``"out_of_range"``, ...).
    parameter : str or None
        The parameter, option or document field at fault (``"weight"``,
        ``"records"``, ``"stages[1]"``).
    column : str or None
        The column (or record field) at fault.
    value : object
        The offending value where it is safe to show: a small number, a
        bool, text of at most 80 characters, or a short repr; ``None`` when
        not recorded.

    Examples
    --------
    >>> import bbmkit
    >>> try:
    ...     bbmkit.at_least("employees", 100, weight=-1)
    ... except bbmkit.ValidationError as err:
    ...     print(err)
    ...     print(err.code, err.parameter, err.value)
    weight must be a finite number > 0, got -1.0 for criterion 'employees'
    out_of_range weight -1.0
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        parameter: str | None = None,
        column: str | None = None,
        value: object = _UNSET,
    ) -> None:
        message = str(message)
        if len(message) > _MESSAGE_LIMIT:
            message = message[: _MESSAGE_LIMIT - 3] + "..."
        super().__init__(message)
        if parameter is None and column is None:
            parameter, column = _names_in(message)
        self.parameter = parameter
        self.column = column
        self.code = code if code is not None else _code_of(message, self)
        self.value = None if value is _UNSET else _safe_value(value)

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword fields survive pickling (Dask ships errors between processes)
        return (type(self), (str(self),), dict(self.__dict__))

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON-ready data: the body of an HTTP 422 response.

        Returns
        -------
        dict
            ``error`` (the class name), ``code``, ``message``, ``parameter``,
            ``column`` and ``value``; absent facts are ``None``.

        Examples
        --------
        >>> import pandas as pd
        >>> from bbmkit import ICPProfile, ValidationError, at_least
        >>> try:
        ...     ICPProfile([at_least("employees", 100)]).fit(pd.DataFrame({"size": [5]}))
        ... except ValidationError as err:
        ...     body = err.to_dict()
        >>> body["code"], body["column"]
        ('missing_column', 'employees')
        """
        return {
            "error": type(self).__name__,
            "code": self.code,
            "message": str(self),
            "parameter": self.parameter,
            "column": self.column,
            "value": self.value,
        }


class ValidationTypeError(ValidationError, TypeError):
    """An argument of the wrong type (a string where a number is needed, ...).

    It is both a :class:`ValidationError` and a :class:`TypeError`, so either
    ``except`` clause catches it; its ``code`` is ``"wrong_type"`` unless a
    more precise one applies.

    Examples
    --------
    >>> import bbmkit
    >>> try:
    ...     bbmkit.at_least("employees", "100")
    ... except TypeError as err:
    ...     print(type(err).__name__, "-", err)
    ...     print(err.code, err.parameter)
    ValidationTypeError - value must be a real number, got '100' (str) for criterion 'employees'
    wrong_type value
    """


def _names_in(message: str) -> tuple[str | None, str | None]:
    """The parameter and column a message is about, by the messages' conventions."""
    record = _RECORD_FIELD.match(message)
    if record:
        return record.group(1), record.group(2)
    column = _COLUMN.search(message)
    leading = _LEADING.match(message)
    parameter = leading.group(1) if leading and leading.group(1) not in _PROSE else None
    if parameter == "column" and column is not None and column.start() == 0:
        parameter = None  # "column 'x' ...": about a column, not the parameter named column
    if parameter is None:
        field = _DOCUMENT_FIELD.search(message)
        parameter = field.group(1) if field else None
    return parameter, column.group(1) if column else None


def _code_of(message: str, error: ValidationError) -> str:
    if isinstance(error, TypeError):
        return "wrong_type"
    for phrase, code in _PHRASES:
        if phrase in message:
            if code == "missing_column" and error.column is None:
                continue
            return code
    return "invalid"
