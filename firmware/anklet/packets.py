"""Every BLE packet the anklet sends or receives, defined once: the board encodes with it, the laptop decodes with it.

Layout rules (all packets):

- Little-endian, packed with ``struct``.
- Byte 0 is the header: high nibble the format version (``FORMAT_VERSION``), low nibble the packet kind (``KIND_*``).
  A decoder refuses any other version, so an old laptop never misreads a newer anklet.
- Stream packets carry a sequence number (live, steps: rolling uint16; records: the first record's uint32 log
  sequence; raw: the uint32 index of the first sample), so the receiver sees lost or repeated notifications.
- Each packet fits one notification at the default ATT MTU of 23 (``DEFAULT_PAYLOAD`` = 20 bytes). Batch packets
  (steps, records, raw) take the payload limit (``MTU - 3``) and carry as many items as fit.

Device side: the ``pack_*_into`` functions write into a preallocated ``bytearray`` with ``struct.pack_into`` and
return the packet length (an int), so they allocate nothing; out-of-range counters are clamped, never raised.
Host side: ``decode(data)`` (or ``decode_<kind>``) returns packet objects; anything malformed raises ``PacketError``
(a ``ValueError``) with a message saying what is wrong, and nothing else. Packet objects encode back with
``encode(payload_limit)``, which raises ``PacketError`` for values the format cannot carry.

    buf = bytearray(DEFAULT_PAYLOAD)
    n = pack_live_into(buf, seq, contacts, backward, toe_first, steps, cadence_spm, active_s, SESSION_IDLE)
    notify(memoryview(buf)[:n])          # device
    live = decode_live(data)             # laptop
"""

import struct

from anklet.compat import const

FORMAT_VERSION = const(1)
DEFAULT_PAYLOAD = const(20)  # ATT_MTU 23 minus the 3-byte notification header
MAX_PAYLOAD = const(512)  # the largest attribute value ATT allows

KIND_LIVE = const(1)
KIND_STEPS = const(2)
KIND_RECORDS = const(3)
KIND_CONTROL = const(4)
KIND_STATUS = const(5)
KIND_SETTINGS = const(6)
KIND_RAW = const(7)
KIND_DEVICE_TIME = const(8)

# Live session state.
SESSION_IDLE = const(0)
SESSION_WALKING = const(1)
_SESSION_MAX = const(1)

# Strike of a contact (which part of the foot touched first). Minute records fold UNKNOWN into FLAT.
STRIKE_UNKNOWN = const(0)
STRIKE_HEEL = const(1)
STRIKE_TOE = const(2)
STRIKE_FLAT = const(3)

# Record kinds (low nibble of a record's first byte) and record flags (high nibble).
RECORD_MINUTE = const(1)
RECORD_SESSION = const(2)
RECORD_WALL_CLOCK = const(0x10)  # time field is wall time (Unix epoch, UTC); else uptime in boot ``boot_id``
RECORD_SIZE = const(15)  # both record kinds; the flash log stores exactly these bytes

# Control point opcodes (host -> device); every control packet carries one uint32 argument.
OP_STATUS = const(1)  # argument ignored; the device answers with a status packet
OP_REQUEST = const(2)  # send records from sequence number <argument> on, then an empty records packet
OP_ACK = const(3)  # the host stored every record up to and including <argument>
OP_SET_CLOCK = const(4)  # wall time now, Unix seconds UTC
OP_TIME = const(5)  # argument ignored; the device answers with a device-time packet
_OP_MAX = const(5)

PLACEMENT_LEFT = const(0)
PLACEMENT_RIGHT = const(1)
SETTINGS_AUTO_START = const(0x01)  # start a walk session when walking starts (else by the button)

_LIVE = "<BHHHHIBIB"
LIVE_SIZE = const(19)
_STEPS_HEAD = "<BHI"
STEPS_HEAD_SIZE = const(7)
STEP_EVENT_SIZE = const(2)
STEP_OFFSET_MAX_MS = const(0x1FFF)  # 13 bits: a batch spans at most 8.191 s after its base time
_RECORDS_HEAD = "<BI"
RECORDS_HEAD_SIZE = const(5)
_MINUTE = "<BHIBBBBBBBB"
_SESSION = "<BHIHHHH"
_CONTROL = "<BBI"
CONTROL_SIZE = const(6)
_STATUS = "<BIIII"
STATUS_SIZE = const(17)
_SETTINGS = "<BHBHB"
SETTINGS_SIZE = const(7)
_RAW_HEAD = "<BIH"
RAW_HEAD_SIZE = const(7)
_RAW_SAMPLE = "<hhh"
RAW_SAMPLE_SIZE = const(6)
_DEVICE_TIME = "<BHII"
DEVICE_TIME_SIZE = const(11)

