"""Models as JSON or TOML documents, so a service can store them and load them back.

A document is the model's ``to_dict()`` plus a ``"type"`` field:
``"icp_profile"``, ``"scoring_model"``, ``"points_table"``, ``"rule"``,
``"funnel"`` or ``"priority_model"``, and the format ``"version"``. Loading
validates it with the same errors as building the model by hand; nothing is
evaluated or unpickled. Loaders raise only :class:`~bbmkit.ValidationError`
(and its type-error variant), whatever the input, and check the size of a
document (:class:`Limits`) before building anything, so a service can load
documents from untrusted requests. :func:`json_schema` gives the JSON Schema
of each document type, for request validation and OpenAPI.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeAlias

import attrs

from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._schema import document_schema
from bbmkit._validation import check_in_choices, check_int, fmt
from bbmkit.abm import PriorityModel
from bbmkit.accounts import Rule, rule_from_dict
from bbmkit.funnel import Funnel
from bbmkit.icp import ICPProfile
from bbmkit.points import PointsTable
from bbmkit.scoring import ScoringModel

__all__ = [
    "DEFAULT_LIMITS",
    "FORMAT_VERSION",
    "Kind",
    "Limits",
    "Model",
    "from_dict",
    "from_json",
    "from_toml",
    "json_schema",
    "to_dict",
    "to_json",
]

#: The version of the document format this bbmkit writes (``"version"`` in every document).
FORMAT_VERSION = 1

# version -> function turning a document body of that version into one of the next;
# a document without "version" is version 1 (the format before versions were written)
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

_NAME_LIMIT, _DESCRIPTION_LIMIT = 200, 10_000

#: Any model that serialises to a document.
Model: TypeAlias = ICPProfile | ScoringModel | PointsTable | Rule | Funnel | PriorityModel
#: The ``"type"`` of a document.
Kind: TypeAlias = Literal[
    "icp_profile", "scoring_model", "points_table", "rule", "funnel", "priority_model"
]

_TITLES = {
    "icp_profile": "ICP profile",
    "scoring_model": "Scoring model",
    "points_table": "Points table",
    "rule": "Handover rule",
    "funnel": "Funnel",
    "priority_model": "Priority model",
}


def _positive_int(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    check_int(value, name=attribute.name, low=1)


@attrs.frozen
class Limits:
    """Size limits a document must keep to, checked before anything is built.

    A service loading documents from requests sets them to what its models
    need; the defaults are generous for hand-written and learned models.

    Parameters
    ----------
    document_bytes : int, default 1_000_000
        Size of a JSON or TOML text, in UTF-8 bytes.
    string_length : int, default 1_000
        Characters of any one string (event types, columns, names, values,
        mapping keys); the document's ``description`` has its own 10,000.
    items : int, default 10_000
        Entries of any one list or mapping: event types, criteria, stages,
        values of a criterion, points items.
    values : int, default 100_000
        Values in the whole document (every number, string, list and mapping).
    depth : int, default 40
        Nesting of lists and mappings (a rule document nests two levels per
        composite rule; rules themselves allow 32).

    Examples
    --------
    >>> from bbmkit.serialize import Limits, from_json
    >>> try:
    ...     from_json('{"type": "funnel", "stages": ["lead", "customer"], "rates": [0.2]}',
    ...               limits=Limits(string_length=6))
    ... except ValueError as err:
    ...     print(err)
    document field 'stages[1]' is text of 8 characters, more than the 6 allowed (Limits.string_length): 'customer'
    """

    document_bytes: int = attrs.field(default=1_000_000, validator=_positive_int)
    string_length: int = attrs.field(default=1_000, validator=_positive_int)
    items: int = attrs.field(default=10_000, validator=_positive_int)
    values: int = attrs.field(default=100_000, validator=_positive_int)
    depth: int = attrs.field(default=40, validator=_positive_int)


#: The limits loaders use unless given others.
DEFAULT_LIMITS = Limits()


def _check_limits(limits: object) -> Limits:
    if limits is None:
        return DEFAULT_LIMITS
    if not isinstance(limits, Limits):
        raise ValidationTypeError(f"limits must be a serialize.Limits, got {fmt(limits)}")
    return limits


def _path(parts: tuple[object, ...]) -> str:
    shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    return "document" + (f" field {shown[1:]!r}" if shown else "")


def _check_size(document: Mapping[str, Any], limits: Limits) -> None:
    """Every list, mapping and string of the document within ``limits`` (no recursion)."""
    stack: list[tuple[object, tuple[object, ...], int]] = [(document, (), 1)]
    seen = 0
    while stack:
        value, where, depth = stack.pop()
        seen += 1
        if seen > limits.values:
            raise ValidationError(
                f"document holds more than {limits.values:,} values (Limits.values)",
                code="too_large",
                parameter="document",
            )
        if isinstance(value, str):
            if len(value) > limits.string_length and where != ("description",):
                raise ValidationError(
                    f"{_path(where)} is text of {len(value):,} characters, more than the "
                    f"{limits.string_length:,} allowed (Limits.string_length): {fmt(value[:40])}"
                )
            continue
        if isinstance(value, Mapping | list | tuple):
            if depth > limits.depth:
                raise ValidationError(
                    f"{_path(where)} is nested {depth} levels deep, more than the "
                    f"{limits.depth} allowed (Limits.depth)"
                )
            if len(value) > limits.items:
                raise ValidationError(
                    f"{_path(where)} has {len(value):,} entries, more than the "
                    f"{limits.items:,} allowed (Limits.items)"
                )
            if isinstance(value, Mapping):
                for key, item in value.items():
                    if isinstance(key, str) and len(key) > limits.string_length:
                        raise ValidationError(
                            f"{_path(where)} has a key of {len(key):,} characters, more than "
                            f"the {limits.string_length:,} allowed (Limits.string_length): "
                            f"{fmt(key[:40])}"
                        )
                    stack.append(
                        (item, (*where, key if isinstance(key, str) else fmt(key)), depth + 1)
                    )
            else:
                stack.extend((item, (*where, i), depth + 1) for i, item in enumerate(value))


def json_schema(kind: Kind | None = None, *, limits: Limits | None = None) -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of a document type, or of any document.

    A service validates request bodies with it (``jsonschema``, or a web
    framework's OpenAPI models) before loading them. It states fields,
    types, ranges and the sizes of :class:`Limits`; rules between fields
    (caps naming types that have points, ``low <= high``, one rate fewer
    than stages, strictly decreasing tiers, at most 62 clauses and 32
    levels in a rule) are checked by the loaders only. So a document the
    schema rejects is always rejected on load, and one it accepts may still
    be refused with a :class:`~bbmkit.ValidationError` saying why.

    Parameters
    ----------
    kind : {"icp_profile", "scoring_model", "points_table", "rule", "funnel", \
"priority_model"}, optional
        The document type; ``None`` gives one schema accepting any of them
        (by their ``"type"``).
    limits : Limits, optional
        The sizes stated in the schema; :data:`DEFAULT_LIMITS` by default.

    Returns
    -------
    dict
        The schema, JSON-ready (``json.dumps`` it to publish it).

    Raises
    ------
    ValidationError
        An unknown ``kind``.

    Examples
    --------
    >>> from bbmkit.serialize import json_schema
    >>> schema = json_schema("funnel")
    >>> schema["required"], sorted(schema["properties"])
    (['type', 'stages', 'rates'], ['description', 'name', 'rates', 'stages', 'type', 'version'])
    """
    if kind is not None:
        kind = check_in_choices(kind, name="kind", choices=tuple(_LOADERS))  # type: ignore[assignment]
    chosen = _check_limits(limits)
    return document_schema(
        _TITLES,
        kind=kind,
        version=FORMAT_VERSION,
        string_length=chosen.string_length,
        items=chosen.items,
        name_length=_NAME_LIMIT,
        description_length=_DESCRIPTION_LIMIT,
    )


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


