"""Benchmark figures for the step detector: speed under MicroPython and CPython, heap allocated per sample, state
size, and how much faster than real time `anklet analyze` runs on a one-hour 100 Hz trace.

The walk fed to the detector is a deterministic stride-like signal (stance, swing, landing impact) built from
integers by `WALK_SOURCE`, the same code under both interpreters, so the figures compare like with like.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from anklet.detector import PLACEMENT_ANKLE, StepDetector
from anklet_host.analysis.detect import ACCEL_LSB_PER_G, STANDARD_GRAVITY_MS2, detect
from anklet_host.analysis.load import read_trace_fast
from anklet_host.trace import Trace, write_trace
from anklet_host.upy import MicroPython

BENCH_RATE_HZ = 100
HOUR_S = 3600

# Integer-only walk generator, run unchanged by CPython (exec) and MicroPython. One stride is 1.1 s: 0.6 s of
# stance (gravity and a little noise), a 0.5 s swing (forward then braking acceleration, a lift) and a landing
# impact. Counts are at 2048 LSB/g.
WALK_SOURCE = """
from array import array

def make_walk(rate_hz, strides):
    stride_n = rate_hz * 11 // 10
    stance_n = rate_hz * 6 // 10
    n = stride_n * strides
    ax = array("h", bytes(2 * n))
    ay = array("h", bytes(2 * n))
    az = array("h", bytes(2 * n))
    seed = 12345
    i = 0
    while i < n:
        k = i % stride_n
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        noise = (seed >> 16) % 41 - 20
        x = noise
        z = 2048 + noise
        y = noise // 2
        if k >= stance_n:
            s = k - stance_n
            swing_n = stride_n - stance_n
            # a triangle up then down: forward push, then braking
            half = swing_n // 2
            if s < half:
                x += 3000 * s // half
            else:
                x += 3000 - 6000 * (s - half) // half
            z += 1200 * s * (swing_n - s) // (swing_n * swing_n // 4) - 600
        elif k < rate_hz // 25:
            z += 6000 - 6000 * k // (rate_hz // 25)
            x -= 2000 - 2000 * k // (rate_hz // 25)
        ax[i] = x
        ay[i] = y
        az[i] = z
        i += 1
    return ax, ay, az
"""

UPY_BENCH = """
import gc, micropython, time
from anklet.detector import StepDetector, PLACEMENT_ANKLE
ax, ay, az = make_walk(RATE, STRIDES)
n = len(ax)
det = StepDetector(RATE, 2048, 0.0, PLACEMENT_ANKLE, (1, 2, 3))

def run(det, ax, ay, az, n):
    # det.feed(...) in place: a bound method stored in a variable would be a heap object.
    i = 0
    while i < n:
        det.feed(ax[i], ay[i], az[i])
        i += 1

run(det, ax, ay, az, n)  # warm up: the detector reaches its walking state
gc.collect()
a0 = gc.mem_alloc()
run(det, ax, ay, az, n)
a1 = gc.mem_alloc()
t0 = time.ticks_us()
run(det, ax, ay, az, n)
t1 = time.ticks_us()
micropython.heap_lock()
try:
    run(det, ax, ay, az, n)
    locked = "ok"
except MemoryError:
    locked = "MemoryError"
finally:
    micropython.heap_unlock()
print(n, time.ticks_diff(t1, t0), a1 - a0, locked, det.contacts, det.state_bytes())
"""


@dataclass
class BenchResult:
    upy_us_per_sample: float
    upy_alloc_bytes_per_sample: float
    upy_heap_lock: str
    cpython_us_per_sample: float
    state_bytes: int
    analyze_realtime_factor: float
    analyze_hour_s: float
    contacts_per_hour: int


def make_walk_counts(rate_hz: int, strides: int) -> tuple[list[int], list[int], list[int]]:
    namespace: dict[str, object] = {}
    exec(WALK_SOURCE, namespace)  # noqa: S102 - our own constant source, shared with MicroPython
    make = namespace["make_walk"]
    assert callable(make)
    ax, ay, az = make(rate_hz, strides)
    return list(ax), list(ay), list(az)


def bench_micropython(upy: MicroPython, strides: int = 300) -> tuple[float, float, str, int, int]:
    """us/sample, bytes/sample, heap-lock outcome, contacts, state bytes."""
    code = WALK_SOURCE + f"RATE = {BENCH_RATE_HZ}\nSTRIDES = {strides}\n" + UPY_BENCH
    n, us, alloc, locked, contacts, state = upy.run(code).split()
    return int(us) / int(n), int(alloc) / int(n), locked, int(contacts), int(state)


def bench_cpython(strides: int = 600) -> float:
    ax, ay, az = make_walk_counts(BENCH_RATE_HZ, strides)
    det = StepDetector(BENCH_RATE_HZ, 2048, 0.0, PLACEMENT_ANKLE, (1, 2, 3))
    feed = det.feed
    start = time.perf_counter()
    for x, y, z in zip(ax, ay, az, strict=True):
        feed(x, y, z)
    return (time.perf_counter() - start) * 1e6 / len(ax)


def hour_trace(rate_hz: int = BENCH_RATE_HZ) -> Trace:
    stride_n = rate_hz * 11 // 10
    ax, ay, az = make_walk_counts(rate_hz, HOUR_S * rate_hz // stride_n + 1)
    n = HOUR_S * rate_hz
    counts = np.column_stack([ax[:n], ay[:n], az[:n]]).astype(np.float64)
    accel = np.round(counts * STANDARD_GRAVITY_MS2 / ACCEL_LSB_PER_G, 4)
    return Trace(t_s=np.round(np.arange(n) / rate_hz, 4), accel_ms2=accel)


def bench_analyze(folder: Path) -> tuple[float, int]:
    """Seconds `anklet analyze --json` takes (reading the CSV included) on an hour at 100 Hz, and its contacts."""
    path = folder / "hour.csv"
    write_trace(path, hour_trace())
    start = time.perf_counter()
    detection = detect(read_trace_fast(path), "ankle")
    json.dumps(detection.as_json())
    return time.perf_counter() - start, detection.contacts


def run_bench(upy: MicroPython) -> BenchResult:
    upy_us, upy_alloc, locked, _, state = bench_micropython(upy)
    cpy_us = bench_cpython()
    with tempfile.TemporaryDirectory() as tmp:
        seconds, contacts = bench_analyze(Path(tmp))
    return BenchResult(
        upy_us_per_sample=round(upy_us, 2),
        upy_alloc_bytes_per_sample=round(upy_alloc, 3),
        upy_heap_lock=locked,
        cpython_us_per_sample=round(cpy_us, 3),
        state_bytes=state,
        analyze_realtime_factor=round(HOUR_S / seconds, 1),
        analyze_hour_s=round(seconds, 2),
        contacts_per_hour=contacts,
    )


def as_json(result: BenchResult) -> str:
    return json.dumps(asdict(result))
