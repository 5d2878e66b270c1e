"""The virtual anklet's radio: the real firmware on the real MicroPython, its simulated ``bluetooth.BLE`` bridged to a
bumble peripheral, reached by the host's unchanged bleak code over TCP (what ``--via sim`` does): scan, live, sync, a
link dropped mid-sync, and the radio's real limits (20-byte payloads at the default MTU, a bounded notification pool).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from bleak import BleakClient, BleakScanner
from bumble import hci
from bumble.device import Device
from bumble.transport import open_transport

from anklet.ble import uuids
from anklet_host import packets
from anklet_host.ble.backend import CENTRAL_ADDRESS
from anklet_host.ble.client import SIM_TRANSPORT, Radio, find_anklet
from anklet_host.cli import main as cli_main
from anklet_host.cli.commands.sync import sync_device
from anklet_host.errors import AnkletError
from anklet_host.sim.board import SimBoard
from anklet_host.sim.board.ble_bridge import BleBridge, BridgeStats
from anklet_host.store.db import Store
from tests.ble_helpers import minute_record
from tests.conftest import off_main_thread
from tests.sim_ble_helpers import BOOT_LINE, Counters, VirtualAnklet, ble_address, virtual_anklet
from tests.sim_console_helpers import mpremote

pytestmark = pytest.mark.micropython

RECORDS = 40


def main(argv: list[str]) -> int:
    return off_main_thread(cli_main, argv, timeout_s=60)


@pytest.fixture(scope="module")
def anklet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualAnklet]:
    flash = tmp_path_factory.mktemp("sim-ble") / "flash"
    with virtual_anklet(flash, records=RECORDS, counters=Counters(120, 80, 60, 300)) as running:
        yield running
        assert running.bridge.errors == []


def expected_rows(first: int, last: int) -> list[tuple[int, ...]]:
    """(seq, t_min, forward_heel, backward_heel, backward_toe, cadence_spm, active_s) of records first..last."""
    rows = []
    for seq in range(first, last + 1):
        record = packets.decode_record(minute_record(seq - 1))
        assert isinstance(record, packets.MinuteRecord)
        rows.append(
            (
                seq,
                record.t_min,
                record.forward_heel,
                record.backward_heel,
                record.backward_toe,
                record.cadence_spm,
                record.active_s,
            )
        )
    return rows


def stored_rows(db: Path) -> list[tuple[int, ...]]:
    """The stored minutes, of the one device the store must know."""
    with Store(db) as store:
        assert len(store.devices()) == 1, store.devices()
        rows = store.query(
            "SELECT seq, t_min, forward_heel, backward_heel, backward_toe, cadence_spm, active_s FROM minutes"
            " ORDER BY seq"
        )
    return [tuple(row) for row in rows]


def test_scan_finds_the_virtual_anklet_at_its_esp32_address(
    anklet: VirtualAnklet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", "--via", anklet.via, "--scan-timeout", "0.6"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ADDRESS", "RSSI", "NAME"]
    assert [line.split()[0] for line in out[1:]] == [ble_address(anklet.board.flash_dir)]
    assert out[1].split()[-1] == "anklet"


def test_live_shows_the_counters_the_firmware_restored_from_flash(
    anklet: VirtualAnklet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["live", "--via", anklet.via, "--duration", "2.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # The firmware sends live counters once a second (board time): at least two in 2.5 s.
    assert len(lines) >= 2
    assert set(lines) == {
        "backward    80  toe-first  75%  contacts   120  steps    240  cadence   0/min  active 5:00  idle"
    }


def test_sync_at_mtu_23_stores_every_record_once(
    anklet: VirtualAnklet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "anklet.sqlite3"
    anklet.bridge.stats = BridgeStats()
    assert main(["sync", "--via", anklet.via, "--db", str(db), "--mtu", "23"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert len(first) == 1
    assert first[0].startswith(f"synced {RECORDS} new record(s) from anklet anklet-")
    stats = anklet.bridge.stats
    # No MTU exchange: every notification fits 20 bytes, so the firmware sent one 15-byte record per packet.
    assert stats.largest_notification == packets.DEFAULT_PAYLOAD
    assert stats.notifications >= RECORDS + 3  # device time, status, the records, the end marker
    assert stored_rows(db) == expected_rows(1, RECORDS)
    assert main(["sync", "--via", anklet.via, "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines() == [first[0].replace(f"synced {RECORDS} ", "synced 0 ")]
    assert stored_rows(db) == expected_rows(1, RECORDS)


_LOG_STATE = (
    "from anklet.flashlog import FlashLog\nlog = FlashLog('/log')\nprint(log.acked_seq, log.newest_seq(), log.evicted)"
)


def test_a_reset_anklet_is_still_the_same_device(
    anklet: VirtualAnklet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "anklet.sqlite3"
    assert main(["sync", "--via", anklet.via, "--db", str(db)]) == 0
    mark = anklet.board.transcript_length()
    anklet.board.reset()  # the EN button: the firmware boots again, its records and counters kept in flash
    anklet.board.wait_for_output(BOOT_LINE, 20, start=mark)
    capsys.readouterr()
    assert main(["sync", "--via", anklet.via, "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith("synced 0 new record(s)")
    assert stored_rows(db) == expected_rows(1, RECORDS)


async def test_a_link_dropped_mid_sync_resumes_with_nothing_lost_or_doubled(tmp_path: Path) -> None:
    records = 60
    db = tmp_path / "anklet.sqlite3"
    with virtual_anklet(tmp_path / "flash", records=records) as anklet:
        # The link fades right after the 25th sync-data notification the anklet sends (device time, status and 23
        # records at one record per packet), with batches of 10 stored and acknowledged as they complete.
        dropped = anklet.bridge.drop_link(after_notifications=25, characteristic_uuid=uuids.SYNC_DATA)
        async with Radio.open(anklet.via, mtu=None) as radio:
            device = await find_anklet(radio, timeout_s=3)
            with Store(db) as store:
                result = await sync_device(radio, store, device, batch_records=10)
        assert dropped.is_set()
        assert result.connections == 2
        assert result.stored == records
        assert stored_rows(db) == expected_rows(1, records)
        assert anklet.bridge.errors == []
        # On the device (the app stopped by mpremote's Ctrl-C): every record acknowledged, none evicted.
        out = await asyncio.to_thread(mpremote, anklet.port, "exec", _LOG_STATE)
        assert out.split() == [str(records), str(records), "0"]


async def test_a_power_cut_mid_sync_resumes_after_the_reboot(tmp_path: Path) -> None:
    records = 30
    db = tmp_path / "anklet.sqlite3"
    with virtual_anklet(tmp_path / "flash", records=records) as anklet:
        board = anklet.board
        cut = threading.Event()
        notifications = [0]

        def on_event(event: dict[str, object]) -> None:
            # Power goes at the 15th notification the firmware sends on this boot: mid-transfer at MTU 23.
            if event.get("call") != "notify" or cut.is_set():
                return
            notifications[0] += 1
            if notifications[0] == 15:
                cut.set()
                threading.Thread(target=power_cycle, daemon=True).start()

        def power_cycle() -> None:
            board.power_cut()
            board.power_on()

        boots = board.boots
        board.on_event(on_event)
        async with Radio.open(anklet.via, mtu=None) as radio:
            device = await find_anklet(radio, timeout_s=3)
            with Store(db) as store:
                result = await sync_device(radio, store, device, batch_records=5)
        assert cut.is_set()
        assert board.boots == boots + 1
        assert result.connections == 2
        assert stored_rows(db) == expected_rows(1, records)
        assert anklet.bridge.stats.boots_with_radio == 2


LIMITS_MAIN = r"""
import bluetooth
import time

