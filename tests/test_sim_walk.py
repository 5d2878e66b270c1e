"""The virtual anklet's sensor playing a walk: the walk file format, the body-to-chip mounting, the chunked source on
the virtual clock (which stays in small ints however long the walk), and the real firmware counting a generated walk
in the simulated board exactly as the same chip path does under CPython, and as `anklet analyze` does off-device."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from anklet_host.analysis.detect import detect
from anklet_host.boardfile import parse
from anklet_host.cli import main
from anklet_host.deploy import load_board
from anklet_host.errors import InputError
from anklet_host.paths import PROJECT_ROOT
from anklet_host.sim.board import SimBoard
from anklet_host.sim.chips import model_for
from anklet_host.sim.chips.sources import (
    GYRO_LIMIT_MDPS,
    WALK_HEADER_BYTES,
    WalkFileSource,
    pack_walk_header,
    unpack_walk_header,
)
from anklet_host.sim.clock import REBASE_STEP_US, TICKS_PERIOD, VirtualClock
from anklet_host.sim.walkfeed import (
    WalkFile,
    body_from_chip,
    chip_from_body,
    decode_walk,
    encode_walk,
    install_walk,
    walk_from_trace,
)
from anklet_host.synth import WalkSpec, generate_walk, parse_walk_shorthand
from anklet_host.trace import Trace, write_trace
from anklet_host.upy import MicroPython
from tests.conftest import run_cpython
from tests.sim_walk_helpers import fresh_flash, play_in_sim, replay_on_host, spec_for, stage_firmware

SIM_DIR = PROJECT_ROOT / "host" / "anklet_host" / "sim"
GY521 = "esp32-devkitc-gy521"  # MPU-6050, INT pin, gyro, mounted with chip axes (+x, -z, +y)
HUZZAH = "huzzah32-lsm6dsox"  # LSM6DSOX at 104 Hz: the walk (100 Hz) is interpolated; axes (+y, -z, -x)
SPEED = 12  # 10 s of board time per watchdog period is 0.8 s of wall time: room for a busy machine


def _trace(walk: str, placement: str = "ankle", seed: int = 3) -> Trace:
    return generate_walk(WalkSpec(segments=parse_walk_shorthand(walk), placement=placement, seed=seed))


@pytest.fixture(scope="module")
def short_walk() -> Trace:
    return _trace("stand:2s,forward:18s,backward:18s@0.4m/s,stand:2s")


# ------------------------------------------------------------------------------------------------ the walk file
walks = st.builds(
    lambda n, rate, gyro, rest, lead, seed: WalkFile(
        rate,
        np.random.default_rng(seed).integers(-32767, 32768, (n, 3)),
        np.random.default_rng(seed + 1).integers(-GYRO_LIMIT_MDPS, GYRO_LIMIT_MDPS + 1, (n, 3)) if gyro else None,
        rest,
        lead,
    ),
    st.integers(0, 300),
    st.integers(1, 1000),
    st.booleans(),
    st.tuples(*[st.integers(-32768, 32767)] * 3),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**31),
)


@given(walks)
def test_walk_files_round_trip(walk: WalkFile) -> None:
    data = encode_walk(walk)
    assert len(data) == WALK_HEADER_BYTES + len(walk) * (18 if walk.gyro_mdps is not None else 6)
    back = decode_walk(data)
    assert (back.rate_hz, back.rest_mg, back.lead_in_ms) == (walk.rate_hz, walk.rest_mg, walk.lead_in_ms)
    assert np.array_equal(back.accel_mg, walk.accel_mg)
    assert (back.gyro_mdps is None) == (walk.gyro_mdps is None)
    if walk.gyro_mdps is not None:
        assert back.gyro_mdps is not None
        assert np.array_equal(back.gyro_mdps, walk.gyro_mdps)
    # The VM's reader serves record k at k / rate_hz seconds (after the lead-in), every value as written.
    source = WalkFileSource(io.BytesIO(data), chunk_records=7)
    source.sample(0)
    for k in range(len(walk)):
        source.sample(
            walk.lead_in_ms * 1000 + k * 1_000_000 // walk.rate_hz + (1 if k * 1_000_000 % walk.rate_hz else 0)
        )
        expected = list(walk.accel_mg[k]) + (list(walk.gyro_mdps[k]) if walk.gyro_mdps is not None else [0, 0, 0])
        assert source.values == expected
    assert not source.finished or len(walk) == 0


def test_bad_walk_headers_are_refused() -> None:
    good = pack_walk_header(100, 5, True, (0, 0, 1000))
    assert unpack_walk_header(good) == (100, 5, True, (0, 0, 1000), 0)
    with pytest.raises(ValueError, match="bad magic"):
        unpack_walk_header(b"XXXX" + good[4:])
    with pytest.raises(ValueError, match="version 9"):
        unpack_walk_header(good[:4] + b"\x09" + good[5:])
    with pytest.raises(ValueError, match="rate must be"):
        pack_walk_header(1001, 5, True, (0, 0, 1000))
    with pytest.raises(ValueError, match="holds 0 bytes"):
        decode_walk(good)
    with pytest.raises(ValueError, match="ends early"):
        WalkFileSource(io.BytesIO(good)).sample(0)


# -------------------------------------------------------------------------------------------- mounting and units
def test_a_trace_turns_into_the_chip_frame_and_units_of_the_board(tmp_path: Path) -> None:
    board = load_board(GY521)
    assert board.axes == (1, -3, 2)  # body x = chip +x, body y = chip -z, body z = chip +y
    g = 9.80665
    t_s = np.arange(4) / 100
    accel = np.array([[0.0, 0.0, g], [g, 0.0, 0.0], [0.0, g, 0.0], [1.0, -2.0, 3.0]])
    gyro = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    walk = walk_from_trace(Trace(t_s, accel, gyro), board.axes)
    assert walk.rate_hz == 100
    assert walk.rest_mg == (0, 1000, 0)  # gravity (body +z) on chip +y
    assert walk.accel_mg.tolist() == [[0, 1000, 0], [1000, 0, 0], [0, 0, -1000], [102, 306, 204]]
    assert walk.gyro_mdps is not None
    assert walk.gyro_mdps.tolist()[:3] == [[0, 57296, 0], [57296, 0, 0], [0, 0, -57296]]
    # What the step detector does with the board's axes undoes the mounting exactly.
    assert np.array_equal(body_from_chip(chip_from_body(accel, board.axes), board.axes), accel)
    # Uneven sample times are put on a uniform grid at the nearest whole rate.
    uneven_s = np.array([0.0, 0.0101, 0.0199, 0.03])
    jitter = walk_from_trace(Trace(uneven_s, accel), (1, 2, 3))
    assert jitter.rate_hz == 99  # the median interval, 10.1 ms
    y_at_2 = np.interp(2 / 99, uneven_s, accel[:, 1]) * 1000 / g  # 2/99 s falls 3 % of the way into the last gap
    assert jitter.accel_mg.tolist() == [[0, 0, 1000], [1000, 0, 0], [3, round(y_at_2), 9]]
    with pytest.raises(InputError, match="do not name each chip axis once"):
        walk_from_trace(Trace(t_s, accel), (1, 1, 3))


@pytest.mark.parametrize("axes", [["+y", "-z", "-x"], ["+z", "+x", "+y"], ["+x", "+y", "+z"], ["-y", "+x", "+z"]])
def test_the_detector_sees_the_body_frame_through_every_mounting(short_walk: Trace, axes: list[str]) -> None:
    """The same walk on the same board mounted otherwise (a board file saying so) counts exactly the same: the walk
    reaches the chip turned by the mounting and the firmware turns it back with the board's axes. A board file whose
    axes do not match how the chip sits counts wrong: the mapping matters."""
    board = load_board(GY521)
    reference, _ = replay_on_host(walk_from_trace(short_walk, board.axes), board)
    data = board.to_dict()
    data["mounting"]["axes"] = axes
    turned = parse(data, "turned")
    counts, _ = replay_on_host(walk_from_trace(short_walk, turned.axes), turned)
    assert counts == reference
    labels = short_walk.reference_contacts()
    assert abs(counts.contacts - len(labels)) <= 1
    assert abs(counts.backward - sum(r.direction == "backward" for r in labels)) <= 1
    mismatched, _ = replay_on_host(walk_from_trace(short_walk, turned.axes), board)
    assert mismatched != reference


# ------------------------------------------------------------------------------------------- the virtual clock
def test_the_clock_rebases_and_wraps_its_ticks_but_keeps_exact_time() -> None:
    clock = VirtualClock(rebase_at_us=1 << 29)
    shifts: list[int] = []
    clock.follow(shifts.append)
    for _ in range(2300):
        clock.advance_ms(1000)  # 2300 s: past 2**30 us and 2**31 us
        assert 0 <= clock.now_us < 1 << 29
    assert clock.elapsed_us == 2_300_000_000
    assert shifts == [REBASE_STEP_US] * clock.rebases
    assert clock.rebases == (2_300_000_000 - (1 << 29)) // REBASE_STEP_US + 1
    assert clock.ticks_us() == 2_300_000_000 % TICKS_PERIOD
    assert clock.ticks_ms() == 2_300_000
    plain = VirtualClock(5)
    assert plain.advance_us(3 << 30) == (3 << 30) + 5  # without rebase_at_us: exact, as host tests expect
    assert plain.rebases == 0


def test_a_chip_keeps_its_sample_schedule_across_clock_rebases() -> None:
    clock = VirtualClock(rebase_at_us=1 << 29)
    walk = WalkFile(100, np.array([[k % 1000, 0, 1000] for k in range(130_000)]), None, (0, 0, 1000))
    source = WalkFileSource(io.BytesIO(encode_walk(walk)))
    model = model_for("lis3dh", clock, source, 0x18)
    clock.follow(source.rebase)
    clock.follow(lambda shift: setattr(model, "next_sample_us", model.next_sample_us - shift))
    for reg, value in ((0x23, 0x88), (0x24, 0x40), (0x2E, 0x80), (0x20, 0x57)):  # 100 Hz, FIFO stream mode
        model.write(reg, bytes([value]))
    served = []
    for _ in range(1200):  # 1200 s of 1 s steps: three rebases
        clock.advance_ms(1000)
        model.update()
        served.append(source.record)
        model.fifo_clear()
    assert clock.rebases == 3
    assert served == [100 * (s + 1) - 1 for s in range(1200)]  # no sample skipped or repeated at a rebase
    assert model.produced == 120_000


# ---------------------------------------------------------------------------------------- under MicroPython
LONG_WALK_CODE = """
try:
    import micropython
    locked = True
