"""The options every BLE command shares (which radio, which anklet) and running a command's coroutine."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
from typing import Any

from bleak.exc import BleakError

from anklet_host.ble.client import DEFAULT_SCAN_S, SIM_TRANSPORT, VIA_ENV
from anklet_host.errors import AnkletError, InputError


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def mtu_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 23 <= value <= 517:
        raise argparse.ArgumentTypeError(f"the ATT MTU is 23..517, not {value}")
    return value


def add_link_arguments(parser: argparse.ArgumentParser, *, device: bool = True) -> None:
    parser.add_argument(
        "--via",
        metavar="RADIO",
        help=(
            "how to reach anklets: 'radio' (this computer's Bluetooth, the default), 'sim' (the virtual anklet, "
            f"{SIM_TRANSPORT}), or a bumble transport such as tcp-client:HOST:PORT or usb:0 (default: ${VIA_ENV})"
        ),
    )
    if device:
        parser.add_argument("--device", "-d", metavar="ADDRESS", help="the anklet's address or name (default: any)")
    parser.add_argument(
        "--scan-timeout", type=positive_seconds, default=DEFAULT_SCAN_S, metavar="S", help="seconds to look for anklets"
    )
    parser.add_argument(
        "--mtu", type=mtu_value, default=247, help="ATT MTU to ask for on bumble radios (23: no exchange)"
    )


def central_mtu(args: argparse.Namespace) -> int | None:
    return None if args.mtu == 23 else int(args.mtu)


def run_command(coroutine: Coroutine[Any, Any, int]) -> int:
    """Run a command's coroutine; bleak's own errors become one-line AnkletErrors."""
    try:
        return asyncio.run(coroutine)
    except BleakError as exc:
        raise AnkletError(f"Bluetooth error: {exc}") from None
    except FileNotFoundError as exc:
        raise InputError(f"{exc.filename}: no such file or folder") from None
