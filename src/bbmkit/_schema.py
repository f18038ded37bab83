"""JSON Schemas (Draft 2020-12) of the model documents, built from the loaders' rules.

A schema says what the structure of a document may be: fields, types,
ranges, sizes. Rules between fields (an event cap must name a type that has
points, ``low <= high``, one fewer rate than stages, strictly decreasing
tiers, at most 62 clauses in a rule, ...) are the loaders' alone, so a
document the schema accepts may still be refused on load with a
:class:`~bbmkit.ValidationError`; a document the schema refuses is always
refused by the loaders.
"""

from __future__ import annotations

from typing import Any

from bbmkit._rules import LIMIT_PERIODS
from bbmkit.abm import SCALE_MODES

DIALECT = "https://json-schema.org/draft/2020-12/schema"
NUMBER: dict[str, Any] = {"type": "number"}
NULL: dict[str, Any] = {"type": "null"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, NULL]}


def _positive() -> dict[str, Any]:
    return {"type": "number", "exclusiveMinimum": 0}


def _obj(
    properties: dict[str, Any], *, required: tuple[str, ...] = (), title: str = ""
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    if title:
        schema["title"] = title
    return schema


class _Builder:
    """The schemas for one set of size limits (strings, entries of a list or mapping)."""

    def __init__(self, string_length: int, items: int) -> None:
        self.string_length = string_length
        self.items = items

    def label(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "maxLength": self.string_length}

    def scalar(self) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "string", "maxLength": self.string_length},
                NUMBER,
                {"type": "boolean"},
            ]
        }

    def array(self, items: dict[str, Any], *, min_items: int = 0) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": items, "maxItems": self.items}
        if min_items:
            schema["minItems"] = min_items
        return schema

    def mapping(self, values: dict[str, Any], *, min_properties: int = 0) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "propertyNames": self.label(),
            "additionalProperties": values,
            "maxProperties": self.items,
        }
        if min_properties:
            schema["minProperties"] = min_properties
        return schema

    # ---- ICP profile ---------------------------------------------------

    def criterion(self) -> dict[str, Any]:
        common = {
            "column": self.label(),
            "weight": _positive(),
            "name": self.label(),
        }
        kinds = {
            "one_of": ({"values": self.array(self.scalar(), min_items=1)}, ("values",)),
            "equals": ({"value": self.scalar()}, ("value",)),
            "between": (
                {
                    "low": _nullable(NUMBER),
                    "high": _nullable(NUMBER),
                    "closed": {"enum": ["both", "left", "right", "neither"]},
                },
                (),
            ),
            "at_least": ({"value": NUMBER}, ("value",)),
            "at_most": ({"value": NUMBER}, ("value",)),
        }
        options = []
        for kind, (own, required) in kinds.items():
            schema = _obj(
                {"kind": {"const": kind}, **common, **own},
                required=("kind", "column", *required),
                title=kind,
            )
            if kind == "between":  # low, high or both
                schema["anyOf"] = [
                    {"required": ["low"], "properties": {"low": NUMBER}},
                    {"required": ["high"], "properties": {"high": NUMBER}},
                ]
            options.append(schema)
        return {"oneOf": options}

    def icp_profile(self) -> dict[str, Any]:
        return _obj(
            {
                "criteria": self.array({"$ref": "#/$defs/criterion"}, min_items=1),
                "threshold": {"type": "number", "minimum": 0, "maximum": 1},
            },
            required=("criteria",),
        )

    # ---- scoring model -------------------------------------------------

    def scoring_model(self) -> dict[str, Any]:
        months = {"type": "string", "pattern": "^[0-9]{0,3}M$"}
        span = {
            "type": "array",
            "prefixItems": [_positive(), {"anyOf": [months, _positive()]}],
            "minItems": 2,
            "maxItems": 2,
        }
        step = {
            "type": "array",
            "prefixItems": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                {"anyOf": [months, _positive()]},
            ],
            "minItems": 2,
            "maxItems": 2,
        }
        limit = {
            "type": "array",
            "prefixItems": [
                {"type": "integer", "minimum": 1},
                {"anyOf": [{"enum": list(LIMIT_PERIODS)}, NULL]},
            ],
            "minItems": 2,
            "maxItems": 2,
        }
        return _obj(
            {
                "points": self.mapping(NUMBER, min_properties=1),
                "half_life": _nullable(_positive()),
                "lifespan": _nullable(_positive()),
                "cap": _nullable(_positive()),
                "event_caps": _nullable(self.mapping(_positive())),
                "groups": _nullable(self.mapping(self.array(self.label(), min_items=1))),
                "group_caps": _nullable(self.mapping(_positive())),
                "limits": _nullable(self.mapping(limit)),
                "step_decay": _nullable(step),
                "window": _nullable(_positive()),
                "inactivity": _nullable(span),
                "floor": _nullable(NUMBER),
                "resets": _nullable(self.mapping(NUMBER)),
            },
            required=("points",),
        )

    # ---- points table --------------------------------------------------

    def points_item(self) -> dict[str, Any]:
        common = {
            "column": self.label(),
            "default": NUMBER,
            "missing": NUMBER,
            "name": self.label(),
        }
        pair = {
            "type": "array",
            "prefixItems": [self.scalar(), NUMBER],
            "minItems": 2,
            "maxItems": 2,
        }
        band = {
            "type": "array",
            "prefixItems": [_nullable(NUMBER), _nullable(NUMBER), NUMBER],
            "minItems": 3,
            "maxItems": 3,
        }
        return {
            "oneOf": [
                _obj(
                    {
                        "type": {"const": "points_for"},
                        **common,
                        # [value, points] pairs (values of any type), or an object of text values
                        "points": {
                            "anyOf": [
                                self.array(pair, min_items=1),
                                {
                                    **self.mapping(NUMBER, min_properties=1),
                                    # column values: the empty text is one too
                                    "propertyNames": {
                                        "type": "string",
                                        "maxLength": self.string_length,
                                    },
                                },
                            ]
                        },
                    },
                    required=("type", "column", "points"),
                    title="points_for",
                ),
                _obj(
                    {
                        "type": {"const": "points_between"},
                        **common,
                        "bands": self.array(band, min_items=1),
                    },
                    required=("type", "column", "bands"),
                    title="points_between",
                ),
            ]
        }

    def points_table(self) -> dict[str, Any]:
        odds = _obj(
            {"pdo": _positive(), "base_score": NUMBER, "base_odds": _positive()},
            required=("pdo", "base_score", "base_odds"),
        )
        return _obj(
            {
                "items": self.array({"$ref": "#/$defs/points_item"}, min_items=1),
                "cap": _nullable(NUMBER),
                "floor": _nullable(NUMBER),
                "base": NUMBER,
                "odds": _nullable(odds),
            },
            required=("items",),
        )

    # ---- rules, funnel, priority model ---------------------------------

    def rule(self) -> dict[str, Any]:
        ref = {"$ref": "#/$defs/rule"}
        return {
            "oneOf": [
                _obj(
                    {"kind": {"const": "any_contact"}, "at_least": NUMBER},
                    required=("kind", "at_least"),
                    title="any_contact",
                ),
                _obj(
                    {
                        "kind": {"const": "contacts"},
                        "at_least": NUMBER,
                        "count": {"type": "integer", "minimum": 1},
                    },
                    required=("kind", "at_least", "count"),
                    title="contacts",
                ),
                _obj(
                    {"kind": {"const": "total"}, "at_least": NUMBER},
                    required=("kind", "at_least"),
                    title="total",
                ),
                _obj(
                    {"kind": {"const": "any_of"}, "rules": self.array(ref, min_items=2)},
                    required=("kind", "rules"),
                    title="any_of",
                ),
                _obj(
                    {"kind": {"const": "all_of"}, "rules": self.array(ref, min_items=2)},
                    required=("kind", "rules"),
                    title="all_of",
                ),
                _obj(
                    {"kind": {"const": "not"}, "rule": ref},
                    required=("kind", "rule"),
                    title="not",
                ),
            ]
        }

    def funnel(self) -> dict[str, Any]:
        return _obj(
            {
                "stages": {**self.array(self.label(), min_items=2), "uniqueItems": True},
                "rates": self.array({"type": "number", "minimum": 0, "maximum": 1}, min_items=1),
            },
            required=("stages", "rates"),
        )

    def priority_model(self) -> dict[str, Any]:
        return _obj(
            {
                "weights": self.mapping({"type": "number", "minimum": 0}, min_properties=1),
                "scales": _nullable(
                    self.mapping({"anyOf": [_positive(), {"enum": list(SCALE_MODES)}]})
                ),
                "tiers": _nullable(
                    self.array({"type": "number", "minimum": 0, "maximum": 1}, min_items=1)
                ),
            },
            required=("weights",),
        )


