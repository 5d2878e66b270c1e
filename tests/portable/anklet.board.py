# Board files: parse a board, its flat fields and detector axes, the JSON round trip, and one-line errors.
import json

from anklet.board import BoardError, dumps, loads, parse

TEXT = """{"format": 1, "name": "demo", "description": "a demo board", "mcu": "esp32c3",
 "i2c": {"bus": 0, "sda": 6, "scl": 7, "freq_hz": 400000},
 "sensor": {"chip": "lis3dh", "address": "0x19", "int_pin": 3, "sensor_int": 1, "int_active_high": false},
 "mounting": {"axes": ["-z", "+y", "+x"], "placement": "outer_ankle", "notes": "n"},
 "led": {"kind": "neopixel", "pin": 10, "active_high": true, "count": 3},
 "button": {"pin": 4, "internal_pull_up": true, "active_low": true},
 "battery": {"adc_pin": 1, "divider": 1.5}, "motor": null}"""

b = loads(TEXT, "demo.json")
print(b.name, b.mcu, b.i2c_bus, b.sda_pin, b.scl_pin, b.i2c_freq_hz)
print(b.chip, b.address, b.int_pin, b.sensor_int, b.int_active_high)
print(b.mounting_axes, b.axes, b.axes_for(True), b.axes_for(False), b.placement, b.detector_placement)
print(b.led_kind, b.led_pin, b.led_count, b.button_pin, b.battery_adc_pin, b.battery_divider_milli, b.motor_pin)
again = loads(dumps(b), "again.json")
print(again.to_dict()["sensor"]["address"], again.axes == b.axes, again.to_dict() == b.to_dict())
data = json.loads(TEXT)
for field, value in (
    ("mcu", "esp8266"),
    ("motor", {"pin": 9, "active_high": True}),
    ("battery", {"adc_pin": 5, "divider": 2}),
):
    bad = json.loads(TEXT)
    bad[field] = value
    try:
        parse(bad, "bad.json")
    except BoardError as e:
        print(e)
data["mounting"]["axes"] = ["+x", "+y", "-z"]
try:
    parse(data, "bad.json")
except BoardError as e:
    print(e)
try:
    loads("{", "broken.json")
except BoardError as e:
    print(str(e).split(" (")[0])
