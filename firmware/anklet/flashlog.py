"""The device's record log in flash: appends survive power loss at any byte, size is bounded, nothing unsynced is lost
silently.

Records are the 15-byte bodies of ``anklet.packets`` (minute and session records). On flash each is a 24-byte frame:
a marker byte, its uint32 sequence number, the body and a CRC-32 of the first 20 bytes. Frames go to segment files
named after the sequence number of their first record (``s0000002a``); a segment holds ``segment_bytes``.

- Power loss: a write cut short leaves a partial or mismatching last frame; opening the log finds the first bad frame
  of the newest segment and rewrites that segment without it (through a temporary file and a rename, so a second
  power loss during recovery loses nothing more). Earlier frames are never touched; older segments are taken as
  whole (only the newest is ever appended to), and a frame damaged there later (flash wear) is skipped when read.
- Bounded: at most ``max_bytes // segment_bytes`` segments. When a new segment would exceed that, the oldest segment is
  deleted and the records in it the host had not acknowledged are added to ``evicted`` (persisted, reported at sync).
- Acknowledged: ``ack(seq)`` persists the host's acknowledgement; only then may segments wholly at or below it go.
- State (acked sequence, evicted count, floor below which segments are gone) is written alternately to two small
  files with a counter and a CRC, so a torn state write falls back to the previous one.

Portable (CPython and MicroPython; only ``open``/``os``). Appends happen once a minute, not per sample: they
allocate a little (file object, CRC integer); reading for sync leaves a few small objects per record (a slice, the
checks' integers), in the BLE task, never on the sampler's path: C calls there are faster than byte loops.
"""

import os
import struct
from binascii import crc32

from anklet.compat import const
from anklet.packets import RECORD_SIZE

FRAME_MARK = const(0xA5)
FRAME_SIZE = const(24)  # marker 1 + seq 4 + body 15 + crc 4
_CRC_AT = const(20)
_STATE = "<IIIII"  # counter, acked_seq, evicted, floor_seq, crc of the first 16 bytes
_STATE_SIZE = const(20)
_STATE_FILES = ("a0", "a1")
_TEMP = "t"

DEFAULT_MAX_BYTES = const(262144)
DEFAULT_SEGMENT_BYTES = const(4096)


def _exists(path: str) -> bool:
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _segment_name(first_seq: int) -> str:
    return "s%08x" % first_seq


