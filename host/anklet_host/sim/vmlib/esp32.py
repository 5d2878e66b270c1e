# mypy: ignore-errors
# ruff: noqa: PLW0603
# (MicroPython code that runs inside the simulated board, not on the host: imports stay lazy to keep boots
# light, module state is global as in the ESP32 port's own modules, % formatting as MicroPython prefers.)
"""esp32 for the virtual anklet: the deep-sleep wake sources (read by machine.deepsleep) and the MCU temperature."""

WAKEUP_ALL_LOW = False  # as in the ESP32 port's modesp32.c
WAKEUP_ANY_HIGH = True
_ext0 = None
_ext1 = None


def wake_on_ext0(pin, level):
    global _ext0
    _ext0 = None if pin is None else [pin.id if hasattr(pin, "id") else pin, level]


def wake_on_ext1(pins, level):
    global _ext1
    _ext1 = None if pins is None else [[p.id if hasattr(p, "id") else p for p in pins], level]


def mcu_temperature():
    return 35