def from_dict(document: Mapping[str, Any], *, limits: Limits | None = None) -> Model:
    """Build the model a typed document describes, validating it.

    Besides the model's fields a document may hold ``"version"`` (the
    format version, :data:`FORMAT_VERSION`; absent means 1; a newer one is
    an error), and a ``"name"`` and ``"description"`` (text, kept by the
    caller's store: the model does not hold them). The document's sizes
    are checked against ``limits`` (:data:`DEFAULT_LIMITS` by default)
    first.

    Examples
    --------
    >>> from bbmkit.serialize import from_dict
    >>> from_dict({"type": "rule", "kind": "total", "at_least": 200})
    total(at_least=200)
    """
    if not isinstance(document, Mapping):
        raise ValidationTypeError(
            f"a model document must be a mapping, got {fmt(document)}", parameter="document"
        )
    _check_size(document, _check_limits(limits))
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
            "upgrade bbmkit to load it",
            code="unsupported_version",
            parameter="version",
        )
    for step in range(version, FORMAT_VERSION):  # older formats, upgraded one version at a time
        body = _MIGRATIONS[step](body)
    try:
        model: Model = _LOADERS[kind](body)
    except ValidationError:
        raise
    except (TypeError, ValueError, OverflowError, RecursionError) as err:
        # what the field checks did not foresee still says "bad document", never a 500
        raise ValidationError(
            f"document of type {kind!r} cannot be loaded: {type(err).__name__}: {fmt(str(err))}",
            parameter="document",
        ) from err
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


