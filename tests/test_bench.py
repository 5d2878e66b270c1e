"""`anklet bench` pieces: MicroPython speed and allocation on the benchmark walk, the one-hour trace, the JSON line."""

from __future__ import annotations

import json

import pytest

from anklet_host.analysis.bench import BenchResult, as_json, bench_micropython, hour_trace, make_walk_counts
from anklet_host.upy import MicroPython


@pytest.mark.micropython
def test_micropython_bench_allocates_nothing_per_sample(upy: MicroPython) -> None:
    us, alloc, locked, contacts, state = bench_micropython(upy, strides=40)
    assert locked == "ok"
    assert alloc == 0.0
    assert us > 0
    assert contacts >= 3 * 40 - 2  # three passes over a 40-stride walk (warm-up, measure, heap-locked)
    assert 1000 < state < 16384


def test_the_benchmark_walk_is_the_same_under_both_interpreters(upy: MicroPython) -> None:
    from anklet_host.analysis.bench import WALK_SOURCE

    ax, ay, az = make_walk_counts(100, 3)
    out = upy.run(WALK_SOURCE + "ax, ay, az = make_walk(100, 3)\nprint(list(ax), list(ay), list(az))")
    assert out.strip() == f"{ax} {ay} {az}"


def test_hour_trace_is_an_hour_at_100_hz() -> None:
    trace = hour_trace()
    assert len(trace) == 360_000
    assert trace.rate_hz() == pytest.approx(100.0)


def test_json_line_has_the_required_keys() -> None:
    line = as_json(BenchResult(30.0, 0.0, "ok", 2.0, 2600, 2500.0, 1.4, 3270))
    keys = json.loads(line)
    for key in ("upy_alloc_bytes_per_sample", "upy_us_per_sample", "cpython_us_per_sample", "analyze_realtime_factor"):
        assert key in keys
