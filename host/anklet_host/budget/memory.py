"""The firmware's memory on one board, measured the way an ESP32 has it (`make budget`).

The firmware runs exactly as `anklet deploy` stages it for the virtual anklet (the same bytecode ``.mpy`` files and
board file) on the WebAssembly port, whose 32-bit words give objects their ESP32 sizes. That port collects garbage
only when JavaScript calls into it, so the virtual anklet runs in budget mode (``SimBoard(budget=True)``, see
``board.mjs``): the firmware's asyncio loop is stepped from JavaScript, a collection follows every step, and the heap
is read after it. What the simulated hardware modules hold at boot (they are C on a board) is measured before
``main.py`` starts and left out; what they allocate later for the firmware (the chip model's FIFO, the BLE stack's
attribute values) is counted, so the figures err on the high side.

The run: boot with a full flash log, a BLE client connects and streams the live counters and the raw accelerometer
stream while a walk plays on the sensor, then syncs the whole log. Each phase reports the live heap (after a
collection), its peak, the largest free block, the longest run of due tasks and each task's longest step (the
firmware's CPU time less the simulated hardware's and less the sampler's drains, see ``board.mjs``).

What can hold the sampler off its FIFO once the sensor runs (`MemoryRun.hold_off_ms`): woken by its watermark
interrupt, the sampler's task waits behind every task already due, each for one step at most (MicroPython's task
queue is ordered by the time a task became due), so the bound is the sum of every task's longest step after boot, the
sampler's own work beside its drains among them (its raw stream, the contacts it hands on, a minute record it
writes), and the scheduler's own look at its queue.

A task's longest step is a maximum over up to thousands of steps of a few tenths of a millisecond, and the host
stalls now and then for longer than that: a Node loop timing 13 us of work on this machine read more than 1 ms about
three times per second of CPU (up to 7 ms on both clocks, no garbage collection in it). A task that runs often would
carry such a stall as its longest step in every run. So a task's figure is the step that only `TASK_TOP_SHARE` of
its steps exceed (99.5% of them take no longer; for a task with at most 200 steps after boot, its longest), and with
``vm_runs`` runs the lower of the runs' figures (as `anklet_host.budget.stall` takes the lower of two VMs per burst).
What this can leave out is a long step a task takes fewer times than its figure's rank, once in 200 of its steps or
less: the long steps seen here recur (a records packet read from flash every 2 ms of a sync, a raw packet every few
drains); `make budget` prints each task's longest step beside its figure.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from anklet import VERSION
from anklet.flashlog import FlashLog
from anklet_host import packets
from anklet_host.ble.client import AnkletLink, BleSyncTransport, Cadence, Radio, find_anklet
from anklet_host.deploy import Device, load_board, stage
from anklet_host.errors import AnkletError
from anklet_host.sim.board import BoardSpec, SimBoard
from anklet_host.sim.board.ble_bridge import BleBridge
from anklet_host.sim.walkfeed import install_walk, walk_from_trace
from anklet_host.store.db import Store
from anklet_host.store.sync import sync_once
from anklet_host.synth import WalkSpec, generate_walk
from anklet_host.synth.spec import parse_walk_shorthand

TASK_TOP_SHARE = 0.005  # a task's figure is the step only this share of its steps exceed (see the module doc)
# A stock MicroPython 1.27 ESP32 (no PSRAM) boots with about 112 KB of Python heap (micropython#18859): the budget
# VM's first heap area has that much beside what the simulated hardware takes, so a firmware that needs more makes
# the heap grow (reported) instead of running on regardless.
ESP32_HEAP_BYTES = 112 * 1024
SIM_ALLOWANCE_BYTES = 96 * 1024
FULL_LOG_RECORDS = 10_900  # the 256 KiB flash log's capacity in minute records (24-byte frames)
SPEED = 4
WALK = "forward:40s@1.1m/s,backward:40s@0.3m/s,stand:5s"
BOOT_TIMEOUT_S = 60.0
PHASE_TIMEOUT_S = 240.0


@dataclass(frozen=True)
class Phase:
    """The heap and the longest steps of one phase of the run (bytes; CPU milliseconds on this machine)."""

    name: str
    live_bytes: int
    peak_bytes: int
    largest_free_bytes: int
    step_worst_ms: float  # the longest run of due tasks, the sampler's drains left out
    task_steps: dict[str, int]  # steps per task (tasks by coroutine name: "run", "run 2", ...)
    task_top_ms: dict[str, tuple[float, ...]]  # each task's longest steps, longest first

    @property
    def task_worst_ms(self) -> dict[str, float]:
        """Each task's longest step in this phase."""
        return {task: top[0] for task, top in self.task_top_ms.items() if top}


