"""The board file as the board reads it (``/board.json``): the compact form `anklet deploy` writes.

The full board files (``boards/*.json``: wiring, sensor, mounting, with their sources) are checked on the laptop by
`anklet_host.boardfile`, which writes this compact form from a checked board: one JSON list, a tag, the version and
the flat values in the order of `FIELDS`::

    ["anklet-board", 1, "esp32-devkitc-gy521", "esp32", 0, 21, 22, 400000, "mpu6050", 104, 27, ...]

The board only reads it (nothing to check: the laptop did that), so it carries no format checker and no GPIO tables::

    from anklet.board import load
    board = load("/board.json")
    board.sda_pin, board.chip, board.axes_left

The board object holds values only (no function of this module), so the app can drop the loader once it has read
the file (`anklet.compat.forget`).

Every failure is a one-line `ValueError` that says what to do (the app prints it after ``cannot load /board.json:``).
"""

import json

# Not const(): the laptop reads both, and a public const still takes its slot in the module's globals.
TAG = "anklet-board"
VERSION = 1
# The values after the tag and version, in file order; the loaded board has each as an attribute. ``axes`` maps body
# x, y, z to signed 1-based chip axes for the right leg, ``axes_left`` for the left; ``detector_placement`` is the
# step detector's PLACEMENT_* code; ``battery_divider_milli`` is the divider in thousandths (0 without a battery).
FIELDS = (
    "name",
    "mcu",
    "i2c_bus",
    "sda_pin",
    "scl_pin",
    "i2c_freq_hz",
    "chip",
    "address",
    "int_pin",
    "sensor_int",
    "int_active_high",
    "axes",
    "axes_left",
    "placement",
    "detector_placement",
    "led_kind",
    "led_pin",
    "led_active_high",
    "led_count",
    "button_pin",
    "button_internal_pull_up",
    "button_active_low",
    "battery_adc_pin",
    "battery_divider_milli",
    "motor_pin",
    "motor_active_high",
)


def load(path="/board.json"):
    """The compact board file at ``path`` as a board object whose attributes are the `FIELDS` (``board.sda_pin``, ...;
    ``axes`` and ``axes_left`` are the detector's axes on the right and the left leg); a one-line ValueError if the
    file is missing or not that form."""
    redo = ": deploy again with `anklet deploy --board <name>`"
    try:
        with open(path) as f:
            row = json.load(f)
    except OSError:
        raise ValueError("no board file" + redo)
    except ValueError:
        raise ValueError("not valid JSON" + redo)
    if isinstance(row, dict):
        raise ValueError("a full board file, which the laptop checks and compacts" + redo)
    if not isinstance(row, list) or len(row) < 2 or row[0] != TAG:
        raise ValueError("not an anklet board file" + redo)
    if row[1] != VERSION or len(row) != 2 + len(FIELDS):
        raise ValueError(
            "board file version %s with %d values, not %d with %d" % (row[1], len(row) - 2, VERSION, len(FIELDS)) + redo
        )
    # The board is a class made from one dict sized for every field at once: an instance's attributes would grow
    # their table step by step and hold about 400 bytes more of the board's heap for as long as it runs.
    attrs: dict = dict.fromkeys(FIELDS)
    for i in range(len(FIELDS)):
        value = row[2 + i]
        attrs[FIELDS[i]] = tuple(value) if isinstance(value, list) else value
    return type("Board", (), attrs)
