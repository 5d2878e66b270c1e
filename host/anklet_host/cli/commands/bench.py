"""`anklet bench` (`make bench`): step-detector speed, allocation and state size; the last line is one JSON object."""

from __future__ import annotations

import argparse

from anklet_host.analysis.bench import as_json, run_bench
from anklet_host.upy import MicroPython

NAME = "bench"
HELP = "detector speed (MicroPython and CPython), heap allocation per sample, state size, analyze speed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> int:
    del args
    with MicroPython() as upy:
        result = run_bench(upy)
    print(
        f"MicroPython (WebAssembly): {result.upy_us_per_sample} us/sample, "
        f"{result.upy_alloc_bytes_per_sample} heap bytes/sample, heap_lock: {result.upy_heap_lock}"
    )
    print(f"CPython: {result.cpython_us_per_sample} us/sample")
    print(f"detector state: {result.state_bytes} bytes")
    print(
        f"anklet analyze, one hour at 100 Hz: {result.analyze_hour_s} s, "
        f"{result.analyze_realtime_factor}x faster than real time ({result.contacts_per_hour} contacts)"
    )
    print(as_json(result))
    return 0
