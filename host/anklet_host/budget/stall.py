"""CPU time of the sampling path on the chip, and how long the sensor's FIFO still has room after the worst stall.

Between two drains of the FIFO the firmware is busy with, at worst: the burst it drains (``watermark`` samples
through `anklet.app.sampler.Sampler.drain`, the sampler's own code), the end of a stride in that burst (its features,
the stride classifier `anklet.detect_mlp.scores`, the walking gate), the other work that can hold the sampler's task
off the CPU after its watermark interrupt (the budget run's `anklet_host.budget.memory.MemoryRun.hold_off_ms`, once
the sensor runs: every task's longest step added up, the sampler's own work beside its drains among them: a sync
streaming, live counters, the raw stream), and the I2C transfers of the burst (blocking in MicroPython). The FIFO
fills all the while: it holds ``depth - watermark`` samples more after the watermark interrupt, so

    headroom_ms = (depth - watermark) / rate_hz * 1000 - (burst + stride + hold-off + I2C)

must stay above zero at every rate the board's chip runs (`anklet.app.settings.rates_for`; the settings' other rates
are reported under ``rates_skipped``, with the headroom they would have where the chip can run them). The CPU parts
are timed under the real MicroPython (WebAssembly port) and converted with `anklet_host.budget.cpu.esp32_ms` for the
board's chip at `CPU_MHZ` (what the firmware sets at boot); the I2C time is counted from the bytes the driver moves for
one burst at the board file's bus clock.

Where the figures come from:
- rate, watermark and FIFO depth: the board's real driver (CPython) configuring the chip's model on a simulated bus
  (`anklet_host.sim.chips`: the depths there are the datasheets', e.g. 32 samples for the LIS3DH and ADXL345, 1024
  bytes = 85 or 73 samples of 12 or 14 bytes for the MPU-6050/6886, 512 words = 256 samples with gyro for the
  LSM6DSOX), the rate the driver picks for the setting (the LSM6DSOX's 104 Hz for 100) and its watermark;
- the samples: a generated walk played by that chip model and read by that driver, at that rate;
- the burst and stride times: `timing_code` runs ``LOCKSTEP`` samplers side by side in one VM, each with its own
  detector fed the same bursts, and times every burst across all of them on the host's microsecond clock
  (``performance.now()``; the port's own clock ticks in whole milliseconds); two VMs, the lower of the two per burst
  (the host's noise);
  the stride's extra time is the worst burst minus the median one; the classifier alone is timed on the input that
  keeps the most hidden units active, and the larger of the two is the stride figure;
- the host's speed against the one the factors were measured on: `anklet_host.budget.cpu`'s calibration kernel,
  timed in the same VMs.
"""

from __future__ import annotations

import io
import random
import statistics
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from anklet import detect_mlp, drivers
from anklet.app.settings import RATES_HZ, rates_for
from anklet.detector import PLACEMENT_SHOE, StepDetector
from anklet.drivers import GYRO_CHIPS
from anklet_host.boardfile import Board
from anklet_host.budget import cpu
from anklet_host.errors import AnkletError
from anklet_host.rates import RATE_TOLERANCE, delivers
from anklet_host.sim.chips import model_for
from anklet_host.sim.chips.sources import WalkFileSource
from anklet_host.sim.clock import VirtualClock
from anklet_host.sim.i2c import I2C
from anklet_host.sim.walkfeed import encode_walk, walk_from_trace
from anklet_host.synth import WalkSpec, generate_walk
from anklet_host.synth.spec import parse_walk_shorthand
from anklet_host.upy import MicroPython

# The firmware's own functions (MicroPython code, unannotated), typed for this module.
open_sensor: Callable[..., Any] = drivers.open_sensor
load: Callable[[str], Any] = detect_mlp.load
hidden_units: Callable[[Any], int] = detect_mlp.hidden_units
model_name: Callable[[bool, bool], str] = detect_mlp.model_name
scores: Callable[[Any, array[int], array[int], array[int]], None] = detect_mlp.scores

