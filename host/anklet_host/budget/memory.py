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
collection), its peak, the largest free block and the longest run of due tasks (what holds the sampler off its FIFO).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
    """The heap and the longest step of one phase of the run (bytes and wall milliseconds on this machine)."""

    name: str
    live_bytes: int
    peak_bytes: int
    largest_free_bytes: int
    step_worst_ms: float


@dataclass(frozen=True)
class MemoryRun:
    board: str
    phases: tuple[Phase, ...]
    sim_baseline_bytes: int
    heap_grew: bool
    records_synced: int
    samples_dropped: int

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
        """The longest step while the sensor's FIFO fills: the phases after boot. (The boot's own steps, Bluetooth
        registration among them, come before the firmware starts the sensor, as its last act of booting.)"""
        return max(p.step_worst_ms for p in self.phases[1:])


class _BudgetEvents:
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


def _phase(name: str, reply: dict[str, Any]) -> Phase:
    return Phase(
        name=name,
        live_bytes=int(reply["live_bytes"]),
        peak_bytes=int(reply["phase_peak_bytes"]),
        largest_free_bytes=int(reply["largest_free_bytes"]),
        step_worst_ms=float(reply["phase_step_worst_ms"]),
    )


def fill_log(flash: Path, records: int) -> None:
    """A full flash log, written by the firmware's own FlashLog (as a day of use leaves it)."""
    log = FlashLog(str(flash / "log"))
    body = bytearray(packets.RECORD_SIZE)
    for i in range(records):
        packets.pack_minute_into(body, 0, 1, 1, 29_000_000 + i, i % 40, 1, 0, 0, i % 20, 0, 96, 50)
        log.append(body)
    log.close()


async def _client_phases(via: str, board: SimBoard, events: _BudgetEvents, db: Path) -> tuple[list[Phase], int]:
    phases: list[Phase] = []
    async with Radio.open(via) as radio:
        device = await find_anklet(radio)
        async with AnkletLink.connect(radio, device) as link:

            def ignore(_value: packets.Live | Cadence) -> None:
                return

            await link.live(ignore, ignore)
            phases.append(_phase("connected", await asyncio.to_thread(events.mark, board, "connected")))
            async with link.raw_stream():
                await asyncio.to_thread(events.wait_walk, PHASE_TIMEOUT_S)
                phases.append(_phase("walk, live and raw streams", await asyncio.to_thread(events.mark, board, "walk")))
            with Store(db) as store:
                result = await sync_once(BleSyncTransport(link), store, "budget", timeout_s=30.0)
            phases.append(_phase("sync of a full log", await asyncio.to_thread(events.mark, board, "sync")))
    return phases, result.stored


def measure(board_name: str, work_dir: Path | None = None) -> MemoryRun:
    """Run the firmware for ``board_name`` through boot, a streamed walk and a full sync; its memory per phase."""
    board = load_board(board_name)
    with tempfile.TemporaryDirectory(prefix="anklet-budget-", dir=work_dir) as tmp:
        flash = Path(tmp) / "flash"
        stage(board, Device("webassembly", "budget"), flash)
        shutil.rmtree(flash / "__pycache__", ignore_errors=True)
        fill_log(flash, FULL_LOG_RECORDS)
        placement = "shoe" if board.placement.startswith("shoe") else "ankle"
        trace = generate_walk(WalkSpec(segments=parse_walk_shorthand(WALK), placement=placement, seed=3))
        install_walk(flash, walk_from_trace(trace, board.axes))
        events = _BudgetEvents()
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
                boot = _phase("boot, services registered", events.mark(sim, "boot"))
                # In a thread of its own: an asyncio.run here would replace the caller's event loop (a test's, say).
                with ThreadPoolExecutor(1) as pool:
                    db = Path(tmp) / "store.sqlite3"
                    client = pool.submit(asyncio.run, _client_phases(bridge.via, sim, events, db))
                    phases, stored = client.result(timeout=2 * PHASE_TIMEOUT_S)
                last = events.replies[-1]
        finally:
            sim.stop()
    return MemoryRun(
        board=board_name,
        phases=(boot, *phases),
        sim_baseline_bytes=int(last["sim_baseline_bytes"]),
        heap_grew=int(last["heap_total_max_bytes"]) > int(last["heap_initial_bytes"]),
        records_synced=stored,
        samples_dropped=events.dropped,
    )
