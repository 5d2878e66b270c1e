"""Builds the BLE world for the tests: the firmware's GATT server (run under CPython on bumble) and bleak's central.

``anklet_world`` starts a ``LocalRadio`` with the firmware peripheral (its flash log in a temp folder) and a central
for bleak; ``minute_record`` makes record bodies with the firmware's packet code.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from anklet_host import packets
from anklet_host.ble.backend import BumbleCentral
from anklet_host.ble.client import Radio
from anklet_host.ble.inprocess import FirmwareAnklet, LocalRadio, serve_controller, start_firmware_anklet

T0_MIN = 29_000_000  # a minute in 2025, as minutes since the Unix epoch


@dataclass
class World:
    radio: LocalRadio
    anklet: FirmwareAnklet
    central: BumbleCentral
    host: Radio


@contextlib.asynccontextmanager
async def anklet_world(
    log_folder: Path, *, central_mtu: int | None = 247, peripheral_mtu: int = 247, max_log_bytes: int | None = None
) -> AsyncIterator[World]:
    radio = LocalRadio()
    anklet = await start_firmware_anklet(radio, str(log_folder), mtu=peripheral_mtu, max_log_bytes=max_log_bytes)
    central = await radio.central(mtu=central_mtu)
    try:
        yield World(radio, anklet, central, Radio.from_central(central, "local link"))
    finally:
        await anklet.stop()
        assert anklet.ble.irq_errors == []


def minute_record(i: int) -> bytes:
    """Minute record ``i`` of a day: distinct, checkable counts."""
    buf = bytearray(packets.RECORD_SIZE)
    packets.pack_minute_into(buf, 0, 1, 7, T0_MIN + i, i % 50, 1, 2, i % 30, i % 20, 3, 90 + i % 40, i % 61)
    return bytes(buf)


def fill_log(anklet: FirmwareAnklet, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        anklet.log.append(minute_record(i))


class ServedAnklet:
    """The firmware peripheral in a background thread with its own event loop, its controller served on a TCP port.

    A command run in the test's thread reaches it with ``--via tcp-client:127.0.0.1:<port>`` (``via``), exactly as it
    reaches the virtual anklet with ``--via sim``. While connected the anklet "walks": live counters every 50 ms, raw
    samples at its sample rate when the host turns the raw stream on.
    """

    def __init__(self, log_folder: Path, records: int = 0) -> None:
        self.log_folder = log_folder
        self.records = records
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.anklet: FirmwareAnklet | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    @property
    def via(self) -> str:
        return f"tcp-client:127.0.0.1:{self.port}"

    def __enter__(self) -> ServedAnklet:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the served anklet did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        radio = LocalRadio()
        self.anklet = await start_firmware_anklet(radio, str(self.log_folder))
        fill_log(self.anklet, self.records)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio turns Nagle off
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        server = await serve_controller(radio, sock)
        walker = asyncio.get_running_loop().create_task(self._walk(self.anklet))
        self._ready.set()
        await self._stop.wait()
        walker.cancel()
        await self.anklet.stop()
        await server.close()
        sock.close()

    @staticmethod
    async def _walk(anklet: FirmwareAnklet) -> None:
        peripheral = anklet.peripheral
        index = 0
        contacts = 0
        while True:
            await asyncio.sleep(0.05)
            if not peripheral.connected:
                continue
            contacts += 1
            peripheral.send_live(contacts, contacts // 2, contacts // 4, 2 * contacts, 104, contacts, 1)
            for _ in range(3):  # 3 samples per 50 ms is 60 Hz: faster than real time, fine for a test
                z = 1000 + int(300 * math.sin(index / 8))
                peripheral.add_raw(index % 100 - 50, -index % 7, z, 976)  # 976 ug/count: 2 g over +-2048
                index += 1


class LinkCutter:
    """Drops the link from the anklet's side right after the ``at``-th sync event (a control-point write it received
    or a sync-data notification it sent), once. ``events`` counts them all, to find every stage of a sync."""

    def __init__(self, anklet: FirmwareAnklet, at: int = 0) -> None:
        self.anklet = anklet
        self.at = at
        self.events = 0
        self.cut = False
        ble = anklet.ble
        peripheral = anklet.peripheral
        original_fire = ble._fire
        original_notify = ble.gatts_notify

        def count(conn_handle: int) -> None:
            self.events += 1
            if self.events == self.at and not self.cut:
                self.cut = True
                ble.gap_disconnect(conn_handle)

        def fire(event: int, data: tuple[object, ...]) -> object:
            result = original_fire(event, data)
            if event == 3 and data[1] == peripheral._h_control:
                count(int(data[0]))  # type: ignore[call-overload]
            return result

        def notify(conn_handle: int, value_handle: int, data: bytes | None = None) -> None:
            original_notify(conn_handle, value_handle, data)
            if value_handle == peripheral._h_sync:
                count(conn_handle)

        ble._fire = fire
        ble.gatts_notify = notify
