"""The virtual anklet's serial console driven by the real mpremote: files, exec/eval/run, resets, power cuts,
watchdog, Ctrl-C, and the simulated machine module, all on the real MicroPython (WebAssembly port)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from anklet_host.paths import BOARDS_DIR
from anklet_host.sim.board import BoardSpec
from anklet_host.sim.board.supervisor import DEEPSLEEP_RESET, HARD_RESET, PWRON_RESET, SOFT_RESET, WDT_RESET
from tests.sim_console_helpers import mpremote, running_board

pytestmark = pytest.mark.micropython


def test_mpremote_file_commands_over_the_pty_mirror_the_flash_folder(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    src = tmp_path / "src"
    (src / "pkg" / "sub").mkdir(parents=True)
    (src / "pkg" / "a.py").write_text("A = 1\n")
    (src / "pkg" / "sub" / "b.txt").write_bytes(bytes(range(256)) * 4)
    with running_board(flash) as sim:
        port = sim.pty_path
        assert port is not None
        assert mpremote(port, "fs", "ls").split() == ["ls", ":"]  # the sim's own modules are not on the flash
        mpremote(port, "fs", "mkdir", "data")
        mpremote(port, "fs", "cp", str(src / "pkg" / "a.py"), ":data/a.py")
        mpremote(port, "fs", "cp", "-r", str(src / "pkg"), ":")
        listing = mpremote(port, "fs", "ls", "data")
        assert "6 a.py" in listing
        assert mpremote(port, "fs", "cat", "data/a.py") == "A = 1\n"
        # Binary content survives the round trip through the board (device -> host copy).
        mpremote(port, "fs", "cp", ":pkg/sub/b.txt", str(tmp_path / "back.txt"))
        assert (tmp_path / "back.txt").read_bytes() == bytes(range(256)) * 4
        assert (flash / "data" / "a.py").read_text() == "A = 1\n"
        assert (flash / "pkg" / "sub" / "b.txt").read_bytes() == bytes(range(256)) * 4
        mpremote(port, "fs", "rm", "-r", "data")
        missing = mpremote(port, "fs", "cat", "data/a.py", check=False)
        assert "a.py" not in missing or "No such file" in missing
        assert not (flash / "data").exists()
        assert sorted(p.name for p in flash.iterdir()) == ["pkg"]


def test_exec_eval_run_and_errno_over_the_socket(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text("import os\nprint('ran', sum(range(10)))\nopen('made.txt', 'w').write('x')\n")
    with running_board(tmp_path / "flash", socket=True) as sim:
        port = sim.socket_url
        assert port is not None
        assert port.startswith("socket://127.0.0.1:")
        assert mpremote(port, "exec", "print('hi', 6 * 7)").split() == ["hi", "42"]
        assert mpremote(port, "eval", "[n * n for n in range(4)]").strip() == "[0, 1, 4, 9]"
        assert mpremote(port, "run", str(script)).strip() == "ran 45"
        assert (tmp_path / "flash" / "made.txt").read_text() == "x"
        # ESP32 errno numbers, not the WebAssembly port's WASI ones, both raised and in the errno module.
        out = mpremote(
            port,
            "exec",
            "import os, errno\ntry:\n os.stat('nope')\nexcept OSError as e:\n print(e.errno, errno.ENOENT)",
        )
        assert out.split() == ["2", "2"]
        out = mpremote(port, "fs", "mkdir", "made.txt", check=False)
        assert out.strip().endswith("mkdir :made.txt")


def test_soft_reset_reset_and_power_cut_keep_closed_files(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "boot.py").write_text("print('boot.py here')\n")
    (flash / "main.py").write_text("import machine\nprint('main.py cause', machine.reset_cause())\n")
    with running_board(flash) as sim:
        port = sim.pty_path
        assert port is not None
        board = sim.board
        assert b"main.py cause 1" in board.transcript()
        mark = board.transcript_length()
        mpremote(port, "soft-reset")
        board.wait_for_output(b"MPY: soft reboot\r\nboot.py here", 5, mark)
        mpremote(port, "reset")
        board.wait_for_output(b"main.py cause %d" % SOFT_RESET, 10, mark)
        assert mpremote(port, "exec", "import machine; print(machine.reset_cause())").strip() == str(SOFT_RESET)
        # MicroPython closes a file only when told (no reference counting): `with` commits it, a bare open() does not.
        mpremote(
            port,
            "exec",
            "with open('kept.txt', 'w') as f:\n f.write('kept')\ng = open('lost.txt', 'w')\ng.write('lost')",
        )
        mark = board.transcript_length()
        board.power_cut()
        board.power_on()
        board.wait_for_output(b"main.py cause %d" % PWRON_RESET, 10, mark)
        assert (flash / "kept.txt").read_text() == "kept"
        assert not (flash / "lost.txt").exists()  # never closed or flushed: gone with the power, as on LittleFS
        assert board.reset_causes[0] == PWRON_RESET
        assert SOFT_RESET in board.reset_causes
        assert board.reset_causes[-1] == PWRON_RESET
        board.reset()
        board.wait_for_output(b"main.py cause %d" % HARD_RESET, 10, mark)


def test_watchdog_resets_a_stuck_loop_and_ctrl_c_recovers_one_without(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    flash.mkdir()
    # First boot starves the watchdog in a loop that never yields; the board comes back with WDT_RESET.
    (flash / "main.py").write_text(
        "import machine\n"
        "print('cause', machine.reset_cause())\n"
        "if machine.reset_cause() != machine.WDT_RESET:\n"
        "    wdt = machine.WDT(timeout=300)\n"
        "    while True:\n"
        "        pass\n"
    )
    with running_board(flash) as sim:
        board = sim.board
        board.wait_for_output(b"cause %d" % WDT_RESET, 10)
        assert board.reset_causes[:2] == [PWRON_RESET, WDT_RESET]
        # Now a stuck loop with no watchdog: mpremote's Ctrl-C cannot reach it, the supervisor restarts the board
        # without main.py and hands the REPL the rest, so mpremote still gets in.
        (flash / "main.py").write_text("while True:\n    pass\n")
        board.reset()
        board.wait_for_boots(3)
        port = sim.pty_path
        assert port is not None
        assert mpremote(port, "exec", "print('in')").strip() == "in"
        # reset (stuck again), the restart without main.py, then mpremote's own soft reset into the raw REPL.
        assert board.boots == 5
        assert board.reset_causes == [PWRON_RESET, WDT_RESET, HARD_RESET, HARD_RESET, HARD_RESET]


def test_asyncio_run_blocks_main_and_ctrl_c_interrupts_it(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "main.py").write_text(
        "import asyncio, machine\n"
        "flag = asyncio.ThreadSafeFlag()\n"
        "button = machine.Pin(32, machine.Pin.IN, machine.Pin.PULL_UP)\n"
        "button.irq(lambda p: flag.set(), trigger=machine.Pin.IRQ_FALLING)\n"
        "async def presses():\n"
        "    n = 0\n"
        "    while True:\n"
        "        await flag.wait()\n"
        "        n += 1\n"
        "        print('press', n, button.value())\n"
        "async def main():\n"
        "    asyncio.create_task(presses())\n"
        "    while True:\n"
        "        await asyncio.sleep_ms(50)\n"
        "print('app ready')\n"
        "try:\n"
        "    asyncio.run(main())\n"
        "finally:\n"
        "    print('main ended')\n"
    )
    with running_board(flash, ready=b"app ready") as sim:
        board = sim.board
        time.sleep(0.2)
        assert b"main ended" not in board.transcript()  # asyncio.run blocks, as on the board
        board.set_pin(32, 0)
        board.wait_for_output(b"press 1 0", 5)
        board.set_pin(32, 1)
        board.set_pin(32, 0)
        board.wait_for_output(b"press 2 0", 5)
        port = sim.pty_path
        assert port is not None
        assert mpremote(port, "exec", "print('after')").strip() == "after"
        text = board.transcript()
        assert b"KeyboardInterrupt" in text
        assert b"main ended" in text
        # The Ctrl-C interrupted main.py (no forced restart, which would be a HARD_RESET); mpremote then soft-reset.
        assert board.reset_causes == [PWRON_RESET, PWRON_RESET]


def test_machine_timer_adc_deepsleep_and_i2c_chip(tmp_path: Path) -> None:
    import json

    data = json.loads((BOARDS_DIR / "huzzah32-lsm6dsox.json").read_text())
    spec = BoardSpec.from_board_file(data, battery_mv=4000)
    with running_board(tmp_path / "flash", spec) as sim:
        port = sim.pty_path
        assert port is not None
        out = mpremote(
            port,
            "exec",
            "import machine, time\n"
            "ticks = []\n"
            "t = machine.Timer(0, period=20, mode=machine.Timer.PERIODIC, callback=lambda t: ticks.append(1))\n"
            "time.sleep_ms(210)\n"
            "t.deinit()\n"
            "print(len(ticks))\n"
            "print(machine.ADC(machine.Pin(35)).read_uv())\n"
            "i2c = machine.I2C(0, scl=machine.Pin(22), sda=machine.Pin(23))\n"
            "print(i2c.scan(), i2c.readfrom_mem(0x6A, 0x0F, 1)[0])\n"
            "print(len(machine.unique_id()), machine.freq())\n",
        )
        timer_ticks, battery_uv, scan_and_id, ids = out.strip().splitlines()
        assert 8 <= int(timer_ticks) <= 11
        assert int(battery_uv) == 2_000_000  # 4.0 V through the Feather's 2:1 divider
        assert scan_and_id == "[106] 108"  # LSM6DSOX at 0x6A, WHO_AM_I 0x6C
        assert ids == "6 160000000"
        board = sim.board
        mark = board.transcript_length()
        mpremote(port, "exec", "--no-follow", "import machine; machine.deepsleep(100)")
        board.wait_for_boots(2)
        board.wait_for_output(b">>> ", 10, mark)
        out = mpremote(port, "exec", "import machine; print(machine.reset_cause(), machine.wake_reason())")
        assert out.split() == [str(DEEPSLEEP_RESET), "4"]  # TIMER_WAKE
        mpremote(
            port,
            "exec",
            "--no-follow",
            "import esp32, machine\nesp32.wake_on_ext0(machine.Pin(32), 0)\nmachine.deepsleep()",
        )
        time.sleep(0.5)
        asleep = board.boots
        time.sleep(0.5)
        assert board.boots == asleep  # no timer: asleep until the button
        board.set_pin(32, 0)
        board.wait_for_boots(asleep + 1)
        out = mpremote(port, "exec", "import machine; print(machine.reset_cause(), machine.wake_reason())")
        assert out.split() == [str(DEEPSLEEP_RESET), "2"]  # EXT0_WAKE


def test_virtual_clock_runs_faster_and_overrides_time(tmp_path: Path) -> None:
    with running_board(tmp_path / "flash", speed=20) as sim:
        port = sim.pty_path
        assert port is not None
        out = mpremote(
            port,
            "exec",
            "import time, utime, asyncio\n"
            "t0, r0 = time.ticks_ms(), utime.ticks_ms()\n"
            "time.sleep_ms(2000)\n"
            "async def nap():\n"
            "    await asyncio.sleep_ms(2000)\n"
            "asyncio.run(nap())\n"
            "print(time.ticks_diff(time.ticks_ms(), t0), utime.ticks_diff(utime.ticks_ms(), r0), time.__file__)\n",
        )
        board_ms, real_ms, source = out.split()
        assert int(board_ms) >= 4000
        assert int(real_ms) * 4 < int(board_ms)  # nominally 20x; 4x leaves room for a loaded machine
        assert source == "/_sim/time.py"


@pytest.mark.parametrize(("mcu", "top_mhz"), [("esp32", 240), ("esp32c3", 160)])
def test_machine_freq_takes_what_the_chips_port_takes(tmp_path: Path, mcu: str, top_mhz: int) -> None:
    # ports/esp32/modmachine.c: 20, 40, 80, 160 MHz, and 240 MHz except on RISC-V (the ESP32-C3); else ValueError.
    code = (
        "import machine\n"
        "for mhz in (80, 160, 240, 100):\n"
        "    try:\n"
        "        machine.freq(mhz * 1000000)\n"
        "        print(mhz, machine.freq())\n"
        "    except ValueError as exc:\n"
        "        print(mhz, 'ValueError', exc)\n"
    )
    with running_board(tmp_path / "flash", BoardSpec(name="b", mcu=mcu)) as sim:
        port = sim.pty_path
        assert port is not None
        lines = mpremote(port, "exec", code).splitlines()
    assert lines[0:2] == ["80 80000000", "160 160000000"]
    if top_mhz == 240:
        assert lines[2] == "240 240000000"
    else:
        assert lines[2] == "240 ValueError frequency must be 20MHz, 40MHz, 80Mhz or 160MHz"
    assert lines[3].startswith("100 ValueError frequency must be")
