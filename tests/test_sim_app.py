"""The firmware's app tasks on the virtual anklet, watched from outside as a user would: the status LED's blink
patterns (idle, walking backward, low battery), the battery level it reports over BLE, the button's gestures (a
short press starts a session, a long press resets the day) and idle deep sleep with its wake-up."""

from __future__ import annotations

import ast
import asyncio
import itertools
import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from anklet.app.battery import cell_mv, percent_from_mv
from anklet.app.persist import PersistedState
from anklet_host.ble.client import AnkletLink, Radio, find_anklet
from anklet_host.boardfile import write_compact
from anklet_host.cli import main as cli_main
from anklet_host.deploy import load_board
from anklet_host.paths import FIRMWARE_DIR
from anklet_host.sim.board import BoardSpec, SimBoard
from anklet_host.sim.board.ble_bridge import BleBridge
from anklet_host.sim.board.supervisor import DEEPSLEEP_RESET, wait_until
from anklet_host.sim.walkfeed import WalkResume, install_walk, walk_from_trace
from anklet_host.synth import WalkSpec, generate_walk, parse_walk_shorthand
from tests.conftest import off_main_thread
from tests.sim_ble_helpers import BOOT_LINE

pytestmark = pytest.mark.micropython

HUZZAH = "huzzah32-lsm6dsox"  # LED on GPIO13 (active high), button on GPIO32 (to GND), battery on A13 (GPIO35, 2:1)
LED_PIN = 13
BUTTON_PIN = 32
BATTERY_PIN = 35
# The LED's patterns (anklet.app.led): on-times in ms of board time.
IDLE_ON_MS = 60  # also each of the low battery's three blinks
BACKWARD_ON_MS = 1500


