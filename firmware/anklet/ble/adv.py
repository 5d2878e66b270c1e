"""The anklet's advertising and scan-response payloads, built once at start-up (Bluetooth Core Supplement, part A).

The advertisement carries what a scan for anklets filters on: the flags, the anklet's 128-bit service UUID and the
name (shortened to fit). The scan response adds the 16-bit Running Speed and Cadence service (so fitness apps list
the anklet), the appearance "running walking sensor, on shoe" and the full name.
"""

from anklet.ble import uuids
from anklet.compat import const

_AD_FLAGS = const(0x01)
_AD_UUID16_COMPLETE = const(0x03)
_AD_UUID128_COMPLETE = const(0x07)
_AD_NAME_SHORT = const(0x08)
_AD_NAME_COMPLETE = const(0x09)
_AD_APPEARANCE = const(0x19)
_FLAGS_GENERAL_NO_BREDR = const(0x06)
APPEARANCE_WALKING_SENSOR_ON_SHOE = const(0x0442)
MAX_PAYLOAD_BYTES = const(31)


def _field(out, ad_type, value):
    out.append(len(value) + 1)
    out.append(ad_type)
    out.extend(value)


def _name_field(out, name, room):
    raw = name.encode()
    if len(raw) + 2 > room:
        _field(out, _AD_NAME_SHORT, raw[: room - 2])
    else:
        _field(out, _AD_NAME_COMPLETE, raw)


def advertising_payload(name):
    """Flags, the anklet service and as much of the name as fits: what a scan for anklets matches on."""
    out = bytearray()
    _field(out, _AD_FLAGS, bytes((_FLAGS_GENERAL_NO_BREDR,)))
    _field(out, _AD_UUID128_COMPLETE, uuids.uuid128_le_bytes(uuids.ANKLET_SERVICE))
    _name_field(out, name, MAX_PAYLOAD_BYTES - len(out))
    return bytes(out)


def scan_response_payload(name):
    """The RSC service (so fitness apps list the anklet), the appearance and the full name (shortened if need be)."""
    out = bytearray()
    _field(out, _AD_UUID16_COMPLETE, bytes((uuids.RSC_SERVICE & 0xFF, uuids.RSC_SERVICE >> 8)))
    appearance = APPEARANCE_WALKING_SENSOR_ON_SHOE
    _field(out, _AD_APPEARANCE, bytes((appearance & 0xFF, appearance >> 8)))
    _name_field(out, name, MAX_PAYLOAD_BYTES - len(out))
    return bytes(out)
