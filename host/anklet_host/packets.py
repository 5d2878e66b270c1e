"""The laptop's codec for every BLE packet: packet objects that decode and encode, on the board's own definitions.

The formats, sizes, codes, packers and the checks of the two packets the board reads live in `anklet.packets`,
which is all the board carries; this module builds the objects the laptop works with on exactly those (``encode``
packs with the board's ``pack_*_into``; ``decode_*`` reads with its ``FMT_*``), re-exporting them, so host code
needs only ``from anklet_host import packets``. ``decode(data)`` (or ``decode_<kind>``) returns packet objects;
anything malformed raises ``PacketError`` (a ``ValueError``) saying what is wrong, and nothing else. Packet objects
encode back with ``encode(payload_limit)``, which raises ``PacketError`` for values the format cannot carry.
"""

# ruff: noqa: F403, F405
from __future__ import annotations

import struct

from anklet.packets import *
from anklet.packets import _KIND_NAMES, _OP_MAX, _SESSION_MAX, _U8, _U16, _U32, _expect, _expect_size

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

    def fields(self) -> tuple[object, ...]:
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

    def __init__(self, seq: int, base_ms: int, events: list[StepEvent]) -> None:
        self.seq = seq
        self.base_ms = base_ms
        self.events = events

    def fields(self) -> tuple[object, ...]:
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

    def __init__(self, first_seq: int, records: list[MinuteRecord | SessionRecord]) -> None:
        self.first_seq = first_seq
        self.records = records

    def fields(self) -> tuple[object, ...]:
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

    _FIELDS = ("rate_hz", "leg", "goal_min", "auto_start")

    def __init__(self, rate_hz: int, leg: int, goal_min: int, auto_start: bool) -> None:
        self.rate_hz = rate_hz
        self.leg = leg
        self.goal_min = goal_min
        self.auto_start = auto_start

    def encode(self, payload_limit: int = DEFAULT_PAYLOAD) -> bytes:
        _check(1 <= self.rate_hz <= 3200, "rate_hz must be in 1..3200, not " + repr(self.rate_hz))
        _check_range("leg", self.leg, LEG_RIGHT)
        _check_range("goal_min", self.goal_min, 1440)
        buf = _buffer(SETTINGS_SIZE, payload_limit, "a settings packet")
        flags = SETTINGS_AUTO_START if self.auto_start else 0
        pack_settings_into(buf, self.rate_hz, self.leg, self.goal_min, flags)
        return bytes(buf)


class Raw(_Packet):
    """Raw accelerometer samples: index of the first, micro-g per count, and (x, y, z) int16 counts each."""

    _FIELDS = ("first_index", "scale_ug", "samples")

    def __init__(self, first_index: int, scale_ug: int, samples: list[tuple[int, int, int]]) -> None:
        self.first_index = first_index
        self.scale_ug = scale_ug
        self.samples = samples

    def fields(self) -> tuple[object, ...]:
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
    _, seq, contacts, backward, toe_first, steps, cadence, active_s, state = struct.unpack_from(FMT_LIVE, data, 0)
    if state > _SESSION_MAX:
        raise PacketError("unknown session state " + str(state))
    return Live(seq, contacts, backward, toe_first, steps, cadence, active_s, state)


def decode_steps(data: bytes) -> Steps:
    count = _expect_batch(data, KIND_STEPS, STEPS_HEAD_SIZE, STEP_EVENT_SIZE)
    if count == 0:
        raise PacketError("a steps packet without events")
    _, seq, base_ms = struct.unpack_from(FMT_STEPS_HEAD, data, 0)
    events = []
    for i in range(count):
        word = struct.unpack_from("<H", data, STEPS_HEAD_SIZE + i * STEP_EVENT_SIZE)[0]
        events.append(StepEvent(word & STEP_OFFSET_MAX_MS, bool(word & 0x8000), (word >> 13) & 3))
    return Steps(seq, base_ms, events)


def decode_record(data: bytes, offset: int = 0) -> MinuteRecord | SessionRecord:
    """One log record (``RECORD_SIZE`` bytes at ``offset``), as the flash log stores it and records packets carry."""
    if len(data) - offset < RECORD_SIZE:
        raise PacketError("a record has " + str(RECORD_SIZE) + " bytes, only " + str(len(data) - offset) + " left")
    tag = data[offset]
    kind = tag & 0x0F
    if tag & 0xE0:
        raise PacketError("unknown record flags " + hex(tag & 0xF0))
    wall = bool(tag & RECORD_WALL_CLOCK)
    if kind == RECORD_MINUTE:
        _, boot_id, t_min, fh, ft, ff, bh, bt, bf, cadence, active_s = struct.unpack_from(FMT_MINUTE, data, offset)
        if active_s > 60:
            raise PacketError("a minute record with " + str(active_s) + " active seconds")
        return MinuteRecord(wall, boot_id, t_min, fh, ft, ff, bh, bt, bf, cadence, active_s)
    if kind == RECORD_SESSION:
        _, boot_id, start_s, duration_s, forward, backward, backward_toe = struct.unpack_from(FMT_SESSION, data, offset)
        if backward_toe > backward:
            raise PacketError("a session record with more toe-first than backward contacts")
        return SessionRecord(wall, boot_id, start_s, duration_s, forward, backward, backward_toe)
    raise PacketError("unknown record kind " + str(kind))


def decode_records(data: bytes) -> Records:
    count = _expect_batch(data, KIND_RECORDS, RECORDS_HEAD_SIZE, RECORD_SIZE)
    first_seq = struct.unpack_from(FMT_RECORDS_HEAD, data, 0)[1]
    if count and first_seq + count - 1 > _U32:
        raise PacketError("record sequence numbers overflow 32 bits")
    records = [decode_record(data, RECORDS_HEAD_SIZE + i * RECORD_SIZE) for i in range(count)]
    return Records(first_seq, records)


def decode_control(data: bytes) -> Control:
    opcode, argument = unpack_control(data)
    return Control(opcode, argument)


def decode_status(data: bytes) -> Status:
    _expect_size(data, KIND_STATUS, STATUS_SIZE)
    _, oldest, newest, acked, evicted = struct.unpack_from(FMT_STATUS, data, 0)
    if oldest > newest + 1:
        raise PacketError("a status packet whose oldest record is past the newest")
    return Status(oldest, newest, acked, evicted)


def decode_settings(data: bytes) -> Settings:
    rate_hz, leg, goal_min, auto_start = unpack_settings(data)
    return Settings(rate_hz, leg, goal_min, auto_start)


def decode_raw(data: bytes) -> Raw:
    count = _expect_batch(data, KIND_RAW, RAW_HEAD_SIZE, RAW_SAMPLE_SIZE)
    if count == 0:
        raise PacketError("a raw packet without samples")
    _, first_index, scale_ug = struct.unpack_from(FMT_RAW_HEAD, data, 0)
    if scale_ug == 0:
        raise PacketError("a raw packet with scale 0")
    samples = [struct.unpack_from(FMT_RAW_SAMPLE, data, RAW_HEAD_SIZE + i * RAW_SAMPLE_SIZE) for i in range(count)]
    return Raw(first_index, scale_ug, samples)


def decode_device_time(data: bytes) -> DeviceTime:
    _expect_size(data, KIND_DEVICE_TIME, DEVICE_TIME_SIZE)
    _, boot_id, uptime_s, wall_s = struct.unpack_from(FMT_DEVICE_TIME, data, 0)
    return DeviceTime(boot_id, uptime_s, wall_s)


def decode(data: bytes) -> Live | Steps | Records | Control | Status | Settings | Raw | DeviceTime:
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