_U8 = const(0xFF)
_U16 = const(0xFFFF)
_U32 = 0xFFFFFFFF  # not a const: a 32-bit literal is a big int on the board, and it is only used in checks


class PacketError(ValueError):
    """A packet that cannot be decoded (or a value that cannot be encoded): wrong length, version, kind or field."""


def header(kind: int) -> int:
    """The first byte of every packet of ``kind``."""
    return (FORMAT_VERSION << 4) | kind


def _clamp(value: int, top: int) -> int:
    if value < 0:
        return 0
    if value > top:
        return top
    return value


# ------------------------------------------------------------------------------------------------ device-side encoders


def pack_live_into(
    buf: bytearray,
    seq: int,
    contacts: int,
    backward: int,
    toe_first: int,
    steps: int,
    cadence_spm: int,
    active_s: int,
    state: int,
) -> int:
    """Live counters for today: contacts of this foot, of them backward and backward toe-first, steps of both feet,
    cadence (steps/min), active seconds, session state. Counters saturate (65,535 contacts is ~131,000 steps)."""
    struct.pack_into(
        _LIVE,
        buf,
        0,
        (FORMAT_VERSION << 4) | KIND_LIVE,
        seq & _U16,
        _clamp(contacts, _U16),
        _clamp(backward, _U16),
        _clamp(toe_first, _U16),
        steps if steps >= 0 else 0,
        _clamp(cadence_spm, _U8),
        active_s if active_s >= 0 else 0,
        state & _U8,
    )
    return LIVE_SIZE


def steps_capacity(payload_limit: int) -> int:
    """How many step events one steps packet carries within ``payload_limit`` bytes."""
    return (payload_limit - STEPS_HEAD_SIZE) // STEP_EVENT_SIZE


def pack_steps_head_into(buf: bytearray, seq: int, base_ms: int) -> int:
    """Start a steps packet; events follow with ``pack_step_into``. ``base_ms``: uptime of the batch's time zero."""
    struct.pack_into(_STEPS_HEAD, buf, 0, (FORMAT_VERSION << 4) | KIND_STEPS, seq & _U16, base_ms)
    return STEPS_HEAD_SIZE


def pack_step_into(buf: bytearray, index: int, offset_ms: int, backward: int, strike: int) -> int:
    """Write step event ``index`` (0-based) of the batch; returns the packet length with it included.

    One uint16 per event: bit 15 backward, bits 14-13 strike, bits 12-0 milliseconds after the batch's base time.
    """
    word = _clamp(offset_ms, STEP_OFFSET_MAX_MS) | ((strike & 3) << 13)
    if backward:
        word |= 0x8000
    at = STEPS_HEAD_SIZE + index * STEP_EVENT_SIZE
    struct.pack_into("<H", buf, at, word)
    return at + STEP_EVENT_SIZE


def records_capacity(payload_limit: int) -> int:
    """How many log records one records packet carries within ``payload_limit`` bytes."""
    return (payload_limit - RECORDS_HEAD_SIZE) // RECORD_SIZE


def pack_records_head_into(buf: bytearray, first_seq: int) -> int:
    """Start a records packet whose first record has log sequence ``first_seq``; records follow back to back
    (consecutive sequence numbers). A packet with no records marks the end of a transfer: ``first_seq`` is then the
    sequence number the next record will get."""
    struct.pack_into(_RECORDS_HEAD, buf, 0, (FORMAT_VERSION << 4) | KIND_RECORDS, first_seq)
    return RECORDS_HEAD_SIZE