def from_json(text: str | bytes, *, limits: Limits | None = None) -> Model:
    """Load a model from a JSON document (see :func:`to_json`).

    The text's size and the document's are checked against ``limits``
    (:data:`DEFAULT_LIMITS` by default) before anything is built.

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
            raise ValidationError(
                f"a JSON document must be UTF-8 text: {err}", parameter="text"
            ) from err
    if not isinstance(text, str):
        raise ValidationTypeError(f"text must be a JSON document (str or bytes), got {fmt(text)}")
    chosen = _check_limits(limits)
    _check_text_size(text, chosen, "text")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        # the parser's position only: the text may be large, or hold secrets
        raise ValidationError(
            f"text is not a valid JSON document ({err.msg}: line {err.lineno} column {err.colno})"
        ) from err
    except RecursionError as err:
        raise ValidationError("text: the JSON document is nested too deeply to be a model") from err
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        raise ValidationError(
            f"text is not a JSON document bbmkit can read: {fmt(str(err))}"
        ) from err
    if not isinstance(document, Mapping):
        raise ValidationTypeError(
            f"text must hold a JSON object (a model document), got {fmt(document)}"
        )
    return from_dict(document, limits=chosen)


def _check_text_size(text: str, limits: Limits, name: str) -> None:
    # characters first: a cheap bound (UTF-8 takes 1-4 bytes a character)
    if len(text) > limits.document_bytes or (
        len(text) * 4 > limits.document_bytes
        and len(text.encode("utf-8", "surrogatepass")) > limits.document_bytes
    ):
        raise ValidationError(
            f"{name} is a document of more than {limits.document_bytes:,} bytes "
            "(Limits.document_bytes)"
        )


def from_toml(source: str | Path, *, limits: Limits | None = None) -> Model:
    """Load a model from a TOML document, given as text or as a :class:`pathlib.Path`.

    Text is always parsed as TOML, never taken for a file name: a service
    passing on a request body cannot be made to read a local file. Pass a
    ``Path`` to read a file. Sizes are checked against ``limits`` as for
    :func:`from_json`; errors never quote the text.

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
    chosen = _check_limits(limits)
    if isinstance(source, Path):
        if not source.is_file():
            raise ValidationError(
                f"no TOML file at {str(source)!r}", code="missing_value", parameter="source"
            )
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
    _check_text_size(text, chosen, "source")
    try:
        document = tomllib.loads(text)
    except RecursionError as err:
        raise ValidationError(
            "source: the TOML document is nested too deeply to be a model"
        ) from err
    except tomllib.TOMLDecodeError as err:
        hint = (
            "; to read a file, pass a pathlib.Path"
            if isinstance(source, str) and source.strip().endswith(".toml") and "\n" not in source
            else ""
        )
        # the parser's position only: the text may hold secrets
        raise ValidationError(f"source is not a valid TOML document ({err}){hint}") from err
    except ValueError as err:
        raise ValidationError(
            f"source is not a TOML document bbmkit can read: {fmt(str(err))}"
        ) from err
    return from_dict(document, limits=chosen)
