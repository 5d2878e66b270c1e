"""Sync faults end to end on the virtual anklet (the real firmware on the real MicroPython, its radio reached by the
host's unchanged bleak code): the BLE link dropped at every stage of a sync, and the power cut in the middle of a
flash write (a torn write, worse than LittleFS ever leaves), then sync again: nothing lost, nothing counted twice.
An acknowledgement received right before the link drops is kept (the laptop counts it done and will not send it again
until its next sync).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from anklet.app.persist import PersistedState
from anklet.flashlog import FRAME_SIZE
from anklet_host import packets
from anklet_host.ble.client import Radio, find_anklet
from anklet_host.cli.commands.sync import sync_device
from anklet_host.deploy import load_board
from anklet_host.sim.board.supervisor import PWRON_RESET, wait_until
from anklet_host.sim.walkfeed import WalkFile, walk_from_trace
from anklet_host.store.db import Store
from anklet_host.store.sync import SyncResult
from anklet_host.synth import WalkSpec, generate_walk, parse_walk_shorthand
from tests.sim_ble_helpers import (
    BOARD,
    BOOT_LINE,
    StageCutter,
    VirtualAnklet,
    device_log,
    device_records,
    record_row,
    seeded_rows,
    stored_rows,
    sync_stage,
    virtual_anklet,
)

pytestmark = pytest.mark.micropython

RECORDS = 12
BATCH = 5  # acknowledgements at 5, 10 and the end, so drops land between them too


async def _sync(anklet: VirtualAnklet, db: Path, *, attempts: int) -> SyncResult:
    async with Radio.open(anklet.via, mtu=None) as radio:  # no MTU exchange: one record per notification
        device = await find_anklet(radio, timeout_s=3)
        with Store(db) as store:
            return await sync_device(radio, store, device, attempts=attempts, batch_records=BATCH)


async def test_a_link_dropped_at_every_stage_of_a_sync_loses_nothing_and_stores_nothing_twice(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    with virtual_anklet(flash, records=RECORDS) as anklet:
        # One sync in which every connection is dropped by the anklet right after a stage no earlier connection was
        # dropped at; the sync reconnects and resumes each time, until a connection goes through.
        cutter = StageCutter(cut=True)
        anklet.bridge.watch_air(cutter)
        faulty = await _sync(anklet, tmp_path / "faulty.sqlite3", attempts=60)
        anklet.bridge.watch_air(None)
        assert stored_rows(tmp_path / "faulty.sqlite3") == seeded_rows(1, RECORDS)
        assert (faulty.stored, faulty.duplicates) == (RECORDS, 0)
        # On the device: every record acknowledged, none evicted.
        assert device_log(flash) == (RECORDS, RECORDS, 0)
        # The stages of a clean sync into an empty store, counted on the same anklet.
        clean = StageCutter()
        anklet.bridge.watch_air(clean)
        result = await _sync(anklet, tmp_path / "clean.sqlite3", attempts=1)
        anklet.bridge.watch_air(None)
        assert result.connections == 1
        stages = clean.stages()
        # Time request + reply, status request + reply, the request, 12 records + end marker, 3 acknowledgements.
        assert len(stages) == 2 + 2 + 1 + RECORDS + 1 + 3, stages
        assert len(set(stages)) == len(stages)
        # Every stage of it got a drop, each on a connection of its own, and one more connection completed the sync.
        assert sorted(cutter.dropped_at) == sorted(stages)
        assert sorted(cutter.dropped_at.values()) == list(range(1, len(stages) + 1))
        assert faulty.connections == len(stages) + 1
        assert cutter.errors == clean.errors == []
        assert anklet.bridge.errors == []


async def test_the_last_acknowledgement_survives_a_link_dropped_right_after_it(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    with virtual_anklet(flash, records=RECORDS) as anklet:
        # The anklet receives the acknowledgement of the last batch, then the link drops: the host has everything
        # stored and is done, so nothing will say it again until the next sync.
        anklet.bridge.watch_air(lambda event: sync_stage(event) == ("ack", RECORDS))
        result = await _sync(anklet, tmp_path / "anklet.sqlite3", attempts=1)
        anklet.bridge.watch_air(None)
        assert (result.stored, result.connections) == (RECORDS, 1)
        # On the device: every record acknowledged (its BLE task runs within milliseconds; 2 s is plenty).
        assert await asyncio.to_thread(wait_until, lambda: device_log(flash)[0] == RECORDS, 2.0)
        assert device_log(flash) == (RECORDS, RECORDS, 0)


# ------------------------------------------------------------------------------------------- power cut mid-write
SPEED = 20  # board seconds per wall second: the firmware's first minute record comes ~3.5 s after it boots
WALK = "stand:2s,forward:20s,stand:2s"  # contacts in the first minute of uptime; its record is written at 68 s
SEGMENT = "/log/s00000001"  # the flash log's first segment file: the seeded records, then every new one
KEEP_BYTES = 10  # of the 24-byte frame being appended: marker, seq and 5 bytes of the record made it to flash


def _walk() -> WalkFile:
    board = load_board(BOARD)
    trace = generate_walk(WalkSpec(segments=parse_walk_shorthand(WALK), placement="ankle", seed=3))
    return walk_from_trace(trace, board.axes_for(False))


def _saved_state(flash: Path) -> PersistedState:
    state = PersistedState(str(flash / "state.bin"))
    assert state.load(), "no valid /state.bin in flash"
    return state


async def test_a_power_cut_mid_flash_write_then_sync_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    segment = flash / SEGMENT.lstrip("/")
    with virtual_anklet(flash, records=RECORDS, speed=SPEED, walk=_walk()) as anklet:
        board = anklet.board
        assert segment.stat().st_size == RECORDS * FRAME_SIZE
        # The power fails while the firmware appends its first minute record of the walk to the flash log.
        mark = board.transcript_length()
        boots = board.boots
        cut = board.cut_power_during_write(SEGMENT, KEEP_BYTES)
        assert await asyncio.to_thread(cut.wait, 30)
        torn = board.torn_writes[-1]
        assert (torn["path"], torn["old_bytes"], torn["new_bytes"], torn["torn_bytes"]) == (
            SEGMENT,
            RECORDS * FRAME_SIZE,
            (RECORDS + 1) * FRAME_SIZE,
            RECORDS * FRAME_SIZE + KEEP_BYTES,
        )
        # The power comes back: the firmware boots, its log has dropped the torn tail (and nothing else) before the
        # boot line, and the walk, played again, makes the first minute record of this boot.
        board.wait_for_output(BOOT_LINE, 20, start=mark)
        assert board.boots == boots + 1
        assert board.reset_causes[-1] == PWRON_RESET
        assert segment.stat().st_size == RECORDS * FRAME_SIZE
        assert wait_until(lambda: segment.stat().st_size == (RECORDS + 1) * FRAME_SIZE, 30)
        on_device = device_records(flash)
        assert [seq for seq, _ in on_device] == list(range(1, RECORDS + 2))
        assert [record_row(seq, body) for seq, body in on_device[:RECORDS]] == seeded_rows(1, RECORDS)
        after_cut = packets.decode_record(on_device[-1][1])
        assert isinstance(after_cut, packets.MinuteRecord)
        assert after_cut.forward_heel + after_cut.forward_toe + after_cut.forward_flat > 0  # the walk's contacts
        # Sync: every record complete before the cut and the one made after the reboot, each once; again: nothing.
        db = tmp_path / "anklet.sqlite3"
        first = await _sync(anklet, db, attempts=3)
        assert (first.stored, first.duplicates, first.gaps) == (RECORDS + 1, 0, 0)
        assert stored_rows(db) == [*seeded_rows(1, RECORDS), record_row(RECORDS + 1, on_device[-1][1])]
        again = await _sync(anklet, db, attempts=3)
        assert (again.stored, again.received) == (0, 0)
        assert device_log(flash) == (RECORDS + 1, RECORDS + 1, 0)

        # The power fails while the firmware saves its counters (to a temporary file renamed over the old one once
        # written): it boots on the counters saved before, then saves them again, whole.
        before = _saved_state(flash)
        assert before.contacts > 0
        mark = board.transcript_length()
        cut = board.cut_power_during_write("/state.bin.tmp", 17)
        board.reset()  # the firmware saves at its first tick after a boot
        assert await asyncio.to_thread(cut.wait, 30)
        assert board.torn_writes[-1]["torn_bytes"] == 17
        board.wait_for_output(BOOT_LINE, 20, start=mark)
        assert wait_until(lambda: _saved_state(flash).boot_count == before.boot_count + 1, 20)
        after = _saved_state(flash)
        fields = ("contacts", "backward", "toe_first", "forward", "active_s", "backward_s", "day")
        assert [getattr(after, name) for name in fields] == [getattr(before, name) for name in fields]
        assert anklet.bridge.errors == []
