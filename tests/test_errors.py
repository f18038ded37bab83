"""Machine-readable errors: codes, parameter and column fields, ``to_dict``, every raise site."""

from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path

import pandas as pd
import pytest

import bbmkit as bk
from bbmkit import ERROR_CODES, ValidationError, ValidationTypeError, serialize
from bbmkit._exceptions import _names_in

SOURCE = Path(bk.__file__).parent


def _sample(node: ast.expr) -> str | None:
    """A message like the one a raise site builds: formatted parts stand in as text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for i, value in enumerate(node.values):
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:  # a leading {name} is the parameter's name; later ones are values
                parts.append("param" if i == 0 else "'v'")
        return "".join(parts)
    return None


def _raise_sites() -> list[tuple[str, int, ast.Call]]:
    sites = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                if isinstance(func, ast.Name) and func.id in (
                    "ValidationError",
                    "ValidationTypeError",
                ):
                    sites.append((path.name, node.lineno, node.exc))
    return sites


def test_every_raise_site_names_a_parameter_or_column() -> None:
    sites = _raise_sites()
    assert len(sites) > 400
    unnamed = []
    for filename, line, call in sites:
        given = {k.arg for k in call.keywords}
        if given & {"parameter", "column"}:
            if "code" in given:
                code = next(k.value for k in call.keywords if k.arg == "code")
                if isinstance(code, ast.Constant):
                    assert code.value in ERROR_CODES, (filename, line, code.value)
            continue
        message = _sample(call.args[0]) if call.args else None
        if message is None:
            continue  # a message built elsewhere (a variable): covered by the contract sweep
        parameter, column = _names_in(message)
        if parameter is None and column is None:
            unnamed.append(f"{filename}:{line}: {message[:70]}")
    assert not unnamed, "raise sites whose error names no parameter or column:\n" + "\n".join(
        unnamed
    )


def _error(call: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call()  # type: ignore[operator]
    return info.value


def test_typical_errors_carry_code_parameter_column_and_value() -> None:
    profile = bk.ICPProfile([bk.at_least("employees", 100)])
    err = _error(lambda: profile.fit(pd.DataFrame({"size": [5]})))
    assert (err.code, err.parameter, err.column) == ("missing_column", "frame", "employees")
    err = _error(lambda: bk.at_least("employees", 100, weight=-2))
    assert (err.code, err.parameter, err.value) == ("out_of_range", "weight", -2.0)
    err = _error(lambda: bk.at_least("employees", "100"))
    assert isinstance(err, ValidationTypeError)
    assert (err.code, err.parameter, err.value) == ("wrong_type", "value", "100")
    model = bk.ScoringModel({"visit": 5})
    events = pd.DataFrame({"contact_id": [1], "event_type": ["chat"], "timestamp": [1.0]})
    err = _error(lambda: model.score(events))
    assert (err.code, err.column) == ("unknown_value", "event_type")
    err = _error(lambda: model.score(events, unknown="drop"))  # type: ignore[arg-type]
    assert (err.code, err.parameter, err.value) == ("not_a_choice", "unknown", "drop")
    missing = events.assign(contact_id=[None])
    err = _error(lambda: model.score(missing.assign(event_type=["visit"])))
    assert (err.code, err.column) == ("missing_value", "contact_id")
    err = _error(lambda: model.score_records([{"contact_id": 1, "event_type": "visit"}]))
    assert (err.code, err.parameter, err.column) == ("missing_field", "records", None)
    err = _error(lambda: serialize.from_dict({"type": "funnel", "version": 9}))
    assert (err.code, err.parameter) == ("unsupported_version", "version")
    err = _error(lambda: bk.Funnel(["a", "a"], [0.5]))
    assert err.code == "duplicate"


def test_to_dict_is_json_and_values_are_safe_to_show() -> None:
    err = ValidationError("weight must be > 0", code="out_of_range", parameter="weight", value=-1)
    assert err.to_dict() == {
        "error": "ValidationError",
        "code": "out_of_range",
        "message": "weight must be > 0",
        "parameter": "weight",
        "column": None,
        "value": -1,
    }
    huge = ValidationError("x must be short", parameter="x", value="s" * 10_000)
    assert len(huge.value) == 80  # type: ignore[arg-type]
    odd = ValidationError("x is odd", parameter="x", value=object())
    assert isinstance(odd.value, str)
    assert json.loads(json.dumps(odd.to_dict()))["parameter"] == "x"
    assert ValidationError("no value given", parameter="x").value is None
    # a runaway message is cut, never echoed in full
    assert len(str(ValidationError("x " + "y" * 100_000))) == 1_000


def test_fields_survive_pickling() -> None:
    err = ValidationTypeError("rates must be a list", code="wrong_type", parameter="rates", value=3)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is ValidationTypeError
    assert back.to_dict() == err.to_dict()


def test_derived_fields_follow_the_message_conventions() -> None:
    assert _names_in("column 'employees' has 3 missing value(s)") == (None, "employees")
    assert _names_in("weights['fit'] must be a finite number") == ("weights", None)
    assert _names_in("records[3]['timestamp'] is missing") == ("records", "timestamp")
    assert _names_in("document field 'stages[1]' is text of 9 characters") == ("stages[1]", None)
    assert _names_in("a composite rule needs two rules") == (None, None)
    assert ValidationError("text of no kind").code == "invalid"


def test_every_code_is_documented() -> None:
    api = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
    for code in ERROR_CODES:
        assert f"| `{code}` |" in api, code
