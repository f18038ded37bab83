from pathlib import Path

import pytest

from bbmkit import (
    Funnel,
    ICPProfile,
    ScoringModel,
    ValidationError,
    ValidationTypeError,
    any_contact,
    at_least,
    contacts,
    one_of,
    total,
)
from bbmkit.serialize import FORMAT_VERSION, from_dict, from_json, from_toml, to_dict, to_json

MODELS = [
    ICPProfile(
        [one_of("industry", ["software"], weight=3), at_least("employees", 200)], threshold=0.6
    ),
    ScoringModel(
        {"visit": 5, "demo": 50, "unsubscribe": -40}, lifespan=90, cap=150, event_caps={"visit": 20}
    ),
    (any_contact(at_least=100) | contacts(at_least=60, count=3)) & ~total(at_least=1000),
    Funnel.customer_journey(),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_json_round_trip(model: object) -> None:
    text = to_json(model)  # type: ignore[arg-type]
    assert from_json(text) == model
    assert from_dict(to_dict(model)) == model  # type: ignore[arg-type]


def test_toml_text_and_file(tmp_path: Path) -> None:
    text = """
type = "scoring_model"
half_life = 30
cap = 150

[points]
web_visit = 3
demo_request = 50
unsubscribe = -40

[event_caps]
web_visit = 30
"""
    model = from_toml(text)
    assert model == ScoringModel(
        {"web_visit": 3, "demo_request": 50, "unsubscribe": -40},
        half_life=30,
        cap=150,
        event_caps={"web_visit": 30},
    )
    path = tmp_path / "rule.toml"
    path.write_text(
        'type = "rule"\nkind = "any_of"\nrules = [{kind = "any_contact", at_least = 100}, {kind = "contacts", at_least = 60, count = 3}]\n'
    )
    assert from_toml(path) == any_contact(at_least=100) | contacts(at_least=60, count=3)
    # a string is TOML text, never a file name: a request body cannot make bbmkit read a file
    secret = tmp_path / "secret.toml"
    secret.write_text('type = "funnel"\nstages = ["a", "b"]\nrates = ["hunter2"]\n')
    with pytest.raises(ValidationError, match=r"pass a pathlib\.Path") as caught:
        from_toml(str(secret))
    assert "hunter2" not in str(caught.value)


def test_documents_carry_a_version_name_and_description() -> None:
    funnel = Funnel(["lead", "sql"], [0.25])
    document = to_dict(funnel)
    assert document["version"] == FORMAT_VERSION == 1
    assert from_dict(document) == funnel
    unversioned = {k: v for k, v in document.items() if k != "version"}
    assert from_dict(unversioned) == funnel  # documents written before versions
    named = {**document, "name": "Q3 funnel", "description": "the plan agreed with sales"}
    assert from_dict(named) == funnel
    with pytest.raises(ValidationError, match="newer than this bbmkit reads"):
        from_dict({**document, "version": FORMAT_VERSION + 1})
    for bad in (0, "1", True, 1.5):
        with pytest.raises(ValidationError, match="'version' must be an integer"):
            from_dict({**document, "version": bad})
    with pytest.raises(ValidationError, match="'name' must be text of at most 200"):
        from_dict({**document, "name": "x" * 201})
    with pytest.raises(ValidationError, match="'description'"):
        from_dict({**document, "description": 5})


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: from_json("{not json"), ValidationError, "not a valid JSON document"),
        (
            lambda: from_json('{"stages": ["a", "b"], "rates": [0.1]}'),
            ValidationError,
            "document has no field 'type'",
        ),
        (
            lambda: from_json('{"type": "model", "points": {}}'),
            ValidationError,
            "field 'type' must be one of",
        ),
        (
            lambda: from_json('{"type": "funnel", "stages": ["a", "b"], "rates": [1.5]}'),
            ValidationError,
            "rate a -> b must be",
        ),
        (
            lambda: from_json('{"type": "icp_profile", "criteria": [], "owner": "x"}'),
            ValidationError,
            r"unknown field\(s\) 'owner'",
        ),
        (
            lambda: from_json('{"type": "scoring_model", "points": {"visit": "5"}}'),
            ValidationTypeError,
            "must be a real number",
        ),
        (lambda: from_json("[1, 2]"), ValidationTypeError, "must hold a JSON object"),
        (
            lambda: from_toml('type = "rule"\nkind = "contacts"\nat_least = 60'),
            ValidationError,
            r"missing field\(s\) 'count'",
        ),
        (lambda: from_toml("type = = 1"), ValidationError, "not a valid TOML document"),
        (lambda: from_toml(Path("/nonexistent/model.toml")), ValidationError, "no TOML file"),
        (
            lambda: to_json({"a": 1}),
            ValidationTypeError,
            "model must be an ICPProfile, ScoringModel, PointsTable, rule, Funnel or PriorityModel",
        ),
    ],
)
def test_invalid_documents(call: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]


def test_a_migration_upgrades_older_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    # the path a future format change takes: version 2 renames a field; version 1 documents
    # (and those without a version) are upgraded on load, version 2 ones read as they are
    import bbmkit.serialize as serialize

    def rename_rates(body: dict[str, object]) -> dict[str, object]:
        out = dict(body)
        out["conversion"] = out.pop("rates")
        return out

    def load_v2(body: object) -> Funnel:
        assert isinstance(body, dict)
        return Funnel(body["stages"], body["conversion"])

    monkeypatch.setattr(serialize, "FORMAT_VERSION", 2)
    monkeypatch.setitem(serialize._MIGRATIONS, 1, rename_rates)
    monkeypatch.setitem(serialize._LOADERS, "funnel", load_v2)
    old = {"type": "funnel", "version": 1, "stages": ["a", "b"], "rates": [0.25]}
    assert from_dict(old).rates == (0.25,)
    assert from_dict({k: v for k, v in old.items() if k != "version"}).rates == (0.25,)
    new = {"type": "funnel", "version": 2, "stages": ["a", "b"], "conversion": [0.5]}
    assert from_dict(new).rates == (0.5,)
    with pytest.raises(ValidationError, match="newer than this bbmkit reads"):
        from_dict({**new, "version": 3})