def pack_minute_into(
    buf: bytearray,
    offset: int,
    wall_clock: int,
    boot_id: int,
    t_min: int,
    forward_heel: int,
    forward_toe: int,
    forward_flat: int,
    backward_heel: int,
    backward_toe: int,
    backward_flat: int,
    cadence_spm: int,
    active_s: int,
) -> int:
    """A minute-of-walking record at ``offset``; returns the offset after it.

    ``t_min``: the minute's start, in minutes since the Unix epoch if ``wall_clock`` else minutes of uptime in boot
    ``boot_id``. Contacts of this foot by direction and strike (unknown strikes count as flat), cadence in steps per
    minute (both feet) while active, and active seconds (0-60).
    """
    struct.pack_into(
        _MINUTE,
        buf,
        offset,
        RECORD_MINUTE | RECORD_WALL_CLOCK if wall_clock else RECORD_MINUTE,
        boot_id & _U16,
        t_min,
        _clamp(forward_heel, _U8),
        _clamp(forward_toe, _U8),
        _clamp(forward_flat, _U8),
        _clamp(backward_heel, _U8),
        _clamp(backward_toe, _U8),
        _clamp(backward_flat, _U8),
        _clamp(cadence_spm, _U8),
        _clamp(active_s, 60),
    )
    return offset + RECORD_SIZE


def pack_session_into(
    buf: bytearray,
    offset: int,
    wall_clock: int,
    boot_id: int,
    start_s: int,
    duration_s: int,
    forward: int,
    backward: int,
    backward_toe: int,
) -> int:
    """A walk-session record at ``offset``; returns the offset after it. ``start_s`` is Unix seconds if
    ``wall_clock`` else seconds of uptime in boot ``boot_id``; totals are contacts of this foot."""
    struct.pack_into(
        _SESSION,
        buf,
        offset,
        RECORD_SESSION | RECORD_WALL_CLOCK if wall_clock else RECORD_SESSION,
        boot_id & _U16,
        start_s,
        _clamp(duration_s, _U16),
        _clamp(forward, _U16),
        _clamp(backward, _U16),
        _clamp(backward_toe, _U16),
    )
    return offset + RECORD_SIZE


def pack_control_into(buf: bytearray, opcode: int, argument: int) -> int:
    """A control-point command (``OP_*``) with its uint32 argument."""
    struct.pack_into(_CONTROL, buf, 0, (FORMAT_VERSION << 4) | KIND_CONTROL, opcode, argument)
    return CONTROL_SIZE


def pack_status_into(buf: bytearray, oldest_seq: int, newest_seq: int, acked_seq: int, evicted: int) -> int:
    """The log's state: records ``oldest_seq``..``newest_seq`` are stored (empty when oldest = newest + 1), the host
    acknowledged up to ``acked_seq``, and ``evicted`` unacknowledged records were dropped because the log was full."""
    struct.pack_into(_STATUS, buf, 0, (FORMAT_VERSION << 4) | KIND_STATUS, oldest_seq, newest_seq, acked_seq, evicted)
    return STATUS_SIZE


def pack_settings_into(buf: bytearray, rate_hz: int, placement: int, goal_min: int, flags: int) -> int:
    """Settings: sample rate, placement (``PLACEMENT_*``), daily backward-walking goal, ``SETTINGS_*`` flags."""
    struct.pack_into(_SETTINGS, buf, 0, (FORMAT_VERSION << 4) | KIND_SETTINGS, rate_hz, placement, goal_min, flags)
    return SETTINGS_SIZE


def raw_capacity(payload_limit: int) -> int:
    """How many 3-axis samples one raw packet carries within ``payload_limit`` bytes."""
    return (payload_limit - RAW_HEAD_SIZE) // RAW_SAMPLE_SIZE


def pack_raw_head_into(buf: bytearray, first_index: int, scale_ug: int) -> int:
    """Start a raw packet: index of its first sample since recording began, micro-g per count of the samples."""
    struct.pack_into(_RAW_HEAD, buf, 0, (FORMAT_VERSION << 4) | KIND_RAW, first_index, scale_ug)
    return RAW_HEAD_SIZE


def pack_raw_sample_into(buf: bytearray, index: int, x: int, y: int, z: int) -> int:
    """Write raw sample ``index`` (0-based, int16 counts, body frame); returns the packet length with it included."""
    at = RAW_HEAD_SIZE + index * RAW_SAMPLE_SIZE
    struct.pack_into(_RAW_SAMPLE, buf, at, x, y, z)
    return at + RAW_SAMPLE_SIZE


