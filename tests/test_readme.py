"""The README's and docs' code blocks run as written."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.DOTALL)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_python_blocks_run(path: Path) -> None:
    namespace: dict[str, object] = {}
    for block in _blocks(path):
        exec(compile(block, str(path), "exec"), namespace)


def test_readme_tour_numbers() -> None:
    namespace: dict[str, object] = {}
    exec(_blocks(ROOT / "README.md")[0], namespace)
    assert namespace["profile"].fit(namespace["leads"]).round(12).tolist() == [1.0, 0.2, 0.8]  # type: ignore[attr-defined]
    exec(_blocks(ROOT / "README.md")[1], namespace)
    rates = namespace["rates"]
    assert rates["icp"].tolist() == [0, 2, 2]  # type: ignore[index]


def test_readme_handover_numbers() -> None:
    namespace: dict[str, object] = {}
    blocks = _blocks(ROOT / "README.md")
    handover = next(i for i, b in enumerate(blocks) if "bk.handover(" in b)
    for block in blocks[: handover + 1]:
        exec(compile(block, "README.md", "exec"), namespace)
    handed = namespace["handed"]
    printed = [
        (words[1], float(words[2]), float(words[3]))
        for line in blocks[handover].splitlines()
        if line.startswith("# A") and (words := line.split())
    ]
    assert printed, "the README shows no handed-over accounts"
    got = [(i, row["total"], row["max"]) for i, row in handed.iterrows()]  # type: ignore[attr-defined]
    assert got == printed


def test_service_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The FastAPI example of docs/service.md, with a stand-in for the framework it imports."""
    import json
    import sys
    import types

    import bbmkit as bk
    from bbmkit import serialize

    text = (ROOT / "docs" / "service.md").read_text()
    (code,) = re.findall(r"```\{code-block\} python\n(.*?)```", text, flags=re.DOTALL)

    class App:
        def __init__(self) -> None:
            self.routes: dict[str, object] = {}
            self.handlers: dict[type, object] = {}

        def exception_handler(self, kind: type) -> object:
            return lambda fn: self.handlers.setdefault(kind, fn)

        def post(self, path: str) -> object:
            return lambda fn: self.routes.setdefault(path, fn)

    class BaseModel:
        def __init__(self, **fields: object) -> None:
            self.__dict__.update(fields)

        def model_dump(self) -> dict[str, object]:
            return dict(self.__dict__)

    fastapi = types.ModuleType("fastapi")
    fastapi.FastAPI = App  # type: ignore[attr-defined]
    fastapi.Request = object  # type: ignore[attr-defined]
    responses = types.ModuleType("fastapi.responses")
    responses.JSONResponse = lambda status_code, content: (status_code, content)  # type: ignore[attr-defined]
    pydantic = types.ModuleType("pydantic")
    pydantic.BaseModel = BaseModel  # type: ignore[attr-defined]
    for name, module in (
        ("fastapi", fastapi),
        ("fastapi.responses", responses),
        ("pydantic", pydantic),
    ):
        monkeypatch.setitem(sys.modules, name, module)

    models = tmp_path / "models"
    models.mkdir()
    scoring = bk.ScoringModel({"web_visit": 5, "demo_request": 40}, half_life=30)
    rule = bk.any_contact(at_least=100) | bk.contacts(at_least=60, count=3)
    profile = bk.ICPProfile([bk.one_of("industry", ["software"])])
    for name, model in (("scoring", scoring), ("handover", rule), ("icp", profile)):
        (models / f"{name}.json").write_text(serialize.to_json(model))
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "service.md", "exec"), namespace)
    app = namespace["app"]
    routes, handlers = app.routes, app.handlers  # type: ignore[attr-defined]

    event = namespace["Event"](  # type: ignore[operator]
        contact_id="lead-1", event_type="demo_request", timestamp="2026-05-01T10:00:00"
    )
    assert routes["/score"]([event], as_of="2026-05-31T10:00:00") == {"lead-1": 20.0}
    assert routes["/handover"]({"a": 100.0}) == {"handover": True, "reason": "any contact >= 100"}
    assert routes["/fit"]({"industry": "software"}) == {"fit": 1.0, "is_icp": True}
    assert routes["/models/validate"](serialize.to_dict(rule)) == {"type": "rule"}
    try:
        routes["/models/validate"]({"type": "funnel", "stages": ["a"], "rates": []})
    except bk.ValidationError as err:
        status, body = handlers[bk.ValidationError](None, err)
    assert status == 422
    assert json.loads(json.dumps(body))["parameter"] == "stages"
