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
