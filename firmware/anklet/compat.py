"""The few names that differ between MicroPython and CPython, so portable modules import them from one place.

On MicroPython, ``const()`` is folded by the compiler; under CPython it is the identity.
"""

import sys
import time

try:
    from micropython import const
except ImportError:
    # Leading "__" makes the parameter positional-only for type checkers, matching the stub.
    def const(__expr):
        return __expr


if hasattr(time, "ticks_ms"):
    ticks_ms = time.ticks_ms
    ticks_diff = time.ticks_diff
else:
    _monotonic_ns = getattr(time, "monotonic_ns")  # noqa: B009 - absent from the MicroPython stubs

    # MicroPython's tick counter wraps; the CPython stand-in never does, so the difference is plain subtraction.
    def ticks_ms():
        return _monotonic_ns() // 1000000

    def ticks_diff(__end, __start):
        return __end - __start


IS_MICROPYTHON = sys.implementation.name == "micropython"

__all__ = ["IS_MICROPYTHON", "const", "ticks_diff", "ticks_ms"]
