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


def forget(name):
    """Let module ``name`` leave the board's heap: a module used only at start-up (or whose constants are copied out)
    is dropped from ``sys.modules`` and from its package, so its code and constants are collected once nothing else
    holds them. Its qstrs stay (MicroPython never frees those); importing it again would load it again. CPython keeps
    its modules (the laptop shares them)."""
    if not IS_MICROPYTHON:
        return
    if name in sys.modules:
        del sys.modules[name]
    dot = name.rfind(".")
    if dot > 0:
        package = sys.modules.get(name[:dot])
        if package is not None and name[dot + 1 :] in package.__dict__:
            del package.__dict__[name[dot + 1 :]]


__all__ = ["IS_MICROPYTHON", "const", "forget", "ticks_diff", "ticks_ms"]
