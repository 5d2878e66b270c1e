# mypy: ignore-errors
# ruff: noqa: N802, UP031, PLC0415, PLR0912
# (MicroPython code that runs inside the simulated board, not on the host: module state is global as in the ESP32
# port's own modules, names follow MicroPython's `bluetooth` API, % formatting as MicroPython prefers.)
"""bluetooth for the virtual anklet: MicroPython's low-level ``bluetooth.BLE`` as the ESP32 port (NimBLE) has it,
with the radio on the host (board/ble_bridge.py drives a bumble peripheral a bleak central can reach).

The GATT database lives here, as NimBLE's does on the chip, so ``gatts_read`` and ``gatts_write`` stay synchronous
and local; every call that touches the air (services, values, advertising, notifications, disconnects) goes out to the
host as a board event ``{"ev": "ble", "call": ...}``. What the air does comes back as host events
``{"op": "ble", ...}`` that `_on_host` turns into IRQs, delivered to the registered handler from the board's poll
loop: between Python statements, never inside one, as MicroPython's scheduler runs the ESP32's BLE IRQs.

The limits the firmware must live with are kept here, where the firmware meets them:

- Notifications carry at most ATT_MTU - 3 bytes: 20 at the default MTU of 23 until an MTU exchange (IRQ 21).
- Notifications wait in a bounded pool of stack buffers (``STACK_PACKETS``); ``gatts_notify`` raises
  ``OSError(ENOMEM)`` when the pool is full (NimBLE's ``BLE_HS_ENOMEM``), and the pool frees a buffer when the host
  reports the packet sent (``{"op": "ble", "sent": n, "conn": c}``).
- A characteristic's local value holds 20 bytes unless ``gatts_set_buffer`` says otherwise; a longer remote write is
  truncated (the host applies the rule and sends the resulting value); ``gatts_write`` from the firmware grows it.

``UUID`` returns a ``bytes`` subclass (MicroPython's ``bytes(obj)`` ignores ``__bytes__``, and a bytes subclass
cannot take a constructor of its own there): a 16-bit UUID from an int, a 128-bit one from its string, both
little-endian as they go on the air.
"""

import json
import sys

import _simboard

FLAG_BROADCAST = 0x0001
FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_MTU_EXCHANGED = 21

_EPERM = 1
_ENOMEM = 12
_EINVAL = 22
_ENOTCONN = 107  # py/mperrno.h MP_ENOTCONN

ATT_DEFAULT_MTU = 23
ATT_MAX_MTU = 517
DEFAULT_VALUE_BYTES = 20  # MP_BLUETOOTH_DEFAULT_ATTR_LEN
STACK_PACKETS = 12  # notification buffers before ENOMEM (the host bridge's ble_bumble.DEFAULT_PENDING_LIMIT)
MAX_ADV_BYTES = 31  # legacy advertising payload


class _UUID(bytes):
    """A Bluetooth UUID: its little-endian bytes, as they go into the GATT table and on the air."""

    def __str__(self):
        raw = bytes(self)
        if len(raw) == 2:
            return "UUID(0x%04x)" % (raw[0] | raw[1] << 8)
        h = bytes(reversed(raw)).hex()
        return "UUID('%s-%s-%s-%s-%s')" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    __repr__ = __str__


def UUID(value):
    """``bluetooth.UUID(0x2A19)`` or ``bluetooth.UUID('a7c10001-4b1d-4f3e-8a6b-616e6b6c6574')``."""
    if isinstance(value, _UUID):
        return value
    if isinstance(value, int):
        if not 0 <= value <= 0xFFFF:
            raise ValueError("invalid UUID")
        return _UUID(bytes((value & 0xFF, value >> 8)))
    if isinstance(value, str):
        digits = value.replace("-", "")
        if len(digits) == 4:
            n = int(digits, 16)
            return _UUID(bytes((n & 0xFF, n >> 8)))
        if len(digits) != 32:
            raise ValueError("invalid UUID")
        return _UUID(bytes(reversed(bytes.fromhex(digits))))
    raw = bytes(value)
    if len(raw) not in (2, 4, 16):
        raise ValueError("invalid UUID")
    return _UUID(raw)


class _Value:
    """One attribute's local value (MicroPython's gatts_db entry)."""

    def __init__(self):
        self.data = b""
        self.max_bytes = DEFAULT_VALUE_BYTES
        self.append = False


class _Radio:
    """The one controller of the board (``BLE()`` hands out views of it, as the ESP32 port returns a singleton)."""

    def __init__(self):
        self.active = False
        self.handler = None
        self.name = "MPY ESP32"
        self.mtu = ATT_DEFAULT_MTU  # the largest MTU accepted in an exchange (config(mtu=...))
        self.values = {}  # value handle -> _Value
        self.services = False  # registered (their description is stashed in JavaScript, to announce them again)
        self.conns = {}  # conn handle -> negotiated ATT MTU
        self.in_stack = {}  # conn handle -> notifications the stack holds for it
        self.adv = None  # the last gap_advertise call, re-sent to a host that (re)joins
        self.irq_errors = 0
        self.notified = 0
        self.refused = 0


