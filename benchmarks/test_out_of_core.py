"""Smoke test of the out-of-core script: a small log, chunked equal to in-memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import out_of_core


def test_out_of_core_script_small(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyarrow", reason="pyarrow is not installed")
    path = tmp_path / "log.parquet"
    out_of_core.main(["--events", "2e4", "--batch-size", "3e3", "--path", str(path), "--check"])
    out = capsys.readouterr().out
    assert "same contacts: True" in out
    assert "same handovers: True" in out
    assert path.is_file()
