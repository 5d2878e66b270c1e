"""`anklet status`: what the anklet is, how charged, what its clock says, how much history waits to be synced, and
its settings, in a few lines."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from anklet_host import packets
from anklet_host.ble.client import AnkletLink, DeviceInfo, Radio, find_anklet
from anklet_host.ble.options import add_link_arguments, central_mtu, run_command

NAME = "status"
HELP = "show the anklet's battery, clock, history waiting to sync and settings"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_link_arguments(parser)


def describe_settings(settings: packets.Settings) -> str:
    leg = "left" if settings.leg == packets.LEG_LEFT else "right"
    sessions = "start when walking starts" if settings.auto_start else "start and end with the button"
    return f"{settings.rate_hz} Hz, {leg} leg, goal {settings.goal_min} min/day, sessions {sessions}"


def describe_clock(device_time: packets.DeviceTime) -> str:
    hours, rest = divmod(device_time.uptime_s, 3600)
    up = f"boot {device_time.boot_id}, up {hours}:{rest // 60:02d}:{rest % 60:02d}"
    if not device_time.wall_s:
        return f"not set ({up}; `anklet sync` sets it)"
    wall = datetime.fromtimestamp(device_time.wall_s, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{wall} ({up})"


def describe_log(status: packets.Status) -> str:
    held = max(0, status.newest_seq - status.oldest_seq + 1)  # an empty log has oldest = newest + 1
    waiting = max(0, status.newest_seq - status.acked_seq)
    line = f"{held} record(s) in flash, {waiting} waiting to sync"
    if status.evicted:
        line += f", {status.evicted} dropped unsynced when the flash was full"
    return line


def format_status(
    *,
    address: str,
    info: DeviceInfo,
    battery_pct: int,
    device_time: packets.DeviceTime,
    status: packets.Status,
    settings: packets.Settings,
) -> list[str]:
    return [
        f"anklet   {address}  serial {info.serial}  board {info.model}  firmware {info.firmware} ({info.hardware})",
        f"battery  {battery_pct}%",
        f"clock    {describe_clock(device_time)}",
        f"history  {describe_log(status)}",
        f"settings {describe_settings(settings)}",
    ]


async def _status(args: argparse.Namespace) -> int:
    async with Radio.open(args.via, mtu=central_mtu(args)) as radio:
        device = await find_anklet(radio, args.device, args.scan_timeout)
        async with AnkletLink.connect(radio, device) as link:
            lines = format_status(
                address=link.client.address,
                info=await link.device_info(),
                battery_pct=await link.battery_percent(),
                device_time=await link.device_time(),
                status=await link.status(),
                settings=await link.settings(),
            )
    print("\n".join(lines))
    return 0


def run(args: argparse.Namespace) -> int:
    return run_command(_status(args))
