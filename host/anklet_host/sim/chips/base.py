"""What every chip model shares: the register file, sample timing on the virtual clock, unit conversion with
clipping, a sample FIFO ring, wake-on-motion bookkeeping and the INT pin levels.

A model is an I2C device (``address``, ``read_into``, ``write``) for `anklet_host.sim.i2c.I2C`. Before any bus
access or pin query it catches up with the clock, producing every sample due since (at the configured rate, from its
source). The bus-facing paths (register reads, FIFO pops, sample production from an integer source) allocate nothing,
so a driver can be checked under ``micropython.heap_lock()`` while talking to a model.

Subclasses describe their chip through the hooks ``_begin_read``, ``_next_read``, ``_read_byte``, ``_on_write``,
``_configure``, ``_int_active`` and ``_push``.
"""

from array import array

from .sources import ConstantSource

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    from ..clock import VirtualClock

    class SampleSource(Protocol):
        """What a model reads: ``values`` (ax, ay, az in mg; gx, gy, gz in mdps) refreshed by ``sample(t_us)``."""

        values: list[float]

        def sample(self, t_us: int) -> None: ...


def to_counts(value: float, num: int, den: int, lo: int, hi: int) -> int:
    """``value * num / den`` rounded half away from zero, clipped to ``lo..hi`` (the converter's saturation).

    Symmetric rounding: a motion and its mirror image give opposite counts, so a mounting that flips an axis changes
    nothing but the sign (and `anklet analyze`, which rounds the same way, sees the board's very integers)."""
    if isinstance(value, int):
        q = (2 * value * num + den) // (2 * den) if value >= 0 else -((-2 * value * num + den) // (2 * den))
    else:
        q = round(value * num / den)
    if q < lo:
        return lo
    if q > hi:
        return hi
    return q


