"""``python -m anklet_host.budget [BOARD...]`` (`make budget`): the firmware's memory per board, as an ESP32 has it.

For each board file: the live Python heap after boot (services registered), its peak through a walk streamed to a
connected client and a sync of a full log, the largest free block, the native code the board loads (what
`anklet deploy` compiles with ``-X emit=native`` for the board's chip, counted from the ``.mpy`` files), and each
task's longest step under the WebAssembly port (the firmware's CPU time: the simulated hardware's and the sampler's
drains left out), added up as the longest the sampler can be held off its FIFO; then the CPU side on the chip
(`anklet_host.budget.stall`): the worst stride classification and the FIFO headroom at every rate the board's chip
runs, converted to the board's chip at the CPU clock the firmware sets. The last line is one JSON object
(``{"boards": {...}, "limits": {...}}``). See `anklet_host.budget.memory` for how the heap and the steps are measured.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

from anklet_host.budget.memory import MemoryRun, measure
from anklet_host.budget.stall import board_figures
from anklet_host.deploy import Device, board_names, load_board, stage
from anklet_host.upy import MicroPython

HEAP_PEAK_LIMIT_BYTES = 65_536  # half the stock heap: the rest is for fragmentation, Bluetooth buffers, what comes
NATIVE_LIMIT_BYTES = 16 * 1024  # executable memory comes out of the ~94 KB of free system heap NimBLE also needs
FIFO_HEADROOM_MIN_MS = 0.0  # above this at every rate: no sample lost in the worst case
# Budget runs per board for the tasks' longest steps: each task's figure is the lower of the runs' maxima (the host's
# hiccups land in one run's maximum, the firmware's long steps in both: anklet_host.budget.memory).
VM_RUNS = 2
_CHIP_MODULE = {
    "lis3dh": "lis3dh",
    "adxl345": "adxl345",
    "mpu6050": "mpu6050",
    "mpu6886": "mpu6050",
    "lsm6ds3": "lsm6ds",
    "lsm6dsox": "lsm6ds",
}


def native_bytes(board_name: str) -> int:
    """Bytes of native ``.mpy`` code the board imports (its own driver only), as deploy compiles them for its chip."""
    board = load_board(board_name)
    machine = {"esp32": "ESP32", "esp32s3": "ESP32S3", "esp32c3": "ESP32C3"}[board.mcu]
    with tempfile.TemporaryDirectory(prefix="anklet-native-") as tmp:
        staged = stage(board, Device("esp32", machine), Path(tmp) / "staged")
        loaded = {"anklet/drivers/" + _CHIP_MODULE[board.chip] + ".py"}
        total = 0
        for relative in staged.native_files:
            driver = relative.startswith("anklet/drivers/") and relative not in (
                "anklet/drivers/__init__.py",
                "anklet/drivers/common.py",
            )
            if driver and relative not in loaded:
                continue
            total += (Path(tmp) / "staged" / relative).with_suffix(".mpy").stat().st_size
        return total


def figures(run: MemoryRun, native: int) -> dict[str, object]:
    return {
        "heap_after_boot_bytes": run.heap_after_boot_bytes,
        "heap_peak_bytes": run.heap_peak_bytes,
        "largest_free_block_bytes": run.largest_free_block_bytes,
        "heap_grew": run.heap_grew,
        "native_bytes": native,
        "step_worst_ms_wasm": round(run.step_worst_ms, 1),
        "step_worst_ms_wasm_by_phase": {p.name: round(p.step_worst_ms, 1) for p in run.phases},
        "hold_off_tasks_ms_wasm": {task: round(ms, 3) for task, ms in run.hold_off_tasks_ms.items()},
        "longest_tasks_ms_wasm": {task: round(ms, 3) for task, ms in run.longest_tasks_ms.items()},
        "records_synced": run.records_synced,
        "samples_dropped": run.samples_dropped,
        "within_heap_limit": run.heap_peak_bytes <= HEAP_PEAK_LIMIT_BYTES,
        "within_native_limit": native <= NATIVE_LIMIT_BYTES,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m anklet_host.budget", description=__doc__.split("\n\n")[0])
    parser.add_argument("boards", nargs="*", help="board files (default: every supported board)")
    args = parser.parse_args(argv)
    logging.getLogger("bumble").setLevel(logging.ERROR)  # the client's view of notifications it did not ask for
    names = args.boards or board_names()
    results: dict[str, dict[str, object]] = {}
    head = (
        f"{'board':24s} {'after boot':>11s} {'peak':>9s} {'native':>8s} {'hold-off(wasm)':>15s} {'(chip)':>9s}"
        f" {'stride(chip)':>13s} {'FIFO room':>10s}  phases (live/peak KB, longest run of tasks ms wasm)"
    )
    print(head)
    with MicroPython() as upy:
        for name in names:
            run = measure(name, vm_runs=VM_RUNS)
            native = native_bytes(name)
            board = load_board(name)
            longest_step = max(run.hold_off_tasks_ms.values())
            r = board_figures(upy, board, run.hold_off_ms, longest_step)
            r["within_fifo_limit"] = r["fifo_headroom_ms_min"] > FIFO_HEADROOM_MIN_MS
            results[name] = figures(run, native) | r
            phases = "; ".join(
                f"{p.name} {p.live_bytes / 1024:.1f}/{p.peak_bytes / 1024:.1f} {p.step_worst_ms:.1f}"
                for p in run.phases
            )
            print(
                f"{name:24s} {run.heap_after_boot_bytes:11,d} {run.heap_peak_bytes:9,d} {native:8,d}"
                f" {run.hold_off_ms:13.2f}ms {r['hold_off_ms_esp32']:7.1f}ms"
                f" {r['stride_worst_ms_esp32']:11.1f}ms"
                f" {r['fifo_headroom_ms_min']:8.1f}ms  {phases}",
                flush=True,
            )
            tasks = sorted(run.hold_off_tasks_ms.items(), key=lambda item: -item[1])
            print(
                "    hold-off per task, ms wasm (longest step): "
                + ", ".join(f"{t} {ms:.2f} ({run.longest_tasks_ms.get(t, ms):.2f})" for t, ms in tasks)
            )
            for setting, f in r["fifo_rates"].items():
                print(
                    f"    {setting:>3s} Hz: chip {f['rate_hz']} Hz, FIFO {f['depth_samples']} samples, watermark"
                    f" {f['watermark']}, burst {f['burst_ms_esp32']} ms + stride {f['stride_ms_esp32']} ms + I2C"
                    f" {f['i2c_ms']} ms -> room {f['headroom_ms']} ms",
                    flush=True,
                )
            for setting, why in r["rates_skipped"].items():
                print(f"    {setting:>3s} Hz: skipped, {why}", flush=True)
    limits = {
        "heap_peak_bytes": HEAP_PEAK_LIMIT_BYTES,
        "native_bytes": NATIVE_LIMIT_BYTES,
        "fifo_headroom_ms_min": FIFO_HEADROOM_MIN_MS,
    }
    print(json.dumps({"boards": results, "limits": limits}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
