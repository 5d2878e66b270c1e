"""The virtual anklet without pacing (`anklet sim --no-pace`): the sensor's clock runs on whatever the firmware does,
so a firmware too slow for its rate shows as FIFO overflow (the chip models drop samples as the chips do). The walk
must come through whole: no sample dropped, the same counts as the lossless chip path under CPython."""

from __future__ import annotations

from pathlib import Path

import pytest

from anklet_host.sim.walkfeed import install_walk, walk_from_trace
from anklet_host.synth import WalkSpec, generate_walk, parse_walk_shorthand
from tests.sim_walk_helpers import fresh_flash, play_in_sim, replay_on_host, spec_for, stage_firmware, walk_json

# The tightest board: a 32-sample FIFO (LIS3DH), the shoe model. At 4x real time the VM must keep 400 samples/s.
BOARD = "xiao-esp32c3-lis3dh"
SPEED = 4


@pytest.mark.micropython
def test_an_unpaced_walk_loses_no_sample_and_counts_as_the_lossless_chip_path(tmp_path: Path) -> None:
    board, staged = stage_firmware(BOARD, tmp_path.parent / f"staged-{BOARD}")
    trace = generate_walk(
        WalkSpec(segments=parse_walk_shorthand("forward:20s,backward:20s@0.3m/s,stand:2s"), placement="shoe", seed=4)
    )
    walk = walk_from_trace(trace, board.axes_for(False))
    flash = fresh_flash(staged, tmp_path / "flash")
    install_walk(flash, walk, pace=False)
    assert walk_json(flash)["pace"] is False
    run = play_in_sim(flash, spec_for(board), speed=SPEED, timeout_s=60)
    finished = next(e for e in run.walk_events if e["finished"])
    assert finished["dropped"] == 0
    assert finished["lag_ms"] == 0  # unpaced: the chip's clock was never held back
    assert finished["produced"] >= len(walk)
    expected, _ = replay_on_host(walk, board)
    assert expected.contacts > 20
    assert run.counts == expected
