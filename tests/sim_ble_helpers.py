"""Helpers for the virtual anklet's radio tests: the real firmware on a simulated board with its radio served over TCP.

`virtual_anklet` copies the firmware into the flash folder (source: the quickest way onto a simulated board; deploy
has its own tests), then, through the real mpremote at the board's REPL, has the firmware's own modules write what a
day of use would have left in flash (minute records in the flash log, today's counters), installs main.py and resets
the board: the anklet then boots as it would after a day on the ankle, its radio reachable by bleak.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from anklet_host.paths import BOARDS_DIR, FIRMWARE_DIR
from anklet_host.sim.board import BoardSpec, SimBoard, SimConsole
from anklet_host.sim.board.ble_bridge import BleBridge
from tests.ble_helpers import T0_MIN
from tests.sim_console_helpers import mpremote

BOARD = "esp32-devkitc-gy521"
BOOT_LINE = b"anklet 0.1.0 board="

# Minute record i is tests.ble_helpers.minute_record(i), packed on the device by the firmware's own code.
_WRITE_RECORDS = """
from anklet import packets
from anklet.flashlog import FlashLog
log = FlashLog('/log')
buf = bytearray(packets.RECORD_SIZE)
for i in range(%d):
    packets.pack_minute_into(buf, 0, 1, 7, %d + i, i %% 50, 1, 2, i %% 30, i %% 20, 3, 90 + i %% 40, i %% 61)
    log.append(buf)
log.close()
print('log', log.oldest_seq(), log.newest_seq())
"""

_WRITE_COUNTERS = """
from anklet.app.persist import PersistedState
st = PersistedState('/state.bin')
st.contacts = %d
st.backward = %d
st.toe_first = %d
st.forward = st.contacts - st.backward
st.active_s = %d
st.maybe_save(0, force=True)
print('state', st.contacts, st.backward)
"""


@dataclass(frozen=True)
class Counters:
    contacts: int
    backward: int
    toe_first: int
    active_s: int


@dataclass
class VirtualAnklet:
    board: SimBoard
    console: SimConsole
    bridge: BleBridge

    @property
    def via(self) -> str:
        return self.bridge.via

    @property
    def port(self) -> str:
        assert self.console.pty_path is not None
        return self.console.pty_path


def ble_address(flash: Path) -> str:
    """The Bluetooth address the board must have: its ESP32 base MAC (from the supervisor's unique id) + 2."""
    digest = hashlib.sha256(str(flash.resolve()).encode()).digest()
    mac = [0x24, 0x0A, 0xC4, digest[0], digest[1], (digest[2] + 2) & 0xFF]
    return ":".join(f"{b:02X}" for b in mac)


def install_firmware(flash: Path, board_name: str = BOARD) -> BoardSpec:
    """The firmware package and the board file in the flash folder, main.py not yet (the board boots to its REPL)."""
    flash.mkdir(parents=True, exist_ok=True)
    shutil.copytree(FIRMWARE_DIR / "anklet", flash / "anklet", ignore=shutil.ignore_patterns("__pycache__"))
    board_file = BOARDS_DIR / f"{board_name}.json"
    shutil.copyfile(board_file, flash / "board.json")
    return BoardSpec.from_board_file(json.loads(board_file.read_text()))


@contextmanager
def virtual_anklet(flash: Path, *, records: int = 0, counters: Counters | None = None) -> Iterator[VirtualAnklet]:
    """The real firmware running on a simulated board whose radio is served on a free TCP port."""
    spec = install_firmware(flash)
    board = SimBoard(flash, spec)
    with SimConsole(board) as console, BleBridge(board, port=0) as bridge:
        board.wait_for_output(b">>> ", 15)
        anklet = VirtualAnklet(board, console, bridge)
        if records:
            out = mpremote(anklet.port, "exec", _WRITE_RECORDS % (records, T0_MIN))
            assert out.split() == ["log", "1", str(records)], out
        if counters is not None:
            c = counters
            out = mpremote(anklet.port, "exec", _WRITE_COUNTERS % (c.contacts, c.backward, c.toe_first, c.active_s))
            assert out.split() == ["state", str(c.contacts), str(c.backward)], out
        mark = board.transcript_length()
        mpremote(anklet.port, "fs", "cp", str(FIRMWARE_DIR / "main.py"), ":main.py", "+", "reset")
        board.wait_for_output(BOOT_LINE, 20, start=mark)
        yield anklet
