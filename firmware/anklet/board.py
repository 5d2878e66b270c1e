"""Board files (``boards/*.json``): the one definition of their format, loaded and checked at boot and on the host.

A board file says how an ESP32 board is wired to its accelerometer and parts, and how it is worn::

    {
      "format": 1,
      "name": "esp32-devkitc-gy521",
      "description": "what it is, wiring, and the sources the pins were checked against",
      "mcu": "esp32",                                   # esp32 | esp32s3 | esp32c3 (picks mpy-cross's -march)
      "i2c": {"bus": 0, "sda": 21, "scl": 22, "freq_hz": 400000},
      "sensor": {"chip": "mpu6050", "address": "0x68", "int_pin": 27, "sensor_int": 1, "int_active_high": true},
      "mounting": {"axes": ["-z", "+y", "+x"], "placement": "outer_ankle", "notes": "..."},
      "led": {"kind": "pin", "pin": 26, "active_high": true, "count": 1},   # kind: pin | neopixel
      "button": {"pin": 32, "internal_pull_up": true, "active_low": true},
      "battery": {"adc_pin": 35, "divider": 2} or null,
      "motor": {"pin": 25, "active_high": true} or null
    }

``sensor.int_pin`` is the ESP32 GPIO the sensor's interrupt output ``sensor_int`` (INT1 or INT2) is wired to, or
null where the board does not route it (the firmware then polls the FIFO level). ``mounting.axes`` names, for the
body axes x (forward), y (left) and z (up) as worn on the RIGHT leg, the chip axis pointing that way; it must be a
rotation (no mirror images). `Board.axes` gives it in the step detector's notation: signed 1-based chip axes,
``["-z", "+y", "+x"]`` -> ``(-3, 2, 1)``; `Board.axes_for(left=True)` turns it for the left leg when the placement is
on the side of the leg (the board then faces the other way: x and y flip).

Pins are checked against each chip's GPIO facts (Espressif datasheets / ESP-IDF GPIO docs): they must exist, not be
flash/PSRAM or USB pins, not be strapping pins; outputs must not be input-only pins (ESP32 GPIO34-39, which also lack
internal pull-ups); the sensor's interrupt and the button must be able to wake the chip from deep sleep (ESP32 RTC
GPIOs; ESP32-C3 GPIO0-5); the battery pin must be an ADC1 channel (ADC2 is shared with the radio).

Errors are one line, naming the file and the field: ``boards/x.json: sensor.address: ...``.
"""

import json

from anklet.detector import PLACEMENT_ANKLE, PLACEMENT_SHOE
from anklet.drivers import ADDRESSES, CHIPS

FORMAT = 1
DEFAULT_PATH = "board.json"
MCUS = ("esp32", "esp32s3", "esp32c3")
# Where an anklet can be worn; the second tuple lists those on the side of the leg (mirrored between legs).
PLACEMENTS = ("outer_ankle", "inner_ankle", "front_ankle", "shoe_top", "shoe_heel")
_SIDE_PLACEMENTS = ("outer_ankle", "inner_ankle")
LED_KINDS = ("pin", "neopixel")

_TOP_KEYS = ("format", "name", "description", "mcu", "i2c", "sensor", "mounting", "led", "button", "battery", "motor")
_I2C_KEYS = ("bus", "sda", "scl", "freq_hz")
_SENSOR_KEYS = ("chip", "address", "int_pin", "sensor_int", "int_active_high")
_MOUNTING_KEYS = ("axes", "placement", "notes")
_LED_KEYS = ("kind", "pin", "active_high", "count")
_BUTTON_KEYS = ("pin", "internal_pull_up", "active_low")
_BATTERY_KEYS = ("adc_pin", "divider")
_MOTOR_KEYS = ("pin", "active_high")