_radio = _Radio()


def _mac():
    import machine

    uid = machine.unique_id()
    # The ESP32's Bluetooth address is its base MAC + 2.
    return bytes((uid[0], uid[1], uid[2], uid[3], uid[4], (uid[5] + 2) & 0xFF))


def _send(call, **fields):
    fields["ev"] = "ble"
    fields["call"] = call
    _simboard.emit(fields)


def _hex(data):
    return bytes(data).hex()


def _fire(event, data):
    handler = _radio.handler
    if handler is None:
        return None
    try:
        return handler(event, data)
    except Exception as exc:
        # MicroPython prints an IRQ handler's exception and carries on.
        _radio.irq_errors += 1
        print("Unhandled exception in IRQ callback handler")
        sys.print_exception(exc)
        return None


def _pending():
    total = 0
    for n in _radio.in_stack.values():
        total += n
    return total


def _on_host(event):
    r = _radio
    if "sent" in event:
        conn = event["conn"]
        if conn in r.in_stack:
            left = r.in_stack[conn] - event["sent"]
            r.in_stack[conn] = max(0, left)
        return
    if event.get("announce"):
        _announce()
        return
    irq = event.get("irq")
    if irq is None or not r.active:
        return
    conn = event["conn"]
    if irq == _IRQ_CENTRAL_CONNECT:
        r.conns[conn] = ATT_DEFAULT_MTU
        r.in_stack[conn] = 0
        r.adv = None  # a connectable advertiser stops advertising once connected
        _fire(irq, (conn, event["addr_type"], memoryview(bytes.fromhex(event["addr"]))))
    elif irq == _IRQ_CENTRAL_DISCONNECT:
        if conn not in r.conns:
            return
        del r.conns[conn]
        r.in_stack.pop(conn, None)
        _fire(irq, (conn, event["addr_type"], memoryview(bytes.fromhex(event["addr"]))))
    elif irq == _IRQ_MTU_EXCHANGED:
        if conn in r.conns:
            r.conns[conn] = event["mtu"]
            _fire(irq, (conn, event["mtu"]))
    elif irq == _IRQ_GATTS_WRITE:
        value = r.values.get(event["handle"])
        if value is not None and conn in r.conns:
            value.data = bytes.fromhex(event["value"])
            _fire(irq, (conn, event["handle"]))


def _announce():
    """The host's radio (re)joined: any link this board had is gone, and what the radio set up is sent again, marked
    as a replay (a host that saw the original calls ignores it)."""
    r = _radio
    for conn in list(r.conns):
        del r.conns[conn]
        r.in_stack.pop(conn, None)
        _fire(_IRQ_CENTRAL_DISCONNECT, (conn, 0, memoryview(bytes(6))))
    if not r.active:
        return
    _send("active", on=True, mac=_hex(_mac()), name=r.name, mtu=r.mtu, replay=True)
    if r.services:
        services, handles = json.loads(_simboard.stashed("ble_services"))
        _send("services", services=services, handles=handles, replay=True)
        for handle, value in r.values.items():
            _send("buffer", handle=handle, size=value.max_bytes, append=value.append, replay=True)
            if value.data:
                _send("write", handle=handle, data=_hex(value.data), update=False, replay=True)
    if r.adv is not None:
        adv = dict(r.adv)
        adv["replay"] = True
        _send("advertise", **adv)


def _describe(services_definition, values=None):
    """The services as sent to the host (UUIDs in hex) and their value handles, laid out as a GATT server does:
    service declaration, then per characteristic its declaration, its value, its CCCD when it can notify or indicate,
    then its descriptors. ``values`` (when given) gets a fresh `_Value` per value handle."""
    handle = 0
    services = []
    all_handles = []
    for service_uuid, characteristics in services_definition:
        handle += 1
        chars = []
        handles = []
        for definition in characteristics:
            char_uuid, flags = definition[0], definition[1]
            handle += 2
            handles.append(handle)
            if values is not None:
                values[handle] = _Value()
            if flags & (FLAG_NOTIFY | FLAG_INDICATE):
                handle += 1
            descriptors = []
            for desc_uuid, desc_flags in definition[2] if len(definition) > 2 else ():
                handle += 1
                handles.append(handle)
                if values is not None:
                    values[handle] = _Value()
                descriptors.append([_hex(UUID(desc_uuid)), desc_flags])
            chars.append([_hex(UUID(char_uuid)), flags, descriptors])
        services.append([_hex(UUID(service_uuid)), chars])
        all_handles.append(handles)
    return services, all_handles


_simboard.on("ble", _on_host)


