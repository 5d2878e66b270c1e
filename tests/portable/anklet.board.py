# The compact board file: its flat fields and both legs' axes, and the one-line refusals of anything else.
import os

from anklet.board import FIELDS, TAG, VERSION, load

PATH = "/tmp/anklet-portable-board.json"
try:  # noqa: SIM105 - MicroPython has no contextlib
    os.mkdir("/tmp")
except OSError:
    pass
# What `anklet deploy` writes for a demo board (anklet_host.boardfile.compact), non-ASCII name included.
GOOD = (
    '["anklet-board", 1, "démo ✓", "esp32c3", 0, 6, 7, 400000, "lis3dh", 25, 3, 1, false, [-3, 2, 1], [3, -2, 1],'
    ' "outer_ankle", 0, "neopixel", 10, true, 3, 4, true, true, 1, 1500, null, true]'
)


def attempt(text):
    if text is None:
        try:  # noqa: SIM105
            os.remove(PATH)
        except OSError:
            pass
    else:
        with open(PATH, "w") as f:
            f.write(text)
    try:
        return load(PATH)
    except ValueError as e:
        print("refused:", e)


print(TAG, VERSION, len(FIELDS))
b = attempt(GOOD)
print(b.name, b.mcu, b.i2c_bus, b.sda_pin, b.scl_pin, b.i2c_freq_hz)
print(b.chip, b.address, b.int_pin, b.sensor_int, b.int_active_high)
print(b.axes, b.axes_left, b.placement, b.detector_placement)
print(b.led_kind, b.led_pin, b.led_active_high, b.led_count)
print(b.button_pin, b.button_internal_pull_up, b.button_active_low)
print(b.battery_adc_pin, b.battery_divider_milli, b.motor_pin, b.motor_active_high)
print([getattr(b, name) == value for name, value in (("axes", (-3, 2, 1)), ("axes_left", (3, -2, 1)))])
attempt(None)
attempt('["anklet-board", 1, "half')
attempt('{"format": 1, "name": "demo"}')
attempt('["anklet-board"]')
attempt("[1, 2, 3]")
attempt(GOOD.replace('"anklet-board", 1,', '"anklet-board", 2,'))
attempt(GOOD.replace(", null, true]", ", null]"))
os.remove(PATH)
