"""Run code under the real MicroPython (its WebAssembly port, under Node) from CPython.

The tests and `anklet bench` use this to execute the very firmware files that go onto the board. One Node process
serves many runs; each run gets a fresh MicroPython VM with the firmware tree copied in at ``/``, as on the board.

Example::

    with MicroPython() as upy:
        print(upy.run("import anklet; print(anklet.VERSION)"))
"""

from anklet_host.paths import FIRMWARE_DIR
from anklet_host.upy.session import MicroPython, MicroPythonError, RuntimeMissingError

__all__ = ["FIRMWARE_DIR", "MicroPython", "MicroPythonError", "RuntimeMissingError"]
