# Every packet kind encodes to the same bytes and decodes to the same values; malformed input gives the same errors.
from anklet import packets as p

buf = bytearray(p.MAX_PAYLOAD)
n = p.pack_live_into(buf, 65537, 300, 120, 90, 612, 104, 540, p.SESSION_WALKING)
print("live", bytes(buf[:n]).hex(), repr(p.decode(bytes(buf[:n]))))
p.pack_steps_head_into(buf, 9, 1000000)
p.pack_step_into(buf, 0, 0, 1, p.STRIKE_TOE)
n = p.pack_step_into(buf, 1, 9999, 0, p.STRIKE_HEEL)
print("steps", bytes(buf[:n]).hex(), repr(p.decode(bytes(buf[:n]))))
at = p.pack_records_head_into(buf, 41)
at = p.pack_minute_into(buf, at, 1, 3, 29500000, 20, 2, 1, 3, 30, 4, 96, 58)
at = p.pack_session_into(buf, at, 0, 3, 7200, 1260, 800, 500, 420)
print("records", bytes(buf[:at]).hex(), repr(p.decode(bytes(buf[:at]))))
for packet in (
    p.Control(p.OP_REQUEST, 41),
    p.Status(41, 1480, 40, 12),
    p.Settings(52, p.PLACEMENT_RIGHT, 10, True),
    p.Raw(123456, 61, [(1, -2, 16384), (-32768, 32767, 0)]),
    p.DeviceTime(7, 86400, 1767225600),
):
    data = packet.encode()
    print(data.hex(), repr(p.decode(data)), p.decode(data) == packet)
print(p.steps_capacity(20), p.records_capacity(20), p.raw_capacity(20), p.records_capacity(244))
for bad in (b"", b"\x21", b"\x1f", b"\x11\x00", b"\x12" + bytes(7), b"\x13\x01\x00\x00\x00\x07" + bytes(14)):
    try:
        p.decode(bad)
        print("decoded?!", bad)
    except p.PacketError as exc:
        print("PacketError:", exc, isinstance(exc, ValueError))
try:
    p.Steps(0, 0, [p.StepEvent(0, True, 1)] * 7).encode(20)
except p.PacketError as exc:
    print("PacketError:", exc)
