"""The status LED: a plain pin or a NeoPixel (strip or matrix), showing what the anklet is doing.

Patterns (one 2-second cycle each), chosen so they read the same on a single-colour LED:
- idle: one short blink;  walking: two blinks;  walking backward: on most of the time (green on a NeoPixel);
- error (sensor missing, wrong chip): fast blinking (red);  low battery: idle pattern in red / three blinks.
"""

import asyncio

from machine import Pin

from anklet.compat import const

MODE_IDLE = const(0)
MODE_WALKING = const(1)
MODE_BACKWARD = const(2)
MODE_ERROR = const(3)
MODE_LOW_BATTERY = const(4)

# (on_ms, off_ms) steps per mode; each pattern repeats.
_PATTERNS = (
    ((60, 1940),),
    ((60, 140), (60, 1740)),
    ((1500, 500),),
    ((100, 100),),
    ((60, 140), (60, 140), (60, 1540)),
)
_COLOURS = ((0, 0, 24), (0, 24, 0), (0, 48, 0), (48, 0, 0), (48, 12, 0))


class StatusLed:
    def __init__(self, board):
        self.mode = MODE_IDLE
        self._pixels = None
        self._pin = None
        self._active_high = board.led_active_high
        if board.led_kind == "neopixel":
            from neopixel import NeoPixel

            self._pixels = NeoPixel(Pin(board.led_pin, Pin.OUT), board.led_count)
        elif board.led_pin is not None:
            self._pin = Pin(board.led_pin, Pin.OUT)
        self.show(False)

    def show(self, on):
        if self._pixels is not None:
            colour = _COLOURS[self.mode] if on else (0, 0, 0)
            # Light the centre pixel of a matrix (or the first of a strip): enough to see, little current.
            self._pixels.fill((0, 0, 0))
            self._pixels[len(self._pixels) // 2] = colour
            self._pixels.write()
        elif self._pin is not None:
            self._pin.value(1 if on == self._active_high else 0)

    async def run(self):
        while True:
            for on_ms, off_ms in _PATTERNS[self.mode]:
                self.show(True)
                await asyncio.sleep_ms(on_ms)
                self.show(False)
                await asyncio.sleep_ms(off_ms)
