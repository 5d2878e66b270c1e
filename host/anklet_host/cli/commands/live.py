"""`anklet live`: today's counters and the cadence, updating in place (one line per update when not a terminal)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from anklet_host import packets
from anklet_host.ble.client import AnkletLink, Cadence, Radio, find_anklet
from anklet_host.ble.options import add_link_arguments, central_mtu, positive_seconds, run_command

NAME = "live"
HELP = "show the anklet's live counters and cadence"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_link_arguments(parser)
    parser.add_argument(
        "--duration", type=positive_seconds, metavar="S", help="stop after S seconds (default: until Ctrl-C)"
    )


def format_live(live: packets.Live, cadence: Cadence | None) -> str:
    toe_share = f"{100 * live.toe_first // live.backward}%" if live.backward else "-"
    minutes, seconds = divmod(live.active_s, 60)
    spm = cadence.cadence_spm if cadence is not None else live.cadence_spm
    state = "walking" if live.state == packets.SESSION_WALKING else "idle"
    return (
        f"backward {live.backward:>5}  toe-first {toe_share:>4}  contacts {live.contacts:>5}  steps {live.steps:>6}  "
        f"cadence {spm:>3}/min  active {minutes}:{seconds:02d}  {state}"
    )


class Display:
    """Rewrites one terminal line in place; prints a line per update to a pipe or file."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.in_place = stream.isatty()
        self.cadence: Cadence | None = None
        self.updates = 0

    def show(self, live: packets.Live) -> None:
        line = format_live(live, self.cadence)
        self.updates += 1
        if self.in_place:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.in_place and self.updates:
            self.stream.write("\n")
            self.stream.flush()


async def _live(args: argparse.Namespace) -> int:
    display = Display(sys.stdout)
    async with Radio.open(args.via, mtu=central_mtu(args)) as radio:
        device = await find_anklet(radio, args.device, args.scan_timeout)
        async with AnkletLink.connect(radio, device) as link:
            lost = asyncio.Event()
            link.on_disconnect(lost.set)

            def on_cadence(cadence: Cadence) -> None:
                display.cadence = cadence

            print(f"connected to {link.client.address}; Ctrl-C to stop", file=sys.stderr)
            await link.live(display.show, on_cadence)
            try:
                await asyncio.wait_for(lost.wait(), args.duration)
            except TimeoutError:
                pass
            finally:
                display.close()
            if lost.is_set():
                print("anklet: the BLE link dropped", file=sys.stderr)
                return 1
    return 0


def run(args: argparse.Namespace) -> int:
    return run_command(_live(args))