# The CPU clock the firmware sets at boot (anklet.app.main.CPU_HZ), in MHz: the budget converts at this one.
CPU_MHZ: Final = 160
RANGE_G: Final = 16  # the firmware's default (anklet.app.settings.DEFAULTS)
GYRO_DPS: Final = 2000  # what the app asks of a chip with a gyroscope (anklet.app.boot.open_board_sensor)
WALK: Final = "stand:1s,forward:6s,backward:6s@0.4m/s,stand:1s"
LOCKSTEP: Final = 8  # samplers timed side by side: a burst then lasts a millisecond or more in all
VM_RUNS: Final = 2
SCORE_TRIES: Final = 2000
SCORE_TARGET_MS: Final = 30
CALIBRATION_TARGET_MS: Final = 30
# An I2C transfer beyond its data bytes: start, address + write, register, repeated start, address + read (stop and
# ack bits folded into 9 bits a byte). Conservative for a read; a register write moves one byte fewer.
I2C_OVERHEAD_BYTES: Final = 4
I2C_BITS_PER_BYTE: Final = 9


@dataclass(frozen=True)
class RateSetup:
    """How the board's driver runs its chip at one rate setting, and the samples it read from a walk."""

    setting_hz: int
    rate_hz: int
    watermark: int
    depth_samples: int
    stride: int  # values per sample: 3 (accel) or 6 (with gyro)
    burst_i2c_ms: float  # bus time of draining one watermark's worth of samples
    accel_lsb_per_g: float
    gyro_lsb_per_dps: float
    samples: array[int]  # interleaved, ``stride`` per sample, as the driver returns them


class _CountingBus:
    """The simulated bus, counting the bytes and transfers of the driver (for its I2C time)."""

    def __init__(self, bus: I2C) -> None:
        self.bus = bus
        self.bytes = 0
        self.transfers = 0

    def readfrom_mem_into(self, addr: int, memaddr: int, buf: Any, *, addrsize: int = 8) -> None:
        self.bytes += len(buf)
        self.transfers += 1
        self.bus.readfrom_mem_into(addr, memaddr, buf, addrsize=addrsize)

    def writeto_mem(self, addr: int, memaddr: int, buf: Any, *, addrsize: int = 8) -> None:
        self.bytes += len(buf)
        self.transfers += 1
        self.bus.writeto_mem(addr, memaddr, buf, addrsize=addrsize)

    def i2c_ms(self, freq_hz: int) -> float:
        return (self.bytes + I2C_OVERHEAD_BYTES * self.transfers) * I2C_BITS_PER_BYTE * 1000 / freq_hz


def rate_setup(board: Board, setting_hz: int, walk_bytes: bytes) -> RateSetup:
    """The board's driver on its chip's model at ``setting_hz``: its rate, watermark, FIFO depth, one burst's I2C
    time, and the samples it reads from the walk (``encode_walk`` bytes), drained every watermark as the app does."""
    clock = VirtualClock()
    source = WalkFileSource(io.BytesIO(walk_bytes))
    chip = model_for(board.chip, clock, source, board.address)
    source.gate = chip
    bus = _CountingBus(I2C(board.i2c_bus))
    bus.bus.attach(chip)
    sensor = open_sensor(
        bus,
        board.chip,
        board.address,
        rate_hz=setting_hz,
        range_g=RANGE_G,
        gyro_dps=GYRO_DPS if board.chip in GYRO_CHIPS else 0,
        int_pin=board.sensor_int,
        int_active_high=board.int_active_high,
        clock_ms=clock.ticks_ms,
    )
    sensor.start()
    watermark = sensor.watermark
    period_us = 1_000_000 * watermark // sensor.rate_hz + 1
    collected = array("h")
    burst_i2c_ms = 0.0
    while not source.finished:
        clock.advance_us(period_us)
        bus.bytes = bus.transfers = 0
        n = sensor.read_fifo()
        if n >= watermark:
            burst_i2c_ms = max(burst_i2c_ms, bus.i2c_ms(board.i2c_freq_hz))
        collected.extend(sensor.samples[: n * sensor.stride])
    depth = chip.capacity_samples()  # once samples flowed: a model sizes its packets from them
    if sensor.overflows or chip.dropped:
        raise AnkletError(f"{board.name} at {setting_hz} Hz: the chip model overflowed while the walk was read")
    return RateSetup(
        setting_hz=setting_hz,
        rate_hz=sensor.rate_hz,
        watermark=watermark,
        depth_samples=depth,
        stride=sensor.stride,
        burst_i2c_ms=burst_i2c_ms,
        accel_lsb_per_g=sensor.accel_lsb_per_g,
        gyro_lsb_per_dps=sensor.gyro_lsb_per_dps,
        samples=collected,
    )