@dataclass(frozen=True)
class MemoryRun:
    board: str
    phases: tuple[Phase, ...]
    sim_baseline_bytes: int
    heap_grew: bool
    records_synced: int
    samples_dropped: int
    # Each task's figure once the sensor runs (`task_figure_ms`), the lower of the VMs' when there were several.
    hold_off_tasks_ms: dict[str, float]
    # Each task's longest step once the sensor runs (of the first VM), for comparison.
    longest_tasks_ms: dict[str, float]

    @property
    def heap_after_boot_bytes(self) -> int:
        return self.phases[0].live_bytes

    @property
    def heap_peak_bytes(self) -> int:
        return max(p.peak_bytes for p in self.phases)

    @property
    def largest_free_block_bytes(self) -> int:
        return min(p.largest_free_bytes for p in self.phases)

    @property
    def step_worst_ms(self) -> float:
        return max(p.step_worst_ms for p in self.phases)

    @property
    def streaming_step_worst_ms(self) -> float:
        """The longest run of due tasks while the sensor's FIFO fills: the phases after boot. (The boot's own steps,
        Bluetooth registration among them, come before the firmware starts the sensor, as its last act of booting.)"""
        return max(p.step_worst_ms for p in self.phases[1:])

    @property
    def hold_off_ms(self) -> float:
        """The longest the sampler can wait for the CPU after its watermark interrupt: every task's longest step,
        added up (see the module doc)."""
        return sum(self.hold_off_tasks_ms.values())


def task_figure_ms(steps: int, top_ms: list[float]) -> float:
    """A task's step that only `TASK_TOP_SHARE` of its ``steps`` exceed, from its longest ones (``top_ms``)."""
    if not top_ms:
        return 0.0
    rank = max(1, math.ceil(steps * TASK_TOP_SHARE))
    return sorted(top_ms, reverse=True)[min(rank, len(top_ms)) - 1]


def streaming_tasks(phases: tuple[Phase, ...]) -> tuple[dict[str, float], dict[str, float]]:
    """Each task's figure and its longest step in the phases after boot (while the sensor's FIFO fills)."""
    steps: dict[str, int] = {}
    tops: dict[str, list[float]] = {}
    for phase in phases[1:]:
        for task, top in phase.task_top_ms.items():
            steps[task] = steps.get(task, 0) + phase.task_steps.get(task, 0)
            tops.setdefault(task, []).extend(top)
    figures = {task: task_figure_ms(steps[task], top) for task, top in tops.items() if top}
    longest = {task: max(top) for task, top in tops.items() if top}
    return figures, longest


class BudgetEvents:
    """Collects the board's {"ev": "budget"} replies and its walk progress."""

    def __init__(self) -> None:
        self.replies: list[dict[str, Any]] = []
        self.walk_finished = False
        self.dropped = 0
        self.changed = threading.Condition()

    def __call__(self, event: dict[str, Any]) -> None:
        with self.changed:
            if event.get("ev") == "budget":
                self.replies.append(event)
            elif event.get("ev") == "walk":
                self.dropped = int(event.get("dropped", 0))
                self.walk_finished = self.walk_finished or bool(event.get("finished"))
            self.changed.notify_all()

    def mark(self, board: SimBoard, name: str, timeout_s: float = 10.0) -> dict[str, Any]:
        with self.changed:
            count = len(self.replies)
            board.send_event({"op": "budget", "mark": name})
            if not self.changed.wait_for(lambda: len(self.replies) > count, timeout_s):
                raise AnkletError(f"the virtual anklet did not report its heap ({name})")
            return self.replies[-1]

    def wait_walk(self, timeout_s: float) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.walk_finished, timeout_s):
                raise AnkletError(f"the walk did not finish on the virtual anklet within {timeout_s:.0f} s")


def _task_names(names: list[str]) -> list[str]:
    """Unique names for the tasks board.mjs numbers: a second task of a name gets " 2" (the LED's and BLE's "run")."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    return unique


def phase_from_reply(name: str, reply: dict[str, Any]) -> Phase:
    tasks = _task_names([str(n) for n in reply["task_names"]])
    return Phase(
        name=name,
        live_bytes=int(reply["live_bytes"]),
        peak_bytes=int(reply["phase_peak_bytes"]),
        largest_free_bytes=int(reply["largest_free_bytes"]),
        step_worst_ms=float(reply["phase_step_worst_ms"]),
        task_steps={task: int(n) for task, n in zip(tasks, reply["phase_task_steps"], strict=True)},
        task_top_ms={
            task: tuple(float(ms) for ms in top) for task, top in zip(tasks, reply["phase_task_top_ms"], strict=True)
        },
    )


def fill_log(flash: Path, records: int) -> None:
    """A full flash log, written by the firmware's own FlashLog (as a day of use leaves it)."""
    log = FlashLog(str(flash / "log"))
    body = bytearray(packets.RECORD_SIZE)
    for i in range(records):
        packets.pack_minute_into(body, 0, 1, 1, 29_000_000 + i, i % 40, 1, 0, 0, i % 20, 0, 96, 50)
        log.append(body)
    log.close()