def pack_device_time_into(buf: bytearray, boot_id: int, uptime_s: int, wall_s: int) -> int:
    """The device's clock: which boot this is, seconds since it, and wall time (Unix seconds; 0 = not set)."""
    struct.pack_into(_DEVICE_TIME, buf, 0, (FORMAT_VERSION << 4) | KIND_DEVICE_TIME, boot_id, uptime_s, wall_s)
    return DEVICE_TIME_SIZE


# --------------------------------------------------------------------------------------------------- packet objects


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise PacketError(message)


def _check_range(name: str, value: int, top: int) -> None:
    if not isinstance(value, int) or value < 0 or value > top:
        raise PacketError(name + " must be an integer in 0.." + str(top) + ", not " + repr(value))


def _buffer(size: int, payload_limit: int, what: str) -> bytearray:
    if size > payload_limit:
        raise PacketError(what + " needs " + str(size) + " bytes, more than the payload limit " + str(payload_limit))
    return bytearray(size)


class _Packet:
    _FIELDS = ()  # type: tuple[str, ...]

    def fields(self) -> "tuple[object, ...]":
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Packet) and type(self) is type(other) and self.fields() == other.fields()

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.fields())

    def __repr__(self) -> str:
        parts = [name + "=" + repr(getattr(self, name)) for name in self._FIELDS]
        return type(self).__name__ + "(" + ", ".join(parts) + ")"


class Live(_Packet):
    """Live counters (see ``pack_live_into``)."""

    _FIELDS = ("seq", "contacts", "backward", "toe_first", "steps", "cadence_spm", "active_s", "state")

    def __init__(
        self,
        seq: int,
        contacts: int,
        backward: int,
        toe_first: int,
        steps: int,
        cadence_spm: int,
        active_s: int,
        state: int,
    ) -> None:
        self.seq = seq
        self.contacts = contacts
        self.backward = backward
        self.toe_first = toe_first
        self.steps = steps
        self.cadence_spm = cadence_spm
        self.active_s = active_s
        self.state = state

    def encode(self, payload_limit: int = DEFAULT_PAYLOAD) -> bytes:
        _check_range("seq", self.seq, _U16)
        _check_range("contacts", self.contacts, _U16)
        _check_range("backward", self.backward, _U16)
        _check_range("toe_first", self.toe_first, _U16)
        _check_range("steps", self.steps, _U32)
        _check_range("cadence_spm", self.cadence_spm, _U8)
        _check_range("active_s", self.active_s, _U32)
        _check_range("state", self.state, _SESSION_MAX)
        buf = _buffer(LIVE_SIZE, payload_limit, "a live packet")
        pack_live_into(
            buf,
            self.seq,
            self.contacts,
            self.backward,
            self.toe_first,
            self.steps,
            self.cadence_spm,
            self.active_s,
            self.state,
        )
        return bytes(buf)


class StepEvent(_Packet):
    """One contact: milliseconds after its batch's base time, direction, strike (``STRIKE_*``)."""

    _FIELDS = ("offset_ms", "backward", "strike")

    def __init__(self, offset_ms: int, backward: bool, strike: int) -> None:
        self.offset_ms = offset_ms
        self.backward = backward
        self.strike = strike


class Steps(_Packet):
    """A batch of step events (see ``pack_steps_head_into``)."""

    _FIELDS = ("seq", "base_ms", "events")

    def __init__(self, seq: int, base_ms: int, events: "list[StepEvent]") -> None:
        self.seq = seq
        self.base_ms = base_ms
        self.events = events

    def fields(self) -> "tuple[object, ...]":
        return (self.seq, self.base_ms, tuple(e.fields() for e in self.events))

    def encode(self, payload_limit: int = DEFAULT_PAYLOAD) -> bytes:
        _check_range("seq", self.seq, _U16)
        _check_range("base_ms", self.base_ms, _U32)
        _check(len(self.events) > 0, "a steps packet needs at least one event")
        buf = _buffer(STEPS_HEAD_SIZE + STEP_EVENT_SIZE * len(self.events), payload_limit, "a steps packet")
        pack_steps_head_into(buf, self.seq, self.base_ms)
        i = 0
        for event in self.events:
            _check_range("offset_ms", event.offset_ms, STEP_OFFSET_MAX_MS)
            _check_range("strike", event.strike, 3)
            pack_step_into(buf, i, event.offset_ms, 1 if event.backward else 0, event.strike)
            i += 1
        return bytes(buf)


