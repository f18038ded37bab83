"""Models as JSON or TOML documents, so a service can store them and load them back.

A document is the model's ``to_dict()`` plus a ``"type"`` field:
``"icp_profile"``, ``"scoring_model"``, ``"points_table"``, ``"rule"``,
``"funnel"`` or ``"priority_model"``. Loading
validates it with the same errors as building the model by hand; nothing is
evaluated or unpickled.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeAlias

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._validation import check_int, fmt
from bbmkit.abm import PriorityModel
from bbmkit.accounts import Rule, rule_from_dict
from bbmkit.funnel import Funnel
from bbmkit.icp import ICPProfile
from bbmkit.points import PointsTable
from bbmkit.scoring import ScoringModel

__all__ = [
    "FORMAT_VERSION",
    "Model",
    "from_dict",
    "from_json",
    "from_toml",
    "to_dict",
    "to_json",
]

#: The version of the document format this bbmkit writes (``"version"`` in every document).
FORMAT_VERSION = 1

# version -> function turning a document body of that version into one of the next;
# a document without "version" is version 1 (the format before versions were written)
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

_NAME_LIMIT, _DESCRIPTION_LIMIT = 200, 10_000

Model: TypeAlias = ICPProfile | ScoringModel | PointsTable | Rule | Funnel | PriorityModel

_LOADERS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "icp_profile": ICPProfile.from_dict,
    "scoring_model": ScoringModel.from_dict,
    "points_table": PointsTable.from_dict,
    "rule": rule_from_dict,
    "funnel": Funnel.from_dict,
    "priority_model": PriorityModel.from_dict,
}


def _type_of(model: object) -> str:
    if isinstance(model, ICPProfile):
        return "icp_profile"
    if isinstance(model, ScoringModel):
        return "scoring_model"
    if isinstance(model, PointsTable):
        return "points_table"
    if isinstance(model, Rule):
        return "rule"
    if isinstance(model, Funnel):
        return "funnel"
    if isinstance(model, PriorityModel):
        return "priority_model"
    raise ValidationTypeError(
        f"model must be an ICPProfile, ScoringModel, PointsTable, rule, Funnel or PriorityModel (they "
        "serialise), got "
        f"{type(model).__name__}"
    )


def to_dict(model: Model) -> dict[str, Any]:
    """The model's plain data with its ``"type"``.

    Examples
    --------
    >>> from bbmkit import Funnel
    >>> from bbmkit.serialize import to_dict
    >>> to_dict(Funnel(["lead", "sql"], [0.1]))
    {'type': 'funnel', 'version': 1, 'stages': ['lead', 'sql'], 'rates': [0.1]}
    """
    return {"type": _type_of(model), "version": FORMAT_VERSION, **model.to_dict()}


def from_dict(document: Mapping[str, Any]) -> Model:
    """Build the model a typed document describes, validating it.

    Besides the model's fields a document may hold ``"version"`` (the
    format version, :data:`FORMAT_VERSION`; absent means 1; a newer one is
    an error), and a ``"name"`` and ``"description"`` (text, kept by the
    caller's store: the model does not hold them).

    Examples
    --------
    >>> from bbmkit.serialize import from_dict
    >>> from_dict({"type": "rule", "kind": "total", "at_least": 200})
    total(at_least=200)
    """
    if not isinstance(document, Mapping):
        raise ValidationTypeError(f"a model document must be a mapping, got {fmt(document)}")
    if "type" not in document:
        raise ValidationError(
            f"document has no field 'type' (one of {', '.join(map(repr, _LOADERS))})"
        )
    kind = document["type"]
    if not isinstance(kind, str) or kind not in _LOADERS:
        raise ValidationError(
            f"document field 'type' must be one of {', '.join(map(repr, _LOADERS))}, got {fmt(kind)}"
        )
    body = {
        k: v for k, v in document.items() if k not in ("type", "version", "name", "description")
    }
    for field, limit in (("name", _NAME_LIMIT), ("description", _DESCRIPTION_LIMIT)):
        if field in document:
            text = document[field]
            if not isinstance(text, str) or len(text) > limit:
                raise ValidationError(
                    f"document field {field!r} must be text of at most {limit:,} characters, "
                    f"got {fmt(text)}"
                )
    version = document.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationError(
            f"document field 'version' must be an integer >= 1, got {fmt(version)}"
        )
    if version > FORMAT_VERSION:
        raise ValidationError(
            f"document version {version} is newer than this bbmkit reads ({FORMAT_VERSION}): "
            "upgrade bbmkit to load it"
        )
    for step in range(version, FORMAT_VERSION):  # older formats, upgraded one version at a time
        body = _MIGRATIONS[step](body)
    model: Model = _LOADERS[kind](body)
    return model


def to_json(model: Model, *, indent: int | None = 2) -> str:
    """The model as a JSON document.

    Examples
    --------
    >>> from bbmkit import ScoringModel
    >>> from bbmkit.serialize import from_json, to_json
    >>> model = ScoringModel({"visit": 5, "demo": 50}, half_life=30)
    >>> from_json(to_json(model)) == model
    True
    """
    if indent is not None:
        check_int(indent, name="indent", low=0, high=64)
    return json.dumps(to_dict(model), indent=indent, ensure_ascii=False)


def from_json(text: str | bytes) -> Model:
    """Load a model from a JSON document (see :func:`to_json`).

    Examples
    --------
    >>> from bbmkit.serialize import from_json
    >>> from_json('{"type": "funnel", "stages": ["lead", "sql"], "rates": [0.25]}').rates
    (0.25,)
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValidationError(f"a JSON document must be UTF-8 text: {err}") from err
    if not isinstance(text, str):
        raise ValidationTypeError(f"text must be a JSON document (str or bytes), got {fmt(text)}")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValidationError(f"text is not a valid JSON document: {err}") from err
    except RecursionError as err:
        raise ValidationError("text: the JSON document is nested too deeply to be a model") from err
    if not isinstance(document, Mapping):
        raise ValidationTypeError(
            f"text must hold a JSON object (a model document), got {fmt(document)}"
        )
    return from_dict(document)


def from_toml(source: str | Path) -> Model:
    """Load a model from a TOML document, given as text or as a :class:`pathlib.Path`.

    Text is always parsed as TOML, never taken for a file name: a service
    passing on a request body cannot be made to read a local file. Pass a
    ``Path`` to read a file.

    Examples
    --------
    >>> from bbmkit.serialize import from_toml
    >>> profile = from_toml('''
    ... type = "icp_profile"
    ... threshold = 0.6
    ... [[criteria]]
    ... kind = "one_of"
    ... column = "industry"
    ... values = ["software", "manufacturing"]
    ... weight = 3
    ... [[criteria]]
    ... kind = "between"
    ... column = "employees"
    ... low = 200
    ... high = 2000
    ... ''')
    >>> profile.criteria
    (one_of('industry', ['software', 'manufacturing'], weight=3.0), between('employees', low=200.0, high=2000.0, weight=1.0))
    """
    if isinstance(source, Path):
        if not source.is_file():
            raise ValidationError(f"no TOML file at {str(source)!r}")
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ValidationError(
                f"source: the file {str(source)!r} cannot be read as UTF-8 text"
            ) from err
    elif isinstance(source, str):
        text = source
    else:
        raise ValidationTypeError(f"source must be TOML text or a pathlib.Path, got {fmt(source)}")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        hint = (
            "; to read a file, pass a pathlib.Path"
            if isinstance(source, str) and source.strip().endswith(".toml") and "\n" not in source
            else ""
        )
        # the parser's position only: the text may hold secrets
        raise ValidationError(f"source is not a valid TOML document ({err}){hint}") from err
    return from_dict(document)
