# mypy: ignore-errors
# ruff: noqa: PLC0415, B904, PLW0603, S102, ARG002, SIM105
# (MicroPython code that runs inside the simulated board, not on the host: imports stay lazy to keep boots
# light, module state is global as in the ESP32 port's own modules, % formatting as MicroPython prefers.)
"""The virtual anklet's board runtime inside the VM: flash mount, boot files, pins, timers, host events.

board.mjs imports this at every boot. It mounts the flash (MEMFS ``/flash``, mirrored to the host folder) at ``/``
through `FlashVfs`, which turns the WebAssembly port's WASI errno numbers into the ones an ESP32 reports (mpremote
and the firmware's ``except OSError`` both depend on them), and the simulated hardware modules at ``/_sim`` (ahead of
the frozen modules on ``sys.path``, so ``machine``, ``esp32`` and the virtual-clock ``time`` win, and out of sight of
``os.listdir('/')`` as built-in modules are on a board). `poll` runs timers, pin interrupts and host events; board.mjs
calls it at the REPL, and `idle` (used by asyncio.run and sleeps) calls it while code runs.
"""

import json
import os
import sys

import _simhost
import utime as time  # the board's time (virtual clock) replaces it in boot()
import vfs

CONFIG = json.loads(_simhost.config)
SPEED = CONFIG.get("speed", 1)
FORCED_EXIT = 0x100
POLL_MS = CONFIG.get("poll_ms", 5)
# Budget mode (`make budget`) times the firmware's steps; the simulated hardware's own Python (the chip models behind
# I2C, the radio's messages to the host) stands in for silicon and C and is timed apart, to be left out (`hw_end`).
BUDGET = bool(CONFIG.get("budget"))

# WASI errno (what the port raises) -> MicroPython's py/mperrno.h numbers (what an ESP32 raises).
_ERRNO = {
    63: 1,
    44: 2,
    29: 5,
    8: 9,
    6: 11,
    48: 12,
    2: 13,
    10: 16,
    20: 17,
    43: 19,
    54: 20,
    31: 21,
    28: 22,
    41: 23,
    33: 24,
    59: 25,
    22: 27,
    51: 28,
    55: 90,
    37: 91,
    58: 95,
    52: 95,
    73: 116,
}


def _mapped(exc):
    if len(exc.args) == 1 and isinstance(exc.args[0], int) and exc.args[0] in _ERRNO:
        return OSError(_ERRNO[exc.args[0]])
    return exc


SIM_DIR = "/_sim"


class FlashVfs:
    """The board's flash filesystem: a VfsPosix over MEMFS ``/flash`` with ESP32 errno numbers.

    Paths under ``/_sim`` go to the simulated hardware modules instead; they are importable but not listed in
    ``/``, as built-in modules are not on a board (a mount point there would show up in ``os.listdir('/')``).
    """

    def __init__(self, inner, sim, total_bytes):
        self._inner = inner
        self._sim = sim
        self._total = total_bytes

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def _route(self, path):
        if path.startswith(SIM_DIR) and (len(path) == len(SIM_DIR) or path[len(SIM_DIR)] == "/"):
            return self._sim, path[len(SIM_DIR) :] or "/"
        return self._inner, path

    # Budget mode: this wrapper's Python (routing, errno numbers) is the simulator's, not the firmware's: on a board
    # the VFS layer is C. Timed out as hardware (`hw_begin`), with the MEMFS call it wraps; the file's own reads and
    # writes (VfsPosix, C and emscripten's MEMFS) stay in the firmware's time, standing in for littlefs's C.
    def _call(self, name, path, *args):
        t0 = hw_begin()
        fs, path = self._route(path)
        try:
            return getattr(fs, name)(path, *args)
        except OSError as exc:
            raise _mapped(exc)
        finally:
            hw_end(t0)

    def ilistdir(self, path):
        fs, path = self._route(path)
        try:
            entries = []
            for entry in fs.ilistdir(path):
                # (name, type, inode, size) as LittleFS on the board reports it; mpremote's `fs ls` shows the size.
                size = 0 if entry[1] == 0x4000 else fs.stat(path.rstrip("/") + "/" + entry[0])[6]
                entries.append((entry[0], entry[1], 0, size))
            return iter(entries)
        except OSError as exc:
            raise _mapped(exc)

    def chdir(self, path):
        return self._call("chdir", path)

    def getcwd(self):
        t0 = hw_begin()
        try:
            return self._inner.getcwd()
        finally:
            hw_end(t0)

    def mkdir(self, path):
        return self._call("mkdir", path)

    def remove(self, path):
        return self._call("remove", path)

    def rename(self, old, new):
        # VfsPosix.rename garbles two absolute paths (they share one path buffer): pass them relative to the working
        # folder (/flash/<cwd>).
        t0 = hw_begin()
        up = "../" * len([p for p in self._inner.getcwd().split("/") if p])
        old = up + old[1:] if old.startswith("/") else old
        new = up + new[1:] if new.startswith("/") else new
        try:
            return self._inner.rename(old, new)
        except OSError as exc:
            raise _mapped(exc)
        finally:
            hw_end(t0)

    def rmdir(self, path):
        return self._call("rmdir", path)

    def stat(self, path):
        return self._call("stat", path)

    def open(self, path, mode):
        return self._call("open", path, mode)

    def statvfs(self, path):
        # LittleFS-like figures for a flash partition of the configured size, 4 KiB blocks.
        block = 4096
        total = self._total // block
        used = _blocks_used(self._inner, "/", block) + 2
        free = max(0, total - used)
        return (block, block, total, free, free, 0, 0, 0, 0, 255)


