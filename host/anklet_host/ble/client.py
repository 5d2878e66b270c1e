"""The laptop's side of the BLE link, on bleak: find anklets, connect, and speak the anklet's GATT table.

How a command reaches a device is a ``Radio``, chosen by a ``--via`` value:

- ``radio`` (the default): the operating system's Bluetooth through bleak's own backend (BlueZ, CoreBluetooth, WinRT).
- ``sim``: the virtual anklet, which serves a bumble controller at ``SIM_TRANSPORT`` (``tcp-client:127.0.0.1:7043``).
- any bumble transport spec (``tcp-client:HOST:PORT``, ``usb:0``, ``serial:/dev/ttyACM0``): bleak through the bumble
  backend (``anklet_host.ble.backend``), e.g. on a USB dongle with no OS stack at all.
- in-process (tests): ``Radio.from_central(central)`` on a ``LocalRadio``.

Every path runs the same bleak calls below. Packets are decoded with ``anklet_host.packets`` (on the firmware's own
formats); a malformed packet or a lost link becomes an ``AnkletError`` with a one-line message.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError

from anklet.ble import std, uuids
from anklet_host import packets
from anklet_host.ble.backend import DEFAULT_CENTRAL_MTU, BumbleCentral
from anklet_host.errors import AnkletError

SIM_PORT = 7043
SIM_TRANSPORT = f"tcp-client:127.0.0.1:{SIM_PORT}"
VIA_ENV = "ANKLET_VIA"
DEFAULT_SCAN_S = 5.0
DEFAULT_REPLY_S = 5.0
_UNIX_AT_2000 = 946_684_800


class LinkLostError(AnkletError, ConnectionError):
    """The BLE link dropped in the middle of an exchange (the caller may reconnect and resume)."""


class ReplyTimeoutError(AnkletError, TimeoutError):
    """The anklet did not answer in time."""


class DeviceProtocolError(AnkletError):
    """The anklet sent something the packet formats do not allow."""


def _uuid(value: int | str) -> str:
    return uuids.sig_uuid_str(value) if isinstance(value, int) else value


class Radio:
    """bleak's backends for one way of reaching anklets (``None``: bleak's OS default)."""

    def __init__(
        self,
        description: str,
        scanner_backend: type[BaseBleakScanner] | None = None,
        client_backend: type[BaseBleakClient] | None = None,
    ) -> None:
        self.description = description
        self.scanner_backend = scanner_backend
        self.client_backend = client_backend

    @classmethod
    def from_central(cls, central: BumbleCentral, description: str = "bumble") -> Radio:
        return cls(description, central.scanner_backend, central.client_backend)

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, via: str | None = None, *, mtu: int | None = DEFAULT_CENTRAL_MTU) -> AsyncIterator[Radio]:
        """The radio ``via`` names (see the module docstring); ``$ANKLET_VIA`` when ``via`` is None."""
        via = via or os.environ.get(VIA_ENV) or "radio"
        if via == "radio":
            yield cls("the computer's Bluetooth")
            return
        spec = SIM_TRANSPORT if via == "sim" else via
        if ":" not in spec:
            raise AnkletError(f"--via {via!r}: use 'radio', 'sim' or a bumble transport such as tcp-client:HOST:PORT")
        try:
            central = await BumbleCentral.open(spec, mtu=mtu)
        except (OSError, ValueError) as exc:
            hint = " (is the virtual anklet running?)" if via == "sim" else ""
            raise AnkletError(f"cannot open {spec}: {exc}{hint}") from None
        except Exception as exc:  # bumble raises its own types for transports it cannot open
            raise AnkletError(f"cannot open {spec}: {exc}") from None
        try:
            yield cls.from_central(central, spec)
        finally:
            await central.close()


def _radio_error(radio: Radio, exc: BaseException) -> AnkletError:
    if isinstance(exc, OSError) and radio.scanner_backend is None:
        # BlueZ over D-Bus missing (no system bus socket), or the adapter is off.
        return AnkletError(
            f"{radio.description} is not available ({exc.strerror or exc}); use --via sim for the virtual anklet"
        )
    return AnkletError(f"cannot scan with {radio.description}: {exc}")


@dataclass(frozen=True)
class FoundAnklet:
    address: str
    name: str
    rssi: int
    device: BLEDevice


def _is_anklet(_device: BLEDevice, data: AdvertisementData) -> bool:
    return uuids.ANKLET_SERVICE in data.service_uuids


async def scan(radio: Radio, timeout_s: float = DEFAULT_SCAN_S) -> list[FoundAnklet]:
    """Every anklet advertising within ``timeout_s``, strongest signal first."""
    try:
        if radio.scanner_backend is None:
            found = await BleakScanner.discover(
                timeout=timeout_s, return_adv=True, service_uuids=[uuids.ANKLET_SERVICE]
            )
        else:
            found = await BleakScanner.discover(
                timeout=timeout_s, return_adv=True, service_uuids=[uuids.ANKLET_SERVICE], backend=radio.scanner_backend
            )
    except (BleakError, OSError) as exc:
        raise _radio_error(radio, exc) from None
    anklets = [
        FoundAnklet(device.address, data.local_name or device.name or "", data.rssi, device)
        for device, data in found.values()
        if _is_anklet(device, data)
    ]
    return sorted(anklets, key=lambda a: -a.rssi)


async def find_anklet(radio: Radio, address: str | None = None, timeout_s: float = DEFAULT_SCAN_S) -> BLEDevice:
    """The anklet with this address or name (any anklet if None); AnkletError if none shows up in time."""

    def wanted(device: BLEDevice, data: AdvertisementData) -> bool:
        if not _is_anklet(device, data):
            return False
        return address is None or address.lower() in (device.address.lower(), (data.local_name or "").lower())

    try:
        if radio.scanner_backend is None:
            device = await BleakScanner.find_device_by_filter(
                wanted, timeout=timeout_s, service_uuids=[uuids.ANKLET_SERVICE]
            )
        else:
            device = await BleakScanner.find_device_by_filter(
                wanted, timeout=timeout_s, service_uuids=[uuids.ANKLET_SERVICE], backend=radio.scanner_backend
            )
    except (BleakError, OSError) as exc:
        raise _radio_error(radio, exc) from None
    if device is None:
        which = f"anklet {address!r}" if address else "no anklet"
        raise AnkletError(
            f"{which} found within {timeout_s:g} s via {radio.description}"
            if address
            else f"{which} found within {timeout_s:g} s via {radio.description}: is it on and in range?"
        )
    return device


@dataclass(frozen=True)
class DeviceInfo:
    manufacturer: str
    model: str
    serial: str
    firmware: str
    hardware: str


@dataclass(frozen=True)
class Cadence:
    """An RSC Measurement: walking or running, cadence in steps per minute, speed in m/s."""

    running: bool
    cadence_spm: int
    speed_ms: float


class _Notifications:
    """Notifications of one characteristic as an async queue; a dropped link wakes the reader with LinkLostError."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    def push(self, _sender: object, data: bytearray) -> None:
        self.queue.put_nowait(bytes(data))

    def lost(self) -> None:
        self.queue.put_nowait(None)

    async def next(self, timeout_s: float) -> bytes:
        try:
            async with asyncio.timeout(timeout_s):
                data = await self.queue.get()
        except TimeoutError:
            raise ReplyTimeoutError(f"the anklet did not answer within {timeout_s:g} s") from None
        if data is None:
            raise LinkLostError("the BLE link dropped")
        return data


