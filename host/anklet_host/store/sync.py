"""The laptop's half of history sync, independent of the radio: any ``SyncTransport`` (bleak, bumble, in-process).

One session (``sync_once``):

1. Ask the device's time (``OP_TIME``): the offset between this boot's uptime and wall time places the boot's records
   that were made before the clock was set. Then set the device clock (``OP_SET_CLOCK``).
2. Ask the log's status (``OP_STATUS``) and store the evicted count it reports.
3. Request records from the last stored sequence number + 1 (``OP_REQUEST``). Every ``batch_records`` records (and
   at the end marker) the batch is stored in one transaction, then acknowledged (``OP_ACK``), so the device lets go
   of records only once they are on disk here.

A dropped link raises ``ConnectionError`` (or ``TimeoutError``) out of the transport; ``sync`` connects again and
resumes from what was stored. Storing is idempotent, so records that arrive twice are stored once.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from anklet_host import packets
from anklet_host.errors import AnkletError
from anklet_host.store.db import Store

DEFAULT_BATCH_RECORDS = 240
DEFAULT_TIMEOUT_S = 10.0


class SyncTransport(Protocol):
    """What sync needs from a link: write the control point, receive the notifications that answer it.

    ``receive`` returns the next notification from the sync characteristics (status, device-time and records
    packets, in the order sent). Both raise ``ConnectionError`` when the link is gone; ``receive`` raises
    ``TimeoutError`` when nothing arrives within ``timeout_s``.
    """

    async def write_control(self, data: bytes) -> None: ...

    async def receive(self, timeout_s: float) -> bytes: ...


class DeviceProtocolError(AnkletError):
    """The anklet sent something that is not a valid answer (garbage, a wrong packet, records out of order)."""


T = TypeVar("T")

ProgressCallback = Callable[[int, int], None]
"""Called with (records received so far, records expected) as a sync goes."""


@dataclass
class SyncResult:
    """What a sync did (summed over reconnections)."""

    device_id: str
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    evicted_total: int = 0
    evicted_new: int = 0
    gaps: int = 0  # records the device no longer had when asked (evicted or damaged)
    connections: int = 0
    boots_seen: list[int] = field(default_factory=list)


async def _reply(transport: SyncTransport, kind: int, timeout_s: float) -> bytes:
    """The next packet of ``kind``; records still in flight from an earlier request are skipped."""
    while True:
        data = await transport.receive(timeout_s)
        try:
            found = packets.packet_kind(data)
        except packets.PacketError as exc:
            raise DeviceProtocolError(f"the anklet sent a malformed packet: {exc}") from exc
        if found == kind:
            return data
        if found != packets.KIND_RECORDS:
            raise DeviceProtocolError(f"the anklet answered with a packet of kind {found}, expected kind {kind}")


def _decode(decoder: Callable[[bytes], T], data: bytes) -> T:
    try:
        return decoder(data)
    except packets.PacketError as exc:
        raise DeviceProtocolError(f"the anklet sent a malformed packet: {exc}") from exc


class _Session:
    """One sync over one connection; ``result`` accumulates across reconnections."""

    def __init__(
        self,
        transport: SyncTransport,
        store: Store,
        result: SyncResult,
        *,
        progress: ProgressCallback | None,
        batch_records: int,
        timeout_s: float,
    ) -> None:
        self.transport = transport
        self.store = store
        self.result = result
        self.progress = progress
        self.batch_records = batch_records
        self.timeout_s = timeout_s
        self.batch: list[packets.MinuteRecord | packets.SessionRecord] = []
        self.batch_seqs: list[int] = []

    async def command(self, opcode: int, argument: int = 0) -> None:
        await self.transport.write_control(packets.Control(opcode, argument).encode())

    async def learn_time(self, now_utc_s: int, set_clock: bool) -> None:
        await self.command(packets.OP_TIME)
        data = await _reply(self.transport, packets.KIND_DEVICE_TIME, self.timeout_s)
        device_time = _decode(packets.decode_device_time, data)
        self.store.note_device_time(self.result.device_id, device_time.boot_id, device_time.uptime_s, now_utc_s)
        if device_time.boot_id not in self.result.boots_seen:
            self.result.boots_seen.append(device_time.boot_id)
        if set_clock:
            await self.command(packets.OP_SET_CLOCK, now_utc_s)

    async def status(self) -> packets.Status:
        await self.command(packets.OP_STATUS)
        status = _decode(packets.decode_status, await _reply(self.transport, packets.KIND_STATUS, self.timeout_s))
        self.result.evicted_new += self.store.note_status(self.result.device_id, status.evicted)
        self.result.evicted_total = status.evicted
        return status

    async def store_batch(self) -> None:
        """Store the batch in one transaction, then acknowledge it."""
        if not self.batch:
            return
        last = self.batch_seqs[-1]
        ingested = self.store.ingest(self.result.device_id, self.batch_seqs[0], self.batch, seqs=self.batch_seqs)
        self.result.stored += ingested.stored
        self.result.duplicates += ingested.duplicates
        self.batch.clear()
        self.batch_seqs.clear()
        await self.command(packets.OP_ACK, last)

    async def download(self, status: packets.Status) -> None:
        result = self.result
        from_seq = self.store.last_seq(result.device_id) + 1
        if status.acked_seq < from_seq - 1:
            # Stored here, but the acknowledgement was lost with the link: say it again.
            await self.command(packets.OP_ACK, from_seq - 1)
        expected = max(0, status.newest_seq - max(from_seq, status.oldest_seq) + 1)
        done = 0
        if self.progress is not None:
            self.progress(done, expected)
        await self.command(packets.OP_REQUEST, from_seq)
        next_seq = from_seq
        while True:
            chunk = await self.next_records()
            if not chunk.records:
                break
            if chunk.first_seq < next_seq:
                # Records sent again (an older request still streaming): keep only the new ones.
                skip = next_seq - chunk.first_seq
                if skip >= len(chunk.records):
                    continue
                chunk = packets.Records(next_seq, chunk.records[skip:])
            result.gaps += chunk.first_seq - next_seq
            self.batch.extend(chunk.records)
            self.batch_seqs.extend(range(chunk.first_seq, chunk.first_seq + len(chunk.records)))
            next_seq = chunk.first_seq + len(chunk.records)
            result.received += len(chunk.records)
            if result.first_seq is None:
                result.first_seq = chunk.first_seq
            result.last_seq = next_seq - 1
            done += len(chunk.records)
            if self.progress is not None:
                self.progress(done, max(done, expected))
            if len(self.batch) >= self.batch_records:
                await self.store_batch()
        await self.store_batch()

    async def next_records(self) -> packets.Records:
        """The next records packet (late replies to other commands are skipped); a bad one ends the sync, keeping
        the records already received."""
        while True:
            data = await self.transport.receive(self.timeout_s)
            try:
                if packets.packet_kind(data) == packets.KIND_RECORDS:
                    return packets.decode_records(data)
            except packets.PacketError as exc:
                await self.store_batch()
                raise DeviceProtocolError(f"the anklet sent a malformed packet: {exc}") from exc


async def sync_once(
    transport: SyncTransport,
    store: Store,
    device_id: str,
    *,
    result: SyncResult | None = None,
    progress: ProgressCallback | None = None,
    batch_records: int = DEFAULT_BATCH_RECORDS,
    set_clock: bool = True,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    now_utc_s: Callable[[], int] = lambda: int(time.time()),
) -> SyncResult:
    """One sync over an open transport (see the module docstring). Raises ``ConnectionError``/``TimeoutError`` if
    the link drops (what was stored stays stored) and ``DeviceProtocolError`` if the device talks nonsense."""
    result = result if result is not None else SyncResult(device_id)
    result.connections += 1
    session = _Session(transport, store, result, progress=progress, batch_records=batch_records, timeout_s=timeout_s)
    await session.learn_time(now_utc_s(), set_clock)
    await session.download(await session.status())
    store.note_sync(device_id, now_utc_s(), result.first_seq, result.last_seq, result.stored)
    return result


async def sync(
    connect: Callable[[], Awaitable[SyncTransport]],
    store: Store,
    device_id: str,
    *,
    attempts: int = 5,
    progress: ProgressCallback | None = None,
    batch_records: int = DEFAULT_BATCH_RECORDS,
    set_clock: bool = True,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    now_utc_s: Callable[[], int] = lambda: int(time.time()),
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> SyncResult:
    """Sync, connecting again (up to ``attempts`` connections) when the link drops; resumes from what was stored."""
    result = SyncResult(device_id)
    last_error: BaseException | None = None
    for attempt in range(1, attempts + 1):
        try:
            transport = await connect()
            return await sync_once(
                transport,
                store,
                device_id,
                result=result,
                progress=progress,
                batch_records=batch_records,
                set_clock=set_clock,
                timeout_s=timeout_s,
                now_utc_s=now_utc_s,
            )
        except (ConnectionError, TimeoutError) as exc:
            last_error = exc
            if on_retry is not None:
                on_retry(attempt, exc)
    raise AnkletError(
        f"sync with {device_id} failed after {attempts} connections ({last_error}); what arrived is stored,"
        " run sync again to resume"
    )
