"""The wasm -> ESP32 CPU factors of `make budget`: conversion arithmetic, the constants against the measured range,
and the measuring code (run briefly: no wall-clock time is asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anklet_host.budget import cpu
from anklet_host.errors import InputError
from anklet_host.paths import BOARDS_DIR
from anklet_host.upy import MicroPython


def test_esp32_ms_multiplies_by_the_chip_factor() -> None:
    assert cpu.esp32_ms(1.0, "esp32", 160) == pytest.approx(cpu.WASM_TO_ESP32_160MHZ)
    assert cpu.esp32_ms(2.5, "esp32", 240) == pytest.approx(2.5 * cpu.WASM_TO_ESP32_240MHZ)
    assert cpu.esp32_ms(0.4, "esp32c3", 160) == pytest.approx(0.4 * cpu.WASM_TO_ESP32C3_160MHZ)
    assert cpu.esp32_ms(0.0, "esp32s3", 80) == 0.0


def test_host_speed_scales_the_wasm_time() -> None:
    assert cpu.esp32_ms(1.0, "esp32", 160, host_speed=1.25) == pytest.approx(1.25 * cpu.WASM_TO_ESP32_160MHZ)


def test_frequency_scaling_is_conservative() -> None:
    at_80, at_160, at_240 = (cpu.factor("esp32", mhz) for mhz in (80, 160, 240))
    assert at_80 == pytest.approx(2 * at_160)
    # 240 MHz is credited with less than the ideal 1.5x
    assert at_160 / 1.5 < at_240 < at_160
    assert cpu.factor("esp32c3", 80) == pytest.approx(2 * cpu.factor("esp32c3", 160))
    # the C3 and S3 are taken as no faster per MHz than the ESP32, though the published figures say they are
    assert cpu.WASM_TO_ESP32C3_160MHZ >= cpu.WASM_TO_ESP32_160MHZ
    assert cpu.WASM_TO_ESP32S3_240MHZ >= cpu.WASM_TO_ESP32_240MHZ


@pytest.mark.parametrize(("mcu", "mhz"), [("esp32", 200), ("esp32c3", 240), ("esp8266", 160), ("ESP32", 160)])
def test_unsupported_chip_or_frequency_is_an_input_error(mcu: str, mhz: int) -> None:
    with pytest.raises(InputError, match="no CPU factor"):
        cpu.esp32_ms(1.0, mcu, mhz)


def test_negative_time_or_speed_is_an_input_error() -> None:
    with pytest.raises(InputError):
        cpu.esp32_ms(-1.0, "esp32", 160)
    with pytest.raises(InputError):
        cpu.esp32_ms(1.0, "esp32", 160, host_speed=0.0)


def test_the_factor_lies_within_the_measured_range() -> None:
    factors = [ref.factor for ref in cpu.REFERENCES]
    integer = [ref.factor for ref in cpu.REFERENCES if ref.kind == "integer"]
    assert len(integer) >= 2
    assert all(1.0 < f < 100.0 for f in factors)
    # covers every integer-heavy benchmark (the firmware's kind of code), rounded up by at most a fifth ...
    assert max(integer) <= cpu.WASM_TO_ESP32_160MHZ <= 1.2 * max(integer)
    # ... and stays inside what was measured at all
    assert min(factors) <= cpu.WASM_TO_ESP32_160MHZ <= max(factors)


def test_reference_figures_are_filled_in() -> None:
    assert cpu.CALIBRATION_WASM_US > 0
    for ref in cpu.REFERENCES:
        assert ref.esp32_score > 0
        assert ref.wasm_score > 0
        assert ref.kind in ("integer", "float/alloc")


def test_every_board_mcu_has_a_factor_at_its_stock_160_mhz() -> None:
    for path in sorted(BOARDS_DIR.glob("*.json")):
        mcu = json.loads(path.read_text())["mcu"]
        assert cpu.factor(mcu, 160) > 0, path.name


@pytest.mark.micropython
def test_calibration_kernel_allocates_nothing(upy: MicroPython) -> None:
    code = cpu.CALIBRATION_SOURCE + (
        "import micropython\n"
        "def drive(kern, n):\n"
        "    k = 0\n"
        "    while k < n:\n"
        "        kern.step(k - 250)\n"
        "        k += 1\n"
        "kern = Kernel()\n"
        "micropython.heap_lock()\n"
        "try:\n"
        "    drive(kern, 500)\n"
        "finally:\n"
        "    micropython.heap_unlock()\n"
        "print(kern.pos, kernel_run(300) == kernel_run(300))\n"
    )
    assert upy.run(code, with_firmware=False).split() == [str(500 % 128), "True"]
    assert cpu.measure_calibration(upy, runs=1, target_ms=5) > 0


# A stand-in with perf_bench's interface (our own code, not a perf_bench file): the norm is the chosen parameter.
FAKE_BENCH = """
bm_params = {(50, 10): 5, (100, 10): 7, (100, 200): 11, (1000, 10): 13}

def bm_setup(param):
    def run():
        total = 0
        for k in range(param * 10):
            total += k
        return total
    return run, lambda: (param, None)
"""


@pytest.mark.micropython
def test_perf_bench_driver_picks_the_esp32_parameters(upy: MicroPython, tmp_path: Path) -> None:
    timer, norm = cpu.perf_bench_code(FAKE_BENCH, 5)
    assert upy.run(norm, with_firmware=False).strip() == "7"  # (100, 10): N within 1.2x of 100, M <= 100
    assert float(upy.run(timer, with_firmware=False).strip()) > 0
    for ref in cpu.REFERENCES:
        (tmp_path / f"{ref.name}.py").write_text(FAKE_BENCH)
    step_us, scores = cpu.measure(upy, tmp_path, runs=1, target_ms=5)
    assert step_us > 0
    assert set(scores) == {ref.name for ref in cpu.REFERENCES}
    assert all(score > 0 for score in scores.values())


def test_missing_perf_bench_folder_is_an_input_error(upy: MicroPython, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="perf_bench"):
        cpu.measure(upy, tmp_path, runs=1, target_ms=5)
