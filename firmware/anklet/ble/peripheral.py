"""The anklet's GATT server on MicroPython's low-level ``bluetooth`` module (no aioble: it cannot be installed here).

Written in the style of MicroPython's ``examples/bluetooth/ble_*.py``: one IRQ handler for connect, disconnect, write
and MTU events, the services registered once, the advertising payload built once, and every notification packed in
place into a slot of a bounded, preallocated queue (``notifyq``) that an asyncio task drains as the stack accepts.

GATT table (``anklet.ble.uuids``; payloads are ``anklet.packets`` unless noted):

- Anklet service: live counters (notify, ``Live``), step events (notify, ``Steps`` batches), sync control point
  (write, ``Control``), sync data (notify: ``Records``, ``Status``, ``DeviceTime`` answers), settings (read/write,
  ``Settings``), raw stream (notify ``Raw``; write 1 to start it, 0 to stop).
- Running Speed and Cadence 0x1814: RSC Measurement 0x2A53 (notify, walking flag and cadence), RSC Feature 0x2A54.
- Battery 0x180F: Battery Level 0x2A19 (read/notify). Device Information 0x180A: manufacturer, model, serial,
  firmware and hardware revision strings. Current Time 0x1805: Current Time 0x2A2B (read/write; the host writes
  wall time, formats in ``anklet.ble.std``).

The IRQ handler only records what happened (MicroPython runs it from the scheduler; flash writes and long work belong
in the task): control commands are decoded into a few integers, and ``service()`` (from ``run()``) does the rest.
"""

import asyncio
import struct

import bluetooth

from anklet import packets
from anklet.ble import std
from anklet.ble.notifyq import NotifyQueue
from anklet.ble.sync import SyncServer
from anklet.compat import const, forget, ticks_diff, ticks_ms

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_MTU_EXCHANGED = const(21)

_READ = bluetooth.FLAG_READ
_WRITE = bluetooth.FLAG_WRITE
_NOTIFY = bluetooth.FLAG_NOTIFY

ADV_INTERVAL_US = const(250_000)
DEFAULT_MTU = const(247)
# 8 x 244 bytes: a sync keeps the stack fed with 8 in hand (`make budget` syncs a full log), and RAM is scarce.
QUEUE_SLOTS = const(8)
_MAX_PAYLOAD = const(244)  # DEFAULT_MTU - 3
_STEPS_FLUSH_MS = const(1000)  # a partly filled step batch goes out after this long
_UNIX_AT_2000 = 946684800
_RAW_ENABLE_BYTES = const(1)


def _services():
    """The GATT table as ``gatts_register_services`` takes it, built only for the registration: once the stack has
    it, the UUID objects and tuples are garbage (the handles are what the server keeps)."""
    from anklet.ble import uuids

    return (
        (
            bluetooth.UUID(uuids.ANKLET_SERVICE),
            (
                (bluetooth.UUID(uuids.LIVE_COUNTERS), _NOTIFY),
                (bluetooth.UUID(uuids.STEP_EVENTS), _NOTIFY),
                (bluetooth.UUID(uuids.SYNC_CONTROL), _WRITE),
                (bluetooth.UUID(uuids.SYNC_DATA), _NOTIFY),
                (bluetooth.UUID(uuids.SETTINGS), _READ | _WRITE),
                (bluetooth.UUID(uuids.RAW_STREAM), _NOTIFY | _WRITE),
            ),
        ),
        (
            bluetooth.UUID(uuids.RSC_SERVICE),
            (
                (bluetooth.UUID(uuids.RSC_MEASUREMENT), _NOTIFY),
                (bluetooth.UUID(uuids.RSC_FEATURE), _READ),
            ),
        ),
        (bluetooth.UUID(uuids.BATTERY_SERVICE), ((bluetooth.UUID(uuids.BATTERY_LEVEL), _READ | _NOTIFY),)),
        (
            bluetooth.UUID(uuids.DEVICE_INFORMATION_SERVICE),
            (
                (bluetooth.UUID(uuids.MANUFACTURER_NAME), _READ),
                (bluetooth.UUID(uuids.MODEL_NUMBER), _READ),
                (bluetooth.UUID(uuids.SERIAL_NUMBER), _READ),
                (bluetooth.UUID(uuids.FIRMWARE_REVISION), _READ),
                (bluetooth.UUID(uuids.HARDWARE_REVISION), _READ),
            ),
        ),
        (bluetooth.UUID(uuids.CURRENT_TIME_SERVICE), ((bluetooth.UUID(uuids.CURRENT_TIME), _READ | _WRITE),)),
    )


async def _sleep_ms(ms):
    if hasattr(asyncio, "sleep_ms"):
        await asyncio.sleep_ms(ms)
    else:
        await asyncio.sleep(ms / 1000)  # CPython, where the firmware runs against the simulated radio


