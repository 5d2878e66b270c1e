"""The wire format between the supervisor and a boot of the board (board.mjs): one definition, used on both sides.

A frame is a kind byte (``c``: console bytes, ``j``: one JSON object), the payload length as uint32 little-endian,
then the payload. board.mjs reads and writes exactly this (see the comment at its top).
"""

from __future__ import annotations

import json
import struct
from typing import Any

CONSOLE = b"c"
EVENT = b"j"
_HEAD = struct.Struct("<cI")


def encode(kind: bytes, payload: bytes) -> bytes:
    return _HEAD.pack(kind, len(payload)) + payload


def encode_event(event: dict[str, Any]) -> bytes:
    return encode(EVENT, json.dumps(event, separators=(",", ":")).encode())


class Decoder:
    """Accumulates bytes; `frames` yields every complete (kind, payload) frame so far."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[bytes, bytes]]:
        self._buf += data
        out: list[tuple[bytes, bytes]] = []
        while len(self._buf) >= _HEAD.size:
            kind, length = _HEAD.unpack_from(self._buf)
            end = _HEAD.size + length
            if len(self._buf) < end:
                break
            out.append((kind, bytes(self._buf[_HEAD.size : end])))
            del self._buf[:end]
        return out
