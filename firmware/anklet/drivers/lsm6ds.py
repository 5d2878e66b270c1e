"""ST LSM6DS3 (and LSM6DS3TR-C) and LSM6DSOX accelerometer + gyroscope with their large FIFOs.

Shared register facts (LSM6DS3 and LSM6DSOX datasheets): WHO_AM_I 0x0F (0x69 LSM6DS3, 0x6A LSM6DS3TR-C,
0x6C LSM6DSOX); INT1_CTRL 0x0D / INT2_CTRL 0x0E (FIFO threshold b3, overrun b4); CTRL1_XL 0x10 (ODR b7:4,
FS b3:2 with 2/16/4/8 g = 0/1/2/3); CTRL2_G 0x11 (ODR b7:4, FS b3:2, FS_125 b1); CTRL3_C 0x12 (BDU b6,
H_LACTIVE b5, IF_INC b2); FIFO_STATUS1/2 0x3A/0x3B; WAKE_UP_SRC 0x1B; WAKE_UP_THS 0x5B (FS/64 per LSB);
MD1_CFG/MD2_CFG 0x5E/0x5F (INT_WU b5). Accel 0.061/0.122/0.244/0.488 mg/LSB, gyro 4.375/8.75/17.5/35/70 mdps/LSB.

The FIFOs differ:

- LSM6DS3: untagged 16-bit words in a fixed pattern (Gx Gy Gz Ax Ay Az, or Ax Ay Az without gyro) read at
  FIFO_DATA_OUT_L/H 0x3E/0x3F, which roll over so one burst reads many words; FIFO_CTRL1/2 0x06/0x07 threshold in
  words, FIFO_CTRL3 0x08 decimation, FIFO_CTRL5 0x0A (ODR_FIFO b6:3, FIFO_MODE b2:0); FIFO_STATUS2 OVER_RUN b6,
  DIFF_FIFO 12 bits; FIFO_STATUS3/4 0x3C/0x3D say which pattern word comes next.
- LSM6DSOX: tagged 7-byte words (TAG at 0x78: sensor b7:3, 1 = gyro, 2 = accel; counter b2:1; then X/Y/Z at
  0x79..0x7E), the address rolls back to 0x78 so one burst reads many words; FIFO_CTRL1/2 0x07/0x08 watermark in
  words, FIFO_CTRL3 0x09 batch rates (BDR_GY b7:4, BDR_XL b3:0), FIFO_CTRL4 0x0A FIFO_MODE b2:0; FIFO_STATUS2
  FIFO_OVR_IA b6, DIFF_FIFO 10 bits.
"""

from anklet.compat import const
from anklet.drivers.common import SensorBase, clamp, pick_at_least, prefix_views

_INT1_CTRL = const(0x0D)
_INT2_CTRL = const(0x0E)
_WHO_AM_I = const(0x0F)
_CTRL1_XL = const(0x10)
_CTRL2_G = const(0x11)
_CTRL3_C = const(0x12)
_CTRL6_C = const(0x15)
_WAKE_UP_SRC = const(0x1B)
_FIFO_STATUS1 = const(0x3A)
_TAP_CFG = const(0x58)
_WAKE_UP_THS = const(0x5B)
_WAKE_UP_DUR = const(0x5C)
_MD1_CFG = const(0x5E)
_MD2_CFG = const(0x5F)

# LSM6DS3 FIFO
_DS3_FIFO_CTRL1 = const(0x06)
_DS3_FIFO_CTRL2 = const(0x07)
_DS3_FIFO_CTRL3 = const(0x08)
_DS3_FIFO_CTRL5 = const(0x0A)
_DS3_FIFO_DATA_OUT_L = const(0x3E)
# LSM6DSOX FIFO
_OX_FIFO_CTRL1 = const(0x07)
_OX_FIFO_CTRL2 = const(0x08)
_OX_FIFO_CTRL3 = const(0x09)
_OX_FIFO_CTRL4 = const(0x0A)
_OX_TAP_CFG0 = const(0x56)
_OX_FIFO_DATA_OUT_TAG = const(0x78)

