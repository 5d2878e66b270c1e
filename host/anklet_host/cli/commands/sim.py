"""`anklet sim`: run the virtual anklet (the firmware on the real MicroPython, simulated board) until interrupted,
its serial console on a pseudo-terminal and/or a TCP socket that mpremote and `anklet deploy` use as the port."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from pathlib import Path
from types import FrameType

from anklet_host.deploy import load_board
from anklet_host.errors import InputError
from anklet_host.paths import PROJECT_ROOT
from anklet_host.sim.board import BoardSpec, SimBoard, SimConsole

NAME = "sim"
HELP = "start the virtual anklet and print its console port (for mpremote and `anklet deploy --port`)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--flash",
        type=Path,
        default=PROJECT_ROOT / "build" / "sim" / "flash",
        help="host folder holding the board's flash filesystem (default: %(default)s)",
    )
    parser.add_argument("--board", default=None, help="board file whose wiring and sensor the sim has (default: none)")
    parser.add_argument("--chip", default=None, help="put this sensor chip on the bus instead of the board file's")
    parser.add_argument(
        "--socket", type=int, default=None, metavar="PORT", help="also serve the console on TCP PORT (0: any)"
    )
    parser.add_argument("--no-pty", action="store_true", help="no pseudo-terminal (socket only)")
    parser.add_argument("--port-file", type=Path, default=None, help="write the console port(s) here, one per line")
    parser.add_argument("--speed", type=int, default=1, help="run the board's clock this many times faster (default 1)")


def run(args: argparse.Namespace) -> int:
    if args.no_pty and args.socket is None:
        raise InputError("--no-pty needs --socket PORT, or the sim has no console")
    if args.speed < 1:
        raise InputError("--speed must be a whole number >= 1")
    spec = BoardSpec()
    if args.board is not None:
        board, _ = load_board(args.board)
        spec = BoardSpec.from_board_file(board.to_dict(), chip=args.chip)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 - signal handler shape
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    with SimConsole(SimBoard(args.flash, spec, speed=args.speed), pty=not args.no_pty, socket_port=args.socket) as sim:
        ports = sim.ports
        if args.port_file is not None:
            args.port_file.write_text("".join(p + "\n" for p in ports))
        print(f"virtual anklet ({spec.name}) running; flash in {args.flash}")
        for port in ports:
            print(f"console: {port}")
        print("stop with Ctrl-C", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0
