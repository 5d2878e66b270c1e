# mypy: ignore-errors
# ruff: noqa: ARG002, PLC0415
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


_ticks = [None]  # the port's core.ticks, which `_polled_ticks` or `_timed_ticks` stand in front of
_last_poll = [0]


def _polled_ticks():
    # The port's loop runs every task that is due before it returns here (`_drive`), and a task that yields with
    # sleep_ms(0) is due at once: the boot's stages then run back to back, and with them no poll, so the chip models'
    # clocks stood still while the firmware booted and caught up all at once at the first wait (a sensor started at
    # the end of boot found its FIFO overflowed by then). The loop calls `core.ticks` before it picks each task:
    # there the board is polled too, once per POLL_MS, as an ESP32's peripherals run on while the firmware does.
    now = _ticks[0]()
    if time.ticks_diff(now, _last_poll[0]) >= _simboard.POLL_MS:
        _last_poll[0] = now
        _simboard.poll()
    return now


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
        # heap can be collected and measured between steps, and times every task's steps.
        time_sampler()
        time_tasks()
        core.create_task(coro)
        _simhost.js_loop()
        return None
    return run_until_complete(core.create_task(coro))


def run_due():
    """Run the tasks that are due (budget mode: board.mjs calls this every tick and times the run from here, so that
    the call into the VM is not counted as the firmware's)."""
    _simhost.run_begin()
    try:
        core._run_iter()
    finally:
        _simhost.run_end()


# ------------------------------------------------------------------------------------------------- budget mode timing
# Which task spends the time of a run (board.mjs keeps each task's longest steps). The port's loop calls
# `core.ticks` before it picks each task (and a task's sleep calls it too), while `core.cur_task` still names the task
# that ran last: so at every call the time since the previous call was that task's.
#
# Budget mode counts the heap the firmware holds, less what the simulator held once `_simboard.boot` had run
# (board.mjs): what the timing keeps is made here, at import, so that none of it counts as the firmware's.
_MAX_TASKS = 32
_tasks = [None] * _MAX_TASKS  # number -> the task it stands for; 0 is the scheduler (between tasks: no task)
_task_count = [1]


def _task_id(task):
    if task is None or task is core._top_level_task:
        return 0
    tasks = _tasks
    count = _task_count[0]
    i = 1
    while i < count:
        if tasks[i] is task:
            return i
        i += 1
    if count == _MAX_TASKS:
        return _MAX_TASKS - 1  # a firmware making task after task (as wait_for does): the rest share the last number
    tasks[count] = task
    _task_count[0] = count + 1
    # Its coroutine's name (repr: "<generator object 'live_task' at 0x...>"), for board.mjs only: not kept here.
    text = repr(task.coro)
    _simhost.task_named(count, text.split("'")[1] if text.count("'") >= 2 else text)
    return count


def _timed_ticks():
    _simhost.task_time(_task_id(core.cur_task))
    return _ticks[0]()


def time_tasks():
    """Budget mode: tell board.mjs which task each stretch of time belongs to (see `_timed_ticks`)."""
    if core.ticks is not _timed_ticks:
        _simhost.task_named(0, "scheduler")
        _ticks[0] = core.ticks
        core.ticks = _timed_ticks


_sampler_methods = [None, None]  # the firmware's Sampler.drain and Sampler._send_raw, once `time_sampler` wrapped them


def _timed_drain(self):
    _simhost.drain_begin()
    try:
        return _sampler_methods[0](self)
    finally:
        _simhost.drain_end()


def _untimed_send_raw(self, raw, buf, end, stride):
    _simhost.drain_end()
    try:
        _sampler_methods[1](self, raw, buf, end, stride)
    finally:
        _simhost.drain_begin()


def time_sampler():
    """Budget mode: report the firmware's `anklet.app.sampler.Sampler.drain` calls to board.mjs, which takes them out
    of the run of due tasks (`make budget` times the drain itself at every rate, as the burst and the stride).

    Only what `anklet_host.budget.stall` times is taken out: the FIFO read and every sample through the detector. The
    raw stream a drain also feeds (`Sampler._send_raw`) is paused out of it, and what the sampler task does around
    its drains (contacts handed on, a minute record written, the wait for the next watermark) is not in a drain: all
    of that stays in the run, as the other work the sampler's next drain waits for. Wrapped from outside, as the
    simulated hardware is timed out with `_simboard.hw_begin`: the firmware carries nothing for it."""
    import sys

    module = sys.modules.get("anklet.app.sampler")
    if module is None or _sampler_methods[0] is not None:
        return  # not the anklet's firmware (a test's own main.py), or done at an earlier asyncio.run
    sampler = module.Sampler
    _sampler_methods[0] = sampler.drain
    _sampler_methods[1] = sampler._send_raw
    sampler.drain = _timed_drain
    sampler._send_raw = _untimed_send_raw


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
    if not _simboard.BUDGET:  # budget mode: board.mjs polls between runs, and `time_tasks` hooks the ticks
        _ticks[0] = core.ticks
        core.ticks = _polled_ticks
    core.new_event_loop()
    asyncio.run = run
    asyncio.ThreadSafeFlag = ThreadSafeFlag
    core.Loop.run_forever = run_forever
    core.Loop.run_until_complete = run_until_complete

    def new_event_loop():
        core.new_event_loop()
        return core.Loop

    asyncio.new_event_loop = new_event_loop
