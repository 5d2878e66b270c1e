"""The flash log (firmware/anklet/flashlog.py): power loss at any byte, bounded size with counted eviction, acks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anklet.flashlog import FRAME_SIZE, FlashLog
from anklet_host.upy import MicroPython
from tests.flashlog_helpers import minute_body, read_all

SEGMENT_BYTES = 10 * FRAME_SIZE


def fill(log: FlashLog, n: int, start: int = 1) -> None:
    for i in range(start, start + n):
        assert log.append(minute_body(i)) == i


def segment_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.name.startswith("s"))


def test_records_come_back_in_order_after_reopening(tmp_path: Path) -> None:
    log = FlashLog(str(tmp_path), max_bytes=100 * FRAME_SIZE, segment_bytes=SEGMENT_BYTES)
    fill(log, 25)
    log.close()
    again = FlashLog(str(tmp_path), max_bytes=100 * FRAME_SIZE, segment_bytes=SEGMENT_BYTES)
    assert read_all(again) == [(i, bytes(minute_body(i))) for i in range(1, 26)]
    assert (again.oldest_seq(), again.newest_seq(), again.next_seq) == (1, 25, 26)
    assert [f.name for f in segment_files(tmp_path)] == ["s00000001", "s0000000b", "s00000015"]
    assert read_all(again, 12)[0][0] == 12


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_torn_last_record_is_dropped_at_every_byte_and_the_rest_survive(tmp_path: Path, damage: str) -> None:
    for cut in range(FRAME_SIZE):
        folder = tmp_path / f"{damage}{cut}"
        log = FlashLog(str(folder), segment_bytes=SEGMENT_BYTES)
        fill(log, 14)  # the last segment holds records 11..14
        log.close()
        last_segment = segment_files(folder)[-1]
        data = bytearray(last_segment.read_bytes())
        start = 3 * FRAME_SIZE  # record 14
        if damage == "truncate":
            data = data[: start + cut]
        else:
            data[start + cut] ^= 0x40
        last_segment.write_bytes(bytes(data))

        reopened = FlashLog(str(folder), segment_bytes=SEGMENT_BYTES)
        assert read_all(reopened) == [(i, bytes(minute_body(i))) for i in range(1, 14)], cut
        assert reopened.next_seq == 14
        assert last_segment.stat().st_size == 3 * FRAME_SIZE  # the torn tail is gone for good
        # Appending after recovery continues cleanly and survives another reopen.
        assert reopened.append(minute_body(99)) == 14
        reopened.close()
        assert read_all(FlashLog(str(folder), segment_bytes=SEGMENT_BYTES))[-2:] == [
            (13, bytes(minute_body(13))),
            (14, bytes(minute_body(99))),
        ]


def test_a_torn_first_record_of_a_fresh_segment_leaves_an_empty_segment(tmp_path: Path) -> None:
    log = FlashLog(str(tmp_path), segment_bytes=SEGMENT_BYTES)
    fill(log, 11)
    log.close()
    newest = segment_files(tmp_path)[-1]
    assert newest.name == "s0000000b"
    newest.write_bytes(newest.read_bytes()[:5])
    again = FlashLog(str(tmp_path), segment_bytes=SEGMENT_BYTES)
    assert (again.newest_seq(), again.next_seq) == (10, 11)
    assert again.append(minute_body(11)) == 11
    assert read_all(again)[-1] == (11, bytes(minute_body(11)))


def test_a_torn_state_write_falls_back_to_the_previous_state(tmp_path: Path) -> None:
    log = FlashLog(str(tmp_path), segment_bytes=SEGMENT_BYTES)
    fill(log, 30)
    log.ack(5)
    log.ack(12)  # written to the other state file
    log.close()
    state_files = {path.name: path.read_bytes() for path in tmp_path.iterdir() if path.name in ("a0", "a1")}
    newest = max(state_files, key=lambda name: int.from_bytes(state_files[name][:4], "little"))
    for cut in range(20):
        (tmp_path / newest).write_bytes(state_files[newest][:cut])
        assert FlashLog(str(tmp_path), segment_bytes=SEGMENT_BYTES).acked_seq == 5, cut
    (tmp_path / newest).write_bytes(state_files[newest])
    assert FlashLog(str(tmp_path), segment_bytes=SEGMENT_BYTES).acked_seq == 12


def test_a_full_log_evicts_oldest_first_and_counts_unacknowledged_records(tmp_path: Path) -> None:
    max_bytes = 4 * SEGMENT_BYTES
    log = FlashLog(str(tmp_path), max_bytes=max_bytes, segment_bytes=SEGMENT_BYTES)
    fill(log, 40)  # exactly full: 4 segments of 10
    assert (log.evicted, log.oldest_seq()) == (0, 1)
    log.ack(4)
    fill(log, 1, start=41)  # a fifth segment: segment 1..10 goes, 6 of its records were not acknowledged
    assert (log.evicted, log.oldest_seq(), log.newest_seq()) == (6, 11, 41)
    fill(log, 25, start=42)  # two more segments go: 20 more unacknowledged records
    assert (log.evicted, log.oldest_seq()) == (26, 31)
    sizes = sum(path.stat().st_size for path in segment_files(tmp_path))
    assert sizes <= max_bytes
    log.close()
    again = FlashLog(str(tmp_path), max_bytes=max_bytes, segment_bytes=SEGMENT_BYTES)
    assert (again.evicted, again.oldest_seq(), again.newest_seq()) == (26, 31, 66)
    assert [seq for seq, _ in read_all(again)] == list(range(31, 67))
    assert read_all(again, 3)[0][0] == 31  # asking for evicted records gives the oldest still stored


def test_eviction_interrupted_by_power_loss_is_finished_on_opening_without_counting_twice(tmp_path: Path) -> None:
    log = FlashLog(str(tmp_path), max_bytes=2 * SEGMENT_BYTES, segment_bytes=SEGMENT_BYTES)
    fill(log, 20)
    kept = (tmp_path / "s00000001").read_bytes()
    fill(log, 1, start=21)  # evicts 1..10 (state saved first, then the file deleted)
    assert log.evicted == 10
    log.close()
    (tmp_path / "s00000001").write_bytes(kept)  # as if power went between saving state and deleting
    again = FlashLog(str(tmp_path), max_bytes=2 * SEGMENT_BYTES, segment_bytes=SEGMENT_BYTES)
    assert (again.evicted, again.oldest_seq()) == (10, 11)
    assert not (tmp_path / "s00000001").exists()


def test_records_stay_until_acknowledged_and_acks_persist(tmp_path: Path) -> None:
    log = FlashLog(str(tmp_path), segment_bytes=SEGMENT_BYTES)
    fill(log, 35)
    assert len(segment_files(tmp_path)) == 4
    assert log.ack(19) == 19
    assert [f.name for f in segment_files(tmp_path)] == ["s0000000b", "s00000015", "s0000001f"]
    assert log.ack(3) == 19  # acks never go back
    assert log.ack(1000) == 35  # nor past what exists
    assert [f.name for f in segment_files(tmp_path)] == ["s0000001f"]  # the newest segment always stays
    log.close()
    again = FlashLog(str(tmp_path), segment_bytes=SEGMENT_BYTES)
    assert (again.acked_seq, again.next_seq) == (35, 36)
    assert again.append(minute_body(36)) == 36


def test_sequence_numbers_never_repeat_even_when_everything_was_acknowledged(tmp_path: Path) -> None:
    log = FlashLog(str(tmp_path), segment_bytes=SEGMENT_BYTES)
    fill(log, 10)
    log.ack(10)
    log.close()
    for name in os.listdir(tmp_path):
        if name.startswith("s"):
            os.remove(tmp_path / name)
    again = FlashLog(str(tmp_path), segment_bytes=SEGMENT_BYTES)
    assert again.next_seq == 11


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("append"), st.integers(1, 15)),
            st.tuples(st.just("ack"), st.integers(0, 200)),
            st.tuples(st.just("reopen"), st.integers(0, FRAME_SIZE)),
        ),
        max_size=25,
    )
)
def test_the_log_matches_a_model_through_appends_acks_and_power_losses(ops: list[tuple[str, int]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        max_bytes = 5 * SEGMENT_BYTES
        log = FlashLog(folder, max_bytes=max_bytes, segment_bytes=SEGMENT_BYTES)
        model: dict[int, bytes] = {}
        acked = 0
        # Records that disappeared while still unacknowledged: what the log must count as evicted. A later ack of
        # such a record does not bring it back, so it stays counted.
        lost: set[int] = set()
        next_seq = 1
        for op, arg in ops:
            if op == "append":
                for _ in range(arg):
                    assert log.append(minute_body(next_seq)) == next_seq
                    model[next_seq] = bytes(minute_body(next_seq))
                    next_seq += 1
            elif op == "ack":
                acked = max(acked, min(arg, next_seq - 1))
                assert log.ack(arg) == acked
            else:
                # Power loss in the middle of the last append: cut its frame after `arg` bytes (arg=24: whole).
                log.close()
                newest = sorted(n for n in os.listdir(folder) if n.startswith("s"))
                if newest and model and arg < FRAME_SIZE:
                    path = os.path.join(folder, newest[-1])
                    size = os.path.getsize(path)
                    if size:
                        with open(path, "r+b") as f:
                            f.seek(size - FRAME_SIZE + 1)
                            torn_seq = int.from_bytes(f.read(4), "little")
                            f.truncate(size - FRAME_SIZE + arg)
                        del model[torn_seq]
                        if torn_seq == next_seq - 1:
                            next_seq -= 1
                log = FlashLog(folder, max_bytes=max_bytes, segment_bytes=SEGMENT_BYTES)
                next_seq = max(next_seq, acked + 1)
            stored = dict(read_all(log))
            # Nothing is invented or altered; whatever is missing was evicted (counted unless acknowledged first).
            assert all(model[seq] == body for seq, body in stored.items())
            lost.update(seq for seq in model if seq not in stored and seq > acked)
            assert len(lost) == log.evicted
            assert log.next_seq == next_seq
            assert sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder) if n[0] == "s") <= max_bytes
        log.close()


@pytest.mark.micropython
def test_power_loss_recovery_under_micropython(upy: MicroPython) -> None:
    # The VM's filesystem is in memory; the same sweep as above, with MicroPython's own file I/O.
    code = """
import os
import struct
from anklet.flashlog import FlashLog, FRAME_SIZE
from anklet import packets as p
body = bytearray(p.RECORD_SIZE)
ok = 0
for cut in range(FRAME_SIZE):
    folder = "/log%d" % cut
    log = FlashLog(folder, segment_bytes=240)
    for i in range(1, 15):
        p.pack_minute_into(body, 0, 1, 2, i, i, 0, 0, 0, 0, 0, 90, 30)
        log.append(body)
    log.close()
    with open(folder + "/s0000000b", "rb") as f:
        data = f.read()
    with open(folder + "/s0000000b", "wb") as f:
        f.write(data[: 3 * FRAME_SIZE + cut])
    again = FlashLog(folder, segment_bytes=240)
    seqs = []
    s = again.read_into(1, body)
    while s:
        seqs.append(s)
        assert struct.unpack_from(p.FMT_MINUTE, body, 0)[2] == s  # t_min
        s = again.read_into(s + 1, body)
    if seqs == list(range(1, 14)) and again.next_seq == 14 and os.stat(folder + "/s0000000b")[6] == 72:
        ok += 1
print(ok)
"""
    assert upy.run(code).strip() == str(FRAME_SIZE)
