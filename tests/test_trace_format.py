"""The trace CSV: exact round trip for any trace, and one-line errors naming file and line for bad input."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from anklet_host.errors import InputError
from anklet_host.trace import Trace, parse_trace, read_trace, trace_to_text, write_trace

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
label_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyz01 :", max_size=8).map(str.strip)


@st.composite
def traces(draw: st.DrawFn) -> Trace:
    n = draw(st.integers(min_value=1, max_value=40))
    steps = draw(st.lists(st.floats(min_value=1e-4, max_value=1.0), min_size=n, max_size=n))
    t0 = draw(st.floats(min_value=0, max_value=1e4))
    t_s = t0 + np.cumsum(np.asarray(steps))
    accel = np.asarray(draw(st.lists(st.tuples(finite, finite, finite), min_size=n, max_size=n)))
    gyro = None
    if draw(st.booleans()):
        gyro = np.asarray(draw(st.lists(st.tuples(finite, finite, finite), min_size=n, max_size=n)))
    names = draw(st.lists(st.sampled_from(["contact", "direction", "strike", "activity", "note"]), unique=True))
    labels = {name: draw(st.lists(label_text, min_size=n, max_size=n)) for name in names}
    return Trace(
        t_s=t_s, accel_ms2=accel.reshape(n, 3), gyro_rads=None if gyro is None else gyro.reshape(n, 3), labels=labels
    )


@given(traces())
def test_round_trip_is_exact(trace: Trace) -> None:
    again = parse_trace(io.StringIO(trace_to_text(trace)))
    assert np.array_equal(again.t_s, trace.t_s)
    assert np.array_equal(again.accel_ms2, trace.accel_ms2)
    assert (again.gyro_rads is None) == (trace.gyro_rads is None)
    if trace.gyro_rads is not None:
        assert again.gyro_rads is not None
        assert np.array_equal(again.gyro_rads, trace.gyro_rads)
    assert again.labels == trace.labels


def test_reference_contacts_and_rate(tmp_path: Path) -> None:
    path = tmp_path / "walk.csv"
    path.write_text(
        "t_s,ax,ay,az,contact,direction,strike\n0.00,0,0,9.81,0,,\n0.01,0.1,0,9.7,1,backward,toe\n0.02,0,0,9.81,0,,\n"
    )
    trace = read_trace(path)
    assert trace.rate_hz() == pytest.approx(100.0)
    assert trace.gyro_rads is None
    [contact] = trace.reference_contacts()
    assert (contact.index, contact.t_s, contact.direction, contact.strike) == (1, 0.01, "backward", "toe")
    write_trace(tmp_path / "again.csv", trace)
    assert (tmp_path / "again.csv").read_text() == path.read_text().replace(
        "0.00,0,0,9.81", "0.0,0.0,0.0,9.81"
    ).replace("0.01,0.1,0,9.7", "0.01,0.1,0.0,9.7").replace("0.02,0,0,9.81", "0.02,0.0,0.0,9.81")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"walk\.csv:1: empty file"),
        ("t_s,ax,ay\n0,1,2\n", r"walk\.csv:1: missing column\(s\) az"),
        ("t_s,ay,ax,az\n0,1,2,3\n", r"walk\.csv:1: columns out of order"),
        ("t_s,ax,ay,az\n", r"walk\.csv:2: no samples"),
        ("t_s,ax,ay,az\n0,1,2,3\n0.01,1,x,3\n", r"walk\.csv:3: ay is not a number: 'x'"),
        ("t_s,ax,ay,az\n0,1,2,3\n0.01,1,2\n", r"walk\.csv:3: expected 4 values, found 3"),
        ("t_s,ax,ay,az\n0.02,1,2,3\n0.01,1,2,3\n", r"walk\.csv:3: time goes backward"),
        ("t_s,ax,ay,az\n0,1,2,nan\n", r"walk\.csv:2: az is not a finite number"),
        ("t_s,ax,ay,az,gx,gz,gy\n0,1,2,3,4,5,6\n", r"walk\.csv:1: gyro columns must come as gx,gy,gz"),
    ],
)
def test_bad_input_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "walk.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        read_trace(path)
    assert "\n" not in str(info.value)
    assert info.value.exit_status == 2


def test_unreadable_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_trace(tmp_path / "absent.csv")
    binary = tmp_path / "walk.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InputError, match="not a text CSV"):
        read_trace(binary)
