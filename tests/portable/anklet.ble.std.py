# Standard characteristic formats: byte-exact packing, decoding and date arithmetic under both Pythons.
from anklet.ble import std

buf = bytearray(std.RSC_MAX_BYTES)
n = std.pack_rsc_into(buf, 300, 104, False, -1, -1)
print(n, bytes(buf[:n]).hex(), std.unpack_rsc(bytes(buf[:n])))
n = std.pack_rsc_into(buf, 512, 160, True, 120, 123456)
print(n, bytes(buf[:n]).hex(), std.unpack_rsc(bytes(buf[:n])))
for bad in (b"\x00\x01", b"\x01\x00\x00\x50", b"\x08\x00\x00\x50"):
    try:
        std.unpack_rsc(bad)
    except ValueError as exc:
        print("ValueError", exc)
ct = bytearray(std.CURRENT_TIME_BYTES)
std.pack_current_time_into(ct, 2026, 11, 14, 9, 30, 5, 6, 128, std.ADJUST_MANUAL)
print(bytes(ct).hex(), std.unpack_current_time(bytes(ct)))
for bad in (b"\x00" * 9, bytes(ct[:2]) + b"\x02\x1e" + bytes(ct[4:])):
    try:
        std.unpack_current_time(bad)
    except ValueError as exc:
        print("ValueError", exc)
print(std.seconds_since_2000(2000, 1, 1, 0, 0, 0), std.seconds_since_2000(2000, 3, 1, 0, 0, 0))
print(std.seconds_since_2000(2026, 11, 14, 9, 30, 5))
