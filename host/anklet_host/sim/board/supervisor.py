"""The virtual anklet's power supply and reset circuitry: starts each boot of the board (board.mjs under Node),
keeps the flash folder across boots, and restarts the board on reset, watchdog expiry, deep-sleep wake-up and power.

Every boot is a fresh Node process running a fresh MicroPython VM (about 0.2 s), as every reset of an ESP32 starts
from nothing but its flash. The supervisor also stands in for what a VM cannot do for itself: a firmware stuck in a
synchronous loop never reads its UART, so an unfed `machine.WDT` or an unanswered Ctrl-C ends the boot from here.

Faults on purpose: `power_cut` at any instant, and `cut_power_during_write`, a power cut in the middle of a flash
write that leaves the file torn (see board.mjs), after which the power comes back.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anklet_host.errors import AnkletError
from anklet_host.sim.board import frames
from anklet_host.upy.session import runtime_path

_HERE = Path(__file__).resolve().parent
_BOARD_MJS = _HERE / "board.mjs"
# Budget mode times the firmware's steps in the process's CPU time (board.mjs): V8's helper threads (concurrent
# garbage collection and compilation) add theirs to it, milliseconds at a time (a Node 20 loop timing 2 us of work
# read up to 3.3 ms without --single-threaded and 0.14 ms with it), so in budget mode V8 runs on the main thread
# alone; and it compiles the WebAssembly port with its optimizing compiler at once (--no-liftoff), so that no step
# pays for a hot function's recompilation (the code then runs as fast as the tiered-up code the CPU factors assume).
_BUDGET_NODE_FLAGS = ("--single-threaded", "--no-liftoff")
VMLIB_DIR = _HERE.parent / "vmlib"
SIM_DIR = _HERE.parent  # the shared chip models, bus and clock (anklet_host/sim), copied in as `anklet_sim`
_SHARED_SIM_FILES = ("__init__.py", "clock.py", "i2c.py")

# machine.reset_cause() / wake_reason() numbers of the ESP32 port.
PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
EXT0_WAKE = 2
EXT1_WAKE = 3
TIMER_WAKE = 4

# A Ctrl-C the VM has not taken in within this long means it is stuck in a loop that never yields.
CTRL_C_GRACE_S = 2.0
# The shortest wall-clock watchdog deadline at any --speed (see _board_event).
WDT_MIN_WALL_S = 3.0
TRANSCRIPT_BYTES = 1 << 20


@dataclass
class BoardSpec:
    """What is soldered on the simulated board: taken from a board file, or nothing (a bare ESP32)."""

    name: str = "bare"
    mcu: str = "esp32"
    hardware: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_board_file(cls, data: dict[str, Any], chip: str | None = None, battery_mv: int = 3900) -> BoardSpec:
        """The wiring of a board file; ``chip`` puts a different chip on the bus (a wrong board file, on purpose)."""
        hardware: dict[str, Any] = {}
        sensor = data.get("sensor")
        i2c = data.get("i2c") or {}
        if sensor:
            address = sensor["address"]
            hardware["sensor"] = {
                "chip": chip or sensor["chip"],
                "address": int(address, 16) if isinstance(address, str) else int(address),
                "bus": int(i2c.get("bus", 0)),
                "int_pin": sensor.get("int_pin"),
                "sensor_int": sensor.get("sensor_int", 1),
            }
        battery = data.get("battery")
        if battery:
            hardware["adc_mv"] = {str(battery["adc_pin"]): battery_mv // int(battery.get("divider", 1))}
        return cls(name=str(data.get("name", "board")), mcu=str(data.get("mcu", "esp32")), hardware=hardware)


class SimBoard:
    """One simulated board. `start` powers it on; console bytes go in with `write_console` and come out to
    ``on_output`` callbacks (the console port, the transcript); `power_cut`, `power_on`, `reset` act like the real
    thing. Thread-safe."""

    def __init__(
        self,
        flash_dir: Path,
        spec: BoardSpec | None = None,
        *,
        speed: int = 1,
        heap_bytes: int = 512 * 1024,
        flash_bytes: int = 2 * 1024 * 1024,
        budget: bool = False,
    ) -> None:
        if speed < 1:
            raise AnkletError("the simulation speed must be a whole number >= 1")
        self.flash_dir = Path(flash_dir).resolve()
        self.flash_dir.mkdir(parents=True, exist_ok=True)
        self.spec = spec or BoardSpec()
        self.speed = speed
        self.heap_bytes = heap_bytes
        self.flash_bytes = flash_bytes
        # Budget mode (anklet_host.budget): the loop is stepped from JavaScript so the heap can be measured between
        # steps, and board.mjs reports it as {"ev": "budget"} events when sent {"op": "budget"}.
        self.budget = budget
        self.boots = 0
        self.reset_causes: list[int] = []
        self.pin_levels: dict[int, int] = {}
        self.events: list[dict[str, Any]] = []
        self._output_sinks: list[Callable[[bytes], None]] = []
        self._event_sinks: list[Callable[[dict[str, Any]], None]] = []
        self._transcript = bytearray()
        self._cond = threading.Condition()
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stdin: socket.socket | None = None
        self._pending_input = bytearray()
        self._unacked = bytearray()
        self._ctrl_c_at: float | None = None
        self._wdt_deadline: float | None = None
        self._wdt_timeout_s = 0.0
        self._powered = False
        self._stopping = False
        self._wake = threading.Event()
        self._power = threading.Event()
        self._thread: threading.Thread | None = None
        self._next = {"reset_cause": PWRON_RESET, "wake_reason": 0, "raw_repl": False, "skip_main": False}
        self._wake_pins: dict[str, Any] = {}
        self._world_wake: tuple[float, int, int] | None = None  # (board seconds, pin, level), see `wake_after`
        self._boot_wake = 0
        self._flash_fault: dict[str, Any] | None = None
        self._flash_fault_done: threading.Event | None = None
        self.torn_writes: list[dict[str, Any]] = []  # the "power_cut" events of `cut_power_during_write`, in order

    # ------------------------------------------------------------------------------------------------ public API
    def start(self) -> None:
        """Power the board on (reset cause PWRON_RESET) and keep it running until `stop`."""
        runtime_path()  # a clear error now if Node or the MicroPython package is missing
        self._powered = True
        self._power.set()
        self._thread = threading.Thread(target=self._supervise, name="sim-board", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        self._power.set()
        self._wake.set()
        self._kill()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def power_cut(self) -> None:
        """Cut the power now: the VM dies mid-instruction; files not yet closed or flushed are lost."""
        with self._lock:
            self._powered = False
            self._power.clear()
            self._next = {"reset_cause": PWRON_RESET, "wake_reason": 0, "raw_repl": False, "skip_main": False}
            self._kill()

    def cut_power_during_write(self, path_suffix: str, keep_bytes: int) -> threading.Event:
        """Cut the power in the middle of the next flash write of a file whose board path ends with ``path_suffix``
        (``"/state.bin.tmp"``; from this boot on, until it happens): the file keeps ``keep_bytes`` of the write,
        counted from its first changed byte, and its old bytes after that (an append: the old file plus ``keep_bytes``
        of the new bytes), the board dies there, and the power comes back (reset cause PWRON_RESET). The returned
        event is set once it has happened; `torn_writes` then tells which file and how many bytes."""
        if keep_bytes < 0 or not path_suffix:
            raise AnkletError("a torn write needs a file name and keep_bytes >= 0")
        done = threading.Event()
        fault = {"path_suffix": path_suffix, "keep_bytes": keep_bytes}
        with self._lock:
            self._flash_fault = fault
            self._flash_fault_done = done
            if self._stdin is not None:
                self._send(frames.encode_event({"op": "flash_fault", "fault": fault}))
        return done

    def power_on(self) -> None:
        with self._lock:
            self._powered = True
            self._power.set()

    def reset(self) -> None:
        """Press the reset button (EN): a hard reset, cause HARD_RESET."""
        with self._lock:
            self._next = {"reset_cause": HARD_RESET, "wake_reason": 0, "raw_repl": False, "skip_main": False}
            self._kill()

    def write_console(self, data: bytes) -> None:
        """Bytes typed on the console (what mpremote sends); held while the board is between boots."""
        with self._lock:
            if 3 in data and self._ctrl_c_at is None:
                self._ctrl_c_at = time.monotonic()
            self._unacked += data
            if self._stdin is None:
                self._pending_input += data
                return
            self._send(frames.encode(frames.CONSOLE, data))

    def send_event(self, event: dict[str, Any]) -> None:
        """A host event for the VM (``{"op": "pin", "pin": 32, "level": 0}``, ``{"op": "adc", ...}``)."""
        self.send_events([event])

    def send_events(self, events: list[dict[str, Any]]) -> None:
        """Host events that reach the VM together: it takes them all in before running any more firmware code (a
        write and the link loss right after it are handled by the firmware's IRQ handler back to back)."""
        for event in events:
            if event.get("op") == "pin":
                self._maybe_wake(int(event["pin"]), int(event["level"]))
        with self._lock:
            if self._stdin is not None:
                self._send(b"".join(frames.encode_event(event) for event in events))

    def set_pin(self, pin: int, level: int) -> None:
        self.send_event({"op": "pin", "pin": pin, "level": level})

    def on_output(self, sink: Callable[[bytes], None]) -> None:
        self._output_sinks.append(sink)

    def on_event(self, sink: Callable[[dict[str, Any]], None]) -> None:
        self._event_sinks.append(sink)

    def transcript(self) -> bytes:
        with self._cond:
            return bytes(self._transcript)

    def wait_for_output(self, needle: bytes, timeout_s: float = 10.0, start: int = 0) -> int:
        """Wait until ``needle`` appears in the console transcript after offset ``start``; its end offset."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                at = self._transcript.find(needle, start)
                if at >= 0:
                    return at + len(needle)
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = bytes(self._transcript[-400:])
                    raise TimeoutError(f"{needle!r} not seen on the console within {timeout_s} s; last: {tail!r}")
                self._cond.wait(left)

    def transcript_length(self) -> int:
        with self._cond:
            return len(self._transcript)

    def wait_for_boots(self, count: int, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self.boots < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"board booted {self.boots} times, expected {count}")
                self._cond.wait(left)

    # ------------------------------------------------------------------------------------------------ internals
    def _send(self, frame: bytes) -> None:
        assert self._stdin is not None
        try:
            self._stdin.sendall(frame)
        except OSError:
            self._pending_input += frame[5:] if frame[:1] == frames.CONSOLE else b""

    def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()

    def _vm_config(self) -> dict[str, Any]:
        digest = hashlib.sha256(str(self.flash_dir).encode()).digest()
        return {
            "speed": self.speed,
            "flash_bytes": self.flash_bytes,
            "reset_cause": self._next["reset_cause"],
            "wake_reason": self._next["wake_reason"],
            "unique_id": [0x24, 0x0A, 0xC4, digest[0], digest[1], digest[2]],
            "board": self.spec.name,
            "mcu": self.spec.mcu,
            "hardware": self.spec.hardware,
            "poll_ms": 5,
            "budget": self.budget,
        }

    def _spawn(self) -> subprocess.Popen[bytes]:
        parent, child = socket.socketpair()
        child.setblocking(False)  # board.mjs polls its input while Python code runs
        simlib_dirs = [["", str(VMLIB_DIR)], ["/anklet_sim/chips", str(SIM_DIR / "chips")]]
        simlib_files = {
            f"/anklet_sim/{name}": (SIM_DIR / name).read_text()
            for name in _SHARED_SIM_FILES
            if (SIM_DIR / name).exists()
        }
        config = {
            "flash_dir": str(self.flash_dir),
            "heap_bytes": self.heap_bytes,
            "simlib_dirs": [d for d in simlib_dirs if Path(d[1]).is_dir()],
            "simlib_files": simlib_files,
            "raw_repl": self._next["raw_repl"],
            "skip_main": self._next["skip_main"],
            "poll_ms": 5,
            "flash_fault": self._flash_fault,
            "budget": self.budget,
            "vm": self._vm_config(),
        }
        node = shutil.which("node") or "node"
        proc = subprocess.Popen(
            [
                node,
                *(_BUDGET_NODE_FLAGS if self.budget else ()),
                str(_BOARD_MJS),
                str(runtime_path()),
                json.dumps(config),
            ],
            stdin=child.fileno(),
            stdout=subprocess.PIPE,
        )
        child.close()
        self._stdin = parent
        return proc

    def _supervise(self) -> None:
        while not self._stopping:
            if not self._powered:
                self._power.wait()
                continue
            with self._lock:
                cause = self._next["reset_cause"]
                proc = self._proc = self._spawn()
                self._wdt_deadline = None
                self._ctrl_c_at = None
                self._unacked.clear()
                self.boots += 1
                self.reset_causes.append(cause)
                self._boot_wake = self._next["wake_reason"]
                pending, self._pending_input = bytes(self._pending_input), bytearray()
                # A board that just reset keeps its pins; the VM learns the host-held levels again.
                for pin, level in self.pin_levels.items():
                    self._send(frames.encode_event({"op": "pin", "pin": pin, "level": level}))
                if pending:
                    self._send(frames.encode(frames.CONSOLE, pending))
                # The next boot, unless this one says otherwise, follows a power-on-like crash.
                self._next = {"reset_cause": HARD_RESET, "wake_reason": 0, "raw_repl": False, "skip_main": False}
            with self._cond:
                self._cond.notify_all()
            ending = self._run_boot(proc)
            with self._lock:
                if self._stdin is not None:
                    self._stdin.close()
                self._stdin = None
            for sink in list(self._event_sinks):
                sink({"ev": "off"})  # this boot is over, whatever ended it: its radio links, for one, are gone
            if ending.get("ev") == "deepsleep" and not self._stopping and self._powered:
                self._sleep(ending)

    def _run_boot(self, proc: subprocess.Popen[bytes]) -> dict[str, Any]:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        decoder = frames.Decoder()
        ending: dict[str, Any] = {}
        while True:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                data = os.read(fd, 65536)
                if not data:
                    break
                for kind, payload in decoder.feed(data):
                    if kind == frames.CONSOLE:
                        self._console_out(payload)
                    else:
                        event = json.loads(payload)
                        if event.get("ev") in ("reset", "deepsleep", "power_cut"):
                            ending = event
                        self._board_event(event)
            self._check_watchdogs(proc)
        proc.wait()
        proc.stdout.close()
        if ending.get("ev") == "reset":
            reset_kind = ending.get("kind")
            with self._lock:
                if reset_kind == "soft":
                    # A soft reset keeps the hardware, and so the reset cause, of the boot before.
                    self._next = {
                        "reset_cause": self.reset_causes[-1],
                        "wake_reason": self._boot_wake,
                        "raw_repl": bool(ending.get("raw")),
                        "skip_main": False,
                    }
                elif reset_kind == "hard":
                    # machine.reset() is a software CPU reset: the ESP32 port reports it as SOFT_RESET.
                    self._next = {"reset_cause": SOFT_RESET, "wake_reason": 0, "raw_repl": False, "skip_main": False}
        elif ending.get("ev") == "power_cut":
            with self._lock:
                self._next = {"reset_cause": PWRON_RESET, "wake_reason": 0, "raw_repl": False, "skip_main": False}
        return ending

    def _check_watchdogs(self, proc: subprocess.Popen[bytes]) -> None:
        now = time.monotonic()
        with self._lock:
            if self._wdt_deadline is not None and now > self._wdt_deadline:
                self._wdt_deadline = None
                self._next = {"reset_cause": WDT_RESET, "wake_reason": 0, "raw_repl": False, "skip_main": False}
                self._kill()
            elif self._ctrl_c_at is not None and now - self._ctrl_c_at > CTRL_C_GRACE_S and proc.poll() is None:
                # Stuck in a loop that never reads the UART: restart without main.py and hand the REPL what was
                # typed after the Ctrl-C, which is what a user (or mpremote) wanted from that Ctrl-C.
                after = self._unacked[self._unacked.rfind(3) + 1 :]
                self._pending_input = bytearray(after)
                self._ctrl_c_at = None
                self._next = {"reset_cause": HARD_RESET, "wake_reason": 0, "raw_repl": False, "skip_main": True}
                self._kill()

    def _board_event(self, event: dict[str, Any]) -> None:
        kind = event.get("ev")
        with self._lock:
            if kind == "rx":
                self._unacked.clear()
                self._ctrl_c_at = None
                return
            if kind == "wdt":
                # Board time runs `speed` times faster than the wall clock, but a host busy elsewhere must not pass for
                # stuck firmware: sped up, the deadline keeps at least WDT_MIN_WALL_S (or the timeout) of wall time.
                timeout_s = float(event["timeout_ms"]) / 1000
                self._wdt_timeout_s = max(timeout_s / self.speed, min(timeout_s, WDT_MIN_WALL_S))
                self._wdt_deadline = time.monotonic() + self._wdt_timeout_s
            elif kind == "feed" and self._wdt_deadline is not None:
                self._wdt_deadline = time.monotonic() + self._wdt_timeout_s
                return
            elif kind == "wake_pins":
                self._wake_pins = event
            elif kind == "power_cut":
                self._flash_fault = None
                self.torn_writes.append(event)
                done, self._flash_fault_done = self._flash_fault_done, None
                if done is not None:
                    done.set()
        if kind != "ble":  # radio traffic is the BLE bridge's to follow; kept here it would grow without bound
            self.events.append(event)
        for sink in list(self._event_sinks):
            sink(event)

    def _console_out(self, data: bytes) -> None:
        with self._cond:
            self._transcript += data
            if len(self._transcript) > TRANSCRIPT_BYTES:
                del self._transcript[: len(self._transcript) - TRANSCRIPT_BYTES]
            self._cond.notify_all()
        for sink in list(self._output_sinks):
            sink(data)

    def wake_after(self, board_s: float, pin: int, level: int) -> None:
        """What the world will do while the board sleeps: drive ``pin`` to ``level`` ``board_s`` seconds of board time
        from now (a sensor's motion interrupt when the walker moves again). Call it from an event sink when the
        board announces deep sleep (``{"ev": "deepsleep"}``); the sleep that follows honours it, once."""
        with self._lock:
            self._world_wake = (board_s, pin, level)

    def _sleep(self, ending: dict[str, Any]) -> None:
        sleep_ms = int(ending.get("ms") or 0)
        self._wake.clear()
        timeout = sleep_ms / 1000 / self.speed if sleep_ms > 0 else None
        with self._lock:
            world, self._world_wake = self._world_wake, None
        if world is not None and (timeout is None or world[0] / self.speed < timeout):
            woke_by_pin = self._wake.wait(world[0] / self.speed)
            if not woke_by_pin:
                self._maybe_wake(world[1], world[2])  # no wake if the firmware did not arm that pin and level
                woke_by_pin = self._wake.wait(timeout)
        else:
            woke_by_pin = self._wake.wait(timeout)
        with self._lock:
            reason = self._wake_reason if woke_by_pin else TIMER_WAKE
            self._next = {"reset_cause": DEEPSLEEP_RESET, "wake_reason": reason, "raw_repl": False, "skip_main": False}

    _wake_reason = EXT0_WAKE

    def _maybe_wake(self, pin: int, level: int) -> None:
        self.pin_levels[pin] = level
        ext0 = self._wake_pins.get("ext0")
        ext1 = self._wake_pins.get("ext1")
        if ext0 and ext0[0] == pin and ext0[1] == level:
            self._wake_reason = EXT0_WAKE
            self._wake.set()
        elif ext1 and pin in ext1[0] and ext1[1] == level:
            self._wake_reason = EXT1_WAKE
            self._wake.set()


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Poll ``predicate`` until true or ``timeout_s`` passes (helpers for tests and the CLI)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
