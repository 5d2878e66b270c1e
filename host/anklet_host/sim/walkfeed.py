"""Turn a walk (a trace CSV, or a generated walk) into the walk file the virtual anklet's sensor plays.

The trace is in the body frame in SI units; the sensor on the board sees the same motion in its own frame. So the
walk is turned through the board file's mounting (``mounting.axes``: for body x, y, z, the signed chip axis pointing
that way) and converted to the chip-side units the chip models take: acceleration in mg (int16), rotation in mdps
(int32). The binary layout is defined once, in `anklet_host.sim.chips.sources` (``WALK_HEADER``, the record words),
and read back inside the VM by its ``WalkFileSource``; `decode_walk` here reads it too, for tests and checks.

Example::

    walk = walk_from_trace(read_trace("walk.csv"), board.axes)
    install_walk(Path("build/sim/flash"), walk)   # <flash>/_sim/walk.bin, played from the firmware's next boot
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from anklet_host.errors import InputError
from anklet_host.sim.board.supervisor import SimBoard
from anklet_host.sim.chips.sources import (
    GYRO_LIMIT_MDPS,
    WALK_HEADER_BYTES,
    WALK_MAX_RATE_HZ,
    pack_walk_header,
    unpack_walk_header,
)
from anklet_host.trace import Trace

STANDARD_GRAVITY_MS2 = 9.80665
FEED_DIR_NAME = "_sim"  # beside the flash files; the VM moves it out of the flash's sight at boot
WALK_FILE_NAME = "walk.bin"
WALK_OPTIONS_NAME = "walk.json"
_INT16_LIMIT = 32767
# A trace whose sample times sit this close to a uniform grid at a whole rate is taken sample for sample.
_GRID_TOLERANCE_S = 1e-6

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class WalkFile:
    """A walk in the chip's frame and units: ``accel_mg`` (n, 3), ``gyro_mdps`` (n, 3) or None, at ``rate_hz``."""

    rate_hz: int
    accel_mg: IntArray
    gyro_mdps: IntArray | None
    rest_mg: tuple[int, int, int]
    lead_in_ms: int = 0

    def __len__(self) -> int:
        return len(self.accel_mg)

    @property
    def duration_s(self) -> float:
        return len(self) / self.rate_hz


def chip_from_body(body: FloatArray, axes: tuple[int, int, int]) -> FloatArray:
    """Body-frame columns x, y, z as the chip sees them: body axis i lies along signed chip axis ``axes[i]``
    (1-based, as ``anklet_host.boardfile.Board.axes``), so chip axis ``|axes[i]|`` reads ``sign(axes[i]) * body[i]``."""
    if sorted(abs(a) for a in axes) != [1, 2, 3]:
        raise InputError(f"mounting axes {axes} do not name each chip axis once")
    chip = np.empty_like(body)
    for i, a in enumerate(axes):
        chip[:, abs(a) - 1] = body[:, i] if a > 0 else -body[:, i]
    return chip


def body_from_chip(chip: FloatArray, axes: tuple[int, int, int]) -> FloatArray:
    """The inverse of `chip_from_body` (what the step detector does with the board's axes)."""
    return np.column_stack([chip[:, abs(a) - 1] * (1 if a > 0 else -1) for a in axes])


def _uniform(trace: Trace) -> tuple[int, FloatArray, FloatArray | None]:
    """The trace on a uniform grid at a whole rate: as it is when it already is one, else linearly interpolated."""
    if len(trace) < 2:
        raise InputError("a walk needs at least two samples")
    rate = trace.rate_hz()
    rate_hz = round(rate)
    if not 1 <= rate_hz <= WALK_MAX_RATE_HZ:
        raise InputError(f"the trace's rate, {rate:g} Hz, is outside the 1..{WALK_MAX_RATE_HZ} Hz a walk plays at")
    t0 = float(trace.t_s[0])
    n = math.floor((float(trace.t_s[-1]) - t0) * rate_hz + 1e-6) + 1
    grid = t0 + np.arange(n) / rate_hz
    if len(trace) == n and np.abs(trace.t_s - grid).max() <= _GRID_TOLERANCE_S:
        return rate_hz, trace.accel_ms2, trace.gyro_rads

    def on_grid(values: FloatArray) -> FloatArray:
        return np.column_stack([np.interp(grid, trace.t_s, values[:, c]) for c in range(3)])

    return rate_hz, on_grid(trace.accel_ms2), on_grid(trace.gyro_rads) if trace.gyro_rads is not None else None


