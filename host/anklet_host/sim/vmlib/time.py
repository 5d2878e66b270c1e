# mypy: ignore-errors
# (MicroPython code that runs inside the simulated board, not on the host: imports stay lazy to keep boots
# light, module state is global as in the ESP32 port's own modules, % formatting as MicroPython prefers.)
"""time on the virtual anklet: the port's clock, run SPEED times faster when the host plays a walk faster than real
time, and sleeps that keep serving timers, pin interrupts and host events (as sleeping on an ESP32 does).

It sits on ``sys.path`` ahead of the port's frozen ``time`` (a /lib/time.py would not: ``.frozen`` comes first).
The scaled ticks are computed without big integers, so code under ``micropython.heap_lock()`` may call them.
"""

import _simboard
import utime
from utime import gmtime, mktime, ticks_add, ticks_diff  # noqa: F401 - re-exported as the board's time module

_SPEED = _simboard.SPEED
_T0_MS = utime.ticks_ms()
_T0_S = int(utime.time())


def _scaled(t):
    # t * _SPEED modulo 2**30 (the ticks period) in 15-bit halves, so no intermediate leaves the small-int range.
    lo = (t & 0x7FFF) * _SPEED
    return ((((t >> 15) * _SPEED + (lo >> 15)) & 0x7FFF) << 15) | (lo & 0x7FFF)


if _SPEED == 1:
    ticks_ms = utime.ticks_ms
    ticks_us = utime.ticks_us
    ticks_cpu = utime.ticks_us
else:

    def ticks_ms():
        return _scaled(utime.ticks_ms())

    def ticks_us():
        return _scaled(utime.ticks_us())

    ticks_cpu = ticks_us


def time():
    return _T0_S + utime.ticks_diff(utime.ticks_ms(), _T0_MS) * _SPEED // 1000


def time_ns():
    return time() * 1000000000


def localtime(secs=None):
    return utime.localtime(time() if secs is None else secs)


def sleep_ms(ms):
    _simboard.idle(ms)


def sleep(seconds):
    _simboard.idle(int(seconds * 1000))


def sleep_us(us):
    if us >= 1000:
        _simboard.idle(us // 1000)
    else:
        utime.sleep_us(us // _SPEED)
