"""`anklet demo`: the main job, end to end on the virtual anklet, with nothing but this checkout.

1. The bundled walk (``data/demo_walk.json``: 2 minutes forward, 6 minutes backward at a slow treadmill pace, a
   stop, 2 minutes forward, then standing; ankle placement) is generated as a trace.
2. A virtual anklet starts: the board file's ESP32 with its chip model on I2C, the walk playing on that chip at the
   board's sample rate (faster than real time), its radio on a bumble link served over TCP.
3. The real `mpremote` deploys the firmware to it (`anklet deploy`), which resets the board into the application.
4. When the walk has played and the firmware has closed its minutes and session, the host reads the live counters
   over BLE (as the device saw them), syncs the log into a SQLite store (`anklet sync`), prints the report and writes
   the chart (`anklet report`), and runs `anklet analyze`'s detector on the same trace.

The last line printed is one JSON object with the three sets of counts (device, store, analyze), which must agree.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from anklet_host import packets
from anklet_host.analysis.detect import detect
from anklet_host.ble.client import AnkletLink, Cadence, Radio, find_anklet
from anklet_host.cli import main as anklet_main
from anklet_host.deploy import deploy, load_board
from anklet_host.errors import AnkletError
from anklet_host.sim.board import BoardSpec, SimBoard, SimConsole
from anklet_host.sim.board.ble_bridge import BleBridge
from anklet_host.sim.walkfeed import WalkResume, install_walk, walk_from_trace
from anklet_host.store.db import Store
from anklet_host.synth import WalkSpec, generate_walk
from anklet_host.trace import Trace, write_trace

BOARD = "esp32-devkitc-gy521"
# Times faster than real time the board's clock runs; the walk waits for the VM if it cannot keep up (about 35x is
# its limit on 2 cores).
SPEED = 20
# After the walk: the firmware closes a minute when the next one starts and a session after 5 minutes without a
# contact (anklet.activity); this much board time after the last sample covers both.
SETTLE_AFTER_WALK_MS = 310_000
WALK_TIMEOUT_S = 240.0


@dataclass(frozen=True)
class Counts:
    contacts: int
    backward: int
    toe_first: int

    def as_json(self) -> dict[str, int]:
        return {"contacts": self.contacts, "backward": self.backward, "toe_first": self.toe_first}


def demo_spec() -> WalkSpec:
    text = resources.files("anklet_host").joinpath("data/demo_walk.json").read_text(encoding="utf-8")
    return WalkSpec.from_json(text)


def reference_counts(trace: Trace) -> Counts:
    """What the walk's own labels say (the generator's truth)."""
    contacts = trace.reference_contacts()
    return Counts(
        contacts=len(contacts),
        backward=sum(c.direction == "backward" for c in contacts),
        toe_first=sum(c.strike == "toe" for c in contacts),
    )


def store_counts(db: Path) -> Counts:
    """Contacts in the synced minute records."""
    with Store(db, create=False) as store:
        [row] = store.query(
            "SELECT COALESCE(SUM(forward_heel + forward_toe + forward_flat), 0) AS forward,"
            " COALESCE(SUM(backward_heel + backward_toe + backward_flat), 0) AS backward,"
            " COALESCE(SUM(forward_toe + backward_toe), 0) AS toe FROM minutes"
        )
    return Counts(row["forward"] + row["backward"], row["backward"], row["toe"])


async def _read_live(via: str) -> packets.Live:
    async with Radio.open(via) as radio:
        device = await find_anklet(radio)
        async with AnkletLink.connect(radio, device) as link:
            got: asyncio.Queue[packets.Live] = asyncio.Queue()

            def on_cadence(_cadence: Cadence) -> None:
                return

            await link.live(got.put_nowait, on_cadence)
            return await asyncio.wait_for(got.get(), 15.0)


def device_counts(via: str) -> Counts:
    """Today's counters as the anklet itself reports them, over BLE."""
    live = asyncio.run(_read_live(via))
    return Counts(live.contacts, live.backward, live.toe_first)


