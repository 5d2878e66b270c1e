"""`anklet deploy`: compile for the target, copy with the real mpremote, board file on the device, reset, boot line;
end to end against the virtual anklet, and the native code it would put on real ESP32 boards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from anklet.board import load
from anklet_host.boardfile import compact
from anklet_host.cli import main
from anklet_host.deploy import Device, deploy, load_board, reset_and_read_boot, stage
from anklet_host.errors import AnkletError, InputError
from anklet_host.paths import BOARDS_DIR, FIRMWARE_DIR
from anklet_host.sim.board import BoardSpec
from tests.sim_console_helpers import mpremote, running_board

BOARD = "esp32-devkitc-gy521"
# mpy v6 header byte 2 holds the native architecture in bits 2-7 (py/persistentcode.h): 0 bytecode only.
ARCH_XTENSAWIN = 10
ARCH_RV32IMC = 11


def _arch(mpy: Path) -> int:
    return mpy.read_bytes()[2] >> 2


@pytest.mark.micropython
def test_deploy_to_the_virtual_anklet_end_to_end(tmp_path: Path) -> None:
    spec = BoardSpec.from_board_file(json.loads((BOARDS_DIR / f"{BOARD}.json").read_text()))
    flash = tmp_path / "flash"
    lines: list[str] = []
    with running_board(flash, spec) as sim:
        assert sim.pty_path is not None
        result = deploy(BOARD, sim.pty_path, build_dir=tmp_path / "build", log=lines.append)
        assert result.device.is_sim
        assert result.native_files == ()  # the WebAssembly port refuses native .mpy
        assert result.boot_line.startswith("anklet ")
        assert f"board={BOARD}" in result.boot_line
        assert "chip=mpu6050" in result.boot_line
        assert lines[-1] == result.boot_line
        # What is on the flash: the package as bytecode, main.py as source, the checked board file as /board.json in
        # the compact form the firmware reads.
        assert (flash / "board.json").read_text() == compact(load_board(BOARD))
        assert (flash / "main.py").read_text() == (FIRMWARE_DIR / "main.py").read_text()
        assert (flash / "anklet" / "__init__.mpy").read_bytes()[:2] == b"M\x06"
        assert not list(flash.rglob("*.py.~sim"))
        assert {p.relative_to(flash).with_suffix("").as_posix() for p in flash.rglob("*.mpy")} == {
            p.relative_to(FIRMWARE_DIR).with_suffix("").as_posix()
            for p in FIRMWARE_DIR.rglob("*.py")
            if p.relative_to(FIRMWARE_DIR).as_posix() not in ("main.py", "boot.py") and "__pycache__" not in p.parts
        }
        # The board's MicroPython imports the deployed package and reads the board file it was given.
        out = mpremote(sim.pty_path, "exec", "import anklet.board as b; print(b.load('/board.json').name)")
        assert out.strip() == BOARD
        # A second deploy replaces the first: files the new tree lacks go (a stale detector.py would shadow the new
        # detector.mpy), unchanged files are skipped by mpremote, so it is quicker than the first.
        mpremote(sim.pty_path, "fs", "cp", str(FIRMWARE_DIR / "anklet" / "compat.py"), ":anklet/detector.py")
        again = deploy(BOARD, sim.pty_path, build_dir=tmp_path / "build", log=lines.append)
        assert not (flash / "anklet" / "detector.py").exists()
        assert (flash / "anklet" / "detector.mpy").is_file()
        assert again.boot_line.startswith("anklet ")
        # A full board file copied by hand is refused at boot with one line that says what to do.
        mpremote(sim.pty_path, "fs", "cp", str(BOARDS_DIR / f"{BOARD}.json"), ":board.json")
        with pytest.raises(AnkletError) as info:
            reset_and_read_boot(sim.pty_path)
        assert str(info.value).startswith("the firmware stopped at boot: anklet: cannot load /board.json: a full board")
        assert "`anklet deploy" in str(info.value)


@pytest.mark.micropython
def test_deploy_shows_the_error_the_firmware_stops_with(tmp_path: Path) -> None:
    # A two-file firmware keeps the copy short; the error path is what is tested.
    firmware = tmp_path / "firmware"
    (firmware / "anklet").mkdir(parents=True)
    shutil.copyfile(FIRMWARE_DIR / "anklet" / "__init__.py", firmware / "anklet" / "__init__.py")
    (firmware / "main.py").write_text(
        "import anklet\nraise RuntimeError('sensor: expected an MPU6050 at 0x68, WHO_AM_I read 0x33')\n"
    )
    with running_board(tmp_path / "flash") as sim:
        assert sim.pty_path is not None
        with pytest.raises(AnkletError, match=r"stopped at boot: RuntimeError: sensor: expected an MPU6050"):
            deploy(BOARD, sim.pty_path, build_dir=tmp_path / "build", firmware_dir=firmware, log=lambda _: None)


def test_unknown_board_and_unreachable_port_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "--board", "no-such-board", "--port", "/dev/null"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown board 'no-such-board'" in err
    assert BOARD in err
    assert main(["deploy", "--board", BOARD, "--port", "/dev/ttyNO-SUCH-PORT"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("anklet: cannot open the serial port /dev/ttyNO-SUCH-PORT")
    with pytest.raises(InputError):
        load_board("../boards/" + BOARD)


@pytest.mark.parametrize(
    ("board_name", "machine", "arch"),
    [
        ("esp32-devkitc-gy521", "Generic ESP32 module with ESP32", ARCH_XTENSAWIN),
        ("xiao-esp32c3-lis3dh", "ESP32C3 module with ESP32C3", ARCH_RV32IMC),
    ],
)
def test_real_boards_get_native_hot_modules_for_their_chip(
    board_name: str, machine: str, arch: int, tmp_path: Path
) -> None:
    result = stage(load_board(board_name), Device("esp32", machine), tmp_path / "out")
    assert result.native_files == ("anklet/app/sampler.py",)
    assert _arch(tmp_path / "out" / "anklet" / "app" / "sampler.mpy") == arch
    # Everything else is bytecode (native code costs 3-4x its bytecode in system heap), main.py stays source.
    assert _arch(tmp_path / "out" / "anklet" / "detector.mpy") == 0
    assert _arch(tmp_path / "out" / "anklet" / "packets.mpy") == 0
    assert (tmp_path / "out" / "main.py").is_file()
    assert load(str(tmp_path / "out" / "board.json")).name == board_name


def test_the_virtual_anklet_gets_bytecode_only(tmp_path: Path) -> None:
    result = stage(load_board(BOARD), Device("webassembly", "JS with Emscripten"), tmp_path / "out")
    assert result.native_files == ()
    assert all(_arch(p) == 0 for p in (tmp_path / "out").rglob("*.mpy"))


@pytest.mark.micropython
def test_a_board_file_naming_the_wrong_chip_stops_the_real_firmware_with_one_clear_line(tmp_path: Path) -> None:
    # The board file says MPU6050; the simulated board carries an LIS3DH at 0x18 instead (nothing at 0x68).
    spec = BoardSpec.from_board_file(json.loads((BOARDS_DIR / f"{BOARD}.json").read_text()), chip="lis3dh")
    with running_board(tmp_path / "flash", spec) as sim:
        assert sim.pty_path is not None
        with pytest.raises(AnkletError, match=r"stopped at boot: .*MPU6050") as info:
            deploy(BOARD, sim.pty_path, build_dir=tmp_path / "build", log=lambda _: None)
        console = sim.board.transcript().decode(errors="replace")
    assert "\n" not in str(info.value)
    last_boot = console.rsplit("MicroPython v", 1)[-1]  # mpremote's own file probing earlier prints tracebacks
    [line] = [ln for ln in last_boot.splitlines() if ln.startswith("anklet: ")]
    assert "MPU6050" in line
    assert "0x68" in line
    assert "Traceback" not in last_boot
