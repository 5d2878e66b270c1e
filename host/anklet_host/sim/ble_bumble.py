"""MicroPython's low-level ``bluetooth`` module, implemented in CPython on a bumble peripheral ``Device``.

The firmware's GATT server (``firmware/anklet/ble/``) is written against MicroPython's ``bluetooth.BLE``. This module
offers the same names (``BLE``, ``UUID``, ``FLAG_*``) with the same semantics, so that very code runs under CPython
against a bumble controller (on an in-process ``LocalLink`` or behind any bumble HCI transport) and a real bleak
central can talk to it. Install it as ``sys.modules["bluetooth"]`` before importing the firmware's BLE layer.

What it reproduces, because the firmware depends on it (MicroPython docs, ``bluetooth`` module; NimBLE port):

- ``irq(handler)`` events with MicroPython's numbers and data tuples: central connect/disconnect, GATTS write,
  GATTS read request (a non-zero return denies the read), MTU exchanged.
- A local value per characteristic: 20 bytes by default (``gatts_set_buffer`` to change), a remote write longer than
  that is truncated, ``gatts_write`` from the device grows it.
- ``gatts_notify`` sends whatever the CCCD says (as NimBLE does), truncated to ATT_MTU - 3, and raises
  ``OSError(ENOMEM)`` when too many packets are waiting for the controller: the firmware must queue and retry, as it
  must on a board when NimBLE runs out of buffers.
- ``config(mtu=...)`` is the largest MTU the device will accept in an exchange; ``config(gap_name=...)`` the name.

Calls that are synchronous in MicroPython but asynchronous in bumble (advertising, disconnecting) are scheduled on the
running event loop, in call order.
"""

from __future__ import annotations

import asyncio
import errno
import struct
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, cast

from bumble import att, gatt
from bumble import core as bumble_core
from bumble.device import Connection, Device
from bumble.gatt_server import Server

FLAG_BROADCAST = 0x0001
FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020

# Event numbers from MicroPython's docs (the values every firmware copies into its own const()s).
IRQ_CENTRAL_CONNECT = 1
IRQ_CENTRAL_DISCONNECT = 2
IRQ_GATTS_WRITE = 3
IRQ_GATTS_READ_REQUEST = 4
IRQ_MTU_EXCHANGED = 21

DEFAULT_VALUE_BYTES = 20  # MicroPython's MP_BLUETOOTH_DEFAULT_ATTR_LEN
DEFAULT_PENDING_LIMIT = 12  # ACL packets waiting for the controller before gatts_notify reports ENOMEM

IrqHandler = Callable[[int, tuple[Any, ...]], Any]
_FLAG_TO_PROPERTY = {
    FLAG_BROADCAST: gatt.Characteristic.Properties.BROADCAST,
    FLAG_READ: gatt.Characteristic.Properties.READ,
    FLAG_WRITE_NO_RESPONSE: gatt.Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
    FLAG_WRITE: gatt.Characteristic.Properties.WRITE,
    FLAG_NOTIFY: gatt.Characteristic.Properties.NOTIFY,
    FLAG_INDICATE: gatt.Characteristic.Properties.INDICATE,
}


class UUID(bytes):
    """``bluetooth.UUID``: a subclass of bytes (MicroPython's ``bytes(obj)`` ignores ``__bytes__``), little-endian.

    Built from a 16-bit integer or a 128-bit UUID string; ``str()`` gives the form bumble and bleak use.
    """

    def __new__(cls, value: int | str | UUID) -> UUID:
        if isinstance(value, UUID):
            return super().__new__(cls, bytes(value))
        if isinstance(value, int):
            if not 0 <= value <= 0xFFFF:
                raise ValueError(f"a 16-bit UUID must be 0..0xFFFF, not {value:#x}")
            return super().__new__(cls, struct.pack("<H", value))
        digits = value.replace("-", "")
        if len(digits) != 32:
            raise ValueError(f"invalid UUID string: {value!r}")
        return super().__new__(cls, bytes.fromhex(digits)[::-1])

    def to_bumble(self) -> bumble_core.UUID:
        return bumble_core.UUID.from_bytes(bytes(self))

    def __str__(self) -> str:
        return str(self.to_bumble())

    def __repr__(self) -> str:
        return f"UUID({self})"


class _LocalValue:
    """One attribute's local value, as MicroPython's GATTS database keeps it."""

    def __init__(self) -> None:
        self.handle = 0
        self.data = b""
        self.max_bytes = DEFAULT_VALUE_BYTES
        self.append = False


