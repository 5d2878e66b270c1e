"""The detector on real recordings (../shared/data): forward walking, IMUs on the shoes, mocap/annotated contacts.

The converters (tests/realdata/convert.py) write one body-frame trace per foot; `anklet eval` scores them. Floors
sit a little under the figures reached so a regression fails. The shoe models were fitted on synthetic walks plus
these very recordings, so direction and strike here are in-sample: a guard, not an accuracy claim. The figures the
README reports come from leave-one-recording-out fits (each recording scored by a model that never saw it).
Contact finding (F1) involves no fitting on them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anklet_host.cli import main
from anklet_host.trace import read_trace
from tests.realdata.convert import write_all

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def real_traces(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("real")
    write_all(shared_data, folder)
    return folder


def run_eval(capsys: pytest.CaptureFixture[str], folder: Path, *options: str) -> dict[str, float]:
    assert main(["eval", str(folder), "--placement", "shoe", *options]) == 0
    return dict(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))


def test_converted_traces_are_body_frame_with_labels(real_traces: Path) -> None:
    paths = sorted(real_traces.glob("*.csv"))
    assert len(paths) == 10
    references = 0
    for path in paths:
        trace = read_trace(path)
        assert trace.gyro_rads is not None
        # Standing at the start: gravity along +z.
        rest = trace.accel_ms2[: round(trace.rate_hz())]
        assert np.mean(rest[:, 2]) > 9.0
        refs = trace.reference_contacts()
        assert all(r.direction == "forward" and r.strike == "heel" for r in refs)
        assert set(trace.labels["scored"]) == {"0", "1"}
        references += len(refs)
    assert references == 28 + 29 + 11 + 11 + 17 + 18 + 16 + 17 + 18 + 19


def test_shoe_accelerometer_only(real_traces: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_eval(capsys, real_traces, "--no-gyro")
    assert result["references"] == 183
    assert result["f1"] >= 0.975
    assert result["precision"] >= 0.97
    assert result["direction_accuracy"] >= 0.99
    assert result["heel_called_toe_rate"] <= 0.01


def test_shoe_with_gyro(real_traces: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_eval(capsys, real_traces)
    assert result["f1"] >= 0.975
    assert result["direction_accuracy"] >= 0.99
    assert result["strike_accuracy"] >= 0.98
    assert result["heel_called_toe_rate"] <= 0.01


def test_half_rate_gives_the_same_contacts(real_traces: Path) -> None:
    """The 204.8 Hz recording read at its own rate and decimated to 102.4 Hz finds the same contacts."""
    from anklet_host.analysis.detect import detect
    from anklet_host.trace import Trace

    trace = read_trace(real_traces / "gaitmap-2x20m-left.csv")
    half = Trace(trace.t_s[::2], trace.accel_ms2[::2], None, {})
    full_times = [s.t_s for s in detect(trace, "shoe", use_gyro=False).steps]
    half_times = [s.t_s for s in detect(half, "shoe", use_gyro=False).steps]
    assert len(full_times) == len(half_times) >= 28
    offsets = np.abs(np.array(full_times) - np.array(half_times))
    assert np.median(offsets) < 0.01
    assert np.max(offsets) < 0.1
