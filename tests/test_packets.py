"""The BLE packet formats (firmware/anklet/packets.py): exact round trips, sizes, malformed input, zero allocation."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anklet_host import packets as p
from anklet_host.upy import MicroPython

U8 = st.integers(0, 0xFF)
U16 = st.integers(0, 0xFFFF)
U32 = st.integers(0, 0xFFFFFFFF)
PAYLOAD = st.integers(p.DEFAULT_PAYLOAD, p.MAX_PAYLOAD)

lives = st.builds(p.Live, U16, U16, U16, U16, U32, U8, U32, st.integers(0, 1))
step_events = st.builds(p.StepEvent, st.integers(0, p.STEP_OFFSET_MAX_MS), st.booleans(), st.integers(0, 3))
minutes = st.builds(p.MinuteRecord, st.booleans(), U16, U32, U8, U8, U8, U8, U8, U8, U8, st.integers(0, 60))


@st.composite
def sessions(draw: st.DrawFn) -> p.SessionRecord:
    backward = draw(U16)
    return p.SessionRecord(
        draw(st.booleans()), draw(U16), draw(U32), draw(U16), draw(U16), backward, draw(st.integers(0, backward))
    )


records_list = st.lists(st.one_of(minutes, sessions()), max_size=p.records_capacity(p.MAX_PAYLOAD))


@st.composite
def records_packets(draw: st.DrawFn) -> p.Records:
    records = draw(records_list)
    first_seq = draw(st.integers(0, 0xFFFFFFFF - max(len(records) - 1, 0)))
    return p.Records(first_seq, records)


controls = st.builds(p.Control, st.integers(1, 5), U32)


@st.composite
def statuses(draw: st.DrawFn) -> p.Status:
    newest = draw(st.integers(0, 0xFFFFFFFE))
    return p.Status(draw(st.integers(0, newest + 1)), newest, draw(U32), draw(U32))


settings_packets = st.builds(p.Settings, st.integers(1, 3200), st.integers(0, 1), st.integers(0, 1440), st.booleans())
int16 = st.integers(-32768, 32767)
raws = st.builds(
    p.Raw,
    U32,
    st.integers(1, 0xFFFF),
    st.lists(st.tuples(int16, int16, int16), min_size=1, max_size=p.raw_capacity(p.MAX_PAYLOAD)),
)
device_times = st.builds(p.DeviceTime, U16, U32, U32)
steps_packets = st.builds(
    p.Steps, U16, U32, st.lists(step_events, min_size=1, max_size=p.steps_capacity(p.MAX_PAYLOAD))
)
ANY_PACKET = st.one_of(
    lives, steps_packets, records_packets(), controls, statuses(), settings_packets, raws, device_times
)


@settings(max_examples=400)
@given(ANY_PACKET)
def test_every_packet_round_trips_exactly(packet: p._Packet) -> None:
    data = packet.encode(p.MAX_PAYLOAD)  # type: ignore[attr-defined]
    assert p.decode(data) == packet
    assert data[0] >> 4 == p.FORMAT_VERSION
    # Decoding then encoding gives the same bytes: one encoding per value.
    assert p.decode(data).encode(p.MAX_PAYLOAD) == data


@given(ANY_PACKET, PAYLOAD)
def test_encode_respects_the_payload_limit(packet: p._Packet, limit: int) -> None:
    full_size = len(packet.encode(p.MAX_PAYLOAD))  # type: ignore[attr-defined]
    if full_size > limit:
        with pytest.raises(p.PacketError, match="payload limit"):
            packet.encode(limit)  # type: ignore[attr-defined]
    else:
        assert len(packet.encode(limit)) == full_size  # type: ignore[attr-defined]


@given(minutes | sessions())
def test_a_record_is_exactly_record_size_bytes_and_decodes_alone(record: p.MinuteRecord | p.SessionRecord) -> None:
    buf = bytearray(p.RECORD_SIZE + 3)
    end = record.pack_into(buf, 3)
    assert end == 3 + p.RECORD_SIZE
    assert p.decode_record(buf, 3) == record


def test_each_packet_fits_one_notification_at_the_default_mtu() -> None:
    assert p.DEFAULT_PAYLOAD == 23 - 3
    fixed = {
        "live": p.LIVE_SIZE,
        "control": p.CONTROL_SIZE,
        "status": p.STATUS_SIZE,
        "settings": p.SETTINGS_SIZE,
        "device-time": p.DEVICE_TIME_SIZE,
    }
    assert all(size <= p.DEFAULT_PAYLOAD for size in fixed.values()), fixed
    # Batches carry at least one item at MTU 23 and more at larger MTUs.
    assert p.steps_capacity(20) == 6
    assert p.records_capacity(20) == 1
    assert p.raw_capacity(20) == 2
    assert p.steps_capacity(244) == 118  # MTU 247, the usual maximum of phones
    assert p.records_capacity(244) == 15
    assert p.raw_capacity(244) == 39


def test_batches_use_a_larger_payload_when_negotiated() -> None:
    events = [p.StepEvent(i * 500, i % 2 == 0, i % 4) for i in range(10)]
    with pytest.raises(p.PacketError, match="payload limit 20"):
        p.Steps(1, 1000, events).encode(20)
    data = p.Steps(1, 1000, events).encode(64)
    assert len(data) == p.STEPS_HEAD_SIZE + 10 * p.STEP_EVENT_SIZE == 27
    assert p.decode_steps(data).events == events


def test_live_bytes_are_the_documented_layout() -> None:
    live = p.Live(seq=7, contacts=300, backward=120, toe_first=90, steps=612, cadence_spm=104, active_s=540, state=1)
    data = live.encode()
    assert data == bytes([0x11, 7, 0, 44, 1, 120, 0, 90, 0, 100, 2, 0, 0, 104, 28, 2, 0, 0, 1])


def test_step_event_bit_layout() -> None:
    data = p.Steps(0x0102, 0x0A0B0C0D, [p.StepEvent(1234, True, p.STRIKE_TOE)]).encode()
    assert data[:7] == bytes([0x12, 0x02, 0x01, 0x0D, 0x0C, 0x0B, 0x0A])
    (word,) = struct.unpack("<H", data[7:])
    assert word == 0x8000 | (p.STRIKE_TOE << 13) | 1234


def test_device_encoders_clamp_instead_of_raising() -> None:
    buf = bytearray(p.DEFAULT_PAYLOAD)
    n = p.pack_live_into(buf, 70000, 70000, -5, 3, 10, 300, 99, 1)
    live = p.decode_live(buf[:n])
    assert (live.seq, live.contacts, live.backward, live.cadence_spm) == (70000 & 0xFFFF, 0xFFFF, 0, 255)
    n = p.pack_minute_into(buf, 0, 1, 3, 100, 300, 0, 0, 0, 0, 0, 0, 75)
    minute = p.decode_record(buf)
    assert isinstance(minute, p.MinuteRecord)
    assert (minute.forward_heel, minute.active_s, minute.wall_clock) == (255, 60, True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty packet"),
        (bytes([0x21]) + bytes(18), "format version 2 is not supported"),
        (bytes([0x10]), "unknown packet kind 0"),
        (bytes([0x1F]), "unknown packet kind 15"),
        (bytes([0x11]) + bytes(10), "a live packet has 19 bytes, this one 11"),
        (bytes([0x12]) + bytes(6), "a steps packet without events"),
        (bytes([0x12]) + bytes(7), "7 bytes plus 2 per item, this one 8"),
        (bytes([0x13, 1, 0, 0, 0, 0x03]) + bytes(14), "unknown record kind 3"),
        (bytes([0x13, 1, 0, 0, 0, 0x41]) + bytes(14), "unknown record flags 0x40"),
        (bytes([0x14, 9, 0, 0, 0, 0]), "unknown control opcode 9"),
        (bytes([0x15]) + struct.pack("<IIII", 5, 3, 0, 0), "oldest record is past the newest"),
        (bytes([0x16]) + struct.pack("<HBHB", 100, 2, 10, 0), "unknown leg 2"),
        (bytes([0x16]) + struct.pack("<HBHB", 0, 0, 10, 0), "sample rate 0 Hz"),
        (bytes([0x17]) + struct.pack("<IH", 0, 0) + bytes(6), "scale 0"),
    ],
)
def test_malformed_packets_say_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(p.PacketError, match=message):
        p.decode(data)


def test_a_decoder_refuses_another_kind() -> None:
    with pytest.raises(p.PacketError, match="expected a live packet, got a status packet"):
        p.decode_live(p.Status(1, 0, 0, 0).encode())


def test_packet_error_is_a_value_error() -> None:
    assert issubclass(p.PacketError, ValueError)


def assert_decodes_or_packet_error(decoder: Callable[[bytes], object], data: bytes) -> None:
    """Any other exception escapes and fails the test; a decoded packet must encode back to the same bytes."""
    try:
        packet = decoder(data)
    except p.PacketError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        return
    assert isinstance(packet, p._Packet)
    if decoder is not p.decode_record:  # a record decodes from the front of a longer buffer
        assert packet.encode(p.MAX_PAYLOAD) == data  # type: ignore[attr-defined]


DECODERS: list[Callable[[bytes], object]] = [
    p.decode,
    p.decode_live,
    p.decode_steps,
    p.decode_records,
    p.decode_control,
    p.decode_status,
    p.decode_settings,
    p.decode_raw,
    p.decode_device_time,
    p.decode_record,
]


@settings(max_examples=300)
@given(st.binary(max_size=300), st.sampled_from(DECODERS))
def test_fuzz_random_bytes_raise_only_packet_error(data: bytes, decoder: Callable[[bytes], object]) -> None:
    assert_decodes_or_packet_error(decoder, data)


@settings(max_examples=300)
@given(st.integers(1, 8), st.binary(max_size=260), st.sampled_from(DECODERS))
def test_fuzz_valid_headers_with_random_bodies_raise_only_packet_error(
    kind: int, body: bytes, decoder: Callable[[bytes], object]
) -> None:
    assert_decodes_or_packet_error(decoder, bytes([(p.FORMAT_VERSION << 4) | kind]) + body)


@given(ANY_PACKET, st.data())
def test_fuzz_flipped_or_cut_packets_raise_only_packet_error(packet: p._Packet, data: st.DataObject) -> None:
    encoded = bytearray(packet.encode(p.MAX_PAYLOAD))  # type: ignore[attr-defined]
    cut = data.draw(st.integers(0, len(encoded)))
    flip_at = data.draw(st.integers(0, len(encoded) - 1))
    encoded[flip_at] ^= data.draw(st.integers(1, 255))
    for candidate in (bytes(encoded), bytes(encoded[:cut])):
        assert_decodes_or_packet_error(p.decode, candidate)


ZERO_ALLOC_ENCODE = """
import micropython, gc
from anklet import packets as p