_BDU = const(0x40)
_H_LACTIVE = const(0x20)
_IF_INC = const(0x04)
_INT_FIFO_TH = const(0x08)
_INT_FIFO_OVR = const(0x10)
_INT_WU = const(0x20)
_STATUS2_OVR = const(0x40)
_MODE_CONTINUOUS = const(0x06)
_XL_HM_MODE_OFF = const(0x10)
_WU_IA = const(0x08)
_ODR_26HZ = const(2)
_TAG_GYRO = const(0x01)
_TAG_ACCEL = const(0x02)

RATES_HZ = (26, 52, 104, 208, 416, 833, 1666)
_ODR_CODES = (2, 3, 4, 5, 6, 7, 8)
RANGES_G = (2, 4, 8, 16)
_FS_XL_CODES = (0, 2, 3, 1)
ACCEL_LSB_PER_G = (16384, 8192, 4096, 2048)
GYRO_RANGES_DPS = (125, 250, 500, 1000, 2000)
_FS_G_BITS = (0x02, 0x00, 0x04, 0x08, 0x0C)
# 4.375, 8.75, 17.5, 35 and 70 mdps/LSB as LSB per deg/s, exact: the detector folds the scale into an integer
# multiplier once at start-up, so a rounded figure here would be a lasting 2% error in every rotation it sees.
GYRO_LSB_PER_DPS = (1000 / 4.375, 1000 / 8.75, 1000 / 17.5, 1000 / 35, 1000 / 70)


