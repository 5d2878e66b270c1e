"""Bluetooth without a radio: bumble controllers on one in-process ``LocalLink``, and a way to serve one over HCI.

``LocalRadio`` puts a central (for bleak, through ``BumbleCentral``) and any number of peripherals (for the firmware,
through ``anklet_host.sim.ble_bumble``) on one link: real link-layer connections, ATT/GATT and MTU exchange, all in
the running event loop. ``serve_controller`` serves the link over TCP, a controller per connecting host, so a central
in another process (``anklet --via tcp-client:127.0.0.1:PORT ...``) reaches the peripherals.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import socket
import time
from typing import Any

from bumble import hci, ll
from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink, StreamPacketSink, StreamPacketSource

from anklet_host.ble.backend import CENTRAL_ADDRESS, DEFAULT_CENTRAL_MTU, BumbleCentral

_counter = itertools.count(1)


class _Link(LocalLink):
    """bumble's ``LocalLink`` with one rule of a real radio it lacks: an advertiser takes one connection request per
    advertisement. Two centrals that see the same advertisement both ask; bumble completes both on their side while
    the anklet takes only the first, and the second one's requests then go unanswered (a GATT timeout). Here the
    second one's request waits, as on air, until the advertiser advertises again."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # bumble leaves it unannotated
        self._asked: set[hci.Address] = set()  # advertisers with a connection request since their last advertisement

    def ask_to_connect(self, advertiser: hci.Address) -> bool:
        """Whether a central may send its connection request to ``advertiser`` now."""
        if advertiser in self._asked:
            return False
        self._asked.add(advertiser)
        return True

    def send_advertising_pdu(self, sender_controller: Controller, packet: ll.AdvertisingPdu) -> None:
        if isinstance(packet, ll.AdvInd | ll.AdvExtInd):
            self._asked.discard(packet.advertiser_address)
        super().send_advertising_pdu(sender_controller, packet)


class _CentralController(Controller):
    """A central's controller on a `_Link`: its connection request waits for an advertisement no one else answered."""

    def create_le_connection(self, peer_address: hci.Address) -> None:
        if isinstance(self.link, _Link) and not self.link.ask_to_connect(peer_address):
            return  # still pending: the next advertisement brings it back here
        super().create_le_connection(peer_address)


class LocalRadio:
    """One in-process link; devices on it see each other's advertisements and can connect."""

    def __init__(self) -> None:
        self.link = _Link()

    def _device(self, name: str, address: str) -> Device:
        controller = Controller(f"{name}-controller-{next(_counter)}", link=self.link, public_address=address)
        return Device(name=name, address=Address(address), host=Host(controller, AsyncPipeSink(controller)))

    async def peripheral_device(self, name: str = "anklet", address: str = "F0:A1:E7:00:00:01") -> Device:
        """A powered-on bumble device to hand to ``ble_bumble.BLE`` (the anklet's radio)."""
        device = self._device(name, address)
        await device.power_on()
        return device

    async def central(self, *, mtu: int | None = DEFAULT_CENTRAL_MTU, address: str = CENTRAL_ADDRESS) -> BumbleCentral:
        """The laptop's radio for bleak; ``mtu=None`` never starts an MTU exchange (the link stays at 23 bytes)."""
        device = self._device("anklet-host", address)
        await device.power_on()
        return BumbleCentral(device, mtu=mtu)


