"""Helpers for the virtual anklet's radio tests: the real firmware on a simulated board with its radio served over TCP.

`virtual_anklet` copies the firmware into the flash folder (source: the quickest way onto a simulated board; deploy
has its own tests), then, through the real mpremote at the board's REPL, has the firmware's own modules write what a
day of use would have left in flash (minute records in the flash log, today's counters), installs main.py and resets
the board: the anklet then boots as it would after a day on the ankle, its radio reachable by bleak.

For the fault tests: `sync_stage` names the stage of a sync a packet over the air is, `StageCutter` (a
`BleBridge.watch_air` watcher) lists the stages and drops a link at each, and `device_log`/`device_records` read the
anklet's flash log through the firmware's own `FlashLog`, without disturbing the running board.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from anklet.ble import uuids
from anklet.flashlog import FlashLog
from anklet_host import packets
from anklet_host.boardfile import write_compact
from anklet_host.deploy import load_board
from anklet_host.paths import FIRMWARE_DIR
from anklet_host.sim.board import BoardSpec, SimBoard, SimConsole
from anklet_host.sim.board.ble_bridge import AirEvent, BleBridge
from anklet_host.sim.walkfeed import WalkFile, install_walk
from anklet_host.store.db import Store
from tests.ble_helpers import T0_MIN, minute_record
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
    """The firmware package and the board file (checked, compact, as `anklet deploy` writes it) in the flash folder,
    main.py not yet (the board boots to its REPL)."""
    flash.mkdir(parents=True, exist_ok=True)
    shutil.copytree(FIRMWARE_DIR / "anklet", flash / "anklet", ignore=shutil.ignore_patterns("__pycache__"))
    board = load_board(board_name)
    write_compact(board, flash / "board.json")
    return BoardSpec.from_board_file(board.to_dict())


@contextmanager
def virtual_anklet(
    flash: Path,
    *,
    records: int = 0,
    counters: Counters | None = None,
    speed: int = 1,
    walk: WalkFile | None = None,
) -> Iterator[VirtualAnklet]:
    """The real firmware running on a simulated board whose radio is served on a free TCP port; its clock runs
    ``speed`` times real time, its sensor plays ``walk`` (from the start, at every boot of the firmware)."""
    spec = install_firmware(flash)
    if walk is not None:
        install_walk(flash, walk)
    board = SimBoard(flash, spec, speed=speed)
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


# ------------------------------------------------------------------------------------------------ sync faults
SyncStage = tuple[str, int]
"""One stage of a sync, by what went over the air: ("write", opcode) for a command the anklet received (("ack", n) for
an acknowledgement of record n), ("notify", kind) for an answer it sent, ("record", seq) for a records packet,
("end", 0) for the end marker."""


def sync_stage(event: AirEvent) -> SyncStage | None:
    """The stage of a sync this packet is, or None if it is not sync traffic (live counters, the clock, ...)."""
    if event.characteristic_uuid == uuids.SYNC_CONTROL and not event.sent_by_board:
        control = packets.decode_control(event.data)
        if control.opcode == packets.OP_ACK:
            return ("ack", control.argument)
        return ("write", control.opcode)
    if event.characteristic_uuid == uuids.SYNC_DATA and event.sent_by_board:
        kind = packets.packet_kind(event.data)
        if kind != packets.KIND_RECORDS:
            return ("notify", kind)
        records = packets.decode_records(event.data)
        if not records.records:
            return ("end", 0)
        assert len(records.records) == 1, "one record per packet: sync at MTU 23"
        return ("record", records.first_seq)
    return None


@dataclass
class StageCutter:
    """Watches the air (`BleBridge.watch_air`) and lists the stages of a sync; with ``cut``, drops each connection
    right after the first stage on it that no connection before was dropped at, so a sync that reconnects after each
    drop gets one drop at every stage it goes through, then completes."""

    cut: bool = False
    seen: list[tuple[int, SyncStage]] = field(default_factory=list)  # (connection, stage), in order
    dropped_at: dict[SyncStage, int] = field(default_factory=dict)  # stage -> the connection dropped right after it
    errors: list[str] = field(default_factory=list)

    def __call__(self, event: AirEvent) -> bool:
        try:
            stage = sync_stage(event)
        except packets.PacketError as exc:
            self.errors.append(f"not a sync packet: {exc}")
            return False
        if stage is None:
            return False
        self.seen.append((event.connection, stage))
        if not self.cut or stage in self.dropped_at or event.connection in self.dropped_at.values():
            return False
        self.dropped_at[stage] = event.connection
        return True

    def stages(self) -> list[SyncStage]:
        return [stage for _, stage in self.seen]


def device_log(flash: Path) -> tuple[int, int, int]:
    """(acked_seq, newest_seq, evicted) of the anklet's flash log, read by the firmware's own FlashLog under CPython
    from a copy of the flash folder (opening a log may tidy it; the board's own copy stays untouched)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "log"
        shutil.copytree(flash / "log", copy)
        log = FlashLog(str(copy))
        return log.acked_seq, log.newest_seq(), log.evicted


def device_records(flash: Path) -> list[tuple[int, bytes]]:
    """Every (seq, record body) in the anklet's flash log, as the firmware reads them (see `device_log`)."""
    out: list[tuple[int, bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "log"
        shutil.copytree(flash / "log", copy)
        log = FlashLog(str(copy))
        buf = bytearray(packets.RECORD_SIZE)
        seq = log.read_into(1, buf)
        while seq:
            out.append((seq, bytes(buf)))
            seq = log.read_into(seq + 1, buf)
    return out


ROW_COLUMNS = "seq, t_min, forward_heel, backward_heel, backward_toe, cadence_spm, active_s"


def record_row(seq: int, body: bytes) -> tuple[int, ...]:
    """A minute record as the store's row (``ROW_COLUMNS``)."""
    r = packets.decode_record(body)
    assert isinstance(r, packets.MinuteRecord), r
    return (seq, r.t_min, r.forward_heel, r.backward_heel, r.backward_toe, r.cadence_spm, r.active_s)


def seeded_rows(first: int, last: int) -> list[tuple[int, ...]]:
    """The rows of the records `virtual_anklet(records=...)` seeds, seq ``first``..``last``."""
    return [record_row(seq, minute_record(seq - 1)) for seq in range(first, last + 1)]


def stored_rows(db: Path) -> list[tuple[int, ...]]:
    """The stored minutes (``ROW_COLUMNS``), of the one device the store must know."""
    with Store(db) as store:
        assert len(store.devices()) == 1, store.devices()
        rows = store.query(f"SELECT {ROW_COLUMNS} FROM minutes ORDER BY seq")
    return [tuple(row) for row in rows]
