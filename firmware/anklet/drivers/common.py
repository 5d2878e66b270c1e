"""What every accelerometer driver shares: the error type, bus access with retries, and FIFO bookkeeping.

A driver is built on `SensorBase`. Configuration (the constructor, `start`, `wake_on_motion`) may raise
`SensorError` with a one-line message, because a board without its sensor cannot count steps. The read path
(`read_fifo`) never raises: a transient bus error is counted, retried and turns into "0 samples this time", and an
overflow is counted with an estimate of the samples lost, so the sampling loop never dies.

Samples land in ``samples``, an ``array('h')`` allocated once: ``stride`` values per sample, interleaved
``ax, ay, az`` (and ``gx, gy, gz`` when ``has_gyro``), in the chip's raw counts. ``accel_lsb_per_g`` and
``gyro_lsb_per_dps`` give the scale.
"""

from array import array

from anklet.compat import const, ticks_diff, ticks_ms

_ENODEV = const(19)
_EIO = const(5)
# Longest gap the lost-sample estimate trusts; keeps elapsed_ms * rate_hz a small int (< 2**30) on the ESP32.
_MAX_GAP_MS = const(300000)


class SensorError(Exception):
    """The sensor is absent, is another chip, or refused its configuration. The message is one line."""


def pick_at_least(options, requested):
    """Index of the smallest option >= ``requested`` in an ascending tuple, else the largest one."""
    i = 0
    while i < len(options):
        if options[i] >= requested:
            return i
        i += 1
    return len(options) - 1


def clamp(value, low, high):
    """``value`` kept within ``low``..``high``: driver options (batch, watermark) a caller may overstate."""
    if value < low:
        return low
    if value > high:
        return high
    return value


def refuse_gyro(chip, gyro_dps):
    """Accelerometer-only chips: asking one for a gyroscope is a board-file mistake, said in one line."""
    if gyro_dps:
        raise SensorError("%s has no gyroscope; set gyro_dps to 0" % chip)


def prefix_views(buf, unit, count):
    """Views of the first k*unit bytes of ``buf`` for k = 0..count, made once: slicing a memoryview allocates."""
    mv = memoryview(buf)
    return [mv[0 : k * unit] for k in range(count + 1)]


def sign16(v):
    """A 16-bit two's-complement value as a Python int (no allocation for small ints)."""
    if v & 0x8000:
        return v - 0x10000
    return v