class _LSM6DSBase(SensorBase):
    WHO_AM_I_VALUES = (0x69,)

    def __init__(
        self,
        i2c,
        address=0x6A,
        rate_hz=104,
        range_g=8,
        gyro_dps=0,
        watermark=16,
        int_pin=1,
        int_active_high=True,
        batch_samples=32,
        retries=2,
        clock_ms=None,
    ):
        super().__init__(i2c, address, gyro_dps > 0, batch_samples, retries, clock_ms)
        self.check_identity(_WHO_AM_I, "WHO_AM_I", self.WHO_AM_I_VALUES)
        i = pick_at_least(RATES_HZ, rate_hz)
        self._odr_code = _ODR_CODES[i]
        self.rate_hz = RATES_HZ[i]
        j = pick_at_least(RANGES_G, range_g)
        self._fs_xl = _FS_XL_CODES[j]
        self.range_g = RANGES_G[j]
        self.accel_lsb_per_g = ACCEL_LSB_PER_G[j]
        if self.has_gyro:
            k = pick_at_least(GYRO_RANGES_DPS, gyro_dps)
            self._fs_g = _FS_G_BITS[k]
            self.gyro_dps = GYRO_RANGES_DPS[k]
            self.gyro_lsb_per_dps = GYRO_LSB_PER_DPS[k]
        else:
            self._fs_g = 0
            self.gyro_dps = 0
            self.gyro_lsb_per_dps = 0
        self.watermark = clamp(watermark, 1, batch_samples)
        self.int_pin = int_pin
        self.int_active_high = int_active_high
        self._status = bytearray(4)
        self._setup_buffers()
        self.start()

    def _setup_buffers(self):
        raise NotImplementedError

    def _configure_fifo(self):
        raise NotImplementedError

    def _ctrl3(self):
        return _BDU | _IF_INC | (0 if self.int_active_high else _H_LACTIVE)

    def start(self):
        """Batch accel (and gyro) into the FIFO at ``rate_hz``, threshold and overrun on the board's INT pin."""
        self.write_reg(_CTRL1_XL, 0)
        self.write_reg(_CTRL2_G, 0)
        self.write_reg(_CTRL3_C, self._ctrl3())
        self.write_reg(_CTRL6_C, 0)
        self.write_reg(_MD1_CFG, 0)
        self.write_reg(_MD2_CFG, 0)
        self._configure_fifo()
        fifo_ints = _INT_FIFO_TH | _INT_FIFO_OVR
        self.write_reg(_INT1_CTRL, fifo_ints if self.int_pin == 1 else 0)
        self.write_reg(_INT2_CTRL, fifo_ints if self.int_pin == 2 else 0)
        self.write_reg(_CTRL1_XL, (self._odr_code << 4) | (self._fs_xl << 2))
        if self.has_gyro:
            self.write_reg(_CTRL2_G, (self._odr_code << 4) | self._fs_g)
        self.motion_threshold_mg = 0
        self._begin_stream()

    def _enable_wake_interrupts(self):
        raise NotImplementedError

    def wake_on_motion(self, threshold_mg):
        """Gyro off, accel 26 Hz low-power at +-2 g; INT on a slope above ``threshold_mg`` (31.25 mg steps)."""
        steps = clamp((threshold_mg * 64 + 1999) // 2000, 1, 63)
        self.write_reg(_INT1_CTRL, 0)
        self.write_reg(_INT2_CTRL, 0)
        self.write_reg(_CTRL2_G, 0)
        self._fifo_off()
        self.write_reg(_CTRL6_C, _XL_HM_MODE_OFF)
        self.write_reg(_CTRL1_XL, _ODR_26HZ << 4)
        self.write_reg(_WAKE_UP_DUR, 0)
        self.write_reg(_WAKE_UP_THS, steps)
        self._enable_wake_interrupts()
        self.write_reg(_MD1_CFG, _INT_WU if self.int_pin == 1 else 0)
        self.write_reg(_MD2_CFG, _INT_WU if self.int_pin == 2 else 0)
        self.motion_threshold_mg = steps * 2000 // 64
        return self.motion_threshold_mg

    def _fifo_off(self):
        raise NotImplementedError

    def motion_detected(self):
        return bool(self.read_reg(_WAKE_UP_SRC) & _WU_IA)

    def power_down(self):
        self.write_reg(_CTRL1_XL, 0)
        self.write_reg(_CTRL2_G, 0)


class LSM6DS3(_LSM6DSBase):
    CHIP = "LSM6DS3"
    WHO_AM_I_VALUES = (0x69, 0x6A)
    _WORDS_PER_SAMPLE = 3

    def _setup_buffers(self):
        self._words = 6 if self.has_gyro else 3
        self._raw = bytearray(2 * self._words * self.capacity)
        self._views = prefix_views(self._raw, 2 * self._words, self.capacity)
        # Up to a sample's worth of words to skip back into step with the pattern.
        self._skip_views = prefix_views(bytearray(2 * self._words), 2, self._words)

    def _configure_fifo(self):
        threshold_words = self.watermark * self._words
        self.write_reg(_DS3_FIFO_CTRL5, 0)  # bypass empties the FIFO
        self.write_reg(_DS3_FIFO_CTRL1, threshold_words & 0xFF)
        self.write_reg(_DS3_FIFO_CTRL2, (threshold_words >> 8) & 0x0F)
        self.write_reg(_DS3_FIFO_CTRL3, (0x08 if self.has_gyro else 0) | 0x01)  # no decimation
        self.write_reg(_DS3_FIFO_CTRL5, (self._odr_code << 3) | _MODE_CONTINUOUS)

    def _fifo_off(self):
        self.write_reg(_DS3_FIFO_CTRL5, 0)

    def _enable_wake_interrupts(self):
        self.write_reg(_TAP_CFG, 0x01)  # LIR: latch until WAKE_UP_SRC is read

    def read_fifo(self):
        st = self._status
        if not self.burst(_FIFO_STATUS1, st):
            return 0
        overflowed = bool(st[1] & _STATUS2_OVR)
        words = st[0] | ((st[1] & 0x0F) << 8)
        pattern = st[2] | ((st[3] & 0x03) << 8)
        per = self._words
        if pattern != 0 and words > 0:
            # After an overrun the oldest words are gone mid-sample: drop the rest of that sample.
            skip = per - pattern
            if skip > words:
                skip = words
            if not self.burst(_DS3_FIFO_DATA_OUT_L, self._skip_views[skip]):
                return 0
            words -= skip
        available = words // per
        n = available if available < self.capacity else self.capacity
        if n > 0:
            if not self.burst(_DS3_FIFO_DATA_OUT_L, self._views[n]):
                return 0
            raw = self._raw
            out = self.samples
            # Pattern order puts gyro first; the batch buffer wants accel first.
            acc = 3 if per == 6 else 0
            s = 0
            while s < n:
                base = s * per
                k = 0
                while k < 3:
                    w = 2 * (base + acc + k)
                    v = raw[w] | (raw[w + 1] << 8)
                    if v & 0x8000:
                        v -= 0x10000
                    out[base + k] = v
                    if per == 6:
                        w = 2 * (base + k)
                        v = raw[w] | (raw[w + 1] << 8)
                        if v & 0x8000:
                            v -= 0x10000
                        out[base + 3 + k] = v
                    k += 1
                s += 1
        self.account(n, available, overflowed)
        return n


class LSM6DSOX(_LSM6DSBase):
    CHIP = "LSM6DSOX"
    WHO_AM_I_VALUES = (0x6C,)

    def _setup_buffers(self):
        self._words = 2 if self.has_gyro else 1
        self._raw = bytearray(7 * self._words * self.capacity)
        self._views = prefix_views(self._raw, 7, self._words * self.capacity)
        self._status2 = memoryview(self._status)[0:2]

    def _configure_fifo(self):
        threshold_words = self.watermark * self._words
        self.write_reg(_OX_FIFO_CTRL4, 0)  # bypass empties the FIFO
        self.write_reg(_OX_FIFO_CTRL1, threshold_words & 0xFF)
        self.write_reg(_OX_FIFO_CTRL2, (threshold_words >> 8) & 0x01)
        bdr_gy = self._odr_code if self.has_gyro else 0
        self.write_reg(_OX_FIFO_CTRL3, (bdr_gy << 4) | self._odr_code)
        self.write_reg(_OX_FIFO_CTRL4, _MODE_CONTINUOUS)

    def _fifo_off(self):
        self.write_reg(_OX_FIFO_CTRL4, 0)

    def _enable_wake_interrupts(self):
        self.write_reg(_OX_TAP_CFG0, 0x01)  # LIR
        self.write_reg(_TAP_CFG, 0x80)  # TAP_CFG2.INTERRUPTS_ENABLE

    def read_fifo(self):
        st = self._status
        if not self.burst(_FIFO_STATUS1, self._status2):
            return 0
        overflowed = bool(st[1] & _STATUS2_OVR)
        words = st[0] | ((st[1] & 0x03) << 8)
        per = self._words
        limit = per * self.capacity
        take = words if words < limit else limit
        take -= take % per
        n = 0
        if take > 0:
            if not self.burst(_OX_FIFO_DATA_OUT_TAG, self._views[take]):
                return 0
            n = self._decode(take)
        self.account(n, words // per, overflowed)
        return n

    def _decode(self, take):
        raw = self._raw
        out = self.samples
        stride = self.stride
        end = len(out)
        o = -stride
        last_cnt = -1
        w = 0
        while w < take:
            p = 7 * w
            tag = raw[p] >> 3
            if tag == _TAG_ACCEL or (stride == 6 and tag == _TAG_GYRO):
                cnt = (raw[p] >> 1) & 0x03
                # Words batched at the same instant share a counter; a new counter starts a new sample.
                if stride == 3 or cnt != last_cnt:
                    if o + 2 * stride > end:
                        break
                    o += stride
                    if stride == 6 and o > 0:
                        # A slot missing half its pair (after an overrun) keeps the previous values, not zeros.
                        k = 0
                        while k < 6:
                            out[o + k] = out[o - 6 + k]
                            k += 1
                    last_cnt = cnt
                base = o if tag == _TAG_ACCEL else o + 3
                k = 0
                while k < 3:
                    v = raw[p + 1 + 2 * k] | (raw[p + 2 + 2 * k] << 8)
                    if v & 0x8000:
                        v -= 0x10000
                    out[base + k] = v
                    k += 1
            w += 1
        return (o + stride) // stride
