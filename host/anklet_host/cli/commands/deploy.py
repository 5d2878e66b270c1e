"""`anklet deploy`: compile the firmware, copy it to a board (or the virtual anklet), show its boot line."""

from __future__ import annotations

import argparse

from anklet_host.deploy import deploy

NAME = "deploy"
HELP = "put the firmware and a board file on a board over its serial port, reset it, show the boot line"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", required=True, help="board file name (see `anklet boards`)")
    parser.add_argument("--port", required=True, help="serial port: /dev/ttyUSB0, COM3, a pty or socket://host:port")


def run(args: argparse.Namespace) -> int:
    result = deploy(args.board, args.port)
    print(f"deployed {result.board} in {result.seconds:.1f} s")
    return 0
