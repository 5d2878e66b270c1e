"""`anklet sync`: download every record not yet on this computer into the store, and set the anklet's clock.

Records are stored in batches, each in one transaction and acknowledged to the anklet only once committed, so the
anklet frees nothing the laptop does not have. A dropped link is reconnected and the sync resumes from the last stored
record; running sync again downloads nothing twice (records are keyed by device and sequence number). The clock is
set through the standard Current Time characteristic. Records the anklet had to evict (its log full before a sync)
are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TextIO

from bleak.backends.device import BLEDevice

from anklet_host.ble.client import AnkletLink, BleSyncTransport, Radio, find_anklet
from anklet_host.ble.options import add_link_arguments, central_mtu, run_command
from anklet_host.store.db import Store, check_store
from anklet_host.store.sync import DEFAULT_BATCH_RECORDS, SyncResult, sync

NAME = "sync"
HELP = "download the anklet's records into the store and set its clock"
BAR_WIDTH = 30


def attempts_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be 1..100, not {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_link_arguments(parser)
    parser.add_argument("--db", type=Path, help="the store (default: anklet.sqlite3 in your data folder)")
    parser.add_argument(
        "--attempts", type=attempts_value, default=5, help="connections to try when the link drops (default 5)"
    )


class ProgressBar:
    """A bar redrawn in place on a terminal; on a pipe, nothing until the summary."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.active = stream.isatty()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.active:
            return
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stream.write(f"\r\x1b[2Ksync [{bar}] {done}/{total} records")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def summary(result: SyncResult) -> list[str]:
    lines = [
        f"synced {result.stored} new record(s) from anklet {result.device_id}"
        + (f" ({result.duplicates} already stored)" if result.duplicates else "")
        + (f" over {result.connections} connections" if result.connections > 1 else "")
    ]
    if result.evicted_new:
        lines.append(
            f"warning: the anklet's log was full and dropped {result.evicted_new} record(s) before they were synced"
            f" ({result.evicted_total} in all); sync more often to keep everything"
        )
    if result.gaps:
        lines.append(f"warning: {result.gaps} record(s) were missing on the anklet (evicted or damaged)")
    return lines


async def sync_device(
    radio: Radio,
    store: Store,
    device: BLEDevice | str,
    *,
    attempts: int = 5,
    progress: ProgressBar | None = None,
    batch_records: int | None = None,
    reply_timeout_s: float = 5.0,
) -> SyncResult:
    """Sync one anklet into ``store``: connect, set its clock (Current Time), download; reconnect on a dropped link."""
    async with contextlib.AsyncExitStack() as stack:
        links: list[AnkletLink] = []

        async def connect() -> BleSyncTransport:
            if links:
                await stack.aclose()  # the dropped link's client
            link = await stack.enter_async_context(AnkletLink.connect(radio, device, reply_timeout_s=reply_timeout_s))
            links.append(link)
            await link.set_clock()
            return BleSyncTransport(link)

        first = await connect()
        serial = (await first.link.device_info()).serial or first.link.client.address
        device_id = f"anklet-{serial}"
        # The goal the user set on the anklet (`anklet settings --goal-min`) is the one `anklet report` measures.
        store.set_goal(device_id, (await first.link.settings()).goal_min)
        handed_out = [first]

        async def reconnect() -> BleSyncTransport:
            if handed_out:
                return handed_out.pop()
            return await connect()

        try:
            return await sync(
                reconnect,
                store,
                device_id,
                attempts=attempts,
                progress=progress,
                set_clock=False,  # set above through Current Time on every connection
                timeout_s=reply_timeout_s,
                batch_records=batch_records or DEFAULT_BATCH_RECORDS,
            )
        finally:
            if progress is not None:
                progress.close()


async def _sync(args: argparse.Namespace) -> int:
    # A store that cannot be written is refused before the radio is opened; a new one is made only once the anklet
    # is found, so a failed search leaves no empty store behind.
    check_store(args.db)
    async with Radio.open(args.via, mtu=central_mtu(args)) as radio:
        device = await find_anklet(radio, args.device, args.scan_timeout)
        with Store(args.db) as store:
            result = await sync_device(radio, store, device, attempts=args.attempts, progress=ProgressBar(sys.stderr))
    for line in summary(result):
        print(line)
    return 0


def run(args: argparse.Namespace) -> int:
    return run_command(_sync(args))
