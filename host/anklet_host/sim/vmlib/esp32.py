# mypy: ignore-errors
# ruff: noqa: PLW0603, UP031
# (MicroPython code that runs inside the simulated board, not on the host: imports stay lazy to keep boots
# light, module state is global as in the ESP32 port's own modules, % formatting as MicroPython prefers.)
"""esp32 for the virtual anklet: the deep-sleep wake sources (read by machine.deepsleep), the MCU temperature and
the ESP-IDF heap regions (``idf_heap_info``) of a stock ESP32 without PSRAM."""

import sys

WAKEUP_ALL_LOW = False  # as in the ESP32 port's modesp32.c
WAKEUP_ANY_HIGH = True
HEAP_EXEC = 1  # ESP-IDF's MALLOC_CAP_EXEC and MALLOC_CAP_8BIT, as modesp32.c exports them
HEAP_DATA = 4
_ext0 = None
_ext1 = None

# The ESP-IDF heap regions, in registration order: (capabilities, total, free, largest free block, minimum free).
# Per capability the sums are a stock MicroPython 1.27 ESP32 at boot (micropython#18859, the reporter's log):
# HEAP_DATA 7 regions, 254,472 bytes total, 94,256 free, largest block 53,248, minimum free 50,528; HEAP_EXEC 3
# regions, 139,760 total, 78,636 free, largest 53,248, minimum 60,868. How they split between regions is ours,
# consistent with those sums and the ESP32's memory map: the two D/IRAM regions are in both lists, the last region
# is executable only. We found no published figures for the C3; its boards show these too.
_REGIONS = (
    (HEAP_DATA, 7288, 4, 4, 4),
    (HEAP_DATA, 16648, 3880, 3584, 156),
    (HEAP_DATA, 89864, 10952, 10240, 0),  # the MicroPython heap's first area is in here
    (HEAP_DATA, 11520, 11284, 11264, 0),
    (HEAP_DATA, 240, 0, 0, 0),
    (HEAP_DATA | HEAP_EXEC, 15072, 14536, 14336, 14536),
    (HEAP_DATA | HEAP_EXEC, 113840, 53600, 53248, 35832),
    (HEAP_EXEC, 10848, 10500, 10496, 10500),
)
# NimBLE takes about 30 KB of system heap when Bluetooth is activated (issue 13's figure for MicroPython 1.27 on
# the ESP32); it comes out of the region with the largest free block and goes back when the radio is turned off.
_NIMBLE_BYTES = 30 * 1024
_NIMBLE_REGION = 6
_low = [r[4] for r in _REGIONS]  # the minimum free seen, per region


def _radio_on():
    ble = sys.modules.get("bluetooth")  # only a firmware that imported it can have turned it on
    return ble is not None and ble._radio.active


def idf_heap_info(capabilities):
    """One (total, free, largest free block, minimum free) tuple per region that has all of ``capabilities``."""
    if not isinstance(capabilities, int):
        raise TypeError("can't convert %s to int" % type(capabilities).__name__)  # as mp_obj_get_int says it
    taken = _NIMBLE_BYTES if _radio_on() else 0
    regions = []
    for i in range(len(_REGIONS)):
        caps, total, free, largest, _ = _REGIONS[i]
        if i == _NIMBLE_REGION:
            free -= taken
            largest -= taken
        _low[i] = min(_low[i], free)
        if caps & capabilities == capabilities:  # heap_caps_match: the region has every capability asked for
            regions.append((total, free, largest, _low[i]))
    return regions


def wake_on_ext0(pin, level):
    global _ext0
    _ext0 = None if pin is None else [pin.id if hasattr(pin, "id") else pin, level]


def wake_on_ext1(pins, level):
    global _ext1
    _ext1 = None if pins is None else [[p.id if hasattr(p, "id") else p for p in pins], level]


def mcu_temperature():
    return 35