except ImportError:
    locked = False
from anklet.drivers import open_sensor
from anklet_host.sim.chips import model_for
from anklet_host.sim.chips.sources import WalkFileSource
from anklet_host.sim.clock import VirtualClock
from anklet_host.sim.i2c import I2C
clock = VirtualClock(rebase_at_us=1 << 29)
source = WalkFileSource(open(WALK_PATH, "rb"), 256)
model = model_for("lsm6dsox", clock, source, 0x6A)
source.gate = model
clock.follow(source.rebase)
def shift(s):
    model.next_sample_us -= s
clock.follow(shift)
bus = I2C(0)
bus.attach(model)
s = open_sensor(bus, "lsm6dsox", 0x6A, rate_hz=26, range_g=8, gyro_dps=2000, clock_ms=clock.ticks_ms)
s.start()
total = 0
check = 0
largest = 0
n = 0  # every global the locked loop sets exists before it (a new global grows the module's dict)
i = 0
while not source.finished:
    if locked:
        micropython.heap_lock()
    try:
        clock.advance_us(200000)
        n = s.read_fifo()
        while n:
            total += n
            i = 0
            while i < n * 6:
                # A checksum of every value read that stays a small int.
                check = (check * 31 + s.samples[i] + 7 * s.samples[i + 3]) & 0xFFFFFF
                i += 6
            n = s.read_fifo()
        if clock.now_us > largest:
            largest = clock.now_us
    finally:
        if locked:
            micropython.heap_unlock()
