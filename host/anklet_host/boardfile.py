"""Board files (``boards/*.json``): their format and checker, on the laptop, and the compact form the board reads.

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

The board never sees this format: `compact` turns a checked `Board` into the form the firmware's `anklet.board`
reads (its `FIELDS` in order, defined there once), which `anklet deploy` writes as ``/board.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

from anklet.board import FIELDS, TAG, VERSION
from anklet.detector import PLACEMENT_ANKLE, PLACEMENT_SHOE
from anklet.drivers import ADDRESSES, CHIPS
from anklet_host.errors import InputError

FORMAT = 1
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
_ESP32_GPIOS = (*range(20), 21, 22, 23, 25, 26, 27, *range(32, 40))
_GPIO: dict[str, dict[str, tuple[int, ...]]] = {
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
        "all": (*range(22), *range(26, 49)),
        "flash": (26, 27, 28, 29, 30, 31, 32),
        "strapping": (0, 3, 45, 46),
        "usb": (19, 20),
        "input_only": (),
        "wake": tuple(range(22)),
        "adc1": tuple(range(1, 11)),
    },
}


class BoardError(InputError):
    """A board file that cannot be used; the message is one line naming the file and the field."""


class Board:
    """A checked board file. Attributes are flat, as the firmware has them: ``sda_pin``, ``int_pin``, ``axes``, ..."""

    def __init__(self, data: dict[str, Any], source: str) -> None:
        self.source = source
        self.name: str = data["name"]
        self.description: str = data["description"]
        self.mcu: str = data["mcu"]
        i2c = data["i2c"]
        self.i2c_bus: int = i2c["bus"]
        self.sda_pin: int = i2c["sda"]
        self.scl_pin: int = i2c["scl"]
        self.i2c_freq_hz: int = i2c["freq_hz"]
        sensor = data["sensor"]
        self.chip: str = sensor["chip"]
        self.address = int(sensor["address"], 16)
        self.int_pin: int | None = sensor["int_pin"]
        self.sensor_int: int = sensor["sensor_int"]
        self.int_active_high: bool = sensor["int_active_high"]
        mounting = data["mounting"]
        self.mounting_axes: tuple[str, ...] = tuple(mounting["axes"])
        x, y, z = (_axis_number(a) for a in mounting["axes"])
        self.axes: tuple[int, int, int] = (x, y, z)
        self.placement: str = mounting["placement"]
        # The step detector's coarse placement code for this placement.
        self.detector_placement: int = PLACEMENT_SHOE if self.placement.startswith("shoe") else PLACEMENT_ANKLE
        self.mounting_notes: str = mounting.get("notes", "")
        led = data["led"]
        self.led_kind: str = led["kind"]
        self.led_pin: int = led["pin"]
        self.led_active_high: bool = led["active_high"]
        self.led_count: int = led["count"]
        button = data["button"]
        self.button_pin: int = button["pin"]
        self.button_internal_pull_up: bool = button["internal_pull_up"]
        self.button_active_low: bool = button["active_low"]
        battery = data["battery"]
        self.battery_adc_pin: int | None = battery["adc_pin"] if battery else None
        self.battery_divider: float | None = battery["divider"] if battery else None
        # Fixed point for the integer battery arithmetic: 2:1 -> 2000.
        self.battery_divider_milli = round(battery["divider"] * 1000) if battery else 0
        motor = data["motor"]
        self.motor_pin: int | None = motor["pin"] if motor else None
        self.motor_active_high: bool = motor["active_high"] if motor else True

    @property
    def axes_left(self) -> tuple[int, int, int]:
        """The detector's ``axes`` on the left leg: a side placement faces the other way there (x and y flip)."""
        if self.placement in _SIDE_PLACEMENTS:
            return (-self.axes[0], -self.axes[1], self.axes[2])
        return self.axes

    def axes_for(self, left: bool) -> tuple[int, int, int]:
        """The detector's ``axes`` for the left (``left=True``) or right leg."""
        return self.axes_left if left else self.axes

    def to_dict(self) -> dict[str, Any]:
        """The board as a board-file dict (what `parse` reads back to an equal board)."""
        return {
            "format": FORMAT,
            "name": self.name,
            "description": self.description,
            "mcu": self.mcu,
            "i2c": {"bus": self.i2c_bus, "sda": self.sda_pin, "scl": self.scl_pin, "freq_hz": self.i2c_freq_hz},
            "sensor": {
                "chip": self.chip,
                "address": f"0x{self.address:02x}",
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


def _axis_number(text: str) -> int:
    n = "xyz".index(text[1]) + 1
    return -n if text[0] == "-" else n


class _Checker:
    """Walks a board dict and raises BoardError at the first problem, naming ``source`` and the field."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.used: dict[int, str] = {}  # GPIO -> the field that claimed it

    def claim(self, pin: int, field: str) -> None:
        if pin in self.used:
            self.fail(field, f"GPIO{pin} is already used by {self.used[pin]}")
        self.used[pin] = field

    def fail(self, field: str, message: str) -> NoReturn:
        where = f"{field}: " if field else ""  # the file as a whole has no field name
        raise BoardError(f"{self.source}: {where}{message}")

    def section(self, data: Any, field: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail(field, "must be a JSON object {...}")
        for key in data:
            if key not in keys:
                self.fail(f"{field}.{key}" if field else key, f"unknown field (expected one of: {', '.join(keys)})")
        for key in keys:
            if key not in data and key not in optional:
                self.fail(f"{field}.{key}" if field else key, "missing")
        return dict(data)

    def integer(self, value: Any, field: str, lo: int, hi: int) -> int:
        if type(value) is not int:
            self.fail(field, f"must be an integer, not {_show(value)}")
        if value < lo or value > hi:
            self.fail(field, f"{value} is out of range {lo}..{hi}")
        return int(value)

    def flag(self, value: Any, field: str) -> bool:
        if type(value) is not bool:
            self.fail(field, f"must be true or false, not {_show(value)}")
        return bool(value)

    def text(self, value: Any, field: str, choices: tuple[str, ...] | None = None) -> str:
        if not isinstance(value, str) or not value:
            self.fail(field, f"must be a non-empty string, not {_show(value)}")
        if choices is not None and value not in choices:
            self.fail(field, f"{value!r} is not one of: {', '.join(choices)}")
        return str(value)

    def pin(
        self, value: Any, field: str, mcu: str, *, output: bool = False, wake: bool = False, adc: bool = False
    ) -> int:
        facts = _GPIO[mcu]
        pin = self.integer(value, field, 0, 48)
        if pin not in facts["all"]:
            self.fail(field, f"{mcu} has no GPIO{pin}")
        if pin in facts["flash"]:
            self.fail(field, f"GPIO{pin} is wired to the {mcu}'s flash")
        if pin in facts["usb"]:
            self.fail(field, f"GPIO{pin} is the {mcu}'s USB data line")
        if pin in facts["strapping"]:
            self.fail(field, f"GPIO{pin} is a strapping pin on the {mcu} (it sets the boot mode); pick another")
        if output and pin in facts["input_only"]:
            self.fail(field, f"GPIO{pin} is input-only on the {mcu}")
        if wake and pin not in facts["wake"]:
            self.fail(field, f"GPIO{pin} cannot wake the {mcu} from deep sleep")
        if adc and pin not in facts["adc1"]:
            self.fail(field, f"GPIO{pin} is not an ADC1 pin on the {mcu}")
        return pin


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    return repr(value)


def _check_axes(chk: _Checker, axes: Any) -> None:
    field = "mounting.axes"
    if not isinstance(axes, list) or len(axes) != 3:
        chk.fail(field, 'must list 3 chip axes for body x, y, z, like ["-z", "+y", "+x"]')
    seen = []
    for a in axes:
        if not isinstance(a, str) or len(a) != 2 or a[0] not in "+-" or a[1] not in "xyz":
            chk.fail(field, f"{_show(a)} is not a signed chip axis (+x, -x, +y, -y, +z, -z)")
        if a[1] in seen:
            chk.fail(field, f"chip axis {a[1]} is used twice")
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
        chk.fail(field, f"{_show(axes)} is a mirror image, not a rotation: flip the sign of one axis")


def parse(data: Any, source: str = "board") -> Board:
    """Check a board dict (decoded JSON) and return a `Board`; `BoardError` names ``source`` and the field."""
    chk = _Checker(source)
    data = chk.section(data, "", _TOP_KEYS)
    if data["format"] != FORMAT:
        chk.fail("format", f"{_show(data['format'])} is not a format this anklet reads ({FORMAT})")
    chk.text(data["name"], "name")
    chk.text(data["description"], "description")
    mcu = chk.text(data["mcu"], "mcu", MCUS)
    _check_i2c(chk, mcu, data["i2c"])
    _check_sensor(chk, mcu, data["sensor"])
    mounting = chk.section(data["mounting"], "mounting", _MOUNTING_KEYS, optional=("notes",))
    _check_axes(chk, mounting["axes"])
    chk.text(mounting["placement"], "mounting.placement", PLACEMENTS)
    if "notes" in mounting and not isinstance(mounting["notes"], str):
        chk.fail("mounting.notes", "must be a string")
    _check_led(chk, mcu, data["led"])
    _check_button(chk, mcu, data["button"])
    if data["battery"] is not None:
        battery = chk.section(data["battery"], "battery", _BATTERY_KEYS)
        chk.claim(chk.pin(battery["adc_pin"], "battery.adc_pin", mcu, adc=True), "battery.adc_pin")
        divider = battery["divider"]
        if type(divider) not in (int, float) or not 1 <= divider <= 20:
            chk.fail("battery.divider", f"must be a number from 1 to 20 (2 for a 2:1 divider), not {_show(divider)}")
    if data["motor"] is not None:
        motor = chk.section(data["motor"], "motor", _MOTOR_KEYS)
        chk.claim(chk.pin(motor["pin"], "motor.pin", mcu, output=True), "motor.pin")
        chk.flag(motor["active_high"], "motor.active_high")
    return Board(data, source)


def _check_i2c(chk: _Checker, mcu: str, section: Any) -> None:
    i2c = chk.section(section, "i2c", _I2C_KEYS)
    chk.integer(i2c["bus"], "i2c.bus", 0, 1)
    chk.claim(chk.pin(i2c["sda"], "i2c.sda", mcu, output=True), "i2c.sda")
    chk.claim(chk.pin(i2c["scl"], "i2c.scl", mcu, output=True), "i2c.scl")
    chk.integer(i2c["freq_hz"], "i2c.freq_hz", 10000, 1000000)


def _check_sensor(chk: _Checker, mcu: str, section: Any) -> None:
    sensor = chk.section(section, "sensor", _SENSOR_KEYS)
    chip = chk.text(sensor["chip"], "sensor.chip", CHIPS)
    address = chk.text(sensor["address"], "sensor.address")
    value = -1
    try:
        if not address.startswith("0x"):
            raise ValueError(address)  # noqa: TRY301 - one message for both ways a hex address can be wrong
        value = int(address, 16)
    except ValueError:
        chk.fail("sensor.address", f'{address!r} is not a hex address like "0x68"')
    accepted = ADDRESSES[chip]
    if value not in accepted:
        known = ", ".join(f"0x{a:02x}" for a in accepted)
        chk.fail("sensor.address", f"{address} is not an address the {chip} answers on ({known})")
    if sensor["int_pin"] is not None:
        chk.claim(chk.pin(sensor["int_pin"], "sensor.int_pin", mcu, wake=True), "sensor.int_pin")
    line = chk.integer(sensor["sensor_int"], "sensor.sensor_int", 1, 2)
    if line == 2 and chip in ("lis3dh", "mpu6050", "mpu6886"):
        chk.fail("sensor.sensor_int", f"the {chip} signals its FIFO on INT1 (its only FIFO interrupt output)")
    chk.flag(sensor["int_active_high"], "sensor.int_active_high")


def _check_led(chk: _Checker, mcu: str, section: Any) -> None:
    led = chk.section(section, "led", _LED_KEYS)
    kind = chk.text(led["kind"], "led.kind", LED_KINDS)
    chk.claim(chk.pin(led["pin"], "led.pin", mcu, output=True), "led.pin")
    chk.flag(led["active_high"], "led.active_high")
    count = chk.integer(led["count"], "led.count", 1, 256)
    if kind == "pin" and count != 1:
        chk.fail("led.count", f"a plain LED pin drives 1 LED, not {count}")


def _check_button(chk: _Checker, mcu: str, section: Any) -> None:
    button = chk.section(section, "button", _BUTTON_KEYS)
    pin = chk.pin(button["pin"], "button.pin", mcu, wake=True)
    chk.claim(pin, "button.pin")
    if chk.flag(button["internal_pull_up"], "button.internal_pull_up") and pin in _GPIO[mcu]["input_only"]:
        chk.fail("button.internal_pull_up", f"GPIO{pin} has no internal pull-up; the board needs an external one")
    chk.flag(button["active_low"], "button.active_low")


def loads(text: str, source: str = "board") -> Board:
    """Check board-file JSON text."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise BoardError(f"{source}: not valid JSON ({err})") from None
    return parse(data, source)


def load(path: str | Path) -> Board:
    """Read and check a board file; `BoardError` (one line) if it is missing or wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BoardError(f"{path}: cannot read the board file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BoardError(
            f"{path}: not a board file (not UTF-8 text): a board file is JSON like boards/*.json"
        ) from None
    return loads(text, str(path))


def dumps(board: Board) -> str:
    """The board as board-file JSON (keys in the documented order)."""
    return json.dumps(board.to_dict())


def compact(board: Board) -> str:
    """The board in the form the firmware's `anklet.board.load` reads: its tag, version and `FIELDS` values."""
    # Raw UTF-8, not \\u escapes: MicroPython's json reads UTF-8 text but does not join escaped surrogate pairs.
    return json.dumps([TAG, VERSION, *(getattr(board, name) for name in FIELDS)], ensure_ascii=False)


def write_compact(board: Board, path: Path) -> None:
    """Write `compact` ``board`` to ``path`` (the board's ``/board.json``)."""
    path.write_text(compact(board), encoding="utf-8")
