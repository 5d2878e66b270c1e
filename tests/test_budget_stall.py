"""`make budget`'s CPU side: the FIFO headroom arithmetic, the chip facts it reads from the real drivers on the chip
models, the CPU clock the firmware sets, and one real timing under the WebAssembly port converted to the chip."""

from __future__ import annotations

import ast

import pytest

from anklet.app.settings import RATES_HZ, rates_for
from anklet.drivers import ADDRESSES, CHIPS, GYRO_CHIPS
from anklet_host.budget import cpu, stall
from anklet_host.deploy import load_board
from anklet_host.paths import FIRMWARE_DIR
from anklet_host.sim.chips import model_for
from anklet_host.sim.clock import VirtualClock
from anklet_host.sim.i2c import I2C
from anklet_host.upy import MicroPython


def test_headroom_is_the_fifos_room_after_the_watermark_minus_the_worst_stall() -> None:
    # LIS3DH at 100 Hz, watermark 8: 32 - 8 samples = 240 ms of room; stall 8 x 0.5 + 40 + 90 + 1.28 = 135.28 ms.
    room = stall.headroom_ms(
        depth_samples=32, watermark=8, rate_hz=100, sample_ms=0.5, stride_ms=40, hold_off_ms=90, i2c_ms=1.28
    )
    assert room == pytest.approx(104.72)
    # MPU-6050 with gyro at 100 Hz: 85 - 16 samples = 690 ms of room.
    room = stall.headroom_ms(
        depth_samples=85, watermark=16, rate_hz=100, sample_ms=0.5, stride_ms=80, hold_off_ms=300, i2c_ms=4.7
    )
    assert room == pytest.approx(690 - 8 - 80 - 300 - 4.7)
    # Too slow: negative, never clamped.
    assert stall.headroom_ms(
        depth_samples=32, watermark=16, rate_hz=400, sample_ms=1, stride_ms=30, hold_off_ms=0, i2c_ms=0
    ) == pytest.approx(-6)


