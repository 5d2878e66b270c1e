"""The virtual anklet's USB serial port: a pseudo-terminal and/or a ``socket://127.0.0.1:PORT`` that real tools
(mpremote, a terminal) open, wired to the board's console.

It also does the one part of the raw REPL the WebAssembly port cannot: raw-paste mode (``Ctrl-E A Ctrl-A``), which
hangs that VM. The bridge answers it as a board does (``R\\x01``, a window size, ``\\x01`` per window, ``\\x04`` at the
end), collects the code and hands it to the VM as a plain raw-REPL command, dropping the ``OK`` that command answers
with (raw-paste has no ``OK``). mpremote thus keeps its fast path and sends no 10 ms-paced 256-byte chunks.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import termios
import threading
import time
import tty

from anklet_host.sim.board.supervisor import SimBoard

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
FRIENDLY_BANNER = b'Type "help()" for more information.'
PASTE_WINDOW = 16384
OUT_LIMIT_BYTES = 1 << 20
STALL_DROP_S = 1.0


class RawPasteBridge:
    """Sits between the console ports and the board: tracks raw-REPL mode from the board's output, serves raw-paste."""

    def __init__(self, board: SimBoard) -> None:
        self.board = board
        self.raw = False
        self._tail = b""
        self._lock = threading.Lock()
        self._state = "pass"  # pass | esc (got ^E) | escA (got ^E A) | paste
        self._code = bytearray()
        self._received = 0
        self._strip_ok = b""
        self._sinks: list[object] = []
        board.on_output(self._from_board)

    def add_sink(self, sink: object) -> None:
        self._sinks.append(sink)

    def _to_host(self, data: bytes) -> None:
        for sink in list(self._sinks):
            sink(data)  # type: ignore[operator]

    def _from_board(self, data: bytes) -> None:
        with self._lock:
            window = self._tail + data
            raw_at = window.rfind(RAW_BANNER)
            friendly_at = window.rfind(FRIENDLY_BANNER)
            if raw_at >= 0 or friendly_at >= 0:
                self.raw = raw_at > friendly_at
            self._tail = window[-64:]
            if self._strip_ok:
                n = 0
                while n < len(data) and n < len(self._strip_ok) and data[n] == self._strip_ok[n]:
                    n += 1
                self._strip_ok = self._strip_ok[n:] if n == len(data) else b""
                data = data[n:]
        if data:
            self._to_host(data)

    def from_host(self, data: bytes) -> None:
        """Bytes from whoever holds the port."""
        forward = bytearray()
        replies = bytearray()
        with self._lock:
            for c in data:
                if self._state == "paste":
                    if c == 4:
                        # End of the pasted code: acknowledge, then run it as an ordinary raw-REPL command.
                        replies += b"\x04"
                        forward += bytes(self._code) + b"\x04"
                        self._strip_ok = b"OK"
                        self._code.clear()
                        self._state = "pass"
                        continue
                    self._code.append(c)
                    self._received += 1
                    if self._received % PASTE_WINDOW == 0:
                        replies += b"\x01"
                    continue
                if self._state == "esc":
                    self._state = "escA" if c == 0x41 else "pass"
                    if self._state == "pass":
                        forward += bytes([5, c])
                    continue
                if self._state == "escA":
                    if c == 1:
                        replies += b"R\x01" + struct.pack("<H", PASTE_WINDOW)
                        self._state = "paste"
                        self._received = 0
                    else:
                        forward += bytes([5, 0x41, c])
                        self._state = "pass"
                    continue
                if c == 5 and self.raw:
                    self._state = "esc"
                    continue
                forward.append(c)
        if replies:
            self._to_host(bytes(replies))
        if forward:
            self.board.write_console(bytes(forward))


class PtyPort:
    """The console as a pseudo-terminal: ``path`` is what ``mpremote connect`` takes."""

    def __init__(self, bridge: RawPasteBridge) -> None:
        self._bridge = bridge
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        attrs = termios.tcgetattr(self._slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._stop = False
        self._out = bytearray()
        self._out_cond = threading.Condition()
        self._thread = threading.Thread(target=self._pump, name="sim-pty", daemon=True)
        self._thread.start()
        self._writer = threading.Thread(target=self._drain, name="sim-pty-out", daemon=True)
        self._writer.start()
        bridge.add_sink(self._write)

    def _write(self, data: bytes) -> None:
        with self._out_cond:
            if len(self._out) < OUT_LIMIT_BYTES:
                self._out += data
                self._out_cond.notify()

    def _drain(self) -> None:
        stalled_since: float | None = None
        while not self._stop:
            with self._out_cond:
                if not self._out:
                    self._out_cond.wait(0.1)
                    continue
                chunk = bytes(self._out[:4096])
            _, ready, _ = select.select([], [self._master], [], 0.1)
            written = 0
            if ready:
                with contextlib.suppress(BlockingIOError, InterruptedError):
                    written = os.write(self._master, chunk)
            now = time.monotonic()
            with self._out_cond:
                if written:
                    del self._out[:written]
                    stalled_since = None
                elif stalled_since is None:
                    stalled_since = now
                elif now - stalled_since > STALL_DROP_S:
                    # Nobody has read the port for a while: drop the output, as a UART with no host attached does.
                    self._out.clear()
                    stalled_since = None

    def _pump(self) -> None:
        while not self._stop:
            ready, _, _ = select.select([self._master], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(self._master, 65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                break
            if data:
                self._bridge.from_host(data)

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        self._writer.join(timeout=2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class SocketPort:
    """The console on a TCP port (pyserial's ``socket://`` URL); one client at a time, the newest wins."""

    def __init__(self, bridge: RawPasteBridge, port: int = 0) -> None:
        self._bridge = bridge
        self._server = socket.create_server(("127.0.0.1", port))
        self.port = self._server.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self._client: socket.socket | None = None
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._serve, name="sim-socket", daemon=True)
        self._thread.start()
        bridge.add_sink(self._write)

    def _write(self, data: bytes) -> None:
        with self._lock:
            client = self._client
        if client is not None:
            with contextlib.suppress(OSError):
                client.sendall(data)

    def _serve(self) -> None:
        while not self._stop:
            ready, _, _ = select.select([self._server], [], [], 0.1)
            if not ready:
                continue
            try:
                client, _ = self._server.accept()
            except OSError:
                break
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                old, self._client = self._client, client
            if old is not None:
                with contextlib.suppress(OSError):
                    old.close()
            threading.Thread(target=self._read, args=(client,), name="sim-socket-client", daemon=True).start()

    def _read(self, client: socket.socket) -> None:
        while not self._stop:
            try:
                data = client.recv(65536)
            except OSError:
                break
            if not data:
                break
            self._bridge.from_host(data)
        with self._lock:
            if self._client is client:
                self._client = None
        with contextlib.suppress(OSError):
            client.close()

    def close(self) -> None:
        self._stop = True
        with contextlib.suppress(OSError):
            self._server.close()
        with self._lock:
            if self._client is not None:
                with contextlib.suppress(OSError):
                    self._client.close()
        self._thread.join(timeout=2)
