"""The standard characteristics' formats, packed by the firmware and decoded by the host with this same code.

- RSC Measurement 0x2A53 (Running Speed and Cadence service): byte 0 flags (bit 0 stride length present, bit 1 total
  distance present, bit 2 set = running, clear = walking), speed uint16 in 1/256 m/s, cadence uint8 in steps per
  minute, then the optional stride length uint16 in cm and total distance uint32 in 1/10 m. Little-endian.
- RSC Feature 0x2A54: uint16 bit field; the anklet reports "walking or running status supported" (bit 2).
- Current Time 0x2A2B (Current Time service): year uint16, month, day, hours, minutes, seconds, day of week
  (1 = Monday .. 7 = Sunday, 0 unknown), fractions of a second in 1/256 s, adjust reason. The host writes it.
- Battery Level 0x2A19: uint8 percent.

Packing is ``pack_into`` a preallocated buffer (no allocation on the device); decoding returns tuples and raises
``ValueError`` with a message for anything malformed.
"""

import struct

from anklet.compat import const

RSC_FLAG_STRIDE = const(0x01)
RSC_FLAG_DISTANCE = const(0x02)
RSC_FLAG_RUNNING = const(0x04)
RSC_FEATURE_WALKING_OR_RUNNING_STATUS = const(0x0004)
RSC_MAX_BYTES = const(10)
CURRENT_TIME_BYTES = const(10)
ADJUST_MANUAL = const(0x01)
ADJUST_EXTERNAL_REFERENCE = const(0x02)

_U16_MAX = const(0xFFFF)
_U32_MAX = const(0xFFFFFFFF)


def pack_rsc_into(
    buf: bytearray, speed_q8_ms: int, cadence_spm: int, running: bool, stride_cm: int, distance_dm: int
) -> int:
    """RSC Measurement into ``buf``; ``stride_cm``/``distance_dm`` < 0 are left out. Returns the length."""
    if speed_q8_ms < 0 or speed_q8_ms > _U16_MAX:
        raise ValueError("speed out of range")
    if cadence_spm < 0 or cadence_spm > 255:
        raise ValueError("cadence out of range")
    flags = RSC_FLAG_RUNNING if running else 0
    n = 4
    if stride_cm >= 0:
        flags |= RSC_FLAG_STRIDE
        if stride_cm > _U16_MAX:
            raise ValueError("stride out of range")
        struct.pack_into("<H", buf, n, stride_cm)
        n += 2
    if distance_dm >= 0:
        flags |= RSC_FLAG_DISTANCE
        if distance_dm > _U32_MAX:
            raise ValueError("distance out of range")
        struct.pack_into("<I", buf, n, distance_dm)
        n += 4
    struct.pack_into("<BHB", buf, 0, flags, speed_q8_ms, cadence_spm)
    return n


def unpack_rsc(data: bytes) -> "tuple[bool, int, int, int, int]":
    """(running, speed_q8_ms, cadence_spm, stride_cm or -1, distance_dm or -1) from an RSC Measurement."""
    if len(data) < 4:
        raise ValueError("RSC measurement too short: %d bytes" % len(data))
    flags, speed, cadence = struct.unpack_from("<BHB", data, 0)
    if flags & 0xF8:
        raise ValueError("RSC measurement has reserved flag bits set: 0x%02x" % flags)
    expected = 4 + (2 if flags & RSC_FLAG_STRIDE else 0) + (4 if flags & RSC_FLAG_DISTANCE else 0)
    if len(data) != expected:
        raise ValueError("RSC measurement is %d bytes, its flags say %d" % (len(data), expected))
    n = 4
    stride = -1
    distance = -1
    if flags & RSC_FLAG_STRIDE:
        stride = struct.unpack_from("<H", data, n)[0]
        n += 2
    if flags & RSC_FLAG_DISTANCE:
        distance = struct.unpack_from("<I", data, n)[0]
    return (bool(flags & RSC_FLAG_RUNNING), speed, cadence, stride, distance)


def pack_current_time_into(
    buf: bytearray,
    year: int,
    month: int,
    day: int,
    hours: int,
    minutes: int,
    seconds: int,
    weekday: int,
    fraction256: int,
    adjust_reason: int,
) -> int:
    _check_date(year, month, day, hours, minutes, seconds)
    if weekday < 0 or weekday > 7 or fraction256 < 0 or fraction256 > 255 or adjust_reason < 0 or adjust_reason > 255:
        raise ValueError("current time: weekday, fraction or adjust reason out of range")
    struct.pack_into(
        "<HBBBBBBBB", buf, 0, year, month, day, hours, minutes, seconds, weekday, fraction256, adjust_reason
    )
    return CURRENT_TIME_BYTES


def unpack_current_time(data: bytes) -> "tuple[int, int, int, int, int, int, int, int, int]":
    """(year, month, day, hours, minutes, seconds, weekday, fraction256, adjust_reason); ValueError if malformed."""
    if len(data) != CURRENT_TIME_BYTES:
        raise ValueError("current time must be %d bytes, not %d" % (CURRENT_TIME_BYTES, len(data)))
    year, month, day, hours, minutes, seconds, weekday, fraction, reason = struct.unpack_from("<HBBBBBBBB", data, 0)
    _check_date(year, month, day, hours, minutes, seconds)
    if weekday > 7:
        raise ValueError("current time: day of week %d is not 0..7" % weekday)
    return (year, month, day, hours, minutes, seconds, weekday, fraction, reason)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _check_date(year: int, month: int, day: int, hours: int, minutes: int, seconds: int) -> None:
    if year < 2000 or year > 2199:
        raise ValueError("current time: year %d is not 2000..2199" % year)
    if month < 1 or month > 12 or day < 1 or day > _days_in_month(year, month):
        raise ValueError("current time: no such date %d-%d-%d" % (year, month, day))
    if hours > 23 or minutes > 59 or seconds > 59 or hours < 0 or minutes < 0 or seconds < 0:
        raise ValueError("current time: no such time %d:%d:%d" % (hours, minutes, seconds))


def seconds_since_2000(year: int, month: int, day: int, hours: int, minutes: int, seconds: int) -> int:
    """Seconds from 2000-01-01 00:00:00 (the ESP32 port's epoch) to the given civil time, integers only."""
    # Days from civil (proleptic Gregorian), counted from 2000-03-01 so leap days fall at the end of a year.
    y = year - 2000 - (1 if month <= 2 else 0)
    m = month + 9 if month <= 2 else month - 3
    days = 365 * y + y // 4 - y // 100 + y // 400 + (153 * m + 2) // 5 + day - 1 + 60
    return days * 86400 + hours * 3600 + minutes * 60 + seconds