class BLE:
    """``bluetooth.BLE()``: every instance is a view of the board's one radio."""

    def _need_active(self):
        if not _radio.active:
            raise OSError(_EPERM)

    # ---------------------------------------------------------------------------------------------- configuration
    def active(self, change=None):
        r = _radio
        if change is not None:
            on = bool(change)
            if on and not r.active:
                r.active = True
                _send("active", on=True, mac=_hex(_mac()), name=r.name, mtu=r.mtu)
            elif not on and r.active:
                r.active = False
                r.conns.clear()
                r.in_stack.clear()
                r.values.clear()
                r.services = False
                r.adv = None
                _send("active", on=False)
        return r.active

    def config(self, *query, **changes):
        r = _radio
        if query:
            if len(query) != 1 or changes:
                raise TypeError("config takes one parameter name or keyword changes")
            name = query[0]
            if name == "mac":
                return (0, _mac())
            if name == "gap_name":
                return r.name.encode()
            if name == "mtu":
                return r.mtu
            if name == "addr_mode":
                return 0
            raise ValueError("unknown config param")
        for name, value in changes.items():
            if name == "gap_name":
                r.name = value.decode() if isinstance(value, (bytes, bytearray)) else str(value)
                if r.active:
                    _send("config", name=r.name)
            elif name == "mtu":
                if not ATT_DEFAULT_MTU <= value <= ATT_MAX_MTU:
                    raise ValueError("mtu must be 23..517")
                r.mtu = value
                if r.active:
                    _send("config", mtu=value)
            elif name in ("rxbuf", "io", "bond", "le_secure", "mitm", "addr_mode"):
                pass  # meaningful to a real controller's pairing and buffers; nothing to do here
            else:
                raise ValueError("unknown config param")
        return None

    def irq(self, handler):
        _radio.handler = handler

    # -------------------------------------------------------------------------------------------------------- GAP
    def gap_advertise(self, interval_us, adv_data=None, *, resp_data=None, connectable=True):
        self._need_active()
        r = _radio
        if interval_us is None:
            r.adv = None
            _send("advertise", interval_us=None)
            return
        previous = r.adv or {}
        # None keeps the payload of the previous call, as on the board.
        adv = _hex(adv_data) if adv_data is not None else previous.get("adv", "")
        resp = _hex(resp_data) if resp_data is not None else previous.get("resp", "")
        if len(adv) > 2 * MAX_ADV_BYTES or len(resp) > 2 * MAX_ADV_BYTES:
            raise OSError(_EINVAL)
        r.adv = {"interval_us": interval_us, "adv": adv, "resp": resp, "connectable": bool(connectable)}
        _send("advertise", **r.adv)

    def gap_disconnect(self, conn_handle):
        self._need_active()
        if conn_handle not in _radio.conns:
            return False
        _send("disconnect", conn=conn_handle)
        return True

    # ------------------------------------------------------------------------------------------------ GATT server
    def gatts_register_services(self, services_definition):
        self._need_active()
        r = _radio
        r.values = {}
        services, handles = _describe(services_definition, r.values)
        # What a replay sends again is kept by the board's JavaScript, off this heap: the chip keeps of a registration
        # on the Python heap only its values' buffers (the firmware may drop its definitions once registered).
        _simboard.stash("ble_services", json.dumps([services, handles]))
        r.services = True
        _send("services", services=services, handles=handles)
        return tuple(tuple(h) for h in handles)

    def _value(self, value_handle):
        value = _radio.values.get(value_handle)
        if value is None:
            raise OSError(_EINVAL)
        return value

    def gatts_read(self, value_handle):
        return self._value(value_handle).data

    def gatts_write(self, value_handle, data, send_update=False):
        t0 = _simboard.hw_begin()  # NimBLE's C on a board, not the firmware's time (budget mode)
        try:
            value = self._value(value_handle)
            value.data = bytes(data)
            value.max_bytes = max(value.max_bytes, len(value.data))  # a local write grows the buffer
            _send("write", handle=value_handle, data=_hex(value.data), update=bool(send_update))
        finally:
            _simboard.hw_end(t0)

    def gatts_set_buffer(self, value_handle, length, append=False):
        value = self._value(value_handle)
        value.max_bytes = length
        value.append = bool(append)
        _send("buffer", handle=value_handle, size=length, append=bool(append))

    def gatts_notify(self, conn_handle, value_handle, data=None):
        t0 = _simboard.hw_begin()  # NimBLE's C on a board, not the firmware's time (budget mode)
        try:
            self._notify(conn_handle, value_handle, data)
        finally:
            _simboard.hw_end(t0)

    def _notify(self, conn_handle, value_handle, data):
        r = _radio
        self._need_active()
        mtu = r.conns.get(conn_handle)
        if mtu is None:
            raise OSError(_ENOTCONN)
        payload = self._value(value_handle).data if data is None else data
        if _pending() >= STACK_PACKETS:
            r.refused += 1
            raise OSError(_ENOMEM)
        room = mtu - 3
        raw = bytes(payload) if len(payload) <= room else bytes(payload[:room])
        r.in_stack[conn_handle] += 1
        r.notified += 1
        _send("notify", conn=conn_handle, handle=value_handle, data=raw.hex())


def stats():
    """What the radio did this boot (for tests at the REPL): notifications sent, refused (ENOMEM), IRQ errors."""
    r = _radio
    return {"notified": r.notified, "refused": r.refused, "irq_errors": r.irq_errors, "pending": _pending()}
