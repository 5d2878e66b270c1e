"""Where a chip model's samples come from: objects with ``values`` (6 numbers) and ``sample(t_us)``.

``values`` holds ``ax, ay, az`` in mg and ``gx, gy, gz`` in mdps, in the CHIP's frame (the virtual anklet rotates the
body-frame trace through the board's mounting before it gets here). A model calls ``sample(t_us)`` once per output
sample, then reads ``values``; numbers may be ints or floats.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


class ConstantSource:
    """The same acceleration and rotation every sample: a chip lying still (gravity on +z by default)."""

    def __init__(self, accel_mg: "Sequence[float]" = (0, 0, 1000), gyro_mdps: "Sequence[float]" = (0, 0, 0)) -> None:
        self.values: list[float] = [0, 0, 0, 0, 0, 0]
        self.set(accel_mg, gyro_mdps)

    def set(self, accel_mg: "Sequence[float]", gyro_mdps: "Sequence[float]" = (0, 0, 0)) -> None:
        """Change what the chip feels from now on (a jolt, a turn)."""
        for k in range(3):
            self.values[k] = accel_mg[k]
            self.values[3 + k] = gyro_mdps[k]

    def sample(self, t_us: int) -> None:  # noqa: ARG002 - the source interface
        return None


class ArraySource:
    """Rows of six values at ascending times, held until the next row (zero-order hold); the last row stays."""

    def __init__(self, t_us: "Sequence[int]", rows: "Sequence[Sequence[float]]") -> None:
        if len(t_us) != len(rows) or len(t_us) == 0:
            raise ValueError("ArraySource needs as many times as rows, at least one")
        for row in rows:
            if len(row) != 6:
                raise ValueError("each row holds ax, ay, az (mg) and gx, gy, gz (mdps)")
        self.t_us = t_us
        self.rows = rows
        self.values: list[float] = [0, 0, 0, 0, 0, 0]
        self._i = 0

    @classmethod
    def at_rate(cls, rate_hz: int, rows: "Sequence[Sequence[float]]", start_us: int = 0) -> "ArraySource":
        """Rows sampled at ``rate_hz`` from ``start_us``."""
        return cls([start_us + k * 1000000 // rate_hz for k in range(len(rows))], rows)

    def sample(self, t_us: int) -> None:
        times = self.t_us
        if t_us < times[self._i]:
            self._i = 0
        i = self._i
        last = len(times) - 1
        while i < last and times[i + 1] <= t_us:
            i += 1
        self._i = i
        row = self.rows[i]
        for k in range(6):
            self.values[k] = row[k]
