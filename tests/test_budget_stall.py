"""`make budget`'s CPU side: the FIFO headroom arithmetic, the chip facts it reads from the real drivers on the chip
models, the CPU clock the firmware sets, and one real timing under the WebAssembly port converted to the chip."""

from __future__ import annotations

import ast

import pytest

from anklet_host.budget import cpu, stall
from anklet_host.deploy import load_board
from anklet_host.paths import FIRMWARE_DIR
from anklet_host.upy import MicroPython


def test_headroom_is_the_fifos_room_after_the_watermark_minus_the_worst_stall() -> None:
    # LIS3DH at 400 Hz: 32 - 16 samples = 40 ms of room; stall 16 x 0.1 + 20 + 10 + 2.36 = 33.96 ms.
    room = stall.headroom_ms(
        depth_samples=32, watermark=16, rate_hz=400, sample_ms=0.1, stride_ms=20, other_step_ms=10, i2c_ms=2.36
    )
    assert room == pytest.approx(6.04)
    # MPU-6050 with gyro at 100 Hz: 85 - 16 samples = 690 ms of room.
    room = stall.headroom_ms(
        depth_samples=85, watermark=16, rate_hz=100, sample_ms=0.5, stride_ms=80, other_step_ms=300, i2c_ms=4.7
    )
    assert room == pytest.approx(690 - 8 - 80 - 300 - 4.7)
    # Too slow: negative, never clamped.
    assert stall.headroom_ms(
        depth_samples=32, watermark=16, rate_hz=400, sample_ms=1, stride_ms=30, other_step_ms=0, i2c_ms=0
    ) == pytest.approx(-6)


@pytest.mark.parametrize(
    ("board_name", "setting_hz", "rate_hz", "depth", "stride"),
    [
        ("xiao-esp32c3-lis3dh", 400, 400, 32, 3),  # LIS3DH: 32-sample FIFO
        ("esp32-devkitc-gy291", 100, 100, 32, 3),  # ADXL345: 32 entries
        ("esp32-devkitc-gy521", 100, 100, 1024 // 12, 6),  # MPU-6050: 1024 bytes of 12-byte accel+gyro packets
        ("m5stack-atom-matrix", 200, 200, 1024 // 14, 6),  # MPU-6886: temperature rides along, 14-byte packets
        ("huzzah32-lsm6dsox", 100, 104, 512 // 2, 6),  # LSM6DSOX: 512 words, accel and gyro one each; 104 Hz for 100
    ],
)
def test_rate_setup_reads_the_chip_facts_from_the_driver_on_the_chip_model(
    board_name: str, setting_hz: int, rate_hz: int, depth: int, stride: int
) -> None:
    board = load_board(board_name)
    setup = stall.rate_setup(board, setting_hz, stall.walk_bytes(board))
    assert (setup.rate_hz, setup.depth_samples, setup.watermark, setup.stride) == (rate_hz, depth, 16, stride)
    # The whole walk came through (14 s) and one burst's transfers take a few ms at 400 kHz.
    assert len(setup.samples) // stride == pytest.approx(14 * rate_hz, rel=0.03)
    assert 1.0 < setup.burst_i2c_ms < 10.0
    assert stall.unsupported_reason(setup.rate_hz) is None


def test_lis3dh_burst_i2c_time_counts_the_bytes_moved() -> None:
    board = load_board("xiao-esp32c3-lis3dh")
    setup = stall.rate_setup(board, 100, stall.walk_bytes(board))
    # FIFO_SRC_REG (1 byte), then 16 samples x 6 bytes in one burst; 4 bytes of addressing each; 9 bits a byte.
    assert setup.burst_i2c_ms == pytest.approx((1 + 96 + 2 * 4) * 9 * 1000 / 400_000)


def test_a_rate_the_detector_cannot_take_is_skipped_with_the_reason() -> None:
    board = load_board("esp32-devkitc-gy521")
    setup = stall.rate_setup(board, 400, stall.walk_bytes(board))
    assert setup.rate_hz == 500  # the MPU-6050's next rate up
    reason = stall.unsupported_reason(setup.rate_hz)
    assert reason is not None
    assert "500 Hz" in reason


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
    figures = stall.board_figures(upy, board, step_worst_ms_wasm=1.0, rates_hz=(100,))
    assert figures["cpu_mhz"] == stall.CPU_MHZ
    assert figures["stride_worst_ms_wasm"] > 0
    speed = figures["host_speed"]
    assert 0.05 < speed < 20
    expected = cpu.esp32_ms(figures["stride_worst_ms_wasm"], "esp32c3", stall.CPU_MHZ, host_speed=speed)
    assert figures["stride_worst_ms_esp32"] == pytest.approx(expected, abs=0.2)
    rate = figures["fifo_rates"]["100"]
    assert (rate["rate_hz"], rate["depth_samples"], rate["watermark"]) == (100, 32, 16)
    assert rate["sample_ms_wasm"] > 0
    step_ms = cpu.esp32_ms(1.0, "esp32c3", stall.CPU_MHZ, host_speed=speed)
    room = stall.headroom_ms(
        depth_samples=32,
        watermark=16,
        rate_hz=100,
        sample_ms=rate["burst_ms_esp32"] / 16,
        stride_ms=rate["stride_ms_esp32"],
        other_step_ms=step_ms,
        i2c_ms=rate["i2c_ms"],
    )
    assert rate["headroom_ms"] == pytest.approx(room, abs=0.3)
    assert figures["fifo_headroom_ms_min"] == rate["headroom_ms"]
    assert figures["rates_skipped"] == {}
