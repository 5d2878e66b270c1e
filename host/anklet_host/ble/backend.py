"""A bleak backend on Google's bumble: unchanged bleak calls drive a bumble central ``Device``.

bleak picks an OS backend (BlueZ, CoreBluetooth, WinRT); ``BleakScanner(..., backend=...)`` and
``BleakClient(..., backend=...)`` accept another. ``BumbleCentral`` wraps a bumble ``Device`` (on an in-process
``LocalLink`` with a simulated anklet, behind a bumble HCI transport such as ``tcp-client:127.0.0.1:7043`` served by
the virtual anklet, or on a USB Bluetooth dongle through ``usb:0``) and hands out backend classes bound to it::

    central = await BumbleCentral.open("tcp-client:127.0.0.1:7043")
    device = await BleakScanner.find_device_by_filter(match, backend=central.scanner_backend)
    async with BleakClient(device, backend=central.client_backend) as client:
        await client.read_gatt_char(BATTERY_LEVEL)

The backend speaks real ATT/GATT through bumble's host stack: MTU exchange, discovery, CCCD subscriptions, long
reads. ``mtu`` is what the central asks for in the exchange (``None``: no exchange, the link stays at 23 bytes).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid as uuid_module
from collections.abc import Callable
from typing import Any, ClassVar

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bumble import att, hci
from bumble import core as bumble_core
from bumble.core import AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy, ServiceProxy

DEFAULT_CENTRAL_MTU = 247  # what a phone or laptop typically asks for
CENTRAL_ADDRESS = "C0:FF:EE:00:00:01"


def bleak_uuid(uuid: bumble_core.UUID) -> str:
    """A bumble UUID in bleak's form: the full 128-bit string, lower case."""
    return str(uuid_module.UUID(bytes=bytes(reversed(uuid.to_bytes(force_128=True)))))


class BumbleCentral:
    """The laptop's radio, played by a bumble ``Device``; ``scanner_backend``/``client_backend`` go to bleak."""

    def __init__(self, device: Device, *, mtu: int | None = DEFAULT_CENTRAL_MTU, transport: Any = None) -> None:
        self.device = device
        self.mtu = mtu
        self._transport = transport
        # Addresses (with their type) seen in advertisements, so a client can connect by address string.
        self.known_addresses: dict[str, hci.Address] = {}
        central = self
        self.scanner_backend: type[BaseBleakScanner] = type("BumbleScanner", (BumbleScanner,), {"central": central})
        self.client_backend: type[BaseBleakClient] = type("BumbleClient", (BumbleClient,), {"central": central})

    @classmethod
    async def open(cls, transport_spec: str, *, mtu: int | None = DEFAULT_CENTRAL_MTU) -> BumbleCentral:
        """A central on a bumble HCI transport (``tcp-client:HOST:PORT``, ``usb:0``, ``serial:/dev/ttyACM0``...)."""
        from bumble.transport import open_transport  # noqa: PLC0415 - only the transport path needs it

        transport = await open_transport(transport_spec)
        device = Device.with_hci("anklet-host", hci.Address(CENTRAL_ADDRESS), transport.source, transport.sink)
        await device.power_on()
        return cls(device, mtu=mtu, transport=transport)

    async def close(self) -> None:
        for connection in list(self.device.connections.values()):
            with contextlib.suppress(Exception):
                await connection.disconnect()
        if self._transport is not None:
            with contextlib.suppress(Exception):
                await self.device.power_off()
            await self._transport.close()

    def remember(self, address: hci.Address) -> None:
        self.known_addresses[address.to_string(with_type_qualifier=False).upper()] = address


