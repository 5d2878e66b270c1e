"""`anklet record` against the virtual anklet: the real firmware's raw stream, over the simulated radio and bleak, is
the walk its accelerometer felt, in the body frame and in m/s², sample for sample (no sample lost or repeated)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from anklet_host.cli import main as cli_main
from anklet_host.deploy import load_board
from anklet_host.paths import FIRMWARE_DIR
from anklet_host.sim.board import SimBoard
from anklet_host.sim.board.ble_bridge import BleBridge
from anklet_host.sim.walkfeed import WalkResume, install_walk, walk_from_trace
from anklet_host.synth import WalkSpec, generate_walk, parse_walk_shorthand
from anklet_host.trace import read_trace
from tests.conftest import off_main_thread
from tests.sim_ble_helpers import BOARD, BOOT_LINE, install_firmware

pytestmark = pytest.mark.micropython

STANDARD_GRAVITY_MS2 = 9.80665
RANGE_G = 16  # the firmware's default range (anklet.app.settings)


def test_record_against_the_virtual_anklet_writes_the_walk_it_felt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = load_board(BOARD)
    trace = generate_walk(
        WalkSpec(segments=parse_walk_shorthand("forward:30s,backward:30s@0.4m/s,stand:5s"), placement="ankle", seed=4)
    )
    flash = tmp_path / "flash"
    spec = install_firmware(flash)
    shutil.copyfile(FIRMWARE_DIR / "main.py", flash / "main.py")
    walk = walk_from_trace(trace, board.axes)
    install_walk(flash, walk)
    sim = SimBoard(flash, spec, speed=8)
    WalkResume(sim, flash, walk)
    out = tmp_path / "recorded.csv"
    with BleBridge(sim, port=0) as bridge:
        sim.start()
        try:
            sim.wait_for_output(BOOT_LINE, 20)
            argv = ["record", str(out), "--label", "test walk", "--duration", "3", "--via", bridge.via]
            assert off_main_thread(cli_main, argv, timeout_s=60) == 0
        finally:
            sim.stop()
        assert bridge.errors == []
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1
    assert printed[0].startswith(f"wrote {out}: ")
    assert "lost" not in printed[0]

    recorded = read_trace(out)
    assert recorded.rate_hz() == pytest.approx(100.0)
    assert set(recorded.labels["activity"]) == {"test walk"}
    assert np.allclose(np.diff(recorded.t_s), 0.01)  # every sample once, in order
    # 3 s of wall time at 8x is about 24 s of the walk (less the connection set-up).
    assert 1000 <= len(recorded) <= 2600
    # Where in the walk the recording began: the offset at which the recorded z matches the walk's best.
    limit_ms2 = RANGE_G * STANDARD_GRAVITY_MS2
    felt = np.clip(trace.accel_ms2, -limit_ms2, limit_ms2)
    head = recorded.accel_ms2[:300, 2]
    errors = [np.abs(felt[k : k + 300, 2] - head).max() for k in range(len(felt) - len(recorded))]
    start = int(np.argmin(errors))
    expected = felt[start : start + len(recorded)]
    # Sample for sample, within the chip's resolution (1/2048 g), the walk file's (1 mg) and the scale the firmware
    # sends (whole micro-g per count: 0.06% off 1/2048 g).
    assert np.abs(recorded.accel_ms2 - expected).max() <= 0.02 + 0.001 * np.abs(expected).max()
    assert start > 0  # the recording started part way through the walk, after the anklet was found and connected
