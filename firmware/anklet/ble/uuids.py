"""Every UUID the anklet speaks over Bluetooth LE, defined once for the firmware and the host.

The custom anklet service carries what no standard service can (walking direction, foot strike, the record log);
the standard ones let existing apps read cadence, battery, device information and set the clock.

128-bit UUIDs are written as strings (the form ``bluetooth.UUID`` and bleak both accept); 16-bit SIG-assigned ones as
integers. ``sig_uuid_str`` gives the full 128-bit string of a 16-bit one (what bleak reports), ``uuid128_le_bytes``
the little-endian bytes that go into an advertising payload.
"""

import binascii

# The anklet's own base UUID: the 16 bits after the first 16 pick the attribute; "616e6b6c6574" is "anklet" in ASCII.
_BASE_HEAD = "a7c1"
_BASE_TAIL = "-4b1d-4f3e-8a6b-616e6b6c6574"


def _anklet_uuid(short_id: int) -> str:
    return _BASE_HEAD + ("%04x" % short_id) + _BASE_TAIL


ANKLET_SERVICE = _anklet_uuid(0x0001)
LIVE_COUNTERS = _anklet_uuid(0x0002)  # notify: totals and cadence, a few times a second while walking
STEP_EVENTS = _anklet_uuid(0x0003)  # notify: per-contact events, batched to fill a notification
SYNC_CONTROL = _anklet_uuid(0x0004)  # write: request records from a sequence number, acknowledge them
SYNC_DATA = _anklet_uuid(0x0005)  # notify: the requested records
SETTINGS = _anklet_uuid(0x0006)  # read/write: sample rate, placement, daily goal, session auto-start
RAW_STREAM = _anklet_uuid(0x0007)  # notify: raw accelerometer samples, for recording labelled walks

# Standard services and characteristics (Bluetooth SIG assigned numbers).
RSC_SERVICE = 0x1814
RSC_MEASUREMENT = 0x2A53
RSC_FEATURE = 0x2A54
BATTERY_SERVICE = 0x180F
BATTERY_LEVEL = 0x2A19
DEVICE_INFORMATION_SERVICE = 0x180A
MANUFACTURER_NAME = 0x2A29
MODEL_NUMBER = 0x2A24
SERIAL_NUMBER = 0x2A25
FIRMWARE_REVISION = 0x2A26
HARDWARE_REVISION = 0x2A27
CURRENT_TIME_SERVICE = 0x1805
CURRENT_TIME = 0x2A2B

_SIG_BASE_TAIL = "-0000-1000-8000-00805f9b34fb"


def sig_uuid_str(uuid16: int) -> str:
    """The full 128-bit form of a 16-bit SIG UUID, lower case (as bleak reports it)."""
    return ("0000%04x" % uuid16) + _SIG_BASE_TAIL


def uuid128_le_bytes(uuid_str: str) -> bytes:
    """The 16 bytes of a 128-bit UUID string in the little-endian order advertising data and ATT use."""
    raw = binascii.unhexlify(uuid_str.replace("-", ""))
    if len(raw) != 16:
        raise ValueError("not a 128-bit UUID: " + uuid_str)
    return bytes(reversed(raw))
