"""InvenSense MPU-6050 (GY-521 breakouts) and MPU-6886 (M5Stack Atom): 1 KB FIFO read through FIFO_R_W.

Register facts from the MPU-6000/6050 register map (RM-MPU-6000A-00) and the MPU-6886 datasheet (DS-000193):
WHO_AM_I 0x75 is 0x68 (MPU-6050) or 0x19 (MPU-6886); sample rate = 1 kHz / (1 + SMPLRT_DIV) with the DLPF on;
FIFO_EN 0x23, USER_CTRL 0x6A (FIFO_EN b6, FIFO_RST b2), FIFO_COUNTH/L 0x72/0x73 (bytes), FIFO_R_W 0x74 (a burst
read keeps returning FIFO bytes), INT_PIN_CFG 0x37, INT_ENABLE 0x38, INT_STATUS 0x3A (FIFO_OFLOW b4). Data are
big-endian 16-bit: 16384/8192/4096/2048 LSB/g, 131/65.5/32.8/16.4 LSB/(deg/s).

The families differ where it matters for batching:

- MPU-6050: packets are accel (+ gyro) in register order; there is no FIFO watermark interrupt, so
  ``has_watermark_int`` is False and the sampler polls at ``watermark / rate_hz``. When full, the FIFO overwrites its
  oldest bytes, which breaks packet alignment: an overflow resets the FIFO.
- MPU-6886: temperature always rides with accel or gyro (8- or 14-byte packets); FIFO_WM_TH1/2 (0x60/0x61, bytes)
  raise the watermark interrupt on INT; CONFIG.FIFO_MODE (b6) makes a full FIFO keep its oldest data, so after an
  overflow the whole packets still there are read before the reset.
"""

from anklet.compat import const
from anklet.drivers.common import SensorBase, clamp, pick_at_least, prefix_views

_SMPLRT_DIV = const(0x19)
_CONFIG = const(0x1A)
_GYRO_CONFIG = const(0x1B)
_ACCEL_CONFIG = const(0x1C)
_ACCEL_CONFIG2 = const(0x1D)
_MOT_THR = const(0x1F)
_MOT_DUR = const(0x20)
_ACCEL_WOM_X_THR = const(0x20)
_ACCEL_WOM_Y_THR = const(0x21)
_ACCEL_WOM_Z_THR = const(0x22)
_FIFO_EN = const(0x23)
_INT_PIN_CFG = const(0x37)
_INT_ENABLE = const(0x38)
_INT_STATUS = const(0x3A)
_FIFO_WM_TH1 = const(0x60)
_FIFO_WM_TH2 = const(0x61)
_ACCEL_INTEL_CTRL = const(0x69)
_USER_CTRL = const(0x6A)
_PWR_MGMT_1 = const(0x6B)
_PWR_MGMT_2 = const(0x6C)
_FIFO_COUNTH = const(0x72)
_FIFO_R_W = const(0x74)
_WHO_AM_I = const(0x75)

_CLKSEL_PLL = const(0x01)
_CYCLE = const(0x20)
_TEMP_DIS = const(0x08)
_STBY_GYRO = const(0x07)
_USER_FIFO_EN = const(0x40)
_USER_FIFO_RST = const(0x04)
_INT_LEVEL_LOW = const(0x80)
_LATCH_INT_EN = const(0x20)
_INT_RD_CLEAR = const(0x10)
_FIFO_OFLOW = const(0x10)
_MOT_EN = const(0x40)
_WOM_EN = const(0xE0)
_FIFO_MODE_KEEP_OLDEST = const(0x40)
_INTEL_EN_COMPARE_PREVIOUS = const(0xC0)
_FIFO_BYTES = const(1024)

RATES_HZ = (4, 5, 8, 10, 20, 25, 40, 50, 100, 125, 200, 250, 500, 1000)
RANGES_G = (2, 4, 8, 16)
ACCEL_LSB_PER_G = (16384, 8192, 4096, 2048)
GYRO_RANGES_DPS = (250, 500, 1000, 2000)
# 131, 65.5, 32.8 and 16.4 LSB per deg/s, exact (see lsm6ds.GYRO_LSB_PER_DPS).
GYRO_LSB_PER_DPS = (131.0, 65.5, 32.8, 16.4)


def _dlpf_code(rate_hz):
    # Low-pass below half the sample rate (44/21/10/5 Hz bandwidths) so the FIFO holds no aliased steps.
    if rate_hz >= 200:
        return 2
    if rate_hz >= 100:
        return 3
    if rate_hz >= 50:
        return 4
    if rate_hz >= 25:
        return 5
    return 6