@pytest.mark.parametrize(
    ("board_name", "setting_hz", "expected"),  # expected: the chip's rate, FIFO depth, watermark, values per sample
    [
        ("xiao-esp32c3-lis3dh", 100, (100, 32, 8, 3)),  # LIS3DH: 32-sample FIFO, so a watermark of 8
        ("esp32-devkitc-gy291", 100, (100, 32, 8, 3)),  # ADXL345: 32 entries, the same
        ("esp32-devkitc-gy521", 100, (100, 1024 // 12, 16, 6)),  # MPU-6050: 1024 bytes of 12-byte accel+gyro packets
        ("m5stack-atom-matrix", 200, (200, 1024 // 14, 16, 6)),  # MPU-6886: temperature rides along, 14-byte packets
        ("huzzah32-lsm6dsox", 100, (104, 512 // 2, 16, 6)),  # LSM6DSOX: 512 words, accel and gyro one each; 104 Hz
    ],
)
def test_rate_setup_reads_the_chip_facts_from_the_driver_on_the_chip_model(
    board_name: str, setting_hz: int, expected: tuple[int, int, int, int]
) -> None:
    board = load_board(board_name)
    setup = stall.rate_setup(board, setting_hz, stall.walk_bytes(board))
    assert (setup.rate_hz, setup.depth_samples, setup.watermark, setup.stride) == expected
    rate_hz, _depth, _watermark, stride = expected
    # The whole walk came through (14 s) and one burst's transfers take a few ms at 400 kHz.
    assert len(setup.samples) // stride == pytest.approx(14 * rate_hz, rel=0.03)
    assert 1.0 < setup.burst_i2c_ms < 10.0
    assert stall.unsupported_reason(setup.rate_hz) is None


def test_lis3dh_burst_i2c_time_counts_the_bytes_moved() -> None:
    board = load_board("xiao-esp32c3-lis3dh")
    setup = stall.rate_setup(board, 100, stall.walk_bytes(board))
    # FIFO_SRC_REG (1 byte), then 8 samples x 6 bytes in one burst; 4 bytes of addressing each; 9 bits a byte.
    assert setup.burst_i2c_ms == pytest.approx((1 + 48 + 2 * 4) * 9 * 1000 / 400_000)


def test_a_rate_the_detector_cannot_take_is_skipped_with_the_reason() -> None:
    board = load_board("esp32-devkitc-gy521")
    setup = stall.rate_setup(board, 400, stall.walk_bytes(board))
    assert setup.rate_hz == 500  # the MPU-6050's next rate up
    reason = stall.unsupported_reason(setup.rate_hz, 400)
    assert reason is not None
    assert "500 Hz" in reason
    # A chip's own rate near the setting delivers it; one further off does not, even where the detector takes it.
    assert stall.unsupported_reason(104, 100) is None
    reason = stall.unsupported_reason(250, 200)
    assert reason is not None
    assert "more than 5% off 200 Hz" in reason


@pytest.mark.parametrize("chip", sorted(CHIPS))
def test_every_rate_a_chip_offers_is_one_its_driver_delivers_and_the_detector_takes(chip: str) -> None:
    # The one list of rates per chip (the firmware's settings and `anklet settings` check against it) holds only
    # rates the real driver, on the chip's model, runs within 5% of, and that the detector accepts.
    rates = rates_for(chip)
    assert set(rates) <= set(RATES_HZ)
    assert 100 in rates  # the settings' default rate runs on every chip
    for setting_hz in rates:
        clock = VirtualClock()
        bus = I2C(0)
        address = ADDRESSES[chip][0]
        bus.attach(model_for(chip, clock, None, address))
        gyro = 2000 if chip in GYRO_CHIPS else 0
        sensor = stall.open_sensor(bus, chip, address, rate_hz=setting_hz, gyro_dps=gyro, clock_ms=clock.ticks_ms)
        assert stall.unsupported_reason(sensor.rate_hz, setting_hz) is None, (chip, setting_hz, sensor.rate_hz)
    # The MPU-6050/6886 answer 400 Hz with 500 Hz (1 kHz divided by a whole number): not offered (issue #14).
    if chip.startswith("mpu"):
        assert 400 not in rates


def test_the_worst_features_keep_more_hidden_units_busy_than_a_few_random_tries() -> None:
    name = stall.model_name(True, False)
    model = stall.load(name)
    from array import array

    def active(features: list[int]) -> int:
        hidden = array("i", bytes(4 * stall.hidden_units(model)))
        stall.scores(model, array("h", features), hidden, array("i", bytes(16)))
        return sum(1 for h in hidden if h >> 8 > 0)

    assert active(stall.worst_features(name, tries=500)) >= active(stall.worst_features(name, tries=3, seed=9))


def test_the_firmware_sets_the_cpu_clock_the_budget_converts_at() -> None:
    tree = ast.parse((FIRMWARE_DIR / "anklet" / "app" / "main.py").read_text())
    values = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "CPU_HZ" for t in node.targets)
        and isinstance(node.value, ast.Constant)
    ]
    assert values == [stall.CPU_MHZ * 1_000_000]
    for mcu in ("esp32", "esp32c3", "esp32s3"):
        assert cpu.factor(mcu, stall.CPU_MHZ) > 0


@pytest.mark.micropython
def test_a_stride_timed_under_the_wasm_port_converts_to_the_chip(upy: MicroPython) -> None:
    board = load_board("xiao-esp32c3-lis3dh")
    figures = stall.board_figures(upy, board, hold_off_ms_wasm=1.0, rates_hz=(100, 400))
    assert figures["cpu_mhz"] == stall.CPU_MHZ
    assert figures["stride_worst_ms_wasm"] > 0
    speed = figures["host_speed"]
    assert 0.05 < speed < 20
    expected = cpu.esp32_ms(figures["stride_worst_ms_wasm"], "esp32c3", stall.CPU_MHZ, host_speed=speed)
    assert figures["stride_worst_ms_esp32"] == pytest.approx(expected, abs=0.2)
    rate = figures["fifo_rates"]["100"]
    assert (rate["rate_hz"], rate["depth_samples"], rate["watermark"]) == (100, 32, 8)
    assert rate["sample_ms_wasm"] > 0
    hold_off_ms = cpu.esp32_ms(1.0, "esp32c3", stall.CPU_MHZ, host_speed=speed)
    assert figures["hold_off_ms_esp32"] == pytest.approx(hold_off_ms, abs=0.1)
    room = stall.headroom_ms(
        depth_samples=32,
        watermark=8,
        rate_hz=100,
        sample_ms=rate["burst_ms_esp32"] / 8,
        stride_ms=rate["stride_ms_esp32"],
        hold_off_ms=hold_off_ms,
        i2c_ms=rate["i2c_ms"],
    )
    assert rate["headroom_ms"] == pytest.approx(room, abs=0.3)
    assert figures["fifo_headroom_ms_min"] == rate["headroom_ms"]
    # 400 Hz is not among the LIS3DH's rates: timed all the same, left out of the minimum, with its headroom.
    assert list(figures["fifo_rates"]) == ["100"]
    assert figures["rates_skipped"]["400"].startswith("not among the lis3dh's rates (25, 50, 100 Hz:")
    assert "headroom at 400 Hz would be" in figures["rates_skipped"]["400"]
