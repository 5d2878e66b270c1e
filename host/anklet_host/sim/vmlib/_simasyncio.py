# mypy: ignore-errors
# ruff: noqa: ARG002
# (MicroPython code that runs inside the simulated board, not on the host: imports stay lazy to keep boots
# light, module state is global as in the ESP32 port's own modules, % formatting as MicroPython prefers.)
"""What the ESP32 port's asyncio has and the WebAssembly port's lacks: a blocking ``asyncio.run``, ``run_forever``,
``run_until_complete`` and ``ThreadSafeFlag``.

The WebAssembly port schedules tasks with JavaScript timers and returns to JavaScript between them. On the board
``asyncio.run`` blocks main.py until the coroutine ends, so code after it, ``finally`` clauses and a Ctrl-C all behave
as they do on the ESP32 only if the loop is driven here: `install` makes the port's task queue report its wake-up time
instead of setting a JavaScript timer, and `run` steps the queue, waiting in `_simboard.idle` (which serves timers,
pin interrupts and host events) until the next task is due.
"""

import asyncio
import time
from asyncio import core

import _simboard
import _simhost

_wake = [None]


def _note_wake(dt_ms):
    _wake[0] = dt_ms


def _drive(done):
    while not done:
        _wake[0] = None
        core._run_iter()
        if done:
            return
        queue = core._task_queue
        head = queue.peek()
        wait = max(0, time.ticks_diff(head.ph_key, time.ticks_ms())) if head is not None else _simboard.POLL_MS
        _simboard.idle(min(wait, _simboard.next_timer_ms()) if wait else 0)


def run_until_complete(aw):
    """Run ``aw`` (a coroutine or task) to completion, blocking as on the board; its result or its exception."""
    outcome = []

    async def runner():
        try:
            outcome.append((True, await aw))
        except BaseException as exc:
            outcome.append((False, exc))

    core.create_task(runner())
    _drive(outcome)
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def run(coro):
    if _simboard.CONFIG.get("budget"):
        # Budget mode (board.mjs): main.py returns to JavaScript, which steps the loop with `run_due`, so that the
        # heap can be collected and measured between steps.
        core.create_task(coro)
        _simhost.js_loop()
        return None
    return run_until_complete(core.create_task(coro))


def run_due():
    """Run the tasks that are due (budget mode: board.mjs calls this every tick)."""
    core._run_iter()


def run_forever():
    async def forever():
        while True:
            await asyncio.sleep_ms(1 << 20)

    run_until_complete(forever())


class ThreadSafeFlag:
    """Set from an interrupt handler, awaited by one task (the ESP32 port's asyncio.ThreadSafeFlag)."""

    def __init__(self):
        self._event = asyncio.Event()

    def set(self):
        self._event.set()

    def clear(self):
        self._event.clear()

    def ioctl(self, req, flags):
        return 0

    async def wait(self):
        await self._event.wait()
        self._event.clear()


def install():
    core._schedule_run_iter = _note_wake
    core.new_event_loop()
    asyncio.run = run
    asyncio.ThreadSafeFlag = ThreadSafeFlag
    core.Loop.run_forever = run_forever
    core.Loop.run_until_complete = run_until_complete

    def new_event_loop():
        core.new_event_loop()
        return core.Loop

    asyncio.new_event_loop = new_event_loop