class ChipModel:
    """Register file, timing, conversion and FIFO of one accelerometer; see the module docstring."""

    NAME = "chip"
    DEFAULT_ADDRESS = 0
    IDENTITY_REG = 0
    IDENTITY = 0
    FIFO_DEPTH = 32  # samples in the generic ring
    RESET_VALUES: "tuple[tuple[int, int], ...]" = ()

    def __init__(self, clock: "VirtualClock", source: "SampleSource | None" = None, address: int = -1) -> None:
        self.clock = clock
        self.source: SampleSource = source if source is not None else ConstantSource()
        self.address = address if address >= 0 else self.DEFAULT_ADDRESS
        self.identity = self.IDENTITY
        self.regs = bytearray(256)
        # Latest sample in counts: ax, ay, az, gx, gy, gz.
        self.counts = array("h", bytes(12))
        self.fifo = array("h", bytes(12 * self.FIFO_DEPTH))
        self.fifo_head = 0
        self.fifo_count = 0
        # Ground truth for tests: samples made while the FIFO was collecting, and those the FIFO refused/overwrote.
        self.produced = 0
        self.dropped = 0
        self.reads = 0
        self.writes = 0
        self.next_sample_us = 0
        self._period_whole_us = 0
        self._period_rem = 0
        self._period_den = 1
        self._acc_rem = 0
        # Conversion: counts = physical * num / den, clipped to lo..hi.
        self.acc_num = 1
        self.acc_den = 1
        self.acc_lo = -32768
        self.acc_hi = 32767
        self.gyro_num = 0
        self.gyro_den = 1
        self.gyro_on = False
        self.fifo_on = False
        self.fifo_overwrites = True
        self.overrun = False
        # Wake-on-motion: threshold in mg (0 = off), whether the reference is the previous sample or the sample at
        # arming time, and a divisor applied to the difference (2 for a slope filter).
        self.wom_threshold_mg = 0
        self.wom_compare_previous = False
        self.wom_divisor = 1
        self.wom_event = False
        self.wom_latched = True
        self._wom_ref = [0.0, 0.0, 0.0]
        self._wom_ref_valid = False
        self._inc = True
        self.reset()

    # ------------------------------------------------------------------------------------------------ lifecycle
    def reset(self) -> None:
        """Power-on state: reset register values, empty FIFO, not sampling."""
        regs = self.regs
        for i in range(len(regs)):
            regs[i] = 0
        for reg, value in self.RESET_VALUES:
            regs[reg] = value
        self.fifo_clear()
        self.overrun = False
        self.wom_event = False
        self._wom_ref_valid = False
        self._configure()

    def set_rate(self, num_us: int, den: int) -> None:
        """Sample every ``num_us / den`` microseconds from now (0 stops sampling); unchanged rates keep their phase."""
        whole = num_us // den if num_us else 0
        rem = num_us % den if num_us else 0
        if whole == self._period_whole_us and rem == self._period_rem and den == self._period_den:
            return
        self._period_whole_us = whole
        self._period_rem = rem
        self._period_den = den
        # The fractional microseconds of the first period count too: sample k falls at floor(k * period).
        self._acc_rem = rem
        if whole:
            self.next_sample_us = self.clock.now_us + whole

    @property
    def sampling(self) -> bool:
        return self._period_whole_us > 0

    def arm_motion_reference(self) -> None:
        """The next sample becomes the reference motion is measured from."""
        self._wom_ref_valid = False

    # ------------------------------------------------------------------------------------------------- the clock
    def update(self) -> None:
        """Produce every sample due up to the clock's time."""
        now = self.clock.now_us
        whole = self._period_whole_us
        if not whole:
            return
        behind = now - self.next_sample_us
        depth = self.capacity_samples()
        if behind > 0 and self.fifo_on and behind // whole > 4 * depth + 8:
            # Far behind: everything but the last two FIFO-fulls would be lost anyway; book it without simulating.
            skip = behind // whole - 2 * depth
            self.produced += skip
            self.dropped += skip
            self.overrun = True
            self._advance_periods(skip)
        while self.next_sample_us <= now:
            self._produce(self.next_sample_us)
            self._advance_periods(1)

    def _advance_periods(self, n: int) -> None:
        self.next_sample_us += n * self._period_whole_us
        self._acc_rem += n * self._period_rem
        if self._acc_rem >= self._period_den:
            self.next_sample_us += self._acc_rem // self._period_den
            self._acc_rem %= self._period_den

    def _produce(self, t_us: int) -> None:
        src = self.source
        src.sample(t_us)
        v = src.values
        c = self.counts
        for k in range(3):
            c[k] = to_counts(v[k], self.acc_num, self.acc_den, self.acc_lo, self.acc_hi)
            if self.gyro_on:
                c[3 + k] = to_counts(v[3 + k], self.gyro_num, self.gyro_den, -32768, 32767)
            else:
                c[3 + k] = 0
        if self.wom_threshold_mg:
            self._check_motion(v)
        if self.fifo_on:
            self.produced += 1
            self._push()
        self._after_sample()

    def _check_motion(self, v: "list[float]") -> None:
        ref = self._wom_ref
        if self._wom_ref_valid:
            moved = False
            for k in range(3):
                d = v[k] - ref[k]
                if d < 0:
                    d = -d
                if d > self.wom_threshold_mg * self.wom_divisor:
                    moved = True
            if moved:
                self.wom_event = True
            elif not self.wom_latched:
                self.wom_event = False
        if self.wom_compare_previous or not self._wom_ref_valid:
            for k in range(3):
                ref[k] = v[k]
            self._wom_ref_valid = True

    # ------------------------------------------------------------------------------------------ the generic FIFO
    def set_resolution_bits(self, bits: int) -> None:
        """Samples are ``bits``-bit two's complement: clip conversions to that range."""
        self.acc_hi = (1 << (bits - 1)) - 1
        self.acc_lo = -(1 << (bits - 1))

    def follow_fifo_mode(self, mode: int) -> None:
        """FIFO mode 0 is bypass (off: emptied, overrun cleared), 1 keeps the oldest samples when full, others
        overwrite (stream)."""
        self.fifo_on = mode != 0
        self.fifo_overwrites = mode != 1
        if not self.fifo_on:
            self.fifo_clear()
            self.overrun = False

    def fifo_clear(self) -> None:
        self.fifo_head = 0
        self.fifo_count = 0

    def _push(self) -> None:
        """Append the latest sample to the ring; full: overwrite the oldest or refuse, per ``fifo_overwrites``."""
        depth = self.FIFO_DEPTH
        if self.fifo_count == depth:
            self.dropped += 1
            self.overrun = True
            if not self.fifo_overwrites:
                return
            self.fifo_head = (self.fifo_head + 1) % depth
            self.fifo_count -= 1
        slot = 6 * ((self.fifo_head + self.fifo_count) % depth)
        c = self.counts
        f = self.fifo
        for k in range(6):
            f[slot + k] = c[k]
        self.fifo_count += 1

    def fifo_value(self, k: int) -> int:
        """Value ``k`` (0..5) of the oldest unread sample (the latest sample if the FIFO is empty)."""
        if self.fifo_count == 0:
            return self.counts[k]
        return self.fifo[6 * self.fifo_head + k]

    def fifo_pop(self) -> None:
        if self.fifo_count:
            self.fifo_head = (self.fifo_head + 1) % self.FIFO_DEPTH
            self.fifo_count -= 1

    def pending_samples(self) -> int:
        """Unread samples in the FIFO (ground truth for tests)."""
        return self.fifo_count

    def capacity_samples(self) -> int:
        """How many samples the FIFO holds when full, as configured."""
        return self.FIFO_DEPTH

    # ------------------------------------------------------------------------------------------------- the bus
    def read_into(self, reg: int, buf: "bytearray | memoryview") -> None:
        self.update()
        self.reads += 1
        addr = self._begin_read(reg)
        n = len(buf)
        i = 0
        while i < n:
            buf[i] = self._read_byte(addr) & 0xFF
            addr = self._next_read(addr)
            i += 1

    def write(self, reg: int, data: "bytes | bytearray | memoryview") -> None:
        self.update()
        self.writes += 1
        addr = self._begin_read(reg)
        for i in range(len(data)):
            value = data[i]
            if addr == self.IDENTITY_REG:
                pass  # read-only
            else:
                self.regs[addr] = value
                self._on_write(addr, value)
            addr = self._next_read(addr)
        self._configure()

    def int_level(self, pin: int) -> int:
        """Electrical level of INT1 (``pin`` 1) or INT2 (2) now: 1 high, 0 low."""
        self.update()
        active = self._int_active(pin)
        if self._int_active_low():
            return 0 if active else 1
        return 1 if active else 0

    # ---------------------------------------------------------------------------------------- hooks (per chip)
    # Hooks call their base versions as ChipModel._x(self, ...): super() would allocate on MicroPython.
    def _begin_read(self, reg: int) -> int:
        self._inc = True
        return reg & 0xFF

    def _next_read(self, addr: int) -> int:
        return (addr + 1) & 0xFF if self._inc else addr

    def _read_byte(self, addr: int) -> int:
        if addr == self.IDENTITY_REG:
            return self.identity
        return self.regs[addr]

    def _on_write(self, addr: int, value: int) -> None:  # noqa: ARG002 - a hook
        return None

    def _configure(self) -> None:
        return None

    def _after_sample(self) -> None:
        return None

    def _int_active(self, pin: int) -> bool:  # noqa: ARG002 - a hook
        return False

    def _int_active_low(self) -> bool:
        return False
