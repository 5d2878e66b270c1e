"""Shared by the driver and chip-model tests: one portable scenario per chip configuration, run against the chip
models under CPython and under the real MicroPython, with the datasheet values it is judged by.

The scenario prints ``key value...`` lines; `run_both` returns what each runtime printed, `parse` turns it into a
dict. Everything printed is deterministic (virtual clock), so both runtimes must print the same text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from anklet_host.paths import PROJECT_ROOT
from anklet_host.upy import MicroPython
from tests.conftest import run_cpython

SIM_DIR = PROJECT_ROOT / "host" / "anklet_host" / "sim"


def run_micropython(upy: MicroPython, code: str, files: dict[str, str | bytes] | None = None) -> str:
    """Run ``code`` in a fresh VM with the firmware at ``/`` and the simulator at ``/lib/anklet_host/sim``."""
    return upy.run(
        code, dirs={"/lib/anklet_host/sim": SIM_DIR}, files={"/lib/anklet_host/__init__.py": "", **(files or {})}
    )


def parse(out: str) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for line in out.splitlines():
        key, _, rest = line.partition(" ")
        result[key] = rest.split(" ") if rest else []
    return result


@dataclass(frozen=True)
class Variant:
    """One chip configuration and what the datasheet says the driver must do with it."""

    chip: str
    name: str
    address: int
    gyro_dps: int
    rate_hz: int
    accel_lsb_per_g: int
    gyro_mlsb_per_dps: int  # the datasheet's sensitivity in 1/1000 LSB per deg/s
    # Counts per mg and per mdps as exact fractions (datasheet sensitivity at the configured range).
    accel_per_mg: tuple[int, int]
    gyro_per_mdps: tuple[int, int]
    watermark_int: bool
    regs: dict[int, int] = field(default_factory=dict)
    identity_reg: str = "WHO_AM_I"
    identity: int = 0
    other_identity: int = 0x00
    wom_threshold_mg: int = 0

    @property
    def id(self) -> str:
        return self.chip + ("-gyro" if self.gyro_dps else "")


# Requested: 100 Hz, +-8 g, watermark 16 samples, INT1 active high, gyro 500 dps where asked.
VARIANTS = [
    Variant(
        "lis3dh", "LIS3DH", 0x18, 0, 100, 250, 0, (1, 4), (0, 1), True,
        # CTRL_REG1 ODR=0101 (100 Hz) XYZ on; CTRL_REG3 I1_WTM; CTRL_REG4 BDU | FS=10 (8 g) | HR; CTRL_REG5 FIFO_EN;
        # CTRL_REG6 active high; FIFO_CTRL_REG FM=10 (stream) | FTH=16.
        {0x20: 0x57, 0x22: 0x04, 0x23: 0xA8, 0x24: 0x40, 0x25: 0x00, 0x2E: 0x90},
        identity=0x33, other_identity=0x68, wom_threshold_mg=256,
    ),
    Variant(
        "mpu6050", "MPU6050", 0x68, 0, 100, 4096, 0, (4096, 1000), (0, 1), False,
        # SMPLRT_DIV 9 (1 kHz / 10); CONFIG DLPF 3; ACCEL_CONFIG AFS_SEL=2; FIFO_EN ACCEL; INT_PIN_CFG latch |
        # clear-on-read; INT_ENABLE FIFO_OFLOW; USER_CTRL FIFO_EN; PWR_MGMT_1 PLL clock; gyros in standby.
        {0x19: 9, 0x1A: 0x03, 0x1B: 0x00, 0x1C: 0x10, 0x23: 0x08, 0x37: 0x30, 0x38: 0x10, 0x6A: 0x40, 0x6B: 0x01,
         0x6C: 0x07},
        identity=0x68, other_identity=0x19, wom_threshold_mg=250,
    ),
    Variant(
        "mpu6050", "MPU6050", 0x68, 500, 100, 4096, 65500, (4096, 1000), (655, 10000), False,
        {0x1B: 0x08, 0x1C: 0x10, 0x23: 0x78, 0x6C: 0x00},
        identity=0x68, other_identity=0x19, wom_threshold_mg=250,
    ),
    Variant(
        "mpu6886", "MPU6886", 0x68, 0, 100, 4096, 0, (4096, 1000), (0, 1), True,
        # CONFIG FIFO_MODE (keep oldest) | DLPF 3; ACCEL_CONFIG2 A_DLPF 3; FIFO_EN ACCEL (8-byte packets);
        # FIFO_WM_TH = 16 x 8 = 128 bytes.
        {0x19: 9, 0x1A: 0x43, 0x1C: 0x10, 0x1D: 0x03, 0x23: 0x08, 0x37: 0x30, 0x38: 0x10, 0x60: 0x00, 0x61: 0x80,
         0x6A: 0x40, 0x6B: 0x01, 0x6C: 0x07},
        identity=0x19, other_identity=0x68, wom_threshold_mg=252,
    ),
    Variant(
        "mpu6886", "MPU6886", 0x68, 500, 100, 4096, 65500, (4096, 1000), (655, 10000), True,
        # FIFO_EN GYRO | ACCEL (14-byte packets): FIFO_WM_TH = 224 bytes.
        {0x1B: 0x08, 0x23: 0x18, 0x60: 0x00, 0x61: 0xE0, 0x6C: 0x00},
        identity=0x19, other_identity=0x68, wom_threshold_mg=252,
    ),
    Variant(
        "adxl345", "ADXL345", 0x53, 0, 100, 256, 0, (256, 1000), (0, 1), True,
        # BW_RATE 0x0A (100 Hz); POWER_CTL Measure; INT_ENABLE Watermark | Overrun; INT_MAP all to INT1;
        # DATA_FORMAT FULL_RES | range 10 (8 g); FIFO_CTL stream | 16 samples.
        {0x2C: 0x0A, 0x2D: 0x08, 0x2E: 0x03, 0x2F: 0x00, 0x31: 0x0A, 0x38: 0x90},
        identity_reg="DEVID", identity=0xE5, other_identity=0x33, wom_threshold_mg=250,
    ),
    Variant(
        "lsm6ds3", "LSM6DS3", 0x6A, 0, 104, 4096, 0, (32768, 8000), (0, 1), True,
        # CTRL1_XL ODR 0100 (104 Hz) | FS 11 (8 g); CTRL3_C BDU | IF_INC; INT1_CTRL FTH | FIFO_OVR; FIFO threshold
        # 16 x 3 = 48 words; FIFO_CTRL3 accel not decimated; FIFO_CTRL5 ODR_FIFO 0100 | continuous.
        {0x10: 0x4C, 0x11: 0x00, 0x12: 0x44, 0x0D: 0x18, 0x0E: 0x00, 0x06: 0x30, 0x07: 0x00, 0x08: 0x01, 0x0A: 0x26},
        identity=0x69, other_identity=0x6C, wom_threshold_mg=250,
    ),
    Variant(
        "lsm6ds3", "LSM6DS3", 0x6A, 500, 104, 4096, 57143, (32768, 8000), (2, 35), True,
        # CTRL2_G ODR 0100 | FS 01 (500 dps); threshold 96 words; gyro and accel not decimated.
        {0x11: 0x44, 0x06: 0x60, 0x08: 0x09},
        identity=0x69, other_identity=0x6C, wom_threshold_mg=250,
    ),
    Variant(
        "lsm6dsox", "LSM6DSOX", 0x6A, 0, 104, 4096, 0, (32768, 8000), (0, 1), True,
        # FIFO_CTRL1 watermark 16 words; FIFO_CTRL3 BDR_XL 0100; FIFO_CTRL4 continuous.
        {0x10: 0x4C, 0x11: 0x00, 0x12: 0x44, 0x0D: 0x18, 0x07: 0x10, 0x08: 0x00, 0x09: 0x04, 0x0A: 0x06},
        identity=0x6C, other_identity=0x69, wom_threshold_mg=250,
    ),
    Variant(
        "lsm6dsox", "LSM6DSOX", 0x6A, 500, 104, 4096, 57143, (32768, 8000), (2, 35), True,
        {0x11: 0x44, 0x07: 0x20, 0x09: 0x44},
        identity=0x6C, other_identity=0x69, wom_threshold_mg=250,
    ),
]  # fmt: skip

# The body runs unchanged under CPython and MicroPython: no f-strings with format specs, % formatting only.
SCENARIO_BODY = r"""
try:
    import micropython

    def lock():
        micropython.heap_lock()

    def unlock():
        micropython.heap_unlock()