def _blocks_used(fs, path, block):
    used = 0
    for entry in fs.ilistdir(path):
        name, kind = entry[0], entry[1]
        child = path.rstrip("/") + "/" + name
        if kind == 0x4000:
            used += 1 + _blocks_used(fs, child, block)
        else:
            used += (fs.stat(child)[6] + block - 1) // block or 1
    return used


# ------------------------------------------------------------------------------------------------------------ boot
def boot():
    try:
        vfs.umount("/")
    except OSError:
        pass
    flash = FlashVfs(vfs.VfsPosix("/flash"), vfs.VfsPosix(SIM_DIR), CONFIG.get("flash_bytes", 2 * 1024 * 1024))
    vfs.mount(flash, "/")
    os.chdir("/")
    sys.path[:] = ["", "/_sim", ".frozen", "/lib"]
    # The frozen time module was imported before the path changed; the board's own time replaces it everywhere.
    sys.modules.pop("time", None)
    global time
    import time

    import _simasyncio

    _simasyncio.install()
    import _simhw

    _simhw.setup(CONFIG)


def run_file(name):
    """Run boot.py or main.py as the board does (pyexec_file): traceback on error, FORCED_EXIT on SystemExit."""
    try:
        with open(name) as f:
            source = f.read()
    except OSError:
        return 0
    import __main__

    try:
        exec(compile(source, name, "exec"), __main__.__dict__)
    except SystemExit:
        return FORCED_EXIT
    except BaseException as exc:
        sys.print_exception(exc)
    return 0


# --------------------------------------------------------------------------------------------- timers, pins, events
_timers = []
_handlers = {}
_pollers = []


def on(op, handler):
    """Call ``handler(event_dict)`` for host events ``{"op": op, ...}`` (pins, battery, BLE, ...)."""
    _handlers[op] = handler


def add_poller(fn):
    """Call ``fn()`` on every poll (pin edge detection, chip clocks)."""
    if fn not in _pollers:
        _pollers.append(fn)


def add_timer(timer):
    if timer not in _timers:
        _timers.append(timer)


def remove_timer(timer):
    if timer in _timers:
        _timers.remove(timer)


_hw_depth = [0]


def hw_begin():
    """Start timing simulated hardware (budget mode only): returns the token for `hw_end` (None when nested)."""
    if not BUDGET:
        return None
    _hw_depth[0] += 1
    if _hw_depth[0] != 1:
        return None
    _simhost.hw_enter()  # board.mjs keeps the clock (and its own nesting: the flash's write-through times itself)
    return True


def hw_end(token):
    """The simulated hardware's time since `hw_begin` is not the firmware's: board.mjs takes it out of the step."""
    if BUDGET:
        _hw_depth[0] -= 1
        if token is not None:
            _simhost.hw_exit()


def stash(key, text):
    """Keep ``text`` on the JavaScript side of the board, off the Python heap: what the simulation must remember and
    a chip keeps in C (e.g. the GATT table the radio announces again) is not the firmware's memory."""
    _simhost.stash(key, text)


def stashed(key):
    return _simhost.stashed(key)


def emit(event):
    t0 = hw_begin()
    _simhost.emit(json.dumps(event))
    hw_end(t0)


def poll():
    """Deliver host events, then run due timers and pollers (pin interrupts)."""
    while True:
        raw = _simhost.next_event()
        if raw is None:
            break
        event = json.loads(raw)
        handler = _handlers.get(event.get("op"))
        if handler is not None:
            handler(event)
    for fn in _pollers:
        fn()
    now = time.ticks_ms()
    for timer in _timers:
        if timer.due_ms is not None and time.ticks_diff(now, timer.due_ms) >= 0:
            timer.fire(now)


def next_timer_ms():
    """Milliseconds until the next timer is due (POLL_MS if pins or nothing need watching)."""
    now = time.ticks_ms()
    wait = POLL_MS
    for timer in _timers:
        if timer.due_ms is not None:
            wait = min(wait, max(0, time.ticks_diff(timer.due_ms, now)))
    return wait


def idle(ms):
    """Let ``ms`` board milliseconds pass while serving timers, pins and host events (sleep, asyncio waits)."""
    deadline = time.ticks_add(time.ticks_ms(), ms)
    while True:
        poll()
        left = time.ticks_diff(deadline, time.ticks_ms())
        if left <= 0:
            return
        _simhost.idle(min(left, next_timer_ms()) / SPEED)