class AnkletLink:
    """A connected anklet. Use ``async with AnkletLink.connect(radio, device) as link:``."""

    def __init__(self, client: BleakClient, reply_timeout_s: float = DEFAULT_REPLY_S) -> None:
        self.client = client
        self.reply_timeout_s = reply_timeout_s
        self._sync_data: _Notifications | None = None
        self._watchers: list[Callable[[], None]] = []
        self.bytes_received = 0

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls, radio: Radio, device: BLEDevice | str, *, timeout_s: float = 10.0, reply_timeout_s: float = DEFAULT_REPLY_S
    ) -> AsyncIterator[AnkletLink]:
        links: list[AnkletLink] = []

        def on_disconnect(_client: BleakClient) -> None:
            for link in links:
                for watcher in link._watchers:
                    watcher()

        client = BleakClient(device, on_disconnect, timeout=timeout_s, backend=radio.client_backend)
        try:
            await client.connect()
        except (BleakError, TimeoutError, OSError) as exc:
            name = device if isinstance(device, str) else device.address
            raise AnkletError(f"cannot connect to {name}: {exc}") from None
        link = cls(client, reply_timeout_s)
        links.append(link)
        try:
            if client.services.get_service(uuids.ANKLET_SERVICE) is None:
                raise AnkletError(f"{client.address} is not an anklet (no anklet service)")
            yield link
        finally:
            with contextlib.suppress(BleakError, TimeoutError, OSError):
                await client.disconnect()

    def on_disconnect(self, watcher: Callable[[], None]) -> None:
        """Call ``watcher`` when the link drops (from the BLE stack's side)."""
        self._watchers.append(watcher)

    async def dropped_within(self, timeout_s: float) -> bool:
        """Whether the link drops within ``timeout_s`` (an anklet restarting to apply settings drops it)."""
        dropped = asyncio.Event()
        self.on_disconnect(dropped.set)
        if not self.client.is_connected:
            return True
        try:
            await asyncio.wait_for(dropped.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    # --------------------------------------------------------------------------------------------------- basics
    @property
    def mtu_size(self) -> int:
        return self.client.mtu_size

    async def _read(self, uuid: int | str) -> bytes:
        try:
            return bytes(await self.client.read_gatt_char(_uuid(uuid)))
        except BleakError as exc:
            raise self._error(exc) from None

    async def _write(self, uuid: int | str, data: bytes) -> None:
        try:
            await self.client.write_gatt_char(_uuid(uuid), data, response=True)
        except BleakError as exc:
            raise self._error(exc) from None

    async def _subscribe(self, uuid: int | str, callback: Callable[[object, bytearray], None]) -> None:
        try:
            await self.client.start_notify(_uuid(uuid), callback)
        except BleakError as exc:
            raise self._error(exc) from None

    def _error(self, exc: BleakError) -> AnkletError:
        if not self.client.is_connected:
            return LinkLostError("the BLE link dropped")
        return AnkletError(f"BLE error: {exc}")

    async def device_info(self) -> DeviceInfo:
        fields = [
            (await self._read(u)).decode("utf-8", errors="replace")
            for u in (
                uuids.MANUFACTURER_NAME,
                uuids.MODEL_NUMBER,
                uuids.SERIAL_NUMBER,
                uuids.FIRMWARE_REVISION,
                uuids.HARDWARE_REVISION,
            )
        ]
        return DeviceInfo(*fields)

    async def battery_percent(self) -> int:
        data = await self._read(uuids.BATTERY_LEVEL)
        if len(data) != 1 or data[0] > 100:
            raise DeviceProtocolError(f"battery level must be one byte 0..100, got {data.hex()}")
        return data[0]

    async def rsc_feature(self) -> int:
        data = await self._read(uuids.RSC_FEATURE)
        if len(data) != 2:
            raise DeviceProtocolError(f"RSC feature must be 2 bytes, got {len(data)}")
        return int.from_bytes(data, "little")

    async def set_clock(self, now: datetime | None = None) -> datetime:
        """Write wall time (UTC) to the Current Time characteristic; returns what was written."""
        now = (now or datetime.now(UTC)).astimezone(UTC)
        buf = bytearray(std.CURRENT_TIME_BYTES)
        std.pack_current_time_into(
            buf, now.year, now.month, now.day, now.hour, now.minute, now.second,
            now.isoweekday(), now.microsecond * 256 // 1_000_000, std.ADJUST_MANUAL | std.ADJUST_EXTERNAL_REFERENCE,
        )  # fmt: skip
        await self._write(uuids.CURRENT_TIME, bytes(buf))
        return now.replace(microsecond=0)

    async def read_clock(self) -> datetime:
        data = await self._read(uuids.CURRENT_TIME)
        try:
            year, month, day, hours, minutes, seconds = std.unpack_current_time(data)[:6]
        except ValueError as exc:
            raise DeviceProtocolError(f"the anklet sent a malformed current time: {exc}") from None
        return datetime(year, month, day, hours, minutes, seconds, tzinfo=UTC)

    async def settings(self) -> packets.Settings:
        data = await self._read(uuids.SETTINGS)
        try:
            return packets.decode_settings(data)
        except packets.PacketError as exc:
            raise DeviceProtocolError(f"the anklet sent malformed settings: {exc}") from None

    async def write_settings(self, settings: packets.Settings) -> None:
        try:
            data = settings.encode()
        except packets.PacketError as exc:
            raise AnkletError(f"invalid settings: {exc}") from None
        await self._write(uuids.SETTINGS, data)

    # ------------------------------------------------------------------------------------------------- streams
    async def live(self, on_live: Callable[[packets.Live], None], on_cadence: Callable[[Cadence], None]) -> None:
        """Subscribe to live counters and the RSC measurement; callbacks run per notification."""

        def live(_sender: object, data: bytearray) -> None:
            self.bytes_received += len(data)
            try:
                on_live(packets.decode_live(bytes(data)))
            except packets.PacketError:
                return  # a live counter that does not decode is skipped; the next one replaces it

        def rsc(_sender: object, data: bytearray) -> None:
            self.bytes_received += len(data)
            try:
                running, speed_q8, cadence_spm, _, _ = std.unpack_rsc(bytes(data))
            except ValueError:
                return
            on_cadence(Cadence(running, cadence_spm, speed_q8 / 256))

        await self._subscribe(uuids.LIVE_COUNTERS, live)
        await self._subscribe(uuids.RSC_MEASUREMENT, rsc)

    async def steps(self, on_steps: Callable[[packets.Steps], None]) -> None:
        def steps(_sender: object, data: bytearray) -> None:
            self.bytes_received += len(data)
            with contextlib.suppress(packets.PacketError):
                on_steps(packets.decode_steps(bytes(data)))

        await self._subscribe(uuids.STEP_EVENTS, steps)

    @contextlib.asynccontextmanager
    async def raw_stream(self) -> AsyncIterator[_RawReader]:
        """Switch the raw accelerometer stream on for the duration of the block."""
        reader = _RawReader(self)
        self._watchers.append(reader.notes.lost)
        await self._subscribe(uuids.RAW_STREAM, reader.notes.push)
        await self._write(uuids.RAW_STREAM, b"\x01")
        try:
            yield reader
        finally:
            if self.client.is_connected:
                with contextlib.suppress(AnkletError):
                    await self._write(uuids.RAW_STREAM, b"\x00")

    # ------------------------------------------------------------------------------------------------------ sync
    async def _sync_notes(self) -> _Notifications:
        if self._sync_data is None:
            notes = _Notifications()
            self._watchers.append(notes.lost)
            await self._subscribe(uuids.SYNC_DATA, notes.push)
            self._sync_data = notes
        return self._sync_data

    async def _command(self, opcode: int, argument: int = 0) -> _Notifications:
        notes = await self._sync_notes()
        await self._write(uuids.SYNC_CONTROL, packets.Control(opcode, argument).encode())
        return notes

    async def _reply(
        self, notes: _Notifications
    ) -> (
        packets.Live
        | packets.Steps
        | packets.Records
        | packets.Control
        | packets.Status
        | packets.Settings
        | packets.Raw
        | packets.DeviceTime
    ):
        data = await notes.next(self.reply_timeout_s)
        self.bytes_received += len(data)
        try:
            return packets.decode(data)
        except packets.PacketError as exc:
            raise DeviceProtocolError(f"the anklet sent a malformed packet: {exc}") from None

    async def status(self) -> packets.Status:
        """The device log's state: oldest/newest sequence numbers, acknowledged, evicted."""
        notes = await self._command(packets.OP_STATUS)
        reply = await self._reply(notes)
        if not isinstance(reply, packets.Status):
            raise DeviceProtocolError(f"expected a status packet, got {type(reply).__name__}")
        return reply

    async def device_time(self) -> packets.DeviceTime:
        notes = await self._command(packets.OP_TIME)
        reply = await self._reply(notes)
        if not isinstance(reply, packets.DeviceTime):
            raise DeviceProtocolError(f"expected a device-time packet, got {type(reply).__name__}")
        return reply

    async def records(self, from_seq: int) -> AsyncIterator[packets.Records]:
        """Records packets from ``from_seq`` on, ending after the device's end marker (an empty packet)."""
        notes = await self._command(packets.OP_REQUEST, from_seq)
        expected = -1
        while True:
            reply = await self._reply(notes)
            if not isinstance(reply, packets.Records):
                raise DeviceProtocolError(f"expected a records packet, got {type(reply).__name__}")
            if expected >= 0 and reply.first_seq < expected:
                raise DeviceProtocolError(f"records went backward: sequence {reply.first_seq} after {expected - 1}")
            expected = reply.first_seq + len(reply.records)
            yield reply
            if not reply.records:
                return

    async def ack(self, seq: int) -> None:
        """Tell the device every record up to ``seq`` is stored (it may free them)."""
        await self._command(packets.OP_ACK, seq)


class BleSyncTransport:
    """``anklet_host.store.sync.SyncTransport`` over a connected anklet: the sync control point and data notifications.

    A lost link raises ``LinkLostError`` (a ``ConnectionError``), silence ``ReplyTimeoutError`` (a ``TimeoutError``),
    which is what the sync session resumes on.
    """

    def __init__(self, link: AnkletLink) -> None:
        self.link = link

    async def write_control(self, data: bytes) -> None:
        await self.link._sync_notes()
        await self.link._write(uuids.SYNC_CONTROL, data)

    async def receive(self, timeout_s: float) -> bytes:
        data = await (await self.link._sync_notes()).next(timeout_s)
        self.link.bytes_received += len(data)
        return data


class _RawReader:
    def __init__(self, link: AnkletLink) -> None:
        self.link = link
        self.notes = _Notifications()

    async def next(self, timeout_s: float | None = None) -> packets.Raw:
        data = await self.notes.next(timeout_s or self.link.reply_timeout_s)
        self.link.bytes_received += len(data)
        try:
            return packets.decode_raw(data)
        except packets.PacketError as exc:
            raise DeviceProtocolError(f"the anklet sent a malformed raw packet: {exc}") from None


def unix_from_current_time(fields: tuple[int, ...]) -> int:
    """Unix seconds of a decoded Current Time value (the firmware does the same sum)."""
    return _UNIX_AT_2000 + std.seconds_since_2000(*fields[:6])
