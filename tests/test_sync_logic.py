"""Sync, radio aside: the host's sync session against the firmware's flash log and sync server in this process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from anklet.ble.sync import records_per_packet
from anklet_host import packets
from anklet_host.errors import AnkletError
from anklet_host.store.db import Store
from anklet_host.store.sync import DeviceProtocolError, SyncTransport, sync, sync_once
from tests.flashlog_helpers import minute_body
from tests.sync_helpers import OPEN_ANKLETS, InProcessAnklet, InProcessTransport

NOW_S = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture(autouse=True)
def close_anklets() -> Iterator[None]:
    """The device keeps the segment it reads open between syncs; close them so no file outlives a test."""
    yield
    while OPEN_ANKLETS:
        OPEN_ANKLETS.pop().close()


def stored_minutes(store: Store) -> list[tuple[int, int]]:
    return [(int(r["seq"]), int(r["t_min"])) for r in store.query("SELECT seq, t_min FROM minutes ORDER BY seq")]


def expected_minutes(seqs: range) -> list[tuple[int, int]]:
    return [(seq, packets.decode_record(minute_body(seq)).t_min) for seq in seqs]  # type: ignore[union-attr]


async def test_a_sync_stores_everything_acknowledges_and_sets_the_clock(tmp_path: Path) -> None:
    anklet = InProcessAnklet(str(tmp_path / "dev"), boot_id=3, uptime_ms=7_200_000)
    anklet.add_minutes(50)
    progress: list[tuple[int, int]] = []
    with Store(tmp_path / "a.db") as store:
        transport = InProcessTransport(anklet)
        result = await sync_once(
            transport,
            store,
            "anklet-1",
            progress=lambda d, t: progress.append((d, t)),
            batch_records=16,
            now_utc_s=lambda: NOW_S,
        )
        assert (result.received, result.stored, result.duplicates, result.first_seq, result.last_seq) == (
            50,
            50,
            0,
            1,
            50,
        )
        assert stored_minutes(store) == expected_minutes(range(1, 51))
        assert anklet.log.acked_seq == 50
        assert progress[0] == (0, 50)
        assert progress[-1] == (50, 50)
        # Acknowledged after each stored batch of 16, and at the end.
        acks = [packets.decode_control(w).argument for w in transport.written if w[1] == packets.OP_ACK]
        assert acks == [16, 32, 48, 50]
        # The device clock was set; its boot's offset is known.
        assert anklet.clock.wall_s() == NOW_S
        assert store.query("SELECT offset_s FROM boots WHERE boot_id = 3")[0]["offset_s"] == NOW_S - 7200


async def test_running_sync_again_never_duplicates_and_fetches_only_new_records(tmp_path: Path) -> None:
    anklet = InProcessAnklet(str(tmp_path / "dev"))
    anklet.add_minutes(30)
    with Store(tmp_path / "a.db") as store:
        await sync_once(InProcessTransport(anklet), store, "a", now_utc_s=lambda: NOW_S)
        again = await sync_once(InProcessTransport(anklet), store, "a", now_utc_s=lambda: NOW_S)
        assert (again.received, again.stored) == (0, 0)
        anklet.add_minutes(5)
        more = await sync_once(InProcessTransport(anklet), store, "a", now_utc_s=lambda: NOW_S)
        assert (more.received, more.stored, more.first_seq, more.last_seq) == (5, 5, 31, 35)
        assert stored_minutes(store) == expected_minutes(range(1, 36))
        assert store.count("syncs") == 3


async def test_records_sent_twice_are_stored_once(tmp_path: Path) -> None:
    anklet = InProcessAnklet(str(tmp_path / "dev"))
    anklet.add_minutes(10)
    with Store(tmp_path / "a.db") as store:
        first = InProcessTransport(anklet)
        await sync_once(first, store, "a", now_utc_s=lambda: NOW_S)
        # A host that lost its acknowledgement state asks from 1 again: the store keeps one copy.
        records = [packets.decode_record(minute_body(i)) for i in range(1, 11)]
        again = store.ingest("a", 1, records)
        assert (again.stored, again.duplicates) == (0, 10)
        assert store.count("minutes") == 10


@pytest.mark.parametrize("payload_limit", [20, 64, 244])
async def test_larger_mtu_carries_several_records_per_notification(tmp_path: Path, payload_limit: int) -> None:
    anklet = InProcessAnklet(str(tmp_path / "dev"))
    anklet.add_minutes(100)
    with Store(tmp_path / "a.db") as store:
        await sync_once(InProcessTransport(anklet, payload_limit), store, "a", now_utc_s=lambda: NOW_S)
        assert stored_minutes(store) == expected_minutes(range(1, 101))
    per_packet = records_per_packet(payload_limit)
    # time + status + ceil(100 / per_packet) records packets + the end marker.
    assert anklet.notifications == 2 + -(-100 // per_packet) + 1


async def test_a_link_dropped_at_every_step_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    # Count the steps of an undisturbed sync, then drop the link before each one in turn.
    probe = InProcessAnklet(str(tmp_path / "probe"))
    probe.add_minutes(13)
    with Store(tmp_path / "probe.db") as store:
        transport = InProcessTransport(probe)
        await sync_once(transport, store, "a", batch_records=4, now_utc_s=lambda: NOW_S)
    total_steps = transport.steps
    assert total_steps > 20

    for drop_at in range(total_steps):
        anklet = InProcessAnklet(str(tmp_path / f"dev{drop_at}"))
        anklet.add_minutes(13)
        with Store(tmp_path / f"s{drop_at}.db") as store:
            transports: list[InProcessTransport] = []
            stored_at_connect: list[int] = []

            async def connect(
                anklet: InProcessAnklet = anklet,
                store: Store = store,
                transports: list[InProcessTransport] = transports,
                stored_at_connect: list[int] = stored_at_connect,
                first_drop: int = drop_at,
            ) -> SyncTransport:
                stored_at_connect.append(store.count("minutes"))
                transports.append(InProcessTransport(anklet, drop_at=first_drop if not transports else -1))
                return transports[-1]

            result = await sync(connect, store, "a", batch_records=4, now_utc_s=lambda: NOW_S)
            assert result.connections == 2, drop_at
            assert stored_minutes(store) == expected_minutes(range(1, 14)), drop_at
            assert (result.stored, result.duplicates) == (13, 0), drop_at
            assert anklet.log.acked_seq == 13, drop_at
            # The second connection asked from just after what the first had stored.
            requests = [packets.decode_control(w) for w in transports[1].written]
            request = next(c.argument for c in requests if c.opcode == packets.OP_REQUEST)
            assert request == stored_at_connect[1] + 1, drop_at


async def test_sync_gives_up_with_a_clear_error_when_the_link_keeps_dropping(tmp_path: Path) -> None:
    anklet = InProcessAnklet(str(tmp_path / "dev"))
    anklet.add_minutes(12)

    async def connect() -> SyncTransport:
        return InProcessTransport(anklet, drop_at=9)

    retries: list[int] = []
    with Store(tmp_path / "a.db") as store:
        with pytest.raises(AnkletError, match=r"failed after 3 connections .* run sync again to resume"):
            await sync(connect, store, "a", attempts=3, batch_records=2, on_retry=lambda n, _: retries.append(n))
        assert retries == [1, 2, 3]
        kept = store.count("minutes")
        assert kept > 0  # each connection stored some before its drop
        # And a good connection later finishes the job.
        result = await sync_once(InProcessTransport(anklet), store, "a", batch_records=2)
        assert result.first_seq == kept + 1
        assert store.count("minutes") == 12


async def test_evicted_records_are_reported_and_the_gap_is_skipped(tmp_path: Path) -> None:
    anklet = InProcessAnklet(str(tmp_path / "dev"), max_bytes=3 * 4096)  # 3 segments of 170 records
    anklet.add_minutes(10)
    with Store(tmp_path / "a.db") as store:
        await sync_once(InProcessTransport(anklet), store, "a")
        anklet.add_minutes(600)  # 610 > 510: the oldest unacknowledged segment goes
        assert anklet.log.evicted == 160
        result = await sync_once(InProcessTransport(anklet), store, "a")
        assert (result.evicted_total, result.evicted_new, result.gaps) == (160, 160, 160)
        assert result.first_seq == 171
        assert store.evicted_total("a") == 160
        assert store.count("minutes") == 10 + 440
        again = await sync_once(InProcessTransport(anklet), store, "a")
        assert (again.evicted_total, again.evicted_new) == (160, 0)


class GarbageTransport:
    """A device that answers the time request properly and then sends junk as records."""

    def __init__(self, junk: bytes) -> None:
        self.junk = junk
        self.replies: list[bytes] = []

    async def write_control(self, data: bytes) -> None:
        opcode = packets.decode_control(data).opcode
        if opcode == packets.OP_TIME:
            self.replies.append(packets.DeviceTime(1, 100, 0).encode())
        elif opcode == packets.OP_STATUS:
            self.replies.append(packets.Status(1, 3, 0, 0).encode())
        elif opcode == packets.OP_REQUEST:
            good = packets.Records(1, [packets.decode_record(minute_body(1))]).encode()
            self.replies += [good, self.junk]

    async def receive(self, timeout_s: float) -> bytes:  # noqa: ARG002 - never waits
        return self.replies.pop(0)


@pytest.mark.parametrize(
    ("junk", "message"),
    [
        (b"\x99\x01", "format version 9"),
        (bytes([0x13, 2, 0, 0, 0, 0x07]) + bytes(14), "unknown record kind 7"),
        (bytes([0x13, 2, 0, 0]), "5 bytes plus 15 per item"),
    ],
)
async def test_a_device_that_sends_garbage_gets_a_clear_error_and_good_records_are_kept(
    tmp_path: Path, junk: bytes, message: str
) -> None:
    with Store(tmp_path / "a.db") as store:
        with pytest.raises(DeviceProtocolError, match=message):
            await sync_once(GarbageTransport(junk), store, "a")
        assert store.count("minutes") == 1


async def test_records_before_the_clock_was_set_are_placed_by_their_boot(tmp_path: Path) -> None:
    anklet = InProcessAnklet(str(tmp_path / "dev"), boot_id=5, uptime_ms=3_600_000)
    body = bytearray(packets.RECORD_SIZE)
    # Uptime minute 10 of boot 5 (clock not set), and a record from boot 4 that the host never saw.
    packets.pack_minute_into(body, 0, 0, 5, 10, 1, 0, 0, 5, 20, 0, 80, 45)
    anklet.log.append(body)
    packets.pack_minute_into(body, 0, 0, 4, 3, 1, 0, 0, 5, 20, 0, 80, 45)
    anklet.log.append(body)
    with Store(tmp_path / "a.db") as store:
        await sync_once(InProcessTransport(anklet), store, "a", now_utc_s=lambda: NOW_S)
        rows = {int(r["boot_id"]): r["start_utc_s"] for r in store.query("SELECT boot_id, start_utc_s FROM minutes")}
        assert rows == {5: NOW_S - 3600 + 600, 4: None}


async def test_benchmark_a_full_day_of_minute_records_in_process(tmp_path: Path) -> None:
    anklet = InProcessAnklet(str(tmp_path / "dev"))
    anklet.add_minutes(1440)
    with Store(tmp_path / "a.db") as store:
        started = time.perf_counter()
        result = await sync_once(InProcessTransport(anklet, packets.DEFAULT_PAYLOAD), store, "a")
        elapsed_s = time.perf_counter() - started
    assert result.stored == 1440
    assert anklet.notifications == 1440 + 3
    print(
        f"\nBENCH sync of 1440 minute records in-process at MTU 23: {elapsed_s:.3f} s,"
        f" {anklet.notifications} notifications"
    )


def test_an_acknowledgement_frees_the_log_a_segment_per_pump(tmp_path: Path) -> None:
    # A synced full log, acknowledged at once, used to free every segment in one step of the BLE task (a flash write
    # each on the chip); the sync server applies it a segment's worth of records per pump, and stays busy till done.
    from anklet.ble.notifyq import NotifyQueue  # the firmware's, run under CPython
    from anklet.ble.sync import ACK_RECORDS_PER_PUMP, SyncServer
    from anklet.flashlog import DEFAULT_SEGMENT_BYTES, FRAME_SIZE, FlashLog

    assert ACK_RECORDS_PER_PUMP == DEFAULT_SEGMENT_BYTES // FRAME_SIZE
    log = FlashLog(str(tmp_path / "log"), segment_bytes=10 * FRAME_SIZE)  # 10 records a segment
    for seq in range(1, 56):
        log.append(minute_body(seq))
    server = SyncServer(log, NotifyQueue(4, 64), 7, ack_step=10)
    ack = bytearray(packets.CONTROL_SIZE)
    packets.pack_control_into(ack, packets.OP_ACK, 55)
    server.command(bytes(ack), 20)
    acked = []
    while server.busy():
        server.apply_ack()
        acked.append(log.acked_seq)
    assert acked == [10, 20, 30, 40, 50, 55]
    assert log.oldest_seq() == 51  # the newest segment stays (it is appended to)
    log.close()
