"""Every accelerometer driver against its register-level chip model, under CPython and under the real MicroPython.

One portable scenario per chip configuration (`tests/drivers_helpers.py`) configures the driver, drains FIFOs filled
from a known source, lets the FIFO overflow, injects bus faults, reads under ``micropython.heap_lock()`` and tries
wake-on-motion; the tests judge what it printed against datasheet values.
"""

from __future__ import annotations

import pytest

from anklet_host.upy import MicroPython
from tests.drivers_helpers import VARIANTS, Variant, parse, run_both, scenario_code

pytestmark = pytest.mark.micropython

RUNTIMES = ("cpython", "micropython")
Outputs = dict[str, dict[str, dict[str, list[str]]]]


@pytest.fixture(scope="module")
def outputs(upy: MicroPython) -> Outputs:
    """What the scenario printed, per variant and runtime (run once per module: about 3 s for all)."""
    result: Outputs = {}
    for v in VARIANTS:
        cp, mp = run_both(upy, scenario_code(v))
        result[v.id] = {"cpython": parse(cp), "micropython": parse(mp), "raw": {"cpython": [cp], "micropython": [mp]}}
    return result


def ints(values: list[str]) -> list[int]:
    return [int(x) for x in values]


variants = pytest.mark.parametrize("v", VARIANTS, ids=[v.id for v in VARIANTS])
runtimes = pytest.mark.parametrize("runtime", RUNTIMES)


@variants
def test_both_runtimes_print_the_same(v: Variant, outputs: Outputs) -> None:
    raw = outputs[v.id]["raw"]
    assert raw["micropython"] == raw["cpython"]


@variants
@runtimes
def test_configuration_registers_match_the_datasheet(v: Variant, runtime: str, outputs: Outputs) -> None:
    out = outputs[v.id][runtime]
    rate_hz, lsb_per_g, mlsb_per_dps, stride, wm_int = ints(out["rate"])
    assert rate_hz == v.rate_hz
    assert lsb_per_g == v.accel_lsb_per_g
    assert mlsb_per_dps == v.gyro_mlsb_per_dps
    assert stride == (6 if v.gyro_dps else 3)
    assert bool(wm_int) == v.watermark_int
    written = dict(item.split("=") for item in out["regs"])
    assert {int(k, 16): int(x, 16) for k, x in written.items()} == v.regs


@variants
@runtimes
def test_fifo_drains_return_the_source_samples_in_chip_counts(v: Variant, runtime: str, outputs: Outputs) -> None:
    out = outputs[v.id][runtime]
    samples_read, mismatches, *_first = ints(out["drain"])
    assert samples_read == 48  # three watermark batches of 16
    assert mismatches == 0
    # The scale the detector gets turns counts back into the source's milli-g within the rounding of lsb_per_g.
    az_mg, source_mg = ints(out["scale_mg"])
    assert abs(az_mg - source_mg) <= source_mg // 50


@variants
@runtimes
def test_watermark_interrupt_pin_level(v: Variant, runtime: str, outputs: Outputs) -> None:
    before, at_watermark, after_drain = ints(outputs[v.id][runtime]["int"])
    if v.watermark_int:
        assert (before, at_watermark, after_drain) == (0, 1, 0)
    else:
        # The MPU-6050 has no FIFO watermark interrupt: its INT stays quiet until an overflow.
        assert (before, at_watermark, after_drain) == (0, 0, 0)


@variants
@runtimes
def test_overflow_is_detected_and_the_samples_lost_counted(v: Variant, runtime: str, outputs: Outputs) -> None:
    level, overflows, lost, truth, _drained, dropped = ints(outputs[v.id][runtime]["overflow"])
    assert level == 1  # INT raised (watermark, overrun or FIFO_OFLOW)
    assert overflows == 1
    assert dropped == 1
    assert truth > 0
    # The estimate comes from the clock; the model knows exactly. One sample of slack for the sampling phase.
    assert abs(lost - truth) <= 1


@variants
@runtimes
def test_wrong_chip_error_names_expected_chip_value_found_and_address(
    v: Variant, runtime: str, outputs: Outputs
) -> None:
    message = " ".join(outputs[v.id][runtime]["wrongchip"])
    expected = (
        f"{v.name} not found at 0x{v.address:02x}: {v.identity_reg} is 0x{v.other_identity:02x}, "
        f"expected 0x{v.identity:02x}"
    )
    assert message == expected


@variants
@runtimes
def test_missing_chip_error_names_the_address(v: Variant, runtime: str, outputs: Outputs) -> None:
    message = " ".join(outputs[v.id][runtime]["missing"])
    assert message == f"no device at 0x{v.address:02x} on I2C ({v.name} expected, OSError 19)"


@variants
@runtimes
def test_transient_bus_faults_are_counted_retried_and_survived(v: Variant, runtime: str, outputs: Outputs) -> None:
    n1, errors1, retried1, n2, n3, n4, n5, failed_reads, last_errno, read, kept = ints(outputs[v.id][runtime]["faults"])
    assert (n1, errors1, retried1) == (16, 1, 1)  # one EIO, retried, the batch still arrives
    assert n2 == 0  # ETIMEDOUT on every retry: 0 samples, no exception
    assert n3 == 16  # the FIFO kept them for the next read
    assert (n4, n5) == (0, 16)  # a device that stops answering (ENODEV), then answers again
    assert failed_reads == 2
    assert last_errno == 19
    assert read == kept == 48  # nothing produced was lost


@variants
def test_no_heap_allocation_per_batch_under_heap_lock(v: Variant, outputs: Outputs) -> None:
    # Six plain batches, then one with a failing transfer that is retried: all under micropython.heap_lock().
    assert ints(outputs[v.id]["micropython"]["heap"]) == [16] * 7


@variants
@runtimes
def test_wake_on_motion_raises_int_on_motion_only(v: Variant, runtime: str, outputs: Outputs) -> None:
    threshold, still_level, still_seen, moved_level, moved_seen = ints(outputs[v.id][runtime]["wom"][:5])
    assert threshold == v.wom_threshold_mg
    assert (still_level, still_seen) == (0, 0)
    assert (moved_level, moved_seen) == (1, 1)
    assert outputs[v.id][runtime]["wom"][5] == "True"  # streaming resumes after start()
