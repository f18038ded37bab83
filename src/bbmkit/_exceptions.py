"""The exceptions raised at bbmkit's public boundary."""

from __future__ import annotations

__all__ = ["ValidationError", "ValidationTypeError"]


class ValidationError(ValueError):
    """Invalid input to a bbmkit function or model.

    The message names the parameter or column and the offending value, e.g.
    ``column 'employees' is missing from frame (have: industry, region)``.

    Examples
    --------
    >>> import bbmkit
    >>> try:
    ...     bbmkit.at_least("employees", 100, weight=-1)
    ... except bbmkit.ValidationError as err:
    ...     print(err)
    weight must be a finite number > 0, got -1.0 for criterion 'employees'
    """


class ValidationTypeError(ValidationError, TypeError):
    """An argument of the wrong type (a string where a number is needed, ...).

    It is both a :class:`ValidationError` and a :class:`TypeError`, so either
    ``except`` clause catches it.

    Examples
    --------
    >>> import bbmkit
    >>> try:
    ...     bbmkit.at_least("employees", "100")
    ... except TypeError as err:
    ...     print(type(err).__name__, "-", err)
    ValidationTypeError - value must be a real number, got '100' (str) for criterion 'employees'
    """
