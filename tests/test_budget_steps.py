"""`make budget`'s hold-off measure on the virtual anklet in budget mode (board.mjs, `_simasyncio`): each task's
steps are timed apart, the sampler's drains are left out (the budget adds them itself, timed at every rate) while the
raw stream they feed stays in, and a slow task shows up as slow. A program of its own runs on the board: tasks that
keep the CPU busy for known times, one of them draining a real `anklet.app.sampler.Sampler`."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from anklet_host.budget.memory import (
    ESP32_HEAP_BYTES,
    SIM_ALLOWANCE_BYTES,
    BudgetEvents,
    phase_from_reply,
    streaming_tasks,
)
from anklet_host.deploy import load_board
from anklet_host.paths import FIRMWARE_DIR
from anklet_host.sim.board import BoardSpec, SimBoard

pytestmark = [pytest.mark.micropython, pytest.mark.slow]

# What each busy stretch below takes, on the board's clock: well above the host's own hiccups (a few ms at worst).
BUSY_MS = 20

_MAIN = """
import asyncio
from array import array
from time import ticks_diff, ticks_ms

from anklet.app.sampler import Sampler
from anklet.detector import StepDetector

BUSY_MS = {busy_ms}


def busy(ms):
    t0 = ticks_ms()
    while ticks_diff(ticks_ms(), t0) < ms:
        pass


class SlowFifo:
    # Stands in for a driver whose read takes BUSY_MS: a drain's cost, which the budget leaves out.
    has_gyro = False
    stride = 3

    def __init__(self):
        self.samples = array("h", bytes(6 * 8))
        self.full = False

    def read_fifo(self):
        if not self.full:
            return 0
        self.full = False
        busy(BUSY_MS)
        return 8


class SlowRaw:
    # The raw stream a drain feeds: half of BUSY_MS a burst (at its first sample), which the budget keeps in.
    raw_enabled = True

    def __init__(self):
        self.calls = 0

    def add_raw(self, x, y, z, scale_ug):
        if self.calls % 8 == 0:
            busy(BUSY_MS // 2)
        self.calls += 1


async def sampler():
    fifo = SlowFifo()
    s = Sampler(fifo, StepDetector(rate_hz=100, accel_lsb_per_g=1000))
    s.stream_raw(SlowRaw(), (1, 2, 3), 1000)
    while True:
        fifo.full = True
        while s.drain():
            pass
        await asyncio.sleep_ms(40)


async def slow():
    while True:
        busy(BUSY_MS)
        await asyncio.sleep_ms(50)


async def quick():
    while True:
        await asyncio.sleep_ms(10)


async def main():
    await asyncio.gather(sampler(), slow(), quick())


asyncio.run(main())
"""


def test_each_task_is_timed_apart_the_drain_left_out_and_a_slow_task_shows(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    shutil.copytree(FIRMWARE_DIR, flash, ignore=shutil.ignore_patterns("__pycache__"))
    (flash / "main.py").write_text(_MAIN.replace("{busy_ms}", str(BUSY_MS)))  # this program, not the anklet's
    board = load_board("esp32-devkitc-gy521")
    sim = SimBoard(
        flash,
        BoardSpec.from_board_file(board.to_dict()),
        speed=1,
        heap_bytes=ESP32_HEAP_BYTES + SIM_ALLOWANCE_BYTES,
        budget=True,
    )
    events = BudgetEvents()
    sim.on_event(events)
    sim.start()
    try:
        time.sleep(2.0)
        start = phase_from_reply("start", events.mark(sim, "start"))
        time.sleep(4.0)
        reply = events.mark(sim, "busy")
        busy = phase_from_reply("busy", reply)
    finally:
        transcript = sim.transcript().decode(errors="replace")
        sim.stop()
    assert "Traceback" not in transcript, transcript[-2000:]
    figures, longest = streaming_tasks((start, busy))
    drain_ms = float(reply["phase_drain_worst_ms"])
    seen = f"figures {figures}, longest {longest}, drain {drain_ms} ms"
    # The drain itself (the fifo's read, BUSY_MS) is timed, and apart from every task.
    assert 0.8 * BUSY_MS < drain_ms < 3 * BUSY_MS, seen
    # The slow task shows its BUSY_MS: a measure that cannot miss a long step.
    assert figures["slow"] > 0.8 * BUSY_MS, seen
    # The sampler's task keeps the raw stream its drain fed (half of BUSY_MS), not the drain's own BUSY_MS.
    assert 0.3 * BUSY_MS < figures["sampler"] < 0.9 * BUSY_MS, seen
    # A task that only sleeps is next to nothing, and so is the scheduler's look at its queue.
    assert figures["quick"] < 0.25 * BUSY_MS, seen
    assert figures["scheduler"] < 0.25 * BUSY_MS, seen
    assert longest["slow"] >= figures["slow"]
