"""ST LIS3DH accelerometer: 32-sample FIFO in stream mode, watermark on INT1, wake-on-motion on INT1.

Registers and bit fields from the LIS3DH datasheet (DocID17530): WHO_AM_I 0x0F = 0x33; CTRL_REG1..6 0x20..0x25;
OUT_X_L 0x28; FIFO_CTRL_REG 0x2E (FM[1:0] b7:6, FTH[4:0]); FIFO_SRC_REG 0x2F (WTM b7, OVRN_FIFO b6, EMPTY b5,
FSS[4:0]). Over I2C the sub-address MSB asks for auto-increment; with the FIFO on, reads roll over from OUT_Z_H
(0x2D) back to OUT_X_L, so a whole batch comes in one transfer. High-resolution mode: 12-bit left-justified data,
1/2/4/12 mg per digit at +-2/4/8/16 g.

Example::

    sensor = LIS3DH(i2c, 0x18, rate_hz=100, range_g=8, watermark=16)
    n = sensor.read_fifo()      # after the INT1 pin rises
    ax = sensor.samples[0]      # counts; sensor.accel_lsb_per_g per g
"""

from anklet.compat import const
from anklet.drivers.common import SensorBase, SensorError, clamp, pick_at_least, prefix_views, refuse_gyro

_WHO_AM_I = const(0x0F)
_CTRL_REG1 = const(0x20)
_CTRL_REG2 = const(0x21)
_CTRL_REG3 = const(0x22)
_CTRL_REG4 = const(0x23)
_CTRL_REG5 = const(0x24)
_CTRL_REG6 = const(0x25)
_REFERENCE = const(0x26)
_OUT_X_L = const(0x28)
_FIFO_CTRL_REG = const(0x2E)
_FIFO_SRC_REG = const(0x2F)
_INT1_CFG = const(0x30)
_INT1_SRC = const(0x31)
_INT1_THS = const(0x32)
_INT1_DURATION = const(0x33)

_AUTO_INCREMENT = const(0x80)
_XYZ_EN = const(0x07)
_LPEN = const(0x08)
_BDU = const(0x80)
_HR = const(0x08)
_FIFO_EN = const(0x40)
_LIR_INT1 = const(0x08)
_I1_IA1 = const(0x40)
_I1_WTM = const(0x04)
_INT_POLARITY_LOW = const(0x02)
_FM_STREAM = const(0x80)
_HPIS1 = const(0x01)
_OR_HIGH_EVENTS = const(0x2A)
_SRC_OVRN = const(0x40)
_SRC_EMPTY = const(0x20)
_FIFO_DEPTH = const(32)
_ODR_10HZ = const(2)
_WOM_MG_PER_LSB = const(16)  # INT1_THS step at +-2 g

WHO_AM_I_VALUE = 0x33
RATES_HZ = (1, 10, 25, 50, 100, 200, 400)
_ODR_CODES = (1, 2, 3, 4, 5, 6, 7)
RANGES_G = (2, 4, 8, 16)
# High-resolution sensitivity is 1, 2, 4 and 12 mg/digit; 1000/12 rounds to 83.
LSB_PER_G = (1000, 500, 250, 83)


