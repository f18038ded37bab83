import subprocess
import sys

import pytest

from bbmkit.__main__ import demo_report, main


def test_demo_report_contents() -> None:
    text = demo_report()
    assert "ICP rate per programme" in text
    for label in ("quantity_bias", "quality_bias", "balanced", "abm_play", "SQL"):
        assert label in text
    assert "Learning aid" in text
    assert "ABM handover: any_contact(at_least=100) | contacts(at_least=60, count=3)" in text
    assert "3 contacts >= 60" in text
    assert "Fit x engagement grade" in text
    assert "Funnel from the stage-event log" in text
    assert "ICP split" in text
    assert "Bottleneck: SQL -> C" in text
    assert "ABM target list" in text
    assert "ABM scorecard of the top 5 accounts" in text
    assert "Tier-1 KGIs and KPIs by quarter" in text
    assert "BBM portfolio by programme" in text
    assert "Suggested rebalance" in text
    assert "ROC AUC of priority" in text


def test_main_prints_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--band", "0.3", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "target band 30%-50%" in out


def test_main_reports_bad_band(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--band", "0.7", "0.3"]) == 2
    assert "band low must be <= high" in capsys.readouterr().err


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bbmkit", "demo"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("bbmkit ")


def test_unknown_command() -> None:
    with pytest.raises(SystemExit):
        main(["frobnicate"])
