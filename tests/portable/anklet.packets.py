# The board's side of every packet: the packers write the same bytes, and the two readers accept and refuse the same
# packets, under both runtimes (the laptop's codec, anklet_host.packets, is tested against these bytes on CPython).
import struct

from anklet import packets as p

buf = bytearray(p.MAX_PAYLOAD)
n = p.pack_live_into(buf, 65537, 300, 120, 90, 612, 104, 540, p.SESSION_WALKING)
print("live", bytes(buf[:n]).hex(), struct.unpack_from(p.FMT_LIVE, buf, 0))
p.pack_steps_head_into(buf, 9, 1000000)
p.pack_step_into(buf, 0, 0, 1, p.STRIKE_TOE)
n = p.pack_step_into(buf, 1, 9999, 0, p.STRIKE_HEEL)
print("steps", bytes(buf[:n]).hex())
at = p.pack_records_head_into(buf, 41)
at = p.pack_minute_into(buf, at, 1, 3, 29500000, 20, 2, 1, 3, 30, 4, 96, 58)
at = p.pack_session_into(buf, at, 0, 3, 7200, 1260, 800, 500, 420)
print("records", bytes(buf[:at]).hex(), struct.unpack_from(p.FMT_MINUTE, buf, p.RECORDS_HEAD_SIZE))
n = p.pack_control_into(buf, p.OP_REQUEST, 41)
print("control", bytes(buf[:n]).hex(), p.unpack_control(bytes(buf[:n])))
n = p.pack_status_into(buf, 41, 1480, 40, 12)
print("status", bytes(buf[:n]).hex())
n = p.pack_settings_into(buf, 52, p.LEG_RIGHT, 10, 1)
print("settings", bytes(buf[:n]).hex(), p.unpack_settings(bytes(buf[:n])))
p.pack_raw_head_into(buf, 123456, 61)
p.pack_raw_sample_into(buf, 0, 1, -2, 16384)
n = p.pack_raw_sample_into(buf, 1, -32768, 32767, 0)
print("raw", bytes(buf[:n]).hex())
n = p.pack_device_time_into(buf, 7, 86400, 1767225600)
print("time", bytes(buf[:n]).hex())
print(p.steps_capacity(20), p.records_capacity(20), p.raw_capacity(20), p.records_capacity(244))
for bad in (b"", b"\x21", b"\x14\x09", b"\x14\x07\x00\x00\x00\x00", b"\x16\x00\x00\x00\x00\x00\x00"):
    for reader in (p.unpack_control, p.unpack_settings):
        try:
            reader(bad)
            print("read?!", bad)
        except p.PacketError as exc:
            print("PacketError:", exc, isinstance(exc, ValueError))