def encode_all(buf, rounds):
    n_total = 0
    i = 0
    while i < rounds:
        n_total += p.pack_live_into(buf, i, i * 3, i, i // 2, i * 6, 104, i * 10, 1)
        p.pack_steps_head_into(buf, i, 123456)
        n_total += p.pack_step_into(buf, 0, 37, 1, p.STRIKE_TOE)
        n_total += p.pack_step_into(buf, 5, 8000, 0, p.STRIKE_HEEL)
        p.pack_records_head_into(buf, i + 1)
        end = p.pack_minute_into(buf, p.RECORDS_HEAD_SIZE, 1, 7, 29000000 + i, 1, 2, 3, 4, 5, 6, 98, 55)
        n_total += p.pack_session_into(buf, end, 0, 7, 3600 + i, 900, 400, 300, 250)
        n_total += p.pack_status_into(buf, 1, 1440, 0, 0)
        p.pack_raw_head_into(buf, i * 2, 61)
        n_total += p.pack_raw_sample_into(buf, 1, -16384, 12, 16383)
        n_total += p.pack_device_time_into(buf, 3, 86400, 0)
        i += 1
    return n_total

buf = bytearray(p.MAX_PAYLOAD)
n_total = before = after = 0
encode_all(buf, 1)
gc.collect()
before = gc.mem_alloc()
micropython.heap_lock()
try:
    n_total = encode_all(buf, 200)
    after = gc.mem_alloc()
finally:
    micropython.heap_unlock()
print(n_total, after - before)
"""


@pytest.mark.micropython
def test_device_encoders_allocate_nothing_under_micropython(upy: MicroPython) -> None:
    # heap_lock turns any allocation into MemoryError; the byte count confirms no heap growth either.
    out = upy.run(ZERO_ALLOC_ENCODE).split()
    per_round = p.LIVE_SIZE + 9 + 19 + 35 + 17 + 19 + 11
    assert out == [str(200 * per_round), "0"]


READ_ON_MICROPYTHON = """
from anklet import packets as p
data = bytes.fromhex({hex!r})
for reader in (p.unpack_control, p.unpack_settings):
    try:
        print(list(reader(data)))
    except p.PacketError as exc:
        print("PacketError:", exc)
"""


@pytest.mark.micropython
@settings(max_examples=15, deadline=None)
@given(st.one_of(controls, settings_packets))
def test_the_board_reads_what_the_laptop_writes(upy: MicroPython, packet: p.Control | p.Settings) -> None:
    """The two packets the board reads: its own readers (under MicroPython) see the fields the laptop's codec wrote,
    and refuse the other kind with the laptop's own message."""
    data = packet.encode(p.MAX_PAYLOAD)
    out = upy.run(READ_ON_MICROPYTHON.format(hex=data.hex())).splitlines()
    expected = []
    for reader in (p.unpack_control, p.unpack_settings):
        try:
            expected.append(str(list(reader(data))))
        except p.PacketError as exc:
            expected.append(f"PacketError: {exc}")
    assert out == expected
    assert [line for line in out if not line.startswith("PacketError")] == [str(list(packet.fields()))]
