"""Driver details checked in-process under CPython against the chip models: rate and range choice, polarity and INT2
routing, realignment after an overflow, and the factory's errors. (Both runtimes: tests/test_drivers.py.)"""

from __future__ import annotations

import pytest

from anklet.drivers import CHIPS, SensorError, open_sensor
from anklet.drivers.common import SensorBase
from anklet_host.sim.chips import ArraySource, ChipModel, ConstantSource, model_for
from anklet_host.sim.clock import VirtualClock
from anklet_host.sim.i2c import I2C

ADDRESS = {"lis3dh": 0x18, "mpu6050": 0x68, "mpu6886": 0x68, "adxl345": 0x53, "lsm6ds3": 0x6A, "lsm6dsox": 0x6A}


def rig(
    chip: str, source: ConstantSource | ArraySource | None = None, **kwargs: object
) -> tuple[VirtualClock, ChipModel, SensorBase]:
    clock = VirtualClock()
    bus = I2C(0)
    model = model_for(chip, clock, source, ADDRESS[chip])
    bus.attach(model)
    sensor = open_sensor(bus, chip, ADDRESS[chip], clock_ms=clock.ticks_ms, **kwargs)  # type: ignore[arg-type]
    return clock, model, sensor


@pytest.mark.parametrize(
    ("chip", "requested", "actual"),
    [
        ("lis3dh", 60, 100), ("lis3dh", 30, 50), ("lis3dh", 5000, 400),
        ("mpu6050", 60, 100), ("mpu6050", 30, 40), ("mpu6050", 5000, 1000),
        ("mpu6886", 120, 125),
        ("adxl345", 60, 100), ("adxl345", 30, 50), ("adxl345", 5, 25),
        ("lsm6ds3", 60, 104), ("lsm6ds3", 30, 52), ("lsm6dsox", 200, 208), ("lsm6dsox", 9999, 1666),
    ],
)  # fmt: skip
def test_rate_is_the_nearest_supported_at_or_above_the_request(chip: str, requested: int, actual: int) -> None:
    clock, model, sensor = rig(chip, rate_hz=requested)
    assert sensor.rate_hz == actual
    # ... and the chip really produces that many samples per second.
    before = model.produced
    clock.advance_ms(1000)
    model.update()
    produced = model.produced - before
    assert abs(produced - actual) <= 1


