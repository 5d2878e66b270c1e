"""`anklet analyze`: the JSON contract, the summary, --rate/--no-gyro, resampling above 400 Hz, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anklet_host.analysis.detect import detect
from anklet_host.analysis.load import read_trace_fast
from anklet_host.analysis.resample import lowpass_kernel, resample_trace
from anklet_host.cli import main
from anklet_host.trace import Trace, read_trace, write_trace
from tests.detector_helpers import walk_trace, write_walk


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_walk(tmp_path / "walk.csv", 100, 20)
    status, out, _ = run_cli(capsys, "analyze", str(path), "--placement", "ankle", "--json")
    assert status == 0
    result = json.loads(out)
    assert set(result) == {"rate_hz", "resampled_from_hz", "placement", "steps", "counts"}
    assert result["rate_hz"] == 100.0  # rounded: t_s in float seconds gives 100.00000000009095
    assert (result["placement"], result["resampled_from_hz"]) == ("ankle", None)
    assert set(result["counts"]) == {"contacts", "backward", "toe_first"}
    steps = result["steps"]
    assert result["counts"]["contacts"] == len(steps) == 19  # every landing, the last one (cut by the end) too
    for k, step in enumerate(steps, start=1):
        assert set(step) == {"t_s", "direction", "strike"}
        assert step["t_s"] == pytest.approx(1.1 * k, abs=0.025)
        assert step["direction"] == "forward"
        assert step["strike"] in ("heel", "toe", "flat")
    assert result["counts"]["backward"] == sum(s["direction"] == "backward" for s in steps)
    assert result["counts"]["toe_first"] == sum(s["strike"] == "toe" for s in steps)


def test_readable_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_walk(tmp_path / "walk.csv", 100, 20)
    status, out, _ = run_cli(capsys, "analyze", str(path), "--placement", "shoe")
    assert status == 0
    assert "contacts of this foot: 19 (0 backward" in out
    assert "steps of both feet (estimated): 38" in out
    assert "cadence: 109 steps/min" in out


def test_the_summary_lists_contacts_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_walk(tmp_path / "walk.csv", 100, 20)
    _, short, _ = run_cli(capsys, "analyze", str(path))
    _, full, _ = run_cli(capsys, "analyze", str(path), "--contacts")
    assert short.splitlines()[-1] == "cadence: 109 steps/min"  # the summary stays on screen
    contacts = full.splitlines()[len(short.splitlines()) :]
    assert len(contacts) == 19
    assert contacts[0].split()[1:3] == ["s", "forward"]


def test_rate_option_overrides_the_time_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = walk_trace(100, 20)
    # The same samples with t_s in tenths: read as 10 Hz unless --rate says 100.
    slow = Trace(trace.t_s * 10, trace.accel_ms2, None, {})
    write_trace(tmp_path / "slow.csv", slow)
    status, _, err = run_cli(capsys, "analyze", str(tmp_path / "slow.csv"), "--json")
    assert status == 2
    assert "below the detector's lowest rate" in err
    status, out, _ = run_cli(capsys, "analyze", str(tmp_path / "slow.csv"), "--rate", "100", "--json")
    assert status == 0
    assert json.loads(out)["rate_hz"] == 100
    assert json.loads(out)["counts"]["contacts"] == 19


def test_no_gyro_ignores_the_gyro_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = walk_trace(100, 20, with_gyro=True)
    assert trace.gyro_rads is not None
    trace.gyro_rads[:, 1] = -4.0  # a pitch rate that would make every stance backward
    write_trace(tmp_path / "g.csv", trace)
    _, with_gyro, _ = run_cli(capsys, "analyze", str(tmp_path / "g.csv"), "--json")
    _, without, _ = run_cli(capsys, "analyze", str(tmp_path / "g.csv"), "--json", "--no-gyro")
    assert json.loads(with_gyro)["counts"]["backward"] == 19
    assert json.loads(without)["counts"]["backward"] == 0
    assert json.loads(without) == json.loads(
        run_cli(capsys, "analyze", str(write_walk(tmp_path / "a.csv")), "--json")[1]
    )


def test_traces_above_400_hz_are_resampled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fast = walk_trace(1000, 12)
    write_trace(tmp_path / "fast.csv", fast)
    status, out, _ = run_cli(capsys, "analyze", str(tmp_path / "fast.csv"), "--json")
    assert status == 0
    result = json.loads(out)
    assert (result["rate_hz"], result["resampled_from_hz"]) == (200.0, 1000.0)
    times = [s["t_s"] for s in result["steps"]]
    assert len(times) == 11
    assert np.allclose(times, [1.1 * k for k in range(1, 12)], atol=0.03)


def test_resampling_removes_what_would_alias_and_keeps_gait() -> None:
    rate_hz = 1000.0
    t_s = np.arange(0, 20, 1 / rate_hz)
    gait = np.sin(2 * np.pi * 2.0 * t_s)  # 2 Hz: gait
    alias = np.sin(2 * np.pi * 310.0 * t_s)  # would fold to 110 Hz -> 90 Hz at 200 Hz
    accel = np.column_stack([gait + alias, np.zeros_like(t_s), np.full_like(t_s, 9.81)])
    out = resample_trace(Trace(t_s, accel))
    assert out.rate_hz() == pytest.approx(200.0)
    middle = slice(200, len(out) - 200)
    expected = np.sin(2 * np.pi * 2.0 * out.t_s[middle])
    assert np.max(np.abs(out.accel_ms2[middle, 0] - expected)) < 0.01  # alias down >40 dB, gait kept
    assert np.allclose(out.accel_ms2[:, 2], 9.81)
    kernel = lowpass_kernel(rate_hz, 80.0)
    assert kernel.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("content", "line", "what"),
    [
        ("", 1, "empty file"),
        ("t_s,ax,az\n0,1,2\n", 1, "missing column"),
        ("t_s,ax,ay,az\n0,1,2,3\n0.01,1,x2,3\n", 3, "ay is not a number"),
        ("t_s,ax,ay,az\n0,1,2,3\n0.02,1,2,3\n0.01,1,2,3\n", 4, "time goes backward"),
        ("t_s,ax,ay,az\n", 2, "no samples"),
    ],
)
def test_bad_input_is_one_line_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, line: int, what: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    status, out, err = run_cli(capsys, "analyze", str(path), "--json")
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert f"{path}:{line}:" in err
    assert what in err
    assert "Traceback" not in err


def test_missing_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_cli(capsys, "analyze", str(tmp_path / "nope.csv"))
    assert status == 2
    assert "nope.csv: cannot read" in err


finite = st.floats(-150, 150, allow_nan=False, width=64)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(finite, finite, finite, finite, finite, finite), min_size=1, max_size=30),
    gyro=st.booleans(),
    label=st.sampled_from(["", "1", "forward", "a,b"]),
)
def test_fast_reader_equals_the_format_reader(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[float, ...]], gyro: bool, label: str
) -> None:
    data = np.array(rows, dtype=np.float64)
    trace = Trace(
        t_s=np.arange(len(rows)) * 0.01 + 0.005,
        accel_ms2=data[:, :3],
        gyro_rads=data[:, 3:] if gyro else None,
        labels={"contact": [label] * len(rows)},
    )
    path = tmp_path_factory.mktemp("fast") / "t.csv"
    write_trace(path, trace)
    fast, full = read_trace_fast(path), read_trace(path)
    assert np.array_equal(fast.t_s, full.t_s)
    assert np.array_equal(fast.accel_ms2, full.accel_ms2)
    assert (fast.gyro_rads is None) == (full.gyro_rads is None)
    if fast.gyro_rads is not None and full.gyro_rads is not None:
        assert np.array_equal(fast.gyro_rads, full.gyro_rads)


def test_detect_refuses_an_unknown_placement() -> None:
    from anklet_host.errors import InputError

    with pytest.raises(InputError, match="placement"):
        detect(walk_trace(100, 4), "wrist")