class SensorBase:
    """Bus access, counters and the batch buffer; subclasses add the chip's registers."""

    CHIP = "sensor"
    # Whether the chip can raise its INT pin at a FIFO watermark (else the sampler polls).
    WATERMARK_INT = True
    # Largest batch one read returns; the chip's FIFO depth bounds it further.
    MAX_BATCH = 32
    # FIFO samples per watermark interrupt (or per poll) unless the caller asks otherwise. A lower watermark leaves
    # more of the FIFO for the samples that arrive while the sampler is held off (depth - watermark), at the cost of
    # more wake-ups: 16 suits the deep FIFOs (73-85 samples on the MPU-6050/6886, 256 on the LSM6DS: 570 ms or more
    # of room at 100 Hz); the 32-sample ones override it.
    WATERMARK = 16
    # The highest sample-rate setting (Hz, `anklet.app.settings.RATES_HZ`) the anklet runs the chip at: one the driver
    # delivers (within 5%) and whose FIFO outlasts the worst stall (`make budget`). `anklet.app.settings.rates_for`
    # reads it: the one list the firmware's settings and the laptop's `anklet settings` check a rate against.
    MAX_RATE_HZ = 400

    def __init__(self, i2c, address, has_gyro, batch_samples, retries, clock_ms):
        self.i2c = i2c
        self.address = address
        self.has_gyro = has_gyro
        self.stride = 6 if has_gyro else 3
        self.capacity = batch_samples
        self.samples = array("h", bytes(2 * self.stride * batch_samples))
        self.retries = retries
        self._clock_ms = clock_ms if clock_ms is not None else ticks_ms
        # Counters a status screen or BLE reports; all only grow.
        self.i2c_errors = 0
        self.retried = 0
        self.failed_reads = 0
        self.overflows = 0
        self.samples_lost = 0
        self.samples_read = 0
        self.batches = 0
        self.last_errno = 0
        # FIFO bookkeeping for the lost-sample estimate.
        self._last_drain_ms = 0
        self._left_in_fifo = 0
        self._one = bytearray(1)
        self._one_mv = memoryview(self._one)
        self.rate_hz = 0
        self.accel_lsb_per_g = 0
        self.gyro_lsb_per_dps = 0
        self.has_watermark_int = self.WATERMARK_INT
        self.watermark = 0
        self.int_pin = 1
        self.int_active_high = True
        self.motion_threshold_mg = 0

    # ---------------------------------------------------------------------------------------- configuration path
    def _no_device(self, err):
        errno = err.args[0] if err.args else 0
        return SensorError("no device at 0x%02x on I2C (%s expected, OSError %d)" % (self.address, self.CHIP, errno))

    def write_reg(self, reg, value):
        """Write one register; retried, then a SensorError naming the chip and address."""
        self._one[0] = value
        tries = 0
        while True:
            try:
                self.i2c.writeto_mem(self.address, reg, self._one)
                return
            except OSError as err:
                self.i2c_errors += 1
                tries += 1
                if tries > self.retries:
                    raise self._no_device(err)
                self.retried += 1

    def read_reg(self, reg):
        """Read one register (configuration path); retried, then a SensorError."""
        tries = 0
        while True:
            try:
                self.i2c.readfrom_mem_into(self.address, reg, self._one_mv)
                return self._one[0]
            except OSError as err:
                self.i2c_errors += 1
                tries += 1
                if tries > self.retries:
                    raise self._no_device(err)
                self.retried += 1

    def check_identity(self, reg, reg_name, accepted):
        """Stop with a clear message unless the identity register holds one of ``accepted``."""
        found = self.read_reg(reg)
        if found not in accepted:
            raise SensorError(
                "%s not found at 0x%02x: %s is 0x%02x, expected 0x%02x"
                % (self.CHIP, self.address, reg_name, found, accepted[0])
            )
        return found

    def _begin_stream(self):
        self._last_drain_ms = self._clock_ms()
        self._left_in_fifo = 0

    # ------------------------------------------------------------------------------------------------- read path
    def burst(self, reg, view):
        """Read ``len(view)`` bytes from ``reg`` in one transfer; False (counted) if the bus kept failing."""
        tries = 0
        while True:
            try:
                self.i2c.readfrom_mem_into(self.address, reg, view)
                return True
            except OSError as err:
                self.i2c_errors += 1
                self.last_errno = err.args[0] if err.args else 0
                tries += 1
                if tries > self.retries:
                    self.failed_reads += 1
                    return False
                self.retried += 1

    def poke(self, reg, value):
        """Write one register from the read path (FIFO reset); False (counted) if the bus kept failing."""
        self._one[0] = value
        tries = 0
        while True:
            try:
                self.i2c.writeto_mem(self.address, reg, self._one)
                return True
            except OSError as err:
                self.i2c_errors += 1
                self.last_errno = err.args[0] if err.args else 0
                tries += 1
                if tries > self.retries:
                    self.failed_reads += 1
                    return False
                self.retried += 1

    def account(self, n_read, available, overflowed):
        """Book one drain: ``available`` samples were in the FIFO, ``n_read`` taken, ``overflowed`` per the chip.

        A FIFO that overflowed cannot say how much it dropped; the clock can: the samples produced since the last
        drain (elapsed time x rate) plus those left behind then, minus what the FIFO still held.
        """
        now = self._clock_ms()
        if overflowed:
            elapsed_ms = ticks_diff(now, self._last_drain_ms)
            if elapsed_ms > _MAX_GAP_MS:
                elapsed_ms = _MAX_GAP_MS
            produced = elapsed_ms * self.rate_hz // 1000
            lost = self._left_in_fifo + produced - available
            if lost < 1:
                lost = 1
            self.overflows += 1
            self.samples_lost += lost
        self._last_drain_ms = now
        self._left_in_fifo = available - n_read
        if self._left_in_fifo < 0:
            self._left_in_fifo = 0
        if n_read > 0:
            self.samples_read += n_read
            self.batches += 1

    def read_fifo(self):
        """Drain up to ``capacity`` samples into ``samples``; the count read (0 on a bus error). Never raises."""
        raise NotImplementedError

    def stats(self):
        """The counters as a dict (allocates: for status reports, not the sampling loop)."""
        return {
            "chip": self.CHIP,
            "rate_hz": self.rate_hz,
            "samples_read": self.samples_read,
            "batches": self.batches,
            "overflows": self.overflows,
            "samples_lost": self.samples_lost,
            "i2c_errors": self.i2c_errors,
            "retried": self.retried,
            "failed_reads": self.failed_reads,
        }
