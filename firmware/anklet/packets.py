"""Every BLE packet the anklet sends or receives, defined once: the board encodes with it, the laptop decodes with it.

Layout rules (all packets):

- Little-endian, packed with ``struct``.
- Byte 0 is the header: high nibble the format version (``FORMAT_VERSION``), low nibble the packet kind (``KIND_*``).
  A decoder refuses any other version, so an old laptop never misreads a newer anklet.
- Stream packets carry a sequence number (live, steps: rolling uint16; records: the first record's uint32 log
  sequence; raw: the uint32 index of the first sample), so the receiver sees lost or repeated notifications.
- Each packet fits one notification at the default ATT MTU of 23 (``DEFAULT_PAYLOAD`` = 20 bytes). Batch packets
  (steps, records, raw) take the payload limit (``MTU - 3``) and carry as many items as fit.

This module is the formats (``FMT_*``, sizes, codes) and what the board runs: the ``pack_*_into`` functions write
into a preallocated ``bytearray`` with ``struct.pack_into`` and return the packet length (an int), so they allocate
nothing; out-of-range counters are clamped, never raised. The board reads only two packets, with ``unpack_control``
and ``unpack_settings`` (tuples; ``PacketError`` for anything malformed). The laptop's codec, packet objects with
``decode``/``encode`` built on these same formats, packers and checks, is `anklet_host.packets`: the board never
carries it.

    buf = bytearray(DEFAULT_PAYLOAD)
    n = pack_live_into(buf, seq, contacts, backward, toe_first, steps, cadence_spm, active_s, SESSION_IDLE)
    notify(memoryview(buf)[:n])          # device
    live = anklet_host.packets.decode_live(data)   # laptop
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

# Strike of a contact (which part of the foot touched first): the one definition, used by the detector, the activity
# log, the app and the laptop. Minute records fold UNKNOWN into FLAT.
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

# The leg the anklet is worn on (settings packet).
LEG_LEFT = const(0)
LEG_RIGHT = const(1)
SETTINGS_AUTO_START = const(0x01)  # start a walk session when walking starts (else by the button)

FMT_LIVE = "<BHHHHIBIB"
LIVE_SIZE = const(19)
FMT_STEPS_HEAD = "<BHI"
STEPS_HEAD_SIZE = const(7)
STEP_EVENT_SIZE = const(2)
STEP_OFFSET_MAX_MS = const(0x1FFF)  # 13 bits: a batch spans at most 8.191 s after its base time
FMT_RECORDS_HEAD = "<BI"
RECORDS_HEAD_SIZE = const(5)
FMT_MINUTE = "<BHIBBBBBBBB"
FMT_SESSION = "<BHIHHHH"
FMT_CONTROL = "<BBI"
CONTROL_SIZE = const(6)
FMT_STATUS = "<BIIII"
STATUS_SIZE = const(17)
FMT_SETTINGS = "<BHBHB"
SETTINGS_SIZE = const(7)
FMT_RAW_HEAD = "<BIH"
RAW_HEAD_SIZE = const(7)
FMT_RAW_SAMPLE = "<hhh"
RAW_SAMPLE_SIZE = const(6)
FMT_DEVICE_TIME = "<BHII"
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
        FMT_LIVE,
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
    struct.pack_into(FMT_STEPS_HEAD, buf, 0, (FORMAT_VERSION << 4) | KIND_STEPS, seq & _U16, base_ms)
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
    struct.pack_into(FMT_RECORDS_HEAD, buf, 0, (FORMAT_VERSION << 4) | KIND_RECORDS, first_seq)
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
        FMT_MINUTE,
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
        FMT_SESSION,
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
    struct.pack_into(FMT_CONTROL, buf, 0, (FORMAT_VERSION << 4) | KIND_CONTROL, opcode, argument)
    return CONTROL_SIZE


def pack_status_into(buf: bytearray, oldest_seq: int, newest_seq: int, acked_seq: int, evicted: int) -> int:
    """The log's state: records ``oldest_seq``..``newest_seq`` are stored (empty when oldest = newest + 1), the host
    acknowledged up to ``acked_seq``, and ``evicted`` unacknowledged records were dropped because the log was full."""
    struct.pack_into(FMT_STATUS, buf, 0, header(KIND_STATUS), oldest_seq, newest_seq, acked_seq, evicted)
    return STATUS_SIZE


def pack_settings_into(buf: bytearray, rate_hz: int, leg: int, goal_min: int, flags: int) -> int:
    """Settings: sample rate, leg (``LEG_*``), daily backward-walking goal, ``SETTINGS_*`` flags."""
    struct.pack_into(FMT_SETTINGS, buf, 0, (FORMAT_VERSION << 4) | KIND_SETTINGS, rate_hz, leg, goal_min, flags)
    return SETTINGS_SIZE


def raw_capacity(payload_limit: int) -> int:
    """How many 3-axis samples one raw packet carries within ``payload_limit`` bytes."""
    return (payload_limit - RAW_HEAD_SIZE) // RAW_SAMPLE_SIZE


def pack_raw_head_into(buf: bytearray, first_index: int, scale_ug: int) -> int:
    """Start a raw packet: index of its first sample since recording began, micro-g per count of the samples."""
    struct.pack_into(FMT_RAW_HEAD, buf, 0, (FORMAT_VERSION << 4) | KIND_RAW, first_index, scale_ug)
    return RAW_HEAD_SIZE


def pack_raw_sample_into(buf: bytearray, index: int, x: int, y: int, z: int) -> int:
    """Write raw sample ``index`` (0-based, int16 counts, body frame); returns the packet length with it included."""
    at = RAW_HEAD_SIZE + index * RAW_SAMPLE_SIZE
    struct.pack_into(FMT_RAW_SAMPLE, buf, at, x, y, z)
    return at + RAW_SAMPLE_SIZE


def pack_device_time_into(buf: bytearray, boot_id: int, uptime_s: int, wall_s: int) -> int:
    """The device's clock: which boot this is, seconds since it, and wall time (Unix seconds; 0 = not set)."""
    struct.pack_into(FMT_DEVICE_TIME, buf, 0, (FORMAT_VERSION << 4) | KIND_DEVICE_TIME, boot_id, uptime_s, wall_s)
    return DEVICE_TIME_SIZE


