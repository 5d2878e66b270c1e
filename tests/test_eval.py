"""`anklet eval` and the scoring behind it: matching within ±0.15 s, the `scored` window, the table and JSON line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anklet_host.analysis.detect import DetectedStep
from anklet_host.analysis.score import score_trace
from anklet_host.cli import main
from anklet_host.trace import Trace, write_trace
from tests.detector_helpers import walk_trace


def labelled(n: int, contacts: dict[int, tuple[str, str]], scored: list[str] | None = None) -> Trace:
    columns = {"contact": [""] * n, "direction": [""] * n, "strike": [""] * n}
    for i, (direction, strike) in contacts.items():
        columns["contact"][i] = "1"
        columns["direction"][i] = direction
        columns["strike"][i] = strike
    if scored is not None:
        columns["scored"] = scored
    return Trace(np.arange(n) / 100.0, np.zeros((n, 3)), None, columns)


def test_matching_is_one_to_one_within_tolerance() -> None:
    trace = labelled(1000, {100: ("forward", "heel"), 300: ("backward", "toe"), 600: ("forward", "")})
    steps = [
        DetectedStep(1.10, "forward", "heel"),  # 0.10 s late: matched
        DetectedStep(1.12, "forward", "heel"),  # a second one for the same contact: false positive
        DetectedStep(3.00, "forward", "toe"),  # matched, wrong direction, right strike
        DetectedStep(6.20, "forward", "flat"),  # 0.20 s off: no match
    ]
    score = score_trace(trace, steps)
    assert (score.references, score.detections, score.matched) == (3, 4, 2)
    assert score.precision == pytest.approx(0.5)
    assert score.recall == pytest.approx(2 / 3)
    assert score.f1 == pytest.approx(2 * 2 / 7)
    assert score.count_error == pytest.approx(1 / 3)
    assert score.direction_accuracy == pytest.approx(0.5)
    assert score.strike_accuracy == pytest.approx(1.0)
    assert score.heel_called_toe_rate == pytest.approx(0.0)
    assert score.mean_timing_error_ms == pytest.approx(50.0)


def test_scored_column_ignores_rows_outside_it() -> None:
    scored = ["0"] * 200 + ["1"] * 600 + ["0"] * 200
    trace = labelled(1000, {100: ("forward", "heel"), 400: ("forward", "heel"), 900: ("forward", "heel")}, scored)
    steps = [DetectedStep(0.5, "forward", "heel"), DetectedStep(4.0, "forward", "toe")]
    score = score_trace(trace, steps)
    assert (score.references, score.detections, score.matched) == (1, 1, 1)
    assert score.heel_called_toe_rate == pytest.approx(1.0)


def test_eval_prints_a_table_then_one_json_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_trace(tmp_path / "a.csv", walk_trace(100, 12))
    write_trace(tmp_path / "b.csv", walk_trace(200, 10))
    write_trace(tmp_path / "unlabelled.csv", walk_trace(100, 5, labels=False))
    assert main(["eval", str(tmp_path), "--placement", "ankle"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].split()[:3] == ["trace", "refs", "dets"]
    assert [line.split()[0] for line in lines[2:5]] == ["a.csv", "b.csv", "total"]
    summary = json.loads(lines[-1])
    assert summary["traces"] == 2
    # 11 + 9 labelled landings, the last of each walk (its stance cut by the end of the trace) too.
    assert summary["references"] == 20
    assert summary["matched"] == summary["detections"] == 20
    assert summary["precision"] == 1.0
    assert summary["recall"] == pytest.approx(1.0)


def test_eval_json_only_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_trace(tmp_path / "a.csv", walk_trace(100, 8))
    assert main(["eval", str(tmp_path), "--json", "--no-gyro"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert json.loads(out[0])["gyro"] is False
    assert main(["eval", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["eval", str(empty)]) == 2
    assert "no labelled traces" in capsys.readouterr().err
