"""The anklet's device package: step detection, drivers, flash log and BLE for an ESP32 anklet.

Everything here runs under MicroPython on the board; the modules that do not touch hardware also run unchanged under
CPython, where the host package imports them (so the laptop analyses walks with the very code the board runs).
"""

VERSION = "0.1.0"