# GPIO facts per chip: every GPIO, the ones to keep away from, input-only, deep-sleep wake capable, ADC1.
_ESP32_GPIOS = tuple(range(20)) + (21, 22, 23, 25, 26, 27) + tuple(range(32, 40))
_GPIO = {
    "esp32": {
        "all": _ESP32_GPIOS,
        "flash": (6, 7, 8, 9, 10, 11),
        "strapping": (0, 2, 5, 12, 15),
        "usb": (),
        "input_only": (34, 35, 36, 37, 38, 39),
        "wake": (0, 2, 4, 12, 13, 14, 15, 25, 26, 27, 32, 33, 34, 35, 36, 37, 38, 39),
        "adc1": (32, 33, 34, 35, 36, 37, 38, 39),
    },
    "esp32c3": {
        "all": tuple(range(22)),
        "flash": (12, 13, 14, 15, 16, 17),
        "strapping": (2, 8, 9),
        "usb": (18, 19),
        "input_only": (),
        "wake": (0, 1, 2, 3, 4, 5),
        "adc1": (0, 1, 2, 3, 4),
    },
    "esp32s3": {
        "all": tuple(range(22)) + tuple(range(26, 49)),
        "flash": (26, 27, 28, 29, 30, 31, 32),
        "strapping": (0, 3, 45, 46),
        "usb": (19, 20),
        "input_only": (),
        "wake": tuple(range(22)),
        "adc1": tuple(range(1, 11)),
    },
}


class BoardError(ValueError):
    """A board file that cannot be used; the message is one line naming the file and the field."""


class Board:
    """A checked board file. Attributes are flat for the firmware: ``sda_pin``, ``int_pin``, ``axes``, ..."""

    def __init__(self, data: dict, source: str) -> None:
        self.source = source
        self.name = data["name"]
        self.description = data["description"]
        self.mcu = data["mcu"]
        i2c = data["i2c"]
        self.i2c_bus = i2c["bus"]
        self.sda_pin = i2c["sda"]
        self.scl_pin = i2c["scl"]
        self.i2c_freq_hz = i2c["freq_hz"]
        sensor = data["sensor"]
        self.chip = sensor["chip"]
        self.address = int(sensor["address"], 16)
        self.int_pin = sensor["int_pin"]
        self.sensor_int = sensor["sensor_int"]
        self.int_active_high = sensor["int_active_high"]
        mounting = data["mounting"]
        self.mounting_axes = tuple(mounting["axes"])
        self.axes = tuple(_axis_number(a) for a in mounting["axes"])
        self.placement = mounting["placement"]
        # The step detector's coarse placement code for this placement.
        self.detector_placement = PLACEMENT_SHOE if self.placement.startswith("shoe") else PLACEMENT_ANKLE
        self.mounting_notes = mounting.get("notes", "")
        led = data["led"]
        self.led_kind = led["kind"]
        self.led_pin = led["pin"]
        self.led_active_high = led["active_high"]
        self.led_count = led["count"]
        button = data["button"]
        self.button_pin = button["pin"]
        self.button_internal_pull_up = button["internal_pull_up"]
        self.button_active_low = button["active_low"]
        battery = data["battery"]
        self.battery_adc_pin = battery["adc_pin"] if battery else None
        self.battery_divider = battery["divider"] if battery else None
        # Fixed point for the integer battery arithmetic: 2:1 -> 2000.
        self.battery_divider_milli = round(battery["divider"] * 1000) if battery else 0
        motor = data["motor"]
        self.motor_pin = motor["pin"] if motor else None
        self.motor_active_high = motor["active_high"] if motor else True

    def axes_for(self, left: bool) -> tuple:
        """The detector's ``axes`` for the left (``left=True``) or right leg."""
        if left and self.placement in _SIDE_PLACEMENTS:
            return (-self.axes[0], -self.axes[1], self.axes[2])
        return self.axes

    def to_dict(self) -> dict:
        """The board as a board-file dict (what `parse` reads back to an equal board)."""
        return {
            "format": FORMAT,
            "name": self.name,
            "description": self.description,
            "mcu": self.mcu,
            "i2c": {"bus": self.i2c_bus, "sda": self.sda_pin, "scl": self.scl_pin, "freq_hz": self.i2c_freq_hz},
            "sensor": {
                "chip": self.chip,
                "address": "0x%02x" % self.address,
                "int_pin": self.int_pin,
                "sensor_int": self.sensor_int,
                "int_active_high": self.int_active_high,
            },
            "mounting": {"axes": list(self.mounting_axes), "placement": self.placement, "notes": self.mounting_notes},
            "led": {
                "kind": self.led_kind,
                "pin": self.led_pin,
                "active_high": self.led_active_high,
                "count": self.led_count,
            },
            "button": {
                "pin": self.button_pin,
                "internal_pull_up": self.button_internal_pull_up,
                "active_low": self.button_active_low,
            },
            "battery": None
            if self.battery_adc_pin is None
            else {"adc_pin": self.battery_adc_pin, "divider": self.battery_divider},
            "motor": None if self.motor_pin is None else {"pin": self.motor_pin, "active_high": self.motor_active_high},
        }