@contextmanager
def huzzah(
    flash: Path, *, speed: int, battery_mv: int = 3900, walk: str | None = None, settings: dict[str, Any] | None = None
) -> Iterator[tuple[SimBoard, BleBridge, list[dict[str, Any]]]]:
    """The firmware (source) on a virtual HUZZAH32, optionally walking; yields the board, its radio, its events."""
    board = load_board(HUZZAH)
    shutil.copytree(FIRMWARE_DIR, flash, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    write_compact(board, flash / "board.json")
    if settings is not None:
        (flash / "settings.json").write_text(json.dumps(settings))
    sim = SimBoard(flash, BoardSpec.from_board_file(board.to_dict(), battery_mv=battery_mv), speed=speed)
    if walk is not None:
        trace = generate_walk(WalkSpec(segments=parse_walk_shorthand(walk), placement="ankle", seed=2))
        walk_file = walk_from_trace(trace, board.axes)
        install_walk(flash, walk_file)
        WalkResume(sim, flash, walk_file)
    events: list[dict[str, Any]] = []

    def keep(event: dict[str, Any]) -> None:
        event["boot"] = sim.boots
        events.append(event)

    sim.on_event(keep)
    with BleBridge(sim, port=0) as bridge:
        sim.start()
        try:
            sim.wait_for_output(BOOT_LINE, 20)
            yield sim, bridge, events
        finally:
            sim.stop()


def led_pulses(events: list[dict[str, Any]], since_ms: int = 0) -> list[tuple[int, int]]:
    """(on at ms, on for ms) of every LED pulse after ``since_ms`` of board time (the first boot's)."""
    pulses = []
    on_at = None
    for e in list(events):
        if e.get("ev") != "pin" or e["pin"] != LED_PIN or e["t_ms"] < since_ms:
            continue
        if e["level"] == 1:
            on_at = e["t_ms"]
        elif on_at is not None:
            pulses.append((on_at, e["t_ms"] - on_at))
            on_at = None
    return pulses


async def read_battery(via: str) -> int:
    async with Radio.open(via) as radio:
        device = await find_anklet(radio, timeout_s=3)
        async with AnkletLink.connect(radio, device) as link:
            return await link.battery_percent()


# At --speed 4 the VM's scheduling jitter (wall milliseconds, times the speed) stays within this, in board time.
JITTER_MS = 40


# A stock MicroPython 1.27 ESP32 at boot: 94,256 bytes of free system heap; NimBLE takes 30 KB of it (sim esp32).
STOCK_SYS_FREE_BYTES = 94_256
NIMBLE_BYTES = 30 * 1024


def test_the_boot_line_reports_the_free_python_and_system_heap(tmp_path: Path) -> None:
    with huzzah(tmp_path / "flash", speed=4) as (sim, _bridge, _events):
        boot_line = re.search(rb"^anklet [^\r\n]*", sim.transcript(), re.MULTILINE)
        assert boot_line is not None
        figures = re.search(rb" boot=1 py_heap_free=(\d+)B sys_heap_free=(\d+)B$", boot_line.group(0))
        assert figures is not None, boot_line.group(0)
        py_free, sys_free = int(figures.group(1)), int(figures.group(2))
        # The board's own account, read at its REPL with the app stopped (Bluetooth stays on).
        mark = sim.transcript_length()
        sim.write_console(b"\x03")
        sim.wait_for_output(b">>> ", 10, mark)
        mark = sim.transcript_length()
        sim.write_console(
            b"import esp32, micropython; print('sys', sum(r[1] for r in esp32.idf_heap_info(esp32.HEAP_DATA)))\r"
            b"micropython.mem_info()\r"
        )
        sim.wait_for_output(b"max new split", 10, mark)
        said = sim.transcript()[mark:].decode()
    reported = re.search(r"^sys (\d+)", said, re.MULTILINE)
    gc_info = re.search(r"GC: total: (\d+), used: \d+, free: \d+, max new split: (\d+)", said)
    assert reported is not None
    assert gc_info is not None
    assert sys_free == int(reported.group(1)) == STOCK_SYS_FREE_BYTES - NIMBLE_BYTES
    # gc.mem_free() counts what the heap may still add (on the ESP32 the largest free system block, on this port a
    # fixed 128 MiB): the figure lies between that and that plus the whole heap, which is partly in use.
    heap_total, max_new_split = int(gc_info.group(1)), int(gc_info.group(2))
    assert max_new_split < py_free < max_new_split + heap_total


# Used once at start-up; the board drops them (`anklet.compat.forget`) so the heap holds only what runs.
START_UP_MODULES = (
    "anklet.app.boot",
    "anklet.board",
    "anklet.drivers",
    "anklet.ble.adv",
    "anklet.ble.uuids",
    "anklet.mlp_weights.ankle_gyro",
)


def test_the_start_up_modules_leave_the_board_once_it_runs(tmp_path: Path) -> None:
    with huzzah(tmp_path / "flash", speed=4) as (sim, _bridge, _events):
        sim.wait_for_output(b"anklet 0.1.0 board=", 30)
        mark = sim.transcript_length()
        sim.write_console(b"\x03")
        sim.wait_for_output(b">>> ", 10, mark)
        mark = sim.transcript_length()
        sim.write_console(b"import sys; print('modules', sorted(k for k in sys.modules if k.startswith('anklet')))\r")
        sim.wait_for_output(b"modules [", 10, mark)
        sim.wait_for_output(b">>> ", 10, mark)
        said = sim.transcript()[mark:].decode()
    listed = re.search(r"^modules (\[.*\])", said, re.MULTILINE)
    assert listed is not None, said
    loaded = set(ast.literal_eval(listed.group(1)))
    assert loaded.isdisjoint(START_UP_MODULES), loaded & set(START_UP_MODULES)
    # What runs stays: the app, the detector and the chip's own driver (the HUZZAH32 board has an LSM6DSOX).
    assert {"anklet.app.main", "anklet.detector", "anklet.drivers.lsm6ds", "anklet.ble.peripheral"} <= loaded


def test_the_led_shows_idle_then_walking_backward_and_ble_reports_the_battery(tmp_path: Path) -> None:
    with huzzah(tmp_path / "flash", speed=4, battery_mv=3900, walk="stand:6s,backward:14s@0.3m/s,stand:2s") as (
        _sim,
        bridge,
        events,
    ):
        battery_pct = off_main_thread(asyncio.run, read_battery(bridge.via), timeout_s=30)
        assert battery_pct == percent_from_mv(cell_mv(3900 // 2, 200))
        assert 50 < battery_pct < 100
        assert wait_until(lambda: any(e.get("ev") == "walk" and e["finished"] for e in events), 30)
        on_ms = [length for _, length in led_pulses(events)]
        # Standing before the walk: one short blink every 2 s; walking backward: on for 1.5 s of every 2 s.
        assert sum(abs(length - IDLE_ON_MS) <= JITTER_MS for length in on_ms) >= 2, on_ms
        assert sum(abs(length - BACKWARD_ON_MS) <= JITTER_MS for length in on_ms) >= 4, on_ms
        assert bridge.errors == []


def test_a_low_battery_shows_on_the_led_and_over_ble(tmp_path: Path) -> None:
    with huzzah(tmp_path / "flash", speed=4, battery_mv=3300) as (_sim, bridge, events):
        assert off_main_thread(asyncio.run, read_battery(bridge.via), timeout_s=30) == percent_from_mv(3300) < 15
        assert wait_until(lambda: len(led_pulses(events)) >= 12, 30)
        pulses = led_pulses(events)[3:]  # from the first battery reading on
        # Short blinks only (the jitter of a VM busy with the radio can stretch one), in threes, 200 ms apart.
        assert sum(abs(length - IDLE_ON_MS) <= JITTER_MS for _, length in pulses) >= 0.8 * len(pulses), pulses
        assert all(length < 400 for _, length in pulses), pulses
        gaps = [b - a for (a, _), (b, _) in itertools.pairwise(pulses)]
        assert sum(abs(gap - 200) <= JITTER_MS for gap in gaps) >= 5, gaps
        assert bridge.errors == []


def saved_state(flash: Path) -> PersistedState:
    """The counters and session as the firmware last saved them (a gesture saves at once)."""
    state = PersistedState(str(flash / "state.bin"))
    assert state.load()
    return state


def hold_button(sim: SimBoard, hold_s: float) -> None:
    sim.set_pin(BUTTON_PIN, 0)  # pressed: the button pulls GPIO32 to ground
    time.sleep(hold_s)
    sim.set_pin(BUTTON_PIN, 1)


def test_a_short_press_starts_and_ends_a_session_and_a_long_press_resets_the_day(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    flash.mkdir()
    state = PersistedState(str(flash / "state.bin"))
    state.contacts, state.backward, state.toe_first, state.forward, state.active_s = 90, 60, 40, 30, 240
    state.maybe_save(0, force=True)
    # Sessions by the button only, so that the press alone decides; real time, so presses last what they say.
    with huzzah(flash, speed=1, settings={"auto_start": False}) as (sim, _bridge, _events):
        assert saved_state(flash).session_active == 0
        hold_button(sim, 0.3)
        assert wait_until(lambda: saved_state(flash).session_active == 1, 5)
        hold_button(sim, 0.3)
        assert wait_until(lambda: saved_state(flash).session_active == 0, 5)
        assert saved_state(flash).contacts == 90  # a short press leaves the day's counters alone
        hold_button(sim, 2.6)  # held past 2 s: today's counters go back to zero
        assert wait_until(lambda: saved_state(flash).contacts == 0, 5)
    saved = saved_state(flash)
    assert (saved.contacts, saved.backward, saved.toe_first, saved.active_s) == (0, 0, 0, 0)


def test_an_idle_anklet_deep_sleeps_with_motion_armed_and_wakes_with_its_counters(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    flash.mkdir()
    state = PersistedState(str(flash / "state.bin"))
    state.contacts, state.backward = 12, 7
    state.maybe_save(0, force=True)
    with huzzah(flash, speed=20, settings={"idle_sleep_s": 30}) as (sim, _bridge, events):
        # 30 s without walking (checked every 5 s of board time): the anklet saves, arms motion and sleeps.
        sim.wait_for_output(b"anklet: idle, sleeping until motion", 20)
        assert wait_until(lambda: any(e.get("ev") == "deepsleep" for e in events), 10)
        armed = [e for e in events if e.get("ev") == "wake_pins"]
        assert armed[-1]["ext0"] == [27, 1]  # the sensor's INT1 on GPIO27, active high
        # The app's 120 mg in the LSM6DSOX's 31.25 mg steps at ±2 g, rounded up: 4 steps, as the chip model holds it.
        assert armed[-1]["motion_mg"] == [125]
        time.sleep(0.5)
        assert sim.boots == 1  # asleep: nothing runs until the wake pin rises
        mark = sim.transcript_length()
        threading.Thread(target=sim.set_pin, args=(27, 1), daemon=True).start()  # the sensor felt motion
        sim.wait_for_output(BOOT_LINE, 20, start=mark)
        assert sim.boots == 2
        assert sim.reset_causes[-1] == DEEPSLEEP_RESET
    saved = PersistedState(str(flash / "state.bin"))
    assert saved.load()
    assert (saved.contacts, saved.backward) == (12, 7)


def test_a_walker_who_stops_long_enough_sleeps_the_anklet_and_walking_again_wakes_it(tmp_path: Path) -> None:
    """Forward, then standing past the idle time (30 s here): the anklet deep-sleeps with its sensor's motion interrupt
    armed; when the walker sets off backward the interrupt wakes it and it counts the backward walk too."""
    walk = "forward:10s,stand:50s,backward:16s@0.3m/s,stand:3s"
    flash = tmp_path / "flash"
    with huzzah(flash, speed=12, walk=walk, settings={"idle_sleep_s": 30}) as (sim, _bridge, events):
        assert wait_until(lambda: any(e.get("ev") == "walk" and e["finished"] for e in events), 40)
        assert sim.boots == 2
        assert sim.reset_causes[-1] == DEEPSLEEP_RESET
        walked = [e for e in events if e.get("ev") == "walk" and e["record"] >= 0]
        # Asleep from about 40 s of the walk; the next boot's sensor takes the walk up where the walker moves again.
        first_boot = [e["record"] for e in walked if e["boot"] == 1]
        second_boot = [e["record"] for e in walked if e["boot"] == 2]
        assert 38 * 100 <= first_boot[-1] <= 50 * 100
        assert 59 * 100 <= second_boot[0] <= 64 * 100
        # Idle again after the walk: it saves everything and sleeps once more (the walk is over: nothing wakes it).
        assert wait_until(lambda: sum(e.get("ev") == "deepsleep" for e in events) == 2, 20)
    trace = generate_walk(WalkSpec(segments=parse_walk_shorthand(walk), placement="ankle", seed=2))
    labels = trace.reference_contacts()
    backward = sum(c.direction == "backward" for c in labels)
    saved = saved_state(flash)
    assert backward - 2 <= saved.backward <= backward
    assert len(labels) - 3 <= saved.contacts <= len(labels)


def test_settings_over_ble_apply_and_survive_the_restart_a_new_leg_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flash = tmp_path / "flash"
    with huzzah(flash, speed=1) as (sim, bridge, _events):

        def anklet(*argv: str) -> list[str]:
            capsys.readouterr()
            assert off_main_thread(cli_main, [*argv, "--via", bridge.via], timeout_s=60) == 0
            return capsys.readouterr().out.splitlines()

        status = anklet("status")
        assert status[1] == f"battery  {percent_from_mv(cell_mv(3900 // 2, 200))}%"
        assert status[4] == "settings 104 Hz, right leg, goal 10 min/day, sessions start when walking starts"
        boot = int(status[2].split("(boot ")[1].split(",")[0])
        assert anklet("settings", "--goal-min", "20") == [
            "104 Hz, right leg, goal 20 min/day, sessions start when walking starts"
        ]
        # Saved to flash as the firmware's BLE task applies it (moments after the write was answered).
        settings_file = flash / "settings.json"
        assert wait_until(
            lambda: settings_file.exists() and json.loads(settings_file.read_text())["goal_min"] == 20, 10
        )
        mark = sim.transcript_length()
        assert anklet("settings", "--leg", "left") == [
            "104 Hz, left leg, goal 20 min/day, sessions start when walking starts"
        ]
        sim.wait_for_output(BOOT_LINE, 20, start=mark)  # a new leg: the anklet restarts to read its axes mirrored
        assert sim.boots == 2
        status = anklet("status")
        assert status[4] == "settings 104 Hz, left leg, goal 20 min/day, sessions start when walking starts"
        assert f"(boot {boot + 1}," in status[2]
        # 100 Hz is the setting the chip already runs at 104 Hz for: nothing changes, nothing restarts.
        assert anklet("settings", "--rate-hz", "100") == [
            "104 Hz, left leg, goal 20 min/day, sessions start when walking starts"
        ]
        assert sim.boots == 2