class MinuteRecord(_Packet):
    """A minute of walking (see ``pack_minute_into``)."""

    _FIELDS = (
        "wall_clock",
        "boot_id",
        "t_min",
        "forward_heel",
        "forward_toe",
        "forward_flat",
        "backward_heel",
        "backward_toe",
        "backward_flat",
        "cadence_spm",
        "active_s",
    )

    def __init__(
        self,
        wall_clock: bool,
        boot_id: int,
        t_min: int,
        forward_heel: int,
        forward_toe: int,
        forward_flat: int,
        backward_heel: int,
        backward_toe: int,
        backward_flat: int,
        cadence_spm: int,
        active_s: int,
    ) -> None:
        self.wall_clock = wall_clock
        self.boot_id = boot_id
        self.t_min = t_min
        self.forward_heel = forward_heel
        self.forward_toe = forward_toe
        self.forward_flat = forward_flat
        self.backward_heel = backward_heel
        self.backward_toe = backward_toe
        self.backward_flat = backward_flat
        self.cadence_spm = cadence_spm
        self.active_s = active_s

    def pack_into(self, buf: bytearray, offset: int) -> int:
        _check_range("boot_id", self.boot_id, _U16)
        _check_range("t_min", self.t_min, _U32)
        for name in self._FIELDS[3:10]:
            _check_range(name, getattr(self, name), _U8)
        _check_range("active_s", self.active_s, 60)
        return pack_minute_into(
            buf,
            offset,
            1 if self.wall_clock else 0,
            self.boot_id,
            self.t_min,
            self.forward_heel,
            self.forward_toe,
            self.forward_flat,
            self.backward_heel,
            self.backward_toe,
            self.backward_flat,
            self.cadence_spm,
            self.active_s,
        )


class SessionRecord(_Packet):
    """A walk session (see ``pack_session_into``)."""

    _FIELDS = ("wall_clock", "boot_id", "start_s", "duration_s", "forward", "backward", "backward_toe")

    def __init__(
        self,
        wall_clock: bool,
        boot_id: int,
        start_s: int,
        duration_s: int,
        forward: int,
        backward: int,
        backward_toe: int,
    ) -> None:
        self.wall_clock = wall_clock
        self.boot_id = boot_id
        self.start_s = start_s
        self.duration_s = duration_s
        self.forward = forward
        self.backward = backward
        self.backward_toe = backward_toe

    def pack_into(self, buf: bytearray, offset: int) -> int:
        _check_range("boot_id", self.boot_id, _U16)
        _check_range("start_s", self.start_s, _U32)
        for name in self._FIELDS[3:]:
            _check_range(name, getattr(self, name), _U16)
        _check(self.backward_toe <= self.backward, "backward_toe cannot exceed backward")
        return pack_session_into(
            buf,
            offset,
            1 if self.wall_clock else 0,
            self.boot_id,
            self.start_s,
            self.duration_s,
            self.forward,
            self.backward,
            self.backward_toe,
        )


class Records(_Packet):
    """Log records with consecutive sequence numbers from ``first_seq``; none means the end of a transfer."""

    _FIELDS = ("first_seq", "records")

    def __init__(self, first_seq: int, records: "list[MinuteRecord | SessionRecord]") -> None:
        self.first_seq = first_seq
        self.records = records

    def fields(self) -> "tuple[object, ...]":
        return (self.first_seq, tuple(r.fields() for r in self.records), tuple(type(r) for r in self.records))

    def encode(self, payload_limit: int = DEFAULT_PAYLOAD) -> bytes:
        _check_range("first_seq", self.first_seq, _U32)
        _check(self.first_seq + len(self.records) - 1 <= _U32, "record sequence numbers overflow 32 bits")
        buf = _buffer(RECORDS_HEAD_SIZE + RECORD_SIZE * len(self.records), payload_limit, "a records packet")
        at = pack_records_head_into(buf, self.first_seq)
        for record in self.records:
            at = record.pack_into(buf, at)
        return bytes(buf)


