"""History sync over BLE into the SQLite store: the host's bleak code, the store's sync session, the firmware's sync
server and flash log; links dropped at every stage, garbage, evictions, and the day-of-records benchmark."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from anklet_host.ble.client import AnkletLink, find_anklet
from anklet_host.ble.inprocess import BOOT_ID
from anklet_host.cli.commands.sync import summary, sync_device
from anklet_host.errors import AnkletError
from anklet_host.store.db import Store
from anklet_host.store.sync import DeviceProtocolError
from tests.ble_helpers import T0_MIN, LinkCutter, anklet_world, fill_log

RECORDS = 12
BATCH = 5  # acknowledgements at 5, 10 and the end, so drops land between them too


def stored_seqs(store: Store) -> list[int]:
    return [int(row["seq"]) for row in store.query("SELECT seq FROM minutes ORDER BY seq")]


async def _count_sync_events(tmp_path: Path) -> int:
    async with anklet_world(tmp_path / "count-log", central_mtu=None) as w:
        fill_log(w.anklet, RECORDS)
        cutter = LinkCutter(w.anklet)
        with Store(tmp_path / "count.sqlite3") as store:
            device = await find_anklet(w.host, timeout_s=2)
            result = await sync_device(w.host, store, device, batch_records=BATCH)
        assert result.stored == RECORDS
        return cutter.events


async def test_a_link_dropped_at_every_stage_of_a_sync_resumes_with_nothing_lost_or_duplicated(
    tmp_path: Path,
) -> None:
    events = await _count_sync_events(tmp_path)
    # time request + reply, status request + reply, the request, 12 records + end marker, 3 acknowledgements.
    assert events == 2 + 2 + 1 + RECORDS + 1 + 3
    for at in range(1, events + 1):
        async with anklet_world(tmp_path / f"log-{at}", central_mtu=None) as w:
            fill_log(w.anklet, RECORDS)
            cutter = LinkCutter(w.anklet, at)
            with Store(tmp_path / f"store-{at}.sqlite3") as store:
                device = await find_anklet(w.host, timeout_s=2)
                result = await sync_device(w.host, store, device, batch_records=BATCH, reply_timeout_s=2.0)
                assert cutter.cut, f"stage {at}"
                assert stored_seqs(store) == list(range(1, RECORDS + 1)), f"stage {at}"
                # The last event is the final acknowledgement: the sync is complete before the drop.
                assert result.connections == (2 if at < events else 1), f"stage {at}"
                assert result.stored == RECORDS, f"stage {at}"
            assert w.anklet.log.acked_seq == RECORDS, f"stage {at}"


async def test_sync_again_downloads_nothing_twice_and_places_records_in_time(tmp_path: Path) -> None:
    async with anklet_world(tmp_path / "log") as w:
        fill_log(w.anklet, 30)
        with Store(tmp_path / "s.sqlite3") as store:
            device = await find_anklet(w.host, timeout_s=2)
            first = await sync_device(w.host, store, device)
            fill_log(w.anklet, 5, start=30)
            second = await sync_device(w.host, store, device)
            third = await sync_device(w.host, store, device)
            assert (first.stored, second.stored, third.stored) == (30, 5, 0)
            assert third.received == 0
            assert stored_seqs(store) == list(range(1, 36))
            rows = store.query("SELECT t_min, start_utc_s, backward_toe FROM minutes WHERE seq = 36 - 35")
            assert (rows[0]["t_min"], rows[0]["start_utc_s"], rows[0]["backward_toe"]) == (T0_MIN, T0_MIN * 60, 0)
            assert BOOT_ID in first.boots_seen
        assert len(w.anklet.clock_set_unix_s) == 3  # Current Time written on every sync
        assert abs(w.anklet.clock_set_unix_s[-1] - time.time()) < 5


async def test_garbage_from_the_device_is_one_line_and_stores_nothing(tmp_path: Path) -> None:
    async with anklet_world(tmp_path / "log") as w:
        fill_log(w.anklet, 5)
        peripheral = w.anklet.peripheral
        sync = peripheral.sync
        original_pump = sync.pump

        def garbage_pump() -> None:
            if sync._sending:
                sync._sending = False
                peripheral._queue.put(sync._handle, b"\x13\x01\x00\x00\x00not a record!!", 19)
            original_pump()

        sync.pump = garbage_pump
        with Store(tmp_path / "s.sqlite3") as store:
            device = await find_anklet(w.host, timeout_s=2)
            with pytest.raises(DeviceProtocolError, match="malformed packet") as info:
                await sync_device(w.host, store, device)
            assert "\n" not in str(info.value)
            assert store.count("minutes") == 0
        assert w.anklet.log.acked_seq == 0  # nothing acknowledged, so the anklet keeps everything


async def test_evicted_records_are_reported(tmp_path: Path) -> None:
    async with anklet_world(tmp_path / "log", max_log_bytes=8192) as w:
        fill_log(w.anklet, 500)
        evicted = w.anklet.log.evicted
        assert evicted > 0
        with Store(tmp_path / "s.sqlite3") as store:
            device = await find_anklet(w.host, timeout_s=2)
            result = await sync_device(w.host, store, device)
            assert result.evicted_new == evicted
            assert stored_seqs(store) == list(range(evicted + 1, 501))
        lines = summary(result)
        assert lines[1].startswith(f"warning: the anklet's log was full and dropped {evicted} record(s)")


async def test_an_anklet_that_never_answers_is_a_one_line_error(tmp_path: Path) -> None:
    async with anklet_world(tmp_path / "log") as w:
        w.anklet.peripheral.sync.command = lambda _data, _limit: None  # deaf control point
        with Store(tmp_path / "s.sqlite3") as store:
            device = await find_anklet(w.host, timeout_s=2)
            with pytest.raises(AnkletError, match="failed after 2 connections") as info:
                await sync_device(w.host, store, device, attempts=2, reply_timeout_s=0.3)
            assert "\n" not in str(info.value)


async def test_benchmark_full_day_sync_into_the_store_at_mtu_23(tmp_path: Path) -> None:
    async with anklet_world(tmp_path / "log", central_mtu=None) as w:
        fill_log(w.anklet, 1440)
        with Store(tmp_path / "s.sqlite3") as store:
            device = await find_anklet(w.host, timeout_s=2)
            started = time.perf_counter()
            result = await sync_device(w.host, store, device)
            elapsed_s = time.perf_counter() - started
            assert store.count("minutes") == 1440
        async with AnkletLink.connect(w.host, device) as link:
            assert link.mtu_size == 23
        assert result.stored == 1440
        print(f"\nBENCH full day (1440 minute records) into SQLite at MTU 23: {elapsed_s:.2f} s (target < 10 s)")
