"""`anklet demo`: the bundled walk gives the same counts on MicroPython and CPython, close to the walk's labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anklet_host.cli import main
from anklet_host.trace import read_trace

pytestmark = pytest.mark.micropython


def test_demo_runs_the_detector_on_both_pythons_and_they_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["device"] == summary["analyze"]
    reference, device = summary["reference"], summary["device"]
    # The walk: 2 + 6 + 2 minutes of walking; 6 minutes of it backward and toe-first.
    assert reference["backward"] == reference["toe_first"] > 100
    assert abs(device["contacts"] - reference["contacts"]) <= 0.02 * reference["contacts"]
    assert abs(device["backward"] - reference["backward"]) <= 0.02 * reference["backward"]
    assert read_trace(tmp_path / "demo_walk.csv").duration_s > 600