def _advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    local_name: str | None = None
    service_uuids: list[str] = []
    service_data: dict[str, bytes] = {}
    manufacturer_data: dict[int, bytes] = {}
    tx_power: int | None = None
    uuid_lists = {
        AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
        AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
        AdvertisingData.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
        AdvertisingData.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
        AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
    }
    for ad_type, data in advertisement.data.ad_structures:
        if ad_type in (AdvertisingData.COMPLETE_LOCAL_NAME, AdvertisingData.SHORTENED_LOCAL_NAME):
            local_name = data.decode("utf-8", errors="replace")
        elif ad_type in uuid_lists:
            size = uuid_lists[ad_type]
            service_uuids += [
                bleak_uuid(bumble_core.UUID.from_bytes(data[i : i + size])) for i in range(0, len(data), size)
            ]
        elif ad_type == AdvertisingData.SERVICE_DATA_16_BIT_UUID and len(data) >= 2:
            service_data[bleak_uuid(bumble_core.UUID.from_bytes(data[:2]))] = data[2:]
        elif ad_type == AdvertisingData.SERVICE_DATA_128_BIT_UUID and len(data) >= 16:
            service_data[bleak_uuid(bumble_core.UUID.from_bytes(data[:16]))] = data[16:]
        elif ad_type == AdvertisingData.MANUFACTURER_SPECIFIC_DATA and len(data) >= 2:
            manufacturer_data[int.from_bytes(data[:2], "little")] = data[2:]
        elif ad_type == AdvertisingData.TX_POWER_LEVEL and data:
            tx_power = int.from_bytes(data[:1], "little", signed=True)
    return AdvertisementData(
        local_name=local_name,
        manufacturer_data=manufacturer_data,
        service_data=service_data,
        service_uuids=service_uuids,
        tx_power=tx_power,
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
    )


class BumbleScanner(BaseBleakScanner):
    """bleak's scanner interface on a bumble central (bound to one by ``BumbleCentral.scanner_backend``)."""

    central: ClassVar[BumbleCentral]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        del kwargs  # part of bleak's backend interface, unused here
        super().__init__(detection_callback, service_uuids)
        self._active = scanning_mode != "passive"
        self._listening = False

    async def start(self) -> None:
        self.seen_devices = {}
        device = self.central.device
        if not self._listening:
            device.on(device.EVENT_ADVERTISEMENT, self._on_advertisement)
            self._listening = True
        await device.start_scanning(active=self._active, filter_duplicates=False)

    async def stop(self) -> None:
        device = self.central.device
        if self._listening:
            device.remove_listener(device.EVENT_ADVERTISEMENT, self._on_advertisement)
            self._listening = False
        if device.is_scanning:
            await device.stop_scanning()

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        data = _advertisement_data(advertisement)
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = advertisement.address
        self.central.remember(address)
        text = address.to_string(with_type_qualifier=False).upper()
        device = self.create_or_update_device(text, text, data.local_name, address, data)
        self.call_detection_callbacks(device, data)


_DISCONNECTED = "the device disconnected"


