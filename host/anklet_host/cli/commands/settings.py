"""`anklet settings [--goal-min N] [--leg left|right] [--sessions auto|button] [--rate-hz N]`: show the anklet's
settings, or change them and show what the anklet now uses.

Values are checked on the laptop with the firmware's own rules (`anklet.app.settings`), so a mistake is one line here
instead of a value the anklet quietly keeps; a sample rate against the rates of the anklet's sensor chip
(`anklet.app.settings.rates_for`), found from the board file its model number names. A new sample rate or leg changes
how the anklet samples and reads its axes: it saves its counters and restarts to apply them (the link drops; the next
command finds it again).
"""

from __future__ import annotations

import argparse
import sys

from anklet.app.settings import RATES_HZ, Settings, rates_for
from anklet_host import packets
from anklet_host.ble.client import AnkletLink, DeviceInfo, Radio, find_anklet
from anklet_host.ble.options import add_link_arguments, central_mtu, run_command
from anklet_host.cli.commands.status import describe_settings
from anklet_host.cli.values import goal_minutes
from anklet_host.deploy import board_names, load_board
from anklet_host.errors import AnkletError, InputError
from anklet_host.rates import delivers

NAME = "settings"
RESTART_WAIT_S = 1.0  # the anklet applies a write within a few of its BLE service rounds (tens of ms)
HELP = "show or change the anklet's daily goal, leg, session start and sample rate"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--goal-min", type=goal_minutes, metavar="N", help="daily backward-walking goal in minutes (1-600)"
    )
    parser.add_argument("--leg", choices=("left", "right"), help="which leg the anklet is worn on")
    parser.add_argument(
        "--sessions",
        choices=("auto", "button"),
        help="walk sessions start when walking starts (auto) or with a short press of the button",
    )
    parser.add_argument(
        "--rate-hz",
        type=int,
        metavar="N",
        help="sample rate: "
        + ", ".join(map(str, RATES_HZ))
        + " (the ones the anklet's sensor chip runs: anklet boards)",
    )
    add_link_arguments(parser)


def _checked(args: argparse.Namespace) -> None:
    if args.rate_hz is not None and not Settings.valid("rate_hz", args.rate_hz):
        raise InputError(f"--rate-hz must be one of {', '.join(map(str, RATES_HZ))}, not {args.rate_hz}")


def check_rate_for(info: DeviceInfo, rate_hz: int) -> None:
    """Refuse, in one line, a rate the anklet's sensor chip does not run, when its model number names a board file
    here (a board of its own is left to the anklet, which keeps its rate: see `_settings`)."""
    if info.model not in board_names():
        return
    chip = load_board(info.model).chip
    if not Settings.valid("rate_hz", rate_hz, chip):
        rates = ", ".join(map(str, rates_for(chip)))
        raise InputError(f"--rate-hz {rate_hz}: this anklet ({info.model}, {chip}) runs at {rates} Hz")


def wanted(current: packets.Settings, args: argparse.Namespace) -> packets.Settings:
    """``current`` with the options given on the command line applied."""
    leg = current.leg
    if args.leg is not None:
        leg = packets.LEG_LEFT if args.leg == "left" else packets.LEG_RIGHT
    return packets.Settings(
        args.rate_hz if args.rate_hz is not None else current.rate_hz,
        leg,
        args.goal_min if args.goal_min is not None else current.goal_min,
        current.auto_start if args.sessions is None else args.sessions == "auto",
    )


async def _settings(args: argparse.Namespace) -> int:
    _checked(args)
    async with Radio.open(args.via, mtu=central_mtu(args)) as radio:
        device = await find_anklet(radio, args.device, args.scan_timeout)
        async with AnkletLink.connect(radio, device) as link:
            if args.rate_hz is not None:
                check_rate_for(await link.device_info(), args.rate_hz)
            current = await link.settings()
            new = wanted(current, args)
            if new == current:
                print(describe_settings(current))
                return 0
            await link.write_settings(new)
            # A new rate or leg makes the anklet save its counters and restart (the link drops); anything else it
            # applies at once and answers with what is now in effect.
            if await link.dropped_within(RESTART_WAIT_S):
                print(describe_settings(new))
                print("the anklet restarts to apply the new sample rate or leg", file=sys.stderr)
                return 0
            now = await link.settings()
    print(describe_settings(now))
    # The rate comes back as the chip's own for the setting (104 Hz on an LSM6DS for 100); the rest must be as asked.
    if (now.leg, now.goal_min, now.auto_start) != (new.leg, new.goal_min, new.auto_start):
        raise AnkletError(f"the anklet kept some settings as they were: {describe_settings(now)}")
    if args.rate_hz is not None and not delivers(args.rate_hz, now.rate_hz):
        raise AnkletError(
            f"the anklet kept its sample rate of {now.rate_hz} Hz: its sensor does not run {args.rate_hz} Hz"
        )
    return 0


def run(args: argparse.Namespace) -> int:
    return run_command(_settings(args))
