"""Every firmware module that does not touch hardware runs under both CPython and MicroPython, with equal output.

Each such module ``anklet.x.y`` has a scenario ``tests/portable/anklet.x.y.py``: a script that exercises it and prints
deterministic results. A module without a scenario fails ``test_every_portable_module_has_a_scenario``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from anklet_host.paths import FIRMWARE_DIR
from anklet_host.upy import MicroPython
from tests.conftest import run_cpython

SCENARIO_DIR = Path(__file__).with_name("portable")
# Importing any of these means the module drives hardware and runs only on a board (or the virtual anklet).
HARDWARE_MODULES = ("machine", "bluetooth", "neopixel", "esp32", "esp", "network")
# Generated data, no code of their own: the scenario of the module that reads them covers them (anklet.detect_mlp).
DATA_PACKAGES = ("anklet.mlp_weights",)
_HARDWARE_IMPORT = re.compile(rf"^\s*(?:import|from)\s+({'|'.join(HARDWARE_MODULES)})\b", re.MULTILINE)


def portable_modules() -> list[str]:
    names = []
    for path in sorted((FIRMWARE_DIR / "anklet").rglob("*.py")):
        if "__pycache__" in path.parts or _HARDWARE_IMPORT.search(path.read_text()):
            continue
        parts = path.relative_to(FIRMWARE_DIR).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not name.startswith(DATA_PACKAGES):
            names.append(name)
    return names


SCENARIOS = sorted(p for p in SCENARIO_DIR.glob("*.py") if not p.name.startswith("_"))
# Helpers the scenarios import (``tests/portable/_*.py``), placed beside the firmware in the VM.
HELPERS = {f"/{p.name}": p.read_text() for p in SCENARIO_DIR.glob("_*.py")}


def test_every_portable_module_has_a_scenario() -> None:
    missing = [m for m in portable_modules() if not (SCENARIO_DIR / f"{m}.py").is_file()]
    assert missing == [], f"add tests/portable/<module>.py for: {missing}"


@pytest.mark.micropython
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
def test_module_behaves_the_same_under_cpython_and_micropython(scenario: Path, upy: MicroPython) -> None:
    code = scenario.read_text()
    expected = run_cpython(f"import sys; sys.path.append({str(SCENARIO_DIR)!r})\n" + code)
    assert expected.strip(), "a scenario must print what it checks"
    assert upy.run(code, files=dict(HELPERS)) == expected
