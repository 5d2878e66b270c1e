"""Where a chip model's samples come from: objects with ``values`` (6 numbers) and ``sample(t_us)``, and the walk
file (a recorded or generated walk, in the chip's frame) that the virtual anklet's sensor plays.

``values`` holds ``ax, ay, az`` in mg and ``gx, gy, gz`` in mdps, in the CHIP's frame (the virtual anklet rotates the
body-frame trace through the board's mounting before it gets here). A model calls ``sample(t_us)`` once per output
sample, then reads ``values``; numbers may be ints or floats.
"""

import struct
from array import array

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Protocol

    class WalkStream(Protocol):
        """An open walk file (a file opened ``"rb"``, ``io.BytesIO``)."""

        def read(self, n: int) -> bytes: ...

        def seek(self, offset: int) -> int: ...

        def readinto(self, buf: "array[int]") -> "int | None": ...


class ConstantSource:
    """The same acceleration and rotation every sample: a chip lying still (gravity on +z by default)."""

    def __init__(self, accel_mg: "Sequence[float]" = (0, 0, 1000), gyro_mdps: "Sequence[float]" = (0, 0, 0)) -> None:
        self.values: list[float] = [0, 0, 0, 0, 0, 0]
        self.set(accel_mg, gyro_mdps)

    def set(self, accel_mg: "Sequence[float]", gyro_mdps: "Sequence[float]" = (0, 0, 0)) -> None:
        """Change what the chip feels from now on (a jolt, a turn)."""
        for k in range(3):
            self.values[k] = accel_mg[k]
            self.values[3 + k] = gyro_mdps[k]

    def sample(self, t_us: int) -> None:  # noqa: ARG002 - the source interface
        return None


