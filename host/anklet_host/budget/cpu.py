"""CPU time on an ESP32 from CPU time under the WebAssembly port: the factors `make budget` multiplies by.

A factor is (time of a benchmark on the chip) / (time of the same benchmark under the WebAssembly port here). The
chip side is published: MicroPython's own benchmark suite (`tests/perf_bench/` in micropython/micropython, run with
`N=100 M=100`, the setting that suite names for an ESP32) on a stock ESP32, bytecode, in the table of
https://github.com/micropython/micropython/pull/7850 (column "esp32-perf": the iRAM VM and `-O2` build that the esp32
port ships since v1.17). A perf_bench score is ``1e6 * norm / time_us``; with the same parameters both sides do the
same work, so the factor is ``wasm_score / esp32_score``.

The wasm side was measured on this project's machines (2 cores shared with other jobs, Node 20, the 1.27.0
WebAssembly port): each benchmark repeated inside one VM until the timed stretch lasts >= 1 s (the port's clock
ticks in whole milliseconds), after one warm-up call; the best of 20 fresh VMs (two sessions of 10 rounds, each round
timing every benchmark once, so that all the bests come from the same quiet stretches of the host). The benchmark
sources come with no package this project installs, so they are not in this repository:
``python -m anklet_host.budget.cpu --perf-bench DIR`` re-measures them from a micropython checkout (DIR = its
``tests/perf_bench``) and prints the factors again. Without ``--perf-bench`` it times our own integer kernel
(`CALIBRATION_SOURCE`, shaped like the detector's per-sample work) and prints how fast this host is now against the
host the factors were measured on (`host_speed`), which `esp32_ms` can take.

Frequencies other than the one measured are scaled, conservatively: 240 MHz by the 1.46x speed-up measured for
160 -> 240 MHz (https://atomic14.com/2026/03/06/size-better-than-speed.html; less than the ideal 1.5x since the
flash does not speed up), 80 MHz by exactly 2x (memory stalls cost fewer cycles at a lower clock, so 2x is an upper
bound). The ESP32-C3 and ESP32-S3 are taken as no faster per MHz than the ESP32 (see `ESP32C3_PER_CLOCK`).
Native code (`mpy-cross -X emit=native`) runs faster than the bytecode measured here: these factors are the
conservative ones.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from anklet_host.errors import AnkletError, InputError
from anklet_host.upy import MicroPython


@dataclass(frozen=True)
class Reference:
    """One perf_bench benchmark: its published ESP32 score and its score measured under the WebAssembly port."""

    name: str
    kind: str  # "integer": integer arithmetic, arrays, calls; "float/alloc": floats, complex, big ints, new objects
    esp32_score: float  # PR #7850, column esp32-perf, ESP32 at the port's stock 160 MHz, N=100 M=100, bytecode
    wasm_score: float  # measured here (best of 20 VMs)

    @property
    def factor(self) -> float:
        """ESP32 time / wasm time for this benchmark."""
        return self.wasm_score / self.esp32_score


# ESP32 scores: https://github.com/micropython/micropython/pull/7850 (dpgeorge, 2021-09-24), the first table,
# right-hand ("esp32-perf") column. The post does not state the clock; run-perfbench.py does not set one and the
# esp32 port's sdkconfig.base sets none, so the ESP-IDF default of 160 MHz applies.
# wasm scores: the best of two sessions of `python -m anklet_host.budget.cpu --perf-bench DIR --runs 10` (2026-12).
REFERENCES: Final = (
    Reference("misc_aes", "integer", 334.52, 5700.8),
    Reference("bm_fannkuch", "integer", 71.63, 1333.3),
    Reference("bm_nqueens", "float/alloc", 2232.22, 66355.6),
    Reference("bm_float", "float/alloc", 3467.35, 119626.2),
    Reference("misc_mandel", "float/alloc", 1966.91, 76475.0),
    Reference("bm_pidigits", "float/alloc", 591.97, 24381.0),
    Reference("bm_fft", "float/alloc", 2467.62, 35209.2),
)

# The firmware's hot code is integer arithmetic on arrays, method calls and attribute access, allocation-free: the
# "integer" references, misc_aes 17.0x and bm_fannkuch 18.6x, rounded up to 20 to cover both. Allocation-, float- and
# big-int-heavy code fares worse on the ESP32 (bm_nqueens 29.7x, bm_float 34.5x, misc_mandel 38.9x, bm_pidigits
# 41.2x): the wasm port never collects garbage inside a run, and the ESP32's single-precision floats and heap are slow
# next to its integer bytecode. bm_fft (14.3x) is the exception. misc_pystone (calls, attributes, globals) has no
# esp32-perf figure; against the v1.13 ESP32 score 1731.94 (https://github.com/micropython/micropython/issues/6565,
# dpgeorge 2020-11-18, before the #7850 speed-ups) it gives 22x, an upper bound for today's firmware.
WASM_TO_ESP32_160MHZ: Final = 20.0
# 160 -> 240 MHz measured at 1.46x, not 1.5x (atomic14, above).
SPEEDUP_160_TO_240MHZ: Final = 1.46
WASM_TO_ESP32_240MHZ: Final = WASM_TO_ESP32_160MHZ / SPEEDUP_160_TO_240MHZ
WASM_TO_ESP32_80MHZ: Final = WASM_TO_ESP32_160MHZ * 2.0

# No published MicroPython benchmark for the ESP32-C3 with the same code: the evidence says it is at least as fast per
# MHz as the ESP32. CoreMark (C): ESP32-C3 at 160 MHz 409.25 (2.56/MHz; Espressif's coremark component example,
# https://components.espressif.com/components/espressif/coremark/versions/1.1.0~2/examples/coremark_example) against
# one ESP32 core at 160 MHz 330.9 (2.07/MHz; https://github.com/ochrin/coremark, table "ESP32 (1 core)"): 1.24x per
# MHz. MicroPython v1.18, asyncio scheduling (rate.py, 100 coros) at both chips' stock 160 MHz: ESP32 322 us, ESP32-C3
# 218 us per iteration (https://github.com/peterhinch/micropython-async/issues/79): 1.48x. But since v1.27 the
# RISC-V boards are built with -Os instead of -O2 (https://github.com/micropython/micropython/pull/17994), which
# costs speed by an amount we found no figure for, so no credit is taken: the C3 is counted as an ESP32 per MHz.
ESP32C3_PER_CLOCK: Final = 1.0
WASM_TO_ESP32C3_160MHZ: Final = WASM_TO_ESP32_160MHZ * ESP32C3_PER_CLOCK
WASM_TO_ESP32C3_80MHZ: Final = WASM_TO_ESP32C3_160MHZ * 2.0

# ESP32-S3 (Xtensa LX7, 240 MHz max): CoreMark per MHz above the ESP32's (4.92 against 4.14 on both cores,
# https://github.com/jschwefel/esp32-feature-matrix); counted as an ESP32 per MHz all the same, as the C3 is.
WASM_TO_ESP32S3_80MHZ: Final = WASM_TO_ESP32_80MHZ
WASM_TO_ESP32S3_160MHZ: Final = WASM_TO_ESP32_160MHZ
WASM_TO_ESP32S3_240MHZ: Final = WASM_TO_ESP32_240MHZ

FACTORS: Final[dict[tuple[str, int], float]] = {
    ("esp32", 80): WASM_TO_ESP32_80MHZ,
    ("esp32", 160): WASM_TO_ESP32_160MHZ,
    ("esp32", 240): WASM_TO_ESP32_240MHZ,
    ("esp32s3", 80): WASM_TO_ESP32S3_80MHZ,
    ("esp32s3", 160): WASM_TO_ESP32S3_160MHZ,
    ("esp32s3", 240): WASM_TO_ESP32S3_240MHZ,
    ("esp32c3", 80): WASM_TO_ESP32C3_80MHZ,
    ("esp32c3", 160): WASM_TO_ESP32C3_160MHZ,
}


def factor(mcu: str, cpu_mhz: int) -> float:
    """ESP32 time / wasm time for a chip (a board file's "mcu") at a `machine.freq()` it supports, in MHz."""
    try:
        return FACTORS[(mcu, cpu_mhz)]
    except KeyError:
        supported = ", ".join(f"{chip}@{mhz}" for chip, mhz in FACTORS)
        raise InputError(f"no CPU factor for {mcu} at {cpu_mhz} MHz (have: {supported})") from None


def esp32_ms(wasm_ms: float, mcu: str, cpu_mhz: int, *, host_speed: float = 1.0) -> float:
    """Milliseconds on the chip for code that took ``wasm_ms`` under the WebAssembly port (bytecode: an upper bound).

    ``host_speed`` is `CALIBRATION_WASM_US` / this host's calibration time now (`measure_calibration`): above 1 when
    this host runs faster than the one the factors were measured on, so its wasm times are scaled up to match.
    """
    if wasm_ms < 0 or host_speed <= 0:
        raise InputError(f"wasm_ms must be >= 0 and host_speed > 0 (got {wasm_ms}, {host_speed})")
    return wasm_ms * host_speed * factor(mcu, cpu_mhz)


# ------------------------------------------------------------------------------------------------------ measurement
# Our own integer kernel, the shape of the detector's per-sample work: a method call per sample, attribute reads and
# writes, a shift low-pass, a ring buffer in an array("h") and a 16-tap integer dot product. Allocation-free.
CALIBRATION_SOURCE: Final = """
from array import array

class Kernel:
    def __init__(self):
        self.ring = array("h", bytes(256))
        self.taps = array("h", [(k * 37) % 61 - 30 for k in range(16)])
        self.low = 0
        self.pos = 0
        self.peak = 0

    def step(self, x):
        self.low += (x - self.low) >> 3
        pos = (self.pos + 1) & 127
        self.pos = pos
        ring = self.ring
        ring[pos] = self.low
        taps = self.taps
        acc = 0
        k = 0
        while k < 16:
            acc += taps[k] * ring[(pos - k) & 127]
            k += 1
        if acc > self.peak:
            self.peak = acc
        return acc >> 8

def kernel_run(n):
    kern = Kernel()
    total = 0
    k = 0
    while k < n:
        total += kern.step((k * 73) % 512 - 256)
        k += 1
    return total
"""
CALIBRATION_STEPS: Final = 1000
# us per kernel step under the WebAssembly port on the host the factors were measured on (best of 20 VMs), measured
# in the same rounds as the REFERENCES' wasm scores.
CALIBRATION_WASM_US: Final = 15.11

# Runs `run()` (from `bm_setup(params)` or the kernel) once to warm up, then enough times in a row that the
# whole lasts at least TARGET_MS on the port's millisecond clock; prints microseconds per run.
_TIMER = """
import time
run()
_reps = 1
while True:
    _t0 = time.ticks_ms()
    for _ in range(_reps):
        run()
    _dt = time.ticks_diff(time.ticks_ms(), _t0)
    if _dt >= TARGET_MS:
        break
    _reps *= 2
print(_dt * 1000 / _reps)
"""

# A perf_bench file defines bm_params {(N, M): params} and bm_setup(params) -> (run, result). The parameters an
# ESP32 run uses are those of the largest key whose N is within 1.2x of the given N and whose M is at most the given M.
_PERF_BENCH_SETUP = """
_chosen = None
for _key in bm_params:
    if _key[0] * 10 <= BENCH_N * 12 and _key[1] <= BENCH_M and (_chosen is None or _key > _chosen):
        _chosen = _key
run, _result = bm_setup(bm_params[_chosen])
"""


def _vm_us(upy: MicroPython, code: str) -> float:
    return float(upy.run(code, with_firmware=False).split()[-1])


def _calibration_code(target_ms: int) -> str:
    return CALIBRATION_SOURCE + f"TARGET_MS = {target_ms}\nrun = lambda: kernel_run({CALIBRATION_STEPS})\n" + _TIMER


def perf_bench_code(source: str, target_ms: int) -> tuple[str, str]:
    """(code printing microseconds per run, code printing the benchmark's norm) at N=100 M=100 (the ESP32 setting)."""
    setup = source + f"\nBENCH_N = 100\nBENCH_M = 100\nTARGET_MS = {target_ms}\n" + _PERF_BENCH_SETUP
    return setup + _TIMER, setup + "run()\nprint(_result()[0])\n"


def measure_calibration(upy: MicroPython, runs: int = 5, target_ms: int = 1000) -> float:
    """Best microseconds per `CALIBRATION_SOURCE` kernel step under the WebAssembly port, over ``runs`` fresh VMs."""
    code = _calibration_code(target_ms)
    return min(_vm_us(upy, code) for _ in range(runs)) / CALIBRATION_STEPS


def measure(
    upy: MicroPython, perf_bench: Path | None, runs: int = 5, target_ms: int = 1000
) -> tuple[float, dict[str, float]]:
    """(calibration us per step, {reference name: wasm score}), best of ``runs`` rounds; each round times every
    benchmark once in a fresh VM, so that the bests of all of them come from the same quiet stretches of the host."""
    timers: dict[str, str] = {}
    norms: dict[str, float] = {}
    if perf_bench is not None:
        for ref in REFERENCES:
            path = perf_bench / f"{ref.name}.py"
            if not path.is_file():
                raise InputError(f"{path} not found: --perf-bench takes micropython's tests/perf_bench folder")
            timers[ref.name], norm_code = perf_bench_code(path.read_text(), target_ms)
            norms[ref.name] = _vm_us(upy, norm_code)
    timers["calibration"] = _calibration_code(target_ms)
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(runs):
        for name, code in timers.items():
            best[name] = min(best[name], _vm_us(upy, code))
    scores = {name: 1e6 * norms[name] / best[name] for name in norms}
    return best["calibration"] / CALIBRATION_STEPS, scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m anklet_host.budget.cpu", description="Re-measure the wasm side of the ESP32 CPU factors."
    )
    parser.add_argument("--perf-bench", type=Path, help="a micropython checkout's tests/perf_bench folder")
    parser.add_argument("--runs", type=int, default=5, help="rounds of fresh VMs; the best counts (default 5)")
    parser.add_argument("--target-ms", type=int, default=1000, help="minimum timed stretch per VM (default 1000)")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared; best of {args.runs} rounds)")
    try:
        with MicroPython() as upy:
            step_us, scores = measure(upy, args.perf_bench, args.runs, args.target_ms)
    except AnkletError as error:
        print(f"error: {error}")
        return error.exit_status
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if scores:
        print(f"{'benchmark':12} {'kind':11} {'esp32 score':>11} {'wasm score':>10} {'factor':>6} {'committed':>9}")
        for ref in REFERENCES:
            score = scores[ref.name]
            print(
                f"{ref.name:12} {ref.kind:11} {ref.esp32_score:11.2f} {score:10.1f} "
                f"{score / ref.esp32_score:6.1f} {ref.factor:9.1f}"
            )
    speed = CALIBRATION_WASM_US / step_us
    print(f"calibration kernel: {step_us:.3f} us/step now, {CALIBRATION_WASM_US:.3f} when the factors were measured")
    print(f"host_speed (pass to esp32_ms): {speed:.2f}")
    print(f"{'chip':8} {'MHz':>4} {'factor':>6} {'kernel step on the chip (us)':>29}")
    for (mcu, mhz), value in FACTORS.items():
        print(f"{mcu:8} {mhz:4d} {value:6.1f} {esp32_ms(step_us / 1000, mcu, mhz, host_speed=speed) * 1000:29.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