def document_schema(
    kinds: dict[str, str],
    *,
    kind: str | None,
    version: int,
    string_length: int,
    items: int,
    name_length: int,
    description_length: int,
) -> dict[str, Any]:
    """The schema of documents of ``kind`` (``None``: any kind), titled by ``kinds``."""
    builder = _Builder(string_length, items)
    defs = {
        "criterion": builder.criterion(),
        "points_item": builder.points_item(),
        "rule": builder.rule(),
    }
    envelope = {
        "version": {"type": "integer", "minimum": 1, "maximum": version},
        "name": {"type": "string", "maxLength": name_length},
        "description": {"type": "string", "maxLength": description_length},
    }

    def typed(k: str) -> dict[str, Any]:
        body: dict[str, Any] = getattr(builder, k)()
        if k == "rule":  # a rule document is a rule with its "type"
            return {
                "title": kinds[k],
                "type": "object",
                "properties": {"type": {"const": k}, **envelope},
                "required": ["type"],
                "allOf": [
                    {
                        "oneOf": [
                            {
                                **option,
                                "properties": {
                                    **option["properties"],
                                    "type": {"const": k},
                                    **envelope,
                                },
                            }
                            for option in defs["rule"]["oneOf"]
                        ]
                    }
                ],
            }
        body["properties"] = {"type": {"const": k}, **envelope, **body["properties"]}
        body["required"] = ["type", *body.get("required", [])]
        body["title"] = kinds[k]
        return body

    chosen = list(kinds) if kind is None else [kind]
    schema: dict[str, Any] = {"$schema": DIALECT}
    if kind is None:
        schema["title"] = "bbmkit model document"
        schema["oneOf"] = [typed(k) for k in chosen]
    else:
        schema.update(typed(kind))
    schema["$defs"] = defs
    return schema
