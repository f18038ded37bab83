"""JSON Schemas of the documents, and loading untrusted documents safely."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bbmkit as bk
from bbmkit import ValidationError, datasets, serialize
from bbmkit.serialize import DEFAULT_LIMITS, Limits, from_dict, from_json, from_toml, json_schema

MODELS: list[Any] = [
    datasets.demo_profile(),
    bk.ICPProfile(
        [
            bk.one_of("industry", ["software", 3, True], weight=2.5),
            bk.between("employees", 10, 500, closed="neither", name="size"),
            bk.between("revenue", high=1e6),
            bk.equals("region", "EMEA"),
            bk.at_most("age", 5),
        ],
        threshold=0.4,
    ),
    datasets.demo_scoring_model(),
    bk.ScoringModel(
        {"visit": 5, "demo": 40, "unsubscribe": -30},
        half_life=30,
        cap=100,
        event_caps={"visit": 20},
        groups={"web": ["visit"]},
        group_caps={"web": 10},
        limits={"visit": (1, "D"), "demo": (1, None)},
        resets={"recycled": 0},
        floor=0,
    ),
    bk.ScoringModel({"visit": 5}, step_decay=(0.5, "3M"), window=30, lifespan=None),
    bk.ScoringModel({"visit": 5}, inactivity=(10, 30.5)),
    bk.ScoringModel({"visit": 5}, lifespan=90),
    bk.any_contact(at_least=100) | bk.contacts(at_least=60, count=3),
    (bk.contacts(at_least=50, count=2) & bk.total(at_least=150)) | ~bk.any_contact(at_least=10),
    bk.total(at_least=200),
    bk.Funnel.customer_journey(),
    bk.Funnel(["lead", "won"], [0.0]),
    bk.PriorityModel(
        {"fit": 0.6, "revenue": 0.4, "none": 0}, scales={"fit": 100, "revenue": "rank"}
    ),
    bk.PriorityModel({"fit": 1}, tiers=[0.7, 0.4, 0.0]),
    bk.PointsTable(
        [
            bk.points_for("title", {"CEO": 20, "": -1, 5: 2, True: 1}, default=-1, missing=-3),
            bk.points_between("employees", [(None, 10, -5), (10, 100, 0), (100, None, 10)]),
        ],
        cap=30,
        floor=-10,
        base=5,
        odds=bk.OddsScale(20, 600, 50),
    ),
]


def _json(document: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(document))


def _schema_ok(document: object, kind: str | None = None) -> bool:
    return jsonschema.Draft202012Validator(json_schema(kind)).is_valid(document)  # type: ignore[arg-type]


def _loader_ok(document: object) -> bool:
    try:
        from_dict(document)  # type: ignore[arg-type]
    except ValidationError as err:
        message = str(err)
    else:
        return True
    assert len(message) < 600, message  # a short message, whatever the input
    return False


def test_schemas_are_valid_draft_2020_12() -> None:
    for kind in (
        None,
        "icp_profile",
        "scoring_model",
        "points_table",
        "rule",
        "funnel",
        "priority_model",
    ):
        schema = json_schema(kind)  # type: ignore[arg-type]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        json.dumps(schema)  # JSON-ready
    with pytest.raises(ValidationError, match="kind must be one of"):
        json_schema("model")  # type: ignore[arg-type]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_every_document_the_library_writes_is_valid(model: Any) -> None:
    document = _json(serialize.to_dict(model))
    jsonschema.validate(document, json_schema(document["type"]))
    jsonschema.validate(document, json_schema())
    named = dict(document, name="Q3 model", description="the model sales agreed on")
    assert _schema_ok(named)
    assert from_dict(named) == model
    # another type's schema refuses it
    other = "funnel" if document["type"] != "funnel" else "rule"
    assert not _schema_ok(document, other)


def test_schema_states_the_limits() -> None:
    schema = json_schema("scoring_model", limits=Limits(items=5, string_length=12))
    points = schema["properties"]["points"]
    assert points["maxProperties"] == 5
    assert points["propertyNames"]["maxLength"] == 12
    many = {"type": "scoring_model", "points": {f"e{i}": 1 for i in range(6)}}
    assert not jsonschema.Draft202012Validator(schema).is_valid(many)
    with pytest.raises(ValidationError, match="more than the 5 allowed"):
        from_dict(many, limits=Limits(items=5))


# --------------------------------------------------------------------------
# the schema and the loaders agree


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
    | st.sampled_from(["D", "M", "3M", "rank", "both", "any_of", "total", "not", "x"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [where]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_paths(item, (*where, key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.extend(_paths(item, (*where, i)))
    return out


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(document)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


def _swapped(value: Any) -> Any:
    """A value of another JSON type: what a wrong client sends for a field."""
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return "12"
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return {"0": value[0]} if value else "[]"
    if isinstance(value, dict):
        return list(value.values()) or 0
    return {"null": None}


DOCUMENTS = [_json(serialize.to_dict(m)) for m in MODELS]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(DOCUMENTS) - 1), data=st.data())
def test_loaders_raise_only_validation_errors_and_refuse_what_the_schema_refuses(
    which: int, data: st.DataObject
) -> None:
    document = DOCUMENTS[which]
    path = data.draw(st.sampled_from(_paths(document)))
    mutated = _replace(document, path, data.draw(JSON_VALUES))
    loaded = _loader_ok(mutated)
    if not _schema_ok(mutated):
        assert not loaded, (path, mutated)


@pytest.mark.parametrize("which", range(len(DOCUMENTS)))
def test_schema_and_loaders_agree_on_wrong_types_and_fields(which: int) -> None:
    document = DOCUMENTS[which]
    cases = []
    for path in _paths(document):
        if path:
            cases.append(_replace(document, path, _swapped(_get(document, path))))
    # an unknown field in every object, a required field missing from every object
    for path in _paths(document):
        target = _get(document, path)
        if isinstance(target, dict) and _is_fixed_object(path):
            cases.append(_replace(document, (*path, "surprise"), 1))
            for key in list(target):
                if key in _DEPENDED_ON:
                    continue
                smaller = copy.deepcopy(target)
                del smaller[key]
                cases.append(_replace(document, path, smaller))
    assert cases
    for case in cases:
        assert _schema_ok(case) == _loader_ok(case), case


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


# mappings whose keys are the user's names (event types, columns, groups): any key goes
_FREE_KEYS = {
    "points",
    "event_caps",
    "groups",
    "group_caps",
    "limits",
    "resets",
    "weights",
    "scales",
}


# fields other fields refer to (group_caps name groups): a rule between fields, loaders only
_DEPENDED_ON = {"groups"}


def _is_fixed_object(path: tuple[Any, ...]) -> bool:
    return not path or path[-1] not in _FREE_KEYS


# --------------------------------------------------------------------------
# hostile documents


def _nested(depth: int) -> Any:
    value: Any = 0.5
    for _ in range(depth):
        value = [value]
    return value


def _rule(depth: int) -> dict[str, Any]:
    rule: dict[str, Any] = {"kind": "total", "at_least": 1}
    for _ in range(depth):
        rule = {
            "kind": "not",
            "rule": {"kind": "any_of", "rules": [rule, {"kind": "total", "at_least": 2}]},
        }
    return rule


@pytest.mark.parametrize(
    ("document", "match"),
    [
        ({"type": "rule", **_rule(500)}, "nested .* levels deep"),
        (
            {
                "type": "rule",
                "kind": "any_of",
                "rules": [{"kind": "total", "at_least": i} for i in range(63)],
            },
            "63 clauses; at most 62",
        ),
        (
            {"type": "scoring_model", "points": {f"e{i}": 1 for i in range(20_000)}},
            "has 20,000 entries, more than the 10,000 allowed",
        ),
        (
            {"type": "scoring_model", "points": {"x" * 5_000: 1}},
            "key of 5,000 characters",
        ),
        (
            {"type": "funnel", "stages": ["a", "b" * 2_000], "rates": [0.5]},
            r"field 'stages\[1\]' is text of 2,000 characters",
        ),
        (
            {"type": "funnel", "stages": ["a", "b"], "rates": [0.5], "description": "d" * 20_000},
            "description",
        ),
        (
            {"type": "funnel", "stages": ["a", "b"], "rates": _nested(45)},
            "nested 4[0-9] levels deep",
        ),
        ({"type": "scoring_model", "points": {"a": 10**400}}, "points"),
        ({"type": "scoring_model", "points": {"a": True}}, "points"),
        (
            {
                "type": "icp_profile",
                "criteria": [{"kind": "at_least", "column": "x", "value": [1]}],
            },
            "value",
        ),
    ],
)
def test_hostile_documents_fail_on_load_with_a_short_message(
    document: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValidationError, match=match) as info:
        from_dict(document)
    assert len(str(info.value)) < 400


def test_text_size_limits_and_unreadable_numbers() -> None:
    text = json.dumps({"type": "funnel", "stages": ["a", "b"], "rates": [0.5]})
    assert from_json(text, limits=Limits(document_bytes=len(text))).rates == (0.5,)
    with pytest.raises(ValidationError, match="more than 10 bytes"):
        from_json(text, limits=Limits(document_bytes=10))
    with pytest.raises(ValidationError, match="more than 10 bytes"):
        from_toml(
            'type = "funnel"\nstages = ["a", "b"]\nrates = [0.5]', limits=Limits(document_bytes=10)
        )
    # Python refuses to convert integers of more than 4300 digits: still a ValidationError
    with pytest.raises(ValidationError, match=r"cannot read|not a JSON document"):
        from_json('{"type": "funnel", "stages": ["a", "b"], "rates": [' + "1" * 5000 + "]}")
    with pytest.raises(ValidationError, match=r"too deeply|levels deep"):
        from_json("[" * 100_000 + "]" * 100_000)
    # a secret in a malformed document is never echoed
    with pytest.raises(ValidationError) as info:
        from_json('{"type": "funnel", "token": "sk-SECRET", ')
    assert "SECRET" not in str(info.value)
    with pytest.raises(ValidationError) as info:
        from_toml('token = "sk-SECRET"\ntype = = 1')
    assert "SECRET" not in str(info.value)


def test_limits_are_validated() -> None:
    assert Limits() == DEFAULT_LIMITS
    with pytest.raises(ValidationError, match="items must be an integer >= 1"):
        Limits(items=0)
    with pytest.raises(ValidationError, match=r"limits must be a serialize\.Limits"):
        from_dict({"type": "rule", "kind": "total", "at_least": 1}, limits={"items": 5})  # type: ignore[arg-type]


def test_composing_more_than_62_clauses_is_refused_when_built() -> None:
    rule = bk.total(at_least=0)
    for k in range(1, 62):
        rule = rule | bk.total(at_least=k)
    assert len(rule.leaves()) == 62
    with pytest.raises(ValidationError, match="63 clauses"):
        rule | bk.total(at_least=100)


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(
        ["icp_profile", "scoring_model", "points_table", "rule", "funnel", "priority_model", 5]
    ),
    body=st.dictionaries(
        st.sampled_from(
            ["points", "criteria", "items", "kind", "rules", "stages", "rates", "weights", "x"]
        ),
        JSON_VALUES,
        max_size=4,
    ),
)
def test_any_body_raises_only_validation_errors(kind: object, body: dict[str, Any]) -> None:
    document = {"type": kind, **body}
    if _loader_ok(document):
        assert _schema_ok(_json(document)) or kind == 5


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_any_text_raises_only_validation_errors(text: str) -> None:
    for load in (from_json, from_toml):
        with contextlib.suppress(ValidationError):
            load(text)


@settings(max_examples=200, deadline=None)
@given(rule=JSON_VALUES)
def test_rule_from_dict_raises_only_validation_errors(rule: Any) -> None:
    with contextlib.suppress(ValidationError):
        bk.rule_from_dict(rule)
    if isinstance(rule, dict):
        with contextlib.suppress(ValidationError):
            bk.rule_from_dict({"kind": "any_of", "rules": [rule, {"kind": "total", "at_least": 1}]})
