"""`anklet sim`: run the virtual anklet (the firmware on the real MicroPython, simulated board) until interrupted,
its serial console on a pseudo-terminal and/or a TCP socket that mpremote and `anklet deploy` use as the port.

With ``--trace``, ``--walk`` or ``--spec`` the board's sensor plays that walk (turned into the chip's frame through
the board file's mounting) from the first sample the firmware collects, at ``--speed`` times real time.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from anklet_host.analysis.sanity import check_gravity
from anklet_host.ble.client import SIM_PORT
from anklet_host.boardfile import Board
from anklet_host.deploy import load_board
from anklet_host.errors import InputError
from anklet_host.paths import PROJECT_ROOT
from anklet_host.sim.board import BoardSpec, SimBoard, SimConsole
from anklet_host.sim.board.ble_bridge import BleBridge
from anklet_host.sim.walkfeed import WalkFile, WalkResume, install_walk, remove_walk, walk_from_trace
from anklet_host.synth import WalkSpec, generate_walk, parse_walk_shorthand
from anklet_host.trace import Trace, read_trace

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
    parser.add_argument(
        "--radio-port",
        type=int,
        default=SIM_PORT,
        metavar="PORT",
        help="serve the board's radio as a Bluetooth controller on TCP PORT (default %(default)s: `--via sim`)",
    )
    walk = parser.add_mutually_exclusive_group()
    walk.add_argument("--trace", type=Path, metavar="FILE.csv", help="the sensor plays this trace (needs --board)")
    walk.add_argument(
        "--walk",
        metavar="ITEMS",
        help='the sensor plays a generated walk, e.g. "forward:120s,backward:360s@0.22m/s,stand:30s,forward:120s" '
        "(the shorthand of `anklet synth --walk`; needs --board)",
    )
    walk.add_argument("--spec", type=Path, metavar="FILE.json", help="the sensor plays this walk description")
    parser.add_argument("--seed", type=int, default=None, help="random seed of a generated walk (default 0)")
    parser.add_argument(
        "--lead-in", type=float, default=0.0, metavar="S", help="seconds standing still before the walk (default 0)"
    )
    parser.add_argument(
        "--no-pace",
        action="store_true",
        help="let the sensor's FIFO overflow when the VM falls behind --speed (default: the walk waits instead)",
    )


def run(args: argparse.Namespace) -> int:
    if args.no_pty and args.socket is None:
        raise InputError("--no-pty needs --socket PORT, or the sim has no console")
    if args.speed < 1:
        raise InputError("--speed must be a whole number >= 1")
    spec = BoardSpec()
    board: Board | None = None
    if args.board is not None:
        board = load_board(args.board)
        spec = BoardSpec.from_board_file(board.to_dict(), chip=args.chip)
    walk = _walk(args, board)
    with flash_lock(args.flash):
        return _serve(args, spec, walk)


@contextlib.contextmanager
def flash_lock(flash: Path) -> Iterator[None]:
    """One virtual anklet per flash folder: a second would number its boots after the first one's and write the
    same log files under it. The lock is a file beside the folder (inside it, the board would list it among its
    files), held with flock while the sim runs, so the kernel lets go however the process ends."""
    folder = flash.resolve()  # "." has no name to put beside it
    lock_path = folder.parent / f"{folder.name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            raise InputError(
                f"another virtual anklet (pid {lock.read().strip() or '?'}) runs on --flash {flash}; stop it, or"
                " give this one another --flash folder"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        yield


def _serve(args: argparse.Namespace, spec: BoardSpec, walk: WalkFile | None) -> int:
    """Run the virtual anklet until Ctrl-C or SIGTERM."""
    if walk is not None:
        install_walk(args.flash, walk, pace=not args.no_pace)
    else:
        remove_walk(args.flash)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 - signal handler shape
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    board_sim = SimBoard(args.flash, spec, speed=args.speed)
    if walk is not None:
        WalkResume(board_sim, args.flash, walk, pace=not args.no_pace)
        board_sim.on_event(_WalkReport())
    with (
        SimConsole(board_sim, pty=not args.no_pty, socket_port=args.socket) as sim,
        BleBridge(board_sim, port=args.radio_port) as radio,
    ):
        ports = sim.ports
        if args.port_file is not None:
            args.port_file.write_text("".join(p + "\n" for p in ports))
        print(f"virtual anklet ({spec.name}) running; flash in {args.flash}")
        if walk is not None:
            print(_describe(walk, args.speed))
        for port in ports:
            print(f"console: {port}")
        via = "sim" if radio.port == SIM_PORT else radio.via
        print(f"radio: {radio.via}  (anklet scan/live/sync --via {via})")
        print("stop with Ctrl-C", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


class _WalkReport:
    """Prints one line when the walk has played: how fast the firmware kept up, and whether the chip lost samples."""

    def __init__(self) -> None:
        self._start: tuple[float, dict[str, Any]] | None = None
        self._done = False

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("ev") != "walk" or self._done:
            return
        if self._start is None:
            if event["started"]:
                self._start = (time.monotonic(), event)
            return
        if event["finished"]:
            self._done = True
            t0, first = self._start
            wall_s = max(time.monotonic() - t0, 1e-3)
            samples = event["produced"] - first["produced"]
            board_s = (event["elapsed_ms"] - first["elapsed_ms"]) / 1000
            print(
                f"walk played: {samples} samples in {wall_s:.1f} s ({samples / wall_s:.0f} samples/s, "
                f"{board_s / wall_s:.1f}x real time), walk held back {event['lag_ms']} ms, "
                f"{event['dropped']} samples lost",
                flush=True,
            )


def _walk_trace(args: argparse.Namespace, board: Board) -> Trace:
    if args.trace is not None:
        trace = read_trace(args.trace)
        for warning in check_gravity(trace, str(args.trace)):  # the chip would feel a walk in other units
            print(warning, file=sys.stderr)
        return trace
    placement = "shoe" if board.placement.startswith("shoe") else "ankle"
    if args.spec is not None:
        try:
            spec = WalkSpec.from_json(args.spec.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"{args.spec}: cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise InputError(f"{args.spec}: not a text file") from None
        except InputError as exc:
            raise InputError(f"{args.spec}: {exc}") from None
        if args.seed is not None:
            spec = dataclasses.replace(spec, seed=args.seed)
    else:
        spec = WalkSpec(segments=parse_walk_shorthand(args.walk), placement=placement, seed=args.seed or 0)
    return generate_walk(spec)


def _walk(args: argparse.Namespace, board: Board | None) -> WalkFile | None:
    """The walk the options ask for, in the board's chip frame, or None."""
    if args.trace is None and args.walk is None and args.spec is None:
        return None
    if board is None:
        raise InputError("a walk needs --board: its sensor and mounting decide what the chip feels")
    if not 0 <= args.lead_in <= 3600:
        raise InputError("--lead-in must be 0 to 3600 seconds")
    if args.seed is not None and args.seed < 0:
        raise InputError("--seed must not be negative")
    return walk_from_trace(_walk_trace(args, board), board.axes_for(False), round(args.lead_in * 1000))


def _describe(walk: WalkFile, speed: int) -> str:
    minutes = walk.duration_s / 60
    what = "accel+gyro" if walk.gyro_mdps is not None else "accel"
    return (
        f"walk: {len(walk)} samples at {walk.rate_hz} Hz ({minutes:.1f} min, {what}); it plays from the firmware's "
        f"first sensor sample, about {walk.duration_s / speed:.0f} s at --speed {speed}"
    )