class _HostConnection(asyncio.Protocol):
    """One host (bleak on a bumble ``Device``, over ``tcp-client:``) on the link: a controller of its own for as long
    as its TCP connection lasts.

    A controller per connection, not one shared by all (as bumble's ``tcp-server`` transport would have it): a host
    that leaves and the next one that arrives never see each other's packets, and a host that vanishes (a killed
    ``anklet live``) ends its links as the peripheral's supervision timer would, so the anklet advertises again.
    """

    def __init__(self, link: LocalLink, registry: set[_HostConnection]) -> None:
        self.link = link
        self.registry = registry
        self.source = StreamPacketSource()
        self.controller: Controller | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.controller = _CentralController(
            "laptop", host_source=self.source, host_sink=StreamPacketSink(transport), link=self.link,
            public_address=CENTRAL_ADDRESS,
        )  # fmt: skip
        self.registry.add(self)

    def data_received(self, data: bytes) -> None:
        self.source.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        del exc  # asyncio.Protocol's signature: how the connection ended changes nothing here
        self.registry.discard(self)
        controller, self.controller = self.controller, None
        if controller is None:
            return
        controller.host = None  # nobody is listening any more
        for connection in list(controller.le_connections.values()):
            controller.on_hci_disconnect_command(
                hci.HCI_Disconnect_Command(connection_handle=connection.handle, reason=hci.HCI_CONNECTION_TIMEOUT_ERROR)
            )
        with contextlib.suppress(KeyError):
            self.link.remove_controller(controller)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class ControllerServer:
    """Hosts in other processes reach ``radio``'s link over TCP (``--via tcp-client:HOST:PORT``)."""

    def __init__(self, server: asyncio.Server, connections: set[_HostConnection]) -> None:
        self._server = server
        self._connections = connections

    async def close(self) -> None:
        self._server.close()
        for connection in list(self._connections):
            connection.close()
        await self._server.wait_closed()


async def serve_controller(radio: LocalRadio, sock: socket.socket) -> ControllerServer:
    """Serve controllers of ``radio``'s link on the bound TCP ``sock``, one per connecting host."""
    connections: set[_HostConnection] = set()
    server = await asyncio.get_running_loop().create_server(lambda: _HostConnection(radio.link, connections), sock=sock)
    return ControllerServer(server, connections)


class FirmwareAnklet:
    """The firmware's own GATT server (``anklet.ble.peripheral``) running under CPython on a ``LocalRadio``."""

    def __init__(self, ble: Any, peripheral: Any, log: Any, task: asyncio.Task[None]) -> None:
        self.ble = ble
        self.peripheral = peripheral
        self.log = log
        self.task = task
        self.clock_set_unix_s: list[int] = []
        self.settings_applied: list[tuple[int, int, int, bool]] = []

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.log.close()


INFO = ("anklet project", "anklet-esp32", "0001", "0.1.0", "sim")
BOOT_ID = 7
SIM_ADV_INTERVAL_US = 20_000  # the shortest legal interval: nothing to save on a simulated battery


async def start_firmware_anklet(
    radio: LocalRadio,
    log_folder: str,
    *,
    name: str = "anklet",
    address: str = "F0:A1:E7:00:00:01",
    mtu: int = 247,
    settings: tuple[int, int, int, bool] = (52, 0, 10, True),
    max_log_bytes: int | None = None,
) -> FirmwareAnklet:
    """Start the firmware peripheral with a flash log in ``log_folder`` (a host folder stands in for flash)."""
    from anklet_host.sim import ble_bumble  # noqa: PLC0415 - installs the simulated `bluetooth` first

    ble_bumble.install()
    # Imported by name: the module imports `bluetooth`, which exists only on a board or once installed above.
    peripheral_class = importlib.import_module("anklet.ble.peripheral").Peripheral
    from anklet.flashlog import FlashLog  # noqa: PLC0415

    device = await radio.peripheral_device(name, address)
    ble = ble_bumble.BLE(device)
    log = FlashLog(log_folder) if max_log_bytes is None else FlashLog(log_folder, max_bytes=max_log_bytes)
    holder: list[FirmwareAnklet] = []

    def on_clock(unix_s: int) -> None:
        holder[0].clock_set_unix_s.append(unix_s)

    def on_settings(rate_hz: int, leg: int, goal_min: int, auto_start: bool) -> tuple[int, int, int, bool]:
        holder[0].settings_applied.append((rate_hz, leg, goal_min, auto_start))
        return (rate_hz, leg, goal_min, auto_start)

    booted_s = time.monotonic()

    def device_time() -> tuple[int, int, int]:
        uptime_s = int(time.monotonic() - booted_s)
        clock = holder[0].clock_set_unix_s
        return (BOOT_ID, uptime_s, clock[-1] if clock else 0)

    peripheral = peripheral_class(
        ble,
        name,
        INFO,
        log,
        settings,
        on_settings=on_settings,
        on_clock=on_clock,
        device_time=device_time,
        mtu=mtu,
        adv_interval_us=SIM_ADV_INTERVAL_US,
    )
    task = asyncio.get_running_loop().create_task(peripheral.run())
    anklet = FirmwareAnklet(ble, peripheral, log, task)
    holder.append(anklet)
    return anklet