class LIS3DH(SensorBase):
    CHIP = "LIS3DH"
    # 32 samples deep: a watermark of 8 leaves 24 samples of room, 240 ms at 100 Hz, of which the worst stall measured
    # for an ESP32-C3 (`make budget`: a stride classified while every task takes its longest step) leaves over 100 ms,
    # where 16 (160 ms) left about 30: margin for what the budget does not count (a flash erase, a garbage
    # collection), at 12.5 wake-ups a second instead of 6.25.
    WATERMARK = 8
    # At 200 Hz those 24 samples are 120 ms, of which that stall leaves -2 to +18 ms (runs of `make budget`): too
    # little. The detector averages 200 and 400 Hz down to its 100 Hz core anyway.
    MAX_RATE_HZ = 100

    def __init__(
        self,
        i2c,
        address=0x18,
        rate_hz=100,
        range_g=8,
        gyro_dps=0,
        watermark=16,
        int_pin=1,
        int_active_high=True,
        batch_samples=_FIFO_DEPTH,
        retries=2,
        clock_ms=None,
    ):
        batch_samples = clamp(batch_samples, 1, _FIFO_DEPTH)
        super().__init__(i2c, address, False, batch_samples, retries, clock_ms)
        refuse_gyro("LIS3DH", gyro_dps)
        if int_pin != 1:
            raise SensorError("LIS3DH routes its FIFO watermark to INT1 only; the board file names INT%d" % int_pin)
        self.check_identity(_WHO_AM_I, "WHO_AM_I", (WHO_AM_I_VALUE,))
        i = pick_at_least(RATES_HZ, rate_hz)
        self._odr_code = _ODR_CODES[i]
        self.rate_hz = RATES_HZ[i]
        j = pick_at_least(RANGES_G, range_g)
        self._fs_code = j
        self.range_g = RANGES_G[j]
        self.accel_lsb_per_g = LSB_PER_G[j]
        self.gyro_lsb_per_dps = 0
        # The watermark flag rises at FSS >= FTH; FTH is 5 bits.
        self.watermark = clamp(watermark, 1, _FIFO_DEPTH - 1)
        self.int_pin = 1
        self.int_active_high = int_active_high
        self._raw = bytearray(6 * batch_samples)
        self._views = prefix_views(self._raw, 6, batch_samples)
        self._src = bytearray(1)
        self.start()

    def _polarity(self):
        return 0 if self.int_active_high else _INT_POLARITY_LOW

    def start(self):
        """Stream into the FIFO at ``rate_hz`` with the watermark interrupt on INT1 (also ends wake-on-motion)."""
        self.write_reg(_CTRL_REG1, _LPEN)  # power down while reconfiguring
        self.write_reg(_CTRL_REG2, 0)
        self.write_reg(_INT1_CFG, 0)
        self.write_reg(_CTRL_REG4, _BDU | (self._fs_code << 4) | _HR)
        # Bypass first: the datasheet's way to empty the FIFO before a new mode.
        self.write_reg(_FIFO_CTRL_REG, 0)
        self.write_reg(_CTRL_REG5, _FIFO_EN)
        self.write_reg(_FIFO_CTRL_REG, _FM_STREAM | self.watermark)
        self.write_reg(_CTRL_REG3, _I1_WTM)
        self.write_reg(_CTRL_REG6, self._polarity())
        self.write_reg(_CTRL_REG1, (self._odr_code << 4) | _XYZ_EN)
        self.motion_threshold_mg = 0
        self._begin_stream()

    def wake_on_motion(self, threshold_mg):
        """Low-power 10 Hz mode; INT1 latches when any axis' high-passed value exceeds ``threshold_mg``.

        Returns the threshold the chip applies (a multiple of 16 mg). `start` resumes streaming.
        """
        steps = clamp((threshold_mg + _WOM_MG_PER_LSB - 1) // _WOM_MG_PER_LSB, 1, 127)
        self.write_reg(_CTRL_REG1, _LPEN)
        self.write_reg(_CTRL_REG3, 0)
        self.write_reg(_FIFO_CTRL_REG, 0)
        self.write_reg(_CTRL_REG5, _LIR_INT1)
        self.write_reg(_CTRL_REG4, _BDU)  # +-2 g gives the finest threshold step
        self.write_reg(_CTRL_REG2, _HPIS1)  # high-pass the interrupt path: gravity is not motion
        self.write_reg(_INT1_THS, steps)
        self.write_reg(_INT1_DURATION, 0)
        self.write_reg(_CTRL_REG6, self._polarity())
        self.write_reg(_CTRL_REG1, (_ODR_10HZ << 4) | _LPEN | _XYZ_EN)
        self.read_reg(_REFERENCE)  # settles the high-pass filter on the current attitude
        self.write_reg(_INT1_CFG, _OR_HIGH_EVENTS)
        self.write_reg(_CTRL_REG3, _I1_IA1)
        self.motion_threshold_mg = steps * _WOM_MG_PER_LSB
        return self.motion_threshold_mg

    def motion_detected(self):
        """True if the latched wake-on-motion interrupt fired; reading INT1_SRC releases INT1."""
        return bool(self.read_reg(_INT1_SRC) & 0x40)

    def power_down(self):
        self.write_reg(_CTRL_REG1, _LPEN)

    def read_fifo(self):
        src = self._src
        if not self.burst(_FIFO_SRC_REG, src):
            return 0
        flags = src[0]
        overflowed = bool(flags & _SRC_OVRN)
        if overflowed:
            available = _FIFO_DEPTH
        elif flags & _SRC_EMPTY:
            available = 0
        else:
            available = flags & 0x1F
        n = available if available < self.capacity else self.capacity
        if n > 0:
            if not self.burst(_AUTO_INCREMENT | _OUT_X_L, self._views[n]):
                self.account(0, available, overflowed)
                return 0
            raw = self._raw
            out = self.samples
            i = 0
            end = 3 * n
            while i < end:
                v = raw[2 * i] | (raw[2 * i + 1] << 8)
                if v & 0x8000:
                    v -= 0x10000
                out[i] = v >> 4  # 12-bit data, left-justified
                i += 1
        self.account(n, available, overflowed)
        return n
