"""Analog Devices ADXL345 (GY-291 breakouts): 32-entry FIFO in stream mode, watermark on INT1 or INT2.

Register facts from the ADXL345 datasheet (Rev. G): DEVID 0x00 = 0xE5; THRESH_ACT 0x24 (62.5 mg/LSB);
ACT_INACT_CTL 0x27; BW_RATE 0x2C (LOW_POWER b4, rate code b3:0, 0x0A = 100 Hz); POWER_CTL 0x2D (Measure b3);
INT_ENABLE 0x2E / INT_MAP 0x2F (a set bit sends the source to INT2) / INT_SOURCE 0x30 (Activity b4, Watermark b1,
Overrun b0); DATA_FORMAT 0x31 (INT_INVERT b5, FULL_RES b3, Range b1:0); DATAX0..DATAZ1 0x32..0x37 little-endian;
FIFO_CTL 0x38 (FIFO_MODE b7:6, Samples b4:0); FIFO_STATUS 0x39 (Entries b5:0). Full resolution keeps 3.9 mg/LSB
(256 LSB/g) at every range.

The FIFO is emptied one entry per read of the six data registers (a longer burst would run into FIFO_CTL), so a
batch is one transfer per sample, each into its own preallocated slice of the batch buffer.
"""

from anklet.compat import const
from anklet.drivers.common import SensorBase, clamp, pick_at_least, refuse_gyro

_DEVID = const(0x00)
_THRESH_ACT = const(0x24)
_ACT_INACT_CTL = const(0x27)
_BW_RATE = const(0x2C)
_POWER_CTL = const(0x2D)
_INT_ENABLE = const(0x2E)
_INT_MAP = const(0x2F)
_INT_SOURCE = const(0x30)
_DATA_FORMAT = const(0x31)
_DATAX0 = const(0x32)
_FIFO_CTL = const(0x38)
_FIFO_STATUS = const(0x39)

_MEASURE = const(0x08)
_LOW_POWER = const(0x10)
_FULL_RES = const(0x08)
_INT_INVERT = const(0x20)
_INT_ACTIVITY = const(0x10)
_INT_WATERMARK = const(0x02)
_INT_OVERRUN = const(0x01)
_FIFO_STREAM = const(0x80)
_ACT_AC_XYZ = const(0xF0)
_RATE_12_5HZ = const(0x07)
_FIFO_DEPTH = const(32)

DEVID_VALUE = 0xE5
RATES_HZ = (25, 50, 100, 200, 400, 800, 1600, 3200)
_RATE_CODES = (0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F)
RANGES_G = (2, 4, 8, 16)
LSB_PER_G = 256


class ADXL345(SensorBase):
    CHIP = "ADXL345"
    # 32 entries deep, like the LIS3DH: the same watermark and the same highest rate, for the same reasons.
    WATERMARK = 8
    MAX_RATE_HZ = 100

    def __init__(
        self,
        i2c,
        address=0x53,
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
        refuse_gyro("ADXL345", gyro_dps)
        self.check_identity(_DEVID, "DEVID", (DEVID_VALUE,))
        i = pick_at_least(RATES_HZ, rate_hz)
        self._rate_code = _RATE_CODES[i]
        self.rate_hz = RATES_HZ[i]
        j = pick_at_least(RANGES_G, range_g)
        self._range_code = j
        self.range_g = RANGES_G[j]
        self.accel_lsb_per_g = LSB_PER_G
        self.gyro_lsb_per_dps = 0
        self.watermark = clamp(watermark, 1, 31)
        self.int_pin = int_pin
        self.int_active_high = int_active_high
        self._raw = bytearray(6 * batch_samples)
        mv = memoryview(self._raw)
        self._entry_views = [mv[6 * k : 6 * k + 6] for k in range(batch_samples)]
        self._status = bytearray(1)
        self._entries = bytearray(1)
        self.start()

    def _format(self):
        return _FULL_RES | self._range_code | (0 if self.int_active_high else _INT_INVERT)

    def _route(self, sources):
        self.write_reg(_INT_MAP, sources if self.int_pin == 2 else 0)

    def start(self):
        """Stream into the FIFO at ``rate_hz`` with the watermark (and overrun) interrupt; ends wake-on-motion."""
        self.write_reg(_POWER_CTL, 0)
        self.write_reg(_INT_ENABLE, 0)
        self.write_reg(_DATA_FORMAT, self._format())
        self.write_reg(_BW_RATE, self._rate_code)
        self._route(_INT_WATERMARK | _INT_OVERRUN)
        self.write_reg(_FIFO_CTL, 0)  # bypass empties the FIFO
        self.write_reg(_FIFO_CTL, _FIFO_STREAM | self.watermark)
        self.write_reg(_INT_ENABLE, _INT_WATERMARK | _INT_OVERRUN)
        self.write_reg(_POWER_CTL, _MEASURE)
        self.motion_threshold_mg = 0
        self._begin_stream()

    def wake_on_motion(self, threshold_mg):
        """12.5 Hz low-power mode; AC-coupled activity on any axis above ``threshold_mg`` (62.5 mg steps)."""
        steps = clamp((threshold_mg * 2 + 124) // 125, 1, 255)
        self.write_reg(_POWER_CTL, 0)
        self.write_reg(_INT_ENABLE, 0)
        self.write_reg(_FIFO_CTL, 0)
        self.write_reg(_BW_RATE, _LOW_POWER | _RATE_12_5HZ)
        self.write_reg(_THRESH_ACT, steps)
        self.write_reg(_ACT_INACT_CTL, _ACT_AC_XYZ)
        self._route(_INT_ACTIVITY)
        self.write_reg(_INT_ENABLE, _INT_ACTIVITY)
        self.write_reg(_POWER_CTL, _MEASURE)
        self.motion_threshold_mg = steps * 125 // 2
        return self.motion_threshold_mg

    def motion_detected(self):
        return bool(self.read_reg(_INT_SOURCE) & _INT_ACTIVITY)

    def power_down(self):
        self.write_reg(_POWER_CTL, 0)

    def read_fifo(self):
        if not self.burst(_INT_SOURCE, self._status):
            return 0
        overflowed = bool(self._status[0] & _INT_OVERRUN)
        if not self.burst(_FIFO_STATUS, self._entries):
            return 0
        available = self._entries[0] & 0x3F
        n = available if available < self.capacity else self.capacity
        got = 0
        while got < n:
            if not self.burst(_DATAX0, self._entry_views[got]):
                break
            got += 1
        raw = self._raw
        out = self.samples
        i = 0
        end = 3 * got
        while i < end:
            v = raw[2 * i] | (raw[2 * i + 1] << 8)
            if v & 0x8000:
                v -= 0x10000
            out[i] = v
            i += 1
        self.account(got, available, overflowed)
        return got
