"""Helpers for the flash-log tests: distinct record bodies and reading a whole log back."""

from __future__ import annotations

from anklet.flashlog import FlashLog
from anklet_host import packets as p


def minute_body(n: int) -> bytearray:
    """A valid minute record whose fields all derive from ``n`` (so each record is recognisable)."""
    buf = bytearray(p.RECORD_SIZE)
    p.pack_minute_into(buf, 0, n % 2, n % 65536, 1000 + n, n % 7, n % 5, n % 3, n % 11, n % 13, n % 2, 90, n % 61)
    return buf


def read_all(log: FlashLog, from_seq: int = 1) -> list[tuple[int, bytes]]:
    """Every stored record from ``from_seq`` on, as (seq, body); closes the file kept open for reading."""
    out = []
    buf = bytearray(p.RECORD_SIZE)
    seq = log.read_into(from_seq, buf)
    while seq:
        out.append((seq, bytes(buf)))
        seq = log.read_into(seq + 1, buf)
    log.close()
    return out
