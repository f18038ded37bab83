"""Check that the built API reference has a page for every public name, method and property.

Run after ``sphinx-build docs docs/_build/html`` (CI does)::

    python scripts/check_reference.py

Public names are the ``__all__`` of ``bbmkit`` and of its public submodules;
for every class, its own public methods and properties (inherited ones are
documented where they are defined). Exits non-zero listing what has no page.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import bbmkit
import bbmkit.chunked
import bbmkit.datasets
import bbmkit.plot
import bbmkit.serialize

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "docs" / "_build" / "html" / "generated"
MODULES = [bbmkit, bbmkit.serialize, bbmkit.chunked, bbmkit.datasets, bbmkit.plot]


def expected() -> list[str]:
    names = []
    for module in MODULES:
        for name in module.__all__:
            if name == "__version__":
                continue
            qualified = f"{module.__name__}.{name}"
            names.append(qualified)
            obj = getattr(module, name)
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if inspect.isfunction(member) or isinstance(
                        member, classmethod | staticmethod | property
                    ):
                        names.append(f"{qualified}.{attr}")
    return names


def main() -> int:
    if not PAGES.is_dir():
        print(f"no built reference at {PAGES}: build the docs first", file=sys.stderr)
        return 2
    missing = [name for name in expected() if not (PAGES / f"{name}.html").is_file()]
    if missing:
        print("public names without a reference page:", *missing, sep="\n  ", file=sys.stderr)
        return 1
    print(f"reference pages: all {len(expected())} public names, methods and properties")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
