"""Helpers for the walk tests: the firmware staged for the virtual anklet, a walk played there until the firmware has
saved its counters, and the same chip path replayed under CPython (the lossless reference)."""

from __future__ import annotations

import io
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anklet.app.persist import PersistedState
from anklet.detector import PLACEMENT_ANKLE, PLACEMENT_SHOE, StepDetector
from anklet.drivers import GYRO_CHIPS, open_sensor
from anklet_host.boardfile import Board
from anklet_host.deploy import Device, load_board, stage
from anklet_host.sim.board import BoardSpec, SimBoard
from anklet_host.sim.chips import model_for
from anklet_host.sim.chips.sources import WalkFileSource
from anklet_host.sim.clock import VirtualClock
from anklet_host.sim.i2c import I2C
from anklet_host.sim.walkfeed import WALK_FILE_NAME, WalkFile, WalkResume, decode_walk, encode_walk, feed_dir

# The firmware's defaults (anklet.app.settings.DEFAULTS) that shape the sensor and the detector.
RATE_HZ = 100
RANGE_G = 16
# The firmware saves its counters when they changed, at most once per 60 s (anklet.app.persist): at its first
# live tick, then 60 s later, and so on. A walk whose last contact is settled (3 s after its end) before 58 s is in
# the save at about 61 s; a longer one is in the save within 60 s after that.
SAVE_INTERVAL_MS = 60000


def counters_saved_by_ms(finished: dict[str, Any]) -> int:
    """Chip-clock time by which the firmware has saved the counters of a walk, given its "finished" walk event (the
    chip's clock lags the board's by ``lag_ms`` when the walk had to wait for the VM)."""
    settled_ms = finished["elapsed_ms"] + finished["lag_ms"] + 3000
    return 64000 if settled_ms <= 58000 else settled_ms + SAVE_INTERVAL_MS + 4000


@dataclass(frozen=True)
class Counts:
    """The day's counters as the firmware keeps them."""

    contacts: int
    backward: int
    toe_first: int


def stage_firmware(board_name: str, out: Path) -> tuple[Board, Path]:
    """The firmware as `anklet deploy` stages it for the virtual anklet (bytecode, /board.json)."""
    board = load_board(board_name)
    if not out.exists():
        stage(board, Device("webassembly", "JS with Emscripten"), out)
    return board, out


def spec_for(board: Board) -> BoardSpec:
    return BoardSpec.from_board_file(board.to_dict())


def replay_on_host(walk: WalkFile, board: Board, *, step_ms: int = 50) -> tuple[Counts, int]:
    """The firmware's chip path under CPython: the chip model playing ``walk``, the driver draining its FIFO every
    ``step_ms`` of chip time, the step detector set up as the app does. Counts and the samples read."""
    clock = VirtualClock()
    source = WalkFileSource(io.BytesIO(encode_walk(walk)))
    model = model_for(board.chip, clock, source, board.address)
    source.gate = model
    bus = I2C(board.i2c_bus)
    bus.attach(model)
    sensor = open_sensor(
        bus,
        board.chip,
        board.address,
        rate_hz=RATE_HZ,
        range_g=RANGE_G,
        gyro_dps=2000 if board.chip in GYRO_CHIPS else 0,
        int_pin=board.sensor_int,
        int_active_high=board.int_active_high,
        clock_ms=clock.ticks_ms,
    )
    detector = StepDetector(
        rate_hz=sensor.rate_hz,
        accel_lsb_per_g=sensor.accel_lsb_per_g,
        gyro_lsb_per_dps=sensor.gyro_lsb_per_dps,
        placement=PLACEMENT_SHOE if board.placement.startswith("shoe") else PLACEMENT_ANKLE,
        axes=board.axes_for(False),
    )
    sensor.start()
    samples = 0
    end_us = -1
    # Play the walk, then 3 s standing still so the detector settles its last contact.
    while end_us < 0 or clock.now_us - end_us < 3_000_000:
        clock.advance_ms(step_ms)
        n = sensor.read_fifo()
        while n:
            buf = sensor.samples
            stride = sensor.stride
            for i in range(n):
                k = i * stride
                if stride == 6:
                    detector.feed(buf[k], buf[k + 1], buf[k + 2], buf[k + 3], buf[k + 4], buf[k + 5])
                else:
                    detector.feed(buf[k], buf[k + 1], buf[k + 2], 0, 0, 0)
            samples += n
            n = sensor.read_fifo()
        if source.finished and end_us < 0:
            end_us = clock.now_us
    assert sensor.overflows == 0
    assert model.dropped == 0
    return Counts(detector.contacts, detector.backward, detector.toe_first), samples


@dataclass
class SimRun:
    counts: Counts
    walk_events: list[dict[str, Any]]
    wall_s: float
    transcript: str

    @property
    def last(self) -> dict[str, Any]:
        return self.walk_events[-1]

    def play_rate(self) -> tuple[float, float]:
        """While the walk played: (samples produced per wall second, board seconds per wall second)."""
        playing = [e for e in self.walk_events if e["started"]]
        first = playing[0]
        end = next(e for e in playing if e["finished"])
        wall_s = end["wall_s"] - first["wall_s"]
        return (end["produced"] - first["produced"]) / wall_s, (end["elapsed_ms"] - first["elapsed_ms"]) / 1000 / wall_s


def play_in_sim(
    flash: Path,
    spec: BoardSpec,
    *,
    speed: int,
    timeout_s: float = 30.0,
    on_walk: Callable[[SimBoard, dict[str, Any]], None] | None = None,
) -> SimRun:
    """Boot the board (firmware and walk already in ``flash``), wait until the walk has played and the firmware had
    time to save its counters, then read /state.bin from the flash folder. ``on_walk`` sees every walk event (with
    the board, to act on it); the walk goes on across resets (`WalkResume`), as the user's does."""
    events: list[dict[str, Any]] = []
    board = SimBoard(flash, spec, speed=speed)
    WalkResume(board, flash, decode_walk((feed_dir(flash) / WALK_FILE_NAME).read_bytes()))

    def on_event(event: dict[str, Any]) -> None:
        if event.get("ev") == "walk":
            event["wall_s"] = time.monotonic()
            event["boot"] = board.boots
            events.append(event)
            if on_walk is not None:
                on_walk(board, event)

    board.on_event(on_event)
    started = time.monotonic()
    board.start()
    try:
        deadline = started + timeout_s
        ready_ms = None
        while time.monotonic() < deadline:
            done = [e for e in events if e["finished"]]
            if done and ready_ms is None:
                ready_ms = counters_saved_by_ms(done[0])
            if ready_ms is not None and events[-1]["elapsed_ms"] >= ready_ms:
                break
            time.sleep(0.05)
        else:
            tail = board.transcript().decode(errors="replace")[-600:]
            raise AssertionError(f"the walk did not finish within {timeout_s} s: {events[-1:]} {tail}")
        wall_s = time.monotonic() - started
    finally:
        board.stop()
    state = PersistedState(str(flash / "state.bin"))
    assert state.load(), "no /state.bin saved by the firmware"
    counts = Counts(state.contacts, state.backward, state.toe_first)
    return SimRun(counts, events, wall_s, board.transcript().decode(errors="replace"))


def fresh_flash(staged: Path, flash: Path) -> Path:
    shutil.rmtree(flash, ignore_errors=True)
    shutil.copytree(staged, flash)
    return flash


def walk_json(flash: Path) -> dict[str, Any]:
    return json.loads((flash / "_sim" / "walk.json").read_text())  # type: ignore[no-any-return]
