"""`anklet.compat.forget`: on the board a start-up module leaves ``sys.modules``, its package and the heap; the laptop,
which shares the firmware's modules, keeps its own."""

from __future__ import annotations

import sys

import pytest

from anklet.compat import forget
from anklet_host.upy import MicroPython

ENTRIES = 2000
# A module holding a constant table, as the stride weights did: its constants live as long as the module.
BIG_MODULE = "TABLE = (" + ", ".join(str(i * 7919 % 30011) for i in range(ENTRIES)) + ")\nTOTAL = sum(TABLE)\n"
TOTAL = sum(i * 7919 % 30011 for i in range(ENTRIES))


@pytest.mark.micropython
def test_a_forgotten_module_leaves_the_board_heap(upy: MicroPython) -> None:
    code = """
import asyncio, gc, sys
from anklet.compat import forget
import pkg.big
total = pkg.big.TOTAL
await asyncio.sleep(0)  # this port collects garbage only once control is back in JavaScript
gc.collect()
held = gc.mem_alloc()
forget("pkg.big")
await asyncio.sleep(0)
gc.collect()
import pkg
print("pkg.big" in sys.modules, "big" in pkg.__dict__, total, held - gc.mem_alloc())
"""
    out = upy.run(code, files={"/pkg/__init__.py": "", "/pkg/big.py": BIG_MODULE}, run_async=True)
    in_modules, in_package, total, freed = out.split()
    assert (in_modules, in_package) == ("False", "False")
    assert int(total) == TOTAL  # the values were read before the module went
    assert int(freed) >= 4 * ENTRIES  # at least the table's 2,000 32-bit words


def test_the_laptop_keeps_its_modules() -> None:
    from anklet.ble import adv

    forget("anklet.ble.adv")
    assert sys.modules["anklet.ble.adv"] is adv
    assert sys.modules["anklet.ble"].__dict__["adv"] is adv
