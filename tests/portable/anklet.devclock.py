# The boot counter persists and counts up; uptime survives wrap-around; the wall clock follows uptime once set.
import os

from anklet.devclock import DeviceClock, next_boot_id

PATH = "/tmp/anklet-portable-boot"
try:  # noqa: SIM105 - MicroPython has no contextlib
    os.mkdir("/tmp")
except OSError:
    pass
try:  # noqa: SIM105
    os.remove(PATH)
except OSError:
    pass
print(next_boot_id(PATH), next_boot_id(PATH), next_boot_id(PATH))
with open(PATH, "wb") as f:
    f.write(b"\xff\xff")
print(next_boot_id(PATH))  # wraps to 0
with open(PATH, "wb") as f:
    f.write(b"x")
print(next_boot_id(PATH))  # damaged: starts again
with open(PATH + ".tmp", "wb") as f:
    f.write(b"\x07")  # a write the power cut tore: the counter itself is untouched
print(next_boot_id(PATH), sorted(n for n in os.listdir("/tmp") if n.startswith("anklet-portable-boot")))
os.remove(PATH)

ticks = [5000]
PERIOD = 1 << 20


def wrapping_diff(a, b):
    return ((a - b + PERIOD // 2) % PERIOD) - PERIOD // 2


clock = DeviceClock(7, ticks=lambda: ticks[0], diff=wrapping_diff)
print(clock.uptime_ms(), clock.wall_s(), clock.wall_set)
ticks[0] = PERIOD // 2
print(clock.uptime_ms())
ticks[0] = PERIOD - 10
print(clock.uptime_ms())
ticks[0] = 990  # wrapped
print(clock.uptime_ms(), clock.uptime_s())
seen = []
clock.on_set = seen.append
clock.set_wall(1767225600)
ticks[0] = 3990
print(clock.wall_s(), seen, clock.device_time())