ble = bluetooth.BLE()
ble.active(True)
ble.config(gap_name="limits", mtu=247)
SERVICE = bluetooth.UUID("a7c1f001-4b1d-4f3e-8a6b-616e6b6c6574")
DATA = bluetooth.UUID("a7c1f002-4b1d-4f3e-8a6b-616e6b6c6574")
GO = bluetooth.UUID("a7c1f003-4b1d-4f3e-8a6b-616e6b6c6574")
CHARACTERISTICS = ((DATA, bluetooth.FLAG_NOTIFY), (GO, bluetooth.FLAG_WRITE))
((h_data, h_go),) = ble.gatts_register_services(((SERVICE, CHARACTERISTICS),))
state = {"conn": -1, "go": 0, "mtu": 23}
ADV = b"\x02\x01\x06\x07\x09limits"


def irq(event, data):
    if event == 1:
        state["conn"] = data[0]
        state["mtu"] = 23
    elif event == 2:
        state["conn"] = -1
        ble.gap_advertise(20000, ADV)
    elif event == 21:
        state["mtu"] = data[1]
    elif event == 3 and data[1] == h_go:
        state["go"] = ble.gatts_read(h_go)[0]


ble.irq(irq)
ble.gap_advertise(20000, ADV)
payload = bytearray(60)
for i in range(60):
    payload[i] = i
