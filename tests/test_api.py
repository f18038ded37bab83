"""The public surface: everything in __all__ exists and is documented with examples."""

import importlib.util
import inspect

import pytest

import bbmkit
import bbmkit.datasets
import bbmkit.serialize

MODULES = [bbmkit, bbmkit.datasets, bbmkit.serialize]
if importlib.util.find_spec("matplotlib") is not None:
    import bbmkit.plot

    MODULES.append(bbmkit.plot)
if importlib.util.find_spec("dask") is not None:
    import bbmkit.chunked

    MODULES.append(bbmkit.chunked)


def _public() -> list[tuple[str, object]]:
    out = []
    for module in MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                out.append((f"{module.__name__}.{name}", obj))
                if inspect.isclass(obj):
                    for attr, member in vars(obj).items():
                        if not attr.startswith("_") and (
                            inspect.isfunction(member) or isinstance(member, property | classmethod)
                        ):
                            out.append((f"{module.__name__}.{name}.{attr}", getattr(obj, attr)))
    return out


@pytest.mark.parametrize(("name", "obj"), _public(), ids=[n for n, _ in _public()])
def test_documented_with_examples(name: str, obj: object) -> None:
    doc = inspect.getdoc(obj) or ""
    assert "Examples\n--------" in doc, f"{name} has no Examples section"


def test_all_names_exist() -> None:
    for module in MODULES:
        for name in module.__all__:
            assert hasattr(module, name), name


def test_errors_subclass_builtins() -> None:
    assert issubclass(bbmkit.ValidationError, ValueError)
    assert issubclass(bbmkit.ValidationTypeError, TypeError)
    assert issubclass(bbmkit.ValidationTypeError, bbmkit.ValidationError)


def test_result_reprs_are_readable() -> None:
    import pandas as pd

    accounts = pd.DataFrame({"fit": [0.9, 0.2]}, index=["A", "B"])
    result = bbmkit.rank_stability(accounts, {"fit": 1.0})
    assert repr(result) == (
        "RankStability(table=<DataFrame 2 x 5>, weights=<DataFrame 3 x 1>, "
        "effects=<DataFrame 1 x 3>)"
    )
    page = result._repr_html_()
    assert "<table" in page
    assert "worst_rank" in page
    plan = bbmkit.rebalance(
        pd.DataFrame({"leads": [10], "icp_leads": [5], "cost": [1.0]}), budget=2
    )
    assert "binding=('budget',)" in repr(plan)


def test_api_reference_lists_every_public_name() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
    listed = {line.strip() for line in text.splitlines() if line.startswith("   ") and line.strip()}
    for module in MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                assert name in listed, f"{module.__name__}.{name} is missing from docs/api.md"
