"""A virtual microsecond clock: chip models produce samples on it, drivers may read their tick counter from it.

Time only moves when a test or the virtual anklet calls `advance_us` / `advance_ms`, so runs are deterministic.
"""


class VirtualClock:
    """Microseconds since the start of the simulation, never wrapping (Python ints)."""

    def __init__(self, start_us: int = 0) -> None:
        self.now_us = start_us

    def advance_us(self, dt_us: int) -> int:
        """Move time forward by ``dt_us`` (>= 0); the new time."""
        if dt_us < 0:
            raise ValueError("time cannot go backwards")
        self.now_us += dt_us
        return self.now_us

    def advance_ms(self, dt_ms: int) -> int:
        return self.advance_us(dt_ms * 1000)

    def ticks_us(self) -> int:
        return self.now_us

    def ticks_ms(self) -> int:
        """Whole milliseconds, the same shape as ``time.ticks_ms`` (drivers take it as ``clock_ms``)."""
        return self.now_us // 1000
