"""Shared fixtures: the real MicroPython runtime, CPython-vs-MicroPython comparison, and the shared recordings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import settings

from anklet_host.paths import FIRMWARE_DIR, PROJECT_ROOT
from anklet_host.upy import MicroPython, RuntimeMissingError
from anklet_host.upy.unix import unix_port_path

SHARED_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("ANKLET_CI") == "1"

# No per-example deadline: the suite shares 2 cores with Node VMs, and a slow example is not a failure. In CI the
# examples are derandomized, so a landing never depends on luck; locally they stay random to keep finding bugs.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if IN_CI else "dev")


T = TypeVar("T")


def off_main_thread(func: Callable[..., T], *args: object, timeout_s: float = 300.0) -> T:
    """Call ``func`` in a worker thread: an ``asyncio.run`` on the main thread would replace (and orphan) the event
    loop pytest-asyncio keeps there, which then surfaces as an unclosed-loop warning in some later test."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(func, *args).result(timeout=timeout_s)


@pytest.fixture(scope="session")
def upy() -> Iterator[MicroPython]:
    """The real MicroPython (WebAssembly port under Node). Never skipped: a missing runtime is a failure."""
    with MicroPython() as runtime:
        yield runtime


@pytest.fixture(scope="session")
def unix_micropython() -> Path:
    """MicroPython's unix port (a dev dependency `make setup` installs); skipped (saying why) only where it is absent
    outside CI, a failure in CI."""
    try:
        return unix_port_path()
    except RuntimeMissingError as exc:
        if IN_CI:
            pytest.fail(str(exc))
        pytest.skip(str(exc))


def run_cpython(code: str, *, cwd: Path = FIRMWARE_DIR) -> str:
    """Run ``code`` under CPython in a fresh interpreter, the firmware tree as current folder (as on the board)."""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"CPython run failed:\n{proc.stderr}")
    return proc.stdout


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; skipped (saying why) only where it is absent outside CI, a failure in CI."""
    if not SHARED_DATA_DIR.is_dir():
        message = f"real recordings not found at {SHARED_DATA_DIR} (they sit beside the checkout in CI)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA_DIR
