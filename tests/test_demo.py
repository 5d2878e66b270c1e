"""The main job end to end on the virtual anklet: deploy with mpremote, a walk on the chip, BLE live counters, sync
into SQLite, the report and chart, and `anklet analyze` on the same trace; device, store and analyze must agree.

`make demo` runs the 10-minute bundled walk; the suite runs the same pipeline on a shorter walk."""

from __future__ import annotations

from pathlib import Path

import pytest

from anklet_host.demo import run_demo
from anklet_host.synth import Segment, WalkSpec
from tests.conftest import off_main_thread

pytestmark = [pytest.mark.micropython, pytest.mark.slow]


def test_deploy_walk_sync_report_agree_end_to_end(tmp_path: Path) -> None:
    spec = WalkSpec(
        placement="ankle",
        seed=5,
        segments=[
            Segment(kind="walk", direction="forward", duration_s=40.0),
            Segment(kind="walk", direction="backward", duration_s=60.0, speed_m_s=0.3),
            Segment(kind="stand", duration_s=10.0),
            Segment(kind="walk", direction="forward", duration_s=30.0),
            Segment(kind="stand", duration_s=10.0),
        ],
    )
    lines: list[str] = []
    summary = off_main_thread(lambda: run_demo(tmp_path / "demo", lines.append, spec=spec))
    assert summary["agree"], summary
    assert summary["samples_dropped"] == 0
    device, labels = summary["device"], summary["labels"]
    assert isinstance(device, dict)
    assert isinstance(labels, dict)
    # The detector against the walk's own labels: a contact or two may be missed at a start or a stop.
    assert labels["contacts"] - 3 <= device["contacts"] <= labels["contacts"]
    assert abs(device["backward"] - labels["backward"]) <= 2
    assert any(line.strip().startswith("anklet 0.1.0 board=esp32-devkitc-gy521") for line in lines)
    chart = Path(str(summary["chart"]))
    assert "<svg" in chart.read_text()