# ------------------------------------------------------------------------------------------ device-side readers


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


def unpack_control(data) -> "tuple[int, int]":
    """A control command's ``(opcode, argument)``; `PacketError` if it is not a well-formed command."""
    _expect_size(data, KIND_CONTROL, CONTROL_SIZE)
    _, opcode, argument = struct.unpack_from(FMT_CONTROL, data, 0)
    if opcode < 1 or opcode > _OP_MAX:
        raise PacketError("unknown control opcode " + str(opcode))
    return opcode, argument


def unpack_settings(data) -> "tuple[int, int, int, bool]":
    """Settings ``(rate_hz, leg, goal_min, auto_start)``; `PacketError` if out of range or malformed."""
    _expect_size(data, KIND_SETTINGS, SETTINGS_SIZE)
    _, rate_hz, leg, goal_min, flags = struct.unpack_from(FMT_SETTINGS, data, 0)
    if rate_hz < 1 or rate_hz > 3200:
        raise PacketError("sample rate " + str(rate_hz) + " Hz is out of range")
    if leg > LEG_RIGHT:
        raise PacketError("unknown leg " + str(leg))
    if goal_min > 1440:
        raise PacketError("daily goal " + str(goal_min) + " min is longer than a day")
    if flags & ~SETTINGS_AUTO_START:
        raise PacketError("unknown settings flags " + hex(flags))
    return rate_hz, leg, goal_min, bool(flags & SETTINGS_AUTO_START)
