"""`make budget`'s memory figures: budget mode measures live memory (garbage collected between steps), the run goes
through boot, a streamed walk and a full sync without losing a sample or a record, and native code is counted as deploy
compiles it for the board's chip."""

from __future__ import annotations

from pathlib import Path

import pytest

from anklet_host.budget.__main__ import NATIVE_LIMIT_BYTES, native_bytes
from anklet_host.budget.memory import FULL_LOG_RECORDS, measure
from anklet_host.firmware_build import compile_file
from anklet_host.paths import FIRMWARE_DIR

pytestmark = [pytest.mark.micropython, pytest.mark.slow]


def test_a_budget_run_measures_the_live_heap_through_every_phase() -> None:
    run = measure("esp32-devkitc-gy521")
    assert [p.name for p in run.phases] == [
        "boot, services registered",
        "connected",
        "walk, live and raw streams",
        "sync of a full log",
    ]
    # The whole log came over (the firmware's log holds a little less than it was offered: it evicts when full).
    assert FULL_LOG_RECORDS * 0.95 < run.records_synced <= FULL_LOG_RECORDS
    assert run.samples_dropped == 0
    # Live memory, not garbage: a sync of ~10,000 records and minutes of streaming leave the live heap where it was
    # (a collection follows every step), and the simulated hardware's own modules are left out.
    boot = run.phases[0]
    sync = run.phases[-1]
    assert abs(sync.live_bytes - boot.live_bytes) < 8 * 1024
    assert run.sim_baseline_bytes > 40 * 1024
    assert 30 * 1024 < run.heap_after_boot_bytes < 200 * 1024
    assert run.heap_peak_bytes >= run.heap_after_boot_bytes
    # The hold-off: every task of the app has its figure once the sensor runs (the sampler's for its work beside its
    # drains), none of them the boot's, and they add up.
    tasks = run.hold_off_tasks_ms
    for task in ("sampler_task", "live_task", "button_task", "watchdog_task", "run", "run 2", "scheduler"):
        assert task in tasks, tasks
    assert "boot" not in tasks
    assert run.hold_off_ms == pytest.approx(sum(tasks.values()))
    assert all(0 < ms <= run.longest_tasks_ms[task] for task, ms in tasks.items())


def test_native_code_is_what_deploy_compiles_native_for_the_boards_chip(tmp_path: Path) -> None:
    # Deploy compiles only the sampler natively; its size depends on the chip's architecture, not on the driver.
    sizes = {}
    for arch in ("xtensawin", "rv32imc"):
        out = tmp_path / f"{arch}.mpy"
        compile_file(FIRMWARE_DIR / "anklet" / "app" / "sampler.py", out, arch=arch, native=True)
        sizes[arch] = out.stat().st_size
    assert native_bytes("esp32-devkitc-gy291") == sizes["xtensawin"]
    assert native_bytes("esp32-devkitc-gy521") == sizes["xtensawin"]
    assert native_bytes("xiao-esp32c3-lis3dh") == sizes["rv32imc"]
    assert 0 < native_bytes("huzzah32-lsm6dsox") <= NATIVE_LIMIT_BYTES