def walk_from_trace(trace: Trace, axes: tuple[int, int, int], lead_in_ms: int = 0) -> WalkFile:
    """The walk file for a body-frame trace on a board mounted with ``axes`` (``Board.axes_for(left)``)."""
    rate_hz, accel_ms2, gyro_rads = _uniform(trace)
    accel = np.rint(chip_from_body(accel_ms2, axes) * (1000.0 / STANDARD_GRAVITY_MS2))
    accel_mg = np.clip(accel, -_INT16_LIMIT, _INT16_LIMIT).astype(np.int64)
    gyro_mdps = None
    if gyro_rads is not None:
        gyro = np.rint(chip_from_body(gyro_rads, axes) * (180_000.0 / math.pi))
        gyro_mdps = np.clip(gyro, -GYRO_LIMIT_MDPS, GYRO_LIMIT_MDPS).astype(np.int64)
    rest = chip_from_body(np.array([[0.0, 0.0, 1000.0]]), axes)[0]
    rest_mg = (int(rest[0]), int(rest[1]), int(rest[2]))
    return WalkFile(rate_hz, accel_mg, gyro_mdps, rest_mg, lead_in_ms)


def _record_dtype(gyro: bool) -> np.dtype[np.void]:
    fields: list[tuple[str, str, tuple[int]]] = [("a", "<i2", (3,))]
    if gyro:
        fields.append(("g", "<i4", (3,)))
    return np.dtype(fields)


def encode_walk(walk: WalkFile) -> bytes:
    """The walk file's bytes: header, then one record per sample."""
    gyro = walk.gyro_mdps is not None
    header = pack_walk_header(walk.rate_hz, len(walk), gyro, walk.rest_mg, walk.lead_in_ms)
    records = np.zeros(len(walk), dtype=_record_dtype(gyro))
    records["a"] = walk.accel_mg
    if walk.gyro_mdps is not None:
        records["g"] = walk.gyro_mdps
    return header + records.tobytes()


def decode_walk(data: bytes) -> WalkFile:
    """Read walk-file bytes back (ValueError if they are not a whole walk file)."""
    rate_hz, count, gyro, rest_mg, lead_in_ms = unpack_walk_header(data)
    dtype = _record_dtype(gyro)
    body = data[WALK_HEADER_BYTES:]
    if len(body) != count * dtype.itemsize:
        raise ValueError(f"walk file holds {len(body)} bytes of records, its header says {count * dtype.itemsize}")
    records = np.frombuffer(body, dtype=dtype)
    accel = records["a"].astype(np.int64)
    gyro_mdps = records["g"].astype(np.int64) if gyro else None
    return WalkFile(rate_hz, accel, gyro_mdps, rest_mg, lead_in_ms)


def feed_dir(flash_dir: Path) -> Path:
    return Path(flash_dir) / FEED_DIR_NAME


def install_walk(flash_dir: Path, walk: WalkFile, *, pace: bool = True, start_record: int = 0) -> Path:
    """Put ``walk`` beside the sim's flash so the sensor plays it from the next boot; the walk file's path.

    ``pace``: hold the chip's clock while its FIFO is nearly full, so a VM slower than the sim's speed plays the
    walk slower instead of losing samples. ``start_record``: resume part way through.
    """
    folder = feed_dir(flash_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / WALK_FILE_NAME
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(encode_walk(walk))
        tmp.replace(path)
    except OSError as exc:
        raise InputError(f"{folder}: cannot write the walk: {exc.strerror or exc}") from None
    write_walk_options(flash_dir, pace=pace, start_record=start_record)
    return path


def write_walk_options(flash_dir: Path, *, pace: bool, start_record: int) -> None:
    """The options the VM reads with the walk at each boot (``walk.json``), replaced whole."""
    folder = feed_dir(flash_dir)
    path = folder / WALK_OPTIONS_NAME
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps({"pace": pace, "start_record": start_record}) + "\n")
        tmp.replace(path)
    except OSError as exc:
        raise InputError(f"{folder}: cannot write the walk's options: {exc.strerror or exc}") from None