print(total, source.count, s.rate_hz, s.overflows, model.dropped, clock.rebases, largest < (1 << 29))
print(source.reads, check)
"""


@pytest.mark.micropython
def test_a_long_walk_streams_in_chunks_with_the_heap_locked(upy: MicroPython, tmp_path: Path) -> None:
    """18 minutes 20 s of a 100 Hz walk, played by the LSM6DSOX model at 26 Hz (interpolated, with gyro; its lowest
    rate keeps the test short) to its driver, past 2**30 us (where the clock's ticks wrap and an unrebased clock
    would allocate), with the heap locked around the whole sampling step (clock, chip, walk source, driver): only a
    chunk of the walk is ever in RAM. CPython reads exactly the same values."""
    board = load_board(HUZZAH)
    one = walk_from_trace(_trace("forward:10s,backward:10s@0.4m/s"), board.axes)
    assert one.gyro_mdps is not None
    reps = 55  # 55 x 20 s = 1100 s, past 2**30 us = 1073.7 s
    walk = WalkFile(100, np.tile(one.accel_mg, (reps, 1)), np.tile(one.gyro_mdps, (reps, 1)), one.rest_mg)
    data = encode_walk(walk)
    (tmp_path / "walk.bin").write_bytes(data)
    out = upy.run(
        LONG_WALK_CODE.replace("WALK_PATH", repr("/walk.bin")),
        files={"/walk.bin": data, "/lib/anklet_host/__init__.py": ""},
        dirs={"/lib/anklet_host/sim": SIM_DIR},
        timeout_s=120,
    )
    assert out == run_cpython(LONG_WALK_CODE.replace("WALK_PATH", repr(str(tmp_path / "walk.bin"))))
    total, count, rate_hz, overflows, dropped, rebases, small, reads, _check = out.split()
    assert int(count) == len(walk) == 110_000
    assert rate_hz == "26"
    assert int(total) >= len(walk) * 26 // 100  # the whole walk reached the driver (then standing still)
    assert (overflows, dropped) == ("0", "0")
    assert int(rebases) == 3
    assert small == "True"
    assert len(walk) // 256 - 2 <= int(reads) <= len(walk) // 250  # a chunk at a time, never the whole file


# --------------------------------------------------------------------------------- the firmware in the sim board
def _play(board_name: str, trace: Trace, tmp_path: Path, speed: int = SPEED) -> None:
    board, staged = stage_firmware(board_name, tmp_path.parent / f"staged-{board_name}")
    walk = walk_from_trace(trace, board.axes_for(False))
    expected, _samples = replay_on_host(walk, board)
    flash = fresh_flash(staged, tmp_path / "flash")
    install_walk(flash, walk)
    run = play_in_sim(flash, spec_for(board), speed=speed, timeout_s=60)
    assert run.transcript.count(f"board={board_name}") == 1, run.transcript[-800:]  # one boot: no watchdog reset
    assert run.last["dropped"] == 0  # the chip's FIFO never overflowed: the driver counted no overflow either
    assert run.last["record"] == len(walk) - 1
    # Lossless: the firmware in the VM counted exactly what the same chip path counts under CPython...
    assert run.counts == expected
    # ...and what `anklet analyze` and the labels say, within a contact.
    analyzed = detect(trace, "shoe" if board.placement.startswith("shoe") else "ankle")
    labels = trace.reference_contacts()
    assert abs(run.counts.contacts - analyzed.contacts) <= 1
    assert abs(run.counts.backward - analyzed.backward) <= 1
    assert abs(run.counts.contacts - len(labels)) <= 1
    assert abs(run.counts.backward - sum(r.direction == "backward" for r in labels)) <= 1
    samples_per_s, speed_achieved = run.play_rate()
    print(f"{board_name}: {samples_per_s:.0f} samples/s, {speed_achieved:.1f}x real time, lag {run.last['lag_ms']} ms")


@pytest.mark.micropython
def test_the_firmware_counts_a_generated_walk_in_the_sim(short_walk: Trace, tmp_path: Path) -> None:
    _play(GY521, short_walk, tmp_path)


@pytest.mark.micropython
def test_the_firmware_counts_an_interpolated_walk_on_a_104_hz_chip(tmp_path: Path) -> None:
    _play(HUZZAH, _trace("forward:15s,backward:15s@0.3m/s,stand:2s", seed=5), tmp_path)


@pytest.mark.micropython
def test_a_reset_part_way_through_a_walk_does_not_play_it_again(tmp_path: Path) -> None:
    """The EN button pressed 68 s into a walk, after the firmware saved its counters (at about 61 s of board time):
    the walker goes on, so the next boot's sensor resumes the walk about a second later instead of from its start.
    Played again from the start, the walk's first 61 s would be counted twice (on top of the restored counters)."""
    board, staged = stage_firmware(GY521, tmp_path.parent / f"staged-{GY521}")
    trace = _trace("forward:40s,backward:35s@0.4m/s,stand:3s", seed=8)
    walk = walk_from_trace(trace, board.axes_for(False))
    flash = fresh_flash(staged, tmp_path / "flash")
    install_walk(flash, walk)
    reset_at_record = 68 * walk.rate_hz
    pressed: list[int] = []

    def press_reset(sim: SimBoard, event: dict[str, Any]) -> None:
        if not pressed and event["record"] >= reset_at_record:
            pressed.append(event["record"])
            threading.Thread(target=sim.reset, daemon=True).start()

    run = play_in_sim(flash, spec_for(board), speed=20, timeout_s=90, on_walk=press_reset)
    assert run.transcript.count(f"board={GY521}") == 2, run.transcript[-800:]
    first = [e["record"] for e in run.walk_events if e["boot"] == 1 and e["record"] >= 0]
    second = [e["record"] for e in run.walk_events if e["boot"] == 2 and e["record"] >= 0]
    assert first[-1] >= pressed[0] >= reset_at_record
    # The second boot resumed a second after the last record the first one reported (its first report comes within
    # a second of board time), and played to the end.
    assert first[-1] + walk.rate_hz <= second[0] <= first[-1] + 3 * walk.rate_hz
    assert run.last["finished"]
    assert run.last["record"] == len(walk) - 1
    analyzed = detect(trace, "ankle")
    # Contacts the firmware had not saved when the reset came (61 s to 68 s) and the second of walking the reboot
    # missed are lost; nothing is counted twice.
    assert analyzed.contacts - 12 <= run.counts.contacts <= analyzed.contacts
    assert analyzed.backward - 12 <= run.counts.backward <= analyzed.backward


