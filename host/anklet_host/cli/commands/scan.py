"""`anklet scan`: list the anklets in range (found by the anklet service in their advertisements)."""

from __future__ import annotations

import argparse

from anklet_host.ble.client import Radio, scan
from anklet_host.ble.options import add_link_arguments, central_mtu, run_command
from anklet_host.errors import AnkletError

NAME = "scan"
HELP = "list the anklets in range"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_link_arguments(parser, device=False)


async def _scan(args: argparse.Namespace) -> int:
    async with Radio.open(args.via, mtu=central_mtu(args)) as radio:
        found = await scan(radio, args.scan_timeout)
    if not found:
        raise AnkletError(f"no anklet found within {args.scan_timeout:g} s via {radio.description}")
    print(f"{'ADDRESS':<18} {'RSSI':>5}  NAME")
    for anklet in found:
        print(f"{anklet.address:<18} {anklet.rssi:>5}  {anklet.name}")
    return 0


def run(args: argparse.Namespace) -> int:
    return run_command(_scan(args))