class BLE:
    """``bluetooth.BLE`` on a bumble ``Device`` that the caller has created (and powered on) on the running loop."""

    def __init__(self, device: Device, *, pending_limit: int = DEFAULT_PENDING_LIMIT) -> None:
        self._device = device
        self._server: Server = device.gatt_server
        self._handler: IrqHandler | None = None
        self._values: dict[int, _LocalValue] = {}
        self._connections: dict[int, Connection] = {}
        self._active = True
        self._pending_limit = pending_limit
        self._tasks: set[asyncio.Task[Any]] = set()
        self.irq_errors: list[BaseException] = []
        """Exceptions the firmware's IRQ handler raised (MicroPython prints them and carries on; tests check this)."""
        self.notifications_sent = 0
        self.notify_bytes_sent = 0
        device.on(device.EVENT_CONNECTION, self._on_connection)

    # ------------------------------------------------------------------------------------------------ configuration
    def active(self, change: bool | None = None) -> bool:
        if change is not None:
            self._active = bool(change)
            if not change:
                for handle in list(self._connections):
                    self.gap_disconnect(handle)
                self._schedule(self._device.stop_advertising())
        return self._active

    def config(self, *query: str, **changes: Any) -> Any:
        if query:
            (name,) = query
            if name == "mtu":
                return self._server.max_mtu
            if name == "gap_name":
                return self._device.name.encode()
            if name == "mac":
                address = self._device.random_address
                return (1, bytes(reversed(bytes(address))))
            raise ValueError(f"unknown config param {name!r}")
        for name, value in changes.items():
            if name == "mtu":
                if not att.ATT_DEFAULT_MTU <= int(value) <= 517:
                    raise ValueError("mtu must be 23..517")
                self._server.max_mtu = int(value)
            elif name == "gap_name":
                self._device.name = value.decode() if isinstance(value, bytes | bytearray) else str(value)
            elif name in ("rxbuf", "io", "bond", "le_secure", "mitm"):
                pass  # accepted and meaningless without a radio
            else:
                raise ValueError(f"unknown config param {name!r}")
        return None

    def irq(self, handler: IrqHandler | None) -> None:
        self._handler = handler

    # --------------------------------------------------------------------------------------------------------- GAP
    def gap_advertise(
        self,
        interval_us: int | None,
        adv_data: bytes | bytearray | memoryview | None = None,
        *,
        resp_data: bytes | bytearray | memoryview | None = None,
        connectable: bool = True,
    ) -> None:
        if interval_us is None:
            self._schedule(self._device.stop_advertising())
            return
        from bumble.device import AdvertisingType  # noqa: PLC0415 - keeps the module's import surface small

        kind = AdvertisingType.UNDIRECTED_CONNECTABLE_SCANNABLE if connectable else AdvertisingType.UNDIRECTED_SCANNABLE
        interval_ms = max(20.0, interval_us / 1000)

        async def start() -> None:
            if self._device.is_advertising:
                await self._device.stop_advertising()
            await self._device.start_advertising(
                advertising_type=kind,
                advertising_data=bytes(adv_data or b""),
                scan_response_data=bytes(resp_data or b""),
                advertising_interval_min=interval_ms,
                advertising_interval_max=interval_ms,
            )

        self._schedule(start())

    def gap_disconnect(self, conn_handle: int) -> bool:
        connection = self._connections.get(conn_handle)
        if connection is None:
            return False
        self._schedule(connection.disconnect())
        return True

    # ------------------------------------------------------------------------------------------------- GATT server
    def gatts_register_services(self, services_definition: Sequence[Any]) -> tuple[tuple[int, ...], ...]:
        all_handles: list[tuple[int, ...]] = []
        for service_uuid, characteristics in services_definition:
            bumble_characteristics: list[gatt.Characteristic[bytes]] = []
            registered: list[tuple[att.Attribute[Any], _LocalValue]] = []
            for definition in characteristics:
                char_uuid, flags = definition[0], definition[1]
                local = _LocalValue()
                descriptors: list[tuple[gatt.Descriptor, _LocalValue]] = []
                for desc_uuid, desc_flags in definition[2] if len(definition) > 2 else ():
                    desc_local = _LocalValue()
                    descriptor = gatt.Descriptor(
                        UUID(desc_uuid).to_bumble(), self._permissions(desc_flags), self._attribute_value(desc_local)
                    )
                    descriptors.append((descriptor, desc_local))
                characteristic: gatt.Characteristic[bytes] = gatt.Characteristic(
                    UUID(char_uuid).to_bumble(),
                    self._properties(flags),
                    self._permissions(flags),
                    cast(Any, self._attribute_value(local)),
                    [descriptor for descriptor, _ in descriptors],
                )
                registered.append((characteristic, local))
                registered.extend(descriptors)
                bumble_characteristics.append(characteristic)
            # bumble assigns the handles as it adds the service; MicroPython returns them in definition order.
            self._server.add_service(gatt.Service(UUID(service_uuid).to_bumble(), bumble_characteristics))
            for attribute, local in registered:
                local.handle = attribute.handle
                self._values[attribute.handle] = local
            all_handles.append(tuple(attribute.handle for attribute, _ in registered))
        return tuple(all_handles)

    def gatts_read(self, value_handle: int) -> bytes:
        return self._value(value_handle).data

    def gatts_write(self, value_handle: int, data: bytes | bytearray | memoryview, send_update: bool = False) -> None:
        value = self._value(value_handle)
        value.data = bytes(data)
        if send_update:
            for handle in list(self._connections):
                cccd = self._server.subscribers.get(self._connections[handle], {}).get(value_handle, b"\x00\x00")
                if cccd[0] & 0x01:
                    self.gatts_notify(handle, value_handle)

    def gatts_set_buffer(self, value_handle: int, length: int, append: bool = False) -> None:
        value = self._value(value_handle)
        value.max_bytes = int(length)
        value.append = bool(append)

    def gatts_notify(
        self, conn_handle: int, value_handle: int, data: bytes | bytearray | memoryview | None = None
    ) -> None:
        connection = self._connections.get(conn_handle)
        if connection is None:
            raise OSError(errno.ENOTCONN, "not connected")
        payload = self._value(value_handle).data if data is None else bytes(data)
        queue = connection.data_packet_queue
        if queue is not None and queue.pending >= self._pending_limit:
            raise OSError(errno.ENOMEM, "no buffer for the notification")
        payload = payload[: connection.att_mtu - 3]
        pdu = att.ATT_Handle_Value_Notification(attribute_handle=value_handle, attribute_value=payload)
        # Sent synchronously (bumble's notify_subscriber is a coroutine): notifications keep their call order.
        self._server.send_gatt_pdu(connection, bytes(pdu))
        self.notifications_sent += 1
        self.notify_bytes_sent += len(payload)

    # ------------------------------------------------------------------------------------------------------ events
    def _on_connection(self, connection: Connection) -> None:
        handle = connection.handle
        self._connections[handle] = connection
        address = bytes(reversed(bytes(connection.peer_address)))
        address_type = int(connection.peer_address.address_type) & 1

        def on_disconnection(_reason: int) -> None:
            self._connections.pop(handle, None)
            self._server.subscribers.pop(connection, None)
            self._fire(IRQ_CENTRAL_DISCONNECT, (handle, address_type, memoryview(address)))

        def on_mtu() -> None:
            self._fire(IRQ_MTU_EXCHANGED, (handle, connection.att_mtu))

        connection.on(connection.EVENT_DISCONNECTION, on_disconnection)
        connection.on(connection.EVENT_CONNECTION_ATT_MTU_UPDATE, on_mtu)
        self._fire(IRQ_CENTRAL_CONNECT, (handle, address_type, memoryview(address)))

    def _fire(self, event: int, data: tuple[Any, ...]) -> Any:
        if self._handler is None:
            return None
        try:
            return self._handler(event, data)
        except Exception as exc:  # MicroPython prints an IRQ handler's exception and carries on
            self.irq_errors.append(exc)
            traceback.print_exception(exc, file=sys.stderr)
            return None

    # ----------------------------------------------------------------------------------------------------- helpers
    def _attribute_value(self, local: _LocalValue) -> att.AttributeValue[bytes]:
        def read(connection: Connection) -> bytes:
            if self._fire(IRQ_GATTS_READ_REQUEST, (connection.handle, local.handle)):
                raise att.ATT_Error(att.ErrorCode.READ_NOT_PERMITTED, local.handle)
            return local.data

        def write(connection: Connection, data: bytes) -> None:
            incoming = bytes(data)
            if local.append:
                local.data = (local.data + incoming)[-local.max_bytes :]
            else:
                local.data = incoming[: local.max_bytes]
            self._fire(IRQ_GATTS_WRITE, (connection.handle, local.handle))

        return att.AttributeValue(read=read, write=write)

    def _value(self, handle: int) -> _LocalValue:
        try:
            return self._values[handle]
        except KeyError:
            raise OSError(errno.EINVAL, f"no local attribute with handle {handle}") from None

    @staticmethod
    def _properties(flags: int) -> gatt.Characteristic.Properties:
        properties = gatt.Characteristic.Properties(0)
        for flag, prop in _FLAG_TO_PROPERTY.items():
            if flags & flag:
                properties |= prop
        return properties

    @staticmethod
    def _permissions(flags: int) -> att.Attribute.Permissions:
        permissions = att.Attribute.Permissions(0)
        if flags & FLAG_READ:
            permissions |= att.Attribute.READABLE
        if flags & (FLAG_WRITE | FLAG_WRITE_NO_RESPONSE):
            permissions |= att.Attribute.WRITEABLE
        return permissions

    def _schedule(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def install() -> None:
    """Make ``import bluetooth`` (in the firmware) resolve to this module, unless a ``bluetooth`` is already there."""
    sys.modules.setdefault("bluetooth", sys.modules[__name__])
