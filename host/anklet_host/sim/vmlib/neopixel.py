# mypy: ignore-errors
# ruff: noqa: ARG002
# (MicroPython code that runs inside the simulated board, not on the host: imports stay lazy to keep boots
# light, module state is global as in the ESP32 port's own modules, % formatting as MicroPython prefers.)
"""neopixel for the virtual anklet: colours go to the host as ``{"ev": "neopixel", ...}`` events on write()."""

import _simboard


class NeoPixel:
    def __init__(self, pin, n, bpp=3, timing=1):
        self.pin = pin.id if hasattr(pin, "id") else pin
        self.n = n
        self.bpp = bpp
        self._pixels = [(0,) * bpp for _ in range(n)]

    def __len__(self):
        return self.n

    def __setitem__(self, index, value):
        self._pixels[index] = tuple(value)

    def __getitem__(self, index):
        return self._pixels[index]

    def fill(self, value):
        for i in range(self.n):
            self._pixels[i] = tuple(value)

    def write(self):
        _simboard.emit({"ev": "neopixel", "pin": self.pin, "pixels": [list(p) for p in self._pixels]})