class FlashLog:
    """A bounded, power-loss-safe log of records in ``folder``. Sequence numbers start at 1 and never repeat."""

    def __init__(
        self, folder: str, max_bytes: int = DEFAULT_MAX_BYTES, segment_bytes: int = DEFAULT_SEGMENT_BYTES
    ) -> None:
        if segment_bytes < FRAME_SIZE:
            raise ValueError("segment_bytes must hold at least one record")
        self.folder = folder
        self.segment_bytes = segment_bytes - segment_bytes % FRAME_SIZE
        self.max_segments = max(2, max_bytes // segment_bytes)
        self.acked_seq = 0
        self.evicted = 0
        self._floor = 1
        self._state_counter = 0
        self._firsts = []  # type: list[int]
        self._counts = []  # type: list[int]
        self.next_seq = 1
        self._frame = bytearray(FRAME_SIZE)
        self._head = memoryview(self._frame)[0:_CRC_AT]  # what the CRC covers
        self._body = memoryview(self._frame)[5:_CRC_AT]  # the record
        self._read_first = 0  # first seq of the segment open for reading; 0: none open
        self._read_index = 0  # index (in _firsts) of the segment read last
        self._open()

    # -------------------------------------------------------------------------------------------- opening/recovery

    def _path(self, name: str) -> str:
        return self.folder + "/" + name

    def _open(self) -> None:
        try:
            os.mkdir(self.folder)
        except OSError:
            pass  # it exists
        self._load_state()
        names = os.listdir(self.folder)
        if _TEMP in names:
            os.remove(self._path(_TEMP))  # a recovery cut short; the segment it came from is still whole
        firsts = []
        for name in names:
            if len(name) == 9 and name[0] == "s":
                try:
                    firsts.append(int(name[1:], 16))
                except ValueError:
                    pass
        firsts.sort()
        last = len(firsts) - 1
        for i in range(len(firsts)):
            if i < last:
                # Only the newest segment can end in a torn write: older ones are whole by construction, and a frame
                # damaged later (flash wear) is skipped when read. Not scanning them keeps a boot with a full log
                # quick (a few frames, not ten thousand CRCs).
                count = self._size(firsts[i]) // FRAME_SIZE
            else:
                count = self._scan(firsts[i])
                if count * FRAME_SIZE != self._size(firsts[i]):
                    self._rewrite(firsts[i], count)
            self._firsts.append(firsts[i])
            self._counts.append(count)
        if self._firsts:
            self.next_seq = self._firsts[-1] + self._counts[-1]
        if self.next_seq <= self.acked_seq:
            self.next_seq = self.acked_seq + 1
        if self.next_seq < self._floor:
            self.next_seq = self._floor
        self._drop_done_segments()

    def _size(self, first: int) -> int:
        return os.stat(self._path(_segment_name(first)))[6]

    def _scan(self, first: int) -> int:
        """How many whole, valid, consecutive frames the segment starts with."""
        count = 0
        with open(self._path(_segment_name(first)), "rb") as f:
            while f.readinto(self._frame) == FRAME_SIZE and self._frame_ok(first + count):
                count += 1
        return count

    def _frame_ok(self, seq: int) -> bool:
        frame = self._frame
        if frame[0] != FRAME_MARK or struct.unpack_from("<I", frame, 1)[0] != seq:
            return False
        stored_crc = struct.unpack_from("<I", frame, _CRC_AT)[0]  # type: int
        return crc32(self._head) == stored_crc

    def _rewrite(self, first: int, count: int) -> None:
        """Keep the first ``count`` frames of a segment (dropping a torn tail) by copying them through a temp file."""
        path = self._path(_segment_name(first))
        temp = self._path(_TEMP)
        with open(path, "rb") as src, open(temp, "wb") as dst:
            for _ in range(count):
                src.readinto(self._frame)
                dst.write(self._frame)
        os.rename(temp, path)

    # ------------------------------------------------------------------------------------------------------- state

    def _load_state(self) -> None:
        best = -1
        for name in _STATE_FILES:
            path = self._path(name)
            if not _exists(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if len(data) != _STATE_SIZE:
                continue
            counter, acked, evicted, floor, crc = struct.unpack(_STATE, data)
            if crc32(data[:16]) != crc or counter <= best:
                continue
            best = counter
            self._state_counter = counter
            self.acked_seq = acked
            self.evicted = evicted
            self._floor = floor

    def _save_state(self) -> None:
        self._state_counter += 1
        data = bytearray(_STATE_SIZE)
        struct.pack_into(_STATE, data, 0, self._state_counter, self.acked_seq, self.evicted, self._floor, 0)
        struct.pack_into("<I", data, 16, crc32(memoryview(data)[0:16]))
        with open(self._path(_STATE_FILES[self._state_counter & 1]), "wb") as f:
            f.write(data)

    # ---------------------------------------------------------------------------------------------------- appending

    def append(self, body: "bytes | bytearray | memoryview", offset: int = 0) -> int:
        """Append the ``RECORD_SIZE``-byte record at ``body[offset:]``; returns its sequence number."""
        seq = self.next_seq
        # A segment holds consecutive records from the one it is named after; start another when it is full or
        # when the sequence jumped (a torn record that had already been acknowledged is not reused).
        if (
            not self._firsts
            or (self._counts[-1] + 1) * FRAME_SIZE > self.segment_bytes
            or self._firsts[-1] + self._counts[-1] != seq
        ):
            if len(self._firsts) >= self.max_segments:
                self._evict_oldest()
            self._firsts.append(seq)
            self._counts.append(0)
        if self._read_first == self._firsts[-1]:
            self.close()  # never read a segment through a handle opened before this append
        frame = self._frame
        frame[0] = FRAME_MARK
        struct.pack_into("<I", frame, 1, seq)
        for i in range(RECORD_SIZE):
            frame[5 + i] = body[offset + i]
        struct.pack_into("<I", frame, _CRC_AT, crc32(self._head))
        with open(self._path(_segment_name(self._firsts[-1])), "ab") as f:
            f.write(frame)
        self._counts[-1] += 1
        self.next_seq = seq + 1
        return seq

    def _evict_oldest(self) -> None:
        first = self._firsts[0]
        last = first + self._counts[0] - 1
        lowest_unacked = max(first, self.acked_seq + 1)
        if last >= lowest_unacked:
            self.evicted += last - lowest_unacked + 1
        # State first: a power loss before the delete re-deletes on opening, never counts twice.
        self._floor = self._firsts[1]
        self._save_state()
        self._delete_segment(0)

    def _delete_segment(self, index: int) -> None:
        first = self._firsts.pop(index)
        self._counts.pop(index)
        if self._read_first == first:
            self.close()
        os.remove(self._path(_segment_name(first)))

    def _drop_done_segments(self) -> None:
        """Delete older segments that are evicted (below the floor) or wholly acknowledged; the newest stays."""
        while len(self._firsts) > 1:
            last = self._firsts[0] + self._counts[0] - 1
            if self._firsts[1] <= self._floor or last <= self.acked_seq:
                self._delete_segment(0)
            else:
                break

    # --------------------------------------------------------------------------------------------------- acknowledging

    def ack(self, seq: int) -> int:
        """The host stored every record up to ``seq``; returns the acknowledged sequence number now in force."""
        if seq >= self.next_seq:
            seq = self.next_seq - 1
        if seq > self.acked_seq:
            self.acked_seq = seq
            self._save_state()
            self._drop_done_segments()
        return self.acked_seq

    # -------------------------------------------------------------------------------------------------------- reading

    def oldest_seq(self) -> int:
        """The sequence number of the oldest stored record (``next_seq`` when the log is empty)."""
        for i in range(len(self._firsts)):
            if self._counts[i]:
                return self._firsts[i]
        return self.next_seq

    def newest_seq(self) -> int:
        return self.next_seq - 1

    def read_into(self, seq: int, buf: bytearray, offset: int = 0) -> int:
        """Copy the first stored record with sequence number >= ``seq`` to ``buf[offset:]``; return its sequence
        number, or 0 when there is none. Records lost to eviction or flash damage are skipped. The segment being read
        stays open between calls (``close`` it when a transfer stops early)."""
        n = len(self._firsts)
        # A sync reads in order: start at the segment read last (segments hold consecutive, ascending ranges, so any
        # segment starting at or below ``seq`` has every earlier one wholly below it), not at the first of sixty.
        i = self._read_index
        if i >= n or self._firsts[i] > seq:
            i = 0
        while i < n:
            first = self._firsts[i]
            count = self._counts[i]
            if seq < first:
                seq = first
            if seq < first + count:
                if self._read_one(first, seq):
                    buf[offset : offset + RECORD_SIZE] = self._body
                    self._read_index = i
                    return seq
                seq += 1  # a damaged frame: try the next one
                continue
            i += 1
        self.close()  # the end of the log: no file stays open between syncs
        return 0

    def _read_one(self, first: int, seq: int) -> bool:
        if self._read_first != first:
            self.close()
            self._read_file = open(self._path(_segment_name(first)), "rb")
            self._read_first = first
        f = self._read_file
        f.seek((seq - first) * FRAME_SIZE)
        if f.readinto(self._frame) != FRAME_SIZE:
            return False
        return self._frame_ok(seq)

    def close(self) -> None:
        """Close the file kept open for reading (the log stays usable)."""
        if self._read_first:
            self._read_first = 0
            self._read_file.close()
