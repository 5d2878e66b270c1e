"""The virtual anklet's board: the real firmware on the real MicroPython (WebAssembly port under Node), with a flash
folder, resets, a watchdog, deep sleep, and a serial console that the real mpremote drives.

- `board.mjs`: one boot of the board (the VM, the REPL, the flash mirrored to a host folder);
- `supervisor.SimBoard`: power, resets, watchdog, deep-sleep wake-up; starts a fresh boot after each;
- `console`: the pseudo-terminal / ``socket://`` port and the raw-paste answerer in front of the VM;
- ``../vmlib``: the modules the VM sees as the board's own (``machine``, ``esp32``, ``neopixel``, ``time``, the
  asyncio additions).

Example::

    board = SimBoard(Path("flash"), BoardSpec.from_board_file(json.load(open("boards/m5stack-atom-matrix.json"))))
    with SimConsole(board) as console:
        print(console.pty_path)   # mpremote connect <this> fs ls
"""

from anklet_host.sim.board.runtime import SimConsole
from anklet_host.sim.board.supervisor import BoardSpec, SimBoard

__all__ = ["BoardSpec", "SimBoard", "SimConsole"]