class Control(_Packet):
    """A control-point command: ``OP_*`` and its argument."""

    _FIELDS = ("opcode", "argument")

    def __init__(self, opcode: int, argument: int = 0) -> None:
        self.opcode = opcode
        self.argument = argument

    def encode(self, payload_limit: int = DEFAULT_PAYLOAD) -> bytes:
        _check(1 <= self.opcode <= _OP_MAX, "unknown control opcode " + repr(self.opcode))
        _check_range("argument", self.argument, _U32)
        buf = _buffer(CONTROL_SIZE, payload_limit, "a control packet")
        pack_control_into(buf, self.opcode, self.argument)
        return bytes(buf)


class Status(_Packet):
    """The log's state (see ``pack_status_into``)."""

    _FIELDS = ("oldest_seq", "newest_seq", "acked_seq", "evicted")

    def __init__(self, oldest_seq: int, newest_seq: int, acked_seq: int, evicted: int) -> None:
        self.oldest_seq = oldest_seq
        self.newest_seq = newest_seq
        self.acked_seq = acked_seq
        self.evicted = evicted

    def encode(self, payload_limit: int = DEFAULT_PAYLOAD) -> bytes:
        for name in self._FIELDS:
            _check_range(name, getattr(self, name), _U32)
        _check(self.oldest_seq <= self.newest_seq + 1, "oldest_seq is past newest_seq + 1")
        buf = _buffer(STATUS_SIZE, payload_limit, "a status packet")
        pack_status_into(buf, self.oldest_seq, self.newest_seq, self.acked_seq, self.evicted)
        return bytes(buf)


class Settings(_Packet):
    """Device settings (see ``pack_settings_into``)."""

    _FIELDS = ("rate_hz", "placement", "goal_min", "auto_start")

    def __init__(self, rate_hz: int, placement: int, goal_min: int, auto_start: bool) -> None:
        self.rate_hz = rate_hz
        self.placement = placement
        self.goal_min = goal_min
        self.auto_start = auto_start

    def encode(self, payload_limit: int = DEFAULT_PAYLOAD) -> bytes:
        _check(1 <= self.rate_hz <= 3200, "rate_hz must be in 1..3200, not " + repr(self.rate_hz))
        _check_range("placement", self.placement, PLACEMENT_RIGHT)
        _check_range("goal_min", self.goal_min, 1440)
        buf = _buffer(SETTINGS_SIZE, payload_limit, "a settings packet")
        flags = SETTINGS_AUTO_START if self.auto_start else 0
        pack_settings_into(buf, self.rate_hz, self.placement, self.goal_min, flags)
        return bytes(buf)


class Raw(_Packet):
    """Raw accelerometer samples: index of the first, micro-g per count, and (x, y, z) int16 counts each."""

    _FIELDS = ("first_index", "scale_ug", "samples")

    def __init__(self, first_index: int, scale_ug: int, samples: "list[tuple[int, int, int]]") -> None:
        self.first_index = first_index
        self.scale_ug = scale_ug
        self.samples = samples

    def fields(self) -> "tuple[object, ...]":
        return (self.first_index, self.scale_ug, tuple(tuple(s) for s in self.samples))

    def encode(self, payload_limit: int = DEFAULT_PAYLOAD) -> bytes:
        _check_range("first_index", self.first_index, _U32)
        _check(1 <= self.scale_ug <= _U16, "scale_ug must be in 1..65535, not " + repr(self.scale_ug))
        _check(len(self.samples) > 0, "a raw packet needs at least one sample")
        buf = _buffer(RAW_HEAD_SIZE + RAW_SAMPLE_SIZE * len(self.samples), payload_limit, "a raw packet")
        pack_raw_head_into(buf, self.first_index, self.scale_ug)
        i = 0
        for x, y, z in self.samples:
            for v in (x, y, z):
                _check(isinstance(v, int) and -32768 <= v <= 32767, "a raw sample must be int16, not " + repr(v))
            pack_raw_sample_into(buf, i, x, y, z)
            i += 1
        return bytes(buf)