def unsupported_reason(rate_hz: int, setting_hz: int | None = None) -> str | None:
    """Why the firmware cannot run at the rate a driver picked for ``setting_hz``, or None: the detector's own range,
    and the chip's rate too far off the setting (`anklet_host.rates.delivers`)."""
    try:
        StepDetector(rate_hz=rate_hz, accel_lsb_per_g=1000)
    except ValueError as exc:
        return f"the chip runs at {rate_hz} Hz for this setting: {exc}"
    if setting_hz is not None and not delivers(setting_hz, rate_hz):
        return f"the chip runs at {rate_hz} Hz for this setting, more than {RATE_TOLERANCE:.0%} off {setting_hz} Hz"
    return None


def worst_features(model_name_: str, tries: int = SCORE_TRIES, seed: int = 1) -> list[int]:
    """A stride's features that make the classifier do the most work: every input off its mean (none skipped) and
    as many hidden units active as random search finds (each active unit adds four multiply-adds)."""
    model = load(model_name_)
    cols, mean, scale = model[0], model[1], model[2]
    rng = random.Random(seed)
    hidden = array("i", bytes(4 * hidden_units(model)))
    out = array("i", bytes(16))
    best: list[int] = []
    best_active = -1
    n_features = max(cols) + 1
    for _ in range(tries):
        feat = array("h", bytes(2 * n_features))
        for i, col in enumerate(cols):
            z_q6 = rng.choice((-1, 1)) * rng.randint(16, 600)  # 0.25 to 9 standard deviations: clipped ones too
            feat[col] = max(-32767, min(32767, mean[i] + z_q6 * 4096 // max(1, scale[i])))
        scores(model, feat, hidden, out)
        active = sum(1 for h in hidden if h >> 8 > 0)
        if active > best_active:
            best_active, best = active, list(feat)
    return best


_TIMING = """
import js
import time
from array import array
from anklet.app.sampler import Sampler
from anklet.detect_mlp import hidden_units, load, scores
from anklet.detector import StepDetector

class Replay:
    # Stands in for the driver: hands out the walk's next burst (the copy costs about what a driver's decode does).
    def __init__(self, data, stride, burst, has_gyro):
        self.data = data
        self.stride = stride
        self.burst = burst
        self.has_gyro = has_gyro
        self.samples = array("h", bytes(2 * stride * burst))
        self.pos = 0

    def read_fifo(self):
        data = self.data
        out = self.samples
        pos = self.pos
        end = pos + self.stride * self.burst
        if end > len(data):
            end = len(data)
        i = 0
        while pos < end:
            out[i] = data[pos]
            i += 1
            pos += 1
        self.pos = pos
        return i // self.stride

def best_ms(fn, target_ms, rounds):
    best = 1e9
    for _ in range(rounds):
        reps = 1
        while True:
            t0 = time.ticks_us()
            for _ in range(reps):
                fn()
            dt = time.ticks_diff(time.ticks_us(), t0)
            if dt >= target_ms * 1000:
                break
            reps *= 2
        if dt / reps / 1000 < best:
            best = dt / reps / 1000
    return best

kernel = lambda: kernel_run(CALIBRATION_STEPS)
print("calibration_us", best_ms(kernel, CALIBRATION_TARGET_MS, 3) * 1000 / CALIBRATION_STEPS)

model = load(MODEL)
feat = array("h", FEATURES)
hidden = array("i", bytes(4 * hidden_units(model)))
out = array("i", bytes(16))
print("scores_ms", best_ms(lambda: scores(model, feat, hidden, out), SCORE_TARGET_MS, 5))

data = array("h", open("/walk.bin", "rb").read())
samplers = []
for _ in range(LOCKSTEP):
    det = StepDetector(rate_hz=RATE_HZ, accel_lsb_per_g=ACCEL_LSB, gyro_lsb_per_dps=GYRO_LSB, placement=PLACEMENT,
                       axes=AXES)
    samplers.append(Sampler(Replay(data, STRIDE, WATERMARK, STRIDE == 6), det))
bursts = len(data) // (STRIDE * WATERMARK)
times = array("i", bytes(4 * bursts))
now_ms = js.performance.now  # the host's clock, to the microsecond (the port's ticks_us moves a millisecond at a time)
b = 0
while b < bursts:
    t0 = now_ms()
    for s in samplers:
        s.drain()
    times[b] = int((now_ms() - t0) * 1000)
    b += 1
print("contacts", samplers[0].detector.contacts, samplers[-1].detector.contacts)
print("bursts_us", " ".join(str(t) for t in times))
"""


def timing_code(board: Board, setup: RateSetup, features: list[int]) -> str:
    """The MicroPython program timing the calibration kernel, the classifier and every burst (see the module doc)."""
    gyro = setup.gyro_lsb_per_dps > 0
    constants = {
        "CALIBRATION_STEPS": cpu.CALIBRATION_STEPS,
        "CALIBRATION_TARGET_MS": CALIBRATION_TARGET_MS,
        "SCORE_TARGET_MS": SCORE_TARGET_MS,
        "MODEL": model_name(board.detector_placement == PLACEMENT_SHOE, gyro),
        "FEATURES": features,
        "LOCKSTEP": LOCKSTEP,
        "RATE_HZ": setup.rate_hz,
        "ACCEL_LSB": setup.accel_lsb_per_g,
        "GYRO_LSB": setup.gyro_lsb_per_dps,
        "PLACEMENT": board.detector_placement,
        "AXES": tuple(board.axes_for(False)),
        "STRIDE": setup.stride,
        "WATERMARK": setup.watermark,
    }
    head = "".join(f"{name} = {value!r}\n" for name, value in constants.items())
    return cpu.CALIBRATION_SOURCE + head + _TIMING


@dataclass(frozen=True)
class Timings:
    """Under the WebAssembly port, the best of `VM_RUNS` VMs: per burst (ms, one sampler), the classifier alone, the
    calibration kernel's step (us), and the contacts the detector counted in the walk."""

    burst_ms: list[float]
    watermark: int
    scores_ms: float
    calibration_us: float
    contacts: int

    @property
    def sample_ms(self) -> float:
        """A sample's share of a plain burst (the median one)."""
        return statistics.median(self.burst_ms) / self.watermark

    @property
    def host_speed(self) -> float:
        """This host against the one the CPU factors were measured on (`anklet_host.budget.cpu.esp32_ms`)."""
        return cpu.CALIBRATION_WASM_US / self.calibration_us

    @property
    def stride_ms(self) -> float:
        """What the worst burst (a stride's end in it) costs beyond a plain one, or the classifier alone if more."""
        return max(max(self.burst_ms) - statistics.median(self.burst_ms), self.scores_ms)


def measure_timings(upy: MicroPython, board: Board, setup: RateSetup, features: list[int]) -> Timings:
    code = timing_code(board, setup, features)
    files: dict[str, str | bytes] = {"/walk.bin": setup.samples.tobytes()}
    bursts: list[float] | None = None
    scores_ms = calibration_us = float("inf")
    contacts = -1
    for _ in range(VM_RUNS):
        fields = dict(
            line.split(" ", 1) for line in upy.run(code, files=files, timeout_s=300.0).splitlines() if " " in line
        )
        run = [int(t) / 1000 / LOCKSTEP for t in fields["bursts_us"].split()]
        bursts = run if bursts is None else [min(a, b) for a, b in zip(bursts, run, strict=True)]
        scores_ms = min(scores_ms, float(fields["scores_ms"]))
        calibration_us = min(calibration_us, float(fields["calibration_us"]))
        first, last = (int(c) for c in fields["contacts"].split())
        if first != last:
            raise AnkletError("the samplers timed side by side counted different contacts")
        contacts = first
    assert bursts is not None
    return Timings(bursts, setup.watermark, scores_ms, calibration_us, contacts)


def headroom_ms(
    *,
    depth_samples: int,
    watermark: int,
    rate_hz: float,
    sample_ms: float,
    stride_ms: float,
    hold_off_ms: float,
    i2c_ms: float,
) -> float:
    """Milliseconds of room the FIFO has left after the worst stall (all times on the chip, see the module doc)."""
    fill_ms = (depth_samples - watermark) * 1000 / rate_hz
    stall_ms = watermark * sample_ms + stride_ms + hold_off_ms + i2c_ms
    return fill_ms - stall_ms


def walk_bytes(board: Board) -> bytes:
    placement = "shoe" if board.placement.startswith("shoe") else "ankle"
    trace = generate_walk(WalkSpec(segments=parse_walk_shorthand(WALK), placement=placement, seed=5))
    return encode_walk(walk_from_trace(trace, board.axes_for(False)))


def board_figures(
    upy: MicroPython,
    board: Board,
    hold_off_ms_wasm: float,
    step_worst_ms_wasm: float = 0.0,
    rates_hz: tuple[int, ...] = RATES_HZ,
) -> dict[str, Any]:
    """The CPU and FIFO figures of one board for `make budget` (see the module doc) at every rate of ``rates_hz`` (the
    settings') the board's chip runs (`rates_for`); ``hold_off_ms_wasm`` is the budget run's hold-off,
    ``step_worst_ms_wasm`` its longest single step of a task (reported only). The other rates are listed under
    ``rates_skipped`` with the reason, and the headroom they would have where the chip delivers them."""
    walk = walk_bytes(board)
    gyro = board.chip in GYRO_CHIPS
    features = worst_features(model_name(board.detector_placement == PLACEMENT_SHOE, gyro))
    offered = rates_for(board.chip)
    skipped: dict[str, str] = {}
    per_rate: list[tuple[RateSetup, Timings]] = []
    for setting_hz in rates_hz:
        setup = rate_setup(board, setting_hz, walk)
        reason = unsupported_reason(setup.rate_hz, setting_hz)
        if reason is not None:
            skipped[str(setting_hz)] = reason
            continue
        per_rate.append((setup, measure_timings(upy, board, setup, features)))
    # One host speed for the board: the median of its VMs' calibrations (each the best of its own rounds).
    speed = statistics.median(t.host_speed for _, t in per_rate)

    def chip_ms(wasm_ms: float) -> float:
        return cpu.esp32_ms(wasm_ms, board.mcu, CPU_MHZ, host_speed=speed)

    hold_off_ms = chip_ms(hold_off_ms_wasm)
    rates: dict[str, dict[str, Any]] = {}
    for setup, timing in per_rate:
        sample_ms = chip_ms(timing.sample_ms)
        stride_ms = chip_ms(timing.stride_ms)
        room = headroom_ms(
            depth_samples=setup.depth_samples,
            watermark=setup.watermark,
            rate_hz=setup.rate_hz,
            sample_ms=sample_ms,
            stride_ms=stride_ms,
            hold_off_ms=hold_off_ms,
            i2c_ms=setup.burst_i2c_ms,
        )
        figures = {
            "rate_hz": setup.rate_hz,
            "watermark": setup.watermark,
            "depth_samples": setup.depth_samples,
            "sample_ms_wasm": round(timing.sample_ms, 4),
            "stride_ms_wasm": round(timing.stride_ms, 3),
            "burst_ms_esp32": round(setup.watermark * sample_ms, 2),
            "stride_ms_esp32": round(stride_ms, 2),
            "i2c_ms": round(setup.burst_i2c_ms, 2),
            "headroom_ms": round(room, 1),
        }
        if setup.setting_hz in offered:
            rates[str(setup.setting_hz)] = figures
        else:
            skipped[str(setup.setting_hz)] = (
                f"not among the {board.chip}'s rates ({', '.join(map(str, offered))} Hz: anklet.app.settings.rates_for)"
                ":"
                f" its FIFO's headroom at {setup.rate_hz} Hz would be {room:.1f} ms"
            )
    strides = [t.stride_ms for setup, t in per_rate if setup.setting_hz in offered]
    samples = [t.sample_ms for setup, t in per_rate if setup.setting_hz in offered]
    return {
        "cpu_mhz": CPU_MHZ,
        "host_speed": round(speed, 3),
        "stride_worst_ms_wasm": round(max(strides), 3),
        "stride_worst_ms_esp32": round(chip_ms(max(strides)), 1),
        "sample_worst_ms_esp32": round(chip_ms(max(samples)), 3),
        "step_worst_ms_esp32": round(chip_ms(step_worst_ms_wasm), 1),
        "hold_off_ms_wasm": round(hold_off_ms_wasm, 3),
        "hold_off_ms_esp32": round(hold_off_ms, 1),
        "fifo_headroom_ms_min": min(r["headroom_ms"] for r in rates.values()),
        "fifo_rates": rates,
        "rates_skipped": skipped,
    }
