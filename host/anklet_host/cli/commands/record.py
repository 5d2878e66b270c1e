"""`anklet record OUT.csv --label ...`: the anklet's raw accelerometer stream into a trace CSV (``anklet.trace``).

Samples arrive as int16 counts with their scale (micro-g per count) and a running index; time is ``index / rate_hz``
with the anklet's own sample rate, so a lost notification leaves a gap in time instead of shifting what follows.
Ctrl-C stops the recording and keeps what arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import numpy as np

from anklet_host import packets
from anklet_host.ble.client import AnkletLink, Radio, find_anklet
from anklet_host.ble.options import add_link_arguments, central_mtu, positive_seconds, run_command
from anklet_host.cli.output import add_force_argument, check_output
from anklet_host.errors import AnkletError, InputError
from anklet_host.trace import LABEL_ACTIVITY, Trace, write_trace

NAME = "record"
HELP = "record the anklet's raw stream into a trace CSV (for labelled walks)"
STANDARD_GRAVITY_MS2 = 9.80665


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT.csv", help="the trace CSV to write")
    parser.add_argument("--label", required=True, help="what you are doing, e.g. backward, forward, standing")
    parser.add_argument("--duration", type=positive_seconds, default=60.0, metavar="S", help="seconds to record")
    add_force_argument(parser, "OUT.csv")
    add_link_arguments(parser)


def samples_to_trace(batches: list[packets.Raw], rate_hz: int, label: str) -> Trace:
    """Raw packets (in arrival order) as a trace: m/s² in the body frame, time from each sample's index."""
    index: list[int] = []
    accel: list[tuple[float, float, float]] = []
    for raw in batches:
        scale = raw.scale_ug * 1e-6 * STANDARD_GRAVITY_MS2
        for i, (x, y, z) in enumerate(raw.samples):
            index.append(raw.first_index + i)
            accel.append((x * scale, y * scale, z * scale))
    order = np.argsort(np.asarray(index), kind="stable")
    unique_index, first = np.unique(np.asarray(index)[order], return_index=True)
    t_s = unique_index.astype(np.float64) / rate_hz
    accel_ms2 = np.asarray(accel, dtype=np.float64)[order][first]
    return Trace(t_s=t_s, accel_ms2=accel_ms2, labels={LABEL_ACTIVITY: [label] * len(t_s)})


async def _record(args: argparse.Namespace) -> int:
    check_output(args.out, force=args.force)
    if not args.label.strip() or "," in args.label or "\n" in args.label:
        raise InputError("--label must be a non-empty word or phrase without commas")
    batches: list[packets.Raw] = []
    rate_hz = 0
    interrupted = False
    failure = ""
    try:
        async with Radio.open(args.via, mtu=central_mtu(args)) as radio:
            device = await find_anklet(radio, args.device, args.scan_timeout)
            async with AnkletLink.connect(radio, device) as link:
                rate_hz = (await link.settings()).rate_hz
                print(
                    f"recording {args.label!r} at {rate_hz} Hz for {args.duration:g} s; Ctrl-C stops", file=sys.stderr
                )
                deadline = time.monotonic() + args.duration
                async with link.raw_stream() as stream:
                    while (left := deadline - time.monotonic()) > 0:
                        try:
                            batches.append(await stream.next(timeout_s=min(left, 5.0)))
                        except AnkletError:
                            if time.monotonic() < deadline - 0.01:
                                raise
    except (asyncio.CancelledError, KeyboardInterrupt):
        interrupted = True
    except AnkletError as exc:
        if not batches:
            raise
        failure = str(exc)  # keep what arrived before the failure
    if not batches:
        raise AnkletError("no raw samples arrived from the anklet")
    trace = samples_to_trace(batches, rate_hz, args.label.strip())
    write_trace(args.out, trace)
    expected = int(trace.t_s[-1] * rate_hz) + 1 - int(trace.t_s[0] * rate_hz)
    lost = expected - len(trace)
    print(
        f"wrote {args.out}: {len(trace)} samples, {trace.duration_s:.1f} s"
        + (f", {lost} samples lost in transit" if lost else "")
        + (" (stopped early)" if interrupted else "")
    )
    if failure:
        print(f"anklet: recording stopped early: {failure}", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    return run_command(_record(args))
