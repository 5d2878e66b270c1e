"""Put the firmware on a board: compile with mpy-cross, copy with mpremote, write the board file, reset, show the
boot line.

The target decides the code: an ESP32 gets bytecode for the package and native machine code for the hot module
(the sampler's per-sample loop, `HOT_MODULES`) for its architecture (xtensawin for ESP32/ESP32-S3, rv32imc for
ESP32-C3); the virtual anklet, whose WebAssembly MicroPython refuses native ``.mpy`` files, gets bytecode only.
Which one is on the port is asked, not assumed: ``sys.platform`` is ``"webassembly"`` on the virtual anklet and
``"esp32"`` on a board, and ``sys.implementation._machine`` names the chip, so a board file for the wrong chip family
is refused before copying.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import serial

from anklet_host.boardfile import Board, load, write_compact
from anklet_host.errors import AnkletError, InputError
from anklet_host.firmware_build import ARCH_BY_CHIP, SOURCE_ONLY, CompileError, compile_file, firmware_sources
from anklet_host.paths import BOARDS_DIR, FIRMWARE_DIR, PROJECT_ROOT

# Native code where it pays for its memory. Native machine code is 3-4x the size of the same bytecode and comes out
# of the system heap NimBLE needs (the detector alone: 31.8 KB native against 8.6 KB bytecode), while the whole
# firmware as bytecode keeps every FIFO with room at every rate (`make budget`, times from bytecode). So only the
# sampler's per-sample loop is native (3.7 KB): it runs for every sample and is small.
HOT_MODULES = ("anklet/app/sampler.py",)
SIM_PLATFORM = "webassembly"
# The firmware's boot line is "anklet <version> board=... chip=... rate=..."; what stops it is "anklet: <why>" or an
# uncaught exception's last traceback line.
BOOT_LINE = re.compile(rb"^anklet \d+\.\d+[^\r\n]*\r?\n", re.MULTILINE)
ERROR_LINE = re.compile(rb"^(anklet: [^\r\n]*|\w+(Error|Exception)\b[^\r\n]*)\r?\n", re.MULTILINE)
ERROR_GRACE_S = 1.5
_MACHINE_CHIP = {"esp32": "ESP32", "esp32s3": "ESP32S3", "esp32c3": "ESP32C3"}
_BOARD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_PROBE = "import sys; print(sys.platform); print(sys.implementation._machine)"


@dataclass(frozen=True)
class Device:
    platform: str
    machine: str

    @property
    def is_sim(self) -> bool:
        return self.platform == SIM_PLATFORM


@dataclass(frozen=True)
class DeployResult:
    board: str
    device: Device
    native_files: tuple[str, ...]
    bytecode_files: tuple[str, ...]
    boot_line: str
    seconds: float


def board_names(folder: Path = BOARDS_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.json"))


def load_board(name: str, folder: Path = BOARDS_DIR) -> Board:
    """The checked board file ``name``; an InputError naming the known boards if there is none, a BoardError (an
    InputError too) naming the field if it is wrong."""
    path = folder / f"{name}.json"
    if not _BOARD_NAME.fullmatch(name) or not path.is_file():
        known = ", ".join(board_names(folder)) or "none"
        raise InputError(f"unknown board {name!r} (known: {known}; see `anklet boards`)")
    return load(path)


def mpremote_path() -> str:
    """The mpremote installed beside this Python (the pinned one), else the one on PATH."""
    beside = Path(sys.executable).with_name("mpremote")
    if beside.is_file():
        return str(beside)
    found = shutil.which("mpremote")
    if found is None:
        raise AnkletError("mpremote is not installed; run `make setup`")
    return found


def check_port(port: str) -> None:
    """Open and close ``port``; a one-line InputError if nothing answers there."""
    try:
        link = serial.serial_for_url(port, baudrate=115200, timeout=1)
    except (serial.SerialException, OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot open the serial port {port}: {reason}") from None
    link.close()


def mpremote(port: str, *args: str, cwd: Path | None = None, timeout_s: float = 120.0) -> str:
    """Run the real mpremote against ``port``; its output, or an AnkletError with its last line."""
    try:
        proc = subprocess.run(
            [mpremote_path(), "connect", port, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise AnkletError(f"mpremote on {port} did not finish within {timeout_s:.0f} s") from None
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise AnkletError(f"mpremote on {port} failed: {lines[-1] if lines else f'status {proc.returncode}'}")
    return proc.stdout


def probe(port: str) -> Device:
    """What runs on ``port``: its sys.platform and machine description."""
    lines = [line.strip() for line in mpremote(port, "exec", _PROBE, timeout_s=30).splitlines() if line.strip()]
    if len(lines) < 2:
        raise AnkletError(f"the device on {port} did not answer like MicroPython: {lines!r}")
    return Device(platform=lines[-2], machine=lines[-1])


def _is_hot(relative: str) -> bool:
    return any(relative == hot or (hot.endswith("/") and relative.startswith(hot)) for hot in HOT_MODULES)


def stage(board: Board, device: Device, out_dir: Path, firmware_dir: Path = FIRMWARE_DIR) -> DeployResult:
    """Compile the firmware for ``device`` into ``out_dir`` (what goes on the flash, board.json included: the board
    file in the compact form the firmware reads, checked here so the board need not)."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    arch = None if device.is_sim else ARCH_BY_CHIP[board.mcu]
    native: list[str] = []
    bytecode: list[str] = []
    for source in firmware_sources(firmware_dir):
        relative = source.relative_to(firmware_dir).as_posix()
        if relative in SOURCE_ONLY:
            shutil.copyfile(source, out_dir / relative)
            continue
        target = (out_dir / relative).with_suffix(".mpy")
        if arch is not None and _is_hot(relative):
            try:
                compile_file(source, target, arch=arch, native=True)
                native.append(relative)
                continue
            except CompileError:
                pass  # the native emitter cannot take every construct; bytecode still runs, only slower
        compile_file(source, target, arch=arch)
        bytecode.append(relative)
    write_compact(board, out_dir / "board.json")
    return DeployResult(board.name, device, tuple(native), tuple(bytecode), "", 0.0)