class WalkResume:
    """Keeps a walk going while the board resets or sleeps, as the world does. Attach it to the board before it starts:
    ``WalkResume(board, flash_dir, walk)``.

    Each boot of the virtual board starts its sensor afresh; without this, a reset (the EN button, the watchdog, a
    power cut) part way through would play the walk again from its start and the anklet would count its steps twice.
    The VM reports the walk record it has reached once a second of board time; when a boot ends, the next one resumes
    one second (``rate_hz`` records) later: the reporting granularity, and about what an ESP32 takes to boot
    MicroPython again, so the reboot misses a second of walking rather than counting any of it twice.

    Deep sleep: the chip model lives in the VM, which does not run while the board sleeps, so the world stands in for
    the sensor's wake-on-motion: the walk goes on in board time, and when it moves again (the acceleration leaves rest
    by the threshold the firmware programmed into its sensor before sleeping) the armed wake pin is driven and the
    next boot plays the walk from there. A sensor not armed for motion wakes nothing.
    """

    def __init__(self, board: SimBoard, flash_dir: Path, walk: WalkFile, *, pace: bool = True) -> None:
        self.board = board
        self.flash_dir = Path(flash_dir)
        self.walk = walk
        self.count = len(walk)
        self.rate_hz = walk.rate_hz
        self.pace = pace
        self.start_record = 0
        self._reached = -1  # the record this boot's sensor has reached, -1 before its walk started
        self._wake_pin: tuple[int, int] | None = None  # (pin, level) the firmware armed for deep sleep
        self.motion_mg = 0  # the sensor's wake-on-motion threshold as the firmware armed it (0: off)
        self._moves_at: int | None = None  # while asleep: the record at which the walker moves again
        board.on_event(self)

    def __call__(self, event: dict[str, object]) -> None:
        kind = event.get("ev")
        if kind == "walk":
            record = event.get("record")
            if event.get("finished"):
                self._reached = self.count
            elif isinstance(record, int) and record >= 0:  # -1: still standing in the lead-in
                self._reached = max(self._reached, record)
        elif kind == "wake_pins":
            ext0 = event.get("ext0")
            self._wake_pin = (int(ext0[0]), int(ext0[1])) if isinstance(ext0, list) else None
            armed = event.get("motion_mg")
            self.motion_mg = int(armed[0]) if isinstance(armed, list) and armed else 0
        elif kind == "deepsleep":
            self._sleep()
        elif kind == "off":
            # Called between boots, before the next one copies the flash folder in.
            if self._moves_at is not None:
                self.start_record, self._moves_at = self._moves_at, None
            elif self._reached >= 0:
                self.start_record = min(self.count, self._reached + self.rate_hz)
            else:
                return
            self._reached = -1
            write_walk_options(self.flash_dir, pace=self.pace, start_record=self.start_record)

    def _sleep(self) -> None:
        now = max(self._reached, self.start_record)
        if self._wake_pin is None or not self.motion_mg or now >= self.count:
            return
        rest = np.asarray(self.walk.rest_mg, dtype=np.int64)
        moving = np.abs(self.walk.accel_mg[now:] - rest).max(axis=1) > self.motion_mg
        if not moving.any():
            self._moves_at = self.count  # the walk is over: the board sleeps on
            return
        self._moves_at = now + int(np.argmax(moving))
        pin, level = self._wake_pin
        self.board.wake_after((self._moves_at - now) / self.rate_hz, pin, level)


def remove_walk(flash_dir: Path) -> None:
    """Take the walk away: from the next boot the sensor lies still."""
    shutil.rmtree(feed_dir(flash_dir), ignore_errors=True)