while True:
    time.sleep_ms(5)
    burst = state["go"]
    if not burst:
        continue
    state["go"] = 0
    sent = refused = code = 0
    for i in range(burst):  # back to back, never yielding: the stack's buffers fill up
        payload[0] = i
        try:
            ble.gatts_notify(state["conn"], h_data, payload)
            sent += 1
        except OSError as exc:
            refused += 1
            code = exc.errno
    time.sleep_ms(50)  # the host takes the packets and hands their buffers back
    payload[0] = 0xEE
    ble.gatts_notify(state["conn"], h_data, payload)
    print("burst mtu=%d sent=%d refused=%d errno=%d then=ok" % (state["mtu"], sent, refused, code))
"""


async def _burst(via: str, mtu: int | None, burst: int) -> list[bytes]:
    """Connect with bleak (asking for ``mtu``, or no exchange), ask the board for a burst, collect what arrives."""
    received: list[bytes] = []
    got_last = asyncio.Event()

    def on_data(_sender: object, data: bytearray) -> None:
        received.append(bytes(data))
        if data[0] == 0xEE:
            got_last.set()

    async with Radio.open(via, mtu=mtu) as radio:
        device = await BleakScanner.find_device_by_name("limits", timeout=3, backend=radio.scanner_backend)
        assert device is not None
        async with BleakClient(device, backend=radio.client_backend) as client:
            await client.start_notify("a7c1f002-4b1d-4f3e-8a6b-616e6b6c6574", on_data)
            await client.write_gatt_char("a7c1f003-4b1d-4f3e-8a6b-616e6b6c6574", bytes((burst,)), response=True)
            async with asyncio.timeout(10):
                await got_last.wait()
    return received


async def _vanish_while_connected(via: str, address: str) -> None:
    transport = await open_transport(via)
    device = Device.with_hci("vanishing-laptop", hci.Address(CENTRAL_ADDRESS), transport.source, transport.sink)
    await device.power_on()
    connection = await device.connect(hci.Address(address, hci.Address.RANDOM_DEVICE_ADDRESS), timeout=5)
    assert connection.handle >= 0
    await transport.close()  # gone, without a word to the anklet


async def test_notifications_are_cut_to_the_mtu_and_the_stack_pool_is_bounded(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "main.py").write_text(LIMITS_MAIN)
    board = SimBoard(flash)
    board.start()
    try:
        with BleBridge(board, port=0) as bridge:
            # Default MTU: 60 bytes asked, 20 sent; 12 buffers, then ENOMEM; buffers back once the host took them.
            at_23 = await _burst(bridge.via, None, 20)
            mark = board.wait_for_output(b"burst mtu=23 sent=12 refused=8 errno=12 then=ok", 10)
            assert [len(p) for p in at_23] == [20] * 13
            assert [p[0] for p in at_23] == [*range(12), 0xEE]
            assert all(p[1:] == bytes(range(1, 20)) for p in at_23)
            # After an MTU exchange to 247 the whole 60 bytes go out in one notification.
            at_247 = await _burst(bridge.via, 247, 5)
            board.wait_for_output(b"burst mtu=247 sent=5 refused=0 errno=0 then=ok", 10, start=mark)
            assert [len(p) for p in at_247] == [60] * 6
            assert [p[0] for p in at_247] == [*range(5), 0xEE]
            # A laptop that vanishes while connected (its process killed) ends the link as a supervision timeout
            # would: the board hears the disconnect, advertises again, and the next laptop gets through.
            await _vanish_while_connected(bridge.via, ble_address(flash))
            again = await _burst(bridge.via, None, 2)
            assert [len(p) for p in again] == [20] * 3
            assert bridge.stats.connections == 4  # three bursts and the laptop that vanished
            assert bridge.errors == []
    finally:
        board.stop()


def test_the_bridge_refuses_a_port_in_use(tmp_path: Path) -> None:
    board = SimBoard(tmp_path / "flash")
    with BleBridge(board, port=0) as first, pytest.raises(AnkletError, match=f"radio on 127.0.0.1:{first.port}: "):
        BleBridge(board, port=first.port).start()


def test_the_default_port_is_what_via_sim_reaches(tmp_path: Path) -> None:
    assert BleBridge(SimBoard(tmp_path / "flash")).via == SIM_TRANSPORT