class WalkWatcher:
    """Follows the board's walk events: how far the chip has played and when the walk ended (in board time)."""

    def __init__(self) -> None:
        self.elapsed_ms = 0
        self.finished_at_ms: int | None = None
        self.dropped = 0
        self.changed = threading.Event()

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("ev") != "walk":
            return
        self.elapsed_ms = int(event["elapsed_ms"])
        self.dropped = int(event["dropped"])
        if event["finished"] and self.finished_at_ms is None:
            self.finished_at_ms = self.elapsed_ms + int(event["lag_ms"])
        self.changed.set()

    def wait_settled(self, timeout_s: float, progress: Callable[[int], None]) -> None:
        deadline = time.monotonic() + timeout_s
        last_report_s = -1
        while time.monotonic() < deadline:
            if self.finished_at_ms is not None and self.elapsed_ms >= self.finished_at_ms + SETTLE_AFTER_WALK_MS:
                return
            self.changed.wait(0.5)
            self.changed.clear()
            if self.elapsed_ms // 60000 != last_report_s:
                last_report_s = self.elapsed_ms // 60000
                progress(self.elapsed_ms)
        raise AnkletError(f"the walk did not finish on the virtual anklet within {timeout_s:.0f} s")


def run_demo(
    out_dir: Path, echo: Callable[[str], None] = print, *, spec: WalkSpec | None = None, speed: int = SPEED
) -> dict[str, object]:
    """The whole main job (on ``spec``, the bundled walk by default); returns the summary (the demo's last line)."""
    started = time.monotonic()
    out_dir = out_dir.resolve()
    shutil.rmtree(out_dir, ignore_errors=True)
    try:
        out_dir.mkdir(parents=True)
    except OSError as exc:
        raise AnkletError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    spec = spec or demo_spec()
    minutes = sum(s.duration_s for s in spec.segments) / 60
    echo(f"1/5 generating the walk: {minutes:.1f} minutes, {spec.placement} placement")
    trace = generate_walk(spec)
    trace_path = out_dir / "demo_walk.csv"
    write_trace(trace_path, trace)

    board = load_board(BOARD)
    flash = out_dir / "flash"
    walk = walk_from_trace(trace, board.axes)
    install_walk(flash, walk)
    watcher = WalkWatcher()
    sim_board = SimBoard(flash, BoardSpec.from_board_file(board.to_dict()), speed=speed)
    WalkResume(sim_board, flash, walk)
    sim_board.on_event(watcher)
    db = out_dir / "anklet.sqlite3"
    chart = out_dir / "report.html"
    echo(f"2/5 starting the virtual anklet ({BOARD}, clock x{speed})")
    with SimConsole(sim_board, pty=True) as console, BleBridge(sim_board, port=0) as bridge:
        port = console.ports[0]
        echo(f"    console {port}, radio {bridge.via}")
        echo("3/5 deploying the firmware with mpremote")
        result = deploy(BOARD, port, build_dir=out_dir / "build", log=lambda line: echo("    " + line))
        echo(f"    {result.boot_line}")
        echo("4/5 the anklet is walking (the walk plays on its accelerometer)")
        watcher.wait_settled(WALK_TIMEOUT_S, lambda ms: echo(f"    board time {ms // 60000} min"))
        device = device_counts(bridge.via)
        echo("5/5 syncing over BLE into the store, then the report")
        if anklet_main(["sync", "--via", bridge.via, "--db", str(db)]) != 0:
            raise AnkletError("anklet sync failed")
    stored = store_counts(db)
    anklet_main(["report", "--db", str(db), "--chart", str(chart), "--force"])  # the last demo's chart goes
    detection = detect(trace, spec.placement)
    analyzed = Counts(detection.contacts, detection.backward, detection.toe_first)
    reference = reference_counts(trace)
    echo("")
    echo(f"{'':26s}{'contacts':>10s}{'backward':>10s}{'toe-first':>10s}")
    for name, counts in (
        ("walk labels", reference),
        ("device (over BLE)", device),
        ("store (after sync)", stored),
        ("anklet analyze", analyzed),
    ):
        echo(f"{name:26s}{counts.contacts:10d}{counts.backward:10d}{counts.toe_first:10d}")
    echo(f"chart: {chart}")
    return {
        "device": device.as_json(),
        "store": stored.as_json(),
        "analyze": analyzed.as_json(),
        "labels": reference.as_json(),
        "agree": device == stored == analyzed,
        "samples_dropped": watcher.dropped,
        "chart": str(chart),
        "wall_s": round(time.monotonic() - started, 1),
    }