def _axis_number(text):
    n = "xyz".index(text[1]) + 1
    return -n if text[0] == "-" else n


class _Checker:
    """Walks a board dict and raises BoardError at the first problem, naming ``source`` and the field."""

    def __init__(self, source):
        self.source = source

    def fail(self, field, message):
        raise BoardError("%s: %s: %s" % (self.source, field, message))

    def section(self, data, field, keys, optional=()):
        if not isinstance(data, dict):
            self.fail(field, "must be an object")
        for key in data:
            if key not in keys:
                self.fail(field + "." + key if field else key, "unknown field (expected one of: %s)" % ", ".join(keys))
        for key in keys:
            if key not in data and key not in optional:
                self.fail(field + "." + key if field else key, "missing")
        return data

    def integer(self, value, field, lo, hi):
        if type(value) is not int:
            self.fail(field, "must be an integer, not %s" % _show(value))
        if value < lo or value > hi:
            self.fail(field, "%d is out of range %d..%d" % (value, lo, hi))
        return value

    def flag(self, value, field):
        if type(value) is not bool:
            self.fail(field, "must be true or false, not %s" % _show(value))
        return value

    def text(self, value, field, choices=None):
        if not isinstance(value, str) or not value:
            self.fail(field, "must be a non-empty string, not %s" % _show(value))
        if choices is not None and value not in choices:
            self.fail(field, "%r is not one of: %s" % (value, ", ".join(choices)))
        return value

    def pin(self, value, field, mcu, output=False, wake=False, adc=False):
        facts = _GPIO[mcu]
        self.integer(value, field, 0, 48)
        if value not in facts["all"]:
            self.fail(field, "%s has no GPIO%d" % (mcu, value))
        if value in facts["flash"]:
            self.fail(field, "GPIO%d is wired to the %s's flash" % (value, mcu))
        if value in facts["usb"]:
            self.fail(field, "GPIO%d is the %s's USB data line" % (value, mcu))
        if value in facts["strapping"]:
            self.fail(field, "GPIO%d is a strapping pin on the %s (it sets the boot mode); pick another" % (value, mcu))
        if output and value in facts["input_only"]:
            self.fail(field, "GPIO%d is input-only on the %s" % (value, mcu))
        if wake and value not in facts["wake"]:
            self.fail(field, "GPIO%d cannot wake the %s from deep sleep" % (value, mcu))
        if adc and value not in facts["adc1"]:
            self.fail(field, "GPIO%d is not an ADC1 pin on the %s" % (value, mcu))
        return value


def _show(value):
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    return repr(value)


def _check_axes(chk, axes):
    field = "mounting.axes"
    if not isinstance(axes, list) or len(axes) != 3:
        chk.fail(field, 'must list 3 chip axes for body x, y, z, like ["-z", "+y", "+x"]')
    seen = []
    for a in axes:
        if not isinstance(a, str) or len(a) != 2 or a[0] not in "+-" or a[1] not in "xyz":
            chk.fail(field, "%s is not a signed chip axis (+x, -x, +y, -y, +z, -z)" % _show(a))
        if a[1] in seen:
            chk.fail(field, "chip axis %s is used twice" % a[1])
        seen.append(a[1])
    # Rows of the chip-to-body matrix; a physical mounting is a rotation (determinant +1), never a mirror image.
    m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
    for row in range(3):
        n = _axis_number(axes[row])
        m[row][abs(n) - 1] = 1 if n > 0 else -1
    det = (
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    )
    if det != 1:
        chk.fail(field, "%s is a mirror image, not a rotation: flip the sign of one axis" % _show(axes))