# -------------------------------------------------------------------------------------------------- the CLI
def test_sim_walk_options_refuse_bad_input_on_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flash = str(tmp_path / "flash")
    cases = [
        (["--walk", "forward:10s"], "a walk needs --board"),
        (["--board", GY521, "--walk", "sideways:10s"], "kind must be one of"),
        (["--board", GY521, "--trace", str(tmp_path / "none.csv")], "cannot read"),
        (["--board", GY521, "--spec", str(tmp_path / "none.json")], "cannot read"),
        (["--board", GY521, "--walk", "forward:10s", "--lead-in", "-1"], "--lead-in must be"),
    ]
    for extra, message in cases:
        assert main(["sim", "--flash", flash, "--no-pty", "--socket", "0", *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert message in err
    assert not (tmp_path / "flash" / "_sim").exists()


def test_anklet_sim_plays_a_trace_file(tmp_path: Path, short_walk: Trace) -> None:
    trace_path = tmp_path / "walk.csv"
    write_trace(trace_path, short_walk)
    flash = tmp_path / "flash"
    ports = tmp_path / "ports"
    anklet = str(Path(sys.executable).with_name("anklet"))
    options = ["--board", GY521, "--flash", str(flash), "--no-pty", "--socket", "0", "--port-file", str(ports)]
    options += ["--radio-port", "0"]  # any free port: the default may be taken by a sim the developer runs
    proc = subprocess.Popen(
        [anklet, "sim", *options, "--trace", str(trace_path), "--speed", "4"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not ports.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ports.read_text().startswith("socket://127.0.0.1:")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "walk: 4000 samples at 100 Hz (0.7 min, accel+gyro)" in out
    assert "radio: tcp-client:127.0.0.1:" in out  # its radio is served for `anklet ... --via`
    board = load_board(GY521)
    written = decode_walk((flash / "_sim" / "walk.bin").read_bytes())
    assert np.array_equal(written.accel_mg, walk_from_trace(short_walk, board.axes).accel_mg)