# Removes what the previous firmware had and this one has not (a stale .py would shadow the new .mpy of the same
# module); unchanged files stay, and mpremote's cp then skips them (it compares SHA-256 on the device).
_CLEAN = """
import os
_keep = set(%r)
def _prune(p):
    try:
        st = os.stat(p)
    except OSError:
        return
    if st[0] & 0x4000:
        for e in os.listdir(p):
            _prune(p + '/' + e)
        if not os.listdir(p) and p not in _keep:
            os.rmdir(p)
    elif p not in _keep:
        os.remove(p)
_prune('/anklet')
"""


def copy(port: str, staged: Path) -> None:
    """Copy the staged tree onto the board's flash in one mpremote session."""
    top = sorted(p.name for p in staged.iterdir())
    files = [name for name in top if (staged / name).is_file()]
    dirs = [name for name in top if (staged / name).is_dir()]
    keep = sorted("/" + p.relative_to(staged).as_posix() for p in staged.rglob("*"))
    args = ["exec", _CLEAN % (keep,)]
    if dirs:
        args += ["+", "fs", "cp", "-r", *dirs, ":"]
    if files:
        args += ["+", "fs", "cp", *files, ":"]
    mpremote(port, *args, cwd=staged)


def reset_and_read_boot(port: str, timeout_s: float = 20.0) -> str:
    """Hard-reset the board from its REPL and return the firmware's boot line (or raise with the error it printed)."""
    try:
        link = serial.serial_for_url(port, baudrate=115200, timeout=0.05)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise InputError(f"cannot open the serial port {port}: {exc}") from None
    seen = bytearray()
    error_at: float | None = None
    try:
        link.write(b"\r\x03\x03\r\x02")  # stop whatever runs, friendly REPL
        time.sleep(0.2)
        link.reset_input_buffer()
        link.write(b"import machine; machine.reset()\r")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            seen += link.read(4096)
            found = BOOT_LINE.search(seen)
            if found:
                return found.group(0).decode(errors="replace").strip()
            errors = ERROR_LINE.findall(seen)
            if errors and error_at is None:
                error_at = time.monotonic()
            if errors and error_at is not None and time.monotonic() - error_at > ERROR_GRACE_S:
                # Warnings come just before the boot line; silence after one means it was the reason to stop.
                reason = errors[-1][0].decode(errors="replace").strip()
                raise AnkletError(f"the firmware stopped at boot: {reason}")
    finally:
        link.close()
    tail = seen.decode(errors="replace").strip().splitlines()[-3:]
    raise AnkletError(f"no boot line from the firmware within {timeout_s:.0f} s (last output: {' | '.join(tail)})")


def deploy(
    board_name: str,
    port: str,
    *,
    build_dir: Path = PROJECT_ROOT / "build" / "deploy",
    firmware_dir: Path = FIRMWARE_DIR,
    boards_dir: Path = BOARDS_DIR,
    log: Callable[[str], None] = print,
) -> DeployResult:
    """The whole deploy; ``log`` receives one line per step."""
    started = time.monotonic()
    board = load_board(board_name, boards_dir)
    check_port(port)
    device = probe(port)
    if device.is_sim:
        log(f"{port}: the virtual anklet ({device.machine}); bytecode only (the WebAssembly port runs no native code)")
    else:
        chip = _MACHINE_CHIP[board.mcu]
        if not re.search(rf"\b{chip}\b", device.machine):
            raise InputError(f"board {board.name} is an {board.mcu} board but {port} has: {device.machine}")
        log(f"{port}: {device.machine}; native code for {ARCH_BY_CHIP[board.mcu]}")
    staged = stage(board, device, build_dir / f"{board.name}-{device.platform}", firmware_dir)
    log(f"compiled {len(staged.native_files)} native and {len(staged.bytecode_files)} bytecode modules")
    copy(port, build_dir / f"{board.name}-{device.platform}")
    log(f"copied to {port} with board file {board.name}.json as /board.json; resetting")
    line = reset_and_read_boot(port)
    log(line)
    return DeployResult(
        board.name, device, staged.native_files, staged.bytecode_files, line, time.monotonic() - started
    )
