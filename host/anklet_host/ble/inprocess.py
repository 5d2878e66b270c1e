"""Bluetooth without a radio: bumble controllers on one in-process ``LocalLink``, and a way to serve one over HCI.

``LocalRadio`` puts a central (for bleak, through ``BumbleCentral``) and any number of peripherals (for the firmware,
through ``anklet_host.sim.ble_bumble``) on one link: real link-layer connections, ATT/GATT and MTU exchange, all in
the running event loop. ``serve_controller`` exposes a controller of the link on a bumble transport (for example
``tcp-server:127.0.0.1:7043``), so a central in another process (``anklet --via sim ...``) reaches the peripherals.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import socket
import time
from typing import Any

from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from anklet_host.ble.backend import CENTRAL_ADDRESS, DEFAULT_CENTRAL_MTU, BumbleCentral

_counter = itertools.count(1)


class LocalRadio:
    """One in-process link; devices on it see each other's advertisements and can connect."""

    def __init__(self) -> None:
        self.link = LocalLink()  # type: ignore[no-untyped-call]  # bumble leaves it unannotated

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


async def serve_controller(
    radio: LocalRadio,
    transport_spec: str | None = None,
    *,
    sock: socket.socket | None = None,
    address: str = CENTRAL_ADDRESS,
) -> Any:
    """Serve a controller on ``radio``'s link over a bumble transport (``tcp-server:127.0.0.1:7043``), or over TCP on
    an already bound ``sock`` (to let the OS pick the port). Returns the transport; close it when done."""
    from bumble.transport import open_transport  # noqa: PLC0415 - only the serving path needs it
    from bumble.transport.tcp_server import open_tcp_server_transport_with_socket  # noqa: PLC0415

    if sock is not None:
        transport = await open_tcp_server_transport_with_socket(sock)
    elif transport_spec is not None:
        transport = await open_transport(transport_spec)
    else:
        raise ValueError("give a transport spec or a socket")
    Controller(
        "served-controller",
        host_source=transport.source,
        host_sink=transport.sink,
        link=radio.link,
        public_address=address,
    )
    return transport


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

    def on_settings(rate_hz: int, placement: int, goal_min: int, auto_start: bool) -> None:
        holder[0].settings_applied.append((rate_hz, placement, goal_min, auto_start))

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