@pytest.mark.parametrize(
    ("chip", "lsb_per_g"),
    [
        ("lis3dh", (1000, 500, 250, 83)),
        ("mpu6050", (16384, 8192, 4096, 2048)),
        ("mpu6886", (16384, 8192, 4096, 2048)),
        ("adxl345", (256, 256, 256, 256)),
        ("lsm6ds3", (16384, 8192, 4096, 2048)),
        ("lsm6dsox", (16384, 8192, 4096, 2048)),
    ],
)
def test_range_sets_the_scale_and_one_g_reads_as_lsb_per_g(chip: str, lsb_per_g: tuple[int, ...]) -> None:
    for range_g, expected in zip((2, 4, 8, 16), lsb_per_g, strict=True):
        clock, _model, sensor = rig(chip, ConstantSource((0, 0, 1000)), range_g=range_g)
        assert sensor.range_g == range_g  # type: ignore[attr-defined]
        assert sensor.accel_lsb_per_g == expected
        clock.advance_ms(200)
        assert sensor.read_fifo() > 0
        z = sensor.samples[2]
        # The LIS3DH's 12 mg/digit at 16 g rounds 83.3 to 83: 0.4 %.
        assert abs(z - expected) <= max(1, expected // 200)


@pytest.mark.parametrize(
    ("chip", "gyro_dps", "lsb", "counts_at_10_dps"),
    # Datasheets: 4.375 mdps/LSB (LSM6DSOX 125 dps), 70 mdps/LSB (LSM6DS3 2000 dps), 131 LSB/dps (MPU-6050 250).
    [("lsm6dsox", 125, 228.5714, 2286), ("lsm6ds3", 2000, 14.2857, 143), ("mpu6050", 250, 131.0, 1310)],
)
def test_gyro_range_and_scale(chip: str, gyro_dps: int, lsb: float, counts_at_10_dps: int) -> None:
    clock, _model, sensor = rig(chip, ConstantSource((0, 0, 1000), (0, 0, 10000)), gyro_dps=gyro_dps)
    assert sensor.gyro_lsb_per_dps == pytest.approx(lsb, abs=1e-4)
    clock.advance_ms(200)
    assert sensor.read_fifo() > 0
    assert sensor.samples[5] == counts_at_10_dps
    # The integer scale handed to the detector is the datasheet's, rounded: within 2.5 %.
    assert abs(10 * lsb - counts_at_10_dps) <= counts_at_10_dps // 40


@pytest.mark.parametrize("chip", ["lis3dh", "mpu6886", "adxl345", "lsm6ds3", "lsm6dsox"])
def test_active_low_interrupt_inverts_the_pin(chip: str) -> None:
    clock, model, sensor = rig(chip, watermark=8, int_active_high=False)
    assert model.int_level(1) == 1  # idle high
    clock.advance_ms(200)
    assert model.int_level(1) == 0
    sensor.read_fifo()
    assert model.int_level(1) == 1


@pytest.mark.parametrize("chip", ["adxl345", "lsm6ds3", "lsm6dsox"])
def test_int2_routing(chip: str) -> None:
    clock, model, sensor = rig(chip, watermark=8, int_pin=2)
    clock.advance_ms(200)
    assert (model.int_level(1), model.int_level(2)) == (0, 1)
    sensor.read_fifo()
    assert model.int_level(2) == 0


@pytest.mark.parametrize(("chip", "gyro_dps"), [(c, 0) for c in CHIPS] + [("lsm6ds3", 500), ("lsm6dsox", 500)])
def test_every_sample_read_after_an_overflow_is_one_whole_source_row(chip: str, gyro_dps: int) -> None:
    # Rows encode their index in every axis, so a sample stitched from two instants (a misaligned FIFO) shows.
    rows = [(j, 2 * j, 3 * j, 4 * j, 5 * j, 6 * j) for j in (k % 500 for k in range(20000))]
    source = ArraySource.at_rate(1000, [(r[0] * 8, r[1] * 8, r[2] * 8, r[3] * 50, r[4] * 50, r[5] * 50) for r in rows])
    clock, _model, sensor = rig(chip, source, rate_hz=1000, range_g=16, gyro_dps=gyro_dps)
    clock.advance_us(7_777_777)
    checked = 0
    resumed = False
    for _ in range(400):
        n = sensor.read_fifo()
        if n == 0:
            if resumed:
                break
            # The MPU-6050 resets its FIFO on overflow: the samples after that must be whole rows too.
            clock.advance_ms(50)
            resumed = True
            continue
        for i in range(n):
            s = sensor.samples[i * sensor.stride : (i + 1) * sensor.stride]
            assert s[1] == pytest.approx(2 * s[0], abs=2), (i, list(s))
            assert s[2] == pytest.approx(3 * s[0], abs=3), (i, list(s))
            if sensor.stride == 6:
                assert s[4] * 4 == pytest.approx(s[3] * 5, abs=40), (i, list(s))
            checked += 1
    assert sensor.overflows >= 1
    assert checked > 0


def test_open_sensor_rejects_unknown_chips_and_gyro_on_accel_only_chips() -> None:
    bus = I2C(0)
    with pytest.raises(SensorError, match=r"unknown sensor chip 'bmi270'; supported: adxl345, lis3dh"):
        open_sensor(bus, "bmi270", 0x68)
    with pytest.raises(SensorError, match="lis3dh has no gyroscope"):
        open_sensor(bus, "lis3dh", 0x18, gyro_dps=500)


def test_lis3dh_refuses_a_board_that_wires_int2() -> None:
    clock = VirtualClock()
    bus = I2C(0)
    bus.attach(model_for("lis3dh", clock))
    with pytest.raises(SensorError, match="INT1 only"):
        open_sensor(bus, "lis3dh", 0x18, int_pin=2)


def test_stats_report_the_counters() -> None:
    clock, _model, sensor = rig("lis3dh", watermark=8)
    clock.advance_ms(100)
    assert sensor.read_fifo() == 10
    stats = sensor.stats()
    assert stats["chip"] == "LIS3DH"
    assert (stats["samples_read"], stats["batches"], stats["overflows"], stats["i2c_errors"]) == (10, 1, 0, 0)