def parse(data: dict, source: str = "board") -> Board:
    """Check a board dict (decoded JSON) and return a `Board`; `BoardError` names ``source`` and the field."""
    chk = _Checker(source)
    chk.section(data, "", _TOP_KEYS)
    if data["format"] != FORMAT:
        chk.fail("format", "%s is not a format this firmware reads (%d)" % (_show(data["format"]), FORMAT))
    chk.text(data["name"], "name")
    chk.text(data["description"], "description")
    mcu = chk.text(data["mcu"], "mcu", MCUS)
    used = {}

    def claim(pin, field):
        if pin in used:
            chk.fail(field, "GPIO%d is already used by %s" % (pin, used[pin]))
        used[pin] = field

    i2c = chk.section(data["i2c"], "i2c", _I2C_KEYS)
    chk.integer(i2c["bus"], "i2c.bus", 0, 1)
    claim(chk.pin(i2c["sda"], "i2c.sda", mcu, output=True), "i2c.sda")
    claim(chk.pin(i2c["scl"], "i2c.scl", mcu, output=True), "i2c.scl")
    chk.integer(i2c["freq_hz"], "i2c.freq_hz", 10000, 1000000)

    sensor = chk.section(data["sensor"], "sensor", _SENSOR_KEYS)
    chip = chk.text(sensor["chip"], "sensor.chip", CHIPS)
    address = chk.text(sensor["address"], "sensor.address")
    value = -1
    try:
        if not address.startswith("0x"):
            raise ValueError
        value = int(address, 16)
    except ValueError:
        chk.fail("sensor.address", '%r is not a hex address like "0x68"' % address)
    accepted = ADDRESSES[chip]
    if value not in accepted:
        chk.fail(
            "sensor.address",
            "%s is not an address the %s answers on (%s)" % (address, chip, ", ".join("0x%02x" % a for a in accepted)),
        )
    if sensor["int_pin"] is not None:
        claim(chk.pin(sensor["int_pin"], "sensor.int_pin", mcu, wake=True), "sensor.int_pin")
    line = chk.integer(sensor["sensor_int"], "sensor.sensor_int", 1, 2)
    if line == 2 and chip in ("lis3dh", "mpu6050", "mpu6886"):
        chk.fail("sensor.sensor_int", "the %s signals its FIFO on INT1 (its only FIFO interrupt output)" % chip)
    chk.flag(sensor["int_active_high"], "sensor.int_active_high")

    mounting = chk.section(data["mounting"], "mounting", _MOUNTING_KEYS, optional=("notes",))
    _check_axes(chk, mounting["axes"])
    chk.text(mounting["placement"], "mounting.placement", PLACEMENTS)
    if "notes" in mounting and not isinstance(mounting["notes"], str):
        chk.fail("mounting.notes", "must be a string")

    led = chk.section(data["led"], "led", _LED_KEYS)
    kind = chk.text(led["kind"], "led.kind", LED_KINDS)
    claim(chk.pin(led["pin"], "led.pin", mcu, output=True), "led.pin")
    chk.flag(led["active_high"], "led.active_high")
    count = chk.integer(led["count"], "led.count", 1, 256)
    if kind == "pin" and count != 1:
        chk.fail("led.count", "a plain LED pin drives 1 LED, not %d" % count)

    button = chk.section(data["button"], "button", _BUTTON_KEYS)
    button_pin = chk.pin(button["pin"], "button.pin", mcu, wake=True)
    claim(button_pin, "button.pin")
    if chk.flag(button["internal_pull_up"], "button.internal_pull_up") and button_pin in _GPIO[mcu]["input_only"]:
        chk.fail(
            "button.internal_pull_up", "GPIO%d has no internal pull-up; the board needs an external one" % button_pin
        )
    chk.flag(button["active_low"], "button.active_low")

    battery = data["battery"]
    if battery is not None:
        chk.section(battery, "battery", _BATTERY_KEYS)
        claim(chk.pin(battery["adc_pin"], "battery.adc_pin", mcu, adc=True), "battery.adc_pin")
        divider = battery["divider"]
        if type(divider) not in (int, float) or not 1 <= divider <= 20:
            chk.fail("battery.divider", "must be a number from 1 to 20 (2 for a 2:1 divider), not %s" % _show(divider))

    motor = data["motor"]
    if motor is not None:
        chk.section(motor, "motor", _MOTOR_KEYS)
        claim(chk.pin(motor["pin"], "motor.pin", mcu, output=True), "motor.pin")
        chk.flag(motor["active_high"], "motor.active_high")
    return Board(data, source)


def loads(text: str, source: str = "board") -> Board:
    """Parse board-file JSON text."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise BoardError("%s: not valid JSON (%s)" % (source, err))
    return parse(data, source)


def load(path: str = DEFAULT_PATH) -> Board:
    """Read and check a board file; `BoardError` (one line) if it is missing or wrong."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise BoardError("%s: cannot read the board file" % path)
    return loads(text, path)


def dumps(board: Board) -> str:
    """The board as board-file JSON (keys in the documented order)."""
    return json.dumps(board.to_dict())