class _MPUBase(SensorBase):
    WHO_AM_I_VALUES = (0x68,)
    # The sample rate is 1 kHz / (1 + SMPLRT_DIV): the 400 Hz setting comes out as 500 Hz, which the detector refuses
    # (it took 25-400 Hz); 200 Hz is the highest setting delivered.
    MAX_RATE_HZ = 200

    def __init__(
        self,
        i2c,
        address=0x68,
        rate_hz=100,
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
        self.rate_hz = RATES_HZ[i]
        self._div = 1000 // self.rate_hz - 1
        j = pick_at_least(RANGES_G, range_g)
        self._afs = j
        self.range_g = RANGES_G[j]
        self.accel_lsb_per_g = ACCEL_LSB_PER_G[j]
        if self.has_gyro:
            k = pick_at_least(GYRO_RANGES_DPS, gyro_dps)
            self._gfs = k
            self.gyro_dps = GYRO_RANGES_DPS[k]
            self.gyro_lsb_per_dps = GYRO_LSB_PER_DPS[k]
        else:
            self._gfs = 0
            self.gyro_dps = 0
            self.gyro_lsb_per_dps = 0
        self.packet_bytes = self._packet_bytes()
        limit = _FIFO_BYTES // self.packet_bytes
        if self.capacity > limit:
            self.capacity = limit
        self.watermark = clamp(watermark, 1, self.capacity)
        self.int_pin = int_pin
        self.int_active_high = int_active_high
        self._raw = bytearray(self.packet_bytes * self.capacity)
        self._views = prefix_views(self._raw, self.packet_bytes, self.capacity)
        self._status = bytearray(1)
        self._count = bytearray(2)
        self.start()

    # Family differences, overridden below.
    def _packet_bytes(self):
        raise NotImplementedError

    def _gyro_offset(self):
        raise NotImplementedError

    def _configure_family(self):
        raise NotImplementedError

    def _fifo_en_bits(self):
        raise NotImplementedError

    def _int_pin_cfg(self):
        # Latched until any read, so an edge-triggered pin interrupt sees every event.
        return (0 if self.int_active_high else _INT_LEVEL_LOW) | _LATCH_INT_EN | _INT_RD_CLEAR

    def start(self):
        """Stream accel (and gyro) packets into the FIFO at ``rate_hz``; also ends wake-on-motion."""
        self.write_reg(_PWR_MGMT_1, _CLKSEL_PLL)
        self.write_reg(_PWR_MGMT_2, 0 if self.has_gyro else _STBY_GYRO)
        self.write_reg(_INT_ENABLE, 0)
        self.write_reg(_USER_CTRL, 0)
        self.write_reg(_FIFO_EN, 0)
        self.write_reg(_SMPLRT_DIV, self._div)
        self.write_reg(_GYRO_CONFIG, self._gfs << 3)
        self.write_reg(_ACCEL_CONFIG, self._afs << 3)
        self._configure_family()
        self.write_reg(_INT_PIN_CFG, self._int_pin_cfg())
        self.write_reg(_INT_ENABLE, _FIFO_OFLOW)
        self.write_reg(_USER_CTRL, _USER_FIFO_RST)
        self.write_reg(_USER_CTRL, _USER_FIFO_EN)
        self.write_reg(_FIFO_EN, self._fifo_en_bits())
        self.read_reg(_INT_STATUS)  # clears anything latched before streaming
        self.motion_threshold_mg = 0
        self._begin_stream()

    def power_down(self):
        self.write_reg(_PWR_MGMT_1, 0x40)  # SLEEP

    def _reset_fifo(self):
        return self.poke(_USER_CTRL, _USER_FIFO_EN | _USER_FIFO_RST)

    def _decode(self, n):
        raw = self._raw
        out = self.samples
        step = self.packet_bytes
        stride = self.stride
        goff = self._gyro_offset()
        p = 0
        o = 0
        end = n * step
        while p < end:
            q = p
            while q < p + 6:
                v = (raw[q] << 8) | raw[q + 1]
                if v & 0x8000:
                    v -= 0x10000
                out[o] = v
                o += 1
                q += 2
            if stride == 6:
                q = p + goff
                while q < p + goff + 6:
                    v = (raw[q] << 8) | raw[q + 1]
                    if v & 0x8000:
                        v -= 0x10000
                    out[o] = v
                    o += 1
                    q += 2
            p += step

    def _fifo_count(self):
        if not self.burst(_FIFO_COUNTH, self._count):
            return -1
        return ((self._count[0] << 8) | self._count[1]) & 0x1FFF


class MPU6050(_MPUBase):
    CHIP = "MPU6050"
    WHO_AM_I_VALUES = (0x68,)
    # No watermark interrupt on this chip: INT only reports FIFO overflow; the sampler polls.
    WATERMARK_INT = False

    def _packet_bytes(self):
        return 12 if self.has_gyro else 6

    def _gyro_offset(self):
        return 6

    def _fifo_en_bits(self):
        return 0x08 | (0x70 if self.has_gyro else 0)  # ACCEL_FIFO_EN, XG/YG/ZG_FIFO_EN

    def _configure_family(self):
        self.write_reg(_CONFIG, _dlpf_code(self.rate_hz))

    def read_fifo(self):
        if not self.burst(_INT_STATUS, self._status):
            return 0
        if self._status[0] & _FIFO_OFLOW:
            # Oldest bytes were overwritten mid-packet: nothing in the FIFO can be trusted to be aligned.
            self._reset_fifo()
            self.account(0, 0, True)
            return 0
        count = self._fifo_count()
        if count < 0:
            return 0
        available = count // self.packet_bytes
        n = available if available < self.capacity else self.capacity
        if n > 0:
            if not self.burst(_FIFO_R_W, self._views[n]):
                return 0
            self._decode(n)
        self.account(n, available, False)
        return n

    def wake_on_motion(self, threshold_mg):
        """Accel-only cycle mode at 5 Hz; INT on motion above ``threshold_mg`` (2 mg steps). Returns the threshold."""
        steps = clamp((threshold_mg + 1) // 2, 1, 255)
        self.write_reg(_INT_ENABLE, 0)
        self.write_reg(_USER_CTRL, 0)
        self.write_reg(_FIFO_EN, 0)
        self.write_reg(_ACCEL_CONFIG, (self._afs << 3) | 0x01)  # ACCEL_HPF 5 Hz: gravity is not motion
        self.write_reg(_MOT_THR, steps)
        self.write_reg(_MOT_DUR, 1)
        self.write_reg(_INT_PIN_CFG, self._int_pin_cfg())
        self.write_reg(_PWR_MGMT_2, 0x40 | _STBY_GYRO)  # LP_WAKE_CTRL = 5 Hz
        self.write_reg(_PWR_MGMT_1, _CYCLE | _TEMP_DIS | _CLKSEL_PLL)
        self.write_reg(_INT_ENABLE, _MOT_EN)
        self.motion_threshold_mg = steps * 2
        return self.motion_threshold_mg

    def motion_detected(self):
        return bool(self.read_reg(_INT_STATUS) & _MOT_EN)


class MPU6886(_MPUBase):
    CHIP = "MPU6886"
    WHO_AM_I_VALUES = (0x19,)

    def _packet_bytes(self):
        return 14 if self.has_gyro else 8

    def _gyro_offset(self):
        return 8

    def _fifo_en_bits(self):
        return 0x08 | (0x10 if self.has_gyro else 0)  # ACCEL_FIFO_EN, GYRO_FIFO_EN

    def _configure_family(self):
        dlpf = _dlpf_code(self.rate_hz)
        self.write_reg(_CONFIG, _FIFO_MODE_KEEP_OLDEST | dlpf)
        self.write_reg(_ACCEL_CONFIG2, dlpf)  # A_DLPF_CFG, ACCEL_FCHOICE_B = 0
        threshold_bytes = self.watermark * self.packet_bytes
        self.write_reg(_FIFO_WM_TH1, (threshold_bytes >> 8) & 0x03)
        self.write_reg(_FIFO_WM_TH2, threshold_bytes & 0xFF)

    def read_fifo(self):
        if not self.burst(_INT_STATUS, self._status):
            return 0
        overflowed = bool(self._status[0] & _FIFO_OFLOW)
        count = self._fifo_count()
        if count < 0:
            return 0
        available = count // self.packet_bytes
        n = available if available < self.capacity else self.capacity
        if n > 0:
            if not self.burst(_FIFO_R_W, self._views[n]):
                return 0
            self._decode(n)
        if overflowed:
            # A full FIFO stopped taking data; its whole packets were good, the rest (and a partial packet) go.
            self._reset_fifo()
            self.account(n, available, True)
            self.samples_lost += available - n
            self._left_in_fifo = 0
        else:
            self.account(n, available, False)
        return n

    def wake_on_motion(self, threshold_mg):
        """Accel low-power cycle mode; INT when any axis changes by more than ``threshold_mg`` (4 mg steps)."""
        steps = clamp((threshold_mg + 3) // 4, 1, 255)
        self.write_reg(_INT_ENABLE, 0)
        self.write_reg(_USER_CTRL, 0)
        self.write_reg(_FIFO_EN, 0)
        self.write_reg(_PWR_MGMT_2, _STBY_GYRO)
        self.write_reg(_ACCEL_WOM_X_THR, steps)
        self.write_reg(_ACCEL_WOM_Y_THR, steps)
        self.write_reg(_ACCEL_WOM_Z_THR, steps)
        self.write_reg(_ACCEL_INTEL_CTRL, _INTEL_EN_COMPARE_PREVIOUS)
        self.write_reg(_SMPLRT_DIV, 39)  # 25 Hz wake-up checks
        self.write_reg(_INT_PIN_CFG, self._int_pin_cfg())
        self.write_reg(_INT_ENABLE, _WOM_EN)
        self.write_reg(_PWR_MGMT_1, _CYCLE | _CLKSEL_PLL)
        self.motion_threshold_mg = steps * 4
        return self.motion_threshold_mg

    def motion_detected(self):
        return bool(self.read_reg(_INT_STATUS) & _WOM_EN)