class BumbleClient(BaseBleakClient):
    """bleak's client interface on a bumble central (bound to one by ``BumbleCentral.client_backend``)."""

    central: ClassVar[BumbleCentral]

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        del kwargs  # part of bleak's backend interface, unused here
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        details = address_or_ble_device.details if isinstance(address_or_ble_device, BLEDevice) else None
        self._peer_address: hci.Address | None = details if isinstance(details, hci.Address) else None
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._proxies: dict[int, CharacteristicProxy[bytes]] = {}
        self._subscribers: dict[int, Callable[[bytes], None]] = {}
        self._name = ""

    # ------------------------------------------------------------------------------------------------ connection
    @property
    def name(self) -> str:
        return self._name or self.address

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection is not None else att.ATT_DEFAULT_MTU

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    def _address(self) -> hci.Address:
        if self._peer_address is not None:
            return self._peer_address
        known = self.central.known_addresses.get(self.address.upper())
        if known is not None:
            return known
        # Not seen in a scan: a random static address is what an ESP32 running MicroPython uses.
        return hci.Address(self.address, hci.Address.RANDOM_DEVICE_ADDRESS)

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        del pair  # part of bleak's backend interface, unused here
        device = self.central.device
        timeout = float(kwargs.get("timeout", self._timeout))
        try:
            connection = await device.connect(self._address(), timeout=timeout)
        except Exception as exc:
            raise BleakDeviceNotFoundError(self.address, f"cannot connect to {self.address}: {exc}") from exc
        self._connection = connection
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        peer = Peer(connection)
        self._peer = peer
        try:
            if self.central.mtu is not None:
                await peer.request_mtu(self.central.mtu)
            self.services = await self._discover(peer)
        except BaseException:
            with contextlib.suppress(Exception):
                await connection.disconnect()
            self._forget()
            raise

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        services: list[ServiceProxy] = await self._guard(peer.discover_services())
        for service in services:
            bleak_service = BleakGATTService(service, service.handle, bleak_uuid(service.uuid))
            collection.add_service(bleak_service)
            for characteristic in await self._guard(peer.discover_characteristics(service=service)):
                properties = [
                    name for bit, name in CHARACTERISTIC_PROPERTIES.items() if int(characteristic.properties) & bit
                ]
                bleak_char = BleakGATTCharacteristic(
                    characteristic,
                    characteristic.handle,
                    bleak_uuid(characteristic.uuid),
                    properties,
                    lambda: self.mtu_size - 3,
                    bleak_service,
                )
                collection.add_characteristic(bleak_char)
                self._proxies[characteristic.handle] = characteristic
                for descriptor in await self._guard(peer.discover_descriptors(characteristic)):
                    collection.add_descriptor(
                        BleakGATTDescriptor(descriptor, descriptor.handle, bleak_uuid(descriptor.type), bleak_char)
                    )
        return collection

    def _on_disconnection(self, _reason: int) -> None:
        was_connected = self._connection is not None
        self._forget()
        if was_connected and self._disconnected_callback is not None:
            self._disconnected_callback()

    def _forget(self) -> None:
        self._connection = None
        self._peer = None
        self._proxies = {}
        self._subscribers = {}

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        callback, self._disconnected_callback = self._disconnected_callback, None
        try:
            with contextlib.suppress(Exception):
                await connection.disconnect()
        finally:
            self._forget()
            self._disconnected_callback = callback

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        del args, kwargs  # part of bleak's backend interface, unused here
        raise BleakError("the bumble backend does not pair (the anklet needs no pairing)")

    async def unpair(self) -> None:
        raise BleakError("the bumble backend does not pair (the anklet needs no pairing)")

    # --------------------------------------------------------------------------------------------------------- I/O
    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    async def _guard(self, operation: Any) -> Any:
        """Await a GATT operation; a link lost under it becomes a BleakError, an ATT error bleak's protocol error."""
        try:
            return await operation
        except asyncio.CancelledError:
            # bumble cancels the pending response when the link drops; only a real cancellation propagates.
            task = asyncio.current_task()
            if self._connection is None and (task is None or task.cancelling() == 0):
                raise BleakError(_DISCONNECTED) from None
            raise
        except att.ATT_Error as exc:
            raise BleakGATTProtocolError(exc.error_code) from exc
        except TimeoutError as exc:
            if self._connection is None:
                raise BleakError(_DISCONNECTED) from exc
            raise

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        del use_cached, kwargs  # part of bleak's backend interface, unused here
        peer = self._require_peer()
        value: bytes = await self._guard(peer.read_value(characteristic.handle))
        return bytearray(value)

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        del use_cached, kwargs  # part of bleak's backend interface, unused here
        peer = self._require_peer()
        value: bytes = await self._guard(peer.read_value(descriptor.handle))
        return bytearray(value)

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool) -> None:
        peer = self._require_peer()
        await self._guard(peer.write_value(characteristic.handle, bytes(data), with_response=response))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: SizedBuffer) -> None:
        peer = self._require_peer()
        await self._guard(peer.write_value(descriptor.handle, bytes(data), with_response=True))

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        del kwargs  # part of bleak's backend interface, unused here
        peer = self._require_peer()
        proxy = self._proxies[characteristic.handle]

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = on_value
        await self._guard(peer.subscribe(proxy, on_value))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        peer = self._require_peer()
        subscriber = self._subscribers.pop(characteristic.handle, None)
        await self._guard(peer.unsubscribe(self._proxies[characteristic.handle], subscriber))