class Peripheral:
    """The anklet's BLE face. ``ble`` is ``bluetooth.BLE()`` (or the host's simulation of it).

    ``info``: (manufacturer, model, serial, firmware, hardware) strings for Device Information. ``log``: the flash
    record log (``anklet.flashlog``) that sync reads and acknowledges. ``settings``: (rate_hz, leg, goal_min,
    auto_start). ``on_settings(rate_hz, leg, goal_min, auto_start)`` and ``on_clock(unix_s)`` are called from
    ``service()`` when the host changes them; ``on_settings`` returns the settings now in effect (a tuple in the same
    order: values the device cannot take stay as they were), which the host reads back; ``device_time()`` returns
    (boot_id, uptime_s, wall_s or 0) for sync.
    """

    def __init__(
        self,
        ble,
        name,
        info,
        log,
        settings,
        on_settings=None,
        on_clock=None,
        device_time=None,
        mtu=DEFAULT_MTU,
        adv_interval_us=ADV_INTERVAL_US,
    ):
        self._ble = ble
        self.name = name
        self._adv_interval_us = adv_interval_us
        self._on_settings = on_settings
        self._on_clock = on_clock
        ble.active(True)
        ble.config(gap_name=name, mtu=mtu)
        ble.irq(self._irq)
        (
            (self._h_live, self._h_steps, self._h_control, self._h_sync, self._h_settings, self._h_raw),
            (self._h_rsc, self._h_rsc_feature),
            (self._h_battery,),
            dis,
            (self._h_time,),
        ) = ble.gatts_register_services(_services())
        for handle, text in zip(dis, info):
            ble.gatts_write(handle, text.encode())
        ble.gatts_set_buffer(self._h_control, packets.CONTROL_SIZE)
        ble.gatts_set_buffer(self._h_settings, packets.SETTINGS_SIZE)
        ble.gatts_set_buffer(self._h_time, std.CURRENT_TIME_BYTES)
        ble.gatts_set_buffer(self._h_raw, _RAW_ENABLE_BYTES)
        ble.gatts_write(self._h_rsc_feature, struct.pack("<H", std.RSC_FEATURE_WALKING_OR_RUNNING_STATUS))
        ble.gatts_write(self._h_battery, b"\x64")
        self._settings = bytearray(packets.SETTINGS_SIZE)
        packets.pack_settings_into(self._settings, settings[0], settings[1], settings[2], 1 if settings[3] else 0)
        ble.gatts_write(self._h_settings, self._settings)
        from anklet.ble import adv

        self._adv_payload = adv.advertising_payload(name)
        self._resp_payload = adv.scan_response_payload(name)
        del adv
        # The payloads and the GATT table are built once: the modules that build them leave the board's heap now.
        forget("anklet.ble.adv")
        forget("anklet.ble.uuids")

        self._queue = NotifyQueue(QUEUE_SLOTS, _MAX_PAYLOAD)
        self.sync = SyncServer(log, self._queue, self._h_sync, device_time)
        self._conn = -1
        self.payload_limit = packets.DEFAULT_PAYLOAD
        self._wake = asyncio.Event()
        # What the IRQ handler saw, for service() to act on.
        self._settings_written = False
        self._time_written = False
        self.raw_enabled = False
        # Live and batch state: packed into queue slots, counters kept as ints.
        self._live_seq = 0
        self._steps_seq = 0
        self._steps_buf = bytearray(_MAX_PAYLOAD)
        self._steps_count = 0
        self._steps_base_ms = 0
        self._raw_buf = bytearray(_MAX_PAYLOAD)
        self._raw_count = 0
        self._raw_index = 0
        self._raw_scale_ug = 1
        self.live_dropped = 0
        self.advertise()

    # ----------------------------------------------------------------------------------------------------- radio
    def advertise(self):
        self._ble.gap_advertise(self._adv_interval_us, self._adv_payload, resp_data=self._resp_payload)

    @property
    def connected(self):
        return self._conn >= 0

    def _irq(self, event, data):
        if event == _IRQ_CENTRAL_CONNECT:
            self._conn = data[0]
            self.payload_limit = packets.DEFAULT_PAYLOAD
        elif event == _IRQ_CENTRAL_DISCONNECT:
            self._conn = -1
            self._queue.clear()
            self.sync.reset()
            self.raw_enabled = False
            self._steps_count = 0
            self._raw_count = 0
            self.advertise()
        elif event == _IRQ_MTU_EXCHANGED:
            limit = data[1] - 3
            self.payload_limit = limit if limit < _MAX_PAYLOAD else _MAX_PAYLOAD
        elif event == _IRQ_GATTS_WRITE:
            handle = data[1]
            if handle == self._h_control:
                self.sync.command(self._ble.gatts_read(handle), self.payload_limit)
            elif handle == self._h_settings:
                self._settings_written = True
            elif handle == self._h_time:
                self._time_written = True
            elif handle == self._h_raw:
                value = self._ble.gatts_read(handle)
                self.raw_enabled = len(value) == 1 and value[0] == 1
                self._raw_count = 0
                self._raw_index = 0
        self._wake.set()

    # ------------------------------------------------------------------------------------------------- the task
    async def run(self):
        """Serve forever: act on the host's writes and drain the notify queue (one asyncio task)."""
        while True:
            busy = self.service()
            if busy:
                # The stack is holding our notifications: give it a moment, then drain again.
                await _sleep_ms(2)
            else:
                self._wake.clear()
                await self._wake.wait()

    def service(self):
        """Do the pending work; True while notifications are waiting for the stack (call again soon)."""
        if self._settings_written:
            self._settings_written = False
            self._apply_settings()
        if self._time_written:
            self._time_written = False
            self._apply_time()
        # Applied even when the link has just dropped: the host saw its writes accepted.
        self.sync.apply_ack()
        clock = self.sync.take_clock()
        if clock > 0 and self._on_clock is not None:
            self._on_clock(clock)
        if self._conn < 0:
            return False
        if self._steps_count and ticks_diff(ticks_ms(), self._steps_base_ms) >= _STEPS_FLUSH_MS:
            self._flush_steps()
        self.sync.pump()
        self._queue.drain(self._ble, self._conn)
        return len(self._queue) > 0 or self.sync.busy()

    def _apply_settings(self):
        value = self._ble.gatts_read(self._h_settings)
        try:
            rate_hz, leg, goal_min, auto_start = packets.unpack_settings(value)
        except packets.PacketError:
            self._ble.gatts_write(self._h_settings, self._settings)  # refuse: keep the last good settings
            return
        if self._on_settings is not None:
            rate_hz, leg, goal_min, auto_start = self._on_settings(rate_hz, leg, goal_min, auto_start)
        packets.pack_settings_into(self._settings, rate_hz, leg, goal_min, 1 if auto_start else 0)
        self._ble.gatts_write(self._h_settings, self._settings)

    def _apply_time(self):
        try:
            t = std.unpack_current_time(self._ble.gatts_read(self._h_time))
        except ValueError:
            return
        if self._on_clock is not None:
            self._on_clock(_UNIX_AT_2000 + std.seconds_since_2000(t[0], t[1], t[2], t[3], t[4], t[5]))

    # -------------------------------------------------------------------------------------- what the app sends
    def set_battery(self, percent):
        self._ble.gatts_write(self._h_battery, bytes((percent,)))
        if self._conn >= 0:
            self._queue.put(self._h_battery, bytes((percent,)), 1)
            self._wake.set()

    def send_live(self, contacts, backward, toe_first, steps, cadence_spm, active_s, state):
        """Live counters and the matching RSC measurement (walking, cadence); dropped (and counted) if no room."""
        if self._conn < 0:
            return
        q = self._queue
        buf = q.reserve() if q.free() >= 2 else None
        if buf is None:
            self.live_dropped += 1
            return
        n = packets.pack_live_into(
            buf, self._live_seq, contacts, backward, toe_first, steps, cadence_spm, active_s, state
        )
        q.commit(self._h_live, n)
        self._live_seq = (self._live_seq + 1) & 0xFFFF
        buf = q.reserve()
        if buf is not None:  # always: two slots were free
            q.commit(self._h_rsc, std.pack_rsc_into(buf, 0, cadence_spm if cadence_spm < 255 else 255, False, -1, -1))
        self._wake.set()

    def add_step(self, t_ms, backward, strike):
        """One contact at uptime ``t_ms``; batched into step-event packets that fill a notification."""
        if self._conn < 0:
            return
        if self._steps_count and ticks_diff(t_ms, self._steps_base_ms) > packets.STEP_OFFSET_MAX_MS:
            self._flush_steps()
        if self._steps_count == 0:
            self._steps_base_ms = t_ms
            packets.pack_steps_head_into(self._steps_buf, self._steps_seq, t_ms)
        n = packets.pack_step_into(
            self._steps_buf, self._steps_count, ticks_diff(t_ms, self._steps_base_ms), backward, strike
        )
        self._steps_count += 1
        if self._steps_count >= packets.steps_capacity(self.payload_limit):
            self._flush_steps(n)

    def _flush_steps(self, n=0):
        if n == 0:
            n = packets.STEPS_HEAD_SIZE + self._steps_count * packets.STEP_EVENT_SIZE
        if self._queue.put(self._h_steps, self._steps_buf, n):
            self._steps_seq = (self._steps_seq + 1) & 0xFFFF
        self._steps_count = 0
        self._wake.set()

    def add_raw(self, x, y, z, scale_ug):
        """One raw sample (int16 counts, body frame) while the host has the raw stream on."""
        if not self.raw_enabled or self._conn < 0:
            return
        if self._raw_count == 0:
            self._raw_scale_ug = scale_ug
            packets.pack_raw_head_into(self._raw_buf, self._raw_index, scale_ug)
        n = packets.pack_raw_sample_into(self._raw_buf, self._raw_count, x, y, z)
        self._raw_count += 1
        self._raw_index += 1
        if self._raw_count >= packets.raw_capacity(self.payload_limit):
            self._queue.put(self._h_raw, self._raw_buf, n)
            self._raw_count = 0
            self._wake.set()
