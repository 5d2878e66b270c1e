"""`anklet boards`: the supported boards, their sensor and how they are worn, from ``boards/*.json``.

Every file is checked with the board-file checker (`anklet_host.boardfile`), the one `anklet deploy` runs before it
writes the compact form the board reads, so a broken board file is reported here exactly as deploy would refuse it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from anklet.app.settings import rates_for
from anklet_host.boardfile import Board, load
from anklet_host.errors import InputError
from anklet_host.paths import BOARDS_DIR

NAME = "boards"
HELP = "list the supported boards with their sensor, wiring and placement"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, default=BOARDS_DIR, help="folder of board files (default: %(default)s)")
    parser.add_argument("--wiring", action="store_true", help="also print each board's pins")


def load_boards(folder: Path) -> list[Board]:
    """Every board file in ``folder``, checked; an InputError (one line) for the first bad one."""
    if not folder.is_dir():
        raise InputError(f"no board folder at {folder}")
    boards = []
    for path in sorted(folder.glob("*.json")):
        board = load(path)  # a BoardError (an InputError) names the file and the field
        if board.name != path.stem:
            raise InputError(f"{path}: name: {board.name!r} differs from the file name {path.stem!r}")
        boards.append(board)
    if not boards:
        raise InputError(f"no board files (*.json) in {folder}")
    return boards


def _pins(board: Board) -> str:
    parts = [f"I2C{board.i2c_bus} SDA={board.sda_pin} SCL={board.scl_pin} @{board.i2c_freq_hz // 1000} kHz"]
    parts.append(
        f"INT{board.sensor_int}->" + ("not wired (polled)" if board.int_pin is None else f"GPIO{board.int_pin}")
    )
    led = f"NeoPixel x{board.led_count}" if board.led_kind == "neopixel" else "LED"
    parts.append(f"{led}={board.led_pin}")
    parts.append(f"button={board.button_pin}")
    if board.battery_adc_pin is not None:
        parts.append(f"battery=ADC GPIO{board.battery_adc_pin} /{board.battery_divider}")
    if board.motor_pin is not None:
        parts.append(f"motor={board.motor_pin}")
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    boards = load_boards(args.dir)
    rows = [("BOARD", "MCU", "SENSOR", "ADDR", "RATES (Hz)", "PLACEMENT", "AXES (body x,y,z)")]
    rows += [
        (
            b.name,
            b.mcu,
            b.chip,
            f"0x{b.address:02x}",
            ",".join(map(str, rates_for(b.chip))),  # the rates `anklet settings --rate-hz` takes for it
            b.placement,
            ",".join(b.mounting_axes),
        )
        for b in boards
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    if args.wiring:
        print()
        for b in boards:
            print(f"{b.name}: {_pins(b)}")
            if b.mounting_notes:
                print(f"  worn: {b.mounting_notes}")
    return 0
