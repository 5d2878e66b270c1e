"""A virtual microsecond clock: chip models produce samples on it, drivers may read their tick counter from it.

Time only moves when a test or the virtual anklet calls `advance_us` / `advance_ms`, so runs are deterministic.

Inside the virtual anklet this clock runs on MicroPython, where an int above 2**30 is a heap object: a clock that
counted microseconds from zero would start allocating after about 18 minutes of board time (2**30 us), and every
heap-locked sampling path would then fail. So a clock made with ``rebase_at_us`` keeps ``now_us`` small: when it
reaches that value it is moved back by `REBASE_STEP_US` and every follower (the chip models' sample schedules, the
walk source) is moved back by the same amount, so all differences between times stay exact. `ticks_us` and
`ticks_ms` wrap like the ESP32's ``time.ticks_us`` / ``time.ticks_ms`` (period 2**30), and `elapsed_us` is the exact
time since the start (it allocates on MicroPython once past 2**30: for reports, not for the sampling path).
"""

TICKS_PERIOD = 1 << 30
TICKS_MASK = TICKS_PERIOD - 1
REBASE_STEP_US = 1 << 28  # about 268 s


def _wrap_add(ticks: int, dt: int) -> int:
    """``(ticks + dt) mod 2**30`` for ``0 <= ticks, dt < 2**30`` without leaving MicroPython's small ints (a plain
    sum reaches 2**30, a heap-allocated int, exactly when the ticks wrap)."""
    return (ticks - TICKS_MASK + dt - 1) & TICKS_MASK


TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class VirtualClock:
    """Microseconds since the start of the simulation.

    ``rebase_at_us=None`` (the default) never rebases: ``now_us`` is the exact time (host-side tests). With a value
    (the virtual anklet uses 2**29), ``now_us`` stays below it and `follow` callbacks are told each shift.
    """

    def __init__(self, start_us: int = 0, rebase_at_us: "int | None" = None) -> None:
        if rebase_at_us is not None and rebase_at_us <= REBASE_STEP_US:
            raise ValueError("rebase_at_us must be above REBASE_STEP_US")
        self.now_us = start_us
        self.rebases = 0
        self._rebase_at_us = rebase_at_us
        self._followers: list[Callable[[int], None]] = []
        self._ticks_us = start_us & TICKS_MASK
        self._ticks_ms = (start_us // 1000) & TICKS_MASK
        self._sub_ms_us = start_us % 1000

    def follow(self, on_rebase: "Callable[[int], None]") -> None:
        """Call ``on_rebase(shift_us)`` whenever ``now_us`` is moved back by ``shift_us``."""
        self._followers.append(on_rebase)

    def advance_us(self, dt_us: int) -> int:
        """Move time forward by ``dt_us`` (>= 0); the new ``now_us``."""
        if dt_us < 0:
            raise ValueError("time cannot go backwards")
        self.now_us += dt_us
        self._ticks_us = _wrap_add(self._ticks_us, dt_us)
        sub = self._sub_ms_us + dt_us
        self._ticks_ms = _wrap_add(self._ticks_ms, sub // 1000)
        self._sub_ms_us = sub % 1000
        limit = self._rebase_at_us
        while limit is not None and self.now_us >= limit:
            self._rebase()
        return self.now_us

    def _rebase(self) -> None:
        self.now_us -= REBASE_STEP_US
        self.rebases += 1
        for on_rebase in self._followers:
            on_rebase(REBASE_STEP_US)

    def advance_ms(self, dt_ms: int) -> int:
        return self.advance_us(dt_ms * 1000)

    @property
    def elapsed_us(self) -> int:
        """The exact time since the start, however long the run (host-side figures)."""
        return self.rebases * REBASE_STEP_US + self.now_us

    def ticks_us(self) -> int:
        """Microsecond ticks wrapping at 2**30, as ``time.ticks_us`` (compare with ``ticks_diff``)."""
        return self._ticks_us

    def ticks_ms(self) -> int:
        """Millisecond ticks wrapping at 2**30, as ``time.ticks_ms`` (drivers take it as ``clock_ms``)."""
        return self._ticks_ms
