"""The device's sense of time: which boot this is, uptime that survives tick wrap-around, and the wall clock once a
host has set it. Records made before the clock is set carry (boot id, uptime); the host places them in time.
"""

import os

from anklet.compat import ticks_diff, ticks_ms

try:
    from typing import Callable  # for the annotations; MicroPython has no typing and never evaluates them
except ImportError:
    pass


def next_boot_id(path: str) -> int:
    """Increment and return the boot counter kept in ``path`` (a missing or damaged file counts from 1)."""
    boot_id = 1
    try:
        with open(path, "rb") as f:
            data = f.read()
        if len(data) == 2:
            boot_id = (data[0] | (data[1] << 8)) + 1
    except OSError:
        pass
    boot_id &= 0xFFFF
    # Through a temporary file and a rename, as the counters are: a power cut mid-write leaves the old id, never a
    # torn one that would start the count again at 1 and repeat ids the laptop has already seen.
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(bytes((boot_id & 0xFF, boot_id >> 8)))
    os.rename(tmp, path)
    return boot_id


class DeviceClock:
    """Uptime and wall time. Call ``uptime_ms`` at least every few days so tick wrap-around is never missed."""

    def __init__(
        self,
        boot_id: int,
        ticks: "Callable[[], int]" = ticks_ms,
        diff: "Callable[[int, int], int]" = ticks_diff,
    ) -> None:
        self.boot_id = boot_id
        self._ticks = ticks
        self._diff = diff
        self._last_ticks = ticks()
        self._uptime_ms = self._last_ticks  # the tick counter starts at boot (and has not wrapped yet)
        self.wall_offset_s = 0
        self.wall_set = False
        self.on_set = None  # type: Callable[[int], None] | None  # called with the offset when the host sets it

    def uptime_ms(self) -> int:
        now = self._ticks()
        self._uptime_ms += self._diff(now, self._last_ticks)
        self._last_ticks = now
        return self._uptime_ms

    def uptime_s(self) -> int:
        return self.uptime_ms() // 1000

    def wall_s(self) -> int:
        """Unix seconds now, or 0 while the clock is not set."""
        if not self.wall_set:
            return 0
        return self.uptime_s() + self.wall_offset_s

    def device_time(self) -> "tuple[int, int, int]":
        """(boot id, uptime seconds, wall seconds or 0): what a device-time packet carries."""
        return self.boot_id, self.uptime_s(), self.wall_s()

    def set_wall(self, wall_s: int) -> None:
        self.wall_offset_s = wall_s - self.uptime_s()
        self.wall_set = True
        if self.on_set is not None:
            self.on_set(self.wall_offset_s)
