"""Counters and session state that survive a reset, written to flash at a bounded rate.

The state is one small fixed-size record (magic, version, fields, CRC-32) written to a temporary file and renamed over
the old one, so a power cut leaves either the old or the new state, never a mix. Writes happen at most once per
``min_interval_ms`` (and at once for events that must not be lost: a session ending, the day's reset), which bounds
flash wear: see `wear_per_day` and the README.
"""

import os
import struct
from binascii import crc32

from anklet.compat import const, ticks_diff

_MAGIC = const(0x414B)  # "AK"
_VERSION = const(1)
# magic, version, day, contacts, backward, toe_first, forward, active_s, backward_s, session_active,
# session_start_s, session_contacts, boot_count, crc32
_FORMAT = "<HBHIIIIIIBIIII"
STATE_BYTES = struct.calcsize(_FORMAT)
_FIELDS = (
    "day",
    "contacts",
    "backward",
    "toe_first",
    "forward",
    "active_s",
    "backward_s",
    "session_active",
    "session_start_s",
    "session_contacts",
    "boot_count",
)


class PersistedState:
    """Day counters and session state, loaded at boot and saved at a bounded rate. Fields are plain ints."""

    def __init__(self, path="/state.bin", min_interval_ms=60000):
        self.path = path
        self.min_interval_ms = min_interval_ms
        self.writes = 0
        self._last_save_ms = None
        self._dirty = False
        self.clear()
        self.boot_count = 0

    def clear(self):
        """Zero the day's counters and end any session (the long-press reset)."""
        self.day = 0
        self.contacts = 0
        self.backward = 0
        self.toe_first = 0
        self.forward = 0
        self.active_s = 0
        self.backward_s = 0
        self.session_active = 0
        self.session_start_s = 0
        self.session_contacts = 0
        self._dirty = True

    def pack(self):
        values = [getattr(self, name) for name in _FIELDS]
        body = struct.pack(_FORMAT[:-1], _MAGIC, _VERSION, *values)
        return body + struct.pack("<I", crc32(body) & 0xFFFFFFFF)

    def unpack(self, data):
        """Load fields from a saved record; returns False (fields untouched) if it is torn or foreign."""
        if len(data) != STATE_BYTES:
            return False
        body = data[:-4]
        (crc,) = struct.unpack("<I", data[-4:])
        if crc != crc32(body) & 0xFFFFFFFF:
            return False
        values = struct.unpack(_FORMAT[:-1], body)
        if values[0] != _MAGIC or values[1] != _VERSION:
            return False
        for name, value in zip(_FIELDS, values[2:]):
            setattr(self, name, value)
        self._dirty = False
        return True

    def load(self):
        """Read the saved state (a missing or damaged file leaves zeros) and count this boot."""
        try:
            with open(self.path, "rb") as f:
                loaded = self.unpack(f.read())
        except OSError:
            loaded = False
        self.boot_count += 1
        self._dirty = True
        return loaded

    def mark_dirty(self):
        self._dirty = True

    def maybe_save(self, now_ms, force=False):
        """Save if something changed and the interval has passed (or ``force``); returns True when it wrote."""
        if not self._dirty:
            return False
        due = self._last_save_ms is None or ticks_diff(now_ms, self._last_save_ms) >= self.min_interval_ms
        if not (due or force):
            return False
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(self.pack())
        os.rename(tmp, self.path)
        self._last_save_ms = now_ms
        self._dirty = False
        self.writes += 1
        return True


def wear_per_day(min_interval_ms, active_hours_per_day, erase_block_bytes=4096):
    """Worst-case bytes written per day (each save rewrites one erase block with littlefs copy-on-write)."""
    saves = active_hours_per_day * 3600 * 1000 // min_interval_ms
    return saves * erase_block_bytes