async def _client_phases(via: str, board: SimBoard, events: BudgetEvents, db: Path) -> tuple[list[Phase], int]:
    phases: list[Phase] = []
    async with Radio.open(via) as radio:
        device = await find_anklet(radio)
        async with AnkletLink.connect(radio, device) as link:

            def ignore(_value: packets.Live | Cadence) -> None:
                return

            await link.live(ignore, ignore)
            phases.append(phase_from_reply("connected", await asyncio.to_thread(events.mark, board, "connected")))
            async with link.raw_stream():
                await asyncio.to_thread(events.wait_walk, PHASE_TIMEOUT_S)
                phases.append(
                    phase_from_reply("walk, live and raw streams", await asyncio.to_thread(events.mark, board, "walk"))
                )
            with Store(db) as store:
                result = await sync_once(BleSyncTransport(link), store, "budget", timeout_s=30.0)
            phases.append(phase_from_reply("sync of a full log", await asyncio.to_thread(events.mark, board, "sync")))
    return phases, result.stored


def measure(board_name: str, work_dir: Path | None = None, vm_runs: int = 1) -> MemoryRun:
    """Run the firmware for ``board_name`` through boot, a streamed walk and a full sync; its memory per phase (of the
    first run) and each task's longest step (the lower of ``vm_runs`` runs' maxima, see the module doc)."""
    first = _measure_once(board_name, work_dir)
    tasks = dict(first.hold_off_tasks_ms)
    for _ in range(vm_runs - 1):
        tasks = lower_of(tasks, _measure_once(board_name, work_dir).hold_off_tasks_ms)
    return replace(first, hold_off_tasks_ms=tasks)


def lower_of(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    """Each task's lower figure of two runs. Tasks of one name ("run", "run 2": their numbering follows the order
    they first ran in, which two runs need not share) are paired longest with longest, so that a short task's figure
    never stands for a long one's; a task only one run saw keeps its figure."""
    groups_a = _by_name(a)
    groups_b = _by_name(b)
    lower: dict[str, float] = {}
    for name, values in groups_a.items():
        others = groups_b.get(name, [])
        for i, ms in enumerate(values):
            lower[name if i == 0 else f"{name} {i + 1}"] = min(ms, others[i]) if i < len(others) else ms
    return lower


def _by_name(tasks: dict[str, float]) -> dict[str, list[float]]:
    groups: dict[str, list[float]] = {}
    for task, ms in tasks.items():
        base = task.rsplit(" ", 1)[0] if task.rsplit(" ", 1)[-1].isdigit() else task
        groups.setdefault(base, []).append(ms)
    return {name: sorted(values, reverse=True) for name, values in groups.items()}


def _measure_once(board_name: str, work_dir: Path | None) -> MemoryRun:
    board = load_board(board_name)
    with tempfile.TemporaryDirectory(prefix="anklet-budget-", dir=work_dir) as tmp:
        flash = Path(tmp) / "flash"
        stage(board, Device("webassembly", "budget"), flash)
        shutil.rmtree(flash / "__pycache__", ignore_errors=True)
        fill_log(flash, FULL_LOG_RECORDS)
        placement = "shoe" if board.placement.startswith("shoe") else "ankle"
        trace = generate_walk(WalkSpec(segments=parse_walk_shorthand(WALK), placement=placement, seed=3))
        install_walk(flash, walk_from_trace(trace, board.axes))
        events = BudgetEvents()
        sim = SimBoard(
            flash,
            BoardSpec.from_board_file(board.to_dict()),
            speed=SPEED,
            heap_bytes=ESP32_HEAP_BYTES + SIM_ALLOWANCE_BYTES,
            budget=True,
        )
        sim.on_event(events)
        sim.start()
        try:
            with BleBridge(sim, port=0) as bridge:
                sim.wait_for_output(f"anklet {VERSION} board=".encode(), BOOT_TIMEOUT_S)
                time.sleep(1.0)  # Bluetooth on and advertising
                boot = phase_from_reply("boot, services registered", events.mark(sim, "boot"))
                # In a thread of its own: an asyncio.run here would replace the caller's event loop (a test's, say).
                with ThreadPoolExecutor(1) as pool:
                    db = Path(tmp) / "store.sqlite3"
                    client = pool.submit(asyncio.run, _client_phases(bridge.via, sim, events, db))
                    phases, stored = client.result(timeout=2 * PHASE_TIMEOUT_S)
                last = events.replies[-1]
        finally:
            sim.stop()
    all_phases = (boot, *phases)
    figures, longest = streaming_tasks(all_phases)
    return MemoryRun(
        board=board_name,
        phases=all_phases,
        sim_baseline_bytes=int(last["sim_baseline_bytes"]),
        heap_grew=int(last["heap_total_max_bytes"]) > int(last["heap_initial_bytes"]),
        records_synced=stored,
        samples_dropped=events.dropped,
        hold_off_tasks_ms=figures,
        longest_tasks_ms=longest,
    )
