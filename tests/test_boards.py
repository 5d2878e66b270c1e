"""Board files: every file in boards/ validates (under CPython and MicroPython), the pins are the real boards', bad
files give one-line errors naming the file and field, the format round-trips, and `anklet boards` lists them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anklet import board as board_format
from anklet.board import BoardError, dumps, load, loads, parse
from anklet.detector import PLACEMENT_ANKLE, PLACEMENT_SHOE
from anklet_host.cli import main
from anklet_host.firmware_build import ARCH_BY_CHIP
from anklet_host.paths import BOARDS_DIR
from anklet_host.upy import MicroPython
from tests.conftest import run_cpython

BOARD_FILES = sorted(BOARDS_DIR.glob("*.json"))
REQUIRED = {
    "esp32-devkitc-gy521": ("esp32", "mpu6050", 0x68),
    "xiao-esp32c3-lis3dh": ("esp32c3", "lis3dh", 0x18),
    "m5stack-atom-matrix": ("esp32", "mpu6886", 0x68),
    "huzzah32-lsm6dsox": ("esp32", "lsm6dsox", 0x6A),
    "esp32-devkitc-gy291": ("esp32", "adxl345", 0x53),
}


def valid() -> dict[str, Any]:
    data = json.loads((BOARDS_DIR / "huzzah32-lsm6dsox.json").read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("path", BOARD_FILES, ids=[p.stem for p in BOARD_FILES])
def test_every_board_file_validates_and_is_named_after_its_file(path: Path) -> None:
    b = load(str(path))
    assert b.name == path.stem
    assert b.mcu in ARCH_BY_CHIP  # deploy picks mpy-cross -march from it
    assert sorted(abs(a) for a in b.axes) == [1, 2, 3]
    assert b.description.count(" ") > 20  # wiring and sources, not a placeholder


def test_the_required_boards_are_there_with_their_chips() -> None:
    boards = {p.stem: load(str(p)) for p in BOARD_FILES}
    assert set(REQUIRED) <= set(boards)
    for name, (mcu, chip, address) in REQUIRED.items():
        b = boards[name]
        assert (b.mcu, b.chip, b.address) == (mcu, chip, address)


def test_pins_are_the_real_boards_pins() -> None:
    atom = load(str(BOARDS_DIR / "m5stack-atom-matrix.json"))
    assert (atom.sda_pin, atom.scl_pin, atom.button_pin, atom.led_pin) == (25, 21, 39, 27)
    assert (atom.led_kind, atom.led_count, atom.button_internal_pull_up) == ("neopixel", 25, False)
    feather = load(str(BOARDS_DIR / "huzzah32-lsm6dsox.json"))
    assert (feather.sda_pin, feather.scl_pin, feather.led_pin, feather.battery_adc_pin) == (23, 22, 13, 35)
    assert feather.battery_divider_milli == 2000
    xiao = load(str(BOARDS_DIR / "xiao-esp32c3-lis3dh.json"))
    assert (xiao.sda_pin, xiao.scl_pin) == (6, 7)  # D4, D5
    assert xiao.int_pin in range(6)  # ESP32-C3 deep-sleep wake pins
    devkit = load(str(BOARDS_DIR / "esp32-devkitc-gy521.json"))
    assert (devkit.sda_pin, devkit.scl_pin) == (21, 22)


def test_axes_in_detector_notation_and_turned_for_the_left_leg() -> None:
    b = load(str(BOARDS_DIR / "esp32-devkitc-gy521.json"))
    assert b.mounting_axes == ("+x", "-z", "+y")
    assert b.axes == (1, -3, 2)
    assert b.axes_for(left=False) == (1, -3, 2)
    assert b.axes_for(left=True) == (-1, 3, 2)  # the side placement faces the other way on the left leg
    assert b.detector_placement == PLACEMENT_ANKLE
    shoe = load(str(BOARDS_DIR / "xiao-esp32c3-lis3dh.json"))
    assert shoe.axes_for(left=True) == shoe.axes == (1, 2, 3)
    assert shoe.detector_placement == PLACEMENT_SHOE


def _mutated(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(valid())
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("sensor", "address"), "0x19", "sensor.address: 0x19 is not an address the lsm6dsox answers on (0x6a, 0x6b)"),
        (("sensor", "address"), "68", "sensor.address: '68' is not a hex address like \"0x68\""),
        (("sensor", "chip"), "bmi270", "sensor.chip: 'bmi270' is not one of: adxl345, lis3dh"),
        (("sensor", "int_pin"), 23, "sensor.int_pin: GPIO23 cannot wake the esp32 from deep sleep"),
        (("led", "pin"), 27, "led.pin: GPIO27 is already used by sensor.int_pin"),
        (("i2c", "sda"), 7, "i2c.sda: GPIO7 is wired to the esp32's flash"),
        (("i2c", "sda"), 2, "i2c.sda: GPIO2 is a strapping pin on the esp32 (it sets the boot mode); pick another"),
        (("i2c", "sda"), 24, "i2c.sda: esp32 has no GPIO24"),
        (("led", "pin"), 34, "led.pin: GPIO34 is input-only on the esp32"),
        (("led", "count"), 3, "led.count: a plain LED pin drives 1 LED, not 3"),
        (("battery", "adc_pin"), 27, "battery.adc_pin: GPIO27 is not an ADC1 pin on the esp32"),
        (("battery", "divider"), "2", "battery.divider: must be a number from 1 to 20"),
        (("button", "active_low"), 1, "button.active_low: must be true or false, not 1"),
        (("mounting", "axes"), ["+y", "+x", "+z"], "mounting.axes: ['+y', '+x', '+z'] is a mirror image"),
        (("mounting", "axes"), ["+x", "+x", "+z"], "mounting.axes: chip axis x is used twice"),
        (("mounting", "axes"), ["x", "+y", "+z"], "mounting.axes: 'x' is not a signed chip axis"),
        (("mounting", "placement"), "wrist", "mounting.placement: 'wrist' is not one of: outer_ankle"),
        (("mcu",), "esp8266", "mcu: 'esp8266' is not one of: esp32, esp32s3, esp32c3"),
        (("i2c", "freq_hz"), 5, "i2c.freq_hz: 5 is out of range 10000..1000000"),
        (("motor", "colour"), "red", "motor.colour: unknown field (expected one of: pin, active_high)"),
        (("led",), KeyError, "led: missing"),
        (("format",), 2, "format: 2 is not a format this firmware reads (1)"),
    ],
)
def test_bad_board_files_give_one_line_errors_naming_file_and_field(
    path: tuple[str, ...], value: Any, message: str
) -> None:
    with pytest.raises(BoardError) as info:
        parse(_mutated(path, value), "boards/x.json")
    text = str(info.value)
    assert text.startswith("boards/x.json: " + message), text
    assert "\n" not in text


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(BoardError, match=r"nope\.json: cannot read the board file"):
        load(str(tmp_path / "nope.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(BoardError, match=r"bad\.json: not valid JSON"):
        load(str(bad))


# Pins that are fine per role on each MCU: deep-sleep wake capable (interrupt, button), other safe outputs, ADC1.
_WAKE = {"esp32": [4, 13, 14, 25, 26, 27, 32, 33], "esp32c3": [0, 1, 3, 4, 5], "esp32s3": [4, 5, 6, 7, 10, 11, 12]}
_OTHER = {"esp32": [16, 17, 18, 19, 21, 22, 23], "esp32c3": [6, 7, 10, 20, 21], "esp32s3": [14, 15, 16, 17, 18, 21, 38]}
_ADC = {"esp32": [34, 35, 36, 39], "esp32c3": [0, 1, 3, 4], "esp32s3": [1, 2, 8, 9]}
_CHIP_ADDR = {"lis3dh": 0x19, "mpu6050": 0x69, "mpu6886": 0x68, "adxl345": 0x1D, "lsm6ds3": 0x6B, "lsm6dsox": 0x6A}


@st.composite
def boards(draw: st.DrawFn) -> dict[str, Any]:
    mcu = draw(st.sampled_from(sorted(_WAKE)))
    wake = draw(st.permutations(_WAKE[mcu]))
    other = draw(st.permutations(_OTHER[mcu]))
    pins = [other[0], other[1], wake[0], other[2], wake[1], other[3]]  # sda, scl, int, led, button, motor
    chip = draw(st.sampled_from(sorted(_CHIP_ADDR)))
    battery_pin = draw(st.sampled_from([p for p in _ADC[mcu] if p not in pins]))
    signs = draw(st.lists(st.sampled_from("+-"), min_size=3, max_size=3))
    order = draw(st.permutations("xyz"))
    axes = [s + a for s, a in zip(signs, order, strict=True)]
    # Make it a rotation: flip the last sign if the draw made a mirror image.
    matrix_sign = {"xyz": 1, "yzx": 1, "zxy": 1}.get("".join(order), -1) * (-1) ** signs.count("-")
    if matrix_sign < 0:
        axes[2] = ("-" if axes[2][0] == "+" else "+") + axes[2][1]
    text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
    neopixel = draw(st.booleans())
    return {
        "format": 1,
        "name": draw(text),
        "description": draw(text),
        "mcu": mcu,
        "i2c": {
            "bus": draw(st.integers(0, 1)), "sda": pins[0], "scl": pins[1], "freq_hz": draw(st.integers(10000, 1000000))
        },
        "sensor": {
            "chip": chip,
            "address": f"0x{_CHIP_ADDR[chip]:02x}",
            "int_pin": draw(st.sampled_from([pins[2], None])),
            "sensor_int": 1,
            "int_active_high": draw(st.booleans()),
        },
        "mounting": {"axes": axes, "placement": draw(st.sampled_from(board_format.PLACEMENTS)), "notes": draw(text)},
        "led": {
            "kind": "neopixel" if neopixel else "pin",
            "pin": pins[3],
            "active_high": draw(st.booleans()),
            "count": draw(st.integers(1, 256)) if neopixel else 1,
        },
        "button": {"pin": pins[4], "internal_pull_up": draw(st.booleans()), "active_low": draw(st.booleans())},
        "battery": draw(
            st.sampled_from([None, {"adc_pin": battery_pin, "divider": draw(st.sampled_from([2, 1.5, 3.3]))}])
        ),
        "motor": draw(st.sampled_from([None, {"pin": pins[5], "active_high": draw(st.booleans())}])),
    }  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(boards())
def test_board_format_round_trips(data: dict[str, Any]) -> None:
    b = parse(data, "generated.json")
    assert b.to_dict() == data
    again = loads(dumps(b), "again.json")
    assert again.to_dict() == data
    assert again.axes == b.axes


@pytest.mark.micropython
def test_board_files_load_the_same_under_micropython(upy: MicroPython) -> None:
    files = {f"/boards/{p.name}": p.read_text() for p in BOARD_FILES}
    code = (
        "from anklet.board import load\n"
        f"for name in {sorted(p.name for p in BOARD_FILES)!r}:\n"
        "    b = load('/boards/' + name)\n"
        "    print(b.name, b.mcu, b.chip, b.address, b.int_pin, b.axes, b.axes_for(True), b.led_kind,"
        " b.battery_divider_milli, b.detector_placement)\n"
    )
    expected = run_cpython(code.replace("'/boards/'", repr(str(BOARDS_DIR) + "/")))
    assert upy.run(code, files=files) == expected
    assert len(expected.splitlines()) == len(BOARD_FILES)


def test_anklet_boards_lists_every_board(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["boards", "--wiring"]) == 0
    out = capsys.readouterr().out
    for name, (mcu, chip, _addr) in REQUIRED.items():
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert mcu in row.split()
        assert chip in row.split()
    assert "m5stack-atom-matrix: I2C0 SDA=25 SCL=21 @400 kHz, INT1->not wired (polled), NeoPixel x25=27" in out


def test_anklet_boards_reports_a_bad_file_on_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = valid()
    data["i2c"]["scl"] = 6
    (tmp_path / "huzzah32-lsm6dsox.json").write_text(json.dumps(data))
    assert main(["boards", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"anklet: {tmp_path}/huzzah32-lsm6dsox.json: i2c.scl: GPIO6 is wired to the esp32's flash\n"
