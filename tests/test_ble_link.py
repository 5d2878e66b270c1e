"""The BLE link with no radio: the host's real bleak code against the firmware's GATT server on bumble.

The firmware's ``anklet.ble.peripheral`` runs unchanged under CPython on ``anklet_host.sim.ble_bumble`` (MicroPython's
``bluetooth`` API on a bumble device); bleak drives a bumble central through ``anklet_host.ble.backend``; both sit on
one bumble ``LocalLink`` (real link layer, ATT/GATT, MTU exchange).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bleak import BleakClient, BleakScanner

from anklet.ble import std, uuids
from anklet.ble.sync import records_per_packet as records_per_packet_at
from anklet_host import packets
from anklet_host.ble import client as ble_client
from anklet_host.ble.client import AnkletLink, DeviceProtocolError
from anklet_host.errors import AnkletError
from tests.ble_helpers import T0_MIN, anklet_world, fill_log, minute_record


async def test_scan_finds_the_anklet_by_its_service(tmp_path: Path) -> None:
    async with anklet_world(tmp_path) as w:
        found = await ble_client.scan(w.host, timeout_s=0.5)
        assert [(a.address, a.name) for a in found] == [("F0:A1:E7:00:00:01", "anklet")]
        # Unchanged bleak calls work on the backend: by name, and a service filter that excludes the anklet.
        device = await BleakScanner.find_device_by_name("anklet", timeout=2, backend=w.central.scanner_backend)
        assert device is not None
        other = await BleakScanner.discover(
            timeout=0.3, service_uuids=[uuids.sig_uuid_str(0x180D)], backend=w.central.scanner_backend
        )
        assert other == []


async def test_a_missing_anklet_is_a_one_line_error(tmp_path: Path) -> None:
    async with anklet_world(tmp_path) as w:
        with pytest.raises(AnkletError, match=r"anklet 'nope' found within 0.3 s") as info:
            await ble_client.find_anklet(w.host, "nope", timeout_s=0.3)
        assert "\n" not in str(info.value)


@pytest.mark.parametrize(("central_mtu", "expected_mtu", "records_per_packet"), [(None, 23, 1), (247, 247, 8)])
async def test_mtu_sets_how_many_records_fit_a_notification(
    tmp_path: Path, central_mtu: int | None, expected_mtu: int, records_per_packet: int
) -> None:
    async with anklet_world(tmp_path, central_mtu=central_mtu) as w:
        fill_log(w.anklet, 40)
        device = await ble_client.find_anklet(w.host, timeout_s=2)
        async with AnkletLink.connect(w.host, device) as link:
            assert link.mtu_size == expected_mtu
            await asyncio.sleep(0.01)
            assert w.anklet.peripheral.payload_limit == min(expected_mtu - 3, 244)
            sizes = [len(r.records) async for r in link.records(1)]
        assert sizes[-1] == 0  # the end marker
        assert max(sizes) == records_per_packet == records_per_packet_at(expected_mtu - 3)
        assert sum(sizes) == 40


async def test_peripheral_mtu_limit_wins_over_a_bigger_central_request(tmp_path: Path) -> None:
    async with anklet_world(tmp_path, central_mtu=247, peripheral_mtu=23) as w:
        device = await ble_client.find_anklet(w.host, timeout_s=2)
        async with AnkletLink.connect(w.host, device) as link:
            assert link.mtu_size == 23


async def test_battery_device_information_and_current_time(tmp_path: Path) -> None:
    async with anklet_world(tmp_path) as w:
        device = await ble_client.find_anklet(w.host, timeout_s=2)
        async with AnkletLink.connect(w.host, device) as link:
            info = await link.device_info()
            assert (info.manufacturer, info.model, info.firmware) == ("anklet project", "anklet-esp32", "0.1.0")
            assert await link.battery_percent() == 100
            w.anklet.peripheral.set_battery(57)
            assert await link.battery_percent() == 57
            assert await link.rsc_feature() == std.RSC_FEATURE_WALKING_OR_RUNNING_STATUS
            when = datetime(2026, 11, 14, 9, 30, 5, tzinfo=UTC)
            await link.set_clock(when)
            await asyncio.sleep(0.01)
            assert w.anklet.clock_set_unix_s == [int(when.timestamp())]
            assert await link.read_clock() == when


async def test_settings_round_trip_and_bad_settings_are_refused(tmp_path: Path) -> None:
    async with anklet_world(tmp_path) as w:
        device = await ble_client.find_anklet(w.host, timeout_s=2)
        async with AnkletLink.connect(w.host, device) as link:
            assert await link.settings() == packets.Settings(52, packets.LEG_LEFT, 10, True)
            await link.write_settings(packets.Settings(104, packets.LEG_RIGHT, 15, False))
            await asyncio.sleep(0.01)
            assert w.anklet.settings_applied == [(104, packets.LEG_RIGHT, 15, False)]
            assert await link.settings() == packets.Settings(104, packets.LEG_RIGHT, 15, False)
            # A raw write the format forbids (goal longer than a day): the device keeps its last good settings.
            await link.client.write_gatt_char(uuids.SETTINGS, b"\x16\x34\x00\x00\xff\xff\x00", response=True)
            await asyncio.sleep(0.01)
            assert await link.settings() == packets.Settings(104, packets.LEG_RIGHT, 15, False)
            assert len(w.anklet.settings_applied) == 1


async def test_live_counters_and_rsc_cadence_notify(tmp_path: Path) -> None:
    async with anklet_world(tmp_path, central_mtu=None) as w:
        device = await ble_client.find_anklet(w.host, timeout_s=2)
        lives: list[packets.Live] = []
        cadences: list[ble_client.Cadence] = []
        async with AnkletLink.connect(w.host, device) as link:
            await link.live(lives.append, cadences.append)
            # Four seconds' worth at once (a live packet and an RSC one each): what the 8-slot notify queue holds.
            for i in range(4):
                w.anklet.peripheral.send_live(10 + i, 6 + i, 4, 20 + 2 * i, 96 + i, 30 + i, packets.SESSION_WALKING)
            await asyncio.sleep(0.05)
        assert [live.contacts for live in lives] == [10, 11, 12, 13]
        assert [live.seq for live in lives] == [0, 1, 2, 3]
        assert lives[-1] == packets.Live(3, 13, 9, 4, 26, 99, 33, packets.SESSION_WALKING)
        assert [(c.running, c.cadence_spm) for c in cadences] == [(False, 96 + i) for i in range(4)]


async def test_rsc_measurement_read_with_plain_bleak_by_any_fitness_app(tmp_path: Path) -> None:
    async with anklet_world(tmp_path) as w:
        device = await BleakScanner.find_device_by_filter(
            lambda _d, ad: ad.local_name == "anklet", timeout=2, backend=w.central.scanner_backend
        )
        assert device is not None
        got: list[bytes] = []
        async with BleakClient(device, backend=w.central.client_backend) as client:
            await client.start_notify(uuids.sig_uuid_str(uuids.RSC_MEASUREMENT), lambda _c, d: got.append(bytes(d)))
            w.anklet.peripheral.send_live(1, 1, 1, 2, 112, 5, packets.SESSION_WALKING)
            await asyncio.sleep(0.05)
        flags, speed, cadence = got[0][0], int.from_bytes(got[0][1:3], "little"), got[0][3]
        assert flags & std.RSC_FLAG_RUNNING == 0  # walking
        assert (speed, cadence) == (0, 112)


async def test_sync_records_arrive_in_order_and_ack_frees_them(tmp_path: Path) -> None:
    async with anklet_world(tmp_path, central_mtu=None) as w:
        fill_log(w.anklet, 100)
        device = await ble_client.find_anklet(w.host, timeout_s=2)
        async with AnkletLink.connect(w.host, device) as link:
            assert await link.status() == packets.Status(1, 100, 0, 0)
            got = [(p.first_seq + i, r) for p in [p async for p in link.records(51)] for i, r in enumerate(p.records)]
            assert [seq for seq, _ in got] == list(range(51, 101))
            assert [r.t_min for _, r in got] == [T0_MIN + i for i in range(50, 100)]
            assert got[0][1] == packets.decode_record(minute_record(50))
            await link.ack(100)
            status = await link.status()
            assert status.acked_seq == 100
            assert w.anklet.log.acked_seq == 100


async def test_a_device_that_sends_garbage_is_a_one_line_error(tmp_path: Path) -> None:
    async with anklet_world(tmp_path) as w:
        fill_log(w.anklet, 5)
        peripheral = w.anklet.peripheral
        sync = peripheral.sync

        def garbage_pump() -> None:
            if sync._sending:
                sync._sending = False
                peripheral._queue.put(sync._handle, b"\x13\x01\x00\x00\x00garbage!", 13)

        sync.pump = garbage_pump
        device = await ble_client.find_anklet(w.host, timeout_s=2)
        async with AnkletLink.connect(w.host, device) as link:
            with pytest.raises(DeviceProtocolError, match="malformed packet") as info:
                async for _ in link.records(1):
                    pass
        assert "\n" not in str(info.value)
        assert w.anklet.log.acked_seq == 0


async def test_the_anklet_reports_evicted_records(tmp_path: Path) -> None:
    # A tiny log: 2 segments of 4096 bytes (170 records each); 500 unacknowledged records evict the oldest ones.
    async with anklet_world(tmp_path, max_log_bytes=8192) as w:
        fill_log(w.anklet, 500)
        device = await ble_client.find_anklet(w.host, timeout_s=2)
        async with AnkletLink.connect(w.host, device) as link:
            status = await link.status()
            assert status.evicted > 0
            assert status.oldest_seq == status.evicted + 1
            seqs = [p.first_seq + i async for p in link.records(1) for i in range(len(p.records))]
        assert seqs == list(range(status.oldest_seq, 501))


async def test_benchmark_a_day_of_minute_records_at_mtu_23(tmp_path: Path, record_property: Any) -> None:
    async with anklet_world(tmp_path, central_mtu=None) as w:
        fill_log(w.anklet, 1440)
        device = await ble_client.find_anklet(w.host, timeout_s=2)
        async with AnkletLink.connect(w.host, device) as link:
            assert link.mtu_size == 23
            started = time.perf_counter()
            count = sum([len(p.records) async for p in link.records(1)])
            await link.ack(1440)
            elapsed_s = time.perf_counter() - started
        assert count == 1440
        record_property("sync_1440_records_mtu23_s", round(elapsed_s, 3))
        print(
            f"\nBENCH 1440 minute records at MTU 23: {elapsed_s:.2f} s, {w.anklet.ble.notifications_sent} notifications"
        )


@pytest.mark.parametrize("central_mtu", [None, 247])
async def test_benchmark_bytes_over_the_air_per_step_of_live_streaming(
    tmp_path: Path, central_mtu: int | None, record_property: Any
) -> None:
    # A minute of walking at 100 steps/min (both feet): 50 contacts of the instrumented foot, 1.2 s apart; live
    # counters (and the RSC measurement) once a second, step events batched.
    async with anklet_world(tmp_path, central_mtu=central_mtu) as w:
        device = await ble_client.find_anklet(w.host, timeout_s=2)
        events: list[packets.StepEvent] = []
        lives: list[packets.Live] = []
        async with AnkletLink.connect(w.host, device) as link:
            await link.live(lives.append, lambda _c: None)
            await link.steps(lambda batch: events.extend(batch.events))
            mtu = link.mtu_size
            peripheral = w.anklet.peripheral
            sent_before = (w.anklet.ble.notifications_sent, w.anklet.ble.notify_bytes_sent)
            for second in range(60):
                contacts = second * 50 // 60
                peripheral.send_live(contacts, contacts, contacts, 2 * contacts, 100, second, packets.SESSION_WALKING)
                await asyncio.sleep(0)
            for contact in range(50):
                peripheral.add_step(10_000 + 1200 * contact, 1, packets.STRIKE_TOE)
                await asyncio.sleep(0)  # contacts come 1.2 s apart: the queue drains between them
            peripheral._flush_steps()
            await asyncio.sleep(0.1)
        notifications = w.anklet.ble.notifications_sent - sent_before[0]
        payload_bytes = w.anklet.ble.notify_bytes_sent - sent_before[1]
    assert len(events) == 50
    assert len(lives) == 60
    att_bytes = payload_bytes + 3 * notifications  # ATT opcode + handle per notification
    l2cap_bytes = att_bytes + 4 * notifications  # L2CAP length + channel id: the link-layer payload
    steps = 100
    record_property("att_bytes_per_step", att_bytes / steps)
    print(
        f"\nBENCH live streaming at MTU {mtu}: {notifications} notifications, {payload_bytes} payload bytes;"
        f" per step (both feet) {att_bytes / steps:.1f} B at ATT, {l2cap_bytes / steps:.1f} B link-layer payload"
    )
    assert att_bytes / steps < 40
