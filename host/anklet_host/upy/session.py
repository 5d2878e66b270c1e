"""A Node process hosting MicroPython VMs, and the JSON-lines protocol to it (see runner.mjs)."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from anklet_host.paths import FIRMWARE_DIR, find_node_module

RUNTIME_PACKAGE = "@micropython/micropython-webassembly-pyscript"
_RUNNER = Path(__file__).with_name("runner.mjs")
DEFAULT_HEAP_BYTES = 2 * 1024 * 1024


class RuntimeMissingError(RuntimeError):
    """Node or the MicroPython WebAssembly package is not installed."""


class MicroPythonError(Exception):
    """Code run under MicroPython raised; ``type_name`` is the MicroPython exception type, the message its traceback."""

    def __init__(self, type_name: str, traceback_text: str, stdout: str) -> None:
        super().__init__(f"{type_name} under MicroPython:\n{traceback_text}")
        self.type_name = type_name
        self.traceback_text = traceback_text
        self.stdout = stdout


def runtime_path() -> Path:
    """The MicroPython WebAssembly module, or a clear error saying how to install it."""
    if shutil.which("node") is None:
        raise RuntimeMissingError("Node.js is not on PATH; install Node 20+ and run `make setup`")
    package = find_node_module(RUNTIME_PACKAGE)
    if package is None:
        raise RuntimeMissingError(f"{RUNTIME_PACKAGE} is not installed; run `make setup` (npm ci)")
    return package / "micropython.mjs"


class MicroPython:
    """A Node process that runs code in fresh MicroPython VMs. Thread-safe; close it (or use ``with``) when done."""

    def __init__(self, firmware_dir: Path = FIRMWARE_DIR, heap_bytes: int = DEFAULT_HEAP_BYTES) -> None:
        self.firmware_dir = firmware_dir
        self.heap_bytes = heap_bytes
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._next_id = 0

    def _start(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            node = shutil.which("node") or "node"
            self._proc = subprocess.Popen(
                [node, str(_RUNNER), str(runtime_path())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                bufsize=1,
            )
        return self._proc

    def run(
        self,
        code: str,
        *,
        files: dict[str, str | bytes] | None = None,
        dirs: dict[str, Path] | None = None,
        with_firmware: bool = True,
        run_async: bool = False,
        heap_bytes: int | None = None,
        timeout_s: float = 120.0,
    ) -> str:
        """Run ``code`` in a fresh VM (firmware tree at ``/``); return what it printed, or raise MicroPythonError.

        ``files`` maps VM paths to text or bytes; ``dirs`` maps VM folders to host folders copied in (e.g.
        ``{"/lib": ...}`` for simulated hardware). ``run_async`` allows top-level ``await`` (the port has no
        ``asyncio.run``).
        """
        request: dict[str, Any] = {
            "code": code,
            "dirs": ([["/", str(self.firmware_dir)]] if with_firmware else [])
            + [[vm_dir, str(host_dir)] for vm_dir, host_dir in (dirs or {}).items()],
            "files": {
                path: content if isinstance(content, str) else {"b64": base64.b64encode(content).decode("ascii")}
                for path, content in (files or {}).items()
            },
            "heap_bytes": heap_bytes or self.heap_bytes,
            "async": run_async,
        }
        with self._lock:
            proc = self._start()
            assert proc.stdin is not None
            assert proc.stdout is not None
            self._next_id += 1
            request["id"] = self._next_id
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            try:
                line = _readline(proc, timeout_s)
            except MicroPythonError:
                self.close()
                raise
        reply = json.loads(line)
        if reply["error"] is not None:
            raise MicroPythonError(reply["error"]["type"], reply["error"]["message"], reply["stdout"])
        return str(reply["stdout"])

    def close(self) -> None:
        """Stop the Node process (it exits when its input closes; killed if it does not)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _readline(proc: subprocess.Popen[str], timeout_s: float) -> str:
    """One reply line; a VM stuck in a loop cannot be interrupted, so on timeout the Node process is killed."""
    assert proc.stdout is not None
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(proc.stdout.readline() if proc.stdout else ""))
    reader.start()
    reader.join(timeout_s)
    if reader.is_alive():
        proc.kill()  # unblocks the reader; the caller then closes the pipes
        reader.join()
        raise MicroPythonError("TimeoutError", f"no reply from MicroPython within {timeout_s:.0f} s", "")
    if not result or not result[0]:
        raise MicroPythonError("RunnerError", f"the MicroPython runner exited (status {proc.poll()})", "")
    return result[0]
