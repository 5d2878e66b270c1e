"""The virtual anklet's radio: the simulated ``bluetooth`` module inside the VM (vmlib/bluetooth.py) on one side, a
bumble peripheral on a bumble link on the other, and bumble HCI served over TCP (one controller on the link per
connected laptop), so the host's unchanged bleak code (``anklet scan/live/sync --via sim``) talks to the firmware's
real GATT table.

Every call the firmware makes that touches the air arrives as a board event ``{"ev": "ble", "call": ...}`` and is
replayed, in order, on a ``ble_bumble.BLE`` (MicroPython's ``bluetooth.BLE`` on a bumble ``Device``); every IRQ that
BLE raises (connect, disconnect, a write from the central, MTU exchanged) goes back into the VM as a host event
``{"op": "ble", "irq": ...}``. The VM numbers its attribute handles itself, as NimBLE does on the chip; the bridge
maps them to bumble's by position. A notification's stack buffer is handed back to the VM
(``{"op": "ble", "sent": n, "conn": c}``) once the controller has taken every fragment of it, which is what bounds the
VM's notification pool (``gatts_notify`` raises ``OSError(ENOMEM)`` when it is full).

Each boot of the board gets a fresh peripheral: when a boot ends (reset, power cut, deep sleep) its links drop with a
connection timeout, as the central's supervision timer would end them, and its controller leaves the link; the next
boot registers its services anew. `drop_link` drops the links of a running board the same way (walking out of range);
`watch_air` sees every notification the board sends and every write it receives, and may drop the links right after
any one of them (a fault at an exact stage of a protocol).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from bumble import hci
from bumble.controller import Controller
from bumble.device import Device
from bumble.host import Host
from bumble.transport.common import AsyncPipeSink

from anklet_host.ble.backend import bleak_uuid
from anklet_host.ble.client import SIM_PORT
from anklet_host.ble.inprocess import LocalRadio, serve_controller
from anklet_host.errors import AnkletError
from anklet_host.sim import ble_bumble
from anklet_host.sim.board.supervisor import SimBoard

HOST = "127.0.0.1"
# A board that goes silent (power cut, reset, out of range) ends its links the only way a central can tell: its
# supervision timer runs out.
_SILENT = hci.HCI_CONNECTION_TIMEOUT_ERROR
# The VM's pool of notification buffers is the bound; the bumble side must never refuse one on top of it.
_UNBOUNDED = 1 << 30
_TEARDOWN_S = 2.0


@dataclass
class BridgeStats:
    """What went over the simulated air (all boots)."""

    boots_with_radio: int = 0
    connections: int = 0
    notifications: int = 0
    notify_bytes: int = 0
    largest_notification: int = 0
    writes_from_central: int = 0
    notifications_lost: int = 0  # sent by the firmware after its link had already dropped
    calls: collections.Counter[str] = field(default_factory=collections.Counter)


@dataclass(frozen=True)
class AirEvent:
    """One packet over the simulated air, as `watch_air` sees it."""

    sent_by_board: bool  # True: a notification the board sent; False: a write the board received
    characteristic_uuid: str  # lower case, as bleak writes it
    data: bytes
    connection: int  # which connection of the bridge's life this is on (1 = the first; stats.connections)


AirWatcher = Callable[[AirEvent], bool]
"""Called on the radio's thread for every `AirEvent`; True drops the board's links right after that packet."""


class _Peripheral:
    """One boot's radio: a bumble device on the link, the BLE replaying the VM's calls, the handle maps."""

    def __init__(self, device: Device, controller: Controller, ble: ble_bumble.BLE, mac: bytes) -> None:
        self.device = device
        self.mac = mac
        self.controller = controller
        self.ble = ble
        self.to_bumble: dict[int, int] = {}
        self.to_vm: dict[int, int] = {}
        self.uuid_of: dict[int, str] = {}  # VM handle -> the attribute's UUID as bleak writes it
        self.registered = False
        # (conn handle, queue position of the notification's last fragment), oldest first.
        self.in_flight: collections.deque[tuple[int, int]] = collections.deque()
        self.watched_queues: set[int] = set()
        # The links are being dropped: from that instant nothing more goes over the air in either direction, however
        # long the radio takes to tear them down.
        self.silent = False


class BleBridge:
    """Serves ``board``'s radio on ``tcp-server:HOST:port`` (``port=0``: any free port, see ``port``/``via``).

    Use as a context manager or call `start` and `close`. `start` may come before or after the board powers on:
    the bridge asks the VM to announce what its radio already set up.

    The TCP link to the laptop's bumble stack runs without Nagle's algorithm, so a GATT round trip takes about a
    millisecond instead of ~45 ms (a sync's connection is set up in 20 ms instead of 1.5 s). The firmware must then
    cope with a disconnect arriving right after the laptop's last write, as it must on air
    (tests/test_sim_sync_faults.py).
    """

    def __init__(self, board: SimBoard, *, port: int = SIM_PORT, host: str = HOST) -> None:
        self.board = board
        self.host = host
        self.port = port
        self.stats = BridgeStats()
        self.errors: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._calls: asyncio.Queue[dict[str, Any]] | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._closing = False
        self._thread: threading.Thread | None = None
        self._radio: LocalRadio | None = None
        self._peripheral: _Peripheral | None = None
        self._sock: socket.socket | None = None
        self._drop: list[Any] | None = None  # [notifications left, characteristic UUID or None, threading.Event]
        self._tasks: set[asyncio.Task[None]] = set()
        self._watcher: AirWatcher | None = None
        self._heard_boot = False  # the VM's own active(True) of this boot came through (not just its replay)

    @property
    def via(self) -> str:
        """What ``anklet ... --via`` takes to reach the virtual anklet (``sim`` when the port is SIM_PORT)."""
        return f"tcp-client:{self.host}:{self.port}"

    # ----------------------------------------------------------------------------------------------- lifecycle
    def start(self) -> Self:
        # With IPPROTO_TCP named, asyncio turns Nagle's algorithm off on each accepted link (it checks the protocol
        # number, which a plain socket() leaves at 0).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise AnkletError(f"cannot serve the virtual anklet's radio on {self.host}:{self.port}: {exc}") from None
        self.port = sock.getsockname()[1]
        self._sock = sock
        self._thread = threading.Thread(target=self._thread_main, name="sim-ble", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._failed is not None:
            self.close()
            raise AnkletError(f"the virtual anklet's radio did not start: {self._failed}")
        self.board.on_event(self._from_board)
        self.board.send_event({"op": "ble", "announce": 1})
        return self

    def close(self) -> None:
        self._closing = True
        loop = self._loop
        if loop is not None and self._calls is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._calls.put_nowait, {"call": "_stop"})
        if self._thread is not None:
            self._thread.join(10)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start(), or kept for the tests
            self._failed = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._calls = asyncio.Queue()
        self._radio = LocalRadio()
        assert self._sock is not None
        server = await serve_controller(self._radio, self._sock)
        self._ready.set()
        try:
            while True:
                call = await self._calls.get()
                if call.get("call") == "_stop":
                    break
                try:
                    await self._handle(call)
                except Exception as exc:  # one bad call must not take the radio down; tests read `errors`
                    self.errors.append(f"{call.get('call')}: {type(exc).__name__}: {exc}")
        finally:
            await self._teardown()
            await server.close()

    # ------------------------------------------------------------------------------------------- board -> radio
    def _from_board(self, event: dict[str, Any]) -> None:
        """Called on the supervisor's thread for every board event; ours go to the radio's loop, in order."""
        kind = event.get("ev")
        if kind not in ("ble", "off") or self._closing or self._loop is None or self._calls is None:
            return
        call = event if kind == "ble" else {"call": "off"}
        with contextlib.suppress(RuntimeError):  # the loop is closing
            self._loop.call_soon_threadsafe(self._calls.put_nowait, call)

    async def _handle(self, call: dict[str, Any]) -> None:
        name = str(call["call"])
        if call.get("replay") and self._heard_boot:
            return  # the VM's answer to our announce, but every original call of this boot came through
        self.stats.calls[name] += 1
        if name == "active":
            self._heard_boot = not call.get("replay") and bool(call["on"])
            if call["on"]:
                await self._power_on(bytes.fromhex(call["mac"]), str(call["name"]), int(call["mtu"]))
            else:
                await self._teardown()
            return
        if name == "off":
            self._heard_boot = False
            await self._teardown()
            return
        p = self._peripheral
        if p is None:
            return  # the VM's radio is off (a call after active(False)): nothing on the air
        if name == "services":
            await self._services(p, call)
        else:
            self._on_air(p, name, call)

    async def _services(self, p: _Peripheral, call: dict[str, Any]) -> None:
        if p.registered:
            # Registering again replaces the whole table; bumble cannot remove services, so the radio restarts and
            # the VM hears its links drop.
            links = list(p.device.connections)
            await self._power_on(p.mac, p.device.name, int(p.ble.config("mtu")))
            for conn in links:
                self._to_vm({"op": "ble", "irq": ble_bumble.IRQ_CENTRAL_DISCONNECT, "conn": conn,
                             "addr_type": 0, "addr": "00" * 6})  # fmt: skip
            new = self._peripheral
            assert new is not None
            p = new
        self._register(p, call["services"], call["handles"])

    def _on_air(self, p: _Peripheral, name: str, call: dict[str, Any]) -> None:
        ble = p.ble
        if name == "write":
            ble.gatts_write(p.to_bumble[int(call["handle"])], bytes.fromhex(call["data"]), bool(call["update"]))
        elif name == "buffer":
            ble.gatts_set_buffer(p.to_bumble[int(call["handle"])], int(call["size"]), bool(call["append"]))
        elif name == "notify":
            self._notify(p, int(call["conn"]), int(call["handle"]), bytes.fromhex(call["data"]))
        elif name == "advertise":
            interval_us = call.get("interval_us")
            if interval_us is None:
                ble.gap_advertise(None)
            else:
                data = bytes.fromhex(call["adv"])
                response = bytes.fromhex(call["resp"])
                ble.gap_advertise(int(interval_us), data, resp_data=response, connectable=bool(call["connectable"]))
        elif name == "disconnect":
            ble.gap_disconnect(int(call["conn"]))
        elif name == "config":
            if "name" in call:
                ble.config(gap_name=str(call["name"]))
            if "mtu" in call:
                ble.config(mtu=int(call["mtu"]))

    async def _power_on(self, mac: bytes, name: str, mtu: int) -> None:
        await self._teardown()
        assert self._radio is not None
        address = ":".join(f"{b:02X}" for b in mac)
        controller = Controller(f"virtual-anklet-{address}", link=self._radio.link, public_address=address)
        device = Device(name=name, address=hci.Address(address), host=Host(controller, AsyncPipeSink(controller)))
        await device.power_on()
        ble = ble_bumble.BLE(device, pending_limit=_UNBOUNDED)
        ble.config(gap_name=name, mtu=mtu)
        peripheral = _Peripheral(device, controller, ble, mac)
        ble.irq(lambda event, data: self._irq(peripheral, event, data))
        self._peripheral = peripheral
        self.stats.boots_with_radio += 1

    async def _teardown(self) -> None:
        """The board's radio went silent: its links drop, it stops advertising and leaves the link."""
        p, self._peripheral = self._peripheral, None
        if p is None:
            return
        device = p.device
        for connection in list(device.connections.values()):
            with contextlib.suppress(Exception):
                async with asyncio.timeout(_TEARDOWN_S):
                    await connection.disconnect(reason=_SILENT)
        with contextlib.suppress(Exception):
            if device.is_advertising:
                await device.stop_advertising()
        assert self._radio is not None
        with contextlib.suppress(KeyError):
            self._radio.link.remove_controller(p.controller)

    def _register(self, p: _Peripheral, services: list[Any], vm_handles: list[list[int]]) -> None:
        definition = tuple(
            (
                _uuid(service_uuid),
                tuple(
                    (_uuid(char_uuid), int(flags), tuple((_uuid(d), int(f)) for d, f in descriptors))
                    for char_uuid, flags, descriptors in characteristics
                ),
            )
            for service_uuid, characteristics in services
        )
        bumble_handles = p.ble.gatts_register_services(definition)
        for vm_group, bumble_group, (_, characteristics) in zip(vm_handles, bumble_handles, definition, strict=True):
            uuids = [
                u for char_uuid, _, descriptors in characteristics for u in (char_uuid, *(d for d, _ in descriptors))
            ]
            for vm_handle, bumble_handle, uuid in zip(vm_group, bumble_group, uuids, strict=True):
                p.to_bumble[int(vm_handle)] = bumble_handle
                p.to_vm[bumble_handle] = int(vm_handle)
                p.uuid_of[int(vm_handle)] = bleak_uuid(uuid.to_bumble())
        p.registered = True

    def _notify(self, p: _Peripheral, conn: int, vm_handle: int, data: bytes) -> None:
        sent = not p.silent  # a link being dropped carries nothing more
        if sent:
            try:
                p.ble.gatts_notify(conn, p.to_bumble[vm_handle], data)
            except OSError:
                sent = False
        if not sent:
            # The link dropped while the VM was sending (its disconnect IRQ is on the way): the packet is lost,
            # as it is on a board, and its buffer is free again.
            self.stats.notifications_lost += 1
            self._to_vm({"op": "ble", "sent": 1, "conn": conn})
            return
        self.stats.notifications += 1
        self.stats.notify_bytes += len(data)
        self.stats.largest_notification = max(self.stats.largest_notification, len(data))
        uuid = p.uuid_of.get(vm_handle, "")
        self._count_towards_drop(p, uuid)
        if self._watch(AirEvent(True, uuid, data, self.stats.connections)):
            self._cut_links(p, threading.Event())
        connection = p.device.connections.get(conn)
        queue = connection.data_packet_queue if connection is not None else None
        if queue is None:
            self._to_vm({"op": "ble", "sent": 1, "conn": conn})
            return
        if id(queue) not in p.watched_queues:
            p.watched_queues.add(id(queue))
            queue.on("flow", lambda: self._on_flow(p, queue))
        p.in_flight.append((conn, queue.queued))
        self._on_flow(p, queue)

    def _on_flow(self, p: _Peripheral, queue: Any) -> None:
        """Hand back the VM's buffers of every notification the controller has fully taken."""
        done: collections.Counter[int] = collections.Counter()
        while p.in_flight and p.in_flight[0][1] <= queue.completed:
            conn, _ = p.in_flight.popleft()
            done[conn] += 1
        for conn, count in done.items():
            self._to_vm({"op": "ble", "sent": count, "conn": conn})

    # ------------------------------------------------------------------------------------------------ link loss
    def drop_link(self, after_notifications: int = 0, characteristic_uuid: str | None = None) -> threading.Event:
        """Drop the board's links as walking out of range does, right after it has sent ``after_notifications`` more
        notifications (of the characteristic with ``characteristic_uuid`` only, if given; 0: now). The board keeps
        running and advertising; the returned event is set once the links are down."""
        done = threading.Event()
        wanted = characteristic_uuid.lower() if characteristic_uuid else None

        def arm() -> None:
            self._drop = [after_notifications, wanted, done]
            if after_notifications <= 0 and self._peripheral is not None:
                self._count_towards_drop(self._peripheral, wanted or "", arming=True)

        if self._loop is None:
            raise AnkletError("the virtual anklet's radio is not running")
        self._loop.call_soon_threadsafe(arm)
        return done

    def _count_towards_drop(self, p: _Peripheral, uuid: str, *, arming: bool = False) -> None:
        drop = self._drop
        if drop is None:
            return
        left, wanted, done = drop
        if not arming:
            if wanted is not None and uuid != wanted:
                return
            left -= 1
            drop[0] = left
        if left > 0:
            return
        self._drop = None
        self._cut_links(p, done)

    def watch_air(self, watcher: AirWatcher | None) -> None:
        """Show ``watcher`` every packet over the air from now on (None: stop); when it returns True the board's links
        drop right after that packet, as `drop_link` drops them: the board has sent the notification (it is on its
        way) or has been handed the write, then the link is gone."""
        if self._loop is None:
            raise AnkletError("the virtual anklet's radio is not running")

        def install() -> None:
            self._watcher = watcher

        self._loop.call_soon_threadsafe(install)

    def _watch(self, event: AirEvent) -> bool:
        """Whether the watcher wants the links dropped right after ``event``."""
        watcher = self._watcher
        if watcher is None:
            return False
        try:
            return watcher(event)
        except Exception as exc:  # a broken watcher must not take the radio down; tests read `errors`
            self.errors.append(f"watcher: {type(exc).__name__}: {exc}")
            return False

    def _cut_links(self, p: _Peripheral, done: threading.Event, before: list[dict[str, Any]] | None = None) -> None:
        """Drop every link of ``p`` now: the board hears of it at once (right after the events in ``before``, handed
        over with it), the air goes silent, and the radio tears the links down (the central sees them time out)."""
        p.silent = True
        lost = []
        for handle, connection in p.device.connections.items():
            address = connection.peer_address
            lost.append({"op": "ble", "irq": ble_bumble.IRQ_CENTRAL_DISCONNECT, "conn": handle,
                         "addr_type": int(address.address_type) & 1, "addr": bytes(address)[::-1].hex()})  # fmt: skip
        self.board.send_events([*(before or []), *lost])

        async def cut() -> None:
            for connection in list(p.device.connections.values()):
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(_TEARDOWN_S):
                        await connection.disconnect(reason=_SILENT)
            done.set()

        task = asyncio.get_running_loop().create_task(cut())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------------------------------- radio -> board
    def _irq(self, p: _Peripheral, event: int, data: tuple[Any, ...]) -> int | None:
        if p is not self._peripheral:
            return None  # a radio of a boot that has ended
        if event in (ble_bumble.IRQ_CENTRAL_CONNECT, ble_bumble.IRQ_CENTRAL_DISCONNECT):
            conn, address_type, address = int(data[0]), int(data[1]), bytes(data[2])
            if event == ble_bumble.IRQ_CENTRAL_CONNECT:
                self.stats.connections += 1
                p.silent = False
            else:
                # Packets still queued for this link are gone with it; the VM frees their buffers on the IRQ.
                p.in_flight = collections.deque(item for item in p.in_flight if item[0] != conn)
            self._to_vm({"op": "ble", "irq": event, "conn": conn, "addr_type": address_type, "addr": address.hex()})
        elif event == ble_bumble.IRQ_MTU_EXCHANGED:
            self._to_vm({"op": "ble", "irq": event, "conn": int(data[0]), "mtu": int(data[1])})
        elif event == ble_bumble.IRQ_GATTS_WRITE and not p.silent:
            conn, bumble_handle = int(data[0]), int(data[1])
            self.stats.writes_from_central += 1
            value = p.ble.gatts_read(bumble_handle)  # as stored: truncated or appended by the buffer's rules
            vm_handle = p.to_vm[bumble_handle]
            write = {"op": "ble", "irq": event, "conn": conn, "handle": vm_handle, "value": value.hex()}
            if self._watch(AirEvent(False, p.uuid_of.get(vm_handle, ""), bytes(value), self.stats.connections)):
                self._cut_links(p, threading.Event(), before=[write])
            else:
                self._to_vm(write)
        return None  # reads are served from the mirrored values: never denied

    def _to_vm(self, event: dict[str, Any]) -> None:
        self.board.send_event(event)


def _uuid(raw_hex: str) -> ble_bumble.UUID:
    raw = bytes.fromhex(raw_hex)
    if len(raw) == 2:
        return ble_bumble.UUID(int.from_bytes(raw, "little"))
    return ble_bumble.UUID(raw[::-1].hex())


def start_ble_bridge(board: SimBoard, port: int = SIM_PORT, host: str = HOST) -> BleBridge:
    """Serve ``board``'s radio for ``anklet ... --via sim`` (or ``--via tcp-client:HOST:PORT`` for another port);
    call before or after ``board.start()``. Returns the running bridge; ``close()`` it when the sim stops."""
    return BleBridge(board, port=port, host=host).start()