class DeviceTime(_Packet):
    """The device's clock (see ``pack_device_time_into``)."""

    _FIELDS = ("boot_id", "uptime_s", "wall_s")

    def __init__(self, boot_id: int, uptime_s: int, wall_s: int) -> None:
        self.boot_id = boot_id
        self.uptime_s = uptime_s
        self.wall_s = wall_s

    def encode(self, payload_limit: int = DEFAULT_PAYLOAD) -> bytes:
        _check_range("boot_id", self.boot_id, _U16)
        _check_range("uptime_s", self.uptime_s, _U32)
        _check_range("wall_s", self.wall_s, _U32)
        buf = _buffer(DEVICE_TIME_SIZE, payload_limit, "a device-time packet")
        pack_device_time_into(buf, self.boot_id, self.uptime_s, self.wall_s)
        return bytes(buf)


# ---------------------------------------------------------------------------------------------------------- decoders

_KIND_NAMES = ("", "live", "steps", "records", "control", "status", "settings", "raw", "device-time")


def packet_kind(data: bytes) -> int:
    """The kind (``KIND_*``) of a packet, after checking it is not empty and speaks this format version."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise PacketError("a packet must be bytes, not " + type(data).__name__)
    if len(data) == 0:
        raise PacketError("empty packet")
    version = data[0] >> 4
    if version != FORMAT_VERSION:
        raise PacketError(
            "packet format version " + str(version) + " is not supported (this code speaks " + str(FORMAT_VERSION) + ")"
        )
    kind = data[0] & 0x0F
    if kind < 1 or kind >= len(_KIND_NAMES):
        raise PacketError("unknown packet kind " + str(kind))
    return kind


def _expect(data: bytes, kind: int) -> None:
    found = packet_kind(data)
    if found != kind:
        raise PacketError("expected a " + _KIND_NAMES[kind] + " packet, got a " + _KIND_NAMES[found] + " packet")


def _expect_size(data: bytes, kind: int, size: int) -> None:
    _expect(data, kind)
    if len(data) != size:
        raise PacketError("a " + _KIND_NAMES[kind] + " packet has " + str(size) + " bytes, this one " + str(len(data)))


def _expect_batch(data: bytes, kind: int, head: int, item: int) -> int:
    _expect(data, kind)
    if len(data) < head or (len(data) - head) % item:
        raise PacketError(
            "a "
            + _KIND_NAMES[kind]
            + " packet has "
            + str(head)
            + " bytes plus "
            + str(item)
            + " per item, this one "
            + str(len(data))
        )
    return (len(data) - head) // item


def decode_live(data: bytes) -> Live:
    _expect_size(data, KIND_LIVE, LIVE_SIZE)
    _, seq, contacts, backward, toe_first, steps, cadence, active_s, state = struct.unpack_from(_LIVE, data, 0)
    if state > _SESSION_MAX:
        raise PacketError("unknown session state " + str(state))
    return Live(seq, contacts, backward, toe_first, steps, cadence, active_s, state)


def decode_steps(data: bytes) -> Steps:
    count = _expect_batch(data, KIND_STEPS, STEPS_HEAD_SIZE, STEP_EVENT_SIZE)
    if count == 0:
        raise PacketError("a steps packet without events")
    _, seq, base_ms = struct.unpack_from(_STEPS_HEAD, data, 0)
    events = []
    for i in range(count):
        word = struct.unpack_from("<H", data, STEPS_HEAD_SIZE + i * STEP_EVENT_SIZE)[0]
        events.append(StepEvent(word & STEP_OFFSET_MAX_MS, bool(word & 0x8000), (word >> 13) & 3))
    return Steps(seq, base_ms, events)


def decode_record(data: bytes, offset: int = 0) -> "MinuteRecord | SessionRecord":
    """One log record (``RECORD_SIZE`` bytes at ``offset``), as the flash log stores it and records packets carry."""
    if len(data) - offset < RECORD_SIZE:
        raise PacketError("a record has " + str(RECORD_SIZE) + " bytes, only " + str(len(data) - offset) + " left")
    tag = data[offset]
    kind = tag & 0x0F
    if tag & 0xE0:
        raise PacketError("unknown record flags " + hex(tag & 0xF0))
    wall = bool(tag & RECORD_WALL_CLOCK)
    if kind == RECORD_MINUTE:
        _, boot_id, t_min, fh, ft, ff, bh, bt, bf, cadence, active_s = struct.unpack_from(_MINUTE, data, offset)
        if active_s > 60:
            raise PacketError("a minute record with " + str(active_s) + " active seconds")
        return MinuteRecord(wall, boot_id, t_min, fh, ft, ff, bh, bt, bf, cadence, active_s)
    if kind == RECORD_SESSION:
        _, boot_id, start_s, duration_s, forward, backward, backward_toe = struct.unpack_from(_SESSION, data, offset)
        if backward_toe > backward:
            raise PacketError("a session record with more toe-first than backward contacts")
        return SessionRecord(wall, boot_id, start_s, duration_s, forward, backward, backward_toe)
    raise PacketError("unknown record kind " + str(kind))


def decode_records(data: bytes) -> Records:
    count = _expect_batch(data, KIND_RECORDS, RECORDS_HEAD_SIZE, RECORD_SIZE)
    first_seq = struct.unpack_from(_RECORDS_HEAD, data, 0)[1]
    if count and first_seq + count - 1 > _U32:
        raise PacketError("record sequence numbers overflow 32 bits")
    records = [decode_record(data, RECORDS_HEAD_SIZE + i * RECORD_SIZE) for i in range(count)]
    return Records(first_seq, records)


def decode_control(data: bytes) -> Control:
    _expect_size(data, KIND_CONTROL, CONTROL_SIZE)
    _, opcode, argument = struct.unpack_from(_CONTROL, data, 0)
    if opcode < 1 or opcode > _OP_MAX:
        raise PacketError("unknown control opcode " + str(opcode))
    return Control(opcode, argument)


def decode_status(data: bytes) -> Status:
    _expect_size(data, KIND_STATUS, STATUS_SIZE)
    _, oldest, newest, acked, evicted = struct.unpack_from(_STATUS, data, 0)
    if oldest > newest + 1:
        raise PacketError("a status packet whose oldest record is past the newest")
    return Status(oldest, newest, acked, evicted)


def decode_settings(data: bytes) -> Settings:
    _expect_size(data, KIND_SETTINGS, SETTINGS_SIZE)
    _, rate_hz, placement, goal_min, flags = struct.unpack_from(_SETTINGS, data, 0)
    if rate_hz < 1 or rate_hz > 3200:
        raise PacketError("sample rate " + str(rate_hz) + " Hz is out of range")
    if placement > PLACEMENT_RIGHT:
        raise PacketError("unknown placement " + str(placement))
    if goal_min > 1440:
        raise PacketError("daily goal " + str(goal_min) + " min is longer than a day")
    if flags & ~SETTINGS_AUTO_START:
        raise PacketError("unknown settings flags " + hex(flags))
    return Settings(rate_hz, placement, goal_min, bool(flags & SETTINGS_AUTO_START))


def decode_raw(data: bytes) -> Raw:
    count = _expect_batch(data, KIND_RAW, RAW_HEAD_SIZE, RAW_SAMPLE_SIZE)
    if count == 0:
        raise PacketError("a raw packet without samples")
    _, first_index, scale_ug = struct.unpack_from(_RAW_HEAD, data, 0)
    if scale_ug == 0:
        raise PacketError("a raw packet with scale 0")
    samples = [struct.unpack_from(_RAW_SAMPLE, data, RAW_HEAD_SIZE + i * RAW_SAMPLE_SIZE) for i in range(count)]
    return Raw(first_index, scale_ug, samples)


def decode_device_time(data: bytes) -> DeviceTime:
    _expect_size(data, KIND_DEVICE_TIME, DEVICE_TIME_SIZE)
    _, boot_id, uptime_s, wall_s = struct.unpack_from(_DEVICE_TIME, data, 0)
    return DeviceTime(boot_id, uptime_s, wall_s)


def decode(data: bytes) -> "Live | Steps | Records | Control | Status | Settings | Raw | DeviceTime":
    """Any packet, by its kind; ``PacketError`` if it is malformed."""
    kind = packet_kind(data)
    if kind == KIND_LIVE:
        return decode_live(data)
    if kind == KIND_STEPS:
        return decode_steps(data)
    if kind == KIND_RECORDS:
        return decode_records(data)
    if kind == KIND_CONTROL:
        return decode_control(data)
    if kind == KIND_STATUS:
        return decode_status(data)
    if kind == KIND_SETTINGS:
        return decode_settings(data)
    if kind == KIND_RAW:
        return decode_raw(data)
    return decode_device_time(data)