class ArraySource:
    """Rows of six values at ascending times, held until the next row (zero-order hold); the last row stays."""

    def __init__(self, t_us: "Sequence[int]", rows: "Sequence[Sequence[float]]") -> None:
        if len(t_us) != len(rows) or len(t_us) == 0:
            raise ValueError("ArraySource needs as many times as rows, at least one")
        for row in rows:
            if len(row) != 6:
                raise ValueError("each row holds ax, ay, az (mg) and gx, gy, gz (mdps)")
        self.t_us = t_us
        self.rows = rows
        self.values: list[float] = [0, 0, 0, 0, 0, 0]
        self._i = 0

    @classmethod
    def at_rate(cls, rate_hz: int, rows: "Sequence[Sequence[float]]", start_us: int = 0) -> "ArraySource":
        """Rows sampled at ``rate_hz`` from ``start_us``."""
        return cls([start_us + k * 1000000 // rate_hz for k in range(len(rows))], rows)

    def sample(self, t_us: int) -> None:
        times = self.t_us
        if t_us < times[self._i]:
            self._i = 0
        i = self._i
        last = len(times) - 1
        while i < last and times[i + 1] <= t_us:
            i += 1
        self._i = i
        row = self.rows[i]
        for k in range(6):
            self.values[k] = row[k]


# ------------------------------------------------------------------------------------------------------ walk files
# The walk file: what the virtual anklet's sensor feels, in the CHIP's frame, one record per trace sample.
# The one definition of the format; host/anklet_host/sim/walkfeed.py writes it from a trace, WalkFileSource reads it
# inside the VM. Little-endian throughout.
#   header (24 bytes): magic b"AKWK", version (uint8), flags (uint8, bit 0: gyro present), rate_hz (uint16, trace
#     samples per second, 1..1000), count (uint32, records), rest_mg (3 x int16: the chip-frame acceleration
#     standing still, served before the walk starts and after it ends), lead_in_ms (uint32: standing still from the
#     sensor's first sample to the walk's first record), 2 bytes padding.
#   record: ax, ay, az (int16, mg), then if gyro: gx, gy, gz (int32, mdps, within +-GYRO_LIMIT_MDPS).
WALK_MAGIC = b"AKWK"
WALK_VERSION = 1
WALK_HEADER = "<4sBBHI3hI2x"
WALK_HEADER_BYTES = 24
WALK_FLAG_GYRO = 1
WALK_MAX_RATE_HZ = 1000  # keeps (t_us within a second) * rate_hz below 2**30, a small int on MicroPython
GYRO_LIMIT_MDPS = 3000000  # beyond any chip's +-2000 dps range; keeps the chip models' arithmetic in small ints
_INTERP_BITS = 7


def pack_walk_header(rate_hz: int, count: int, gyro: bool, rest_mg: "Sequence[int]", lead_in_ms: int = 0) -> bytes:
    """The walk file's header; ValueError for values the format cannot hold."""
    if not 1 <= rate_hz <= WALK_MAX_RATE_HZ:
        raise ValueError(f"a walk file's rate must be 1..{WALK_MAX_RATE_HZ} Hz")
    if not 0 <= count < 1 << 32 or not 0 <= lead_in_ms < 1 << 32:
        raise ValueError("count and lead_in_ms must fit in 32 bits")
    return struct.pack(
        WALK_HEADER,
        WALK_MAGIC,
        WALK_VERSION,
        WALK_FLAG_GYRO if gyro else 0,
        rate_hz,
        count,
        rest_mg[0],
        rest_mg[1],
        rest_mg[2],
        lead_in_ms,
    )


def unpack_walk_header(data: bytes) -> "tuple[int, int, bool, tuple[int, int, int], int]":
    """``(rate_hz, count, gyro, rest_mg, lead_in_ms)`` from a header; ValueError if it is not a walk file's."""
    if len(data) < WALK_HEADER_BYTES:
        raise ValueError("not a walk file: too short")
    magic, version, flags, rate_hz, count, rx, ry, rz, lead_in_ms = struct.unpack(WALK_HEADER, data[:WALK_HEADER_BYTES])
    if magic != WALK_MAGIC:
        raise ValueError("not a walk file (bad magic)")
    if version != WALK_VERSION:
        raise ValueError(f"walk file version {version} is not supported")
    if not 1 <= rate_hz <= WALK_MAX_RATE_HZ:
        raise ValueError(f"walk file rate {rate_hz} Hz is out of range")
    return rate_hz, count, bool(flags & WALK_FLAG_GYRO), (rx, ry, rz), lead_in_ms


def walk_record_words(gyro: bool) -> int:
    """16-bit words per record: 3 (accel) or 9 (accel, then three int32 gyro values as low/high words)."""
    return 9 if gyro else 3


class WalkFileSource:
    """Plays a walk file to a chip model: the value at each sample time the chip asks for, read in chunks.

    Time runs from the chip's first sample (with ``gate`` set to the chip model: its first sample into the FIFO, so
    no record is lost to the firmware's set-up): ``lead_in_ms`` standing still, then record ``k`` at ``k / rate_hz``
    seconds, linearly interpolated between records for a chip whose data rate differs from the file's (1/128 steps),
    then standing still for good. Only ``chunk_records`` records are in memory, so an hour-long walk plays in a few
    KiB of RAM. `sample` allocates nothing (integers only, a preallocated buffer, ``readinto``), so the firmware's
    heap-locked sampling path can read the chip while it plays. ``start_record`` resumes a walk part way through
    (after a reset of the board: the walker did not go back to the start), straight away, without the lead-in.
    """

    def __init__(self, stream: "WalkStream", chunk_records: int = 256, start_record: int = 0) -> None:
        rate_hz, count, gyro, rest_mg, lead_in_ms = unpack_walk_header(stream.read(WALK_HEADER_BYTES))
        self.rate_hz = rate_hz
        self.count = count
        self.has_gyro = gyro
        self.rest_mg = rest_mg
        self.lead_in_us = lead_in_ms * 1000 if start_record == 0 else 0
        self.values: list[float] = [rest_mg[0], rest_mg[1], rest_mg[2], 0, 0, 0]
        # Progress for the host: the record last served (-1 before the walk), whether the walk has ended.
        self.record = -1
        self.finished = count == 0
        self.reads = 0
        self._stream = stream
        self._words = walk_record_words(gyro)
        self._record_bytes = 2 * self._words
        self._chunk = max(chunk_records, 2)
        self._buf = array("h", bytes(2 * self._words * self._chunk))
        self._first = 0
        self._loaded = 0
        self._started = False
        # Time reference: record _ref_k falls at clock time _ref_us; both move on in whole seconds so that
        # (t_us - _ref_us) * rate_hz stays a small int however long the walk.
        self._ref_k = start_record
        self._ref_us = 0
        self.gate: object = None

    @property
    def started(self) -> bool:
        return self._started

    def rebase(self, shift_us: int) -> None:
        """The clock moved back by ``shift_us`` (see VirtualClock.follow): move the time reference with it."""
        self._ref_us -= shift_us

    def sample(self, t_us: int) -> None:
        if not self._started:
            if self.gate is not None and not getattr(self.gate, "fifo_on", True):
                self._rest()
                return
            self._started = True
            self._ref_us = t_us + self.lead_in_us
        d = t_us - self._ref_us
        if d < 0 or self.finished:
            self._rest()
            return
        rate = self.rate_hz
        while d >= 1000000:
            self._ref_us += 1000000
            self._ref_k += rate
            d -= 1000000
        p = d * rate
        k = self._ref_k + p // 1000000
        if k >= self.count:
            self.finished = True
            self._rest()
            return
        frac = (p % 1000000) * (1 << _INTERP_BITS) // 1000000
        if k + 1 >= self.count:
            frac = 0
        i = self._at(k)
        j = i + self._words if frac else i
        buf = self._buf
        v = self.values
        n = 0
        while n < 3:
            a = buf[i + n]
            v[n] = a + (((buf[j + n] - a) * frac) >> _INTERP_BITS)
            n += 1
        if self._words == 9:
            n = 0
            while n < 3:
                a = (buf[i + 4 + 2 * n] << 16) | (buf[i + 3 + 2 * n] & 0xFFFF)
                b = (buf[j + 4 + 2 * n] << 16) | (buf[j + 3 + 2 * n] & 0xFFFF)
                v[3 + n] = a + (((b - a) * frac) >> _INTERP_BITS)
                n += 1
        self.record = k

    def _rest(self) -> None:
        v = self.values
        rest = self.rest_mg
        v[0] = rest[0]
        v[1] = rest[1]
        v[2] = rest[2]
        v[3] = 0
        v[4] = 0
        v[5] = 0

    def _at(self, k: int) -> int:
        """Word offset of record ``k`` in the buffer, with record ``k + 1`` (if any) loaded too."""
        need = 2 if k + 1 < self.count else 1
        if k < self._first or k + need > self._first + self._loaded:
            self._stream.seek(WALK_HEADER_BYTES + k * self._record_bytes)
            got = self._stream.readinto(self._buf)
            self._first = k
            self._loaded = (got or 0) // self._record_bytes
            self.reads += 1
            if self._loaded < need:
                raise ValueError(f"walk file ends early: record {k + need - 1} of {self.count} is missing")
        return (k - self._first) * self._words
