"""The sampling loop on the board's own code path: a chip model playing a generated walk, the real driver draining
its FIFO, the sampler feeding the step detector and handing out contacts, with the heap locked around every batch
under MicroPython (zero allocation per batch), and the same counts under CPython."""

from __future__ import annotations

from pathlib import Path

import pytest

from anklet_host.boardfile import compact, load
from anklet_host.paths import BOARDS_DIR
from anklet_host.sim.walkfeed import encode_walk, walk_from_trace
from anklet_host.synth import Segment, WalkSpec, generate_walk
from anklet_host.upy import MicroPython
from tests.conftest import run_cpython
from tests.drivers_helpers import parse, run_micropython

pytestmark = pytest.mark.micropython

# The HUZZAH32 board: LSM6DSOX with gyro on INT1, worn on the outer ankle.
BOARD_FILE = BOARDS_DIR / "huzzah32-lsm6dsox.json"

SCENARIO = r"""
try:
    import micropython
    lock, unlock = micropython.heap_lock, micropython.heap_unlock
except ImportError:
    lock = unlock = lambda: None

from anklet.app.sampler import Sampler
from anklet.board import load
from anklet.detector import DIR_BACKWARD, StepDetector
from anklet.drivers import open_sensor
from anklet_host.sim.chips import model_for
from anklet_host.sim.chips.sources import WalkFileSource
from anklet_host.sim.clock import VirtualClock
from anklet_host.sim.i2c import I2C

board = load(BOARD_PATH)
clock = VirtualClock()
source = WalkFileSource(open(WALK_PATH, "rb"))
model = model_for(board.chip, clock, source, board.address)
source.gate = model
bus = I2C(board.i2c_bus)
bus.attach(model)
sensor = open_sensor(bus, board.chip, board.address, rate_hz=100, range_g=8, gyro_dps=2000,
                     int_pin=board.sensor_int, clock_ms=clock.ticks_ms)
det = StepDetector(rate_hz=sensor.rate_hz, accel_lsb_per_g=sensor.accel_lsb_per_g,
                   gyro_lsb_per_dps=sensor.gyro_lsb_per_dps, placement=board.detector_placement, axes=board.axes)


# Stands in for the BLE peripheral's raw stream (its own add_raw is proven allocation-free in test_ble_firmware).
class RawSink:

    def __init__(self):
        self.raw_enabled = True
        self.count = 0
        self.sum_z = 0
        self.check = 0
        self.scale_ug = 0

    def add_raw(self, x, y, z, scale_ug):
        self.count += 1
        self.sum_z += z
        self.check = (self.check * 31 + x + 3 * y + 7 * z) & 0xFFFFFF
        self.scale_ug = scale_ug


sampler = Sampler(sensor, det)
raw = RawSink()
sampler.stream_raw(raw, board.axes, sensor.accel_lsb_per_g)
sensor.start()
taken = 0
backward = 0
refused = 0
batches = 0
while not source.finished or batches < 20:
    clock.advance_ms(160)  # the watermark period of 16 samples at 100 Hz
    model.update()  # the chip samples on its own: outside the firmware's path
    if source.finished:
        batches += 1
    lock()
    try:
        n = sampler.drain()
        slot = sampler.take_event()
        while slot >= 0:
            taken += 1
            if det.ev_direction[slot] == DIR_BACKWARD:
                backward += 1
            slot = sampler.take_event()
    except MemoryError:
        refused += 1
    finally:
        unlock()
print("samples", sampler.samples_total)
print("refused", refused)
print("overflows", sensor.overflows)
print("contacts", det.contacts, det.backward)
print("taken", taken, backward)
print("raw", raw.count, raw.sum_z * raw.scale_ug // raw.count // 1000, raw.scale_ug, raw.check)
"""


@pytest.fixture(scope="module")
def walk_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    spec = WalkSpec(
        placement="ankle",
        seed=8,
        segments=[
            Segment(kind="walk", direction="forward", duration_s=25.0),
            Segment(kind="walk", direction="backward", duration_s=35.0, speed_m_s=0.3),
        ],
    )
    trace = generate_walk(spec)
    path = tmp_path_factory.mktemp("walk") / "walk.bin"
    path.write_bytes(encode_walk(walk_from_trace(trace, load(BOARD_FILE).axes)))
    # The board file as the board reads it (what `anklet deploy` writes), beside the walk for the CPython run.
    path.with_name("board.json").write_text(compact(load(BOARD_FILE)), encoding="utf-8")
    labels = trace.reference_contacts()
    return path, len(labels), sum(c.direction == "backward" for c in labels)


def test_the_sampler_drains_the_fifo_into_the_detector_without_allocating(
    upy: MicroPython, walk_file: tuple[Path, int, int]
) -> None:
    path, labelled, labelled_backward = walk_file
    upy_out = run_micropython(
        upy,
        SCENARIO.replace("BOARD_PATH", repr("/board.json")).replace("WALK_PATH", repr("/walk.bin")),
        files={"/walk.bin": path.read_bytes(), "/board.json": path.with_name("board.json").read_text()},
    )
    cpython_out = run_cpython(
        SCENARIO.replace("BOARD_PATH", repr(str(path.with_name("board.json")))).replace("WALK_PATH", repr(str(path)))
    )
    assert upy_out == cpython_out
    got = {key: [int(v) for v in values] for key, values in parse(upy_out).items()}
    assert got["refused"] == [0]  # not one batch allocated under the lock
    assert got["overflows"] == [0]
    assert got["samples"][0] >= 60 * 104  # the whole walk went through (the chip runs at 104 Hz)
    contacts, backward = got["contacts"]
    assert got["taken"] == [contacts, backward]  # every contact handed out, none twice
    assert labelled - 2 <= contacts <= labelled
    assert abs(backward - labelled_backward) <= 1
    # The raw stream (`anklet record`) saw every sample, in the body frame: z (up) averages about +1 g (in mg), at
    # 244 micro-g per count (the LSM6DSOX at +-8 g: 0.244 mg/LSB).
    raw_count, raw_mean_z_mg, raw_scale_ug, _check = got["raw"]
    assert raw_count == got["samples"][0]
    assert 900 <= raw_mean_z_mg <= 1100
    assert raw_scale_ug == 244
