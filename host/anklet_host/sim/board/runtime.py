"""A simulated board with its console ports: what `anklet sim` runs and the tests start."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from anklet_host.sim.board.console import PtyPort, RawPasteBridge, SocketPort
from anklet_host.sim.board.supervisor import SimBoard


class SimConsole:
    """Powers ``board`` on and opens its console as a pty (``pty_path``) and, if asked, a socket (``socket_url``)."""

    def __init__(self, board: SimBoard, *, pty: bool = True, socket_port: int | None = None) -> None:
        self.board = board
        self.bridge = RawPasteBridge(board)
        self._pty = PtyPort(self.bridge) if pty else None
        self._socket = SocketPort(self.bridge, socket_port) if socket_port is not None else None
        self.pty_path = self._pty.path if self._pty else None
        self.socket_url = self._socket.url if self._socket else None

    @property
    def ports(self) -> list[str]:
        return [p for p in (self.pty_path, self.socket_url) if p]

    def start(self) -> Self:
        self.board.start()
        return self

    def close(self) -> None:
        self.board.stop()
        if self._pty is not None:
            self._pty.close()
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
