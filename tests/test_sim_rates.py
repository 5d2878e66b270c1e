"""The sample rates a board's chip runs (`anklet.app.settings.rates_for`, the one list), on the virtual anklet: a
settings file naming another rate boots at the default rate and says so in one console line (the MPU-6050's 400 Hz,
which it could only run as 500 Hz, once failed the detector at every boot: issue #14), and `anklet settings` refuses
such a rate in one line, from the board file the anklet's model number names, or, for a board of its own, when the
anklet keeps its rate."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from anklet_host.boardfile import loads, write_compact
from anklet_host.cli import main as cli_main
from anklet_host.deploy import load_board
from anklet_host.paths import FIRMWARE_DIR
from anklet_host.sim.board import BoardSpec, SimBoard
from anklet_host.sim.board.ble_bridge import BleBridge
from tests.conftest import off_main_thread
from tests.sim_ble_helpers import BOOT_LINE

pytestmark = pytest.mark.micropython

GY521 = "esp32-devkitc-gy521"  # MPU-6050: 25, 50, 100 and 200 Hz


@contextmanager
def virtual_anklet(
    flash: Path, board_name: str, settings: dict[str, object], rename: str = ""
) -> Iterator[tuple[SimBoard, BleBridge]]:
    """The firmware (source) on a virtual ``board_name`` with ``settings.json``; its board file renamed to ``rename``
    (a board of the user's own, which the laptop has no file for) if given."""
    board = load_board(board_name)
    if rename:
        data = board.to_dict()
        data["name"] = rename
        board = loads(json.dumps(data), rename)
    shutil.copytree(FIRMWARE_DIR, flash, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    write_compact(board, flash / "board.json")
    (flash / "settings.json").write_text(json.dumps(settings))
    sim = SimBoard(flash, BoardSpec.from_board_file(board.to_dict()), speed=1)
    with BleBridge(sim, port=0) as bridge:
        sim.start()
        try:
            sim.wait_for_output(BOOT_LINE, 20)
            yield sim, bridge
        finally:
            console = sim.transcript().decode(errors="replace")
            sim.stop()
            bridge.console = console  # type: ignore[attr-defined]


def console_lines(bridge: BleBridge) -> list[str]:
    return [line.strip() for line in bridge.console.splitlines()]  # type: ignore[attr-defined]


def test_a_rate_the_chip_does_not_run_boots_at_the_default_and_the_laptop_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with virtual_anklet(tmp_path / "flash", GY521, {"rate_hz": 400, "goal_min": 20}) as (sim, bridge):

        def anklet(*argv: str) -> int:
            capsys.readouterr()
            return off_main_thread(cli_main, [*argv, "--via", bridge.via], timeout_s=60)

        assert anklet("status") == 0
        assert capsys.readouterr().out.splitlines()[4] == (
            "settings 100 Hz, right leg, goal 20 min/day, sessions start when walking starts"
        )
        # The laptop knows the board file the anklet's model number names: one line, nothing written.
        assert anklet("settings", "--rate-hz", "400") == 2
        assert capsys.readouterr().err == (
            "anklet: --rate-hz 400: this anklet (esp32-devkitc-gy521, mpu6050) runs at 25, 50, 100, 200 Hz\n"
        )
        mark = sim.transcript_length()
        assert anklet("settings", "--rate-hz", "200") == 0  # one it runs: the anklet restarts at 200 Hz
        sim.wait_for_output(BOOT_LINE, 20, start=mark)
    lines = console_lines(bridge)
    ignored = "anklet: ignoring bad setting rate_hz=400: the mpu6050 runs at 25, 50, 100, 200 Hz (using 100 Hz)"
    assert f"{ignored} in /settings.json" in lines
    boots = [line for line in lines if line.startswith("anklet 0.1.0 board=")]
    assert [b.split(" rate=")[1].split()[0] for b in boots] == ["100Hz", "200Hz"]
    assert json.loads((tmp_path / "flash" / "settings.json").read_text())["rate_hz"] == 200


def test_a_board_of_its_own_keeps_its_rate_and_the_laptop_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with virtual_anklet(tmp_path / "flash", GY521, {}, rename="my-gy521") as (_sim, bridge):
        capsys.readouterr()
        assert off_main_thread(cli_main, ["settings", "--rate-hz", "400", "--via", bridge.via], timeout_s=60) == 1
        out, err = capsys.readouterr()
        assert out == "100 Hz, right leg, goal 10 min/day, sessions start when walking starts\n"
        assert err == "anklet: the anklet kept its sample rate of 100 Hz: its sensor does not run 400 Hz\n"
    assert not any("Traceback" in line for line in console_lines(bridge))