except ImportError:

    def lock():
        pass

    def unlock():
        pass

from anklet.drivers import SensorError, open_sensor
from anklet_host.sim.chips import ArraySource, ConstantSource, model_for
from anklet_host.sim.clock import VirtualClock
from anklet_host.sim.i2c import I2C


def rig(source=None, present=True):
    clock = VirtualClock()
    bus = I2C(0)
    model = model_for(CHIP, clock, source, ADDR)
    if present:
        bus.attach(model)
    return clock, bus, model


def start(bus, clock):
    return open_sensor(bus, CHIP, ADDR, rate_hz=100, range_g=8, gyro_dps=GYRO, watermark=WM, clock_ms=clock.ticks_ms)


def counts(v, frac):
    # The converter rounds half away from zero (anklet_host.sim.chips.base.to_counts).
    num, den = frac
    if v < 0:
        return -((-2 * v * num + den) // (2 * den))
    return (2 * v * num + den) // (2 * den)


def at_sample(rate, k):
    return k * 1000000 // rate


# -- configuration --------------------------------------------------------------------------------------------------
clock, bus, model = rig()
s = start(bus, clock)
print("rate", s.rate_hz, s.accel_lsb_per_g, round(s.gyro_lsb_per_dps * 1000), s.stride, int(s.has_watermark_int))
print("regs", " ".join(["%02x=%02x" % (r, model.regs[r]) for r in REGS]))

# -- drain: distinct values per sample, compared with the source -----------------------------------------------------
rows = []
for k in range(120):
    rows.append((37 * k - 3000, 1500 - 23 * k, 1000 + 11 * k, 900 * k - 60000, 45000 - 700 * k, 1200 * k))
model.source = ArraySource.at_rate(s.rate_hz, rows)
clock.advance_us(at_sample(s.rate_hz, WM - 1))
before = model.int_level(1)
clock.advance_us(at_sample(s.rate_hz, WM) - clock.now_us)
after = model.int_level(1)
mismatches = 0
got = 0
first = None
for batch in range(3):
    n = s.read_fifo()
    if batch == 0:
        drained = model.int_level(1)
        first = [s.samples[i] for i in range(s.stride)]
    for i in range(n):
        row = rows[got + i + 1]  # the model's first sample is one period after start
        for a in range(3):
            if s.samples[i * s.stride + a] != counts(row[a], ACC):
                mismatches += 1
            if s.stride == 6 and s.samples[i * s.stride + 3 + a] != counts(row[3 + a], GYR):
                mismatches += 1
    got += n
    clock.advance_us(at_sample(s.rate_hz, WM + got) - clock.now_us)
print("int", before, after, drained)
print("drain", got, mismatches, " ".join([str(v) for v in first]))
print("scale_mg", first[2] * 1000 // s.accel_lsb_per_g, rows[1][2])

# -- overflow: nobody drains for three FIFO-fulls -------------------------------------------------------------------
clock, bus, model = rig(ConstantSource((0, 0, 1000)))
s = start(bus, clock)
clock.advance_us(at_sample(s.rate_hz, 3 * model.capacity_samples() + 7))
level = model.int_level(1)
total = 0
while True:
    n = s.read_fifo()
    total += n
    if n == 0:
        break
truth = model.produced - model.pending_samples() - s.samples_read
print("overflow", level, s.overflows, s.samples_lost, truth, total, int(model.dropped > 0))

# -- wrong chip and missing chip -------------------------------------------------------------------------------------
clock, bus, model = rig()
model.identity = OTHER_ID
try:
    start(bus, clock)
    print("wrongchip none")
except SensorError as e:
    print("wrongchip", str(e))
clock, bus, model = rig(present=False)
try:
    start(bus, clock)
    print("missing none")
except SensorError as e:
    print("missing", str(e))

# -- transient bus faults: counted, retried, survived, nothing lost ----------------------------------------------------
clock, bus, model = rig(ConstantSource((0, 0, 1000)))
s = start(bus, clock)
clock.advance_us(at_sample(s.rate_hz, WM))
bus.fail_transfers(1, 1)
n1 = s.read_fifo()
e1 = s.i2c_errors
r1 = s.retried
clock.advance_us(at_sample(s.rate_hz, 2 * WM) - clock.now_us)
bus.fail_transfers(1, 50, 116)
n2 = s.read_fifo()
bus.fail_transfers(1, 0)
n3 = s.read_fifo()
bus.nack(ADDR)
clock.advance_us(at_sample(s.rate_hz, 3 * WM) - clock.now_us)
n4 = s.read_fifo()
bus.nack(ADDR, False)
n5 = s.read_fifo()
kept = model.produced - model.pending_samples()
print("faults", n1, e1, r1, n2, n3, n4, n5, s.failed_reads, s.last_errno, s.samples_read, kept)

# -- no allocation per batch under heap_lock --------------------------------------------------------------------------
clock, bus, model = rig(ConstantSource((120, -340, 980), (1500, -2500, 3500)))
s = start(bus, clock)
ns = []
for batch in range(6):
    clock.advance_us(at_sample(s.rate_hz, WM * (batch + 1)) - clock.now_us)
    model.update()  # produce outside the lock: only the driver's read path is under test
    lock()
    try:
        n = s.read_fifo()
    except MemoryError:
        n = -1
    finally:
        unlock()
    ns.append(n)
bus.fail_transfers(1, 1)
clock.advance_us(at_sample(s.rate_hz, WM * 7) - clock.now_us)
model.update()
lock()
try:
    n = s.read_fifo()
except MemoryError:
    n = -1
finally:
    unlock()
ns.append(n)
print("heap", " ".join([str(n) for n in ns]))

# -- wake-on-motion -------------------------------------------------------------------------------------------------
src = ConstantSource((0, 0, 1000))
clock, bus, model = rig(src)
s = start(bus, clock)
threshold = s.wake_on_motion(250)
clock.advance_ms(1000)
still = model.int_level(1)
still_seen = int(s.motion_detected())
src.set((0, 600, 1000))
clock.advance_ms(1000)
moved = model.int_level(1)
moved_seen = int(s.motion_detected())
s.start()
clock.advance_us(at_sample(s.rate_hz, WM) + 1)
print("wom", threshold, still, still_seen, moved, moved_seen, s.read_fifo() >= WM)
"""


def scenario_code(v: Variant) -> str:
    """The portable scenario for ``v``: its parameters as a preamble, then the shared body."""
    preamble = (
        f"CHIP = {v.chip!r}\nADDR = {v.address}\nGYRO = {v.gyro_dps}\nWM = 16\n"
        f"ACC = {v.accel_per_mg!r}\nGYR = {v.gyro_per_mdps!r}\nREGS = {sorted(v.regs)!r}\n"
        f"OTHER_ID = {v.other_identity}\n"
    )
    return preamble + SCENARIO_BODY


def run_both(upy: MicroPython, code: str) -> tuple[str, str]:
    return run_cpython(code), run_micropython(upy, code)
