"""Helpers for the virtual-anklet console tests: a running simulated board and the real mpremote against it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from anklet_host.sim.board import BoardSpec, SimBoard, SimConsole

MPREMOTE = str(Path(sys.executable).with_name("mpremote"))


def mpremote(port: str, *args: str, timeout_s: float = 30.0, check: bool = True) -> str:
    """Run the real (pinned) mpremote against ``port``; its stdout (stderr on failure in the assertion message)."""
    proc = subprocess.run(
        [MPREMOTE, "connect", port, *args], capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if check:
        assert proc.returncode == 0, f"mpremote {' '.join(args)} failed ({proc.returncode}): {proc.stderr}"
    return proc.stdout


@contextmanager
def running_board(
    flash: Path, spec: BoardSpec | None = None, *, socket: bool = False, speed: int = 1, ready: bytes = b">>> "
) -> Iterator[SimConsole]:
    """A powered simulated board whose flash is ``flash``, once ``ready`` (the REPL prompt) is on its console."""
    board = SimBoard(flash, spec, speed=speed)
    with SimConsole(board, socket_port=0 if socket else None) as console:
        board.wait_for_output(ready, 15)
        yield console
